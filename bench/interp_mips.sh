#!/usr/bin/env bash
# interp_mips.sh [BUILD_DIR] [ENGINE] - instructions per second of an engine on a
# simple integer loop (bench/guests/loop.S: 250,000,000 instructions). Prints the
# best of 3 runs.
set -euo pipefail
build=${1:-build}
engine=${2:-interp}
guest=$build/bench/loop.elf
[[ -f $guest ]] || { echo "interp_mips: no $guest (build first)" >&2; exit 1; }
best=
for run in 1 2 3; do
	start=$(date +%s.%N)
	"$build/softvt" run --accel "$engine" --kernel "$guest" --serial none --debugcon none --timeout 120
	end=$(date +%s.%N)
	t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
	if [[ -z $best ]] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
done
awk -v t="$best" -v e="$engine" 'BEGIN { printf "%s: 250,000,000 instructions in %.2f s (best of 3) = %.1f M instructions/s\n", e, t, 250 / t }'
