#!/bin/bash
# fuzz_direct_smoke.sh SOFTVT BUILD_DIR - 20 seconds of scripts/fuzz-direct.sh.
#
# Random guest USER code run directly on the CPU (engine bt, --user
# direct) and under the interpreter (tests/fuzz/fuzz_direct.h): fails on
# any difference of the final states outside the accepted ones, a monitor
# crash, a hang, a host system call (/proc/self/io counters, the process
# ending without libFuzzer's report), a translated-code access beyond the
# guest window or a sanitizer report. The seed corpus runs first, with the
# regression seeds of the bugs the fuzzer found. Skips (exit 77, with the
# reason) when clang-14, libFuzzer, nasm or Zydis is missing or engine bt
# or direct execution cannot run on this host. The fuzzer, its corpus and
# any reproducer go to BUILD_DIR/fuzz-direct.
set -uo pipefail

build_dir=${2:?usage: fuzz_direct_smoke.sh SOFTVT BUILD_DIR}
src_dir=$(dirname "$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")")

skip() { echo "skip: $*"; exit 77; }

[[ $(uname -m) == x86_64 ]] || skip "direct execution needs an x86-64 host"
command -v clang-14 >/dev/null || skip "clang-14 is not installed (apt-get install clang-14)"
command -v nasm >/dev/null || skip "nasm is not installed (apt-get install nasm)"
[[ -f /usr/include/Zydis/Zydis.h ]] || skip "Zydis development files are missing (apt-get install libzydis-dev)"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }' >"$probe/p.c"
clang-14 -fsanitize=fuzzer,undefined "$probe/p.c" -o "$probe/p" 2>/dev/null ||
	skip "clang-14 cannot link libFuzzer with UBSan (apt-get install libclang-rt-14-dev)"

"$src_dir/scripts/fuzz-direct.sh" 20 "$build_dir/fuzz-direct"
status=$?
case $status in
0) exit 0 ;;
2) skip "scripts/fuzz-direct.sh reports a missing tool" ;;
3) skip "engine bt or direct execution cannot run on this host (see the message above)" ;;
*) exit 1 ;;
esac
