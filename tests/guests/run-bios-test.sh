#!/usr/bin/env bash
# run-bios-test.sh ENGINE IMAGE EXPECTED_FILE SOFTVT_BINARY
#
# Boots the BIOS test disk (guests/biostest) through the softvt BIOS with
# `--disk IMAGE --snapshot` on a 64 MiB machine and checks it: the debug
# console (port 0xE9) must equal EXPECTED_FILE byte for byte, the exit code
# (port 0xF4) must be 0, the teletype line must have reached COM1, and the
# image must be unchanged (the test writes sectors; --snapshot keeps them
# in memory). ENGINE: interp, bt, kvm (skipped with the probe's reason where
# /dev/kvm cannot run 32-bit guests). Exit status: 0 pass, 1 fail, 77 skip.
set -u

if [ $# -lt 4 ]; then
	echo "usage: $0 ENGINE IMAGE EXPECTED_FILE SOFTVT_BINARY" >&2
	exit 2
fi
engine=$1
image=$2
expected=$3
softvt=$4

# shellcheck source=../../scripts/lib/engine.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/engine.sh"
engine_skip_unless_ready "$softvt" "$engine"

if [ ! -f "$image" ]; then
	echo "FAIL: $image was not built"
	exit 1
fi
out=$(mktemp "${TMPDIR:-/tmp}/softvt-bios.XXXXXX")
serial=$(mktemp "${TMPDIR:-/tmp}/softvt-bios-serial.XXXXXX")
trap 'rm -f "$out" "$serial"' EXIT
sum_before=$(md5sum < "$image")

"$softvt" run --accel "$engine" --disk "$image" --snapshot --memory 64M \
	--serial file:"$serial" --debugcon file:"$out" --timeout 60
rc=$?

fail=0
if ! diff -u "$expected" "$out"; then
	echo "FAIL: the debug-console output differs from $expected"
	fail=1
fi
if [ $rc -ne 0 ]; then
	echo "FAIL: softvt exited with $rc (0 expected: every check passed)"
	fail=1
fi
if ! grep -q "biostest: teletype reaches COM1" "$serial"; then
	echo "FAIL: the INT 10h teletype output did not reach COM1; serial output:"
	cat "$serial"
	fail=1
fi
if [ "$(md5sum < "$image")" != "$sum_before" ]; then
	echo "FAIL: --snapshot did not keep the image unchanged"
	fail=1
fi
[ $fail -eq 0 ] && echo "PASS: biostest under $engine"
exit $fail
