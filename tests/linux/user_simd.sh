#!/bin/bash
# user_simd.sh BUILD_DIR ENGINE [SOFTVT OPTION...] - ctest linux.user.simd.*:
# the guest kernel keeps each process's SIMD registers (guests/linux/progs/
# simdstate.c: XMM, and YMM / ZMM + opmask where the CPU the program sees
# has them, across context switches between two processes and around a
# signal handler).
#   - simdstate exits 0 and prints no FAIL line, under every engine;
#   - where guest user code runs natively (--user direct, --accel naive) it
#     sees the host's CPUID, so it must check every register set it checks
#     natively on this host (the same "ok" lines), and the guest kernel must
#     have been told about that state: /proc/cpuinfo shows xsave (and avx,
#     avx512f) when the host's run checked YMM (ZMM). This is issue 5 item 7,
#     the virtual CPUID consistent with what user code sees; without it the
#     guest kernel does not save the AVX state and the YMM check fails.
#   - the shell answers afterwards and the VM exits 0.
set -uo pipefail
# shellcheck source=user-common.sh
source "$(dirname "$0")/user-common.sh"
export LOG_TAG=user-simd-$name
user_run 'simdstate 100' 'grep -m1 ^flags /proc/cpuinfo' 'echo alive'

check "the guest booted, the commands ran and the VM exited 0 after poweroff" test "$rc" -eq 0
check "simdstate exited 0" test "$(status_of 'simdstate 100')" = 0
check "no FAIL line" test "$(grep -c '^simdstate: FAIL' <<<"$out")" -eq 0
if [[ " $SOFTVT_ARGS " == *" --user direct "* || $engine == naive ]]; then
	native=$("$build_dir/linux-progs/softvt-progs" simdstate 5 | sed 's/ (.*//')
	guest=$(grep '^simdstate: .* ok' <<<"$out" | sed 's/ (.*//')
	check "the register sets checked natively on this host are checked in the guest:
$native" test "$native" = "$guest"
	flags=$(grep '^flags' <<<"$out")
	if grep -q 'ymm0-7' <<<"$native"; then
		check "the guest kernel was told about XSAVE and AVX (/proc/cpuinfo)" \
			grep -qw avx <<<"$flags"
		check "... and xsave" grep -qw xsave <<<"$flags"
	fi
	if grep -q 'zmm0-7' <<<"$native"; then
		check "... and avx512f" grep -qw avx512f <<<"$flags"
	fi
fi
check "the shell answers afterwards" has alive
finish
