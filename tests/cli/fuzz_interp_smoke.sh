#!/bin/bash
# fuzz_interp_smoke.sh SOFTVT BUILD_DIR - 20 seconds of scripts/fuzz-interp.sh.
#
# Fails on any crash, hang, sanitizer report or broken rule of the
# interpreter on random guest code (tests/unit/random_guest.h); skips
# (exit 77, with the reason) when clang-14, libFuzzer or Zydis is missing.
# The fuzzer, its corpus and any reproducer go to BUILD_DIR/fuzz-interp.
set -uo pipefail

build_dir=${2:?usage: fuzz_interp_smoke.sh SOFTVT BUILD_DIR}
src_dir=$(dirname "$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")")

skip() { echo "skip: $*"; exit 77; }

command -v clang-14 >/dev/null || skip "clang-14 is not installed (apt-get install clang-14)"
[[ -f /usr/include/Zydis/Zydis.h ]] || skip "Zydis development files are missing (apt-get install libzydis-dev)"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }' >"$probe/p.c"
clang-14 -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>/dev/null ||
	skip "clang-14 cannot link libFuzzer with ASan/UBSan (apt-get install libclang-rt-14-dev)"

"$src_dir/scripts/fuzz-interp.sh" 20 "$build_dir/fuzz-interp"
status=$?
case $status in
0) exit 0 ;;
2) skip "scripts/fuzz-interp.sh reports a missing tool" ;;
*) exit 1 ;;
esac
