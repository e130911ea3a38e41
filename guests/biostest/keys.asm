; keys.asm - a one-sector boot disk for the keyboard services fed from the
; serial console (tests/cli/bios_keyboard.sh pipes bytes into COM1): it
; waits with INT 16h AH=00h and prints each key's AX in hex on the debug
; console (port E9h), one per line, after checking AH=01h sees it first,
; until it reads 'q'; then exit code 0 to port F4h (1 if AH=01h disagreed).

cpu 686
bits 16
org 0x7c00

	jmp 0:start
start:
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7c00
	sti
.key:
	mov ah, 0x01                        ; wait until AH=01h reports a key
	int 0x16
	jz .key
	mov bx, ax
	mov ah, 0x00
	int 0x16
	cmp ax, bx
	je .same
	mov byte [bad], 1
.same:
	call put_hex16
	mov al, 10
	out 0xe9, al
	cmp al, al
	mov ax, bx
	cmp al, 'q'
	jne .key
	mov al, [bad]
	out 0xf4, al
	cli
	hlt

; AX in four hex digits.
put_hex16:
	push ax
	mov cx, 4
	mov dx, ax
.digit:
	rol dx, 4
	mov al, dl
	and al, 0x0f
	add al, '0'
	cmp al, '9'
	jbe .out
	add al, 'a' - '9' - 1
.out:
	out 0xe9, al
	loop .digit
	pop ax
	ret

bad: db 0

	times 510 - ($ - $$) db 0
	dw 0xaa55
