#!/usr/bin/env bash
# A guest reset reboots a disk boot through the BIOS: guests/biostest/reboot.asm
# resets through port 0x92, then through the keyboard controller, then exits 0;
# its debug-console output must show three boots, under interp and bt (and kvm where
# /dev/kvm can run 32-bit guests: the engine's reset in place). With
# --kernel a reset still stops softvt (unit.run_loop checks that).
# Usage: bios_reboot.sh SOFTVT_BINARY BUILD_DIR
set -u
softvt=$1
build=$2
image=$build/guests/biostest-reboot.img
if [[ ! -f $image ]]; then
	echo "SKIP: $image was not built (nasm missing?)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for engine in interp bt kvm; do
	# kvm only where /dev/kvm can run 32-bit guests (the probe's reason otherwise)
	if [[ $engine == kvm ]] && ! why=$("$softvt" info --engine kvm); then
		echo "skip: $why"
		continue
	fi
	"$softvt" run --accel $engine --disk "$image" --snapshot --serial file:"$tmp/serial" \
		--debugcon file:"$tmp/out" --timeout 60
	rc=$?
	want=$'boot 1\nboot 2\nboot 3'
	banners=$(grep -c "softvt BIOS" "$tmp/serial")
	if [[ $rc -ne 0 || $(cat "$tmp/out") != "$want" || $banners -ne 3 ]]; then
		echo "FAIL ($engine): exit $rc, $banners BIOS banners on COM1, debug console:"
		cat "$tmp/out"
		fail=1
	else
		echo "ok: $engine: two resets (port 0x92, i8042) rebooted through the BIOS"
	fi
done
exit $fail
