; reboot.asm - a one-sector boot disk that reboots itself: it counts its
; boots in RAM at 0:8000h (a reset keeps RAM; the BIOS clears only the IVT,
; BDA and EBDA), prints "boot N" on the debug console (port E9h), resets
; through port 92h after the first boot and through the keyboard controller
; (command FEh) after the second, and exits with code 0 (port F4h) after the
; third. tests/cli/bios_reboot.sh runs it.

cpu 686
bits 16
org 0x7c00

	jmp 0:start
start:
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7c00
	inc byte [0x8000]
	mov si, msg
.put:
	lodsb
	test al, al
	jz .count
	out 0xe9, al
	jmp .put
.count:
	mov al, [0x8000]
	add al, '0'
	out 0xe9, al
	mov al, 10
	out 0xe9, al
	cmp byte [0x8000], 1
	je .port92
	cmp byte [0x8000], 2
	je .kbc
	xor al, al
	out 0xf4, al
	jmp .halt
.port92:
	in al, 0x92
	or al, 1
	out 0x92, al
	jmp .halt
.kbc:
	mov al, 0xfe
	out 0x64, al
.halt:
	cli
	hlt
	jmp .halt

msg: db "boot ", 0

	times 510 - ($ - $$) db 0
	dw 0xaa55
