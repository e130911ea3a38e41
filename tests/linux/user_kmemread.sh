#!/bin/bash
# user_kmemread.sh BUILD_DIR ENGINE [SOFTVT OPTION...] - ctest linux.user.kmemread.*:
# in the default Linux guest, a user program that reads guest kernel memory
# (kmemread: one byte at 0xC0000000) is killed by SIGSEGV, as on real hardware:
#   - its shell status is 139 (128 + SIGSEGV) and it never printed the byte;
#   - its handler saw what a #PF on a supervisor page gives a 32-bit Linux
#     process: si_code SEGV_MAPERR, si_addr 0xc0000000 (QEMU TCG agrees); a
#     #GP delivered as is (si_code SI_KERNEL, no address) would fail this;
#   - the shell still answers and poweroff -f ends the VM with status 0.
set -uo pipefail
# shellcheck source=user-common.sh
source "$(dirname "$0")/user-common.sh"
export LOG_TAG=user-kmemread-$name
user_run kmemread 'echo alive'

check "the guest booted, both commands ran and the VM exited 0 after poweroff" test "$rc" -eq 0
check "kmemread was killed by SIGSEGV (status 139)" test "$(status_of kmemread)" = 139
check "kmemread did not read kernel memory" test "$(grep -cF 'kernel memory is readable' <<<"$out")" -eq 0
check "the fault was a #PF at 0xc0000000 (SEGV_MAPERR, si_addr 0xc0000000)" \
	has "kmemread: SIGSEGV si_code=1 (SEGV_MAPERR) si_addr=0xc0000000"
check "the shell answers afterwards" has alive
finish
