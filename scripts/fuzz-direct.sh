#!/bin/bash
# fuzz-direct.sh [SECONDS] [OUT_DIR] - fuzz guest USER code run directly on
# the CPU (engine bt, --user direct) against the interpreter.
#
# Builds tests/fuzz/fuzz_bt.c with -DFUZZ_USER_DIRECT (its user-mode
# variant, tests/fuzz/fuzz_direct.h) with the interpreter (src/cpu), the
# guest window (src/mmu), engine bt (src/bt) and direct execution
# (src/direct) using clang-14 -fsanitize=fuzzer,undefined into OUT_DIR
# (default: build/fuzz-direct of the source tree); no AddressSanitizer
# (its shadow memory lies inside engine bt's guest window; see
# scripts/fuzz-bt.sh), the .S files assembled by gcc.
#
# Writes a seed corpus of ring-3 programs assembled with nasm - INT 0x80,
# SYSENTER and SYSCALL, INT3/INTO/UD2, HLT/CLI/IN/OUT at CPL 3 and at
# IOPL 3, page faults on user, read-only, supervisor and missing pages and
# a read of the kernel at 0xC0000000, divide by zero, x87 and SSE, TLS
# accesses through FS/GS with a base and negative offsets, `mov gs, ax`
# with a guest selector (ring aliasing), PUSHF/POPF, far jumps to the
# host's selectors 0x33 (heaven's gate) and 0x23, MMIO, ROM and
# self-modifying code - then fuzzes for SECONDS (default 600). An input is
# a tests/unit/random_guest.h input (44-byte header, then the code) run at
# CPL 3 with paging on (tests/fuzz/fuzz_direct.h lists the header's
# meaning, what is compared and the accepted differences).
#
# Prints exec/s and the totals: runs compared / tainted / not finished by
# the interpreter / unsupported / stopped by direct execution (heaven's
# gate, a fast system call with the EIP lost), and direct execution's
# exits by cause, including the guest system calls the seccomp filter
# trapped.
#
# Exit status: 0 no finding; 1 a finding, crash, hang, sanitizer report, a
# host system call seen, or the process ended without libFuzzer's final
# report (a host exit), or a build failure (the reproducer is
# OUT_DIR/crash-* etc., the log OUT_DIR/fuzz.log; replay with
# OUT_DIR/fuzz_direct FILE); 2 clang-14, libFuzzer or nasm missing; 3
# engine bt or direct execution cannot run on this host (no FSGSBASE, the
# window's range taken, modify_ldt or seccomp refused).
set -euo pipefail

seconds=${1:-600}
script=$(readlink -f "${BASH_SOURCE[0]}")
src_dir=$(dirname "$(dirname "$script")")
out=${2:-$src_dir/build/fuzz-direct}
cc=${CC_FUZZ:-clang-14}
as=${AS_FUZZ:-gcc}

say() { echo "fuzz-direct: $*"; }
die() { echo "fuzz-direct: error: $*" >&2; exit "${2:-1}"; }

[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || die "SECONDS must be a positive integer, not '$seconds'"
command -v "$cc" >/dev/null || die "$cc is not installed (apt-get install clang-14 libclang-rt-14-dev)" 2
command -v "$as" >/dev/null || die "$as is not installed (needed for the .S files)" 2
command -v nasm >/dev/null || die "nasm is not installed (apt-get install nasm): it assembles the seeds" 2
[[ -f /usr/include/Zydis/Zydis.h ]] || die "Zydis is not installed (apt-get install libzydis-dev)" 2
mkdir -p "$out/seeds" "$out/corpus"
out=$(cd "$out" && pwd)

# ---- build -------------------------------------------------------------------
say "building $out/fuzz_direct with $cc"
"$as" -c -I"$src_dir/src" "$src_dir/src/bt/stubs.S" -o "$out/stubs.o" ||
	die "assembling src/bt/stubs.S failed"
"$as" -c -I"$src_dir/src" "$src_dir/src/direct/enter.S" -o "$out/enter.o" ||
	die "assembling src/direct/enter.S failed"
"$cc" -g -O2 -std=gnu17 -Wall -Wextra -Wno-unused-parameter -DFUZZ_USER_DIRECT \
	-fsanitize=fuzzer,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -I"$src_dir/src" \
	"$src_dir/tests/fuzz/fuzz_bt.c" "$src_dir"/src/cpu/*.c "$src_dir"/src/mmu/*.c \
	"$src_dir"/src/bt/*.c "$out/stubs.o" "$src_dir"/src/direct/*.c "$out/enter.o" \
	"$src_dir/src/devices/portmap.c" \
	-lZydis -lZycore -lm -o "$out/fuzz_direct.new" ||
	die "building the fuzzer failed (is libclang-rt-14-dev installed?)"
mv -f "$out/fuzz_direct.new" "$out/fuzz_direct"

# ---- seeds -------------------------------------------------------------------
# header PAGING IDT FLAGS CR0 CR4 HOLES USER SEGS [EXTRAS]: the 44-byte
# header (fuzz_direct.h forces CPL 3, IF and no TF) with EAX..EDI = 0, 1,
# 2, 0x20000, stack, 0x20100, 0x100, 0x200. FLAGS: IF 1, DF 2, AC 8,
# IOPL << 4. CR4: OSFXSR 8, OSXMMEXCPT 0x10. USER: 1 enter through the
# kernel, 2 (4 KiB paging) 3 GiB supervisor, 4 the 4 MiB alias user.
# SEGS: bits 0-2 FS (2 read-only, 3 code, 4 TLS base 0xFFFFF000, 5 0x2F000,
# 6 0xC0001000, 7 0x80000000), bits 3-4 GS (1 as FS, 2 null, 3 TLS base
# 0x2F800), bit 5 DS read-only, bit 6 ES code, bit 7 CS execute-only.
# EXTRAS 0x10: SYSENTER MSRs set.
hex() { printf '%b' "\\x$(printf %02x "$1")"; }
header() {
	hex $((5 | $1 << 3 | $2 << 5))
	hex "$3"
	hex "$4"
	hex "$5"
	hex "$6"
	hex "$7"
	hex "$8"
	printf '\x00\x00\x00'
	hex "${9:-0}"
	printf '\x10'
	printf '\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x00\x00\x02\x00'
	printf '\x00\x40\x00\x00\x00\x01\x02\x00\x00\x01\x00\x00\x00\x02\x00\x00'
}

seeds=$out/seeds
tmp=$(mktemp -d "$out/seedsrc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Linux i386 system calls: write(1, buf, 16), then exit(0); a host write
# would move /proc/self/io's syscw, a host exit would end the fuzzer.
cat >"$tmp/int80.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, 4
	mov ebx, 1
	mov ecx, 0x20000
	mov edx, 16
	int 0x80
	mov eax, 1
	xor ebx, ebx
	int 0x80
	hlt
EOF

cat >"$tmp/sysenter.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, 4
	mov ebx, 2
	mov ecx, 0x20000
	mov edx, 16
	push ebp
	mov ebp, esp
	sysenter
	hlt
EOF

cat >"$tmp/syscall.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, 4
	mov ebx, 2
	mov ecx, 0x20000
	mov edx, 16
	syscall
	hlt
EOF

cat >"$tmp/traps.asm" <<'EOF'
	bits 32
	org 0x10000
	mov al, 0x7f
	add al, 1
	into
	int 3
	db 0xcd, 0x03
	int1
	ud2
EOF

cat >"$tmp/priv.asm" <<'EOF'
	bits 32
	org 0x10000
	cli
	sti
	in al, 0x20
	out 0x80, al
	in al, 0x40
	mov dx, 0x3f8
	out dx, al
	insb
	hlt
EOF

# page faults: read-only, supervisor and missing pages, the kernel, the
# supervisor tables, the 4 MiB alias, MMIO, the hole, ROM, a page boundary.
cat >"$tmp/pf.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, [0x20000]
	mov [0x20ffe], eax
	mov eax, [0x21ffd]
	mov eax, [0xa0010]
	mov [0xa0020], eax
	mov [0xf0000], eax
	mov eax, [0x50000]
	mov [0x50000], eax
	mov eax, [0x28000]
	mov [0x29000], eax
	mov [0x2a000], eax
	mov eax, [0x2c000]
	mov eax, [0x400000 + 0x20000]
	mov eax, [0x3000]
	mov [0x6000], eax
	mov eax, [0xc0000000]
	mov [0xc0010000], eax
	mov eax, [0xc0020000]
	hlt
EOF

cat >"$tmp/div.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, 100
	mov ecx, 7
	cdq
	idiv ecx
	mov ecx, 0
	div ecx
	hlt
EOF

cat >"$tmp/fpu.asm" <<'EOF'
	bits 32
	org 0x10000
	fninit
	fld1
	fldpi
	faddp
	fsqrt
	fild dword [0x20000]
	fmulp
	fstp qword [0x20100]
	fld dword [0x20010]
	fldz
	fdivp
	fistp dword [0x20108]
	fnstsw ax
	fnstcw [0x20110]
	fwait
	movups xmm0, [0x20000]
	movups xmm1, [0x20010]
	addps xmm0, xmm1
	mulss xmm0, xmm1
	cvtsi2ss xmm2, eax
	sqrtss xmm2, xmm2
	movd ecx, xmm2
	pxor mm0, mm0
	paddd mm0, [0x20020]
	movd edx, mm0
	emms
	stmxcsr [0x20118]
	divss xmm0, [0x20200]
	hlt
EOF

# TLS: FS and GS with a base, negative offsets wrapping around 4 GiB.
cat >"$tmp/tls.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, [gs:-4]
	mov [gs:-8], eax
	mov ecx, [gs:0x10]
	mov ebx, -0x40
	mov edx, [gs:ebx]
	mov [gs:ebx + 4], edx
	mov eax, [fs:-0x10]
	mov [fs:-0x20], eax
	mov eax, [fs:0]
	mov eax, [fs:0x21000]
	add dword [fs:0x1000], 5
	mov esi, -0x100
	mov edi, 0x20800
	mov ecx, 16
	rep fs movsb
	mov eax, [fs:0xfffffffc]
	hlt
EOF

# ring aliasing: guest selectors loaded natively (0x33 is the guest's user
# data and the host's 64-bit code, 0x2b the guest's user code and the
# host's data), then used.
cat >"$tmp/alias.asm" <<'EOF'
	bits 32
	org 0x10000
	mov ax, 0x33
	mov gs, ax
	mov eax, [gs:0x20000]
	mov [gs:0x20004], eax
	mov ax, 0xfb
	mov gs, ax
	mov eax, [gs:0x20008]
	mov ax, 0x2b
	mov ds, ax
	mov eax, [0x20010]
	mov [0x20014], eax
	push ss
	pop es
	mov [es:0x20018], eax
	mov ax, 0x0f
	mov fs, ax
	mov eax, [fs:0x20000]
	mov ax, 0x23
	mov es, ax
	mov [es:0x2001c], eax
	hlt
EOF

cat >"$tmp/flags.asm" <<'EOF'
	bits 32
	org 0x10000
	pushfd
	pop eax
	xor eax, 0x40cd5
	push eax
	popfd
	pushfd
	pop ebx
	and eax, ~0x200
	push eax
	popfd
	pushfd
	pop ecx
	or eax, 0x3000
	push eax
	popfd
	std
	cld
	hlt
EOF

cat >"$tmp/gate64.asm" <<'EOF'
	bits 32
	org 0x10000
	jmp 0x33:target
target:
	bits 64
	mov eax, 60
	xor edi, edi
	syscall
	hlt
EOF

cat >"$tmp/gate32.asm" <<'EOF'
	bits 32
	org 0x10000
	call 0x0f:target
	jmp 0x23:target
target:
	mov eax, [0xc0000000]
	retf
EOF

cat >"$tmp/alu.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, 0x12345678
	mov ecx, 13
l1:	add eax, ecx
	adc edx, eax
	sub ebx, eax
	sbb esi, 7
	xor edi, eax
	rol eax, cl
	shr edx, 3
	sar ebx, cl
	shld esi, edi, 9
	imul eax, ecx, 0x77
	mul ecx
	bsf edx, eax
	bt eax, 5
	cmovc esi, edi
	setz bl
	neg eax
	loop l1
	xadd [0x20030], eax
	cmpxchg [0x20034], edx
	lock inc dword [0x20038]
	cmpxchg8b [0x20040]
	bswap eax
	call f1
	mov esi, 0x20000
	mov edi, 0x22000
	mov ecx, 0x400
	rep movsd
	std
	mov edi, 0x2fff0
	mov ecx, 0x100
	rep stosb
	cld
	mov byte [patch + 1], 0x42
patch:	mov al, 0
	mov dword [l2], 0x90909090
l2:	ud2
	nop
	hlt
f1:	enter 8, 0
	leave
	ret
EOF

# Regression seeds (run first by every fuzzing session, the smoke test's
# included): the guest's NT flag, which direct execution dropped and which
# then leaked into the monitor's RFLAGS (two direct entries: the MMIO reads
# exit to the interpreter; the next IRETQ crashed the monitor); a jump
# above the user boundary, beyond the truncated CS limit (the IRETQ into
# it crashed the monitor); a thread pointer at the kernel, after the
# kernel touched its pages, and CS-relative loads after a far jump to the
# host's 32-bit CS 0x23 (known holes: fuzz_direct.h, docs/DIRECT.md);
# ICEBP (INT1), whose #DB direct execution delivers with DR6.BS set and
# EIP at the instruction (a known bug, tainted: fuzz_direct.h).
cat >"$tmp/regress-nt.asm" <<'EOF'
	bits 32
	org 0x10000
	pushfd
	pop eax
	mov ebx, [0xa0010]
	mov ecx, [0xa0020]
	hlt
EOF

cat >"$tmp/regress-eip.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, 0x400000
	jmp eax
EOF

cat >"$tmp/regress-icebp.asm" <<'EOF'
	bits 32
	org 0x10000
	int1
	hlt
EOF

cat >"$tmp/regress-tls.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, [fs:0]
	mov [fs:4], eax
	jmp 0x23:next
next:	mov eax, [cs:0xc0001000]
	hlt
EOF

for f in int80 sysenter syscall traps priv pf div fpu tls alias flags gate64 gate32 alu regress-nt regress-eip regress-icebp regress-tls; do
	nasm -f bin -o "$tmp/$f.bin" "$tmp/$f.asm"
done
# paging 1-3 (4 KiB, PSE, PAE); IDT 0 (HLT handlers), 4 (empty), 5 (into the code)
for paging in 1 2 3; do
	for idt in 0 5; do
		for user in 0 1; do
			s=p$paging-i$idt-u$user
			{ header $paging $idt 0x01 0 0 0 $user 0; cat "$tmp/int80.bin"; } >"$seeds/int80-$s"
			{ header $paging $idt 0x01 0 0 0 $user 0 0x10; cat "$tmp/sysenter.bin"; } >"$seeds/sysenter-$s"
			{ header $paging $idt 0x01 0 0 0 $user 0; cat "$tmp/syscall.bin"; } >"$seeds/syscall-$s"
			{ header $paging $idt 0x01 0 0 0 $user 0; cat "$tmp/traps.bin"; } >"$seeds/traps-$s"
			{ header $paging $idt 0x01 0 0 0 $user 0; cat "$tmp/priv.bin"; } >"$seeds/priv-$s"
			{ header $paging $idt 0x31 0 0 0 $user 0; cat "$tmp/priv.bin"; } >"$seeds/priv-iopl3-$s"
			{ header $paging $idt 0x01 0x01 0 0x1b $user 0; cat "$tmp/pf.bin"; } >"$seeds/pf-$s"
			{ header $paging $idt 0x01 0 0 0 $((user | 2)) 0; cat "$tmp/pf.bin"; } >"$seeds/pf3g-$s"
			{ header $paging $idt 0x01 0 0 0 $((user | 4)) 0; cat "$tmp/pf.bin"; } >"$seeds/pf4m-$s"
			{ header $paging $idt 0x01 0 0 0 $user 0; cat "$tmp/div.bin"; } >"$seeds/div-$s"
			{ header $paging $idt 0x01 0x22 0x18 0 $user 0; cat "$tmp/fpu.bin"; } >"$seeds/fpu-$s"
			{ header $paging $idt 0x01 0x22 0x00 0 $user 0; cat "$tmp/fpu.bin"; } >"$seeds/fpu-nosse-$s"
			for segs in 0x1d 0x1c 0x1e 0x1f 0x0c 0x18 0x15; do
				{ header $paging $idt 0x01 0 0 0 $user $segs; cat "$tmp/tls.bin"; } >"$seeds/tls-$s-s$segs"
			done
			{ header $paging $idt 0x01 0 0 0 $user 0x20; cat "$tmp/alias.bin"; } >"$seeds/alias-$s"
			{ header $paging $idt 0x01 0 0 0 $user 0; cat "$tmp/flags.bin"; } >"$seeds/flags-$s"
			{ header $paging $idt 0x31 0 0 0 $user 0; cat "$tmp/flags.bin"; } >"$seeds/flags-iopl3-$s"
			{ header $paging $idt 0x01 0 0 0 $user 0; cat "$tmp/gate64.bin"; } >"$seeds/gate64-$s"
			{ header $paging $idt 0x01 0 0 0 $user 0; cat "$tmp/gate32.bin"; } >"$seeds/gate32-$s"
			{ header $paging $idt 0x09 0x20 0 0 $user 0xc0; cat "$tmp/alu.bin"; } >"$seeds/alu-$s"
			{ header $paging $idt 0x41 0 0 0 $user 0; cat "$tmp/regress-nt.bin"; } >"$seeds/regress-nt-$s"
			{ header $paging $idt 0x01 0x01 0 0 $user 0; cat "$tmp/regress-eip.bin"; } >"$seeds/regress-eip-$s"
			{ header $paging $idt 0x01 0x01 0 0 $user 0x06; cat "$tmp/regress-tls.bin"; } >"$seeds/regress-tls-$s"
			{ header $paging $idt 0x01 0 0 0 $user 0; cat "$tmp/regress-icebp.bin"; } >"$seeds/regress-icebp-$s"
		done
	done
done

cat >"$out/direct.dict" <<'EOF'
"\x64"
"\x65"
"\x66"
"\x67"
"\xf0"
"\xf3"
"\x65\x8b\x00"
"\x65\xa1\xfc\xff\xff\xff"
"\x64\x89\x00"
"\x8e\xe8"
"\x8e\xd8"
"\x8c\xe8"
"\x0f\xa8"
"\x0f\xa9"
"\x9c"
"\x9d"
"\xcf"
"\xfa"
"\xfb"
"\xf4"
"\xcc"
"\xce"
"\xf1"
"\x0f\x0b"
"\xcd\x80"
"\x0f\x34"
"\x0f\x05"
"\xea\x00\x00\x01\x00\x33\x00"
"\xea\x00\x00\x01\x00\x23\x00"
"\x9a\x00\x00\x01\x00\x0f\x00"
"\x0f\xa2"
"\x0f\x31"
"\x0f\x01\x00"
"\x0f\x00\xc8"
"\xe4\x20"
"\xe6\x80"
"\xf7\xf1"
"\xd9\xe8"
"\xd9\xfe"
"\x0f\x58\xc1"
"\x0f\x10\x00"
"\x00\x00\x02\x00"
"\x00\x00\x00\xc0"
"\xfc\xff\xff\xff"
EOF

# ---- fuzz --------------------------------------------------------------------
say "fuzzing for $seconds s (log: $out/fuzz.log)"
status=0
(cd "$out" && UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	SOFTVT_FUZZ_LAST="$out/last-input" ./fuzz_direct -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
	-max_len=4096 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
	-dict="$out/direct.dict" -artifact_prefix="$out/" \
	"$out/corpus" "$seeds") >"$out/fuzz.log" 2>&1 || status=$?

if [[ $status -eq 77 ]]; then
	grep -E '^fuzz_direct: cannot run' "$out/fuzz.log" >&2 || true
	die "engine bt or direct execution cannot run on this host" 3
fi
grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
	"$out/fuzz.log" | sed 's/^/fuzz-direct: /' || true
grep -E '^fuzz_direct: totals' "$out/fuzz.log" | tail -1 | sed 's/^fuzz_direct: /fuzz-direct: /' || true
if [[ $status -ne 0 ]] || grep -qE 'runtime error:|ERROR: (Undefined|Leak)Sanitizer|==ERROR: libFuzzer|^fuzz_direct: FINDING' "$out/fuzz.log"; then
	grep -E 'runtime error:|ERROR:|SUMMARY:|Test unit written|^fuzz_direct: FINDING' "$out/fuzz.log" |
		head -20 >&2 || true
	die "the fuzzer found a problem (exit $status); see $out/fuzz.log (an input that killed the process: $out/last-input)"
fi
# A host exit() from guest code would end the process quietly, with any status:
# libFuzzer's final statistics prove it ran to the end.
grep -qE '^stat::number_of_executed_units' "$out/fuzz.log" ||
	die "the fuzzer ended without its final report (a host exit?); see $out/fuzz.log; the input: $out/last-input"
say "no finding, crash, hang, host system call or sanitizer report in $seconds s; corpus: $(find "$out/corpus" -type f | wc -l) inputs"
