#!/bin/bash
# hostile_native.sh BUILD_DIR - ctest linux.user.hostile-native: the hostile
# program run natively on the host, as a 32-bit process, DOES reach the host
# kernel - the proof that the attempts the guest tests (user_hostile.sh) see
# fail are real attacks and not broken code. With fd 9 on a marker file:
#   - INT 0x80, the gate to 64-bit mode (selector 0x33 + SYSCALL) and the jump
#     to a `syscall; ret` of its own from 64-bit mode (libcjump self) each
#     write their marker, create /tmp/softvt-hostile-MODE-TAG, exec a shell
#     that creates /tmp/softvt-hostile-exec-MODE-TAG, and exit with 42;
#   - SYSENTER and 32-bit SYSCALL: on this CPU one of them is #UD in
#     compatibility mode (SIGILL; SYSENTER on AMD, SYSCALL on Intel), the other
#     enters the host kernel: at least one of the two must write its marker.
# Exits 77 if the programs were not built or the host cannot run i386 code.
set -uo pipefail
build_dir=$(cd "${1:?usage: hostile_native.sh BUILD_DIR}" && pwd)
hostile=$build_dir/linux-progs/hostile
[[ -x $hostile ]] || { echo "SKIP: no $hostile (gcc -m32 -static could not build it)"; exit 77; }
"$hostile" probe >/dev/null 2>&1 || { echo "SKIP: this host cannot run i386 programs"; exit 77; }
tag=native-$$
marker=$(mktemp /tmp/softvt-marker.XXXXXX)
trap 'rm -f "$marker" /tmp/softvt-hostile-*-"$tag"' EXIT
failures=0
check() {
	local what=$1
	shift
	if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}

out=$("$hostile" -t "$tag" all self 9>>"$marker" 2>&1)
echo "$out"
echo "marker file:"
cat "$marker"
check "hostile ran every attempt" grep -qx "HOSTILE done" <<<"$out"
for mode in int80 gate64 libcjump; do
	check "$mode: the host got the write" grep -qx "SOFTVT-HOSTILE-MARKER $mode $tag" "$marker"
	check "$mode: the host created /tmp/softvt-hostile-$mode-$tag" test -e "/tmp/softvt-hostile-$mode-$tag"
	check "$mode: the host ran the shell" test -e "/tmp/softvt-hostile-exec-$mode-$tag"
	check "$mode: the host exit_group(42) ended the child" grep -qx "HOSTILE $mode exit: status exit=42" <<<"$out"
done
check "SYSENTER or SYSCALL reached the host" grep -qE "^SOFTVT-HOSTILE-MARKER (sysenter|syscall) $tag$" "$marker"
if ((failures)); then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all checks passed"
