#!/bin/bash
# translation_viewer.sh SOFTVT - `softvt run --show-translation` and
# `softvt translation-html`: the paging test guest's blocks under engine bt.
# Checks that the viewer marks identical (=), re-encoded (~), rewritten (R,
# with a reason) and interpreted (X) instructions, that an EIP selects only
# the blocks containing it, that bad values are refused, and that the HTML
# page lists every block of the dump.
set -uo pipefail
softvt=${1:?usage: translation_viewer.sh SOFTVT}
elf=$(dirname "$softvt")/guests/paging.elf
[[ -f $elf ]] || { echo "SKIP: the paging test guest was not built"; exit 77; }
"$softvt" info | grep -q "^  bt  *available" || { echo "SKIP: engine bt cannot run here"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$softvt" run --accel bt --kernel "$elf" --serial none --debugcon none \
	--show-translation all 2>"$out/all.txt" || fail "the run failed: $(tail -3 "$out/all.txt")"
blocks=$(grep -c '^block ' "$out/all.txt")
((blocks > 50)) || fail "only $blocks blocks printed"
for mark in '=' '~' 'R' 'X'; do
	grep -qE "^  [0-9a-f]{8}  .{34} \\$mark " "$out/all.txt" || fail "no row marked $mark"
done
grep -q 'rewritten: the guest stack is 32-bit' "$out/all.txt" || fail "no reason for a PUSH/POP rewrite"
grep -q 'prologue: the poll-page check' "$out/all.txt" || fail "no block prologue"
echo "viewer: $blocks blocks, marks = ~ R X all present"

# one address: only the blocks that contain it
eip=$(grep -m1 -oE '^  [0-9a-f]{8}  ' "$out/all.txt" | tr -d ' ')
"$softvt" run --accel bt --kernel "$elf" --serial none --debugcon none \
	--show-translation "$eip" 2>"$out/one.txt" || fail "the run with --show-translation $eip failed"
n=$(grep -c '^block ' "$out/one.txt")
((n >= 1 && n < blocks)) || fail "--show-translation $eip printed $n blocks (all: $blocks)"
grep -q "^  $eip  " "$out/one.txt" || fail "--show-translation $eip does not show $eip"
echo "viewer: --show-translation $eip: $n block(s)"

"$softvt" run --accel bt --kernel "$elf" --show-translation zz 2>"$out/bad.txt" &&
	fail "--show-translation zz was accepted"
grep -q "neither 'all' nor a guest address" "$out/bad.txt" || fail "unclear error: $(cat "$out/bad.txt")"

"$softvt" translation-html "$out/all.txt" "$out/blocks.html" || fail "translation-html failed"
h2=$(grep -c '<h2 id="b' "$out/blocks.html")
((h2 == blocks)) || fail "the page has $h2 blocks, the dump $blocks"
grep -q "<p id=\"summary\">$blocks blocks" "$out/blocks.html" || fail "no summary line"
"$softvt" translation-html /nonexistent 2>"$out/bad.txt" && fail "a missing dump was accepted"
echo "html: $h2 blocks"
