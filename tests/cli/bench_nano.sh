#!/bin/bash
# bench_nano.sh SOFTVT - `softvt bench --runs 1`: the nanobenchmark guest
# under every model. Checks that the table has a row per operation, that
# the JSON holds a positive median for each operation under interp and the
# bt models (and for the native ones natively), that kvm is reported with a
# reason, and that the chart is a PNG when gnuplot is installed.
set -uo pipefail
softvt=${1:?usage: bench_nano.sh SOFTVT}
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
[[ -f $(dirname "$softvt")/guests/nanobench.elf ]] ||
	{ echo "SKIP: the nanobench guest was not built (gcc-multilib missing?)"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$softvt" bench --runs 1 --out "$out" >"$out/table.md" 2>"$out/err.txt" ||
	{ echo "FAIL: softvt bench failed:"; cat "$out/err.txt"; exit 1; }
cat "$out/table.md"
for op in syscall in cli/sti pushf/popf call/ret pgfault divzero ptemod cr3; do
	grep -q "^| $op |" "$out/table.md" || { echo "FAIL: no row for $op"; exit 1; }
done
python3 - "$out/bench.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["models"]
ops = ["syscall", "in", "cli/sti", "pushf/popf", "call/ret", "pgfault", "divzero", "ptemod", "cr3"]
fail = []
for m in ("interp", "bt+direct", "bt+bt"):
    if not d[m]["ran"]:
        fail.append(f"{m} did not run: {d[m].get('why')}")
        continue
    for op in ops:
        if not d[m].get(op, {}).get("ns_median", 0) > 0:
            fail.append(f"{m}: no {op}")
if d["native"]["ran"]:
    for op in ("syscall", "call/ret", "pgfault", "divzero"):
        if not d["native"].get(op, {}).get("ns_median", 0) > 0:
            fail.append(f"native: no {op}")
if not d["kvm"]["ran"] and not d["kvm"].get("why"):
    fail.append("kvm: no reason")
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
PY
[[ $? -eq 0 ]] || exit 1
if command -v gnuplot >/dev/null; then
	[[ $(head -c 8 "$out/bench.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
		{ echo "FAIL: bench.png is not a PNG"; exit 1; }
	echo "chart: $(stat -c %s "$out/bench.png") bytes"
else
	echo "note: gnuplot is not installed: no chart checked"
fi
