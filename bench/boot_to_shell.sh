#!/usr/bin/env bash
# boot_to_shell.sh [BUILD_DIR] [ENGINE...] - time from start to the busybox shell prompt of
# the default Debian guest (686 flavour, console=ttyS0) under each engine (default: qemu
# interp; qemu = QEMU TCG, the reference), using scripts/boot-linux.sh, and print a
# Markdown table with the ratio to QEMU.
set -uo pipefail
build=${1:-build}
shift || true
engines=("$@")
((${#engines[@]})) || engines=(qemu interp)
here=$(dirname "$0")
declare -A secs
for e in "${engines[@]}"; do
	out=$(BOOT_TIMEOUT=900 bash "$here/../scripts/boot-linux.sh" "$e" "$build" 686 2>&1)
	t=$(grep -o 'shell prompt after [0-9.]* s' <<<"$out" | awk '{ print $4 }')
	if [[ -z $t ]]; then
		echo "boot_to_shell: $e did not reach the shell:" >&2
		tail -5 <<<"$out" >&2
		secs[$e]=
	else
		secs[$e]=$t
	fi
done
echo "| engine | boot to shell (s) | vs QEMU TCG |"
echo "|---|---|---|"
for e in "${engines[@]}"; do
	t=${secs[$e]:-}
	q=${secs[qemu]:-}
	ratio=-
	[[ -n $t && -n $q ]] && ratio=$(awk -v t="$t" -v q="$q" 'BEGIN { printf "%.1fx", t / q }')
	echo "| $e | ${t:-failed} | $ratio |"
done
