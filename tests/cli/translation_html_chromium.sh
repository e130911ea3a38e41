#!/bin/bash
# translation_html_chromium.sh SOFTVT - the translation viewer's web page in
# headless Chromium (Debian's chromium): the page must load and render (a
# screenshot is taken, kept as BUILD/translation-viewer.png) and its DOM
# must hold the summary and one heading per block of the dump.
set -uo pipefail
softvt=${1:?usage: translation_html_chromium.sh SOFTVT BUILD_DIR}
build=${2:-$(dirname "$softvt")}
elf=$(dirname "$softvt")/guests/hello.elf
command -v chromium >/dev/null || { echo "SKIP: chromium is not installed (apt-get install chromium)"; exit 77; }
[[ -f $elf ]] || { echo "SKIP: the hello test guest was not built"; exit 77; }
"$softvt" info | grep -q "^  bt  *available" || { echo "SKIP: engine bt cannot run here"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$softvt" run --accel bt --kernel "$elf" --serial none --debugcon none \
	--show-translation all 2>"$out/all.txt" || fail "the run failed"
blocks=$(grep -c '^block ' "$out/all.txt")
"$softvt" translation-html "$out/all.txt" "$out/blocks.html" || fail "translation-html failed"
chrome=(chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage
	--user-data-dir="$out/profile" --window-size=1400,900)
timeout 120 "${chrome[@]}" --screenshot="$out/shot.png" "file://$out/blocks.html" \
	>"$out/chrome.log" 2>&1 || fail "chromium could not take a screenshot: $(tail -3 "$out/chrome.log")"
size=$(stat -c %s "$out/shot.png" 2>/dev/null || echo 0)
((size > 10000)) || fail "the screenshot is $size bytes"
[[ $(head -c 8 "$out/shot.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
	fail "the screenshot is not a PNG"
cp "$out/shot.png" "$build/translation-viewer.png"
timeout 120 "${chrome[@]}" --dump-dom "file://$out/blocks.html" >"$out/dom.html" 2>>"$out/chrome.log" ||
	fail "chromium could not load the page"
grep -q "$blocks blocks; guest instructions" "$out/dom.html" || fail "the rendered page lacks the summary"
h2=$(grep -o '<h2 id="b[0-9]*"' "$out/dom.html" | wc -l)
((h2 == blocks)) || fail "the rendered page has $h2 block headings, the dump $blocks"
echo "chromium: rendered $blocks blocks, screenshot $size bytes ($build/translation-viewer.png)"
