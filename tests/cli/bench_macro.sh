#!/bin/bash
# bench_macro.sh SOFTVT BUILD_DIR - `softvt bench --macro` with tiny counts
# (100 fork+wait, 10^6 cpu_loop iterations, 1,000 getpid) and the fast models:
# native, bt+bt, bt+direct where this host runs it, and kvm and qemu-kvm for
# their reasons. Checks that the table has a row per benchmark with a number
# in the bt+bt column, that the JSON holds a positive median for every
# benchmark under bt+bt (and bt+direct when it ran), native's program rows and
# no boot for native, the same cpu_loop checksum everywhere, a reason for each
# model that did not run, and a PNG chart when gnuplot is installed. Also: a
# softvt with no guest beside it says how to fetch one, --help lists the
# options, and an unknown model is refused. Where kvm cannot run, the two
# modelled VT-x columns must run, say they are a model, and price fork+wait
# higher without EPT than with it.
set -uo pipefail
softvt=${1:?usage: bench_macro.sh SOFTVT BUILD_DIR}
build_dir=${2:?usage: bench_macro.sh SOFTVT BUILD_DIR}
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
[[ -f $build_dir/guest/vmlinuz-686 && -f $build_dir/guest/initramfs.cpio.gz ]] ||
	{ echo "SKIP: no default Linux guest in $build_dir/guest (scripts/fetch-guest.sh)"; exit 77; }
grep -qx softvt-progs "$build_dir/guest/initramfs.progs" 2>/dev/null ||
	{ echo "SKIP: the initramfs has no user programs (gcc-multilib missing?)"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$softvt" bench --macro --help >"$out/help.txt" || fail "--help exited non-zero"
for opt in --suite --models --runs --forks --cpu-loop --getpid --out; do
	grep -q -- "$opt" "$out/help.txt" || fail "--help does not mention $opt"
done
"$softvt" bench --macro --models bt+bt,nosuch >/dev/null 2>"$out/err.txt" &&
	fail "an unknown model was accepted"
grep -q "no model 'nosuch'" "$out/err.txt" || fail "no message for the unknown model: $(cat "$out/err.txt")"

# A softvt without a guest beside it must say how to fetch one.
mkdir "$out/bare"
cp "$softvt" "$out/bare/softvt"
"$out/bare/softvt" bench --macro --models bt+bt --out "$out/bare/o" >/dev/null 2>"$out/err.txt" &&
	fail "no guest, yet softvt bench --macro succeeded"
grep -q "fetch-guest.sh $out/bare" "$out/err.txt" ||
	fail "the missing-guest error does not give the fetch command: $(cat "$out/err.txt")"

"$softvt" bench --macro --models native,bt+direct,bt+bt,qemu-kvm,kvm,vtx-MODEL-noEPT,vtx-MODEL-EPT \
	--runs 1 --forks 100 \
	--cpu-loop 1000000 --getpid 1000 --out "$out" >"$out/table.md" 2>"$out/err.txt" ||
	{ echo "FAIL: softvt bench --macro failed:"; cat "$out/err.txt"; exit 1; }
cat "$out/table.md"
grep -q "^softvt bench: macro: forkwait 100 under bt+bt, run 1/1" "$out/err.txt" ||
	fail "no progress line for forkwait under bt+bt"
col=$(awk -F'|' '/^\| benchmark/ { for (i = 1; i <= NF; i++) if ($i == " bt+bt ") print i }' "$out/table.md")
[[ -n $col ]] || fail "no bt+bt column"
for row in "boot to shell" "forkwait 100" "cpu_loop 1000000" "getpid 1000"; do
	cell=$(awk -F'|' -v r=" $row " -v c="${col:-0}" '$2 == r { print $c }' "$out/table.md")
	[[ $cell =~ ^\ [0-9][0-9,.]* ]] || fail "row '$row': no number under bt+bt ('$cell')"
done
python3 - "$out/macro.json" <<'PY' || failures=$((failures + 1))
import json, sys
d = json.load(open(sys.argv[1]))
m = d["models"]
fail = []
if d["counts"] != {"forkwait": 100, "cpu_loop": 1000000, "getpid": 1000}:
    fail.append(f"counts {d['counts']}")
def positive(model, keys):
    for k in keys:
        v = m[model].get(k, {}).get("median")
        if not (isinstance(v, (int, float)) and v > 0):
            fail.append(f"{model}: no positive median for {k}")
progs = ["forkwait", "cpu_loop", "getpid"]
if not m["bt+bt"]["ran"]:
    fail.append(f"bt+bt did not run: {m['bt+bt'].get('why')}")
else:
    positive("bt+bt", ["boot", "boot_cpu"] + progs)
if m["bt+direct"]["ran"]:
    positive("bt+direct", ["boot"] + progs)
elif not m["bt+direct"].get("why"):
    fail.append("bt+direct: neither results nor a reason")
if m["native"]["ran"]:
    positive("native", progs)
    if "boot" in m["native"]:
        fail.append("native has a boot time")
checks = {k: v["cpu_loop_check"] for k, v in m.items() if "cpu_loop_check" in v}
if len(set(checks.values())) > 1:
    fail.append(f"cpu_loop checksums differ: {checks}")
for k in ("kvm", "qemu-kvm"):
    if not m[k]["ran"] and not m[k].get("why"):
        fail.append(f"{k}: not run and no reason")
# the modelled VT-x columns, where kvm cannot run: fork+wait takes exits without EPT
# (CR3 loads, page faults, page-table writes), so it costs more there than with EPT
if not m["kvm"]["ran"]:
    for k in ("vtx-MODEL-noEPT", "vtx-MODEL-EPT"):
        if not m[k]["ran"]:
            fail.append(f"{k} did not run: {m[k].get('why')}")
        elif "MODEL" not in m[k]["what"]:
            fail.append(f"{k} does not say it is a model")
    if m["vtx-MODEL-noEPT"]["ran"] and m["vtx-MODEL-EPT"]["ran"]:
        positive("vtx-MODEL-noEPT", progs)
        a = m["vtx-MODEL-noEPT"]["forkwait"]["median"]
        b = m["vtx-MODEL-EPT"]["forkwait"]["median"]
        if not a > b:
            fail.append(f"modelled fork+wait without EPT ({a}) not above with EPT ({b})")
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
PY
if command -v gnuplot >/dev/null; then
	[[ $(head -c 8 "$out/macro.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
		fail "macro.png is not a PNG"
else
	echo "note: gnuplot is not installed: no chart checked"
fi
((failures == 0)) || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
