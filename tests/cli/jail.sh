#!/usr/bin/env bash
# The jail end to end (docs/SECURITY.md): softvt info reports it; test guests run with
# --jail on under interp and bt; while a Linux guest runs, both threads of softvt are under
# a seccomp filter with the jail and neither is with --jail off; and a stand-in for a guest
# that took over the process (tests/cli/helpers/jail_escape.c, preloaded, triggered by
# SIGUSR2 in one thread) tries write to fd 9, open(O_CREAT), execve and exit_group from
# the vCPU thread and open from the main thread: none may happen, softvt stops with the
# jail's message and exit status 100. The same write with --jail off does reach fd 9 (the
# test can fail). Last, the real thing: guests/escape, whose ring-3 code runs directly
# (--user direct), far-jumps to selector 0x33 and jumps into libc's SYSCALL instruction with
# write to fd 9, openat(O_CREAT), execve and exit_group: each stopped the same way; and the
# same calls by INT 0x80, compat SYSCALL, SYSENTER and SYSCALL after the far jump: the guest
# sees a fault or softvt stops with a message, and none happens.
# Usage: jail.sh SOFTVT BUILD_DIR
set -u
softvt=$1
build=$2
guests=$build/guests
escape_lib=$build/tests/libjail_escape.so
helpers=$(dirname "$0")/helpers
kernel=$build/guest/vmlinuz-686
initrd=$build/guest/initramfs.cpio.gz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

if ! "$softvt" info | grep -q '^  jail .*: available'; then
	echo "SKIP: $("$softvt" info | grep '^  jail')"
	exit 77
fi
echo "ok: softvt info: $("$softvt" info | grep '^  jail' | sed 's/^ *//')"

engines="interp"
"$softvt" info | grep -q '^  bt .*available' && engines="interp bt"

# test guests with the jail on: same output as always
for engine in $engines; do
	out=$(timeout 60 "$softvt" run --accel "$engine" --jail on --kernel "$guests/hello.elf" \
		--serial none --timeout 30 --stats 2>"$tmp/err" </dev/null)
	status=$?
	if [[ $status -ne 0 ]] || ! grep -q '^# passed 14 of 14' <<<"$out" ||
		! grep -q 'softvt: stats: ran' "$tmp/err"; then
		fail "$engine hello --jail on: exit $status, $(tail -2 <<<"$out"), $(cat "$tmp/err")"
	else
		echo "ok: $engine hello.elf with --jail on passes, --stats printed"
	fi
done

# option errors
"$softvt" run --jail maybe --kernel "$guests/hello.elf" >/dev/null 2>"$tmp/err"
status=$?
[[ $status -eq 2 ]] && grep -q "jail: 'maybe' is not one of on, off" "$tmp/err" ||
	fail "--jail maybe: exit $status, $(cat "$tmp/err")"
"$softvt" run --jail on --display sdl --kernel "$guests/hello.elf" >/dev/null 2>"$tmp/err"
status=$?
[[ $status -eq 2 ]] && grep -q 'use --jail off with --display sdl' "$tmp/err" ||
	fail "--jail on --display sdl: exit $status, $(cat "$tmp/err")"
"$softvt" run --help | grep -q '100 when the jail' || fail "--help does not list exit status 100"

if [[ ! -f $kernel || ! -f $initrd || ! -f $escape_lib ]]; then
	echo "SKIP (rest): no $kernel, $initrd or $escape_lib"
	[[ $failures -eq 0 ]] && exit 77
	exit 1
fi

# start ENGINE ESCAPE JAIL: boots Linux in the background (pid in $pid) with the escape
# module armed, fd 9 open on $tmp/fd9; waits until softvt runs two threads (and, with the
# jail, the second one has its filter)
start() {
	local engine=$1 what=$2 jail=$3
	local accel=(--accel "$engine")
	[[ $engine == bt-direct ]] && accel=(--accel bt --user direct)
	: >"$tmp/fd9"
	rm -f "$tmp/created"
	SOFTVT_TEST_ESCAPE=$what SOFTVT_TEST_ESCAPE_PATH=$tmp/created LD_PRELOAD=$escape_lib \
		"$softvt" run "${accel[@]}" --jail "$jail" --kernel "$kernel" --initrd "$initrd" \
		--append console=ttyS0 --serial "file:$tmp/console" --timeout 60 \
		</dev/null >"$tmp/out" 2>"$tmp/err" 9>>"$tmp/fd9" &
	pid=$!
	local want=2
	[[ $jail == off ]] && want=0
	for _ in $(seq 100); do
		vcpu=$(ls "/proc/$pid/task" 2>/dev/null | grep -v "^$pid\$" | head -1)
		if [[ -n $vcpu ]] && grep -q "^Seccomp:.*$want" "/proc/$pid/task/$vcpu/status" 2>/dev/null; then
			sleep 0.5   # into the guest
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# tgkill PID TID: SIGUSR2 to one thread
tgkill() {
	python3 -c 'import ctypes, sys; ctypes.CDLL(None).syscall(234, int(sys.argv[1]), int(sys.argv[2]), 12)' "$1" "$2"
}

# seccomp state of both threads, jail on and off
for jail in on off; do
	if ! start bt none $jail; then
		fail "--jail $jail: softvt did not start two threads"
		kill "$pid" 2>/dev/null
		continue
	fi
	main_sc=$(awk '/^Seccomp:/ { print $2 }' "/proc/$pid/status")
	vcpu_sc=$(awk '/^Seccomp:/ { print $2 }' "/proc/$pid/task/$vcpu/status")
	kill -INT "$pid"
	wait "$pid"
	status=$?
	want=2
	[[ $jail == off ]] && want=0
	if [[ $main_sc == "$want" && $vcpu_sc == "$want" && $status -eq 130 ]]; then
		echo "ok: --jail $jail: Seccomp $main_sc (main) and $vcpu_sc (vCPU); SIGINT stops it (130)"
	else
		fail "--jail $jail: Seccomp $main_sc/$vcpu_sc, SIGINT exit $status: $(cat "$tmp/err")"
	fi
done

command -v python3 >/dev/null || { echo "SKIP (escapes): python3 not found"; exit $((failures ? 1 : 77)); }

# escape ENGINE WHAT THREAD(vcpu|main) SYSCALL: the escape must be stopped and reported
escape() {
	local engine=$1 what=$2 thread=$3 name=$4
	if ! start "$engine" "$what" on; then
		fail "$engine $what: softvt did not start"
		kill "$pid" 2>/dev/null
		return
	fi
	local tid=$vcpu
	[[ $thread == main ]] && tid=$pid
	tgkill "$pid" "$tid"
	timeout 30 tail --pid="$pid" -f /dev/null
	wait "$pid"
	local status=$?
	local label=vCPU
	[[ $thread == main ]] && label=main
	if [[ $status -ne 100 ]]; then
		fail "$engine $what ($thread): exit $status, not 100: $(cat "$tmp/err")"
	elif ! grep -q "jail: the $label thread made a forbidden host system call $name (nr [0-9]*) at RIP 0x[0-9a-f]*; stopped" "$tmp/err"; then
		fail "$engine $what ($thread): no jail report: $(cat "$tmp/err")"
	elif [[ -s $tmp/fd9 || -e $tmp/created ]]; then
		fail "$engine $what ($thread): it happened: fd 9 '$(cat "$tmp/fd9")', created: $(ls "$tmp/created" 2>&1)"
	else
		echo "ok: $engine: $what from the $thread thread stopped: $(grep -o 'jail: .*' "$tmp/err")"
	fi
}

escape bt write9 vcpu write
escape interp write9 vcpu write
escape bt-direct write9 vcpu write
escape bt-direct execve vcpu execve
escape bt open vcpu openat
escape bt execve vcpu execve
escape bt exit_group vcpu exit_group
escape bt open main openat
escape bt execve main execve

# The real thing: guests/escape, whose ring-3 code runs directly (--user direct).
# guest_escape PATH CALL NAME: PATH libc far-jumps to the host's 64-bit selector 0x33 and
# jumps into the C library's SYSCALL instruction (its address found by find_syscall.py and
# typed on COM1): the jail must stop it (exit 100, its report naming NAME). The other PATHs
# (gate: SYSCALL after the far jump from the guest's own code; int80, syscall32, sysenter:
# 32-bit host system calls) are src/direct's to trap: the guest sees a fault or softvt
# stops with a message. For every PATH: nothing on fd 9, no file, no exit 42.
guest_escape() {
	local path=$1 what=$2 name=$3
	: >"$tmp/fd9"
	rm -f "$tmp/created" "$tmp/in" "$tmp/dbg"
	mkfifo "$tmp/in"
	local call=$what
	[[ $what == open ]] && call="open=$tmp/created"
	"$softvt" run --accel bt --user direct --kernel "$guests/escape.elf" --append "$path $call" \
		--serial stdio --debugcon "file:$tmp/dbg" --timeout 30 \
		<"$tmp/in" >"$tmp/out" 2>"$tmp/err" 9>>"$tmp/fd9" &
	pid=$!
	exec 8>"$tmp/in"
	local gadget=""
	if [[ $path == libc ]]; then
		for _ in $(seq 50); do
			gadget=$(python3 "$helpers/find_syscall.py" "$pid" 2>/dev/null) && break
			sleep 0.1
		done
		echo "$gadget" >&8
	fi
	wait "$pid"
	local status=$?
	exec 8>&-
	local label="guest escape $path $what"
	if [[ -s $tmp/fd9 || -e $tmp/created || $status -eq 42 || $status -ge 128 ]]; then
		fail "$label: it happened or softvt died: exit $status, fd 9 '$(cat "$tmp/fd9")', created: $(ls "$tmp/created" 2>&1)"
	elif [[ $path == libc && -z $gadget ]]; then
		fail "$label: no SYSCALL instruction found in softvt's libc"
	elif [[ $path == libc ]]; then
		if [[ $status -eq 100 ]] && grep -q "jail: the vCPU thread made a forbidden host system call $name (nr [0-9]*) at RIP 0x$(printf %x $((0x$gadget + 2))); stopped" "$tmp/err"; then
			echo "ok: $label (libc SYSCALL at 0x$gadget): $(grep -o 'jail: .*' "$tmp/err")"
		else
			fail "$label: exit $status, no jail report: $(cat "$tmp/err") $(tail -2 "$tmp/dbg")"
		fi
	elif grep -q 'came back to the guest' "$tmp/dbg"; then
		fail "$label: the instruction returned to the guest: $(tail -2 "$tmp/dbg")"
	elif grep -q '^# unexpected exception' "$tmp/dbg"; then
		echo "ok: $label: the guest sees a fault: $(grep -o '^# unexpected exception vector=[0-9]*' "$tmp/dbg")"
	elif grep -q '^softvt: error: ' "$tmp/err"; then
		echo "ok: $label: softvt stops (exit $status): $(head -1 "$tmp/err" | cut -c1-110)"
	else
		fail "$label: neither a guest fault nor a message: exit $status, $(cat "$tmp/err") $(tail -2 "$tmp/dbg")"
	fi
}

if [[ -f $guests/escape.elf ]] && "$softvt" info | grep -q '^  bt .*available'; then
	guest_escape libc write9 write
	guest_escape libc open open
	guest_escape libc execve execve
	guest_escape libc exit_group exit_group
	for path in gate int80 syscall32 sysenter; do
		for what in write9 open execve exit_group; do
			guest_escape "$path" "$what" -
		done
	done
else
	echo "SKIP (guest escapes): no $guests/escape.elf or engine bt"
fi

# without the jail the same write does reach fd 9
if start bt write9 off; then
	tgkill "$pid" "$vcpu"
	sleep 0.5
	kill -INT "$pid"
	wait "$pid"
	if grep -q ESCAPED-WRITE "$tmp/fd9"; then
		echo "ok: with --jail off the escape's write reaches fd 9 (what the jail prevents)"
	else
		fail "--jail off: the escape's write did not reach fd 9 - the test proves nothing"
	fi
else
	fail "--jail off: softvt did not start"
	kill "$pid" 2>/dev/null
fi

[[ $failures -eq 0 ]] || { echo "$failures failure(s)"; exit 1; }
echo "all jail checks passed"
