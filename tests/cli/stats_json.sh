#!/usr/bin/env bash
# --stats and --stats-json: test guests under interp and bt write one JSON object that
# python3 -m json.tool accepts, with the run loop's keys, the engine's object and counts
# that must be there (bt: identically translated instructions, the OUTs run as callouts,
# the self-modifying-code writes of smc.elf, the instructions --lockstep checked); --stats
# prints the identical share and the lockstep line; a path that cannot be written fails
# before the guest runs. Usage: stats_json.sh SOFTVT BUILD_DIR
set -u
softvt=$1
build=$2
guests=$build/guests
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
[[ -f $guests/critical.elf && -f $guests/smc.elf ]] || { echo "SKIP: no test guests in $guests"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# run ENGINE GUEST [OPTION...]: runs the guest with --stats and --stats-json (and the
# options), checks the JSON is valid
run() {
	local engine=$1 guest=$2
	shift 2
	timeout 60 "$softvt" run --accel "$engine" --kernel "$guests/$guest.elf" --serial none \
		--debugcon none --timeout 30 --stats --stats-json "$tmp/$engine-$guest.json" "$@" \
		>"$tmp/out" 2>"$tmp/$engine-$guest.err" </dev/null
	local status=$?
	echo "$status" >"$tmp/$engine-$guest.status"
	if ! python3 -m json.tool "$tmp/$engine-$guest.json" >/dev/null 2>"$tmp/jerr"; then
		fail "$engine $guest: not valid JSON: $(cat "$tmp/jerr")"
		return 1
	fi
	echo "ok: $engine $guest: exit $status, valid JSON ($(wc -c <"$tmp/$engine-$guest.json") bytes)"
}

# check ENGINE GUEST PYTHON-EXPRESSION...: each expression over j (the object) must be true
check() {
	local engine=$1 guest=$2
	shift 2
	for expr in "$@"; do
		if python3 - "$tmp/$engine-$guest.json" "$(cat "$tmp/$engine-$guest.status")" "$expr" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
status = int(sys.argv[2])
sys.exit(0 if eval(sys.argv[3]) else 1)
PY
		then
			echo "ok: $engine $guest: $expr"
		else
			fail "$engine $guest: $expr (JSON: $(head -c 600 "$tmp/$engine-$guest.json"))"
		fi
	done
}

common=('j["version"] == 1' 'j["run_seconds"] > 0' 'j["stop"] == "exit_port"'
	'j["exit_code"] == status' 'j["unclaimed_port_accesses"] >= 0')

if run interp critical; then
	check interp critical "${common[@]}" 'j["engine"] == "interp"' \
		'j["interp"]["instructions"] > 1000' 'j["interp"]["per_second"] > 0'
fi
grep -q '^softvt: stats: interp  *[0-9]* instructions' "$tmp/interp-critical.err" ||
	fail "interp --stats line missing: $(cat "$tmp/interp-critical.err")"

if ! "$softvt" info 2>/dev/null | grep -qE '^  bt +available'; then
	echo "engine bt is not available on this host: checked interp only"
else
	if run bt critical; then
		b='j["bt"]'
		check bt critical "${common[@]}" 'j["engine"] == "bt"' \
			"$b[\"translation\"][\"blocks\"] > 0" \
			"$b[\"translation\"][\"insns_by_class\"][\"ident\"] > 0" \
			"0.5 < $b[\"translation\"][\"identical_share\"] <= 1" \
			"$b[\"translation\"][\"ident_verbatim\"] <= $b[\"translation\"][\"insns_by_class\"][\"ident\"]" \
			"sum($b[\"translation\"][\"insns_by_class\"].values()) - $b[\"translation\"][\"insns_by_class\"][\"exit\"] == $b[\"translation\"][\"guest_insns\"]" \
			"$b[\"dispatch\"][\"block_entries\"] > 0" \
			"$b[\"exits\"][\"interp\"] > 0" \
			"len($b[\"tc_exits_by_mnemonic\"]) > 0" \
			"$b[\"callouts\"][\"out\"] > 0" \
			"$b[\"exits\"][\"sti\"] >= 0 and $b[\"exits\"][\"sync\"] >= 0" \
			"$b[\"translation\"][\"insns_by_class\"][\"callout\"] > 0" \
			"not $b[\"lockstep\"][\"on\"] and $b[\"interpreted\"][\"lockstep\"] == 0" \
			"sum($b[\"tc_exits_by_mnemonic\"].values()) == $b[\"interpreted\"][\"tc_exit\"]" \
			"$b[\"interpreted\"][\"total\"] == sum(v for k, v in $b[\"interpreted\"].items() if k not in ('total', 'per_second'))" \
			"$b[\"interpreted\"][\"user\"] > 0" \
			"$b[\"shadow\"][\"fills\"] > 0"
		grep -qE '^softvt: stats: bt identical +[0-9.]+ % of translated insns' "$tmp/bt-critical.err" ||
			fail "bt --stats has no identical share: $(cat "$tmp/bt-critical.err")"
	fi
	if run bt smc; then
		check bt smc 'j["bt"]["smc"]["tc_writes"] > 0' 'j["bt"]["invalidation"]["blocks_dropped"] > 0'
	fi
	# under --lockstep the checked instructions and their interpreter runs are counted
	if run bt interrupts --lockstep; then
		b='j["bt"]'
		check bt interrupts "$b[\"lockstep\"][\"on\"]" \
			"$b[\"lockstep\"][\"checked\"] > 0" "$b[\"lockstep\"][\"differences\"] == 0" \
			"$b[\"interpreted\"][\"lockstep\"] >= $b[\"lockstep\"][\"checked\"]" \
			"$b[\"interpreted\"][\"total\"] == sum(v for k, v in $b[\"interpreted\"].items() if k not in ('total', 'per_second'))"
		grep -qE '^softvt: stats: bt lockstep +[0-9]+ instructions checked against the interpreter, 0 differences' \
			"$tmp/bt-interrupts.err" ||
			fail "bt --stats --lockstep has no lockstep line: $(cat "$tmp/bt-interrupts.err")"
	fi
fi

# an unwritable path: one error line, status 1, before the guest runs
timeout 20 "$softvt" run --accel interp --kernel "$guests/critical.elf" --serial none \
	--debugcon none --stats-json "$tmp/no/such/dir/s.json" >"$tmp/out" 2>"$tmp/err" </dev/null
status=$?
if [[ $status -ne 1 ]] || ! grep -q '^softvt: --stats-json: cannot write' "$tmp/err" ||
   [[ $(grep -c '' "$tmp/err") -ne 1 ]]; then
	fail "unwritable --stats-json: status $status, stderr: $(cat "$tmp/err")"
else
	echo "ok: unwritable --stats-json: $(cat "$tmp/err")"
fi

# --stats-json - writes the object to stdout
timeout 20 "$softvt" run --accel interp --kernel "$guests/critical.elf" --serial none \
	--debugcon none --stats-json - >"$tmp/stdout.json" 2>/dev/null </dev/null
python3 -m json.tool "$tmp/stdout.json" >/dev/null 2>&1 && echo "ok: --stats-json - on stdout" ||
	fail "--stats-json -: stdout is not JSON: $(head -c 300 "$tmp/stdout.json")"

((failures == 0)) || { echo "$failures failure(s)"; exit 1; }
echo "all stats_json checks passed"
