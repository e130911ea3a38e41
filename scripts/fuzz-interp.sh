#!/bin/bash
# fuzz-interp.sh [SECONDS] [OUT_DIR] - fuzz the interpreter with random guest code.
#
# Builds tests/fuzz/fuzz_interp.c and the interpreter (src/cpu, with the
# physical and port maps it runs on) with clang-14 -fsanitize=fuzzer,
# address,undefined into OUT_DIR (default: build/fuzz-interp of the source
# tree), writes a seed corpus (small programs for each mode of
# tests/unit/random_guest.h, assembled with nasm: mode switches, task
# switches, gates, string, FPU and system instructions), then fuzzes for
# SECONDS (default 300). An input is a 44-byte header (mode, paging, IDT,
# flags, registers) and the code; see tests/unit/random_guest.h.
#
# Prints exec/s, coverage and the P6 instructions the interpreter does not
# implement yet ("unsupported" list, also in OUT_DIR/unsupported.txt).
#
# Exit status: 0 no finding; 1 a crash, hang, broken rule or sanitizer
# report (the reproducer is OUT_DIR/crash-* etc., the log OUT_DIR/fuzz.log;
# replay with OUT_DIR/fuzz_interp FILE) or a build failure; 2 clang-14 or
# libFuzzer missing.
set -euo pipefail

seconds=${1:-300}
script=$(readlink -f "${BASH_SOURCE[0]}")
src_dir=$(dirname "$(dirname "$script")")
out=${2:-$src_dir/build/fuzz-interp}
cc=${CC_FUZZ:-clang-14}

say() { echo "fuzz-interp: $*"; }
die() { echo "fuzz-interp: error: $*" >&2; exit "${2:-1}"; }

[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || die "SECONDS must be a positive integer, not '$seconds'"
command -v "$cc" >/dev/null || die "$cc is not installed (apt-get install clang-14 libclang-rt-14-dev)" 2
[[ -f /usr/include/Zydis/Zydis.h ]] || die "Zydis is not installed (apt-get install libzydis-dev)" 2
mkdir -p "$out/seeds" "$out/corpus"
out=$(cd "$out" && pwd)

# ---- build -------------------------------------------------------------------
say "building $out/fuzz_interp with $cc"
"$cc" -g -O2 -std=gnu17 -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -I"$src_dir/src" \
	"$src_dir/tests/fuzz/fuzz_interp.c" "$src_dir"/src/cpu/*.c \
	"$src_dir/src/mmu/physmap.c" "$src_dir/src/mmu/guest_ram.c" \
	"$src_dir/src/devices/portmap.c" \
	-lZydis -lZycore -lm -o "$out/fuzz_interp.new" ||
	die "building the fuzzer failed (is libclang-rt-14-dev installed?)"
mv -f "$out/fuzz_interp.new" "$out/fuzz_interp"

# ---- seeds -------------------------------------------------------------------
# header MODE PAGING IDT FLAGS [EXTRAS]: the 44-byte header of random_guest.h
# with EAX..EDI = 0, 1, 2, 0x20000, stack, 0x20100, 0x100, 0x200.
hex() { printf '%b' "\\x$(printf %02x "$1")"; }
header() {
	hex $(($1 | $2 << 3 | $3 << 5))
	hex "$4"
	printf '\x00\x00\x00\x00\x00\x00\x00\x00'
	hex "${5:-0}"
	printf '\x10'
	printf '\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x00\x00\x02\x00'
	printf '\x00\x40\x00\x00\x00\x01\x02\x00\x00\x01\x00\x00\x00\x02\x00\x00'
}

seeds=$out/seeds
tmp=$(mktemp -d "$out/seedsrc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# 32-bit ring-0 code: the instruction classes, system instructions and far transfers.
cat >"$tmp/sys32.asm" <<'EOF'
	bits 32
	mov eax, 1
	cpuid
	rdtsc
	push eax
	pop ebx
	add eax, ebx
	imul ecx, eax, 7
	bsf edx, ecx
	bt eax, 3
	shld eax, ebx, 5
	cmpxchg8b [0x20010]
	xadd [0x20020], eax
	mov esi, 0x20000
	mov edi, 0x21000
	mov ecx, 0x40
	rep movsd
	mov ecx, 0x10
	mov dx, 0x20
	rep insb
	in al, 0x61
	out 0x80, al
	fninit
	fld1
	fldpi
	fmulp st1
	fistp dword [0x20030]
	fxsave [0x22000]
	mov eax, cr0
	mov cr0, eax
	mov eax, cr3
	mov cr3, eax
	invlpg [0x20000]
	sgdt [0x20040]
	sidt [0x20048]
	lldt [0x20050]
	str ax
	lar eax, [0x20052]
	verr [0x20054]
	mov ax, 0x10
	mov ds, ax
	mov ax, 0x60
	mov es, ax
	wrmsr
	rdmsr
	int 0x80
	into
	bound eax, [0x20060]
	call 0x50:0
	jmp 0x48:0
	call 0x98:0
	iretd
	hlt
EOF

# 16-bit real-mode code that enters protected mode, then v8086 mode through IRET.
cat >"$tmp/real16.asm" <<'EOF'
	bits 16
	mov ax, 0x2000
	mov ds, ax
	xor si, si
	lodsb
	mov cx, 8
	rep stosw
	int 0x10
	pushf
	popf
	cli
	lgdt [cs:gdtr]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp 0x08:dword 0x10000 + pm
gdtr:	dw 0xff
	dd 0x1000
	bits 32
pm:	mov ax, 0x10
	mov ds, ax
	mov ss, ax
	mov esp, 0x3e000
	push dword 0          ; GS FS DS ES
	push dword 0
	push dword 0x2000
	push dword 0x2000
	push dword 0x3000     ; SS:SP
	push dword 0xf000
	push dword 0x20002    ; EFLAGS with VM
	push dword 0x1000     ; CS:IP
	push dword 0
	iretd
	hlt
EOF

# 32-bit user code: privileged instructions, gates and I/O from ring 3.
cat >"$tmp/user32.asm" <<'EOF'
	bits 32
	int3
	int 0x80
	mov ax, 0x33
	mov ds, ax
	in al, 0x20
	in al, 0x60
	out 0x40, al
	cli
	sti
	pushfd
	popfd
	call 0x53:0
	sysenter
	rdtsc
	rdpmc
	hlt
EOF

# 32-bit ring 0 to ring 3 and back: SYSENTER MSRs, far return to ring 3, gates, SYSENTER.
cat >"$tmp/rings.asm" <<'EOF'
	bits 32
	org 0x10000
	mov ecx, 0x174
	mov eax, 0x08
	xor edx, edx
	wrmsr
	inc ecx
	mov eax, 0x3e000
	wrmsr
	inc ecx
	mov eax, 0x30fc
	wrmsr
	push dword 0x33
	push dword 0x3d000
	push dword 0x2b
	push dword user
	retf
user:	mov ax, 0x33
	mov es, ax
	int 0x80
	call 0x50:0
	pushfd
	push dword 0x2b
	push dword user2
	iretd
user2:	sysenter
	hlt
EOF

# 16-bit protected-mode and segmented 32-bit code: limits, expand-down, far returns.
cat >"$tmp/seg16.asm" <<'EOF'
	bits 16
	mov ax, 0x60
	mov es, ax
	mov di, 0x1000
	stosw
	mov ax, 0x78
	mov fs, ax
	mov [fs:0], ax
	mov bx, 0xffff
	mov al, [bx]
	push word 0x18
	push word 0x20
	retf
	jmp 0x68:0x30
	lds si, [0x10]
	hlt
EOF

if command -v nasm >/dev/null; then
	for f in sys32 real16 user32 seg16 rings; do
		nasm -f bin -o "$tmp/$f.bin" "$tmp/$f.asm"
	done
	# mode: 0 real 1 prot16 2-4 prot32 5 user 6 v86 7 segmented; paging 0-3; IDT 0-7
	for paging in 0 1 2 3; do
		for idt in 0 4 5 6 7; do
			{ header 2 $paging $idt 0x00; cat "$tmp/sys32.bin"; } >"$seeds/sys32-p$paging-i$idt"
			{ header 5 $paging $idt 0x00; cat "$tmp/user32.bin"; } >"$seeds/user32-p$paging-i$idt"
			{ header 1 $paging $idt 0x00; cat "$tmp/seg16.bin"; } >"$seeds/prot16-p$paging-i$idt"
			{ header 7 $paging $idt 0x00; cat "$tmp/sys32.bin"; } >"$seeds/seg32-p$paging-i$idt"
			{ header 6 $paging $idt 0x30; cat "$tmp/real16.bin"; } >"$seeds/v86-p$paging-i$idt"
			{ header 2 $paging $idt 0x00 0x17; cat "$tmp/rings.bin"; } >"$seeds/rings-p$paging-i$idt"
			{ header 3 $paging $idt 0x00 0x03; cat "$tmp/sys32.bin"; } >"$seeds/run32-p$paging-i$idt"
		done
		{ header 0 0 $paging 0x00; cat "$tmp/real16.bin"; } >"$seeds/real16-i$paging"
	done
else
	say "warning: nasm is not installed, fuzzing from random inputs only"
	head -c 512 /dev/urandom >"$seeds/random"
fi

cat >"$out/interp.dict" <<'EOF'
"\x0f\x01"
"\x0f\x00"
"\x0f\x20\xc0"
"\x0f\x22\xc0"
"\x0f\x22\xd8"
"\x0f\x22\xe0"
"\xcd\x80"
"\xcf"
"\x66\xcf"
"\xf3\xa4"
"\xf3\xab"
"\xf3\x6c"
"\xea\x00\x00\x00\x00\x48\x00"
"\x9a\x00\x00\x00\x00\x50\x00"
"\x9a\x00\x00\x00\x00\x98\x00"
"\xea\x00\x00\x00\x00\x88\x00"
"\x8e\xd8"
"\x8e\xd0"
"\x0f\xb2"
"\x66"
"\x67"
"\xf0"
"\x0f\xc7\x08"
"\x0f\x30"
"\x0f\x32"
"\x0f\x34"
"\x0f\x35"
"\xd9\xe8"
"\x0f\xae\x00"
"\x0f\xae\x08"
"\x02\x00\x02\x00"
EOF

# ---- fuzz --------------------------------------------------------------------
say "fuzzing for $seconds s (log: $out/fuzz.log)"
status=0
(cd "$out" && ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	./fuzz_interp -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-max_len=4096 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
	-dict="$out/interp.dict" -artifact_prefix="$out/" \
	"$out/corpus" "$seeds") >"$out/fuzz.log" 2>&1 || status=$?

grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
	"$out/fuzz.log" | sed 's/^/fuzz-interp: /' || true
grep -oE '^fuzz_interp: unsupported [A-Za-z0-9_]+' "$out/fuzz.log" | awk '{ print $3 }' |
	sort -u >"$out/unsupported.new" || true
sort -u "$out/unsupported.new" "$out/unsupported.txt" 2>/dev/null >"$out/unsupported.all" || true
mv -f "$out/unsupported.all" "$out/unsupported.txt"
rm -f "$out/unsupported.new"
say "unsupported P6 instructions seen: $(tr '\n' ' ' <"$out/unsupported.txt")"
if [[ $status -ne 0 ]] || grep -qE 'runtime error:|ERROR: (Address|Leak|Undefined)Sanitizer|==ERROR: libFuzzer|^fuzz_interp: .*(beyond|error that|took|ROM)' "$out/fuzz.log"; then
	grep -E 'runtime error:|ERROR:|SUMMARY:|Test unit written|^fuzz_interp: ' "$out/fuzz.log" |
		grep -v 'fuzz_interp: unsupported' | head -20 >&2 || true
	die "the fuzzer found a problem (exit $status); see $out/fuzz.log"
fi
say "no crash, hang, sanitizer report or broken rule in $seconds s; corpus: $(find "$out/corpus" -type f | wc -l) inputs"
