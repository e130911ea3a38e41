#!/bin/bash
# make-bad-disks.sh [BUILD_DIR] - the bad-input disk images for the BIOS and
# IDE tests (docs/DISK_IMAGE.md#bad-input-fixtures): softvt must refuse or
# report each of them clearly, never crash. Outputs in BUILD_DIR/disk/bad
# (BUILD_DIR defaults to ./build), rewritten on every run (they are tiny):
#   no-signature.img  1 MiB: a partition table and code, but bytes 510-511 are
#                     not 55 AA, so the BIOS must not boot sector 0
#   odd-size.img      1000 bytes: not a whole number of 512-byte sectors
#   empty.img         0 bytes: no sector 0 at all
#   missing.img       guaranteed NOT to exist (a missing --disk file)
# Prints each path; exit status 0, or 1 if a file could not be written.
set -euo pipefail

build_dir=${1:-./build}
bad=$build_dir/disk/bad
mkdir -p "$bad"

# no-signature.img: sector 0 looks like an MBR (a JMP $ loop as code, one
# active partition entry) except for the missing 0xAA55 boot signature.
img=$bad/no-signature.img
rm -f "$img"
truncate -s 1M "$img"
printf '\xeb\xfe' | dd of="$img" bs=1 conv=notrunc status=none
printf '\x80\x20\x21\x00\x83\x41\x04\x00\x00\x08\x00\x00\x00\x00\x00\x00' |
	dd of="$img" bs=1 seek=446 conv=notrunc status=none

img=$bad/odd-size.img
head -c 1000 /dev/zero | tr '\0' '\xf6' >"$img"

img=$bad/empty.img
: >"$img"

rm -f "$bad/missing.img"

for f in no-signature odd-size empty missing; do
	printf '%s/%s.img\n' "$bad" "$f"
done
