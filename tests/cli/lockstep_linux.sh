#!/usr/bin/env bash
# lockstep_linux.sh SOFTVT BUILD_DIR - engine bt's lockstep check on the first
# seconds of the Debian kernel: once the kernel turns paging on (after the XZ
# decompressor, which runs with paging off) every translated instruction also
# runs in the interpreter; after 40 s the run is stopped (--timeout) and must
# report zero differences over at least two million checked instructions (the
# kernel's early set-up; `softvt run --accel bt --lockstep=paging` without a
# timeout checks the whole boot, at about a million instructions a second).
set -u
softvt=$1
build=$2
kernel=$build/guest/vmlinuz-686
initrd=$build/guest/initramfs.cpio.gz
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
	echo "SKIP: no default guest in $build/guest (make guest)"
	exit 77
fi
if ! "$softvt" info | grep -q "^  bt  *available"; then
	echo "SKIP: engine bt cannot run here: $("$softvt" info | grep '^  bt')"
	exit 77
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$softvt" run --accel bt --lockstep=paging --stats --timeout 40 --kernel "$kernel" \
	--initrd "$initrd" --append console=ttyS0 </dev/null >"$log" 2>&1
rc=$?
grep -E "lockstep|error" "$log"
echo "kernel lines printed: $(grep -c '^\[' "$log")"
if [ $rc -ne 124 ]; then
	echo "FAIL: expected the --timeout stop (124), got exit status $rc"
	tail -5 "$log"
	exit 1
fi
checked=$(sed -En 's/.*bt lockstep +([0-9]+) instructions checked.*/\1/p' "$log")
if ! grep -qE "bt lockstep +[0-9]+ instructions checked against the interpreter, 0 differences" "$log" ||
	[ "${checked:-0}" -lt 2000000 ]; then
	echo "FAIL: the lockstep check did not run clean over at least a million instructions"
	exit 1
fi
echo "PASS: $checked instructions of the Linux boot checked, 0 differences"
