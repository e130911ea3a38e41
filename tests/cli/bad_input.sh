#!/usr/bin/env bash
# Bad input to the softvt command: each case must give exactly one clear error line on
# stderr (starting "softvt: " and naming the problem) and the expected non-zero exit status,
# never a crash or a hang. Usage: bad_input.sh SOFTVT_BINARY BUILD_DIR
set -u
softvt=$1
build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
cases=0

# expect STATUS PATTERN -- ARGS...: run softvt ARGS, check the status and the single stderr line.
expect() {
	local want=$1 pattern=$2
	shift 3
	cases=$((cases + 1))
	local out err status
	timeout 20 "$softvt" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	status=$?
	err=$(cat "$tmp/err")
	local lines
	lines=$(grep -c '' "$tmp/err")
	if [[ $status -ne $want ]]; then
		echo "FAIL: softvt $*: exit status $status, expected $want (stderr: $err)"
		failures=$((failures + 1))
	elif [[ $want -ne 0 && $lines -ne 1 ]]; then
		echo "FAIL: softvt $*: expected one error line, got $lines: $err"
		failures=$((failures + 1))
	elif [[ $want -ne 0 && ! $err =~ ^softvt:\  ]]; then
		echo "FAIL: softvt $*: error line does not start with 'softvt: ': $err"
		failures=$((failures + 1))
	elif ! grep -qE -- "$pattern" "$tmp/err" "$tmp/out"; then
		echo "FAIL: softvt $*: output does not match /$pattern/: $err"
		failures=$((failures + 1))
	else
		echo "ok: softvt $* -> $status: ${err:-$(head -1 "$tmp/out")}"
	fi
}

expect 2 "no command given" --
expect 2 "unknown command 'frobnicate'" -- frobnicate
expect 2 "nothing to boot" -- run
expect 2 "unknown option '--frobnicate'" -- run --frobnicate --kernel x
expect 2 "option --kernel needs a value" -- run --kernel
expect 2 "unknown engine 'vmware'.*interp.*bt.*kvm" -- run --accel vmware --kernel x
expect 2 "--memory: '12Q' is not a size" -- run --memory 12Q --kernel x
expect 2 "--memory: 1M is out of range" -- run --memory 1M --kernel x
expect 2 "--memory: 999999G is out of range" -- run --memory 999999G --kernel x
expect 2 "--memory: '99999999999999999999G' is not a size" -- run --memory 99999999999999999999G --kernel x
expect 2 "--timeout: '-1' is not a positive number" -- run --timeout -1 --kernel x
expect 2 "--serial: 'tcp:1234' is not one of" -- run --serial tcp:1234 --kernel x
expect 2 "--display: 'gtk' is not one of none, sdl" -- run --display gtk --kernel x
expect 2 "unexpected argument 'extra'" -- run --kernel x extra

# Loader errors need a machine: --dry-run builds it without an engine.
expect 1 "/nonexistent/vmlinuz" -- run --dry-run --kernel /nonexistent/vmlinuz
head -c 100000 /dev/urandom >"$tmp/random.bin"
expect 1 "random.bin: not a kernel" -- run --dry-run --kernel "$tmp/random.bin"
: >"$tmp/empty"
expect 1 "empty" -- run --dry-run --kernel "$tmp/empty"
expect 1 "softvt: .*$tmp" -- run --dry-run --kernel "$tmp"

kernel=$build/guest/vmlinuz-686
if [[ -f $kernel ]]; then
	head -c 20000 "$kernel" >"$tmp/truncated"
	expect 1 "truncated" -- run --dry-run --kernel "$tmp/truncated"
	# Protocol version 2.04 at 0x206.
	cp "$kernel" "$tmp/old"
	printf '\x04\x02' | dd of="$tmp/old" bs=1 seek=$((0x206)) conv=notrunc status=none
	expect 1 "2.04" -- run --dry-run --kernel "$tmp/old"
	truncate -s 64M "$tmp/big.initrd"
	expect 1 "big.initrd" -- run --dry-run --memory 48M --kernel "$kernel" --initrd "$tmp/big.initrd"
	expect 1 "but the guest has 16 MiB" -- run --dry-run --memory 16M --kernel "$kernel"
	expect 1 "command line" -- run --dry-run --kernel "$kernel" --append "$(head -c 5000 /dev/zero | tr '\0' x)"
	expect 1 "missing.initrd" -- run --dry-run --kernel "$kernel" --initrd "$tmp/missing.initrd"
	expect 0 "kernel: Linux bzImage" -- run --dry-run --kernel "$kernel" --serial none
else
	echo "note: $kernel not fetched; bzImage cases skipped (make guest fetches it)"
fi

# A project test guest (Multiboot ELF) loads.
if [[ -f $build/guests/hello.elf ]]; then
	expect 0 "kernel: Multiboot, loaded at 0x00100000" -- run --dry-run --kernel "$build/guests/hello.elf"
fi

# Disks (--disk): the image checks, and what the BIOS says when it cannot boot.
expect 1 "--disk /nonexistent/disk.img: No such file" -- run --dry-run --disk /nonexistent/disk.img
head -c 1000 /dev/zero >"$tmp/odd.img"
expect 1 "odd.img: size 1000 bytes is not a multiple of 512" -- run --dry-run --disk "$tmp/odd.img"
expect 1 "empty: the file is empty" -- run --dry-run --disk "$tmp/empty"
expect 1 "--disk .*: Is a directory" -- run --dry-run --disk "$tmp"
expect 2 "--snapshot needs a disk" -- run --snapshot --kernel x
expect 2 "--initrd and --append go with --kernel" -- run --disk x --append quiet
head -c 1048576 /dev/zero >"$tmp/nosig.img"
for engine in interp bt; do
	expect 1 "the disk is not bootable: sector 0 has no boot signature .*nosig.img" -- \
		run --accel $engine --serial none --debugcon none --timeout 60 --disk "$tmp/nosig.img"
done
# The BIOS's own message reaches the serial console too.
expect 1 "softvt BIOS: the disk is not bootable" -- \
	run --accel interp --serial stdio --debugcon none --timeout 60 --disk "$tmp/nosig.img"
expect 0 "firmware: softvt BIOS, reset vector F000:FFF0; boot disk .*nosig.img \(2048 sectors, snapshot\)" -- \
	run --dry-run --disk "$tmp/nosig.img" --snapshot
if [[ $(id -u) -ne 0 ]]; then   # root writes a 0444 file anyway
	cp "$tmp/nosig.img" "$tmp/ro.img"
	chmod 444 "$tmp/ro.img"
	expect 1 "ro.img: the file is read-only \(use --snapshot" -- run --dry-run --disk "$tmp/ro.img"
fi

echo "$((cases - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
