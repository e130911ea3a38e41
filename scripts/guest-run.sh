#!/bin/bash
# guest-run.sh ENGINE [BUILD_DIR] [COMMAND...] - boot the default Linux guest
# under ENGINE, run each COMMAND in its shell, collect the output, power off.
#
# ENGINE is a softvt engine (interp, bt, kvm) with more softvt options in
# SOFTVT_ARGS (e.g. "--user direct"), or qemu (QEMU TCG, the reference). The
# guest is BUILD_DIR/guest/vmlinuz-FLAVOUR with initramfs.cpio.gz (made by
# scripts/fetch-guest.sh; the user programs of guests/linux/progs are in its
# /bin), console=ttyS0, driven through scripts/lib/console.sh.
#
# In a COMMAND, @LIBC_TEXT@ becomes "ADDR LEN" (hex) of the VM process's
# executable libc mapping, read from /proc/PID/maps just before the command
# is typed (the hostile program's libcjump target).
#
# Output, on stdout:
#   boot: FLAVOUR: ...                       the boot (console.sh's lines)
#   guest-run: $ COMMAND
#   ...the command's output, as the guest printed it...
#   guest-run: status N (host S s)           its exit status in the guest, and
#                                            the wall time the host saw
#   guest-run: VM exit status N              after poweroff -f
#   guest-run: VM stopped during the command, exit status N   (then exit 3)
#   guest-run: VM said: softvt: ...          softvt's own messages from the log
# Exit status: 0 if the guest booted, every command finished (whatever its own
# status), the guest powered off and the VM exited with status 0; 3 if the VM
# stopped during a command (the rest are not run); 1 otherwise.
#
# Environment: FLAVOUR (686 or 686-pae, default 686), BOOT_TIMEOUT (s to the
# shell, default 300), CMD_TIMEOUT (s per command, default 300), MEM, QEMU,
# QEMU_CPU, QEMU_ACCEL (tcg, the default, or kvm), SOFTVT_ARGS, CONSOLE_FD9 (a file softvt gets as its fd 9, opened
# for appending), LOG_TAG (the console log is BUILD_DIR/guest/ENGINE-FLAVOUR-run[-TAG].log,
# apart from boot-linux.sh's ENGINE-FLAVOUR.log), STATS_MARKS (1: a stats mark before and after each command).
set -uo pipefail

engine=${1:?usage: guest-run.sh ENGINE [BUILD_DIR] [COMMAND...]}
build_dir=${2:-./build}
shift 2 || shift
flavour=${FLAVOUR:-686}
boot_timeout=${BOOT_TIMEOUT:-300}
cmd_timeout=${CMD_TIMEOUT:-300}
qemu=${QEMU:-qemu-system-i386}
cpu=${QEMU_CPU:-pentium3}
accel=${QEMU_ACCEL:-tcg}
mem=${MEM:-${QEMU_MEM:-256}}
guest=$build_dir/guest
kernel=$guest/vmlinuz-$flavour

if [[ $engine == qemu ]]; then
	command -v "$qemu" >/dev/null || { echo "guest-run: $qemu not found (apt-get install qemu-system-x86)" >&2; exit 1; }
else
	[[ -x $build_dir/softvt ]] || { echo "guest-run: no $build_dir/softvt: build first (make build)" >&2; exit 1; }
fi
[[ -f $guest/initramfs.cpio.gz ]] || { echo "guest-run: no $guest/initramfs.cpio.gz: run scripts/fetch-guest.sh $build_dir" >&2; exit 1; }
[[ -f $kernel ]] || { echo "guest-run: no $kernel" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR source=lib/console.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/console.sh"

# libc_text PID : "ADDR LEN" of the first executable mapping of libc in PID.
libc_text() {
	awk '$2 ~ /x/ && $6 ~ /\/libc[.-]/ { split($1, r, "-"); print r[1], r[2]; exit }' \
		"/proc/$1/maps" 2>/dev/null |
		{ read -r lo hi && printf '0x%s 0x%x\n' "$lo" $((16#$hi - 16#$lo)); }
}

trap console_stop EXIT
log=$guest/$engine-$flavour-run${LOG_TAG:+-$LOG_TAG}.log
if [[ $engine == qemu ]]; then
	echo "guest-run: $qemu -accel $accel -cpu $cpu -m $mem, console=ttyS0"
	console_start "$log" "$qemu" -nographic -no-reboot -accel "$accel" -m "$mem" -cpu "$cpu" \
		-kernel "$kernel" -initrd "$guest/initramfs.cpio.gz" -append "console=ttyS0"
else
	echo "guest-run: softvt --accel $engine --memory ${mem}M ${SOFTVT_ARGS:-}, console=ttyS0"
	# softvt inherits fd 9 from this shell while it starts
	[[ -z ${CONSOLE_FD9:-} ]] || exec 9>>"$CONSOLE_FD9"
	# shellcheck disable=SC2086 # SOFTVT_ARGS is a list of options
	console_start "$log" "$build_dir/softvt" run --accel "$engine" --memory "${mem}M" ${SOFTVT_ARGS:-} \
		--kernel "$kernel" --initrd "$guest/initramfs.cpio.gz" --append "console=ttyS0" \
		--serial stdio --debugcon none
	[[ -z ${CONSOLE_FD9:-} ]] || exec 9>&-
fi
console_wait_shell "$flavour" "$boot_timeout" || { echo "guest-run: console log in $log"; exit 1; }

# STATS_MARKS=1 (softvt only): a stats mark (SIGUSR1) before and after each command, taken
# within softvt's 50 ms slice; --stats-json then has the counters at each ("marks")
stats_mark() {
	[[ ${STATS_MARKS:-} == 1 && $engine != qemu ]] || return 0
	kill -USR1 "$vm_pid" 2>/dev/null
	sleep 0.15
}

for cmd in "$@"; do
	if [[ $cmd == *@LIBC_TEXT@* ]]; then
		range=$(libc_text "$vm_pid")
		[[ -n $range ]] || { echo "guest-run: FAIL: no libc mapping in /proc/$vm_pid/maps"; exit 1; }
		cmd=${cmd//@LIBC_TEXT@/$range}
	fi
	echo "guest-run: \$ $cmd"
	stats_mark
	t0=$(now)
	console_exec "$cmd" "$cmd_timeout"
	case $? in
	0)
		stats_mark
		[[ -z $reply ]] || printf '%s\n' "$reply"
		echo "guest-run: status $reply_status (host $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }') s)"
		;;
	2)
		[[ -z $reply ]] || printf '%s\n' "$reply"
		echo "guest-run: VM stopped during the command, exit status $vm_status"
		grep -a '^softvt: ' "$log" | tr -d '\r' | sed 's/^/guest-run: VM said: /'
		exit 3
		;;
	*)
		echo "guest-run: console log in $log"
		exit 1
		;;
	esac
done

console_poweroff "$flavour" || { echo "guest-run: console log in $log"; exit 1; }
vm_status=0
wait "$vm_pid" 2>/dev/null || vm_status=$?
echo "guest-run: VM exit status $vm_status"
((vm_status == 0))
