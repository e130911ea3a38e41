#!/bin/bash
# bad_qemu.sh BUILD_DIR - ctest disk.bad.qemu: the reference for the bad-input
# disks (scripts/make-bad-disks.sh): what QEMU's firmware (SeaBIOS) does with
# each, for softvt's BIOS to be compared with (docs/DISK_IMAGE.md):
#   no-signature.img  "Boot failed: not a bootable disk" (sector 0 is read but
#                     not run: no 0xAA55, and its code's line never appears)
#   empty.img         "Boot failed: could not read the boot disk"
#   odd-size.img      its boot sector runs and prints its line: QEMU reads the
#                     1000 bytes as a disk whose last sector is cut short
# Exits 77 without qemu-system-i386.
set -uo pipefail

build_dir=${1:?usage: bad_qemu.sh BUILD_DIR}
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
qemu=${QEMU:-qemu-system-i386}
command -v "$qemu" >/dev/null || { echo "SKIP: $qemu not found"; exit 77; }
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/console.sh
source "$src_dir/scripts/lib/console.sh"
bash "$src_dir/scripts/make-bad-disks.sh" "$build_dir" >/dev/null || { echo "FAIL: make-bad-disks.sh"; exit 1; }
bad=$build_dir/disk/bad
failures=0

# firmware_says IMG PATTERN : boot IMG in QEMU; PATTERN must appear on the
# console after the firmware tried the hard disk, within 20 s, and never the
# line no-signature.img's code prints if it is run.
firmware_says() {
	local img=$1 pattern=$2 name
	name=$(basename "$img")
	console_start "$build_dir/disk/bad/qemu-${name%.img}.log" \
		"$qemu" -nographic -no-reboot -m 64 -net none -drive "file=$img,format=raw,snapshot=on"
	if ! wait_for "$log" 0 "Booting from Hard Disk" 30; then
		echo "FAIL: $name: the firmware never tried the hard disk"
		failures=$((failures + 1))
	elif ! wait_for "$log" 0 "$pattern" 20; then
		echo "FAIL: $name: no '$pattern' within 20 s"
		failures=$((failures + 1))
	elif grep -aq "SOFTVT-DISK: FAIL" "$log"; then
		echo "FAIL: $name: $(grep -a "SOFTVT-DISK: FAIL" "$log" | tr -d '\r')"
		failures=$((failures + 1))
	else
		echo "ok: $name: '$pattern'"
	fi
	console_stop
}

firmware_says "$bad/no-signature.img" "Boot failed: not a bootable disk"
firmware_says "$bad/empty.img" "Boot failed: could not read the boot disk"
firmware_says "$bad/odd-size.img" "SOFTVT-DISK: odd-size.img boot sector ran"
echo "$((3 - failures)) passed, $failures failed"
((failures == 0))
