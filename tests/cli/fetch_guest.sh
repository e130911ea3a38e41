#!/bin/bash
# fetch_guest.sh SOFTVT BUILD_DIR - ctest cli.fetch_guest: the default Linux
# guest (guests/linux/README.md) builds and is what the boot code expects.
#
# Runs scripts/fetch-guest.sh BUILD_DIR (instant once cached; the first run
# downloads about 105 MB of Debian packages), runs it again to check the cache,
# then checks the outputs in BUILD_DIR/guest:
#   vmlinuz-686, vmlinuz-686-pae  bzImages: 0xAA55 at 0x1FE, "HdrS" at 0x202,
#       boot protocol >= 2.06 at 0x206, LOADED_HIGH, and a version string
#       (Linux boot protocol, Documentation/x86/boot.rst) naming the flavour
#       and the package in VERSION
#   initramfs.cpio.gz  gzip of one newc cpio, all entries owned 0:0, holding an
#       executable /init equal to guests/linux/init, /bin/busybox (an ELF32
#       i386 static executable: ET_EXEC, no PT_INTERP/PT_DYNAMIC), symlinks for
#       the applets /init runs before its `busybox --install -s`, /dev/console
#       (char 5,1), the mount points and /etc/passwd; and, when the build made
#       them (BUILD_DIR/linux-progs), /bin/softvt-progs with its program links.
# Exits 77 only when the guest was never built because apt could not supply
# the packages (fetch-guest.sh exit status 2).
set -uo pipefail

build_dir=$(mkdir -p "${2:?usage: fetch_guest.sh SOFTVT BUILD_DIR}" && cd "$2" && pwd)
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
guest=$build_dir/guest
failures=0
checks=0

# Applets guests/linux/init runs before it has installed the others.
readonly INIT_APPLETS=(sh mount mkdir echo uname hostname setsid cttyhack poweroff)

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

# u8/u16/u32 FILE OFFSET : little-endian unsigned integer at OFFSET.
u8() { od -An -v -t u1 -j "$2" -N 1 "$1" | tr -d ' '; }
u16() { od -An -v -t u2 --endian=little -j "$2" -N 2 "$1" | tr -d ' '; }
u32() { od -An -v -t u4 --endian=little -j "$2" -N 4 "$1" | tr -d ' '; }
bytes_at() { dd if="$1" bs=1 skip="$2" count="$3" status=none; }
# cstring FILE OFFSET : the NUL-terminated string at OFFSET (up to 256 bytes).
cstring() { bytes_at "$1" "$2" 256 | tr '\0' '\n' | head -n 1; }

fetch_log=$(mktemp)
trap 'rm -rf "$fetch_log" "${tree:-}"' EXIT
bash "$src_dir/scripts/fetch-guest.sh" "$build_dir" >"$fetch_log" 2>&1
rc=$?
cat "$fetch_log"
if ((rc == 2)); then
	if [[ ! -f $guest/initramfs.cpio.gz || ! -f $guest/vmlinuz-686 || ! -f $guest/vmlinuz-686-pae ]]; then
		echo "SKIP: apt could not supply the guest packages (fetch-guest.sh exit 2, see above)"
		exit 77
	fi
	echo "note: apt unreachable, checking the outputs of an earlier build"
elif ((rc != 0)); then
	echo "FAIL: fetch-guest.sh exited $rc"
	exit 1
else
	bash "$src_dir/scripts/fetch-guest.sh" "$build_dir" >"$fetch_log" 2>&1
	check "a second run exits 0 and reports the cache" grep -q "^guest: cached in " "$fetch_log"
fi
for f in VERSION vmlinuz-686 vmlinuz-686-pae initramfs.cpio.gz; do
	if [[ ! -s $guest/$f ]]; then
		echo "FAIL: no $guest/$f"
		exit 1
	fi
done

# ---- kernels ----
check "VERSION names three i386 packages" test "$(grep -c ':i386 [0-9]' "$guest/VERSION")" -eq 3
for flavour in 686 686-pae; do
	k=$guest/vmlinuz-$flavour
	check "vmlinuz-$flavour: boot flag 0xAA55 at 0x1FE" test "$(u16 "$k" $((0x1fe)))" -eq $((0xaa55))
	check "vmlinuz-$flavour: \"HdrS\" at 0x202" test "$(bytes_at "$k" $((0x202)) 4)" = HdrS
	proto=$(u16 "$k" $((0x206)))
	check "vmlinuz-$flavour: boot protocol $(printf '%d.%02d' $((proto >> 8)) $((proto & 255))) >= 2.06" \
		test "$proto" -ge $((0x206))
	check "vmlinuz-$flavour: LOADED_HIGH (protected-mode code at 1 MiB)" \
		test $(($(u8 "$k" $((0x211))) & 1)) -eq 1
	version=$(cstring "$k" $(($(u16 "$k" $((0x20e))) + 0x200)))
	release=${version%% *}
	echo "     version string: $version"
	check "vmlinuz-$flavour: kernel release '$release' is the $flavour flavour" \
		test "${release#*-*-}" = "$flavour"
	check "vmlinuz-$flavour: VERSION lists linux-image-$release" \
		grep -q "^linux-image-$release:i386 " "$guest/VERSION"
done
check "the two kernels differ" bash -c "! cmp -s '$guest/vmlinuz-686' '$guest/vmlinuz-686-pae'"

# ---- initramfs ----
initrd=$guest/initramfs.cpio.gz
check "initramfs: gzip magic 1f 8b" test "$(od -An -t x1 -N 2 "$initrd" | tr -d ' ')" = 1f8b
check "initramfs: gzip stream is intact" gzip -t "$initrd"
check "initramfs: starts with a newc header (070701)" \
	test "$(gzip -dc "$initrd" | head -c 6)" = 070701
listing=$(gzip -dc "$initrd" | cpio -itv --quiet --numeric-uid-gid -H newc)
rc=$?
check "initramfs: cpio lists it without error ($(wc -l <<<"$listing") entries)" test "$rc" -eq 0
check "initramfs: every entry owned by 0:0" \
	test -z "$(awk '$3 != 0 || $4 != 0' <<<"$listing")"
check "initramfs: /dev/console is char device 5,1" \
	grep -Eq '^c[-rwx]{9} +[0-9]+ +0 +0 +5, +1 .* dev/console$' <<<"$listing"

tree=$(mktemp -d)
(cd "$tree" && gzip -dc "$initrd" | cpio -idm --quiet --no-absolute-filenames -H newc 2>/dev/null)
check "initramfs: /init is an executable file" test -f "$tree/init" -a -x "$tree/init"
check "initramfs: /init is guests/linux/init" cmp -s "$tree/init" "$src_dir/guests/linux/init"
check "initramfs: /init starts with #!/bin/busybox sh" test "$(head -n 1 "$tree/init")" = "#!/bin/busybox sh"
for dir in proc sys dev tmp root etc bin sbin; do
	check "initramfs: /$dir is a directory" test -d "$tree/$dir" -a ! -L "$tree/$dir"
done
check "initramfs: /etc/passwd has root with /bin/sh" grep -q '^root:x:0:0:.*:/bin/sh$' "$tree/etc/passwd"

bb=$tree/bin/busybox
check "initramfs: /bin/busybox is an executable file" test -f "$bb" -a -x "$bb"
if [[ -f $bb ]]; then
	check "busybox: ELF magic" test "$(bytes_at "$bb" 0 4 | od -An -t x1 | tr -d ' ')" = 7f454c46
	check "busybox: ELFCLASS32, little endian" test "$(u8 "$bb" 4)$(u8 "$bb" 5)" = 11
	check "busybox: ET_EXEC (not PIE, not a library)" test "$(u16 "$bb" 16)" -eq 2
	check "busybox: EM_386" test "$(u16 "$bb" 18)" -eq 3
	phoff=$(u32 "$bb" 28)
	phentsize=$(u16 "$bb" 42)
	phnum=$(u16 "$bb" 44)
	dynamic=0
	for ((i = 0; i < phnum; i++)); do
		type=$(u32 "$bb" $((phoff + i * phentsize)))
		((type == 2 || type == 3)) && dynamic=1
	done
	check "busybox: $phnum program headers, none PT_DYNAMIC or PT_INTERP (static)" \
		test "$phnum" -gt 0 -a "$dynamic" -eq 0
fi
for applet in "${INIT_APPLETS[@]}"; do
	link=
	for dir in bin sbin usr/bin usr/sbin; do
		[[ -L $tree/$dir/$applet ]] && link=$tree/$dir/$applet
	done
	check "initramfs: applet link for '$applet' -> /bin/busybox" \
		test -n "$link" -a "$(readlink "${link:-/nonexistent}" 2>/dev/null)" = /bin/busybox
done

# The user programs (guests/linux/progs), when this build made them.
if [[ -x $build_dir/linux-progs/softvt-progs ]]; then
	check "initramfs: /bin/softvt-progs is an executable i386 ELF" \
		test -x "$tree/bin/softvt-progs" -a "$(u16 "$tree/bin/softvt-progs" 18 2>/dev/null)" = 3
	for prog in cpu_loop getpid forkwait pgfault kmemread hostile ufaults; do
		check "initramfs: /bin/$prog -> softvt-progs" test "$(readlink "$tree/bin/$prog")" = softvt-progs
	done
else
	echo "note: $build_dir/linux-progs/softvt-progs was not built: the initramfs has no user programs"
fi

passed=$((checks - failures))
echo "$passed passed, $failures failed"
((failures == 0))
