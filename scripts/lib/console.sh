# shellcheck shell=bash
# console.sh - sourced by scripts/boot-linux.sh, scripts/boot-disk.sh and
# scripts/guest-run.sh: the serial-console driver of the default Linux guest
# (guests/linux/init).
#
# The VM (QEMU or softvt) runs in the background with COM1 on its stdio: its
# stdin is a fifo kept open on fd 3, its output goes to a log file that is
# polled for the guest's markers and prompt. Typical use:
#
#	console_start LOG CMD...      # sets vm_pid, log, console_t0
#	console_wait_shell 686        # boot to the prompt; sets release
#	console_session_checks        # uname, cpuinfo, tty, job control, ^C
#	console_exec CMD              # run CMD, its output and exit status (guest-run.sh)
#	console_poweroff              # poweroff -f, the VM exits
#	console_stop                  # always: close fd 3, kill the VM if alive
#
# Each function prints "boot: FAIL: ..." and returns non-zero on the first
# failed check. Globals: vm_pid, log, console_t0, release, reply (and
# reply_status, vm_status for console_exec).

vm_pid=
log=
console_t0=
release=
reply=

now() { date +%s.%N; }
# cpu_seconds PID: user + system CPU time of a process (all its threads) so far
cpu_seconds() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo "?"; return; }
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($12 + $13) / hz }' <<<"${stat##*) }"
}
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# console_start LOG CMD... : run CMD in the background, stdin a fifo open on
# fd 3, stdout and stderr to LOG.
console_start() {
	local dir
	log=$1
	shift
	dir=$(mktemp -d)
	mkfifo "$dir/console"
	console_t0=$(now)
	"$@" <"$dir/console" >"$log" 2>&1 &
	vm_pid=$!
	exec 3>"$dir/console"
	rm -rf "$dir"
}

# console_stop : close the console, stop the VM if it still runs, reap it.
console_stop() {
	exec 3>&-
	if [[ -n $vm_pid ]] && kill -0 "$vm_pid" 2>/dev/null; then
		kill "$vm_pid"
	fi
	[[ -z $vm_pid ]] || wait "$vm_pid" 2>/dev/null || true
	vm_pid=
}

# wait_for LOG FROM PATTERN TIMEOUT : wait until the fixed string PATTERN
# appears in LOG after byte FROM; fails on timeout or if the VM is gone.
wait_for() {
	local log=$1 from=$2 pattern=$3 deadline
	deadline=$(($(date +%s) + $4))
	until tail -c +"$((from + 1))" "$log" | grep -aqF -- "$pattern"; do
		kill -0 "$vm_pid" 2>/dev/null || return 1
		(($(date +%s) < deadline)) || return 1
		sleep 0.1
	done
}

# run_cmd CMD EXPECT : type CMD, wait for its output to contain EXPECT and
# the next prompt; the output is left in $reply.
run_cmd() {
	local from
	from=$(stat -c %s "$log")
	printf '%s\n' "$1" >&3
	wait_for "$log" "$from" "$2" 20 || { echo "boot: FAIL: '$1' did not print '$2'"; return 1; }
	wait_for "$log" "$from" "softvt# " 20 || true
	reply=$(tail -c +"$((from + 1))" "$log" | tr -d '\r')
}

# console_wait_shell FLAVOUR [TIMEOUT] : wait for /init's markers and the
# prompt (TIMEOUT seconds, default 180); the kernel release must be of
# FLAVOUR (686, 686-pae). Prints the time to the prompt; sets $release.
console_wait_shell() {
	local flavour=$1 timeout=${2:-180}
	wait_for "$log" 0 "SOFTVT-GUEST: shell ready" "$timeout" ||
		{ echo "boot: FAIL: no 'shell ready' within ${timeout}s"; return 1; }
	wait_for "$log" 0 "softvt# " 20 || { echo "boot: FAIL: no prompt"; return 1; }
	echo "boot: $flavour: shell prompt after $(elapsed "$console_t0") s (CPU $(cpu_seconds "$vm_pid") s)"
	grep -aq "SOFTVT-GUEST: init started" "$log" || { echo "boot: FAIL: no 'init started' marker"; return 1; }
	grep -a "SOFTVT-GUEST: warning" "$log" | tr -d '\r' | sed 's/^/boot:   /' || true
	release=$(grep -a "SOFTVT-GUEST: kernel" "$log" | tr -d '\r' | awk '{ print $3 }')
	[[ $release == *-$flavour ]] || { echo "boot: FAIL: kernel release '$release' is not the $flavour flavour"; return 1; }
}

# console_session_checks : uname -a and /proc/cpuinfo, the controlling tty,
# job control and ^C.
console_session_checks() {
	local from
	run_cmd "uname -a; cat /proc/cpuinfo | head -5" "model name" || return 1
	grep -q "^Linux softvt $release .* i686 GNU/Linux$" <<<"$reply" ||
		{ echo "boot: FAIL: unexpected uname -a:"; echo "$reply"; return 1; }
	grep -q "^vendor_id[[:space:]]*: GenuineIntel$" <<<"$reply" ||
		{ echo "boot: FAIL: unexpected /proc/cpuinfo:"; echo "$reply"; return 1; }
	echo "boot:   $(grep '^Linux softvt' <<<"$reply")"
	echo "boot:   $(grep '^model name' <<<"$reply" | tr -s '\t ' ' ')"

	run_cmd "tty" "/dev/" || return 1
	grep -q "^/dev/ttyS0$" <<<"$reply" || { echo "boot: FAIL: the shell's tty is not /dev/ttyS0:"; echo "$reply"; return 1; }
	run_cmd "sleep 60 & jobs; kill %1" "Running" || return 1
	! grep -aq "job control turned off" "$log" || { echo "boot: FAIL: no job control"; return 1; }
	from=$(stat -c %s "$log")
	printf 'sleep 100\n' >&3
	wait_for "$log" "$from" "sleep 100" 20 || { echo "boot: FAIL: no echo of 'sleep 100'"; return 1; }
	sleep 1
	from=$(stat -c %s "$log")
	printf '\003' >&3
	wait_for "$log" "$from" "softvt# " 10 || { echo "boot: FAIL: ^C did not interrupt 'sleep 100'"; return 1; }
	echo "boot:   controlling tty /dev/ttyS0, job control and ^C work"
}

# console_poweroff WHAT : type poweroff -f; the kernel must power down and the
# VM exit within 10 s.
console_poweroff() {
	local what=$1 from start i
	from=$(stat -c %s "$log")
	start=$(now)
	printf 'poweroff -f\n' >&3
	wait_for "$log" "$from" "reboot: Power down" 20 ||
		{ echo "boot: FAIL: the kernel did not power down"; return 1; }
	for ((i = 0; i < 100; i++)); do
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$vm_pid" 2>/dev/null; then
		echo "boot: FAIL: VM still running 10 s after 'reboot: Power down'"
		return 1
	fi
	echo "boot: $what: poweroff -f made the VM exit ($(elapsed "$start") s)"
}

# console_exec CMD [TIMEOUT] : run CMD in the guest's shell and wait for it to
# finish (default 60 s), for scripts/guest-run.sh. Its output, lines only (no
# echo, no prompt, no CR or the shell's cursor query), is left in $reply and
# its exit status in $reply_status. The command is bracketed by two echo
# markers whose typed form ("@@BE""GIN@@") differs from their output, so the
# echo of the typed line never matches. Returns 1 on a timeout, 2 if the VM
# ended during the command (output so far in $reply, its exit status in
# $vm_status). It looks for the end marker every 50 ms: guest-run.sh's host
# time of a command, which softvt bench --macro takes for long commands, is
# that coarse.
console_exec() {
	local from timeout=${2:-60} out deadline ended=0
	from=$(stat -c %s "$log")
	printf 'echo @@BE""GIN@@; %s; echo @@E""ND@@ $?\n' "$1" >&3
	deadline=$(($(date +%s) + timeout))
	until tail -c +"$((from + 1))" "$log" | grep -aqE '@@END@@ [0-9]+'; do
		if ! kill -0 "$vm_pid" 2>/dev/null; then
			ended=1
			break
		fi
		(($(date +%s) < deadline)) || { echo "boot: FAIL: '$1' did not finish within $timeout s"; return 1; }
		sleep 0.05
	done
	out=$(tail -c +"$((from + 1))" "$log" | tr -d '\r' | sed 's/\x1b\[6n//g')
	reply=$(awk 'on && /@@END@@ [0-9]+/ { sub(/@@END@@ [0-9]+.*/, ""); if ($0 != "") print; exit }
		on { print } /@@BEGIN@@/ { on = 1 }' <<<"$out")
	reply_status=$(grep -aoE '@@END@@ [0-9]+' <<<"$out" | head -1 | awk '{ print $2 }')
	if ((ended)); then
		vm_status=0
		wait "$vm_pid" 2>/dev/null || vm_status=$?
		return 2
	fi
}
