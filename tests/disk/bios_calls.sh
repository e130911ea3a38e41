#!/bin/bash
# bios_calls.sh BUILD_DIR - ctest disk.bios_calls.qemu: scripts/bios-calls-qemu.sh
# traces debian.img's boot chain under QEMU and finds what every syslinux boot
# of a Linux kernel must call: the MBR's and the boot record's LBA reads
# (INT 13h AH=42h), the loader's and Linux setup's memory map (INT 15h
# E820h), Linux setup's output (INT 10h AH=0Eh). Exits 77 without gdb/QEMU.
set -uo pipefail

build_dir=${1:?usage: bios_calls.sh BUILD_DIR}
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
image=$build_dir/disk/debian.img
[[ -s $image ]] || { echo "FAIL: no $image (disk.image.build makes it)"; exit 1; }
table=$(bash "$src_dir/scripts/bios-calls-qemu.sh" "$image")
rc=$?
echo "$table"
((rc == 77)) && exit 77
((rc == 0)) || { echo "FAIL: bios-calls-qemu.sh exited $rc"; exit 1; }
failures=0
for row in "mbr | INT 13h AH=42h" "bootsector | INT 13h AH=42h" "loader | INT 13h AH=42h" \
	"loader | INT 15h AX=E820h" "linux-setup | INT 15h AX=E820h" "linux-setup | INT 10h AH=0Eh"; do
	if grep -qF "| $row | " <<<"$table"; then
		echo "ok: $row"
	else
		echo "FAIL: no $row row"
		failures=$((failures + 1))
	fi
done
((failures == 0))
