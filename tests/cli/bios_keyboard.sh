#!/usr/bin/env bash
# Keys from the serial console reach INT 16h: guests/biostest/keys.asm boots
# through the BIOS and prints the AX of each key INT 16h AH=00h returns (after
# AH=01h saw the same key); the bytes are piped into COM1 through stdin.
# Usage: bios_keyboard.sh SOFTVT_BINARY BUILD_DIR
set -u
softvt=$1
build=$2
image=$build/guests/biostest-keys.img
if [[ ! -f $image ]]; then
	echo "SKIP: $image was not built (nasm missing?)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for engine in interp bt kvm; do
	# kvm only where /dev/kvm can run 32-bit guests (the probe's reason otherwise)
	if [[ $engine == kvm ]] && ! why=$("$softvt" info --engine kvm); then
		echo "skip: $why"
		continue
	fi
	# a, Z, CR, DEL, TAB, ESC, ^C, then the VT100 sequences for up, left, page down,
	# delete, home, F2, and an ESC followed by x; q ends: scan code and ASCII as a PC
	# keyboard gives them
	printf 'aZ\r\x7f\t\x1b\x03\x1b[A\x1b[D\x1b[6~\x1b[3~\x1b[H\x1bOQ\x1bxq' |
		"$softvt" run --accel $engine --disk "$image" --snapshot \
		--serial stdio --debugcon file:"$tmp/out" --timeout 30 >"$tmp/serial"
	rc=$?
	want=$'1e61\n2c5a\n1c0d\n0e08\n0f09\n011b\n2e03\n4800\n4b00\n5100\n5300\n4700\n3c00\n011b\n2d78\n1071'
	got=$(cat "$tmp/out")
	if [[ $rc -ne 0 || $got != "$want" ]]; then
		echo "FAIL ($engine): exit $rc, keys:"
		diff <(echo "$want") <(echo "$got")
		fail=1
	else
		echo "ok: $engine: 16 keys from COM1 through INT 16h"
	fi
done
exit $fail
