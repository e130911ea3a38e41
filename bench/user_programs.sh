#!/usr/bin/env bash
# user_programs.sh [BUILD_DIR] [ENGINE...] - the user-program benchmarks of the default
# Linux guest (guests/linux/progs: cpu_loop, getpid, forkwait, pgfault), natively on the
# host (the same static i386 binary, as a 32-bit process) and in the guest under each
# ENGINE, as a Markdown table with each engine's speed relative to native
# (native time / engine time: 1.00x is native speed, 0.10x ten times slower).
#
# A front end of `softvt bench --macro` (src/vmm/bench_macro.c), which boots the guest
# through scripts/guest-run.sh, runs the programs, times each with the guest's clock or,
# for a command of 1 s or more (or of 0.3 s whose guest time is off by > 30 %), with the
# host's (the guest clock is wrong in user mode under --user direct and lags under load;
# such cells say "(host clock)"), and checks cpu_loop's checksum against a native run.
# This script adds the engines as softvt options, smaller counts for slow engines and the
# ratio to native.
#
# ENGINE is one argument each: "native", "qemu" (QEMU TCG, same kernel and initramfs), or a
# softvt engine followed by its options, e.g. "bt --user interp", "bt --user direct"
# (options other than --user go to softvt through SOFTVT_ARGS). Default: native
# "bt --user direct" "bt --user interp" interp qemu.
#
# Counts (environment): CPU_LOOP_ITERS (default 500000000, ~0.8 s natively here),
# GETPID_N (200000), FORKWAIT_N (2000), PGFAULT_N (16384 pages); engines whose name
# contains "interp" run them divided by SLOW_DIV (default 20): the table compares time per
# operation. REPEAT (default 3): boots per engine; the table shows the fastest run, the
# steadier number on a loaded machine. softvt bench's progress goes to stderr.
set -uo pipefail
build=${1:-build}
shift || true
specs=("$@")
((${#specs[@]})) || specs=(native "bt --user direct" "bt --user interp" interp qemu)
[[ -x $build/softvt ]] || { echo "user_programs: no $build/softvt: build first" >&2; exit 1; }
command -v python3 >/dev/null || { echo "user_programs: needs python3 (for softvt bench's JSON)" >&2; exit 1; }
slow_div=${SLOW_DIV:-20}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# model_of SPEC : softvt bench's model for SPEC into $model, its other options into $extra.
model_of() {
	local engine opts user=direct
	read -r engine opts <<<"$1"
	extra=
	case $engine in
	native) model=native ;;
	qemu) model=qemu-tcg ;;
	bt)
		# shellcheck disable=SC2086 # a list of options
		set -- $opts
		while (($#)); do
			if [[ $1 == --user && $# -gt 1 ]]; then
				user=$2
				shift
			else
				extra+=" $1"
			fi
			shift
		done
		model=bt+$user
		;;
	*)
		model=$engine
		extra=$opts
		;;
	esac
}

# count N : N divided by the engine's divisor, at least 1.
count() {
	local n=$(($1 / div))
	echo $((n > 0 ? n : 1))
}

i=0
for spec in "${specs[@]}"; do
	div=1
	[[ $spec == *interp* ]] && div=$slow_div
	model_of "$spec"
	echo "user_programs: $spec (softvt bench model $model${extra:+, SOFTVT_ARGS$extra})" >&2
	SOFTVT_ARGS="$extra ${SOFTVT_ARGS:-}" "$build/softvt" bench --macro --models "$model" \
		--runs "${REPEAT:-3}" --cpu-loop "$(count "${CPU_LOOP_ITERS:-500000000}")" \
		--getpid "$(count "${GETPID_N:-200000}")" --forks "$(count "${FORKWAIT_N:-2000}")" \
		--pgfault "$(count "${PGFAULT_N:-16384}")" --out "$out/$i" >/dev/null
	printf '%s\t%s\t%s\n' "$spec" "$model" "$out/$i/macro.json" >>"$out/list"
	i=$((i + 1))
done

python3 - "$out/list" <<'PY'
import json, sys
rows = [("cpu_loop", "ns/iteration"), ("getpid", "ns/syscall"), ("forkwait", "µs/fork+wait"),
        ("pgfault", "ns/page fault")]
cols = []
for line in open(sys.argv[1]):
    spec, model, path = line.rstrip("\n").split("\t")
    try:
        cols.append((spec, json.load(open(path))["models"][model]))
    except (OSError, ValueError, KeyError):
        cols.append((spec, {"ran": False, "why": "softvt bench wrote no results"}))
native = next((m for s, m in cols if s == "native" and m.get("ran")), None)
def num(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.2f}"
print("| benchmark | unit | " + " | ".join(s for s, _ in cols) + " |")
print("|---|---|" + "---|" * len(cols))
for name, unit in rows:
    cells = []
    for spec, m in cols:
        r = m.get(name) if m.get("ran") else None
        if not r:
            cells.append("failed" if m.get("ran") else "not run")
            continue
        cell = num(r["min"])
        n = native.get(name) if native else None
        if n and spec != "native":
            ratio = n["min"] / r["min"]
            cell += f" ({ratio:.4f}x)" if ratio < 0.01 else f" ({ratio:.2f}x)"
        if r.get("clock") == "host":
            cell += " (host clock)"
        cells.append(cell)
    print(f"| {name} | {unit} | " + " | ".join(cells) + " |")
for spec, m in cols:
    if not m.get("ran") or m.get("why"):
        print(f"\n{spec}: {m.get('why', '')}", end="")
print()
PY
