# user-common.sh - sourced by the linux.user.* tests: arguments, skips, the run.
#   source user-common.sh BUILD_DIR ENGINE [SOFTVT OPTION...]
# ENGINE qemu is the reference run under QEMU TCG (guest-side checks only: softvt's
# fd 9 and exit status do not apply, QEMU has neither).
# Sets build_dir, engine, name (ENGINE and options as one word, e.g.
# bt-user-interp) and SOFTVT_ARGS (the options, before any SOFTVT_ARGS given);
# exits 77 when the guest or its user programs are missing, or --user direct is
# asked for where `softvt info` says it cannot run, with the reason.
# user_run COMMAND... runs scripts/guest-run.sh, output in $out, status in $rc.
# shellcheck shell=bash
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=$(cd "${1:?usage: TEST BUILD_DIR ENGINE [SOFTVT OPTION...]}" && pwd)
engine=${2:?usage: TEST BUILD_DIR ENGINE [SOFTVT OPTION...]}
shift 2
SOFTVT_ARGS="$* ${SOFTVT_ARGS:-}"
export SOFTVT_ARGS
name=$(echo "$engine $*" | sed -E 's/(^| )-+/\1/g; s/ +$//; s/ +/-/g')
failures=0

if [[ $engine == qemu ]] && ! command -v "${QEMU:-qemu-system-i386}" >/dev/null; then
	echo "SKIP: ${QEMU:-qemu-system-i386} not found (the QEMU reference run; apt-get install qemu-system-x86)"
	exit 77
fi
if [[ " $* " == *" --user direct "* ]] &&
	! "$build_dir/softvt" info 2>/dev/null | grep -q '(bt --user direct): yes'; then
	echo "SKIP: this host cannot run bt --user direct: $("$build_dir/softvt" info 2>/dev/null |
		grep -o '(bt --user direct): .*')"
	exit 77
fi
if [[ ! -f $build_dir/guest/initramfs.cpio.gz || ! -f $build_dir/guest/vmlinuz-686 ]]; then
	echo "SKIP: no default Linux guest in $build_dir/guest (scripts/fetch-guest.sh)"
	exit 77
fi
if ! grep -qx softvt-progs "$build_dir/guest/initramfs.progs" 2>/dev/null; then
	echo "SKIP: the initramfs has no user programs (gcc -m32 -static could not build" \
		"linux-progs, or scripts/fetch-guest.sh ran before the build)"
	exit 77
fi

user_run() {
	out=$(bash "$src_dir/scripts/guest-run.sh" "$engine" "$build_dir" "$@" 2>&1)
	rc=$?
	echo "$out"
}

# check WHAT COMMAND... : count a failed check, say which.
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what"
		failures=$((failures + 1))
	fi
}

# status_of COMMAND : the guest exit status guest-run reported for COMMAND.
status_of() {
	awk -v c="guest-run: \$ $1" '$0 == c { on = 1; next } on && /^guest-run: status / { print $3; exit }' <<<"$out"
}

# has TEXT : the guest-run output has a line equal to TEXT.
has() { grep -qxF -- "$1" <<<"$out"; }

finish() {
	if ((failures)); then
		echo "$failures check(s) failed"
		exit 1
	fi
	echo "all checks passed"
}
