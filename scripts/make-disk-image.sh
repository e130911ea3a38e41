#!/bin/bash
# make-disk-image.sh [BUILD_DIR] - build the bootable Debian disk images
# (docs/DISK_IMAGE.md) that the BIOS boots, from Debian packages only.
#
# Outputs, under BUILD_DIR/disk (BUILD_DIR defaults to ./build):
#   debian.img       64 MiB raw disk: syslinux's mbr.bin in sector 0, one
#                    active FAT16 partition from LBA 2048 holding the Debian
#                    i386 kernel (vmlinuz-686), the busybox initramfs and
#                    syslinux.cfg, made bootable by `syslinux --install`
#   debian-grub.img  the same kernel and initramfs on an ext2 partition made
#                    by `mke2fs -d`, booted by GRUB: boot.img in sector 0,
#                    core.img (grub-mkimage) in the gap before the partition
#   debian-extlinux.img  as debian-grub.img but with syslinux-common's mbr.bin
#                    and `extlinux --install` (the issue's bootloader); only
#                    where loop mounting works (root), see build_extlinux
#   INPUTS           what the images were built from (the cache key)
# For the first two nothing is mounted and no loop device is used: mtools,
# syslinux's mtools installer, sfdisk, mke2fs -d and dd work on the image
# files directly, so they build unprivileged too (once the packages are
# installed). SOFTVT_DISK_NO_MOUNT=1 skips the extlinux image.
#
# The kernel and initramfs come from scripts/fetch-guest.sh (run if they are
# missing). All images boot with console=ttyS0 and a softvt.boot=LOADER
# marker on the kernel command line; the loaders talk on COM1 (115200 8N1)
# and print a "SOFTVT-DISK: LOADER ..." line before loading the kernel.
#
# The images are rebuilt when an input changes (this script, the kernel, the
# initramfs, the loader packages' versions), else reused.
#
# Exit status: 0 ok, 2 apt could not supply the packages (tools or guest;
# the disk tests skip on this), 1 any other error.
set -euo pipefail
# sfdisk, mkfs.fat and mke2fs live in /usr/sbin, not in a user's PATH.
PATH=$PATH:/usr/sbin:/sbin

readonly EXIT_APT=2
readonly DISK_MIB=64
readonly PART_START=2048 # sectors: the 1 MiB gap holds GRUB's core.img
# The CHS geometry sfdisk assumes for an image file (LBA-assisted translation);
# the boot records get the same. Only a BIOS without INT 13h extensions uses it.
readonly GEOMETRY=255/63
readonly SYSLINUX_DIR=/usr/lib/syslinux
readonly GRUB_DIR=/usr/lib/grub/i386-pc
# command:package pairs this script needs
readonly TOOLS=(syslinux:syslinux "$SYSLINUX_DIR/mbr/mbr.bin":syslinux-common
	mcopy:mtools mkfs.fat:dosfstools sfdisk:fdisk mke2fs:e2fsprogs
	grub-mkimage:grub-pc-bin "$GRUB_DIR/boot.img":grub-pc-bin)

die() { echo "disk: error: $*" >&2; exit 1; }
die_apt() { echo "disk: error: $*" >&2; exit "$EXIT_APT"; }
say() { echo "disk: $*"; }

script=$(readlink -f "${BASH_SOURCE[0]}")
src_dir=$(dirname "$(dirname "$script")")
build_dir=$(mkdir -p "${1:-./build}" && cd "${1:-./build}" && pwd)
guest=$build_dir/guest
out=$build_dir/disk
kernel=$guest/vmlinuz-686
initrd=$guest/initramfs.cpio.gz

# have TOOL : TOOL (a command, or an absolute path to a file) is there.
have() {
	if [[ $1 == /* ]]; then
		[[ -f $1 ]]
	else
		command -v "$1" >/dev/null
	fi
}

# ensure_tools : every tool is there, installing the missing packages with
# apt when root; exit 2 when apt cannot supply them.
ensure_tools() {
	local t missing=()
	for t in "${TOOLS[@]}"; do
		have "${t%:*}" || missing+=("${t##*:}")
	done
	((${#missing[@]})) || return 0
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
		die_apt "missing packages ${missing[*]}: run scripts/install-deps.sh as root"
	fi
	say "installing ${missing[*]} with apt"
	export DEBIAN_FRONTEND=noninteractive
	# apt-get update may fail for one index (i386 security) and still be
	# good enough: judge by the install.
	apt-get update -qq -o DPkg::Lock::Timeout=120 >/dev/null 2>&1 ||
		say "warning: apt-get update reported errors; trying to install anyway"
	apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=120 \
		"${missing[@]}" >/dev/null 2>&1 ||
		die_apt "apt-get install ${missing[*]} failed"
	for t in "${TOOLS[@]}"; do
		have "${t%:*}" || die_apt "${t%:*} still missing after installing ${t##*:}"
	done
}

# ensure_guest : the kernel and initramfs exist (fetch-guest.sh exits 2 when
# apt cannot supply them: pass that on).
ensure_guest() {
	[[ -s $kernel && -s $initrd ]] && return 0
	say "no guest kernel/initramfs yet: running scripts/fetch-guest.sh"
	local rc=0
	bash "$src_dir/scripts/fetch-guest.sh" "$build_dir" || rc=$?
	((rc == 0)) || { ((rc == EXIT_APT)) && exit "$EXIT_APT"; die "fetch-guest.sh failed ($rc)"; }
	[[ -s $kernel && -s $initrd ]] || die "fetch-guest.sh did not produce $kernel and $initrd"
}

# inputs : the cache key, one line per input.
inputs() {
	local p
	sha256sum "$script" "$kernel" "$initrd" | awk '{ print $1, $2 }'
	for p in syslinux syslinux-common mtools dosfstools fdisk e2fsprogs grub-pc-bin; do
		echo "$p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo unknown)"
	done
}

# u16le / u64le VALUE : VALUE as little-endian bytes (printf escapes).
u16le() { printf '\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)); }
u64le() {
	local i s=
	for ((i = 0; i < 8; i++)); do s+=$(printf '\\x%02x' $(($1 >> (8 * i) & 255))); done
	printf '%s' "$s"
}
# poke FILE OFFSET BYTES : overwrite FILE at OFFSET with BYTES (printf escapes).
poke() {
	# shellcheck disable=SC2059 # BYTES is a printf format of escapes
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# new_disk IMG TYPE : a DISK_MIB raw image with an MBR partition table and one
# active partition of type TYPE from PART_START to the end.
new_disk() {
	rm -f "$1"
	truncate -s "${DISK_MIB}M" "$1"
	printf 'label: dos\nlabel-id: 0x50f7d15c\nstart=%d, type=%s, bootable\n' "$PART_START" "$2" |
		sfdisk --quiet --no-reread --no-tell-kernel "$1" >/dev/null ||
		die "sfdisk could not partition $1"
}

part_sectors() { echo $((DISK_MIB * 2048 - PART_START)); }

# build_syslinux IMG : FAT16 + syslinux. syslinux rather than extlinux: the
# extlinux installer only works on a mounted filesystem (it asks the kernel
# where ldlinux.sys landed), syslinux installs through mtools into the file.
# Both install the same ldlinux.sys core.
build_syslinux() {
	local img=$1 fat="$1@@$((PART_START * 512))" cfg
	new_disk "$img" e
	mkfs.fat -F 16 -n SOFTVT -i 50f7d15c -g "$GEOMETRY" -h "$PART_START" --offset "$PART_START" \
		"$img" $(($(part_sectors) / 2)) >/dev/null || die "mkfs.fat failed"
	cfg=$(mktemp "$out/syslinux.cfg.XXXXXX")
	cat >"$cfg" <<-'EOF'
		SERIAL 0 115200
		PROMPT 0
		TIMEOUT 0
		DEFAULT debian
		SAY SOFTVT-DISK: syslinux loading /vmlinuz and /initrd.gz
		LABEL debian
		  LINUX /vmlinuz
		  INITRD /initrd.gz
		  APPEND console=ttyS0 softvt.boot=syslinux
	EOF
	export MTOOLS_SKIP_CHECK=1
	mcopy -i "$fat" "$kernel" ::vmlinuz || die "mcopy into $img failed"
	mcopy -i "$fat" "$initrd" ::initrd.gz || die "mcopy into $img failed"
	mcopy -i "$fat" "$cfg" ::syslinux.cfg || die "mcopy into $img failed"
	rm -f "$cfg"
	syslinux --install --offset $((PART_START * 512)) "$img" || die "syslinux --install failed"
	mattrib -i "$fat" ::/ldlinux.sys 2>/dev/null | grep -q 'SHR' ||
		die "syslinux did not write ldlinux.sys"
	dd if="$SYSLINUX_DIR/mbr/mbr.bin" of="$img" bs=440 count=1 conv=notrunc status=none
}

# build_grub IMG : ext2 (mke2fs -d) + GRUB, installed by hand the way
# grub-install's setup step does it (grub-install itself wants the disk as a
# block device): boot.img's code in sector 0, core.img from sector 1.
build_grub() {
	local img=$1 tree part core sectors
	new_disk "$img" 83
	tree=$(mktemp -d "$out/grub-tree.XXXXXX")
	mkdir -p "$tree/boot/grub/i386-pc"
	cp "$kernel" "$tree/boot/vmlinuz"
	cp "$initrd" "$tree/boot/initrd.gz"
	cp "$GRUB_DIR"/*.mod "$GRUB_DIR"/*.lst "$tree/boot/grub/i386-pc/"
	cat >"$tree/boot/grub/grub.cfg" <<-'EOF'
		serial --unit=0 --speed=115200
		terminal_input serial console
		terminal_output serial console
		echo "SOFTVT-DISK: grub loading /boot/vmlinuz and /boot/initrd.gz"
		linux /boot/vmlinuz console=ttyS0 softvt.boot=grub
		initrd /boot/initrd.gz
		boot
	EOF
	part=$(mktemp "$out/grub-part.XXXXXX")
	mke2fs -q -F -t ext2 -L softvt -U 50f7d15c-0000-4000-8000-000000000000 \
		-E root_owner=0:0 -d "$tree" "$part" $(($(part_sectors) / 2))k ||
		die "mke2fs -d failed"
	dd if="$part" of="$img" bs=512 seek="$PART_START" conv=notrunc,sparse status=none
	rm -rf "$tree" "$part"

	# The prefix names the partition on the boot drive, whichever it is.
	core=$(mktemp "$out/core.img.XXXXXX")
	grub-mkimage -O i386-pc -d "$GRUB_DIR" -o "$core" -p '(,msdos1)/boot/grub' \
		biosdisk part_msdos ext2 normal serial terminal linux echo ||
		die "grub-mkimage failed"
	sectors=$((($(stat -c %s "$core") + 511) / 512))
	((sectors < PART_START - 1)) || die "core.img ($sectors sectors) does not fit before the partition"
	# core.img's first sector (diskboot.img) ends with a block list: start
	# LBA (8 bytes), count (2), load segment (2) of the rest of core.img.
	poke "$core" $((512 - 12)) "$(u64le 2)$(u16le $((sectors - 1)))"
	dd if="$core" of="$img" bs=512 seek=1 conv=notrunc status=none
	rm -f "$core"
	# boot.img: its code (not the partition table) into sector 0, then the
	# LBA of core.img at 0x5C, and the 2-byte jump at 0x66 that trusts DL
	# only for 0x80-0x8F made two NOPs (hard disk boot, as grub-setup does).
	dd if="$GRUB_DIR/boot.img" of="$img" bs=440 count=1 conv=notrunc status=none
	poke "$img" $((0x5c)) "$(u64le 1)"
	poke "$img" $((0x66)) '\x90\x90'
}

# loop_mount_ok : this host lets us loop-mount (root, extlinux, a free loop
# device) and the user did not forbid it (SOFTVT_DISK_NO_MOUNT=1); else says why.
loop_mount_ok() {
	if [[ -n ${SOFTVT_DISK_NO_MOUNT:-} ]]; then
		echo "SOFTVT_DISK_NO_MOUNT is set"
	elif [[ $EUID -ne 0 ]]; then
		echo "extlinux needs a mounted file system and mounting needs root"
	elif ! command -v extlinux >/dev/null; then
		echo "no extlinux (apt-get install extlinux)"
	elif ! losetup -f >/dev/null 2>&1; then
		echo "no free loop device"
	else
		return 0
	fi
	return 1
}

# build_extlinux IMG : ext2 (mke2fs -d) + extlinux, the installer the issue
# names; fails (status 1) only when the loop mount does. extlinux asks the kernel where ldlinux.sys landed (FIBMAP) and writes
# the volume boot record through the block device, so the partition is loop-
# mounted for the one `extlinux --install` command. The mount is undone on
# any exit. ext2's first 1 KiB is free for the boot record.
build_extlinux() {
	local img=$1 tree part msg
	new_disk "$img" 83
	tree=$(mktemp -d "$out/extlinux-tree.XXXXXX")
	mkdir -p "$tree/boot/syslinux"
	cp "$kernel" "$tree/boot/vmlinuz"
	cp "$initrd" "$tree/boot/initrd.gz"
	cat >"$tree/boot/syslinux/extlinux.conf" <<-'EOF'
		SERIAL 0 115200
		PROMPT 0
		TIMEOUT 0
		DEFAULT debian
		SAY SOFTVT-DISK: extlinux loading /boot/vmlinuz and /boot/initrd.gz
		LABEL debian
		  LINUX /boot/vmlinuz
		  INITRD /boot/initrd.gz
		  APPEND console=ttyS0 softvt.boot=extlinux
	EOF
	part=$(mktemp "$out/extlinux-part.XXXXXX")
	mke2fs -q -F -t ext2 -L softvt -U 50f7d15c-0000-4000-8000-000000000001 \
		-E root_owner=0:0 -d "$tree" "$part" $(($(part_sectors) / 2))k ||
		die "mke2fs -d failed"
	dd if="$part" of="$img" bs=512 seek="$PART_START" conv=notrunc,sparse status=none
	rm -rf "$tree" "$part"

	mnt=$(mktemp -d "$out/mnt.XXXXXX")
	trap 'umount "$mnt" 2>/dev/null; rmdir "$mnt" 2>/dev/null' EXIT
	if ! mount -o loop,offset=$((PART_START * 512)) "$img" "$mnt"; then
		rmdir "$mnt"
		trap - EXIT
		return 1
	fi
	msg=$(extlinux --install --heads "${GEOMETRY%/*}" --sectors "${GEOMETRY#*/}" \
		"$mnt/boot/syslinux" 2>&1) || die "extlinux --install failed: $msg"
	[[ -f $mnt/boot/syslinux/ldlinux.sys ]] || die "extlinux wrote no ldlinux.sys"
	umount "$mnt" || die "umount $mnt failed"
	rmdir "$mnt"
	trap - EXIT
	dd if="$SYSLINUX_DIR/mbr/mbr.bin" of="$img" bs=440 count=1 conv=notrunc status=none
}

ensure_tools
ensure_guest
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

key=$(inputs)
if [[ -s $out/debian.img && -s $out/debian-grub.img && -f $out/INPUTS ]] &&
	[[ $(cat "$out/INPUTS") == "$key" ]]; then
	say "cached in $out"
else
	rm -f "$out/INPUTS"
	say "building $out/debian.img (FAT16 + syslinux)"
	build_syslinux "$out/debian.img.new"
	mv -f "$out/debian.img.new" "$out/debian.img"
	say "building $out/debian-grub.img (ext2 + GRUB)"
	build_grub "$out/debian-grub.img.new"
	mv -f "$out/debian-grub.img.new" "$out/debian-grub.img"
	printf '%s\n' "$key" >"$out/INPUTS"
fi

# The extlinux image where loop mounting works; redone with the others.
images=(debian.img debian-grub.img)
if [[ -s $out/debian-extlinux.img && $out/debian-extlinux.img -nt $out/INPUTS ]]; then
	say "debian-extlinux.img cached"
	images+=(debian-extlinux.img)
elif why=$(loop_mount_ok); then
	say "building $out/debian-extlinux.img (ext2 + extlinux, loop-mounted once)"
	rm -f "$out/debian-extlinux.img"
	if build_extlinux "$out/debian-extlinux.img.new"; then
		mv -f "$out/debian-extlinux.img.new" "$out/debian-extlinux.img"
		images+=(debian-extlinux.img)
	else
		rm -f "$out/debian-extlinux.img.new"
		say "not building debian-extlinux.img: mount -o loop failed here"
	fi
else
	rm -f "$out/debian-extlinux.img"
	say "not building debian-extlinux.img: $why"
fi

for f in "${images[@]}"; do
	say "  $f: $DISK_MIB MiB, partition 1 at LBA $PART_START, $(sfdisk -l -o Type "$out/$f" 2>/dev/null | tail -n 1)"
done
