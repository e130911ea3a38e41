#!/bin/bash
# demo_ring_compression.sh SOFTVT - `softvt demo ring-compression`: the
# critical-instructions probe under every execution model. Checks the
# verdicts against what docs/DEMOS.md documents for each model:
#   interp, bt+bt  every answer right (bt+bt is compared with interp);
#   bt+direct      ring 0 right; ring 3 wrong for SGDT, SIDT, SLDT, STR and
#                  MOV from CS/SS (the host answers: ring compression);
#   naive          ring 0 wrong for SGDT, SIDT, SLDT, STR, POPF, MOV CS/SS;
#   native         ring 3 wrong for SGDT and MOV from CS;
#   kvm            not run here, with a reason.
set -uo pipefail
softvt=${1:?usage: demo_ring_compression.sh SOFTVT}
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
dir=$(dirname "$softvt")/guests
[[ -f $dir/critical.elf && -x $dir/critical-native ]] ||
	{ echo "SKIP: the probe guest was not built (gcc-multilib missing?)"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if ! "$softvt" demo ring-compression --json "$out/rc.json" >"$out/table.txt" 2>"$out/err.txt"; then
	echo "FAIL: softvt demo ring-compression failed:"; cat "$out/err.txt" "$out/table.txt"; exit 1
fi
cat "$out/table.txt"
python3 - "$out/rc.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["models"]
fail = []
def wrong(model, ring):
    return {k.split(" ", 1)[1] for k, v in d[model]["lines"].items()
            if k.startswith(ring) and not v["correct"]}
def expect(cond, what):
    if not cond:
        fail.append(what)
for m in ("interp", "bt+bt"):
    if d[m]["ran"]:
        expect(not wrong(m, "ring0") and not wrong(m, "ring3"), f"{m}: every answer right")
    else:
        fail.append(f"{m} did not run: {d[m].get('why')}")
leaks = {"sgdt", "sidt", "sldt", "str", "mov cs", "mov ss"}
if d["bt+direct"]["ran"]:
    expect(not wrong("bt+direct", "ring0"), "bt+direct: ring 0 right")
    expect(leaks <= wrong("bt+direct", "ring3"), "bt+direct: ring 3 shows the host for " + ", ".join(sorted(leaks)))
if d["naive"]["ran"]:
    expect(leaks | {"popf"} <= wrong("naive", "ring0"), "naive: ring 0 wrong for the critical instructions and POPF")
if d["native"]["ran"]:
    expect({"sgdt", "mov cs"} <= wrong("native", "ring3"), "native: the host's SGDT and CS")
expect(not d["kvm"]["ran"] or not wrong("kvm", "ring0"), "kvm: ring 0 right where it runs")
expect(d["kvm"]["ran"] or d["kvm"].get("why"), "kvm: a reason when it cannot run")
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
PY
