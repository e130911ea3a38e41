# serial-console.sh - sourced by the scripts that boot the default Linux guest
# (scripts/boot-linux.sh, scripts/guest-run.sh): start softvt or QEMU with the
# guest's serial console on a fifo and a log file, wait for text in the log,
# type commands and read their output.
#
# The console is the VM's stdio serial port: stdin is a fifo the caller writes
# to (fd 3 after console_start), stdout a log file that is polled.
#
# Variables read: QEMU (default qemu-system-i386), QEMU_CPU (default pentium3),
# MEM (MiB, default 256; QEMU_MEM is the old name), SOFTVT_ARGS (more softvt
# options, split at spaces), CONSOLE_FD9 (a file that softvt - not QEMU - gets
# as its fd 9, opened for appending: the hostile-guest test's marker).
# Set by console_start: console_pid (the VM), console_log.
# console_tag (default empty) starts every message these functions print.
# shellcheck shell=bash

console_qemu=${QEMU:-qemu-system-i386}
console_cpu=${QEMU_CPU:-pentium3}
console_mem=${MEM:-${QEMU_MEM:-256}}
console_pid=
console_log=
console_tag=

now() { date +%s.%N; }
# cpu_seconds PID: user + system CPU time of a process (all its threads) so far
cpu_seconds() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo "?"; return; }
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($12 + $13) / hz }' <<<"${stat##*) }"
}
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# console_check ENGINE BUILD_DIR : the VM program and the initramfs are there
# (prints why not and fails otherwise).
console_check() {
	if [[ $1 == qemu ]]; then
		command -v "$console_qemu" >/dev/null ||
			{ echo "$console_qemu not found (apt-get install qemu-system-x86)" >&2; return 1; }
	else
		[[ -x $2/softvt ]] || { echo "no $2/softvt: build first (make build)" >&2; return 1; }
	fi
	[[ -f $2/guest/initramfs.cpio.gz ]] ||
		{ echo "no $2/guest/initramfs.cpio.gz: run scripts/fetch-guest.sh $2" >&2; return 1; }
}

# console_start ENGINE BUILD_DIR KERNEL LOG : boot KERNEL with BUILD_DIR's
# initramfs and console=ttyS0 under ENGINE (a softvt engine, or qemu for QEMU
# TCG), console in LOG; afterwards fd 3 writes to the console.
console_start() {
	local engine=$1 build_dir=$2 kernel=$3 dir
	console_log=$4
	dir=$(mktemp -d)
	mkfifo "$dir/console"
	if [[ $engine == qemu ]]; then
		"$console_qemu" -nographic -no-reboot -m "$console_mem" -cpu "$console_cpu" \
			-kernel "$kernel" -initrd "$build_dir/guest/initramfs.cpio.gz" \
			-append "console=ttyS0" <"$dir/console" >"$console_log" 2>&1 &
	elif [[ -n ${CONSOLE_FD9:-} ]]; then
		# shellcheck disable=SC2086 # SOFTVT_ARGS is a list of options
		"$build_dir/softvt" run --accel "$engine" --memory "${console_mem}M" ${SOFTVT_ARGS:-} \
			--kernel "$kernel" --initrd "$build_dir/guest/initramfs.cpio.gz" \
			--append "console=ttyS0" --serial stdio --debugcon none \
			<"$dir/console" >"$console_log" 2>&1 9>>"$CONSOLE_FD9" &
	else
		# shellcheck disable=SC2086
		"$build_dir/softvt" run --accel "$engine" --memory "${console_mem}M" ${SOFTVT_ARGS:-} \
			--kernel "$kernel" --initrd "$build_dir/guest/initramfs.cpio.gz" \
			--append "console=ttyS0" --serial stdio --debugcon none \
			<"$dir/console" >"$console_log" 2>&1 &
	fi
	console_pid=$!
	exec 3>"$dir/console"
	rm -rf "$dir"
}

# console_describe ENGINE : how console_start runs ENGINE, for the log.
console_describe() {
	if [[ $1 == qemu ]]; then
		echo "$console_qemu -cpu $console_cpu -m $console_mem, console=ttyS0"
	else
		echo "softvt --accel $1 --memory ${console_mem}M ${SOFTVT_ARGS:-}, console=ttyS0"
	fi
}

# wait_for LOG FROM PATTERN TIMEOUT : wait until the fixed string PATTERN
# appears in LOG after byte FROM; fails on timeout or if the VM is gone.
wait_for() {
	local log=$1 from=$2 pattern=$3 deadline
	deadline=$(($(date +%s) + $4))
	until tail -c +"$((from + 1))" "$log" | grep -aqF -- "$pattern"; do
		kill -0 "$console_pid" 2>/dev/null || return 1
		(($(date +%s) < deadline)) || return 1
		sleep 0.1
	done
}

# console_wait_shell TIMEOUT : wait for /init's "shell ready" and the first prompt.
console_wait_shell() {
	wait_for "$console_log" 0 "SOFTVT-GUEST: shell ready" "$1" ||
		{ echo "${console_tag}FAIL: no 'shell ready' within $1 s"; return 1; }
	wait_for "$console_log" 0 "softvt# " 20 || { echo "${console_tag}FAIL: no prompt"; return 1; }
}

# run_cmd CMD EXPECT : type CMD, wait for its output to contain EXPECT and
# the next prompt; the output is left in $reply.
run_cmd() {
	local from
	from=$(stat -c %s "$console_log")
	printf '%s\n' "$1" >&3
	wait_for "$console_log" "$from" "$2" 20 || { echo "${console_tag}FAIL: '$1' did not print '$2'"; return 1; }
	wait_for "$console_log" "$from" "softvt# " 20 || true
	reply=$(tail -c +"$((from + 1))" "$console_log" | tr -d '\r')
}

# console_exec CMD [TIMEOUT] : run CMD in the guest's shell and wait for it to
# finish (default 60 s). Its output, lines only (no echo, no prompt, no CR or
# the shell's cursor query), is left in $reply and its exit status in
# $reply_status. Returns 1 on a timeout, 2 if the VM ended during the command
# (its output so far in $reply, the VM's exit status in $console_status). The command is bracketed by two echo markers whose typed
# form ("@@BE""GIN@@") differs from their output, so the echo of the typed
# line never matches.
console_exec() {
	local from timeout=${2:-60} out
	from=$(stat -c %s "$console_log")
	printf 'echo @@BE""GIN@@; %s; echo @@E""ND@@ $?\n' "$1" >&3
	local deadline=$(($(date +%s) + timeout)) ended=0
	until tail -c +"$((from + 1))" "$console_log" | grep -aqE '@@END@@ [0-9]+'; do
		if ! kill -0 "$console_pid" 2>/dev/null; then
			ended=1
			break
		fi
		(($(date +%s) < deadline)) || { echo "${console_tag}FAIL: '$1' did not finish within $timeout s"; return 1; }
		sleep 0.2
	done
	out=$(tail -c +"$((from + 1))" "$console_log" | tr -d '\r' | sed 's/\x1b\[6n//g')
	reply=$(awk 'on && /@@END@@ [0-9]+/ { sub(/@@END@@ [0-9]+.*/, ""); if ($0 != "") print; exit }
		on { print } /@@BEGIN@@/ { on = 1 }' <<<"$out")
	reply_status=$(grep -aoE '@@END@@ [0-9]+' <<<"$out" | head -1 | awk '{ print $2 }')
	if ((ended)); then
		console_status=0
		wait "$console_pid" 2>/dev/null || console_status=$?
		return 2
	fi
}

# console_poweroff TIMEOUT : type poweroff -f, wait for the kernel's
# "reboot: Power down" and for the VM to exit (within TIMEOUT s in all);
# the VM's exit status is left in $console_status.
console_poweroff() {
	local from i
	from=$(stat -c %s "$console_log")
	printf 'poweroff -f\n' >&3
	wait_for "$console_log" "$from" "reboot: Power down" "$1" ||
		{ echo "${console_tag}FAIL: the kernel did not power down"; return 1; }
	for ((i = 0; i < 100; i++)); do
		kill -0 "$console_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$console_pid" 2>/dev/null; then
		echo "${console_tag}FAIL: VM still running 10 s after 'reboot: Power down'"
		return 1
	fi
	console_status=0
	wait "$console_pid" 2>/dev/null || console_status=$?
}

# console_stop : close the console and end the VM if it still runs.
console_stop() {
	exec 3>&-
	if [[ -n $console_pid ]] && kill -0 "$console_pid" 2>/dev/null; then
		kill "$console_pid"
	fi
	[[ -z $console_pid ]] || wait "$console_pid" 2>/dev/null || true
	console_pid=
}
