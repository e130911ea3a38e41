#!/usr/bin/env bash
# cpu_time.sh [BUILD_DIR] [ENGINE] - user CPU seconds of an engine for the two interpreter
# benchmarks: the loop of interp_mips.sh (250,000,000 instructions; best of 3) and the
# boot of the default Debian guest to the busybox prompt (console=ttyS0). CPU time
# rather than wall-clock time, so that numbers taken on a shared, busy machine stay
# comparable (wall-clock time grows with the load; CPU time much less). The boot is
# stopped as soon as the prompt appears.
set -uo pipefail
build=${1:-build}
engine=${2:-interp}
guest=$build/bench/loop.elf
kernel=$build/guest/vmlinuz-686
initrd=$build/guest/initramfs.cpio.gz
[[ -f $guest ]] || { echo "cpu_time: no $guest (build first)" >&2; exit 1; }
[[ -f $kernel && -f $initrd ]] || { echo "cpu_time: no $kernel or $initrd (scripts/fetch-guest.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

best=
for run in 1 2 3; do
	/usr/bin/time -o "$tmp/t" -f "%U" "$build/softvt" run --accel "$engine" --kernel "$guest" \
		--serial none --debugcon none --timeout 120 >/dev/null 2>&1
	t=$(tail -1 "$tmp/t")
	if [[ -z $best ]] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
done
awk -v t="$best" -v e="$engine" 'BEGIN { printf "%s: loop: 250,000,000 instructions in %.2f s of CPU = %.1f M instructions/s\n", e, t, 250 / t }'

/usr/bin/time -o "$tmp/t" -f "%U %e" "$build/softvt" run --accel "$engine" --kernel "$kernel" \
	--initrd "$initrd" --append console=ttyS0 --timeout 900 --stats </dev/null >"$tmp/log" 2>&1 &
timer=$!
until grep -q 'softvt#' "$tmp/log" 2>/dev/null; do
	kill -0 "$timer" 2>/dev/null || { echo "cpu_time: $engine did not reach the shell" >&2; exit 1; }
	sleep 0.2
done
vmm=$(pgrep -P "$timer")
[[ -n $vmm ]] && kill "$vmm"
wait "$timer"
read -r user wall < <(tail -1 "$tmp/t")
echo "$engine: boot to the shell: $user s of CPU ($wall s wall-clock)"
