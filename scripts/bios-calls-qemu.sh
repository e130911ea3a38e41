#!/bin/bash
# bios-calls-qemu.sh IMAGE - list the BIOS services the boot chain of a disk
# image calls, from the firmware's jump to 0000:7C00 until the Linux kernel's
# banner on the serial console, measured under QEMU with its own firmware (SeaBIOS) through
# QEMU's gdb stub (scripts/lib/bios_calls.py). What softvt's BIOS must
# provide for that image; docs/DISK_IMAGE.md has the tables for the images of
# scripts/make-disk-image.sh.
#
# Output: a Markdown table, one row per (stage, service) in order of first
# use, with the number of calls. Stages, by the caller's address: mbr (code
# relocated to 0x600, syslinux's mbr.bin), boot-sector (code at 0x7C00: the
# partition's boot record, or GRUB's boot.img), loader (the bootloader proper:
# ldlinux.sys, GRUB's core.img), linux-setup (the kernel's real-mode setup
# code, run by syslinux; GRUB enters the kernel in protected mode).
# Environment: QEMU, QEMU_CPU (default pentium3), MEM (MiB, default 256),
# TIMEOUT (seconds, default 300), BIOS_CALLS_DEBUG=1 (loader rows name the
# caller CS:IP). Exit status: 0, 1 on failure, 77 without
# gdb or QEMU.
set -euo pipefail

image=${1:?usage: bios-calls-qemu.sh IMAGE}
qemu=${QEMU:-qemu-system-i386}
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ -f $image ]] || { echo "bios-calls: no $image" >&2; exit 1; }
for tool in "$qemu" gdb python3; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not found" >&2; exit 77; }
done

# A free TCP port for the gdb stub (other jobs may use :1234).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
tmp=$(mktemp -d)
out=$tmp/gdb.out
serial=$tmp/serial.log
qemu_pid=
gdb_pid=
cleanup() {
	local pid
	for pid in $gdb_pid $qemu_pid; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
"$qemu" -display none -serial "file:$serial" -no-reboot -m "${MEM:-256}" -cpu "${QEMU_CPU:-pentium3}" \
	-net none -drive "file=$image,format=raw,snapshot=on" -S -gdb "tcp:127.0.0.1:$port" \
	</dev/null >"$tmp/qemu.log" 2>&1 &
qemu_pid=$!
for ((i = 0; i < 50; i++)); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
	sleep 0.1
done

BIOS_CALLS_PORT=$port BIOS_CALLS_DONE=$tmp/done gdb -q -nx --batch -ex "set architecture i8086" \
	-x "$script_dir/lib/bios_calls.py" >"$out" 2>&1 &
gdb_pid=$!
# The kernel's banner ends the BIOS's part; then stop gdb (which prints).
deadline=$(($(date +%s) + ${TIMEOUT:-300}))
until grep -aq "Linux version" "$serial" 2>/dev/null; do
	kill -0 "$gdb_pid" 2>/dev/null || break
	(($(date +%s) < deadline)) || { echo "bios-calls: FAIL: no kernel banner within ${TIMEOUT:-300} s" >&2; exit 1; }
	sleep 0.2
done
touch "$tmp/done"
kill -INT "$gdb_pid" 2>/dev/null || true
for ((i = 0; i < 100; i++)); do
	kill -0 "$gdb_pid" 2>/dev/null || break
	sleep 0.1
done
wait "$gdb_pid" 2>/dev/null || true
gdb_pid=
if grep -q '^CALLS-ERROR' "$out" || ! grep -q '^CALLS ' "$out"; then
	echo "bios-calls: FAIL: no complete trace; gdb said:" >&2
	grep -v '^warning' "$out" | tail -n 20 >&2
	exit 1
fi
echo "| stage | service | calls |"
echo "|---|---|---|"
awk '$1 == "CALLS" { n = $NF; $1 = ""; $NF = ""; sub(/^ /, ""); sub(/ $/, "");
	stage = $1; $1 = ""; sub(/^ /, ""); printf "| %s | %s | %d |\n", stage, $0, n }' "$out"
