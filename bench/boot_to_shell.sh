#!/usr/bin/env bash
# boot_to_shell.sh [BUILD_DIR] [ENGINE...] - time from start to the busybox shell prompt of
# the default Debian guest (686 flavour, console=ttyS0) under each engine (default: qemu
# interp; qemu = QEMU TCG, the reference), using scripts/boot-linux.sh, and print a
# Markdown table with the ratio to QEMU: wall clock, and the CPU time (user + system, all
# threads) the VM process had used by then, the steadier number on a loaded machine.
set -uo pipefail
build=${1:-build}
shift || true
engines=("$@")
((${#engines[@]})) || engines=(qemu interp)
here=$(dirname "$0")
declare -A secs cpu
for e in "${engines[@]}"; do
	out=$(BOOT_TIMEOUT=900 bash "$here/../scripts/boot-linux.sh" "$e" "$build" 686 2>&1)
	line=$(grep -o 'shell prompt after [0-9.]* s (CPU [0-9.?]* s)' <<<"$out")
	t=$(awk '{ print $4 }' <<<"$line")
	c=$(awk '{ print $7 }' <<<"$line")
	if [[ -z $t ]]; then
		echo "boot_to_shell: $e did not reach the shell:" >&2
		tail -5 <<<"$out" >&2
	fi
	secs[$e]=$t
	cpu[$e]=$c
done
ratio() {
	[[ -n $1 && -n $2 && $1 != "?" && $2 != "?" ]] || { echo -; return; }
	awk -v t="$1" -v q="$2" 'BEGIN { printf "%.1fx", t / q }'
}
echo "| engine | boot to shell (s) | vs QEMU TCG | CPU to shell (s) | vs QEMU TCG (CPU) |"
echo "|---|---|---|---|---|"
for e in "${engines[@]}"; do
	t=${secs[$e]:-}
	c=${cpu[$e]:-}
	echo "| $e | ${t:-failed} | $(ratio "$t" "${secs[qemu]:-}") | ${c:-failed} | $(ratio "$c" "${cpu[qemu]:-}") |"
done
