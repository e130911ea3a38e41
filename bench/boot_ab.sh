#!/usr/bin/env bash
# boot_ab.sh OLD_SOFTVT NEW_SOFTVT [RUNS] [ENGINE] - compare two softvt binaries on the
# boot of the default Debian guest (686, console=ttyS0) to the busybox prompt: RUNS
# (default 5) boots of each, alternating old and new so both see the same machine load,
# each stopped as soon as the prompt appears. Prints the CPU time (user + system) of
# each boot and the medians. Copy the old binary aside first (cp build/softvt /tmp/old):
# a rebuild would replace it. The guest files are taken from the new binary's directory
# (guest/vmlinuz-686, guest/initramfs.cpio.gz: scripts/fetch-guest.sh).
set -uo pipefail
old=${1:?usage: boot_ab.sh OLD_SOFTVT NEW_SOFTVT [RUNS] [ENGINE]}
new=${2:?usage: boot_ab.sh OLD_SOFTVT NEW_SOFTVT [RUNS] [ENGINE]}
runs=${3:-5}
engine=${4:-interp}
guest=$(dirname "$new")/guest
kernel=$guest/vmlinuz-686
initrd=$guest/initramfs.cpio.gz
[[ -f $kernel && -f $initrd ]] || { echo "boot_ab: no $kernel or $initrd (scripts/fetch-guest.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hz=$(getconf CLK_TCK)

# boot BINARY: CPU seconds of one boot to the prompt
boot() {
	local log=$tmp/log pid stat
	: >"$log"
	"$1" run --accel "$engine" --kernel "$kernel" --initrd "$initrd" --append console=ttyS0 \
		--timeout 900 </dev/null >"$log" 2>&1 &
	pid=$!
	until grep -aq 'softvt#' "$log"; do
		kill -0 "$pid" 2>/dev/null || { echo "boot_ab: $1 did not reach the shell" >&2; return 1; }
		sleep 0.1
	done
	stat=$(cat "/proc/$pid/stat")
	kill "$pid"
	wait "$pid" 2>/dev/null
	awk -v hz="$hz" '{ printf "%.2f\n", ($12 + $13) / hz }' <<<"${stat##*) }"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

a=() b=()
for ((k = 1; k <= runs; k++)); do
	x=$(boot "$old") || exit 1
	y=$(boot "$new") || exit 1
	a+=("$x") b+=("$y")
	echo "run $k: old $x s, new $y s (load $(cut -d' ' -f1 /proc/loadavg))"
done
ma=$(printf '%s\n' "${a[@]}" | median)
mb=$(printf '%s\n' "${b[@]}" | median)
awk -v a="$ma" -v b="$mb" 'BEGIN { printf "median CPU to the shell: old %.2f s, new %.2f s (%+.1f %%)\n", a, b, (b - a) / a * 100 }'
