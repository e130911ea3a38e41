#!/bin/bash
# boot-linux.sh ENGINE [BUILD_DIR] [FLAVOUR...] - boot the default Linux guest
# under ENGINE and drive its serial console: the serial-console acceptance test.
#
# ENGINE is a softvt engine (interp, bt, kvm) or qemu (QEMU TCG, the reference
# the engines are compared with). For each kernel flavour (default: 686 686-pae)
# it boots BUILD_DIR/guest/vmlinuz-FLAVOUR with initramfs.cpio.gz (made by
# scripts/fetch-guest.sh) and console=ttyS0, waits for the shell, checks
# `uname -a`, /proc/cpuinfo, the controlling tty, job control and ^C, types
# `poweroff -f` and checks that the VM exits (ACPI soft-off). Prints the time
# to the shell prompt (wall clock, and the CPU time of the VM process by then).
#
# The console is the VM's stdio serial port: stdin is a fifo this script writes
# to, stdout a log file it polls (kept as BUILD_DIR/guest/ENGINE-FLAVOUR.log).
#
# Environment: QEMU (default qemu-system-i386), QEMU_CPU (default pentium3),
# MEM (MiB, default 256), BOOT_TIMEOUT (seconds to the prompt, default 180),
# SOFTVT_ARGS (more softvt options, split at spaces, e.g. "--tc-size 256K" or
# "--stats --stats-json F"; --stats lines end up at the end of the log), LOG_TAG (the
# log becomes ENGINE-FLAVOUR-TAG.log, so runs with other options do not share a log).
# Exit status: 0 if every flavour passed, 1 otherwise.
set -euo pipefail

engine=${1:?usage: boot-linux.sh ENGINE [BUILD_DIR] [FLAVOUR...]}
shift

boot_timeout=${BOOT_TIMEOUT:-180}
build_dir=${1:-./build}
shift || true
flavours=("$@")
((${#flavours[@]})) || flavours=(686 686-pae)
guest=$build_dir/guest
# shellcheck source=lib/serial-console.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/serial-console.sh"
console_tag="boot: "

if ! err=$(console_check "$engine" "$build_dir" 2>&1); then
	echo "boot: $err" >&2
	exit 1
fi

# boot_flavour FLAVOUR : one boot; returns non-zero on the first failed check.
boot_flavour() {
	local flavour=$1 kernel=$guest/vmlinuz-$1 start release from
	[[ -f $kernel ]] || { echo "boot: FAIL: no $kernel"; return 1; }
	log=$guest/$engine-$flavour${LOG_TAG:+-$LOG_TAG}.log
	start=$(now)
	echo "boot: $flavour: $(console_describe "$engine")"
	console_start "$engine" "$build_dir" "$kernel" "$log"

	wait_for "$log" 0 "SOFTVT-GUEST: shell ready" "$boot_timeout" ||
		{ echo "boot: FAIL: no 'shell ready' within ${boot_timeout}s"; return 1; }
	wait_for "$log" 0 "softvt# " 20 || { echo "boot: FAIL: no prompt"; return 1; }
	echo "boot: $flavour: shell prompt after $(elapsed "$start") s (CPU $(cpu_seconds "$console_pid") s)"
	grep -aq "SOFTVT-GUEST: init started" "$log" || { echo "boot: FAIL: no 'init started' marker"; return 1; }
	grep -a "SOFTVT-GUEST: warning" "$log" | tr -d '\r' | sed 's/^/boot:   /' || true
	release=$(grep -a "SOFTVT-GUEST: kernel" "$log" | tr -d '\r' | awk '{ print $3 }')
	[[ $release == *-$flavour ]] || { echo "boot: FAIL: kernel release '$release' is not the $flavour flavour"; return 1; }

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

	start=$(now)
	console_poweroff 20 || return 1
	echo "boot: $flavour: poweroff -f made the VM exit ($(elapsed "$start") s)"
}

failed=0
for flavour in "${flavours[@]}"; do
	if ! boot_flavour "$flavour"; then
		failed=1
		echo "boot: $flavour: console log in $log"
	fi
	console_stop
done
if ((failed)); then
	echo "boot: FAILED"
	exit 1
fi
echo "boot: all flavours passed (${flavours[*]})"
