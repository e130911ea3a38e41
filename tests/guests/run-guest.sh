#!/usr/bin/env bash
# run-guest.sh ENGINE GUEST_ELF EXPECTED_FILE [SOFTVT_BINARY]
#
# Runs one test guest and checks it: the debug-console (port 0xE9) output must
# equal EXPECTED_FILE byte for byte and the guest's exit code (port 0xF4) must
# be 0. ENGINE "qemu" runs the reference under qemu-system-i386 (TCG); any
# other ENGINE runs SOFTVT_BINARY with --accel ENGINE ("bt-lockstep": --accel bt
# --lockstep, every translated instruction checked against the interpreter; "bt-direct":
# --accel bt --user direct, guest user code on the CPU; "bt-user": --accel bt --user bt,
# guest user code translated too; "kvm": skipped with the probe's reason where
# /dev/kvm cannot run 32-bit guests). Exit status: 0 pass,
# 1 fail, 77 skip (with the reason printed). See guests/README.md.
#
# Under bt-direct (and naive, the teaching engine that runs the guest kernel
# deprivileged too) a guest may have its own golden file GUEST.direct.expected
# (GUEST.naive.expected): the critical-instructions probe shows the
# ring-compression leaks there (its "not ok" lines are the expected result,
# and then its exit code 1 is too); GUEST.direct.sed (GUEST.naive.sed), if
# present, first normalizes the output's host-dependent values (what the host
# CPU and kernel show of themselves).
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 ENGINE GUEST_ELF EXPECTED_FILE [SOFTVT_BINARY]" >&2
	exit 2
fi
engine=$1
elf=$2
expected=$3
softvt=${4:-}
limit=30

if [ ! -f "$elf" ]; then
	echo "SKIP: $elf was not built (does the host gcc support -m32? install gcc-multilib)"
	exit 77
fi
if [ ! -f "$expected" ]; then
	echo "FAIL: no golden file $expected"
	exit 1
fi

# The guest must be an i386 ELF32 executable with a valid Multiboot v1 header
# (magic, flags, checksum summing to 0) 4-byte aligned in its first 8 KiB.
check_multiboot_elf() {
	local hdr
	hdr=$(od -A n -t x1 -N 20 -v "$1" | tr -d ' \n')
	case $hdr in
	7f454c46010101*) ;;
	*) echo "not a little-endian ELF32 file"; return 1 ;;
	esac
	if [ "${hdr:32:4}" != 0200 ] || [ "${hdr:36:4}" != 0300 ]; then
		echo "not an i386 executable (e_type/e_machine)"
		return 1
	fi
	if ! od -A n -t u4 -N 8192 -v -w4 "$1" | awk '
		{ v[NR] = $1 }
		END {
			for (i = 1; i + 2 <= NR; i++)
				if (v[i] == 464367618 && (v[i] + v[i + 1] + v[i + 2]) % 4294967296 == 0)
					exit 0
			exit 1
		}'; then
		echo "no Multiboot header (0x1badb002 with a valid checksum) in the first 8 KiB"
		return 1
	fi
}

if ! why=$(check_multiboot_elf "$elf"); then
	echo "FAIL: $elf: $why"
	exit 1
fi

out=$(mktemp "${TMPDIR:-/tmp}/softvt-guest.XXXXXX")
log=$(mktemp "${TMPDIR:-/tmp}/softvt-guest-log.XXXXXX")
trap 'rm -f "$out" "$log"' EXIT

case $engine in
qemu)
	if ! command -v qemu-system-i386 >/dev/null 2>&1; then
		echo "SKIP: qemu-system-i386 is not installed"
		exit 77
	fi
	# pentium3: a P6-class model with PSE, PAE, PGE, SEP, CMOV, FXSR (and
	# MMX/SSE, which the guests do not use). -accel tcg: software emulation,
	# the same everywhere, no /dev/kvm needed.
	timeout --kill-after=5 $limit qemu-system-i386 \
		-nodefaults -no-user-config -display none \
		-machine pc -accel tcg -cpu pentium3 -m 64 \
		-kernel "$elf" \
		-debugcon file:"$out" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-no-reboot >"$log" 2>&1
	rc=$?
	# isa-debug-exit makes QEMU exit with (value << 1) | 1. 0 means the guest
	# never wrote the exit port (QEMU shut down, e.g. on a triple fault).
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		code="timeout after ${limit}s"
	elif [ $rc -eq 0 ]; then
		code="no exit code (QEMU stopped: triple fault or shutdown)"
	elif [ $((rc & 1)) -eq 1 ]; then
		code=$(((rc - 1) / 2))
	else
		code="QEMU failed with status $rc"
	fi
	;;
*)
	if [ -z "$softvt" ] || [ ! -x "$softvt" ]; then
		echo "SKIP: no softvt binary given for engine $engine"
		exit 77
	fi
	# kvm: skips with the probe's reason where /dev/kvm cannot run 32-bit guests
	# shellcheck source=../../scripts/lib/engine.sh
	source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/engine.sh"
	engine_skip_unless_ready "$softvt" "$engine"
	# "bt-lockstep": engine bt checking every translated instruction
	# against the interpreter (--lockstep); any difference fails the run.
	accel=(--accel "$engine")
	# bt's own default is --user direct: "bt" is the translator with interpreted
	# user code, so that every guest's golden file holds
	[ "$engine" = bt ] && accel=(--accel bt --user interp)
	[ "$engine" = bt-lockstep ] && accel=(--accel bt --user interp --lockstep)
	[ "$engine" = bt-direct ] && accel=(--accel bt --user direct)
	[ "$engine" = bt-user ] && accel=(--accel bt --user bt)
	timeout --kill-after=5 $((limit + 10)) "$softvt" run "${accel[@]}" \
		--kernel "$elf" --memory 64M --serial none \
		--debugcon file:"$out" --timeout $limit >"$log" 2>&1
	rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		code="timeout after $((limit + 10))s"
	else
		code=$rc
	fi
	;;
esac

want_code=0
variant=
[ "$engine" = bt-direct ] && variant=direct
[ "$engine" = naive ] && variant=naive
if [ -n "$variant" ] && [ -f "${expected%.expected}.$variant.expected" ]; then
	expected=${expected%.expected}.$variant.expected
	sed_script=${expected%.expected}.sed
	if [ -f "$sed_script" ]; then
		sed -E -f "$sed_script" "$out" >"$out.norm" && mv "$out.norm" "$out"
	fi
	grep -q '^not ok' "$expected" && want_code=1
fi

status=0
if ! cmp -s "$expected" "$out"; then
	echo "FAIL: debug-console output differs from $expected:"
	diff -u --label expected --label "$engine" "$expected" "$out"
	status=1
fi
if [ "$code" != "$want_code" ]; then
	echo "FAIL: guest exit code: $code (expected $want_code)"
	status=1
fi
if [ $status -ne 0 ] && [ -s "$log" ]; then
	echo "--- $engine messages:"
	cat "$log"
fi
if [ $status -eq 0 ]; then
	echo "PASS: $(basename "$elf") under $engine"
fi
exit $status
