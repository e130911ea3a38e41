# engine.sh - sourced by the test runners: skip a test whose softvt engine cannot run here.
#
# engine_skip_unless_ready SOFTVT ENGINE: for engine kvm, asks `SOFTVT info --engine kvm`
# (its answer is the probe's: kvm/kvm_probe.c) and, if the engine cannot run on this
# host, prints "SKIP: <why>" and exits 77, so the test is reported skipped with the
# reason and never passes without having run. Other engines run everywhere softvt
# builds: nothing to check. (SOFTVT_KVM_FORCE=1, the development override of
# docs/KVM.md, makes the engine say it is available: the test then really runs.)
engine_skip_unless_ready() {
	local softvt=$1 engine=$2 why
	[[ $engine == kvm ]] || return 0
	if ! why=$("$softvt" info --engine kvm 2>&1); then
		echo "SKIP: ${why#kvm: unavailable: }"
		exit 77
	fi
}
