#!/bin/bash
# make-bad-disks.sh [BUILD_DIR] - the bad-input disk images for the BIOS and
# IDE tests (docs/DISK_IMAGE.md#bad-input-fixtures): softvt must refuse or
# report each of them clearly, never crash. Outputs in BUILD_DIR/disk/bad
# (BUILD_DIR defaults to ./build), rewritten on every run (they are tiny):
#   no-signature.img  1 MiB: a partition table and code, but bytes 510-511 are
#                     not 55 AA, so the BIOS must not boot sector 0; if it
#                     does, the code prints "SOFTVT-DISK: FAIL: the BIOS ran
#                     a sector without 0xAA55" on COM1 and halts
#   odd-size.img      1000 bytes: not a whole number of 512-byte sectors;
#                     sector 0 is a valid boot sector that prints
#                     "SOFTVT-DISK: odd-size.img boot sector ran" on COM1 and
#                     halts, so the size is its only fault
#   empty.img         0 bytes: no sector 0 at all
#   missing.img       guaranteed NOT to exist (a missing --disk file)
# Prints each path; exit status 0, or 1 if a file could not be written.
set -euo pipefail

build_dir=${1:-./build}
bad=$build_dir/disk/bad
mkdir -p "$bad"

# boot_code IMG MESSAGE : 16-bit code at the start of IMG that writes MESSAGE
# (and CR LF) to COM1's data port (0x3F8), then halts:
#	xor ax,ax; mov ds,ax; mov si,0x7C16; mov dx,0x3F8
#   1:	lodsb; test al,al; jz 2f; out dx,al; jmp 1b
#   2:	cli; hlt; jmp 2b (to the hlt)
# followed by MESSAGE at offset 0x16.
boot_code() {
	{
		printf '\x31\xc0\x8e\xd8\xbe\x16\x7c\xba\xf8\x03'
		printf '\xac\x84\xc0\x74\x03\xee\xeb\xf8\xfa\xf4\xeb\xfd'
		printf '%s\r\n\0' "$2"
	} | dd of="$1" bs=1 conv=notrunc status=none
}

# no-signature.img: sector 0 looks like an MBR (code, one active partition
# entry) except for the missing 0xAA55 boot signature. Its code prints a
# line a test can look for: a BIOS must never run it.
img=$bad/no-signature.img
rm -f "$img"
truncate -s 1M "$img"
boot_code "$img" "SOFTVT-DISK: FAIL: the BIOS ran a sector without 0xAA55"
printf '\x80\x20\x21\x00\x83\x41\x04\x00\x00\x08\x00\x00\x00\x00\x00\x00' |
	dd of="$img" bs=1 seek=446 conv=notrunc status=none

# odd-size.img: a valid boot sector (0xAA55) whose code prints a line, so
# that its size is the only thing wrong with it.
img=$bad/odd-size.img
head -c 1000 /dev/zero >"$img"
boot_code "$img" "SOFTVT-DISK: odd-size.img boot sector ran"
printf '\x55\xaa' | dd of="$img" bs=1 seek=510 conv=notrunc status=none

img=$bad/empty.img
: >"$img"

rm -f "$bad/missing.img"

for f in no-signature odd-size empty missing; do
	printf '%s/%s.img\n' "$bad" "$f"
done
