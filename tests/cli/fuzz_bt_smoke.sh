#!/bin/bash
# fuzz_bt_smoke.sh SOFTVT BUILD_DIR - 20 seconds of scripts/fuzz-bt.sh.
#
# Random ring-0 guest code under engine bt and under the interpreter
# (tests/fuzz/fuzz_bt.c): fails on any difference of the final states, a
# crash, a hang, a translated-code access beyond the guest window or a
# sanitizer report; skips (exit 77, with the reason) when clang-14,
# libFuzzer, nasm or Zydis is missing or engine bt cannot run on this host.
# The fuzzer, its corpus and any reproducer go to BUILD_DIR/fuzz-bt.
set -uo pipefail

build_dir=${2:?usage: fuzz_bt_smoke.sh SOFTVT BUILD_DIR}
src_dir=$(dirname "$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")")

skip() { echo "skip: $*"; exit 77; }

[[ $(uname -m) == x86_64 ]] || skip "engine bt needs an x86-64 host"
command -v clang-14 >/dev/null || skip "clang-14 is not installed (apt-get install clang-14)"
command -v nasm >/dev/null || skip "nasm is not installed (apt-get install nasm)"
[[ -f /usr/include/Zydis/Zydis.h ]] || skip "Zydis development files are missing (apt-get install libzydis-dev)"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }' >"$probe/p.c"
clang-14 -fsanitize=fuzzer,undefined "$probe/p.c" -o "$probe/p" 2>/dev/null ||
	skip "clang-14 cannot link libFuzzer with UBSan (apt-get install libclang-rt-14-dev)"

"$src_dir/scripts/fuzz-bt.sh" 20 "$build_dir/fuzz-bt"
status=$?
case $status in
0) exit 0 ;;
2) skip "scripts/fuzz-bt.sh reports a missing tool" ;;
3) skip "engine bt cannot run on this host (see the message above)" ;;
*) exit 1 ;;
esac
