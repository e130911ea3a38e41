#!/usr/bin/env bash
# Disk writes: the BIOS test disk (guests/biostest) writes sectors 130 (INT 13h
# AH=03h, words C3A5h) and 200 (AH=43h, words 5A5Ah). Without --snapshot the
# writes must be in the image file when softvt has exited; with --snapshot the
# file must be unchanged. Usage: disk_write.sh SOFTVT_BINARY BUILD_DIR
set -u
softvt=$1
build=$2
image=$build/guests/biostest.img
if [[ ! -f $image ]]; then
	echo "SKIP: $image was not built (nasm missing?)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

word_at() {   # FILE SECTOR OFFSET: the 16-bit word there, in hex
	od -A n -t x2 -j $(($2 * 512 + $3)) -N 2 "$1" | tr -d ' '
}

cp "$image" "$tmp/disk.img"
"$softvt" run --accel interp --disk "$tmp/disk.img" --memory 64M --serial none \
	--debugcon file:"$tmp/out" --timeout 60
rc=$?
if [[ $rc -ne 0 ]]; then
	echo "FAIL: biostest exited with $rc"
	tail -5 "$tmp/out"
	fail=1
fi
for check in "130 0 c3a5" "130 510 c3a5" "200 100 5a5a"; do
	set -- $check
	got=$(word_at "$tmp/disk.img" "$1" "$2")
	if [[ $got != "$3" ]]; then
		echo "FAIL: sector $1 offset $2 holds $got after the run, expected $3 (the write is lost)"
		fail=1
	else
		echo "ok: sector $1 offset $2 = $got in the file"
	fi
done

cp "$image" "$tmp/snap.img"
"$softvt" run --accel interp --disk "$tmp/snap.img" --snapshot --memory 64M --serial none \
	--debugcon none --timeout 60
if ! cmp -s "$image" "$tmp/snap.img"; then
	echo "FAIL: --snapshot modified the image"
	fail=1
else
	echo "ok: --snapshot left the image unchanged"
fi
exit $fail
