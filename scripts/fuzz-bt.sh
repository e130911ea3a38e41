#!/bin/bash
# fuzz-bt.sh [SECONDS] [OUT_DIR] - fuzz engine bt against the interpreter.
#
# Builds tests/fuzz/fuzz_bt.c with the interpreter (src/cpu), the guest
# window (src/mmu) and engine bt (src/bt, with src/direct) with clang-14
# -fsanitize=fuzzer,undefined into OUT_DIR (default: build/fuzz-bt of the
# source tree). No AddressSanitizer: its shadow memory (0x7fff8000 and up)
# lies inside the range engine bt reserves for the guest window, host
# [mmap_min_addr, 8 GiB), so bt cannot start under ASan. bt/stubs.S is
# assembled by gcc (clang's integrated assembler rejects its C-style
# constants such as 1u), and so is direct/enter.S.
#
# Writes a seed corpus (ring-0 programs assembled with nasm: ALU and flags,
# FS-relative accesses that wrap around 4 GiB, self-modifying code, page
# faults, MMIO and ROM accesses, string instructions that fault midway,
# divide errors, stack and control transfers, system instructions, writes
# through read-only and code segments), then
# fuzzes for SECONDS (default 600). An input is a tests/unit/random_guest.h
# input (44-byte header, then code), run as flat 32-bit ring-0 code with
# paging on by the interpreter and by engine bt; the final states must
# agree (tests/fuzz/fuzz_bt.c lists what is compared and the accepted
# differences).
#
# Prints exec/s, the number of runs compared / tainted by undefined flags /
# not finished by the interpreter / stopped on an unsupported instruction.
#
# Exit status: 0 no finding; 1 a finding, crash, hang or sanitizer report
# (the reproducer is OUT_DIR/crash-* etc., the log OUT_DIR/fuzz.log;
# replay with OUT_DIR/fuzz_bt FILE) or a build failure; 2 clang-14,
# libFuzzer or nasm missing; 3 engine bt cannot run on this host (no
# FSGSBASE, or the window's address range is taken).
set -euo pipefail

seconds=${1:-600}
script=$(readlink -f "${BASH_SOURCE[0]}")
src_dir=$(dirname "$(dirname "$script")")
out=${2:-$src_dir/build/fuzz-bt}
cc=${CC_FUZZ:-clang-14}
as=${AS_FUZZ:-gcc}

say() { echo "fuzz-bt: $*"; }
die() { echo "fuzz-bt: error: $*" >&2; exit "${2:-1}"; }

[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || die "SECONDS must be a positive integer, not '$seconds'"
command -v "$cc" >/dev/null || die "$cc is not installed (apt-get install clang-14 libclang-rt-14-dev)" 2
command -v "$as" >/dev/null || die "$as is not installed (needed for src/bt/stubs.S)" 2
command -v nasm >/dev/null || die "nasm is not installed (apt-get install nasm): it assembles the seeds" 2
[[ -f /usr/include/Zydis/Zydis.h ]] || die "Zydis is not installed (apt-get install libzydis-dev)" 2
mkdir -p "$out/seeds" "$out/corpus"
out=$(cd "$out" && pwd)

# ---- build -------------------------------------------------------------------
say "building $out/fuzz_bt with $cc"
"$as" -c -I"$src_dir/src" "$src_dir/src/bt/stubs.S" -o "$out/stubs.o" ||
	die "assembling src/bt/stubs.S failed"
"$as" -c -I"$src_dir/src" "$src_dir/src/direct/enter.S" -o "$out/direct_enter.o" ||
	die "assembling src/direct/enter.S failed"
"$cc" -g -O2 -std=gnu17 -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -I"$src_dir/src" \
	"$src_dir/tests/fuzz/fuzz_bt.c" "$src_dir"/src/cpu/*.c "$src_dir"/src/mmu/*.c \
	"$src_dir"/src/bt/*.c "$out/stubs.o" "$src_dir"/src/direct/*.c "$out/direct_enter.o" \
	"$src_dir/src/devices/portmap.c" \
	-lZydis -lZycore -lm -o "$out/fuzz_bt.new" ||
	die "building the fuzzer failed (is libclang-rt-14-dev installed?)"
mv -f "$out/fuzz_bt.new" "$out/fuzz_bt"

# ---- seeds -------------------------------------------------------------------
# header PAGING IDT FLAGS CR0 HOLES SEGS [EXTRAS]: the 44-byte header of
# random_guest.h (mode: flat 32-bit ring 0; fuzz_bt.c forces it anyway)
# with EAX..EDI = 0, 1, 2, 0x20000, stack, 0x20100, 0x100, 0x200.
# SEGS is header byte 6, which fuzz_bt.c reads as the segment choice:
# bits 0-2 FS (2: flat read-only, 3: flat code, 4: base 0xFFFFF000,
# 5: 0xFFC00000, 6: 0xC0000000, 7: 0x80000000, else flat), bits 3-4 GS
# (0 flat, 1 as FS, 2 null, 3 0xC0000000), bit 5 DS read-only, bit 6 ES
# code, bit 7 CS execute-only.
hex() { printf '%b' "\\x$(printf %02x "$1")"; }
header() {
	hex $((2 | $1 << 3 | $2 << 5))
	hex "$3"
	hex "$4"
	printf '\x00'
	hex "$5"
	printf '\x00'
	hex "$6"
	printf '\x00\x00\x00'
	hex "${7:-0}"
	printf '\x10'
	printf '\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x00\x00\x02\x00'
	printf '\x00\x40\x00\x00\x00\x01\x02\x00\x00\x01\x00\x00\x00\x02\x00\x00'
}

seeds=$out/seeds
tmp=$(mktemp -d "$out/seedsrc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

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
	not edx
	inc ecx
	dec ecx
	loop l1
	movzx eax, byte [0x20010]
	movsx edx, word [0x20020]
	xadd [0x20030], eax
	cmpxchg [0x20034], edx
	lock inc dword [0x20038]
	cmpxchg8b [0x20040]
	bswap eax
	lea esi, [eax + ecx * 4 + 0x100]
	cdq
	idiv ecx
	ud2
EOF

# FS base 0xFFFFF000 (SEGS 4): fs:[0x21000] is linear 0x20000 (wrapped).
cat >"$tmp/fswrap.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, [fs:0x21000]
	mov ebx, 0x21004
	mov ecx, [fs:ebx]
	mov edx, [fs:ebx + esi * 4]
	mov [fs:0x21010], eax
	add dword [fs:0x21014], 5
	xchg [fs:0x21018], ecx
	push dword [fs:0x2101c]
	pop dword [fs:0x21020]
	mov esi, 0x21100
	mov edi, 0x20800
	mov ecx, 64
	rep fs movsb
	fs lodsd
	mov eax, [fs:0x800]
	mov ax, [gs:0x20000]
	mov eax, [fs:0xffe]
	mov eax, [fs:0xfffffffc]
	hlt
EOF

cat >"$tmp/smc.asm" <<'EOF'
	bits 32
	org 0x10000
	mov ecx, 20
l1:	mov byte [patch + 1], cl
	mov byte [patch2], 0x40
patch:	mov al, 0
patch2:	nop
	add ebx, eax
	loop l1
	mov dword [l2], 0x90909090
l2:	ud2
	nop
	mov edi, 0x10100
	mov eax, 0xf4f4f4f4
	stosd
	jmp 0x10100
EOF

# page faults, the hole, MMIO, ROM, the 3 GiB alias, an unmapped stack.
cat >"$tmp/mem.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, [0xc0020000]
	mov [0xc0020004], eax
	mov eax, [0xa0010]
	mov [0xa0020], eax
	mov eax, [0xa0010]
	mov [0xf0000], eax
	mov eax, [0x50000]
	mov [0x50000], eax
	mov eax, [0x20ffe]
	mov [0x21ffd], eax
	mov eax, [0x400000 + 0x20000]
	mov eax, [0x11000]
	mov eax, [0x29000]
	mov [0x21000], eax
	mov eax, [0x12000]
	mov eax, [0x800000]
	hlt
EOF

cat >"$tmp/string.asm" <<'EOF'
	bits 32
	org 0x10000
	mov esi, 0x20000
	mov edi, 0x22000
	mov ecx, 0x800
	rep movsd
	std
	mov edi, 0x2fff0
	mov ecx, 0x100
	mov al, 0x5a
	rep stosb
	cld
	mov esi, 0x20000
	mov edi, 0x22000
	mov ecx, 0x100
	repe cmpsb
	mov edi, 0x20000
	mov ecx, 0x1000
	repne scasb
	mov esi, 0x2f000
	mov edi, 0x3f000
	mov ecx, 0x4000
	rep movsb
	hlt
EOF

cat >"$tmp/control.asm" <<'EOF'
	bits 32
	org 0x10000
	call f1
	mov eax, f2
	call eax
	push f3
	ret
f3:	mov ebx, table
	jmp [ebx + 4]
f1:	push ebp
	mov ebp, esp
	sub esp, 16
	mov [ebp - 4], eax
	leave
	ret
f2:	enter 8, 0
	leave
	ret 0
t1:	xor eax, eax
	div eax
table:	dd t1, t2
t2:	pushfd
	popfd
	cli
	sti
	pushad
	popad
	jecxz t1
	int 3
EOF

cat >"$tmp/sys.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, cr0
	mov cr0, eax
	mov eax, cr3
	mov cr3, eax
	invlpg [0x20000]
	mov eax, cr4
	sgdt [0x20040]
	sidt [0x20048]
	str ax
	mov ax, 0x10
	mov ds, ax
	mov ax, 0xf0
	mov fs, ax
	mov ax, 0xf8
	mov gs, ax
	mov eax, [fs:0x21000]
	mov eax, [gs:0x20000]
	rdtsc
	cpuid
	in al, 0x20
	out 0x80, al
	fninit
	fld1
	fistp dword [0x20050]
	mov dword [0x7000], 0
	invlpg [0]
	mov eax, [0]
	hlt
EOF

# Writes through read-only or code segments and reads through an execute-only CS: #GP(0).
# (Regression seeds: engine bt used to run these in the TC and let the accesses through.)
cat >"$tmp/segs.asm" <<'EOF'
	bits 32
	org 0x10000
	mov eax, [0x20000]
	mov eax, [fs:0x20000]
	mov eax, [es:0x20000]
	mov eax, [cs:0x20000]
	mov [es:0x20004], eax
	mov [fs:0x20008], eax
	mov [gs:0x2000c], eax
	mov [0x20010], eax
	mov ax, 0x08
	mov ds, ax
	mov [0x20000], eax
	hlt
EOF

for f in alu fswrap smc mem string control sys segs; do
	nasm -f bin -o "$tmp/$f.bin" "$tmp/$f.asm"
done
# paging 1-3 (4 KiB, PSE, PAE); IDT 0 (HLT handlers), 4 (empty), 5 (into the code)
for paging in 1 2 3; do
	for idt in 0 4 5; do
		{ header $paging $idt 0x00 0x00 0x00 0x00; cat "$tmp/alu.bin"; } >"$seeds/alu-p$paging-i$idt"
		{ header $paging $idt 0x00 0x01 0x00 0x00; cat "$tmp/smc.bin"; } >"$seeds/smc-p$paging-i$idt"
		{ header $paging $idt 0x00 0x01 0x1b 0x00; cat "$tmp/mem.bin"; } >"$seeds/mem-p$paging-i$idt"
		{ header $paging $idt 0x00 0x00 0x00 0x00; cat "$tmp/string.bin"; } >"$seeds/string-p$paging-i$idt"
		{ header $paging $idt 0x01 0x00 0x00 0x00; cat "$tmp/control.bin"; } >"$seeds/control-p$paging-i$idt"
		{ header $paging $idt 0x00 0x00 0x00 0x0c 0x10; cat "$tmp/sys.bin"; } >"$seeds/sys-p$paging-i$idt"
		for segs in 0x02 0x03 0x0a 0x0b 0x20 0x40 0x80; do
			{ header $paging $idt 0x00 0x00 0x00 $segs; cat "$tmp/segs.bin"; } \
				>"$seeds/segs-p$paging-i$idt-s$segs"
		done
		for segs in 4 5 6 7 0x0c 0x14; do
			{ header $paging $idt 0x00 0x00 0x00 $segs; cat "$tmp/fswrap.bin"; } \
				>"$seeds/fswrap-p$paging-i$idt-s$segs"
		done
	done
done

cat >"$out/bt.dict" <<'EOF'
"\x64"
"\x65"
"\x66"
"\x67"
"\xf0"
"\xf3"
"\xf2"
"\x64\x8b\x00"
"\x64\x89\x00"
"\x64\xa1\x00\x10\x00\x00"
"\x0f\x01"
"\x0f\x22\xd8"
"\x0f\x20\xc0"
"\x9c"
"\x9d"
"\xcf"
"\xfa"
"\xfb"
"\xf4"
"\xcd\x80"
"\xe8\x00\x00\x00\x00"
"\xc3"
"\xff\xe0"
"\xf7\xf1"
"\xd3\xe0"
"\x0f\xa5\xc8"
"\x0f\xbc\xc1"
"\x0f\xc7\x08"
"\xf3\xa5"
"\xf3\xab"
"\xf3\xa6"
"\x00\x00\x02\x00"
"\x00\x00\x0a\x00"
"\xfc\xff\xff\xff"
"\x00\xf0\xff\xff"
EOF

# ---- fuzz --------------------------------------------------------------------
say "fuzzing for $seconds s (log: $out/fuzz.log)"
status=0
(cd "$out" && UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	./fuzz_bt -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
	-max_len=4096 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
	-dict="$out/bt.dict" -artifact_prefix="$out/" \
	"$out/corpus" "$seeds") >"$out/fuzz.log" 2>&1 || status=$?

if [[ $status -eq 77 ]]; then
	grep -E '^fuzz_bt: cannot run' "$out/fuzz.log" >&2 || true
	die "engine bt cannot run on this host" 3
fi
grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
	"$out/fuzz.log" | sed 's/^/fuzz-bt: /' || true
grep -E '^fuzz_bt: totals' "$out/fuzz.log" | tail -1 | sed 's/^fuzz_bt: /fuzz-bt: /' || true
if [[ $status -ne 0 ]] || grep -qE 'runtime error:|ERROR: (Undefined|Leak)Sanitizer|==ERROR: libFuzzer|^fuzz_bt: FINDING' "$out/fuzz.log"; then
	grep -E 'runtime error:|ERROR:|SUMMARY:|Test unit written|^fuzz_bt: FINDING' "$out/fuzz.log" |
		head -20 >&2 || true
	die "the fuzzer found a problem (exit $status); see $out/fuzz.log"
fi
say "no finding, crash, hang or sanitizer report in $seconds s; corpus: $(find "$out/corpus" -type f | wc -l) inputs"
