#!/bin/bash
# fuzz-loaders.sh [SECONDS] [OUT_DIR] - fuzz the kernel loaders with libFuzzer.
#
# Builds tests/fuzz/fuzz_loaders.c with clang-14 -fsanitize=fuzzer,address,
# undefined into OUT_DIR (default: build/fuzz of the source tree), writes a
# seed corpus (a synthetic bzImage, a Multiboot ELF and an a.out-kludge
# image, assembled with nasm/ld, plus the Debian vmlinuz if
# scripts/fetch-guest.sh cached one), then fuzzes for SECONDS (default 300).
#
# Exit status: 0 no finding; 1 a crash, leak, timeout or sanitizer report
# (the reproducer is OUT_DIR/crash-* etc., the log OUT_DIR/fuzz.log) or a
# build failure; 2 clang-14/libFuzzer/libelf missing.
set -euo pipefail

seconds=${1:-300}
script=$(readlink -f "${BASH_SOURCE[0]}")
src_dir=$(dirname "$(dirname "$script")")
out=${2:-$src_dir/build/fuzz}
cc=${CC_FUZZ:-clang-14}

say() { echo "fuzz-loaders: $*"; }
die() { echo "fuzz-loaders: error: $*" >&2; exit "${2:-1}"; }

[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || die "SECONDS must be a positive integer, not '$seconds'"
command -v "$cc" >/dev/null || die "$cc is not installed (apt-get install clang-14 libclang-rt-14-dev)" 2
pkg-config --exists libelf || die "libelf is not installed (apt-get install libelf-dev)" 2
mkdir -p "$out/seeds" "$out/corpus"
out=$(cd "$out" && pwd)

# ---- build -------------------------------------------------------------------
say "building $out/fuzz_loaders with $cc"
# shellcheck disable=SC2046
"$cc" -g -O1 -std=gnu17 -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -I"$src_dir/src" $(pkg-config --cflags libelf) \
	"$src_dir/tests/fuzz/fuzz_loaders.c" \
	"$src_dir/src/loader/loader.c" "$src_dir/src/loader/linux_boot.c" \
	"$src_dir/src/loader/multiboot.c" "$src_dir/src/loader/e820.c" \
	"$src_dir/src/mmu/physmap.c" "$src_dir/src/mmu/guest_ram.c" \
	"$src_dir/src/cpu/cpu_state.c" \
	$(pkg-config --libs libelf) -o "$out/fuzz_loaders.new" ||
	die "building the fuzzer failed (is libclang-rt-14-dev installed?)"
mv -f "$out/fuzz_loaders.new" "$out/fuzz_loaders"

# ---- seeds -------------------------------------------------------------------
seeds=$out/seeds
tmp=$(mktemp -d "$out/seedsrc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A protocol 2.15 bzImage: boot sector + 2 setup sectors, then 4 KiB of "kernel".
cat >"$tmp/bzimage.asm" <<'EOF'
	bits 16
	times 0x1f1 db 0
	db 2                    ; setup_sects
	dw 0                    ; root_flags
	dd pm_len / 16          ; syssize
	dw 0, 0xffff, 0         ; ram_size, vid_mode, root_dev
	dw 0xaa55               ; boot_flag
	db 0xeb, hdr_end - hdr_jump_end
hdr_jump_end:
	db "HdrS"
	dw 0x020f               ; version
	dd 0                    ; realmode_swtch
	dw 0, 0                 ; start_sys_seg, kernel_version
	db 0, 0x01              ; type_of_loader, loadflags = LOADED_HIGH
	dw 0                    ; setup_move_size
	dd 0x100000             ; code32_start
	dd 0, 0, 0              ; ramdisk_image, ramdisk_size, bootsect_kludge
	dw 0                    ; heap_end_ptr
	db 0, 0                 ; ext_loader_ver, ext_loader_type
	dd 0                    ; cmd_line_ptr
	dd 0x37ffffff           ; initrd_addr_max
	dd 0x200000             ; kernel_alignment
	db 1, 13                ; relocatable_kernel, min_alignment
	dw 0                    ; xloadflags
	dd 2047                 ; cmdline_size
	dd 0                    ; hardware_subarch
	dq 0                    ; hardware_subarch_data
	dd 0, 0                 ; payload_offset, payload_length
	dq 0                    ; setup_data
	dq 0x100000             ; pref_address
	dd 0x400000             ; init_size
	dd 0, 0                 ; handover_offset, kernel_info_offset
hdr_end:
	times 3 * 512 - ($ - $$) db 0
pm:
	bits 32
	cli
	hlt
	times 4096 - ($ - pm) db 0x90
pm_len equ $ - pm
EOF

# A Multiboot ELF kernel with text, data and bss.
cat >"$tmp/multiboot.asm" <<'EOF'
	bits 32
	section .text
	global _start
	align 4
	dd 0x1badb002, 0x00000003, -(0x1badb002 + 0x00000003)
_start:
	mov esp, stack_top
	mov [saved], ebx
	cli
	hlt
	section .data
	dd 0xdeadbeef
	section .bss
saved:	resd 1
	resb 8192
stack_top:
EOF

# An a.out-kludge image loaded at 2 MiB, with 4 KiB of bss.
cat >"$tmp/aout.asm" <<'EOF'
	bits 32
	org 0x200000
start:
	jmp entry
	align 4
header:
	dd 0x1badb002, 0x00010003, -(0x1badb002 + 0x00010003)
	dd header, start, load_end, bss_end, entry
entry:
	cli
	hlt
load_end:
bss_end equ load_end + 4096
EOF

if command -v nasm >/dev/null; then
	nasm -f bin -o "$seeds/bzimage" "$tmp/bzimage.asm"
	nasm -f bin -o "$seeds/aout" "$tmp/aout.asm"
	nasm -f elf32 -o "$tmp/multiboot.o" "$tmp/multiboot.asm"
	if command -v ld >/dev/null; then
		ld -m elf_i386 -Ttext=0x100000 -o "$seeds/multiboot.elf" "$tmp/multiboot.o"
	else
		say "warning: no ld, no Multiboot ELF seed"
	fi
else
	say "warning: nasm is not installed, fuzzing without synthetic seeds"
fi
for kernel in "$src_dir"/build*/guest/vmlinuz-686; do
	if [[ -f $kernel ]]; then
		say "seeding with $kernel"
		cp -f "$kernel" "$seeds/vmlinuz-686"
		break
	fi
done

cat >"$out/loaders.dict" <<'EOF'
"HdrS"
"\x55\xaa"
"\x02\xb0\xad\x1b"
"\x7fELF"
"\x01\x01\x01"
"\x00\x00\x10\x00"
EOF

# ---- fuzz --------------------------------------------------------------------
say "fuzzing for $seconds s (log: $out/fuzz.log)"
status=0
(cd "$out" && ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	./fuzz_loaders -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
	-dict="$out/loaders.dict" -artifact_prefix="$out/" \
	"$out/corpus" "$seeds") >"$out/fuzz.log" 2>&1 || status=$?

grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
	"$out/fuzz.log" | sed 's/^/fuzz-loaders: /' || true
if [[ $status -ne 0 ]] || grep -qE 'runtime error:|ERROR: (Address|Leak|Undefined)Sanitizer|==ERROR: libFuzzer' "$out/fuzz.log"; then
	grep -E 'runtime error:|ERROR:|SUMMARY:|Test unit written' "$out/fuzz.log" | head -20 >&2 || true
	die "the fuzzer found a problem (exit $status); see $out/fuzz.log"
fi
say "no crash, leak or sanitizer report in $seconds s; corpus: $(find "$out/corpus" -type f | wc -l) inputs"
