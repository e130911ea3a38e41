#!/bin/bash
# boot-disk.sh ENGINE [BUILD_DIR] [IMAGE] - boot a disk image made by
# scripts/make-disk-image.sh through the firmware and its bootloader to the
# default guest's busybox shell, and drive the serial console: the disk-boot
# acceptance test (docs/DISK_IMAGE.md).
#
# ENGINE is qemu (QEMU TCG with its own firmware, SeaBIOS: the proof that the
# image is right) or a softvt engine (interp, bt, kvm: softvt's BIOS and IDE
# disk, `softvt run --disk IMAGE --snapshot`). IMAGE defaults to
# BUILD_DIR/disk/debian.img; it is built first when missing. The image is
# never written: QEMU gets snapshot=on, softvt --snapshot.
#
# Checks: the bootloader printed its "SOFTVT-DISK: LOADER loading ..." line on
# the serial console, the kernel (686 flavour) reached the shell, its command
# line carries softvt.boot=LOADER (the bootloader's configuration on the disk,
# nothing else, started it), then the same uname/cpuinfo/tty/job-control/^C and
# poweroff checks as scripts/boot-linux.sh (scripts/lib/console.sh). Last,
# the image file must be unchanged (snapshot mode).
#
# Environment: QEMU, QEMU_CPU (default pentium3), MEM (MiB, default 256),
# BOOT_TIMEOUT (seconds to the prompt, default 180), SOFTVT_ARGS (more softvt
# options, split at spaces). The console log is BUILD_DIR/disk/ENGINE-IMAGE.log.
# Exit status: 0 passed, 1 failed, 77 cannot run here (softvt has no --disk
# yet, the engine cannot run on this host - kvm where /dev/kvm fails the 32-bit
# probe -, apt could not supply the image's packages, or the image needs a loop
# mount this host does not allow: debian-extlinux.img).
set -euo pipefail

engine=${1:?usage: boot-disk.sh ENGINE [BUILD_DIR] [IMAGE]}
build_dir=${2:-./build}
image=${3:-$build_dir/disk/debian.img}
qemu=${QEMU:-qemu-system-i386}
cpu=${QEMU_CPU:-pentium3}
mem=${MEM:-256}
boot_timeout=${BOOT_TIMEOUT:-180}
script_dir=$(dirname "${BASH_SOURCE[0]}")
readonly EXIT_SKIP=77

if [[ $engine == qemu ]]; then
	command -v "$qemu" >/dev/null || { echo "boot: $qemu not found (apt-get install qemu-system-x86)" >&2; exit 1; }
else
	softvt=$build_dir/softvt
	[[ -x $softvt ]] || { echo "boot: no $softvt: build first (make build)" >&2; exit 1; }
	if ! "$softvt" run --help 2>&1 | grep -q -- '--disk'; then
		echo "SKIP: softvt has no --disk yet"
		exit "$EXIT_SKIP"
	fi
	# shellcheck source-path=SCRIPTDIR source=lib/engine.sh
	source "$script_dir/lib/engine.sh"
	engine_skip_unless_ready "$softvt" "$engine"
fi

if [[ ! -s $image ]]; then
	echo "boot: no $image: running scripts/make-disk-image.sh $build_dir"
	rc=0
	made=$(bash "$script_dir/make-disk-image.sh" "$build_dir" 2>&1) || rc=$?
	echo "$made"
	if ((rc == 2)); then
		echo "SKIP: apt could not supply the packages for the disk image (make-disk-image.sh exit 2)"
		exit "$EXIT_SKIP"
	fi
	((rc == 0)) || { echo "boot: FAIL: make-disk-image.sh exited $rc"; exit 1; }
	# debian-extlinux.img needs a loop mount: this host may not allow one.
	why=$(sed -n "s/^disk: not building $(basename "$image"): //p" <<<"$made")
	if [[ -n $why ]]; then
		echo "SKIP: no $(basename "$image") on this host: $why"
		exit "$EXIT_SKIP"
	fi
	[[ -s $image ]] || { echo "boot: FAIL: $image was not built"; exit 1; }
fi

# shellcheck source-path=SCRIPTDIR source=lib/console.sh
source "$script_dir/lib/console.sh"

# boot_image : one boot; returns non-zero on the first failed check.
boot_image() {
	local name loader line
	name=$(basename "$image" .img)
	mkdir -p "$build_dir/disk"
	log=$build_dir/disk/$engine-$name.log
	if [[ $engine == qemu ]]; then
		echo "boot: $name: $qemu -cpu $cpu -m $mem, -drive $image (snapshot)"
		console_start "$log" "$qemu" -nographic -no-reboot -m "$mem" -cpu "$cpu" \
			-drive "file=$image,format=raw,snapshot=on"
	else
		echo "boot: $name: softvt --accel $engine --memory ${mem}M --disk $image --snapshot ${SOFTVT_ARGS:-}"
		# shellcheck disable=SC2086 # SOFTVT_ARGS is a list of options
		console_start "$log" "$softvt" run --accel "$engine" --memory "${mem}M" ${SOFTVT_ARGS:-} \
			--disk "$image" --snapshot --serial stdio --debugcon none
	fi
	console_wait_shell 686 "$boot_timeout" || return 1

	# SeaBIOS (QEMU) mirrors the screen to the serial port and may put cursor moves in
	# the middle of a line: the terminal control sequences go before the match
	line=$(sed -E 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$log" | grep -ao "SOFTVT-DISK: [a-z]* loading" |
		head -n 1 || true)
	[[ -n $line ]] || { echo "boot: FAIL: no 'SOFTVT-DISK: LOADER loading' line from the bootloader"; return 1; }
	loader=$(awk '{ print $2 }' <<<"$line")
	echo "boot:   the bootloader ($loader) spoke on the serial console"
	run_cmd "cat /proc/cmdline" "console=" || return 1
	grep -q "softvt.boot=$loader" <<<"$reply" ||
		{ echo "boot: FAIL: /proc/cmdline lacks softvt.boot=$loader:"; echo "$reply"; return 1; }
	echo "boot:   /proc/cmdline: $(grep -m1 "softvt.boot=" <<<"$reply")"

	console_session_checks || return 1
	console_poweroff "$name"
}

failed=0
sum_before=$(sha256sum <"$image")
boot_image || failed=1
console_stop
if [[ $(sha256sum <"$image") != "$sum_before" ]]; then
	echo "boot: FAIL: $image changed although the VM had it as a snapshot"
	failed=1
fi
if ((failed)); then
	echo "boot: console log in $log"
	echo "boot: FAILED"
	exit 1
fi
echo "boot: $(basename "$image") passed under $engine"
