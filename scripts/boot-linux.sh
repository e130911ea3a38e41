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
# to, stdout a log file it polls (kept as BUILD_DIR/guest/ENGINE-FLAVOUR.log);
# the driver is scripts/lib/console.sh, shared with scripts/boot-disk.sh.
#
# Environment: QEMU (default qemu-system-i386), QEMU_CPU (default pentium3),
# MEM (MiB, default 256), BOOT_TIMEOUT (seconds to the prompt, default 180),
# SOFTVT_ARGS (more softvt options, split at spaces, e.g. "--tc-size 256K" or
# "--stats --stats-json F"; --stats lines end up at the end of the log), LOG_TAG (the
# log becomes ENGINE-FLAVOUR-TAG.log, so runs with other options do not share a log).
# Exit status: 0 if every flavour passed, 1 otherwise, 77 if ENGINE cannot run on this host
# (kvm where /dev/kvm fails the 32-bit probe; the reason is printed).
set -euo pipefail

engine=${1:?usage: boot-linux.sh ENGINE [BUILD_DIR] [FLAVOUR...]}
shift

qemu=${QEMU:-qemu-system-i386}
cpu=${QEMU_CPU:-pentium3}
mem=${MEM:-${QEMU_MEM:-256}}
boot_timeout=${BOOT_TIMEOUT:-180}
build_dir=${1:-./build}
shift || true
flavours=("$@")
((${#flavours[@]})) || flavours=(686 686-pae)
guest=$build_dir/guest

if [[ $engine == qemu ]]; then
	command -v "$qemu" >/dev/null || { echo "boot: $qemu not found (apt-get install qemu-system-x86)" >&2; exit 1; }
else
	[[ -x $build_dir/softvt ]] || { echo "boot: no $build_dir/softvt: build first (make build)" >&2; exit 1; }
	# shellcheck source-path=SCRIPTDIR source=lib/engine.sh
	source "$(dirname "${BASH_SOURCE[0]}")/lib/engine.sh"
	engine_skip_unless_ready "$build_dir/softvt" "$engine"
fi
[[ -f $guest/initramfs.cpio.gz ]] || { echo "boot: no $guest/initramfs.cpio.gz: run scripts/fetch-guest.sh $build_dir" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR source=lib/console.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/console.sh"

# boot_flavour FLAVOUR : one boot; returns non-zero on the first failed check.
boot_flavour() {
	local flavour=$1 kernel=$guest/vmlinuz-$1
	[[ -f $kernel ]] || { echo "boot: FAIL: no $kernel"; return 1; }
	log=$guest/$engine-$flavour${LOG_TAG:+-$LOG_TAG}.log
	if [[ $engine == qemu ]]; then
		echo "boot: $flavour: $qemu -cpu $cpu -m $mem, console=ttyS0"
		console_start "$log" "$qemu" -nographic -no-reboot -m "$mem" -cpu "$cpu" \
			-kernel "$kernel" -initrd "$guest/initramfs.cpio.gz" -append "console=ttyS0"
	else
		echo "boot: $flavour: softvt --accel $engine --memory ${mem}M ${SOFTVT_ARGS:-}, console=ttyS0"
		# shellcheck disable=SC2086 # SOFTVT_ARGS is a list of options
		console_start "$log" "$build_dir/softvt" run --accel "$engine" --memory "${mem}M" ${SOFTVT_ARGS:-} \
			--kernel "$kernel" --initrd "$guest/initramfs.cpio.gz" --append "console=ttyS0" \
			--serial stdio --debugcon none
	fi
	console_wait_shell "$flavour" "$boot_timeout" || return 1
	console_session_checks || return 1
	console_poweroff "$flavour"
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
