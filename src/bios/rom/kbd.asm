; kbd.asm - INT 16h (keyboard services) and IRQ1 (INT 09h).
;
; Keys reach the BDA's 16-word buffer (head 41Ah, tail 41Ch) from two
; sources: the i8042 (IRQ1: set-1 make codes, translated with the US
; tables in tables.inc; shift, ctrl and alt tracked in 417h) and COM1
; (bytes polled by INT 16h, each turned into scan code/ASCII through
; ascii_scan; DEL arrives as backspace; VT100 escape sequences for the
; arrows, home/end, insert/delete, page up/down and F1-F4 become those keys).
;
;   AH=00h/10h wait for a key: AH scan code, AL ASCII (waits with STI;HLT,
;             so the timer tick wakes it to poll COM1)
;   AH=01h/11h check: ZF=1 none; ZF=0 and AX = the next key (kept)
;   AH=02h/12h shift flags in AL (12h: AH = extended flags)
;   AH=03h typematic rate: accepted
;   AH=05h store CX in the buffer: AL=00h done, AL=01h buffer full
; Other functions return with nothing changed.

int16_keyboard:
	FRAME_ENTER
	push word BDA_SEG
	pop ds
	cmp ah, 0x00
	je k_read
	cmp ah, 0x10
	je k_read
	cmp ah, 0x01
	je k_check
	cmp ah, 0x11
	je k_check
	cmp ah, 0x02
	je k_flags
	cmp ah, 0x12
	je k_flags
	cmp ah, 0x05
	je k_store
k_done:
	FRAME_LEAVE

k_read:
	cli
	call kbd_poll_serial
	mov bx, [BDA_KBHEAD]
	cmp bx, [BDA_KBTAIL]
	jne .got
	sti
	hlt
	jmp k_read
.got:
	mov ax, [bx]
	call kbd_next                       ; BX = the slot after BX
	mov [BDA_KBHEAD], bx
	mov [F_AX], ax
	jmp k_done

k_check:
	cli
	call kbd_poll_serial
	mov bx, [BDA_KBHEAD]
	cmp bx, [BDA_KBTAIL]
	je .none
	mov ax, [bx]
	mov [F_AX], ax
	and byte [F_FLAGS], ~FL_ZF & 0xff
	jmp k_done
.none:
	or byte [F_FLAGS], FL_ZF
	jmp k_done

k_flags:
	mov al, [BDA_KBFLAGS]
	mov [F_AL], al
	cmp byte [F_AH], 0x12
	jne k_done
	mov al, [BDA_KBFLAGS2]
	mov [F_AH], al
	jmp k_done

k_store:
	mov ax, cx
	call kbd_enqueue
	setc byte [F_AL]
	jmp k_done

; BX = the buffer slot after BX (DS = BDA).
kbd_next:
	add bx, 2
	cmp bx, [BDA_KBEND]
	jb .ok
	mov bx, [BDA_KBSTART]
.ok:
	ret

; Puts AX in the buffer; CF=1 when it is full. DS = BDA. Preserves registers.
kbd_enqueue:
	push bx
	push dx
	mov bx, [BDA_KBTAIL]
	mov dx, bx
	call kbd_next
	cmp bx, [BDA_KBHEAD]
	je .full
	xchg bx, dx
	mov [bx], ax
	mov [BDA_KBTAIL], dx
	clc
	pop dx
	pop bx
	ret
.full:
	stc
	pop dx
	pop bx
	ret

; Moves the bytes waiting on COM1 into the buffer. DS = BDA. A VT100/xterm
; escape sequence that has arrived whole becomes its key: ESC [ A/B/C/D
; (arrows), ESC [ H/F and ESC [ 1~/4~ (home, end), ESC [ 2~/3~/5~/6~
; (insert, delete, page up, page down), ESC O P/Q/R/S (F1-F4). An ESC not
; followed at once by '[' or 'O' is the escape key.
kbd_poll_serial:
	push ax
	push bx
.next:
	call serial_getc
	jz .done
	and al, 0x7f
	cmp al, 0x1b
	jne .plain
	call serial_getc
	jz .esc
	cmp al, '['
	je .csi
	cmp al, 'O'
	je .ss3
	push ax                             ; ESC then another key
	mov ax, 0x011b
	call kbd_enqueue
	pop ax
	jmp .plain
.esc:
	mov ax, 0x011b
	jmp .put2
.ss3:
	call serial_getc
	jz .esc
	sub al, 'P'                         ; F1-F4: 3Bh-3Eh
	cmp al, 3
	ja .esc
	add al, 0x3b
	mov ah, al
	xor al, al
	jmp .put2
.csi:
	call serial_getc
	jz .esc
	mov bx, csi_keys
.find:
	cmp byte [cs:bx], 0
	je .esc
	cmp [cs:bx], al
	je .found
	add bx, 2
	jmp .find
.found:
	mov ah, [cs:bx + 1]
	xor al, al
	cmp byte [cs:bx], '9'               ; digits end with '~'
	ja .put2
	push ax
	call serial_getc                    ; the '~'
	pop ax
	jmp .put2
.plain:
	movzx bx, al
	mov ah, [cs:ascii_scan + bx]
	cmp al, 0x7f                        ; DEL: the backspace key
	jne .put
	mov al, 0x08
.put:
	cmp al, 0x0a                        ; LF: the enter key
	jne .put2
	mov al, 0x0d
.put2:
	call kbd_enqueue
	jmp .next
.done:
	pop bx
	pop ax
	ret

; The final byte of ESC [ sequences and the key's scan code (ASCII 0).
csi_keys:
	db 'A', 0x48, 'B', 0x50, 'C', 0x4d, 'D', 0x4b, 'H', 0x47, 'F', 0x4f
	db '1', 0x47, '2', 0x52, '3', 0x53, '4', 0x4f, '5', 0x49, '6', 0x51
	db 0

; IRQ1: one byte from the keyboard.
irq1_keyboard:
	push ax
	push bx
	push ds
	push word BDA_SEG
	pop ds
	in al, 0x60
	cmp al, 0xe0                        ; extended-key prefix: the next byte tells
	je .eoi
	mov ah, 0x02                        ; left shift 2Ah, right shift 36h: bits 1, 0
	cmp al, 0x2a
	je .press
	cmp al, 0xaa
	je .release
	mov ah, 0x01
	cmp al, 0x36
	je .press
	cmp al, 0xb6
	je .release
	mov ah, 0x04                        ; ctrl
	cmp al, 0x1d
	je .press
	cmp al, 0x9d
	je .release
	mov ah, 0x08                        ; alt
	cmp al, 0x38
	je .press
	cmp al, 0xb8
	je .release
	test al, 0x80                       ; other releases
	jnz .eoi
	mov ah, al                          ; AH = scan code
	xor al, al
	cmp ah, 0x3a
	jae .put                            ; function and cursor keys: ASCII 0
	movzx bx, ah
	test byte [BDA_KBFLAGS], 0x03
	jnz .shifted
	mov al, [cs:scan_normal + bx]
	jmp .ctrl
.shifted:
	mov al, [cs:scan_shifted + bx]
.ctrl:
	test byte [BDA_KBFLAGS], 0x04
	jz .put
	cmp al, 0x60
	jb .put
	and al, 0x1f                        ; ctrl + letter
.put:
	call kbd_enqueue
	jmp .eoi
.press:
	or [BDA_KBFLAGS], ah
	jmp .eoi
.release:
	not ah
	and [BDA_KBFLAGS], ah
.eoi:
	mov al, 0x20
	out 0x20, al
	pop ds
	pop bx
	pop ax
	iret
