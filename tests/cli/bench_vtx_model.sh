#!/bin/bash
# bench_vtx_model.sh SOFTVT - the modelled VT-x columns (docs/VTX_MODEL.md).
# `softvt bench --runs 1` where kvm cannot run: the table has the two
# columns labelled as a MODEL, the notes say it is a model and cite the
# exit cost's source, and bench.json holds the exact per-operation exits
# (in: 1 and 1; cr3: 2 without EPT, 0 with; pgfault: 4 and 0; call/ret: 0).
# Then `softvt run --stats` under the interpreter prints the vtx-model
# lines, each saying "MODEL" or "model", and the costs with their sources.
set -uo pipefail
softvt=${1:?usage: bench_vtx_model.sh SOFTVT}
guests=$(dirname "$softvt")/guests
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
[[ -f $guests/nanobench.elf ]] ||
	{ echo "SKIP: the nanobench guest was not built (gcc-multilib missing?)"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$softvt" run --accel interp --kernel "$guests/nanobench.elf" --append vtx-model=cr3 \
	--debugcon none --serial none --timeout 60 --stats 2>"$out/stats.txt" >/dev/null
cat "$out/stats.txt"
lines=$(grep -c '^softvt: stats: vtx-model' "$out/stats.txt")
[[ $lines -ge 4 ]] || { echo "FAIL: $lines vtx-model lines in --stats"; exit 1; }
grep '^softvt: stats: vtx-model' "$out/stats.txt" | grep -v -i 'model.*model' &&
	{ echo "FAIL: a vtx-model line does not say it is a model"; exit 1; }
grep -q 'vtx-model cost.*source: ' "$out/stats.txt" ||
	{ echo "FAIL: no cost line with its source"; exit 1; }
grep -q 'vtx-model no-ept model exits.*cr3_write 4001 cr3_read 4000' "$out/stats.txt" ||
	{ echo "FAIL: 4,000 MOV CR3 did not count 4,000 CR3 reads and writes without EPT"; exit 1; }

"$softvt" bench --runs 1 --out "$out" >"$out/table.md" 2>"$out/err.txt" ||
	{ echo "FAIL: softvt bench failed:"; cat "$out/err.txt"; exit 1; }
cat "$out/table.md"
python3 - "$out/bench.json" "$out/table.md" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
md = open(sys.argv[2]).read()
if d["models"]["kvm"]["ran"]:
    print("kvm ran: no modelled columns expected")
    sys.exit(0 if "vtx_model" not in d and "VT-x MODEL" not in md else 1)
fail = []
head = [l for l in md.splitlines() if l.startswith("| operation |")][0]
for col in ("VT-x MODEL, no EPT", "VT-x MODEL, EPT"):
    if col not in head:
        fail.append(f"no column '{col}' in the table's header")
if "a MODEL, not a measurement" not in md or "source: " not in md:
    fail.append("the notes do not say the columns are a model with a cited source")
v = d.get("vtx_model")
if not v or not v["ran"]:
    fail.append(f"no VT-x model in bench.json: {v and v.get('why')}")
else:
    if "MODEL" not in v["model"]:
        fail.append("bench.json's vtx_model does not say it is a model")
    for k, c in v["costs"].items():
        if not c["source"] or not c["cycles_per_exit"] > 0:
            fail.append(f"cost {k} without a source or cycles")
    want = {"in": (1, 1), "cr3": (2, 0), "pgfault": (4, 0), "ptemod": (2, 0),
            "call/ret": (0, 0), "syscall": (0, 0), "divzero": (0, 0)}
    for op, (no_ept, ept) in want.items():
        got = (v["ops"][op]["exits_no_ept"], v["ops"][op]["exits_ept"])
        if got != (no_ept, ept):
            fail.append(f"{op}: exits per operation {got}, expected {(no_ept, ept)}")
    shown = v["shown"]
    if not v["ops"]["in"][shown]["cycles_no_ept"] >= v["costs"][shown]["cycles_per_exit"]:
        fail.append("in: modelled cycles below one exit's cost")
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
PY
