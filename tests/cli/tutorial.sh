#!/bin/bash
# tutorial.sh SOFTVT BUILD_DIR - scripts/make-tutorial.sh regenerates
# docs/TUTORIAL.md (into a temporary file here) from its template with the
# real output of every command. Checks that the script succeeds, that every
# @@RUN@@ marker became a fenced block with the command and some output, and
# that the outputs hold the verdicts the tutorial's text explains (ring 1 out
# of reach, the naive model failing 10 of 15 checks, the red pills, the
# rewritten CLI/STI, shadow fills, direct-execution exits in the Linux boot,
# the kvm probe's reason, a nanobench row per operation). Skips (77) only
# when something the tutorial runs was not built or fetched.
set -uo pipefail
softvt=${1:?usage: tutorial.sh SOFTVT BUILD_DIR}
build=${2:-$(dirname "$softvt")}
src=$(cd "$(dirname "$0")/../.." && pwd)
template=$src/docs/tutorial/TUTORIAL.md.in

for f in guests/critical.elf guests/nanobench.elf guests/paging.elf guests/rings-native \
	 bench/bench_window; do
	[[ -e $build/$f ]] || { echo "SKIP: $build/$f was not built (gcc-multilib missing?)"; exit 77; }
done
[[ -f $build/guest/vmlinuz-686 && -f $build/guest/initramfs.cpio.gz ]] ||
	{ echo "SKIP: no Linux guest in $build/guest (scripts/fetch-guest.sh $build)"; exit 77; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if ! "$src/scripts/make-tutorial.sh" "$build" "$out/TUTORIAL.md" 2>"$out/log"; then
	echo "FAIL: make-tutorial.sh failed:"; tail -30 "$out/log"; exit 1
fi
tail -3 "$out/log"
doc=$out/TUTORIAL.md
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# every marker replaced by a block "```", "$ command", at least one line of output, "```"
markers=$(grep -c '^@@RUN .*@@$' "$template")
grep -q '@@RUN' "$doc" && bad "a marker was left in the output"
blocks=$(awk '
	/^```/ && !inb { inb = 1; n = 0; next }
	/^```$/ && inb { inb = 0; if (cmd && n > 0) good++; cmd = 0; next }
	inb { n++; if (n == 1 && /^\$ /) { cmd = 1; n = 0 } }
	END { print good + 0 }' "$doc")
((markers > 0 && blocks == markers)) ||
	bad "$markers markers in the template, $blocks command blocks with output in the result"

# need REGEX WHAT: the generated page must show this
need() { grep -qE -- "$1" "$doc" || bad "$2 (no line matching: $1)"; }
need '^ring0 mov cs=0008 rpl=0$' "interp: ring 0 code sees RPL 0 in CS"
need '-> DPL 3$' "rings-native: the kernel's LDT descriptor has DPL 3"
need '^lret to 0x0005 .*SIGSEGV, trap 13 \(#GP\)' "rings-native: a far return to RPL 1 is a #GP"
need '^ring 1 is out of reach' "rings-native: its verdict"
need '^# passed 5 of 15$' "naive: 5 of the 15 critical checks pass"
need '^not ok 8 - ring 0: POPF clears IF$' "naive: POPF cannot clear IF"
need '^ring0 popf .* X 1 +ok +ok' "ring-compression: POPF wrong under naive only"
need '^ring3 sgdt .*X fffe0000 0000 +ok' "ring-compression: ring-3 SGDT wrong directly, right under bt+bt"
need '^verdict +bare machine .*looks bare' "redpill: interp and bt+bt look bare"
need '^ +popf +ring deprivileging' "ring-compression: the reason for POPF"
need '^  [0-9a-f]{8}  cli +R .*virtual IF' "translation: CLI rewritten onto the virtual IF"
need '^  [0-9a-f]{8}  sti +R ' "translation: STI rewritten"
need '^  [0-9a-f]{8}  rdtsc +R .*callout' "translation: RDTSC a callout"
need 'stats: bt identical +[0-9.]+ % of translated' "stats: the identical share"
need '^[0-9]+ blocks; guest instructions: [0-9]+ identical' "translation-html: the page's summary"
need 'stats: bt shadow +[1-9][0-9]* fills' "shadow paging: fills"
need 'fill \(SIGSEGV \+ window_fault \+ retry\) +[0-9]+ cycles/fault' "bench_window: the fill cost"
need '^guest-run: VM exit status 0$' "Linux: booted, ran the command, powered off"
need 'stats: bt direct +[1-9][0-9]* entries' "Linux: user code ran directly"
need '/dev/kvm' "info: what this host's /dev/kvm can do"
for op in syscall in cli/sti pushf/popf call/ret pgfault divzero ptemod cr3; do
	need "^\| $op \| " "bench: the $op row"
done
((fail)) && exit 1
echo "PASS: $markers commands, every block filled, verdicts as the tutorial explains them"
