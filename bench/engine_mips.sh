#!/usr/bin/env bash
# engine_mips.sh [BUILD_DIR] [ENGINE...] - guest instructions per second of each engine
# (default: interp bt) on a simple integer loop in ring 0 (bench/guests/loop.S: add, xor,
# store, dec, jnz), side by side, with the ratio to the first engine.
#
# Each engine runs loop.elf (250 M instructions); if that takes under 2 s it runs
# loop-long.elf (5 G) instead, so that the time is not mostly start-up. Times are the best
# of 3 runs, wall-clock and CPU (user + system), including start-up and exit; the CPU time
# of start-up and exit (loop-empty.elf, best of 3) is subtracted for the "net" rate, which
# the ratio compares (on a loaded machine CPU time is the steadier). One more run with --stats-json
# reports how many instructions the engine interpreted (for bt: the loop must stay in the
# TC; the few interpreted ones are the exit's OUT and the like) and which.
set -euo pipefail
build=${1:-build}
shift || true
engines=("$@")
((${#engines[@]})) || engines=(interp bt)
dir=$build/bench
for g in loop loop-long loop-empty; do
	[[ -f $dir/$g.elf ]] || { echo "engine_mips: no $dir/$g.elf (build first)" >&2; exit 1; }
done
command -v python3 >/dev/null || { echo "engine_mips: python3 is needed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# best3 ENGINE GUEST: "wall cpu" - the best wall-clock time and the best CPU time (user +
# system) of 3 runs, in seconds (on a loaded machine the CPU time is the steadier one)
best3() {
	local bw= bc= w c
	for run in 1 2 3; do
		read -r w c < <({ TIMEFORMAT='%R %U %S'; time "$build/softvt" run --accel "$1" \
			--kernel "$dir/$2.elf" --serial none --debugcon none --timeout 300 \
			>/dev/null 2>"$tmp/err"; } 2>&1 | awk '{ printf "%s %.3f\n", $1, $2 + $3 }')
		[[ -n $w ]] || { echo "engine_mips: $1 $2 failed: $(cat "$tmp/err")" >&2; exit 1; }
		if [[ -z $bw ]] || awk -v t="$w" -v b="$bw" 'BEGIN { exit !(t < b) }'; then bw=$w; fi
		if [[ -z $bc ]] || awk -v t="$c" -v b="$bc" 'BEGIN { exit !(t < b) }'; then bc=$c; fi
	done
	echo "$bw $bc"
}

declare -A mips
echo "| engine | guest | instructions | wall (s) | CPU (s) | start-up CPU (s) | M instr/s (wall) | M instr/s (CPU, net of start-up) | vs ${engines[0]} (CPU, net) | interpreted |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for e in "${engines[@]}"; do
	guest=loop
	n=250000000
	read -r t c < <(best3 "$e" loop)
	if awk -v t="$t" 'BEGIN { exit !(t < 2) }'; then
		guest=loop-long
		n=5000000000
		read -r t c < <(best3 "$e" loop-long)
	fi
	read -r t0 c0 < <(best3 "$e" loop-empty)
	"$build/softvt" run --accel "$e" --kernel "$dir/$guest.elf" --serial none --debugcon none \
		--timeout 300 --stats-json "$tmp/$e.json"
	interp=$(python3 - "$tmp/$e.json" "$e" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
e = j.get(sys.argv[2], {})
if "interpreted" in e:
	n = e["interpreted"]["total"]
	top = sorted(e["tc_exits_by_mnemonic"].items(), key=lambda kv: -kv[1])[:4]
	print("%d (%s)" % (n, ", ".join("%s %d" % kv for kv in top)) if top else "%d" % n)
elif "instructions" in e:
	print("all")
else:
	print("-")
PY
)
	wall=$(awk -v n="$n" -v t="$t" 'BEGIN { printf "%.1f", n / t / 1e6 }')
	mips[$e]=$(awk -v n="$n" -v c="$c" -v c0="$c0" 'BEGIN { d = c - c0; if (d <= 0) d = c; printf "%.1f", n / d / 1e6 }')
	ratio=$(awk -v a="${mips[$e]}" -v b="${mips[${engines[0]}]}" 'BEGIN { printf "%.1fx", a / b }')
	printf "| %s | %s.elf | %d | %.2f | %.2f | %.3f | %s | %s | %s | %s |\n" "$e" "$guest" "$n" "$t" "$c" \
		"$c0" "$wall" "${mips[$e]}" "$ratio" "$interp"
done
