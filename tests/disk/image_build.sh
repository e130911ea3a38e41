#!/bin/bash
# image_build.sh BUILD_DIR - ctest disk.image.build: scripts/make-disk-image.sh
# builds the two bootable disk images and they are laid out as
# docs/DISK_IMAGE.md says, read back without mounting anything:
#   both:  64 MiB, 0x55AA at 510, one active partition at LBA 2048 to the end
#   debian.img:  sector 0's code is syslinux's mbr.bin; a FAT16 partition with
#       ldlinux.sys (system, hidden), ldlinux.c32, syslinux.cfg (SERIAL 0 115200
#       first, APPEND with console=ttyS0), vmlinuz and initrd.gz equal to the
#       guest's; the volume boot record has 0x55AA and 2048 hidden sectors
#   debian-grub.img:  sector 0's code is GRUB's boot.img with core.img's LBA
#       (1) at 0x5C; core.img in sectors 1.. with its block list (LBA 2, the
#       rest of its sectors); an ext2 partition with /boot/vmlinuz and
#       /boot/initrd.gz equal to the guest's, /boot/grub/grub.cfg (serial,
#       console=ttyS0) and the modules
#   debian-extlinux.img (where loop mounting works):  mbr.bin, ext2 partition
#       with extlinux's boot record (OEM name SYSLINUX, 2048 hidden sectors,
#       255/63 geometry), /boot/syslinux/{ldlinux.sys,ldlinux.c32,extlinux.conf}
# A second run must report the cache. Exits 77 when apt could not supply the
# packages (make-disk-image.sh exit 2).
set -uo pipefail

build_dir=$(mkdir -p "${1:?usage: image_build.sh BUILD_DIR}" && cd "$1" && pwd)
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
disk=$build_dir/disk
guest=$build_dir/guest
failures=0
checks=0
export MTOOLS_SKIP_CHECK=1

check() {
	local what=$1
	shift
	checks=$((checks + 1))
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what"
		failures=$((failures + 1))
	fi
}

u8() { od -An -v -t u1 -j "$2" -N 1 "$1" | tr -d ' '; }
u16() { od -An -v -t u2 --endian=little -j "$2" -N 2 "$1" | tr -d ' '; }
u32() { od -An -v -t u4 --endian=little -j "$2" -N 4 "$1" | tr -d ' '; }
u64() { od -An -v -t u8 --endian=little -j "$2" -N 8 "$1" | tr -d ' '; }
# same_bytes A OFF_A B OFF_B COUNT : COUNT bytes of A at OFF_A equal B's at OFF_B.
same_bytes() {
	cmp -s <(tail -c +"$(($2 + 1))" "$1" | head -c "$5") <(tail -c +"$(($4 + 1))" "$3" | head -c "$5")
}

log=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$log" "$tmp"' EXIT
bash "$src_dir/scripts/make-disk-image.sh" "$build_dir" >"$log" 2>&1
rc=$?
cat "$log"
if ((rc == 2)); then
	echo "SKIP: apt could not supply the packages for the disk images (make-disk-image.sh exit 2, see above)"
	exit 77
elif ((rc != 0)); then
	echo "FAIL: make-disk-image.sh exited $rc"
	exit 1
fi
bash "$src_dir/scripts/make-disk-image.sh" "$build_dir" >"$log" 2>&1
check "a second run exits 0 and reports the cache" grep -q "^disk: cached in " "$log"

# partition_checks IMG TYPE : the MBR partition table of IMG.
partition_checks() {
	local img=$1 type=$2 name
	name=$(basename "$img")
	check "$name: 64 MiB" test "$(stat -c %s "$img")" -eq $((64 << 20))
	check "$name: boot signature 0xAA55 at 510" test "$(u16 "$img" 510)" -eq $((0xaa55))
	check "$name: partition 1 active (0x80)" test "$(u8 "$img" 446)" -eq $((0x80))
	check "$name: partition 1 type 0x$(printf %02x "$type")" test "$(u8 "$img" $((446 + 4)))" -eq "$type"
	check "$name: partition 1 starts at LBA 2048" test "$(u32 "$img" $((446 + 8)))" -eq 2048
	check "$name: partition 1 runs to the end" test "$(u32 "$img" $((446 + 12)))" -eq $((64 * 2048 - 2048))
	check "$name: partitions 2-4 empty" test "$(od -An -v -t x1 -j 462 -N 48 "$img" | tr -d ' 0\n')" = ""
}

# ---- debian.img: FAT16 + syslinux ----
img=$disk/debian.img
fat="$img@@1048576"
partition_checks "$img" $((0x0e))
check "debian.img: sector 0 code is syslinux's mbr.bin" \
	same_bytes "$img" 0 /usr/lib/syslinux/mbr/mbr.bin 0 440
check "debian.img: volume boot record ends in 0xAA55" test "$(u16 "$img" $((1048576 + 510)))" -eq $((0xaa55))
check "debian.img: BPB hidden sectors = 2048" test "$(u32 "$img" $((1048576 + 28)))" -eq 2048
check "debian.img: FAT16 file system type" \
	test "$(tail -c +$((1048576 + 54 + 1)) "$img" | head -c 8)" = "FAT16   "
check "debian.img: ldlinux.sys is there, system+hidden+read-only" \
	bash -c "mattrib -i '$fat' ::/ldlinux.sys | grep -q SHR"
check "debian.img: ldlinux.c32 is there" bash -c "mattrib -i '$fat' ::/ldlinux.c32 | grep -q ldlinux.c32"
mcopy -n -i "$fat" ::/vmlinuz "$tmp/vmlinuz" 2>/dev/null
mcopy -n -i "$fat" ::/initrd.gz "$tmp/initrd.gz" 2>/dev/null
mcopy -n -i "$fat" ::/syslinux.cfg "$tmp/syslinux.cfg" 2>/dev/null
check "debian.img: /vmlinuz is guest/vmlinuz-686" cmp -s "$tmp/vmlinuz" "$guest/vmlinuz-686"
check "debian.img: /initrd.gz is guest/initramfs.cpio.gz" cmp -s "$tmp/initrd.gz" "$guest/initramfs.cpio.gz"
check "debian.img: syslinux.cfg starts with SERIAL 0 115200" \
	test "$(head -n 1 "$tmp/syslinux.cfg" 2>/dev/null)" = "SERIAL 0 115200"
check "debian.img: syslinux.cfg boots /vmlinuz with console=ttyS0" \
	grep -Eq '^ *APPEND .*console=ttyS0' "$tmp/syslinux.cfg"

# ---- debian-grub.img: ext2 + GRUB ----
img=$disk/debian-grub.img
grub=/usr/lib/grub/i386-pc
partition_checks "$img" $((0x83))
check "debian-grub.img: sector 0 code is GRUB's boot.img (0x00-0x5B)" same_bytes "$img" 0 "$grub/boot.img" 0 $((0x5c))
check "debian-grub.img: sector 0 code is GRUB's boot.img (0x68-0x1B7)" \
	same_bytes "$img" $((0x68)) "$grub/boot.img" $((0x68)) $((0x1b8 - 0x68))
check "debian-grub.img: core.img at LBA 1 (kernel sector at 0x5C)" test "$(u64 "$img" $((0x5c)))" -eq 1
check "debian-grub.img: sector 1 is GRUB's diskboot.img" same_bytes "$img" 512 "$grub/diskboot.img" 0 $((512 - 12))
start=$(u64 "$img" $((1024 - 12)))
count=$(u16 "$img" $((1024 - 4)))
check "debian-grub.img: core.img block list: rest at LBA 2 ($start)" test "$start" -eq 2
check "debian-grub.img: core.img ($count sectors after the first) ends before the partition" \
	test "$count" -gt 0 -a $((2 + count)) -le 2048
dd if="$img" of="$tmp/part" bs=1M skip=1 status=none
check "debian-grub.img: partition 1 is a clean ext2 file system" bash -c "e2fsck -fn '$tmp/part' >/dev/null 2>&1"
for f in vmlinuz initrd.gz grub/grub.cfg grub/i386-pc/normal.mod grub/i386-pc/linux.mod; do
	debugfs -R "dump /boot/$f $tmp/$(basename "$f")" "$tmp/part" >/dev/null 2>&1
done
check "debian-grub.img: /boot/vmlinuz is guest/vmlinuz-686" cmp -s "$tmp/vmlinuz" "$guest/vmlinuz-686"
check "debian-grub.img: /boot/initrd.gz is guest/initramfs.cpio.gz" cmp -s "$tmp/initrd.gz" "$guest/initramfs.cpio.gz"
check "debian-grub.img: /boot/grub/i386-pc/normal.mod is GRUB's" cmp -s "$tmp/normal.mod" "$grub/normal.mod"
check "debian-grub.img: /boot/grub/i386-pc/linux.mod is GRUB's" cmp -s "$tmp/linux.mod" "$grub/linux.mod"
check "debian-grub.img: grub.cfg sets up the serial terminal" grep -q '^serial --unit=0 --speed=115200' "$tmp/grub.cfg"
check "debian-grub.img: grub.cfg boots /boot/vmlinuz with console=ttyS0" \
	grep -q '^linux /boot/vmlinuz .*console=ttyS0' "$tmp/grub.cfg"

# ---- debian-extlinux.img: ext2 + extlinux (only where loop mounting works) ----
img=$disk/debian-extlinux.img
if grep -q "^disk: not building debian-extlinux.img" "$log"; then
	echo "note: $(grep "^disk: not building debian-extlinux.img" "$log" | sed 's/^disk: //'): not checked"
else
	partition_checks "$img" $((0x83))
	check "debian-extlinux.img: sector 0 code is syslinux's mbr.bin" \
		same_bytes "$img" 0 /usr/lib/syslinux/mbr/mbr.bin 0 440
	check "debian-extlinux.img: volume boot record ends in 0xAA55" \
		test "$(u16 "$img" $((1048576 + 510)))" -eq $((0xaa55))
	check "debian-extlinux.img: boot record OEM name SYSLINUX" \
		test "$(tail -c +$((1048576 + 4)) "$img" | head -c 8)" = "SYSLINUX"
	check "debian-extlinux.img: BPB hidden sectors = 2048" test "$(u32 "$img" $((1048576 + 28)))" -eq 2048
	check "debian-extlinux.img: BPB geometry 255 heads, 63 sectors" \
		test "$(u16 "$img" $((1048576 + 26)))/$(u16 "$img" $((1048576 + 24)))" = 255/63
	rm -rf "${tmp:?}"/*
	dd if="$img" of="$tmp/part" bs=1M skip=1 status=none
	check "debian-extlinux.img: partition 1 is a clean ext2 file system" \
		bash -c "e2fsck -fn '$tmp/part' >/dev/null 2>&1"
	for f in vmlinuz initrd.gz syslinux/extlinux.conf syslinux/ldlinux.sys syslinux/ldlinux.c32; do
		debugfs -R "dump /boot/$f $tmp/$(basename "$f")" "$tmp/part" >/dev/null 2>&1
	done
	check "debian-extlinux.img: /boot/vmlinuz is guest/vmlinuz-686" cmp -s "$tmp/vmlinuz" "$guest/vmlinuz-686"
	check "debian-extlinux.img: /boot/initrd.gz is guest/initramfs.cpio.gz" \
		cmp -s "$tmp/initrd.gz" "$guest/initramfs.cpio.gz"
	check "debian-extlinux.img: /boot/syslinux/ldlinux.sys is there" test -s "$tmp/ldlinux.sys"
	# (the installer writes its own copy, which must match its ldlinux.sys)
	check "debian-extlinux.img: /boot/syslinux/ldlinux.c32 is an ELF module" \
		test "$(head -c 4 "$tmp/ldlinux.c32" 2>/dev/null | od -An -t x1 | tr -d ' ')" = 7f454c46
	check "debian-extlinux.img: extlinux.conf starts with SERIAL 0 115200" \
		test "$(head -n 1 "$tmp/extlinux.conf" 2>/dev/null)" = "SERIAL 0 115200"
	check "debian-extlinux.img: extlinux.conf boots with console=ttyS0" \
		grep -Eq '^ *APPEND .*console=ttyS0' "$tmp/extlinux.conf"
fi

echo "$((checks - failures)) passed, $failures failed"
((failures == 0))
