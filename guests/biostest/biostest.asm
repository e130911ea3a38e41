; biostest.asm - a boot disk that checks the softvt BIOS's services from
; the guest side: the boot hand-over, the IVT/BDA/EBDA, INT 10h, 11h, 12h,
; 13h, 15h, 16h and 1Ah, with the register results and flags documented
; in docs/BIOS.md (Ralf Brown's interrupt list, EDD 1.1), good and bad
; parameters. Output on the debug console (port E9h), TAP style; the exit
; code goes to port F4h (0: every check passed). Golden output:
; guests/biostest.expected (a 64 MiB machine, see tests/guests/run-bios-test.sh).
;
; Cross-check under QEMU's SeaBIOS (assemble with -DSEABIOS, which leaves out
; the AH=87h call SeaBIOS implements): docs/BIOS.md lists what differs.
;
; The image (4 MiB, 8192 sectors: 8 cylinders of 16 heads x 63 sectors):
;   sector 0       loader: reads sectors 1.. with INT 13h AH=02h to 7E00h
;   sectors 1..    this program
;   sector 63      marker "SECT" + LBA (C/H/S 0/1/1)
;   sector 129     marker (read by the second command of a 130-sector read)
;   sector 1008    marker (C/H/S 1/0/1)
;   sector 8191    marker, the last sector

cpu 686
bits 16
org 0x7c00

SECTORS equ 8192
MARK equ 0x54434553                     ; "SECT"

boot:
	jmp 0:.start                        ; CS = 0 whatever the BIOS used
.start:
	mov [boot_dl], dl
	pushf
	pop word [boot_flags]
	mov [boot_sp], sp
	mov ax, ss
	mov [boot_ss], ax
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	mov ax, 0x0200 + PROGRAM_SECTORS
	mov bx, 0x7e00
	mov cx, 0x0002                      ; cylinder 0, sector 2
	mov dx, 0x0080
	int 0x13
	jc .fail
	cmp al, PROGRAM_SECTORS
	jne .fail
	jmp main
.fail:
	mov al, 'L'
	out 0xe9, al
	mov al, 3
	out 0xf4, al
	cli
	hlt

boot_dl: db 0
boot_flags: dw 0
boot_sp: dw 0
boot_ss: dw 0

	times 510 - ($ - $$) db 0
	dw 0xaa55

; ---------------------------------------------------------------------------

%include "lib.inc"

main:
	NOTE "softvt BIOS test"
	call test_boot_state
	call test_tables
	call test_int11_12
	call test_video
	call test_e820
	call test_memory_size
	call test_a20
	call test_int15_misc
	call test_timer
	call test_keyboard
	call test_disk_info
	call test_disk_chs
	call test_disk_ext
	call test_disk_errors
	call summary
	mov al, 0
	cmp word [fails], 0
	je .exit
	mov al, 1
.exit:
	out 0xf4, al
	cli
	hlt

test_boot_state:
	T_BEGIN
	T_R8 "dl", [boot_dl], 0x80
	T_R16 "ss", [boot_ss], 0
	T_R16 "sp", [boot_sp], 0x7c00
	mov ax, [boot_flags]
	shr ax, 9
	and ax, 1
	mov [r_eax], ax
	T_R8 "if", [r_eax], 1
	T_END "boot hand-over at 0:7c00"
	ret

; IVT entries point into the BIOS segment; BDA and EBDA contents.
test_tables:
	T_BEGIN
	T_R16 "int10.seg", [0x10 * 4 + 2], 0xf000
	T_R16 "int13.seg", [0x13 * 4 + 2], 0xf000
	T_R16 "int15.seg", [0x15 * 4 + 2], 0xf000
	T_R16 "int16.seg", [0x16 * 4 + 2], 0xf000
	T_R16 "int19.seg", [0x19 * 4 + 2], 0xf000
	T_R16 "int1a.seg", [0x1a * 4 + 2], 0xf000
	T_END "interrupt vectors"
	T_BEGIN
	T_R16 "com1", [0x400], 0x3f8
	T_R16 "ebda", [0x40e], 0x9fc0
	T_R16 "equip", [0x410], 0x0226
	T_R16 "memkb", [0x413], 639
	T_R8 "mode", [0x449], 3
	T_R16 "cols", [0x44a], 80
	T_R8 "rows-1", [0x484], 24
	T_R8 "disks", [0x475], 1
	T_R16 "kbstart", [0x480], 0x1e
	T_R16 "kbend", [0x482], 0x3e
	push word 0x9fc0
	pop es
	mov al, [es:0]
	push word 0
	pop es
	mov [r_eax], al
	T_R8 "ebda.kib", [r_eax], 1
	T_END "BIOS data area and EBDA"
	T_BEGIN
	push word 0xf000
	pop es
	mov al, [es:0xfffe]
	mov bl, [es:0xfff0]
	push word 0
	pop es
	mov [r_eax], al
	mov [r_ebx], bl
	T_R8 "model", [r_eax], 0xfc
	T_R8 "reset.opcode", [r_ebx], 0xea
	T_END "ROM model byte and reset vector"
	ret

test_int11_12:
	int 0x11
	call save_regs
	T_BEGIN
	T_R16 "ax", [r_eax], 0x0226
	T_END "int 11h equipment"
	int 0x12
	call save_regs
	T_BEGIN
	T_R16 "ax", [r_eax], 639
	T_END "int 12h base memory (KiB)"
	ret

test_video:
	mov ah, 0x0f
	int 0x10
	call save_regs
	T_BEGIN
	T_R8 "al", [r_eax], 3
	T_R8 "ah", [r_eax + 1], 80
	T_R8 "bh", [r_ebx + 1], 0
	T_END "int 10h ah=0fh get mode"

	mov ax, 0x0003
	int 0x10
	call save_regs
	push word 0xb800
	pop es
	mov ax, [es:0]
	mov bx, [es:3998]
	push word 0
	pop es
	mov [r_ebx], ax
	mov [r_ecx], bx
	T_BEGIN
	T_R8 "al", [r_eax], 0x30
	T_R16 "cell0", [r_ebx], 0x0720
	T_R16 "cell1999", [r_ecx], 0x0720
	T_R16 "cursor", [0x450], 0
	T_END "int 10h ax=0003h set mode 3 clears the screen"

	mov ah, 0x02
	mov bh, 0
	mov dx, 0x050a                      ; row 5, column 10
	int 0x10
	mov ah, 0x03
	mov bh, 0
	int 0x10
	call save_regs
	T_BEGIN
	T_R16 "dx", [r_edx], 0x050a
	T_R16 "cx", [r_ecx], 0x0607
	T_R16 "bda.curpos", [0x450], 0x050a
	T_END "int 10h ah=02h/03h set and get the cursor"

	mov ax, 0x0e41                      ; 'A'
	int 0x10
	mov ax, 0x0e42                      ; 'B'
	int 0x10
	mov ah, 0x03
	mov bh, 0
	int 0x10
	mov [r_edx], dx
	push word 0xb800
	pop es
	mov ax, [es:(5 * 80 + 10) * 2]
	mov bx, [es:(5 * 80 + 11) * 2]
	push word 0
	pop es
	mov [r_eax], ax
	mov [r_ebx], bx
	T_BEGIN
	T_R16 "cell", [r_eax], 0x0741
	T_R16 "next", [r_ebx], 0x0742
	T_R16 "dx", [r_edx], 0x050c
	T_END "int 10h ah=0eh teletype writes and advances"

	mov ah, 0x02                        ; back to 5,10: read what is there
	mov bh, 0
	mov dx, 0x050a
	int 0x10
	mov ah, 0x08
	mov bh, 0
	int 0x10
	call save_regs
	T_BEGIN
	T_R16 "ax", [r_eax], 0x0741
	T_END "int 10h ah=08h read character and attribute"

	mov ax, 0x095a                      ; 'Z' x3, attribute 1Fh
	mov bx, 0x001f
	mov cx, 3
	int 0x10
	mov ax, 0x0a59                      ; 'Y' x1, attribute kept
	mov cx, 1
	int 0x10
	mov ah, 0x03
	mov bh, 0
	int 0x10
	mov [r_edx], dx
	push word 0xb800
	pop es
	mov ax, [es:(5 * 80 + 10) * 2]
	mov bx, [es:(5 * 80 + 12) * 2]
	mov cx, [es:(5 * 80 + 13) * 2]
	push word 0
	pop es
	mov [r_eax], ax
	mov [r_ebx], bx
	mov [r_ecx], cx
	T_BEGIN
	T_R16 "cell10", [r_eax], 0x1f59
	T_R16 "cell12", [r_ebx], 0x1f5a
	T_R16 "cell13", [r_ecx], 0x0720
	T_R16 "dx", [r_edx], 0x050a
	T_END "int 10h ah=09h/0ah write without moving the cursor"

	; scroll rows 5-6, columns 10-19 up by one: row 5 gets row 6 (blank), row 6 blanks with 4Eh
	mov ax, 0x0601
	mov bh, 0x4e
	mov cx, 0x050a
	mov dx, 0x0613
	int 0x10
	push word 0xb800
	pop es
	mov ax, [es:(5 * 80 + 10) * 2]
	mov bx, [es:(6 * 80 + 19) * 2]
	mov cx, [es:(6 * 80 + 20) * 2]
	push word 0
	pop es
	mov [r_eax], ax
	mov [r_ebx], bx
	mov [r_ecx], cx
	T_BEGIN
	T_R16 "r5c10", [r_eax], 0x0720
	T_R16 "r6c19", [r_ebx], 0x4e20
	T_R16 "r6c20", [r_ecx], 0x0720
	T_END "int 10h ah=06h scroll a window up"

	mov ax, 0x0701                      ; scroll rows 5-6 down: row 6 gets row 5
	mov bh, 0x07
	mov cx, 0x050a
	mov dx, 0x0613
	int 0x10
	push word 0xb800
	pop es
	mov ax, [es:(6 * 80 + 10) * 2]
	mov bx, [es:(5 * 80 + 19) * 2]
	push word 0
	pop es
	mov [r_eax], ax
	mov [r_ebx], bx
	T_BEGIN
	T_R16 "r6c10", [r_eax], 0x0720
	T_R16 "r5c19", [r_ebx], 0x0720
	T_END "int 10h ah=07h scroll a window down"

	mov ax, 0x1301                      ; string, attribute in BL, cursor moves
	mov bx, 0x0002
	mov cx, 3
	mov dx, 0x0800
	mov bp, str_xyz
	int 0x10
	mov ah, 0x03
	mov bh, 0
	int 0x10
	mov [r_edx], dx
	push word 0xb800
	pop es
	mov ax, [es:(8 * 80 + 0) * 2]
	mov bx, [es:(8 * 80 + 2) * 2]
	push word 0
	pop es
	mov [r_eax], ax
	mov [r_ebx], bx
	T_BEGIN
	T_R16 "cell0", [r_eax], 0x0278
	T_R16 "cell2", [r_ebx], 0x027a
	T_R16 "dx", [r_edx], 0x0803
	T_END "int 10h ax=1301h write string"

	mov ax, 0x1a00
	int 0x10
	call save_regs
	T_BEGIN
	T_R8 "al", [r_eax], 0x1a
	T_R8 "bl", [r_ebx], 0x08
	T_END "int 10h ax=1a00h display combination"

	mov ah, 0x01
	mov cx, 0x0e0f
	int 0x10
	mov ah, 0x03
	mov bh, 0
	int 0x10
	call save_regs
	mov ah, 0x01
	mov cx, 0x0607
	int 0x10
	T_BEGIN
	T_R16 "cx", [r_ecx], 0x0e0f
	T_END "int 10h ah=01h cursor shape"

	; a line on the screen and COM1 (the runner looks for it in the serial output)
	mov si, str_serial
.tty:
	lodsb
	test al, al
	jz .tty_done
	mov ah, 0x0e
	int 0x10
	jmp .tty
.tty_done:
	ret

str_xyz: db "xyz"
str_serial: db 13, 10, "biostest: teletype reaches COM1", 13, 10, 0

; The expected E820 map of a 64 MiB softvt machine.
e820_want:
	dq 0x00000000, 0x0009fc00
	dd 1
	dq 0x0009fc00, 0x00000400
	dd 2
	dq 0x000e0000, 0x00020000
	dd 2
	dq 0x00100000, 0x03f00000
	dd 1
	dq 0xffff0000, 0x00010000
	dd 2
E820_WANT equ 5

test_e820:
	xor ebx, ebx
	mov word [e820_n], 0
.next:
	mov di, e820_buf
	mov eax, 0xe820
	mov ecx, 24
	mov edx, 0x534d4150
	int 0x15
	call save_regs
	T_BEGIN
	mov si, [e820_n]
	imul si, si, 20
	add si, e820_want
	mov [e820_wp], si
	T_R32 "eax", [r_eax], 0x534d4150
	T_R32 "ecx", [r_ecx], 20
	T_CF 0
	mov si, [e820_wp]
	mov eax, [si + 4]
	mov [r_esi], eax
	mov eax, [si]
	mov [r_edi], eax
	T_R32 "base.hi", [e820_buf + 4], [r_esi]
	T_R32 "base", [e820_buf], [r_edi]
	mov si, [e820_wp]
	mov eax, [si + 8]
	mov [r_esi], eax
	mov eax, [si + 16]
	mov [r_edi], eax
	T_R32 "len", [e820_buf + 8], [r_esi]
	T_R32 "type", [e820_buf + 16], [r_edi]
	T_END "int 15h eax=e820h entry"
	inc word [e820_n]
	mov ebx, [r_ebx]
	test ebx, ebx
	jz .last
	cmp word [e820_n], 16
	jb .next
.last:
	T_BEGIN
	T_R16 "entries", [e820_n], E820_WANT
	T_END "int 15h eax=e820h ends with ebx=0"

	mov eax, 0xe820                     ; bad signature
	xor ebx, ebx
	mov ecx, 20
	mov edx, 0x12345678
	mov di, e820_buf
	int 0x15
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x86
	T_CF 1
	T_END "int 15h eax=e820h edx not SMAP: error"
	mov eax, 0xe820                     ; buffer too small
	xor ebx, ebx
	mov ecx, 16
	mov edx, 0x534d4150
	int 0x15
	call save_regs
	T_BEGIN
	T_CF 1
	T_END "int 15h eax=e820h ecx=16: error"
	mov eax, 0xe820                     ; continuation past the end
	mov ebx, 99
	mov ecx, 20
	mov edx, 0x534d4150
	int 0x15
	call save_regs
	T_BEGIN
	T_CF 1
	T_END "int 15h eax=e820h ebx=99: error"
	ret

test_memory_size:
	mov ax, 0xe801
	int 0x15
	call save_regs
	T_BEGIN
	T_R16 "ax", [r_eax], 0x3c00
	T_R16 "bx", [r_ebx], 0x0300
	T_R16 "cx", [r_ecx], 0x3c00
	T_R16 "dx", [r_edx], 0x0300
	T_CF 0
	T_END "int 15h ax=e801h memory sizes"
	mov ah, 0x88
	int 0x15
	call save_regs
	T_BEGIN
	T_R16 "ax", [r_eax], 0xfc00
	T_CF 0
	T_END "int 15h ah=88h extended memory (KiB)"
	ret

; A20: through INT 15h AX=240xh, seen as the 1 MiB wrap of FFFF:0610h onto 0:0600h.
test_a20:
	mov ax, 0x2403
	int 0x15
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_R16 "bx", [r_ebx], 0x0003
	T_CF 0
	T_END "int 15h ax=2403h a20 support"
	mov ax, 0x2400
	int 0x15
	call save_regs
	mov ax, 0x2402
	int 0x15
	mov [r_ecx], ax
	call a20_wraps
	mov [r_edx], al
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_R16 "state", [r_ecx], 0x0000
	T_R8 "wraps", [r_edx], 1
	T_END "int 15h ax=2400h disables a20"
	mov ax, 0x2401
	int 0x15
	call save_regs
	mov ax, 0x2402
	int 0x15
	mov [r_ecx], ax
	call a20_wraps
	mov [r_edx], al
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_R16 "state", [r_ecx], 0x0001
	T_R8 "wraps", [r_edx], 0
	T_END "int 15h ax=2401h enables a20"
	mov ax, 0x2404
	int 0x15
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x86
	T_CF 1
	T_END "int 15h ax=2404h: unsupported"
	ret

; AL = 1 if FFFF:0610h is 0:0600h.
a20_wraps:
	push es
	mov byte [0x600], 0x11
	push word 0xffff
	pop es
	mov byte [es:0x610], 0x22
	pop es
	cmp byte [0x600], 0x22
	sete al
	ret

test_int15_misc:
	mov ah, 0xc0
	int 0x15
	call save_regs
	mov es, [r_es]
	mov bx, [r_ebx]
	mov al, [es:bx + 2]
	push word 0
	pop es
	mov [r_esi], al
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_R16 "es", [r_es], 0xf000
	T_R8 "model", [r_esi], 0xfc
	T_END "int 15h ah=c0h configuration table"
%ifndef SEABIOS                         ; SeaBIOS has it, and would move junk
	mov ah, 0x87                        ; block move: not provided
	int 0x15
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x86
	T_CF 1
	T_END "int 15h ah=87h: unsupported"
%endif
	mov ax, 0x4f1e                      ; keyboard intercept: carry set, key kept
	clc
	int 0x15
	call save_regs
	T_BEGIN
	T_R16 "ax", [r_eax], 0x4f1e
	T_CF 1
	T_END "int 15h ah=4fh keyboard intercept"
	ret

test_timer:
	mov ah, 0x00
	int 0x1a
	call save_regs
	mov [t0], dx
	mov [t0 + 2], cx
	T_BEGIN
	T_CF 0
	T_R8 "al", [r_eax], 0
	T_END "int 1ah ah=00h tick count"
	sti
	hlt
	hlt
	hlt
	mov ah, 0x00
	int 0x1a
	mov [t1], dx
	mov [t1 + 2], cx
	T_BEGIN
	mov eax, [t1]
	sub eax, [t0]
	cmp eax, 1
	T_TRUE ae, "ticks advance under hlt"
	T_END "irq0 counts ticks at 46ch"
	mov ah, 0x86                        ; 200 ms = 3.6 ticks
	mov cx, 0x0003
	mov dx, 0x0d40
	int 0x15
	call save_regs
	mov ah, 0x00
	int 0x1a
	mov [t2], dx
	mov [t2 + 2], cx
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	mov eax, [t2]
	sub eax, [t1]
	cmp eax, 2
	T_TRUE ae, "waited at least 2 ticks"
	cmp eax, 12
	T_TRUE be, "waited at most 12 ticks"
	T_END "int 15h ah=86h waits 200 ms"
	mov ah, 0x01                        ; set the count
	mov cx, 0x0012
	mov dx, 0x3456
	int 0x1a
	mov ah, 0x00
	int 0x1a
	mov [r_ecx], cx
	mov [r_edx], dx
	T_BEGIN
	T_R16 "cx", [r_ecx], 0x0012
	cmp dx, 0x3456
	T_TRUE ae, "dx >= 3456h"
	cmp dx, 0x3466
	T_TRUE b, "dx < 3466h"
	T_END "int 1ah ah=01h sets the tick count"
	mov ah, 0x02
	int 0x1a
	call save_regs
	T_BEGIN
	T_CF 0
	cmp byte [r_ecx + 1], 0x24
	T_TRUE b, "hours < 24 (bcd)"
	cmp byte [r_ecx], 0x60
	T_TRUE b, "minutes < 60 (bcd)"
	cmp byte [r_edx + 1], 0x60
	T_TRUE b, "seconds < 60 (bcd)"
	T_END "int 1ah ah=02h rtc time"
	mov ah, 0x04
	int 0x1a
	call save_regs
	T_BEGIN
	T_CF 0
	T_R8 "ch", [r_ecx + 1], 0x20
	mov al, [r_edx + 1]
	cmp al, 0x01
	T_TRUE ae, "month >= 1"
	cmp al, 0x12
	T_TRUE be, "month <= 12 (bcd)"
	T_END "int 1ah ah=04h rtc date"
	mov ah, 0x0a                        ; not provided
	int 0x1a
	call save_regs
	T_BEGIN
	T_CF 1
	T_END "int 1ah ah=0ah: unsupported"
	ret

test_keyboard:
	mov ah, 0x01
	int 0x16
	call save_regs
	T_BEGIN
	T_ZF 1
	T_END "int 16h ah=01h: no key"
	mov ah, 0x05
	mov cx, 0x1e61                      ; 'a'
	int 0x16
	call save_regs
	mov ah, 0x01
	int 0x16
	mov [r_ecx], ax
	pushf
	pop word [r_flags]
	T_BEGIN
	T_R8 "store.al", [r_eax], 0
	T_R16 "peek.ax", [r_ecx], 0x1e61
	T_ZF 0
	T_END "int 16h ah=05h stores, ah=01h peeks"
	mov ah, 0x00
	int 0x16
	call save_regs
	mov ah, 0x01
	int 0x16
	pushf
	pop word [r_flags]
	T_BEGIN
	T_R16 "ax", [r_eax], 0x1e61
	T_ZF 1
	T_END "int 16h ah=00h reads the key"
	; the buffer holds 15 keys
	mov word [r_esi], 0
.fill:
	mov ah, 0x05
	mov cx, 0x3920
	int 0x16
	test al, al
	jnz .full
	inc word [r_esi]
	cmp word [r_esi], 20
	jb .fill
.full:
	mov [r_eax], al
.drain:
	mov ah, 0x01
	int 0x16
	jz .drained
	mov ah, 0x00
	int 0x16
	jmp .drain
.drained:
	T_BEGIN
	T_R16 "stored", [r_esi], 15
	T_R8 "al", [r_eax], 1
	T_END "int 16h ah=05h: buffer full after 15 keys"
	mov ah, 0x02
	int 0x16
	call save_regs
	T_BEGIN
	T_R8 "al", [r_eax], 0
	T_END "int 16h ah=02h shift flags"

	; IRQ1: set-1 codes put in the i8042's output buffer with command D2h
	; (as if the keyboard sent them) raise IRQ1; the BIOS's handler turns them
	; into keys: a, shift+a, ctrl+c, F1, E0 48 (up), with the releases.
	sti
	mov si, irq1_codes
.code:
	lodsb
	test al, al
	jz .codes_done
	mov ah, al
	mov al, 0xd2
	out 0x64, al
	mov al, ah
	out 0x60, al
	nop                                 ; IRQ1 is taken here
	cmp ah, 0x2a                        ; while shift is down: AH=02h shows it
	jne .code
	mov ah, 0x02
	int 0x16
	mov [r_ebp], al
	jmp .code
.codes_done:
	mov di, keys_got
	mov cx, 6
.key:
	mov ah, 0x01
	int 0x16
	jz .keys_done
	mov ah, 0x00
	int 0x16
	stosw
	loop .key
.keys_done:
	T_BEGIN
	T_R16 "a", [keys_got], 0x1e61
	T_R16 "shift.a", [keys_got + 2], 0x1e41
	T_R16 "ctrl.c", [keys_got + 4], 0x2e03
	T_R16 "f1", [keys_got + 6], 0x3b00
	T_R16 "up", [keys_got + 8], 0x4800
	T_R16 "none", [keys_got + 10], 0
	T_R8 "shift.flags", [r_ebp], 0x02
	T_END "irq1: i8042 scan codes become keys"
	mov ah, 0x02
	int 0x16
	call save_regs
	T_BEGIN
	T_R8 "al", [r_eax], 0
	T_END "int 16h ah=02h shift flags after the releases"
	ret

irq1_codes:
	db 0x1e, 0x9e                       ; a
	db 0x2a, 0x1e, 0x9e, 0xaa           ; shift + a
	db 0x1d, 0x2e, 0xae, 0x9d           ; ctrl + c
	db 0x3b, 0xbb                       ; F1
	db 0xe0, 0x48, 0xe0, 0xc8           ; up (extended)
	db 0

test_disk_info:
	mov ah, 0x08
	mov dl, 0x80
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_R16 "cx", [r_ecx], 0x073f
	T_R16 "dx", [r_edx], 0x0f01
	T_END "int 13h ah=08h drive parameters"
	mov ah, 0x15
	mov dl, 0x80
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 3
	T_CF 0
	T_R16 "cx", [r_ecx], SECTORS >> 16
	T_R16 "dx", [r_edx], SECTORS & 0xffff
	T_END "int 13h ah=15h disk type"
	mov ah, 0x15
	mov dl, 0x81
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_END "int 13h ah=15h dl=81h: no such drive"
	mov ah, 0x41
	mov bx, 0x55aa
	mov dl, 0x80
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x21
	T_R16 "bx", [r_ebx], 0xaa55
	T_R16 "cx", [r_ecx], 0x0001
	T_CF 0
	T_END "int 13h ah=41h extensions present"
	mov ah, 0x01                        ; the status of 41h is 00h
	mov dl, 0x80
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_END "int 13h ah=01h status after success"
	mov word [params], 0x1e
	mov ah, 0x48
	mov dl, 0x80
	mov si, params
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_R16 "size", [params], 0x1e
	T_R16 "flags", [params + 2], 0x0002
	T_R32 "cyls", [params + 4], 8
	T_R32 "heads", [params + 8], 16
	T_R32 "spt", [params + 12], 63
	T_R32 "sectors", [params + 16], SECTORS
	T_R32 "sectors.hi", [params + 20], 0
	T_R16 "bps", [params + 24], 512
	T_R32 "dpte", [params + 26], 0xffffffff
	T_END "int 13h ah=48h drive parameters"
	mov ah, 0x00
	mov dl, 0x80
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_END "int 13h ah=00h reset"
	ret

; ES:BX's first two dwords against "SECT" and the LBA in EAX; AL = 1 if they match.
check_mark:
	cmp dword [es:bx], MARK
	jne .no
	cmp [es:bx + 4], eax
	jne .no
	mov al, 1
	ret
.no:
	mov al, 0
	ret

test_disk_chs:
	mov ax, 0x0201                      ; C/H/S 0/1/1 = LBA 63
	mov cx, 0x0001
	mov dx, 0x0180
	mov bx, buf
	int 0x13
	call save_regs
	mov bx, buf
	mov eax, 63
	call check_mark
	mov [r_esi], al
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_R8 "al", [r_eax], 1
	T_CF 0
	T_R8 "mark", [r_esi], 1
	T_END "int 13h ah=02h read c/h/s 0/1/1"
	mov ax, 0x0202                      ; C/H/S 1/0/1 = LBA 1008, two sectors
	mov cx, 0x0101
	mov dx, 0x0080
	mov bx, buf
	int 0x13
	call save_regs
	mov bx, buf
	mov eax, 1008
	call check_mark
	mov [r_esi], al
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_R8 "al", [r_eax], 2
	T_CF 0
	T_R8 "mark", [r_esi], 1
	T_END "int 13h ah=02h read c/h/s 1/0/1, two sectors"
	; write C/H/S 0/2/5 (LBA 130), read it back with AH=42h
	mov di, buf
	mov cx, 256
	mov ax, 0xc3a5
	rep stosw
	mov ax, 0x0301
	mov cx, 0x0005
	mov dx, 0x0280
	mov bx, buf
	int 0x13
	call save_regs
	mov word [buf], 0
	mov dword [dap + 8], 130
	call dap_read1
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_R8 "al", [r_eax], 1
	T_CF 0
	T_R16 "back", [buf + 510], 0xc3a5
	T_END "int 13h ah=03h write c/h/s 0/2/5"
	mov ax, 0x0401                      ; verify
	mov cx, 0x0005
	mov dx, 0x0280
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_END "int 13h ah=04h verify"
	ret

; One sector of dap's LBA into buf with AH=42h.
dap_read1:
	mov byte [dap], 0x10
	mov word [dap + 2], 1
	mov word [dap + 4], buf
	mov word [dap + 6], 0
	mov dword [dap + 12], 0
	mov ah, 0x42
	mov dl, 0x80
	mov si, dap
	int 0x13
	ret

test_disk_ext:
	mov dword [dap + 8], SECTORS - 1    ; the last sector
	call dap_read1
	call save_regs
	mov bx, buf
	mov eax, SECTORS - 1
	call check_mark
	mov [r_esi], al
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_R16 "count", [dap + 2], 1
	T_R8 "mark", [r_esi], 1
	T_END "int 13h ah=42h read the last sector"
	; 130 sectors from LBA 0 to 2000:0000 (more than one 128-sector command, past 64 KiB)
	mov byte [dap], 0x10
	mov word [dap + 2], 130
	mov word [dap + 4], 0
	mov word [dap + 6], 0x2000
	mov dword [dap + 8], 0
	mov ah, 0x42
	mov dl, 0x80
	mov si, dap
	int 0x13
	call save_regs
	push word 0x2000
	pop es
	mov bx, 63 * 512
	mov eax, 63
	call check_mark
	mov [r_esi], al
	mov ax, [es:510]
	mov [r_edi], ax
	push word 0x3000                    ; sector 129, from the second command, at 2000:0 + 10200h
	pop es
	mov bx, 0x200
	mov eax, 129
	call check_mark
	push word 0
	pop es
	mov [r_ebp], al
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_R16 "count", [dap + 2], 130
	T_R8 "mark63", [r_esi], 1
	T_R16 "sig", [r_edi], 0xaa55
	T_R8 "mark129", [r_ebp], 1
	T_END "int 13h ah=42h read 130 sectors across 64 KiB"
	; write with AH=43h, read back
	mov di, buf
	mov cx, 256
	mov ax, 0x5a5a
	rep stosw
	mov byte [dap], 0x10
	mov word [dap + 2], 1
	mov word [dap + 4], buf
	mov word [dap + 6], 0
	mov dword [dap + 8], 200
	mov ax, 0x4300
	mov dl, 0x80
	mov si, dap
	int 0x13
	call save_regs
	mov word [buf + 100], 0
	mov dword [dap + 8], 200
	call dap_read1
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_R16 "back", [buf + 100], 0x5a5a
	T_END "int 13h ah=43h write, read back"
	mov byte [dap], 0x10                ; verify and seek
	mov word [dap + 2], 4
	mov dword [dap + 8], SECTORS - 4
	mov ah, 0x44
	mov dl, 0x80
	mov si, dap
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_END "int 13h ah=44h verify the last 4 sectors"
	mov ah, 0x47
	mov dl, 0x80
	mov si, dap
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0
	T_CF 0
	T_END "int 13h ah=47h seek"
	ret

test_disk_errors:
	mov ax, 0x0200                      ; zero sectors
	mov cx, 0x0001
	mov dx, 0x0080
	mov bx, buf
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x01
	T_CF 1
	T_END "int 13h ah=02h al=0: bad parameter"
	mov ah, 0x01
	mov dl, 0x80
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x01
	T_CF 1
	T_END "int 13h ah=01h status of the failed call"
	mov ax, 0x0201                      ; sector 0 does not exist
	mov cx, 0x0000
	mov dx, 0x0080
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x01
	T_CF 1
	T_END "int 13h ah=02h sector 0: bad parameter"
	mov ax, 0x0201                      ; cylinder 8 is past the last (7)
	mov cx, 0x0801
	mov dx, 0x0080
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x01
	T_CF 1
	T_END "int 13h ah=02h cylinder 8: bad parameter"
	mov ax, 0x0201                      ; head 16
	mov cx, 0x0001
	mov dx, 0x1080
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x01
	T_CF 1
	T_END "int 13h ah=02h head 16: bad parameter"
	mov ax, 0x0201                      ; drive 81h
	mov cx, 0x0001
	mov dx, 0x0081
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x01
	T_CF 1
	T_END "int 13h ah=02h dl=81h: no such drive"
	mov ah, 0x08
	mov dl, 0x00                        ; no floppy
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x01
	T_CF 1
	T_END "int 13h ah=08h dl=00h: no such drive"
	mov dword [dap + 8], SECTORS        ; one past the end
	call dap_read1
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x04
	T_CF 1
	T_END "int 13h ah=42h lba past the end: sector not found"
	mov byte [dap], 0x10                ; the last sector and one more
	mov word [dap + 2], 2
	mov dword [dap + 8], SECTORS - 1
	mov ah, 0x42
	mov dl, 0x80
	mov si, dap
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x04
	T_CF 1
	T_END "int 13h ah=42h range past the end: sector not found"
	mov byte [dap], 0x08                ; packet too short
	mov word [dap + 2], 1
	mov dword [dap + 8], 0
	mov ah, 0x42
	mov dl, 0x80
	mov si, dap
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x01
	T_CF 1
	T_END "int 13h ah=42h packet size 8: bad parameter"
	mov byte [dap], 0x10                ; LBA above 2^32
	mov dword [dap + 8], 0
	mov dword [dap + 12], 1
	mov ah, 0x42
	mov dl, 0x80
	mov si, dap
	int 0x13
	call save_regs
	mov dword [dap + 12], 0
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x01
	T_CF 1
	T_END "int 13h ah=42h lba above 2^32: bad parameter"
	mov ah, 0x41
	mov bx, 0x1234
	mov dl, 0x80
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x01
	T_CF 1
	T_END "int 13h ah=41h bx not 55aah: bad parameter"
	mov word [params], 0x10
	mov ah, 0x48
	mov dl, 0x80
	mov si, params
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x01
	T_CF 1
	T_END "int 13h ah=48h buffer of 16 bytes: bad parameter"
	mov ah, 0x50
	mov dl, 0x80
	int 0x13
	call save_regs
	T_BEGIN
	T_R8 "ah", [r_eax + 1], 0x01
	T_CF 1
	T_END "int 13h ah=50h: unknown function"
	ret

; ---------------------------------------------------------------------------
; Variables (in the loaded sectors: RAM)

align 4
r_eax: dd 0
r_ebx: dd 0
r_ecx: dd 0
r_edx: dd 0
r_esi: dd 0
r_edi: dd 0
r_ebp: dd 0
r_es: dw 0
r_ds: dw 0
r_flags: dw 0
tests: dw 0
fails: dw 0
line_len: dw 0
line_ok: db 0
e820_n: dw 0
e820_wp: dw 0
t0: dd 0
t1: dd 0
t2: dd 0
align 4
e820_buf: times 24 db 0
keys_got: times 6 dw 0
params: times 32 db 0
dap: times 16 db 0
line: times 512 db 0
align 512
buf: times 1024 db 0

PROGRAM_SECTORS equ ($ - $$ + 511) / 512 - 1

	times 63 * 512 - ($ - $$) db 0
	dd MARK, 63
	times 129 * 512 - ($ - $$) db 0
	dd MARK, 129
	times 1008 * 512 - ($ - $$) db 0
	dd MARK, 1008
	times (SECTORS - 1) * 512 - ($ - $$) db 0
	dd MARK, SECTORS - 1
	times SECTORS * 512 - ($ - $$) db 0
