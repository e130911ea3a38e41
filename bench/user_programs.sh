#!/usr/bin/env bash
# user_programs.sh [BUILD_DIR] [ENGINE...] - the user-program benchmarks of the default
# Linux guest (guests/linux/progs: cpu_loop, getpid, forkwait, pgfault), natively on the
# host (the same static i386 binary, as a 32-bit process) and in the guest under each
# ENGINE, as a Markdown table with each engine's speed relative to native
# (native time / engine time: 1.00x is native speed, 0.10x ten times slower).
#
# ENGINE is one argument each: "native", "qemu" (QEMU TCG, same kernel and initramfs), or a
# softvt engine followed by its options, e.g. "bt --user interp", "bt --user direct".
# Default: native "bt --user direct" "bt --user interp" interp qemu. The guest runs through
# scripts/guest-run.sh (686 kernel, 256 MiB); each program measures itself with the
# guest's CLOCK_MONOTONIC, but a command that took >= 1 s (or >= 0.3 s and disagrees by
# > 30 %) is timed by the host instead (guest-run.sh's wall time minus that of `true`):
# the guest clock is wrong in user mode under --user direct and lags the host's under
# load. Such cells say "(host clock)".
#
# Counts (environment): CPU_LOOP_ITERS (default 500000000, ~1.2 s natively here),
# GETPID_N (200000), FORKWAIT_N (2000), PGFAULT_N (16384 pages); engines whose name
# contains "interp" run them divided by SLOW_DIV (default 20): the table compares time per
# operation. cpu_loop's checksum is checked against a native run with the same count.
# REPEAT (default 3): each program runs that many times (in the same boot) and the table
# shows the fastest run, the steadier number on a loaded machine. Raw output goes to stderr.
set -uo pipefail
build=${1:-build}
shift || true
specs=("$@")
((${#specs[@]})) || specs=(native "bt --user direct" "bt --user interp" interp qemu)
here=$(cd "$(dirname "$0")" && pwd)
progs=$build/linux-progs
[[ -x $progs/softvt-progs ]] || { echo "user_programs: no $progs/softvt-progs: build first" >&2; exit 1; }
slow_div=${SLOW_DIV:-20}
benches=(cpu_loop getpid forkwait pgfault)
declare -A count=([cpu_loop]=${CPU_LOOP_ITERS:-500000000} [getpid]=${GETPID_N:-200000}
	[forkwait]=${FORKWAIT_N:-2000} [pgfault]=${PGFAULT_N:-16384})
declare -A unit=([cpu_loop]="ns/iteration" [getpid]="ns/syscall" [forkwait]="µs/fork+wait"
	[pgfault]="ns/page fault")
declare -A per_op      # "spec|bench" -> ns per operation
declare -A checks      # "iters" -> "SPEC=CHECKSUM ..." of cpu_loop (spaces in SPEC as _)

declare -A host_used   # "spec|bench" -> 1 when the cell comes from the host's clock

# record SPEC LINES : parse the BENCH lines of one engine's run. In the guest,
# a command that took 1 s or more of host wall time is measured by the host:
# that time minus the time of `true` (the console's overhead) - the guest's
# clock is wrong under --user direct and lags under load. So is a command of
# 0.3 s or more (net) whose guest time disagrees with the host's by > 30 %.
record() {
	local spec=$1 line name ns iters check host_ns overhead=0 bench_line=
	while read -r line; do
		if [[ $line == "guest-run: \$ true" ]]; then
			bench_line=true
			continue
		fi
		if [[ $line == "guest-run: status "* && -n $bench_line ]]; then
			local host_s
			host_s=$(grep -o '(host [0-9.]* s)' <<<"$line" | awk '{ print $2 }')
			if [[ $bench_line == true ]]; then
				overhead=$host_s
			else
				record_one "$spec" "$bench_line" "$host_s" "$overhead"
			fi
			bench_line=
			continue
		fi
		[[ $line == BENCH\ * ]] || continue
		if [[ $spec == native ]]; then
			record_one "$spec" "$line" "" 0
		else
			bench_line=$line
		fi
	done <<<"$2"
}

# record_one SPEC BENCH_LINE HOST_SECONDS OVERHEAD : one measurement (keeps the fastest).
record_one() {
	local spec=$1 line=$2 name ns iters check host_ns src=guest
	name=$(awk '{ print $2 }' <<<"$line")
	ns=$(grep -o 'ns_per_op=[0-9.]*' <<<"$line" | cut -d= -f2)
	iters=$(grep -o 'iters=[0-9]*' <<<"$line" | cut -d= -f2)
	if [[ -n $3 ]]; then
		host_ns=$(awk -v h="$3" -v o="$4" -v n="$iters" 'BEGIN { printf "%.2f", (h - o) * 1e9 / n }')
		local off=0
		awk -v g="$ns" -v t="$host_ns" 'BEGIN { exit !(g > 1.3 * t || g < t / 1.3) }' && off=1
		if awk -v h="$3" -v o="$4" -v off="$off" 'BEGIN { exit !(h >= 1 || (off && h - o >= 0.3)) }'; then
			((!off)) || echo "user_programs: $spec $name: the guest clock says $ns ns/op, the host $host_ns: using the host's" >&2
			ns=$host_ns
			src=host
		fi
	fi
	{
		if [[ -z ${per_op["$spec|$name"]:-} ]] ||
			awk -v a="$ns" -v b="${per_op["$spec|$name"]}" 'BEGIN { exit !(a < b) }'; then
			per_op["$spec|$name"]=$ns
			host_used["$spec|$name"]=$([[ $src == host ]] && echo 1)
		fi
		if [[ $name == cpu_loop ]]; then
			check=$(grep -o 'check=[0-9a-f]*' <<<"$line" | cut -d= -f2)
			[[ " ${checks[$iters]:-} " == *" ${spec// /_}=$check "* ]] ||
				checks[$iters]="${checks[$iters]:-} ${spec// /_}=$check"
		fi
	}
}

for spec in "${specs[@]}"; do
	div=1
	[[ $spec == *interp* ]] && div=$slow_div
	cmds=(true)
	for b in "${benches[@]}"; do
		n=$((count[$b] / div))
		((n > 0)) || n=1
		for ((r = 0; r < ${REPEAT:-3}; r++)); do
			cmds+=("$b $n")
		done
	done
	echo "user_programs: $spec: ${cmds[*]}" >&2
	if [[ $spec == native ]]; then
		out=$(for c in "${cmds[@]:1}"; do (cd "$progs" && eval "./$c"); done 2>&1)
	else
		read -r engine opts <<<"$spec"
		out=$(SOFTVT_ARGS="${opts:-} ${SOFTVT_ARGS:-}" LOG_TAG=user-bench \
			bash "$here/../scripts/guest-run.sh" "$engine" "$build" "${cmds[@]}" 2>&1)
	fi
	grep -E '^(BENCH|guest-run: (status|boot|FAIL|VM))' <<<"$out" | sed 's/^/  /' >&2
	record "$spec" "$out"
done

# cpu_loop's checksum must be the native one for the same count.
for iters in "${!checks[@]}"; do
	native=$("$progs/cpu_loop" "$iters" | grep -o 'check=[0-9a-f]*' | cut -d= -f2)
	# shellcheck disable=SC2086 # a list of spec=checksum words
	for pair in ${checks[$iters]}; do
		[[ ${pair#*=} == "$native" ]] ||
			echo "user_programs: WRONG cpu_loop checksum under '${pair%=*}' ($iters iterations): ${pair#*=}, native $native" >&2
	done
done

# cell BENCH SPEC : "time per op (speed vs native)".
cell() {
	local v=${per_op["$2|$1"]:-} n=${per_op["native|$1"]:-}
	[[ -n $v ]] || { echo "failed"; return; }
	[[ $1 == forkwait ]] && v=$(awk -v v="$v" 'BEGIN { printf "%.1f", v / 1000 }') &&
		n=${n:+$(awk -v v="$n" 'BEGIN { printf "%.1f", v / 1000 }')}
	local mark=
	[[ -z ${host_used["$2|$1"]:-} ]] || mark=" (host clock)"
	if [[ -n $n && $2 != native ]]; then
		awk -v v="$v" -v n="$n" -v m="$mark" 'BEGIN { r = n / v; printf(r < 0.01 ? "%s (%.4fx)%s" : "%s (%.2fx)%s", v, r, m) }'
	else
		echo "$v$mark"
	fi
}
header="| benchmark | unit |"
rule="|---|---|"
for spec in "${specs[@]}"; do
	header+=" $spec |"
	rule+="---|"
done
echo "$header"
echo "$rule"
for b in "${benches[@]}"; do
	row="| $b | ${unit[$b]} |"
	for spec in "${specs[@]}"; do
		row+=" $(cell "$b" "$spec") |"
	done
	echo "$row"
done
