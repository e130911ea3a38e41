#!/bin/bash
# demo_redpill.sh SOFTVT - `softvt demo redpill`: the classic VM-detection
# tricks run by guest user code under each model. Checks the documented
# verdicts (docs/DEMOS.md): interpreted and translated user code (interp,
# bt+bt) look like a bare P6 - no trick fires; user code running directly
# (bt+direct) and the naive model give the VM away through SIDT (Red Pill)
# and STR; the native column's hypervisor bit matches this host's CPU flags.
set -uo pipefail
softvt=${1:?usage: demo_redpill.sh SOFTVT}
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
dir=$(dirname "$softvt")/guests
[[ -f $dir/redpill.elf && -x $dir/redpill-native ]] ||
	{ echo "SKIP: the redpill guest was not built (gcc-multilib missing?)"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if ! "$softvt" demo redpill --json "$out/rp.json" >"$out/table.txt" 2>"$out/err.txt"; then
	echo "FAIL: softvt demo redpill failed:"; cat "$out/err.txt" "$out/table.txt"; exit 1
fi
cat "$out/table.txt"
hv=0
grep -qw hypervisor /proc/cpuinfo && hv=1
python3 - "$out/rp.json" "$hv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["models"]
host_hv = sys.argv[2] == "1"
fail = []
def fires(m):
    return {k for k, v in d[m]["tricks"].items() if v["gives_vm_away"]}
for m in ("interp", "bt+bt"):
    if not d[m]["ran"]:
        fail.append(f"{m} did not run: {d[m].get('why')}")
    elif fires(m):
        fail.append(f"{m}: tricks fire: {sorted(fires(m))}")
for m in ("bt+direct", "naive"):
    if d[m]["ran"] and not {"sidt", "str"} <= fires(m):
        fail.append(f"{m}: Red Pill (SIDT) and STR should give the VM away, got {sorted(fires(m))}")
if d["native"]["ran"]:
    if (d["native"]["tricks"]["cpuid-hv"]["value"] == "1") != host_hv:
        fail.append("native: the hypervisor bit disagrees with /proc/cpuinfo")
if not d["kvm"]["ran"] and not d["kvm"].get("why"):
    fail.append("kvm: no reason given")
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
PY
