#!/bin/bash
# bench_clocks.sh SOFTVT - the nanobenchmarks' time base. Under bt with user
# code direct the guest's TSC is the host's (~2.6 GHz here); with user code
# translated it is the virtual 1 GHz TSC. The kernel-only operations that
# cost microseconds (a guest page fault, a divide error, a CR3 write) run the
# same translated kernel code under both, so their fastest runs must agree
# within 3x; they did not while nanobench's ns-per-op arithmetic overflowed 64
# bits (past 1.8 us per op at 2.6 GHz the numbers wrapped to small values:
# divzero 547 against 3,316 ns). The fastest of 5 runs, not the median: with
# other builds beside it a median moved by 2.5x.
set -uo pipefail
softvt=${1:?usage: bench_clocks.sh SOFTVT}
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
[[ -f $(dirname "$softvt")/guests/nanobench.elf ]] ||
	{ echo "SKIP: the nanobench guest was not built (gcc-multilib missing?)"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$softvt" bench --runs 5 --out "$out" >"$out/table.md" 2>"$out/err.txt" ||
	{ echo "FAIL: softvt bench failed:"; cat "$out/err.txt"; exit 1; }
python3 - "$out/bench.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["models"]
for m in ("bt+direct", "bt+bt"):
    if not d[m]["ran"]:
        print(f"SKIP: {m} did not run: {d[m].get('why')}")
        sys.exit(77)
fail = False
for op in ("pgfault", "divzero", "cr3"):
    a, b = d["bt+direct"][op]["ns_min"], d["bt+bt"][op]["ns_min"]
    ok = a > 0 and b > 0 and 1 / 3 <= a / b <= 3
    print(f"{op}: bt+direct {a:.0f} ns, bt+bt {b:.0f} ns: {'ok' if ok else 'FAIL: they should agree'}")
    fail |= not ok
sys.exit(1 if fail else 0)
PY
