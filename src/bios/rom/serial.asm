; serial.asm - COM1 (16550A at 3F8h) for the BIOS's own use: the mirror of
; the teletype output and the keyboard input from a serial console. Polled,
; no interrupts (IRQ4 stays masked), bounded waits.

serial_init:
	push ax
	push dx
	mov dx, COM1 + 1                    ; IER: no interrupts
	xor al, al
	out dx, al
	mov dx, COM1 + 3                    ; LCR: DLAB
	mov al, 0x80
	out dx, al
	mov dx, COM1                        ; divisor 1: 115200 baud
	mov al, 1
	out dx, al
	inc dx
	xor al, al
	out dx, al
	mov dx, COM1 + 3                    ; 8N1
	mov al, 0x03
	out dx, al
	mov dx, COM1 + 2                    ; FIFOs on and cleared
	mov al, 0x07
	out dx, al
	mov dx, COM1 + 4                    ; DTR, RTS
	mov al, 0x03
	out dx, al
	pop dx
	pop ax
	ret

; AL to COM1 once the transmitter holding register is empty (or after a
; bounded wait: a missing UART reads FFh and is never waited for).
serial_putc:
	push ax
	push cx
	push dx
	mov ah, al
	mov dx, COM1 + 5
	mov cx, 0xffff
.wait:
	in al, dx
	test al, 0x20
	loopz .wait
	mov dx, COM1
	mov al, ah
	out dx, al
	pop dx
	pop cx
	pop ax
	ret

; ZF=0 and AL = the received byte, or ZF=1 when none is waiting.
serial_getc:
	push dx
	mov dx, COM1 + 5
	in al, dx
	cmp al, 0xff                        ; no UART
	je .none
	test al, 0x01
	jz .none
	mov dx, COM1
	in al, dx
	or dx, dx                           ; ZF=0
	pop dx
	ret
.none:
	cmp al, al                          ; ZF=1
	pop dx
	ret
