#!/bin/bash
# user_hostile.sh BUILD_DIR ENGINE [SOFTVT OPTION...] - ctest linux.user.hostile.*:
# guest user code tries to reach the HOST kernel (guests/linux/progs/hostile.c,
# docs/USER_PROGRAMS.md) and must only ever reach the guest's.
#
# softvt runs with fd 9 open on an empty marker file. In the guest, hostile
# makes write(9, marker), open(O_CREAT) of /tmp/softvt-hostile-MODE-TAG,
# execve(sh -c touch /tmp/softvt-hostile-exec-MODE-TAG) and exit_group(42)
# through INT 0x80, SYSENTER, 32-bit SYSCALL, a far call to selector 0x33 +
# 64-bit SYSCALL (gate64), and a jump into softvt's libc text from 64-bit mode
# (libcjump; ADDR LEN read from /proc/PID/maps).
#
# Checks, on the host, over every boot:
#   - the marker file stays empty and no /tmp/softvt-hostile-*-TAG appears;
#   - softvt never exits with 42 (a host exit_group).
# In the guest, what a 32-bit CPU and kernel do:
#   - INT 0x80 is the guest's system call: write to the guest's closed fd 9
#     gives EBADF, open gives a descriptor, the exec'd shell exits 0 and the
#     files appear in the guest's /tmp, exit_group(42) ends the child with 42;
#     SYSENTER the same where the guest kernel uses it (SEP), else a signal each;
#     softvt must not stop for either;
#   - SYSCALL (#UD: a 32-bit kernel never enables it), the gate (0x33 is a data
#     segment of the guest's GDT) and the libc jump behind it: for each op,
#     either the guest sees a signal, or softvt stops with a clear message
#     (exit status neither 0 nor 42, a "softvt: " line) - issue 5's "the guest
#     sees a fault or the monitor stops with a clear message". SYSCALL may also
#     be completed as the guest's own system call (the results above).
# After a stop the remaining attempts run in new boots, one stop per boot; a
# boot that did not stop must end with the shell answering and softvt exiting 0.
set -uo pipefail
# shellcheck source=user-common.sh
source "$(dirname "$0")/user-common.sh"
tag=$name-$$
marker=$(mktemp /tmp/softvt-marker.XXXXXX)
trap 'rm -f "$marker" /tmp/softvt-hostile-*-"$tag"' EXIT
export CONSOLE_FD9=$marker LOG_TAG=user-hostile-$name
ops=(write open execve exit)
late_modes=(syscall gate64 libcjump)
declare -A result   # "MODE OP" of the late modes -> signal | returned | stopped | missing
all_out=
boots=0

# hostile_cmd MODE [OP] : the guest command for one mode (libcjump with softvt's libc).
hostile_cmd() {
	local range=
	[[ $1 == libcjump ]] && range=" @LIBC_TEXT@"
	echo "hostile -t $tag $1$range${2:+ $2}"
}
# child MODE OP : the line the attempt's child printed (a result or a signal).
child() { grep -F "HOSTILE $1 $2: " <<<"$all_out" | grep -v ': status ' | head -1; }
# status MODE OP : the parent's view of the child (exit=N or signal=N).
status() { grep -F "HOSTILE $1 $2: status " <<<"$all_out" | head -1 | sed 's/.*: status //'; }

# boot COMMAND... : one guest-run; afterwards the per-boot checks. If softvt
# stopped, sets $stopped_cmd to the command it stopped in.
boot() {
	boots=$((boots + 1))
	echo "---- boot $boots: $*"
	user_run "$@"
	all_out+=$'\n'"$out"
	stopped_cmd=
	if ((rc == 3)); then
		stopped_cmd=$(grep '^guest-run: \$ ' <<<"$out" | tail -1 | sed 's/^guest-run: \$ //')
		local st
		st=$(grep -o 'VM stopped during the command, exit status [0-9]*' <<<"$out" | awk '{ print $NF }')
		check "boot $boots: softvt stopped in '$stopped_cmd' with a clear message (exit status $st; needed: not 0 or 42, and a 'softvt: ' line)" \
			bash -c '[[ $1 != 0 && $1 != 42 ]] && grep -q "^guest-run: VM said: softvt: " <<<"$2"' _ "$st" "$out"
	else
		check "boot $boots: every command ran, the shell answered, softvt exited 0 after poweroff" \
			bash -c '(($1 == 0)) && grep -qx alive <<<"$2"' _ "$rc" "$out"
	fi
	check "boot $boots: the marker file (softvt's fd 9) is still empty" test ! -s "$marker"
	check "boot $boots: softvt did not exit with 42 (a host exit_group)" \
		test -z "$(grep -x 'guest-run: VM .*exit status 42' <<<"$out")"
}

# classify : fill result[] for the late modes from everything seen so far;
# the op a stop happened in is the first of its mode without a parent status.
classify() {
	local mode op line
	for mode in "${late_modes[@]}"; do
		for op in "${ops[@]}"; do
			[[ -n ${result["$mode $op"]:-} ]] && continue
			line=$(child "$mode" "$op")
			case $line in
			*": SIG"*) result["$mode $op"]=signal ;;
			*": returned "*) result["$mode $op"]=returned ;;
			*)
				if [[ -n $stopped_cmd && $(status "$mode" "$op") == "" &&
					$stopped_cmd == "hostile -t $tag $mode"* ]]; then
					result["$mode $op"]=stopped
					stopped_cmd=
				fi
				;;
			esac
		done
	done
}

first=('hostile probe' "$(hostile_cmd int80)" "$(hostile_cmd sysenter)" 'ls /tmp')
for mode in "${late_modes[@]}"; do
	first+=("$(hostile_cmd "$mode")")
done
boot "${first[@]}" 'echo alive'
classify
while ((boots < 14)); do
	rest=()
	for mode in "${late_modes[@]}"; do
		for op in "${ops[@]}"; do
			[[ -n ${result["$mode $op"]:-} ]] || rest+=("$(hostile_cmd "$mode" "$op")")
		done
	done
	((${#rest[@]})) || break
	boot "${rest[@]}" 'echo alive'
	classify
	((rc == 3)) || break
done

host_files=$(ls -d /tmp/softvt-hostile-*-"$tag" 2>/dev/null | tr '\n' ' ')
check "no /tmp/softvt-hostile-*-$tag on the host${host_files:+: $host_files}" test -z "$host_files"

# syscall_like MODE : MODE behaved as a guest system call.
syscall_like() {
	[[ $(child "$1" write) == "HOSTILE $1 write: returned -9 EBADF" ]] &&
		[[ $(child "$1" open) =~ ^"HOSTILE $1 open: returned "[0-9]+$ ]] &&
		[[ $(status "$1" execve) == exit=0 ]] && [[ $(status "$1" exit) == exit=42 ]] &&
		grep -qw "softvt-hostile-$1-$tag" <<<"$all_out" &&
		grep -qw "softvt-hostile-exec-$1-$tag" <<<"$all_out"
}
# all_signals MODE : every attempt of MODE ended in a signal in the guest.
all_signals() {
	local op
	for op in "${ops[@]}"; do
		[[ $(child "$1" $op) == "HOSTILE $1 $op: SIG"* ]] || return 1
	done
}
check "INT 0x80 is the guest's system call (EBADF, fd, exec, exit 42, guest files)" syscall_like int80
if [[ $(child sysenter write) == *": SIG"* ]]; then
	check "sysenter: every attempt is a signal in the guest (no SEP)" all_signals sysenter
else
	check "sysenter: the guest's system call (SEP)" syscall_like sysenter
fi
for mode in "${late_modes[@]}"; do
	if [[ $mode == syscall ]] && syscall_like syscall; then
		echo "ok: syscall: completed as the guest's own system call"
		continue
	fi
	for op in "${ops[@]}"; do
		r=${result["$mode $op"]:-missing}
		check "$mode $op: the guest saw a signal or softvt stopped with a message ($r)" \
			test "$r" = signal -o "$r" = stopped
	done
done
finish
