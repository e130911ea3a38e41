#!/bin/bash
# bad_disks.sh BUILD_DIR - ctest disk.bad_fixtures: scripts/make-bad-disks.sh
# makes the bad-input images the BIOS/IDE tests feed to softvt --disk, and
# each is bad in exactly the documented way (docs/DISK_IMAGE.md).
set -uo pipefail

build_dir=${1:?usage: bad_disks.sh BUILD_DIR}
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
failures=0
checks=0

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
u16() { od -An -v -t u2 --endian=little -j "$2" -N 2 "$1" | tr -d ' '; }

mapfile -t paths < <(bash "$src_dir/scripts/make-bad-disks.sh" "$build_dir")
check "make-bad-disks.sh lists 4 images" test "${#paths[@]}" -eq 4
bad=$build_dir/disk/bad
check "the paths it prints are the documented ones" test "${paths[*]}" = \
	"$bad/no-signature.img $bad/odd-size.img $bad/empty.img $bad/missing.img"
img=$bad/no-signature.img
check "no-signature.img: 1 MiB" test "$(stat -c %s "$img" 2>/dev/null)" = 1048576
check "no-signature.img: no 0xAA55 at 510" test "$(u16 "$img" 510)" -ne $((0xaa55))
check "no-signature.img: an active partition entry (it looks like an MBR otherwise)" \
	test "$(od -An -t u1 -j 446 -N 1 "$img" | tr -d ' ')" -eq 128
img=$bad/odd-size.img
check "odd-size.img: 1000 bytes, not a multiple of 512" test "$(stat -c %s "$img" 2>/dev/null)" = 1000
check "odd-size.img: otherwise a valid boot sector (0xAA55 at 510)" test "$(u16 "$img" 510)" -eq $((0xaa55))
check "odd-size.img: its code prints its line" grep -aq "SOFTVT-DISK: odd-size.img boot sector ran" "$img"
check "no-signature.img: its code prints the FAIL line" \
	grep -aq "SOFTVT-DISK: FAIL: the BIOS ran a sector without 0xAA55" "$bad/no-signature.img"
check "empty.img: 0 bytes" test -f "$bad/empty.img" -a ! -s "$bad/empty.img"
check "missing.img does not exist" test ! -e "$bad/missing.img"

echo "$((checks - failures)) passed, $failures failed"
((failures == 0))
