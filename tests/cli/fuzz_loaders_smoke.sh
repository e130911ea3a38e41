#!/bin/bash
# fuzz_loaders_smoke.sh SOFTVT BUILD_DIR - 20 seconds of scripts/fuzz-loaders.sh.
#
# Fails on any crash, leak or sanitizer report in the kernel loaders; skips
# (exit 77, with the reason) when clang-14, libFuzzer or libelf is missing.
# The fuzzer, its corpus and any reproducer go to BUILD_DIR/fuzz.
set -uo pipefail

build_dir=${2:?usage: fuzz_loaders_smoke.sh SOFTVT BUILD_DIR}
src_dir=$(dirname "$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")")

skip() { echo "skip: $*"; exit 77; }

command -v clang-14 >/dev/null || skip "clang-14 is not installed (apt-get install clang-14)"
pkg-config --exists libelf || skip "libelf development files are missing (apt-get install libelf-dev)"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }' >"$probe/p.c"
clang-14 -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>/dev/null ||
	skip "clang-14 cannot link libFuzzer with ASan/UBSan (apt-get install libclang-rt-14-dev)"

"$src_dir/scripts/fuzz-loaders.sh" 20 "$build_dir/fuzz"
status=$?
case $status in
0) exit 0 ;;
2) skip "scripts/fuzz-loaders.sh reports a missing tool" ;;
*) exit 1 ;;
esac
