#!/bin/bash
# user_faults.sh BUILD_DIR ENGINE [SOFTVT OPTION...] - ctest linux.user.faults.*:
# exceptions raised by guest user code reach the process as the guest kernel
# reports them (guests/linux/progs/ufaults.c): the UFAULT lines of `ufaults`
# in the guest must equal guests/linux/progs/ufaults.expected (checked under
# QEMU TCG: #DE, INT3, UD2, HLT, CLI, OUT, INT 0x21, INTO, MOV from CR0, a
# null read, a write to a read-only page - signal, si_code, si_addr, EIP, trap
# number and error code - and eight x87 registers kept across yields and
# system calls); the shell answers afterwards and the VM exits 0.
set -uo pipefail
# shellcheck source=user-common.sh
source "$(dirname "$0")/user-common.sh"
export LOG_TAG=user-faults-$name
user_run ufaults 'echo alive'
expected=$src_dir/guests/linux/progs/ufaults.expected

check "the guest booted, both commands ran and the VM exited 0 after poweroff" test "$rc" -eq 0
diffs=$(diff <(grep '^UFAULT' <<<"$out") "$expected")
check "the UFAULT lines equal ufaults.expected${diffs:+ (< guest, > expected):
$diffs}" test -z "$diffs"
check "the shell answers afterwards" has alive
finish
