#!/usr/bin/env bash
# Runs the whole test suite with ctest, then lists every skipped test with the reason it
# printed (a test that cannot run on this host skips and says why), and ends with one
# summary line "N passed, N failed, N skipped". Usage: run-tests.sh [BUILD_DIR] [ctest args]
set -uo pipefail
build=${1:-build}
shift || true
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd "$build" && ctest --output-on-failure -j"$(nproc)" "$@") 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

passed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed' "$log")
failed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(\*\*\*Failed|\*\*\*Timeout|\*\*\*Exception|Not Run)' "$log")
skipped_names=$(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*Skipped' "$log" | sed -E 's/.*Test +#[0-9]+: ([^ ]+).*/\1/')
skipped=0
if [[ -n $skipped_names ]]; then
	echo
	echo "Skipped tests (they could not run on this host):"
	details="$build/Testing/Temporary/LastTest.log"
	for t in $skipped_names; do
		skipped=$((skipped + 1))
		reason=$(awk -v t="$t" '
			$0 ~ "^[0-9]+/[0-9]+ Test: " t "$" { on = 1; next }
			on && /^[0-9]+\/[0-9]+ Test: / { on = 0 }
			on && /(SKIP|skip|Skip)/ { print; exit }' "$details" 2>/dev/null)
		echo "  $t: ${reason:-no reason printed}"
	done
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
