#!/bin/bash
# user_hostile.sh BUILD_DIR ENGINE [SOFTVT OPTION...] - ctest linux.user.hostile.*:
# guest user code tries to reach the HOST kernel (guests/linux/progs/hostile.c,
# docs/USER_PROGRAMS.md) and must only ever reach the guest's.
#
# softvt runs with fd 9 open on an empty marker file; in the guest,
# `hostile -t TAG all ADDR LEN` makes write(9, marker), open(O_CREAT) of
# /tmp/softvt-hostile-MODE-TAG, execve(sh -c touch /tmp/softvt-hostile-exec-MODE-TAG)
# and exit_group(42) through INT 0x80, SYSENTER, 32-bit SYSCALL, a far call to
# selector 0x33 + 64-bit SYSCALL, and a jump into softvt's libc text (ADDR LEN
# read from /proc/PID/maps). Checks, on the host:
#   - the marker file stays empty, no /tmp/softvt-hostile-*-TAG exists;
#   - softvt runs on: every attempt finished (HOSTILE done), the shell answers
#     afterwards, and poweroff -f ends softvt with status 0 (a host exit_group
#     would have ended it with 42);
# and in the guest, what a 32-bit CPU and kernel do:
#   - INT 0x80 is the guest's system call: write to the guest's closed fd 9
#     gives EBADF, open gives a descriptor, the exec'd shell exits 0 and the
#     files appear in the guest's /tmp, exit_group(42) ends the child with 42;
#   - SYSENTER: the same results where the guest kernel uses it (SEP), else a
#     signal each; SYSCALL (#UD: a 32-bit kernel never enables it): a signal
#     each, or the same results if the monitor completes it as a guest call;
#   - the gate (0x33 is a data segment of the guest's GDT) and the libc jump
#     behind it: a signal each, never a result.
set -uo pipefail
# shellcheck source=user-common.sh
source "$(dirname "$0")/user-common.sh"
tag=$name-$$
marker=$(mktemp /tmp/softvt-marker.XXXXXX)
trap 'rm -f "$marker" /tmp/softvt-hostile-*-"$tag"' EXIT
export CONSOLE_FD9=$marker LOG_TAG=user-hostile-$name
user_run 'hostile probe' "hostile -t $tag all @LIBC_TEXT@" 'ls /tmp' 'echo alive'

check "the guest booted, every command ran and softvt exited 0 after poweroff" test "$rc" -eq 0
check "the marker file (softvt's fd 9) is empty" test ! -s "$marker"
host_files=$(ls -d /tmp/softvt-hostile-*-"$tag" 2>/dev/null)
check "no /tmp/softvt-hostile-*-$tag on the host${host_files:+: $host_files}" test -z "$host_files"
check "hostile ran every attempt (HOSTILE done)" has "HOSTILE done"
check "the shell answers afterwards" has alive

# child MODE OP : the line the attempt's child printed (a result or a signal).
child() { grep -F "HOSTILE $1 $2: " <<<"$out" | grep -v ': status ' | head -1; }
# status MODE OP : the parent's view of the child (exit=N or signal=N).
status() { grep -F "HOSTILE $1 $2: status " <<<"$out" | head -1 | sed 's/.*: status //'; }
# syscall_like MODE : MODE behaved as a guest system call.
syscall_like() {
	[[ $(child "$1" write) == "HOSTILE $1 write: returned -9 EBADF" ]] &&
		[[ $(child "$1" open) =~ ^"HOSTILE $1 open: returned "[0-9]+$ ]] &&
		[[ $(status "$1" execve) == exit=0 ]] && [[ $(status "$1" exit) == exit=42 ]] &&
		grep -qw "softvt-hostile-$1-$tag" <<<"$out" &&
		grep -qw "softvt-hostile-exec-$1-$tag" <<<"$out"
}
# all_signals MODE : every attempt of MODE ended in a signal in the guest.
all_signals() {
	local op
	for op in write open execve exit; do
		[[ $(child "$1" $op) == "HOSTILE $1 $op: SIG"* ]] || return 1
	done
}
check "INT 0x80 is the guest's system call (EBADF, fd, exec, exit 42, guest files)" syscall_like int80
# SYSENTER (a guest system call where the guest kernel uses it, with SEP) and
# SYSCALL (#UD on a 32-bit CPU, but a monitor may complete it as the guest's
# system call): either a signal for every attempt or the guest's system call.
for mode in sysenter syscall; do
	if [[ $(child $mode write) == *": SIG"* ]]; then
		check "$mode: every attempt is a signal in the guest" all_signals $mode
	else
		check "$mode: the guest's system call (EBADF, fd, exec, exit 42, guest files)" syscall_like $mode
	fi
done
for mode in gate64 libcjump; do
	check "$mode: every attempt is a signal in the guest" all_signals $mode
done
finish
