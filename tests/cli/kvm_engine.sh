#!/usr/bin/env bash
# Engine kvm's availability as the command reports it, against the probe: `softvt info
# --engine NAME` (what the test runners ask, scripts/lib/engine.sh), the engines list of
# `softvt info`, and `softvt run --accel kvm`, which must refuse with the probe's reason
# where the probe fails (this host's kvm_pvm) and run the guest where it passes. The
# development override SOFTVT_KVM_FORCE is removed from the environment: this checks
# the probe's answer. Usage: kvm_engine.sh SOFTVT_BINARY BUILD_DIR
set -u
softvt=$1
build=$2
unset SOFTVT_KVM_FORCE
fail=0
check() {   # check DESCRIPTION CONDITION...
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what"
		fail=1
	fi
}

out=$("$softvt" info --engine interp); rc=$?
check "info --engine interp: available, exit 0 ($out)" test $rc -eq 0 -a "$out" = "interp: available"
out=$("$softvt" info --engine vmware); rc=$?
check "info --engine vmware: not built, exit 1 ($out)" test $rc -eq 1 -a "$out" = "vmware: unavailable: engine vmware is not built"
"$softvt" info --engine >/dev/null 2>&1; rc=$?
check "info --engine without a name: usage error, exit 2" test $rc -eq 2

kvm=$("$softvt" info --engine kvm); kvm_rc=$?
list=$("$softvt" info | grep -E '^  kvm ')
if [[ $kvm_rc -eq 0 ]]; then
	check "kvm available: softvt info agrees ($list)" grep -q '^  kvm     available - ' <<<"$list"
	elf=$build/guests/hello.elf
	if [[ -f $elf ]]; then
		"$softvt" run --accel kvm --kernel "$elf" --serial none --debugcon file:/dev/null --timeout 30
		rc=$?
		check "kvm available: the hello guest runs under it (exit $rc)" test $rc -eq 0
	fi
else
	why=${kvm#kvm: unavailable: cannot run here: }
	check "kvm unavailable: exit 1 with the probe's reason ($why)" \
		test $kvm_rc -eq 1 -a -n "$why" -a "$why" != "$kvm"
	check "kvm unavailable: softvt info gives the same reason" grep -qF "unavailable: $why" <<<"$list"
	err=$("$softvt" run --accel kvm --kernel /dev/null --serial none 2>&1 >/dev/null); rc=$?
	check "kvm unavailable: run --accel kvm refuses, exit 1, with the reason ($err)" \
		test $rc -eq 1 -a "$err" = "softvt: engine 'kvm' cannot run on this host: $why"
fi
exit $fail
