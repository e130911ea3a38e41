#!/bin/bash
# guest-run.sh ENGINE [BUILD_DIR] [COMMAND...] - boot the default Linux guest
# under ENGINE, run each COMMAND in its shell, collect the output, power off.
#
# ENGINE is a softvt engine (interp, bt, kvm) with more softvt options in
# SOFTVT_ARGS (e.g. "--user interp"), or qemu (QEMU TCG, the reference). The
# guest is BUILD_DIR/guest/vmlinuz-FLAVOUR with initramfs.cpio.gz (made by
# scripts/fetch-guest.sh; the user programs of guests/linux/progs are in its
# /bin), console=ttyS0, driven through scripts/lib/serial-console.sh.
#
# In a COMMAND, @LIBC_TEXT@ becomes "ADDR LEN" (hex) of the VM process's
# executable libc mapping, read from /proc/PID/maps just before the command
# is typed (the hostile program's libcjump target).
#
# Output, on stdout:
#   guest-run: boot ENGINE FLAVOUR: shell after S s (CPU C s)
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
# QEMU_CPU, SOFTVT_ARGS, CONSOLE_FD9 (a file softvt gets as fd 9), LOG_TAG
# (the console log is BUILD_DIR/guest/ENGINE-FLAVOUR[-TAG].log).
set -uo pipefail

engine=${1:?usage: guest-run.sh ENGINE [BUILD_DIR] [COMMAND...]}
build_dir=${2:-./build}
shift 2 || shift
flavour=${FLAVOUR:-686}
boot_timeout=${BOOT_TIMEOUT:-300}
cmd_timeout=${CMD_TIMEOUT:-300}
# shellcheck source=lib/serial-console.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/serial-console.sh"
console_tag="guest-run: "

if ! err=$(console_check "$engine" "$build_dir" 2>&1); then
	echo "guest-run: $err" >&2
	exit 1
fi
kernel=$build_dir/guest/vmlinuz-$flavour
[[ -f $kernel ]] || { echo "guest-run: no $kernel" >&2; exit 1; }

# libc_text PID : "ADDR LEN" of the first executable mapping of libc in PID.
libc_text() {
	awk '$2 ~ /x/ && $6 ~ /\/libc[.-]/ { split($1, r, "-"); print r[1], r[2]; exit }' \
		"/proc/$1/maps" 2>/dev/null |
		{ read -r lo hi && printf '0x%s 0x%x\n' "$lo" $((16#$hi - 16#$lo)); }
}

trap console_stop EXIT
log=$build_dir/guest/$engine-$flavour${LOG_TAG:+-$LOG_TAG}.log
start=$(now)
console_start "$engine" "$build_dir" "$kernel" "$log"
console_wait_shell "$boot_timeout" || { echo "guest-run: console log in $log"; exit 1; }
echo "guest-run: boot $engine $flavour: shell after $(elapsed "$start") s (CPU $(cpu_seconds "$console_pid") s); $(console_describe "$engine")"

for cmd in "$@"; do
	if [[ $cmd == *@LIBC_TEXT@* ]]; then
		range=$(libc_text "$console_pid")
		[[ -n $range ]] || { echo "guest-run: FAIL: no libc mapping in /proc/$console_pid/maps"; exit 1; }
		cmd=${cmd//@LIBC_TEXT@/$range}
	fi
	echo "guest-run: \$ $cmd"
	t0=$(now)
	console_exec "$cmd" "$cmd_timeout"
	case $? in
	0) ;;
	2)
		[[ -z $reply ]] || printf '%s\n' "$reply"
		echo "guest-run: VM stopped during the command, exit status $console_status"
		grep -a '^softvt: ' "$log" | tr -d '\r' | sed 's/^/guest-run: VM said: /'
		exit 3
		;;
	*)
		echo "guest-run: console log in $log"
		exit 1
		;;
	esac
	[[ -z $reply ]] || printf '%s\n' "$reply"
	echo "guest-run: status $reply_status (host $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }') s)"
done

console_poweroff 30 || { echo "guest-run: console log in $log"; exit 1; }
echo "guest-run: VM exit status $console_status"
((console_status == 0))
