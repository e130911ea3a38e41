; bios.asm - the softvt BIOS: a 64 KiB ROM at F0000h (aliased at FFFF0000h),
; written for softvt from the classic references (IBM PC/AT Technical
; Reference, Ralf Brown's interrupt list, the ATA and EDD specifications,
; the Intel SDM). docs/BIOS.md describes what it offers.
;
; The CPU starts at F000:FFF0 (the reset vector at the end of this file),
; which jumps to post. POST sets up the IVT, the BDA and EBDA, the PICs
; (IRQ 0-7 on vectors 08h-0Fh, 8-15 on 70h-77h), the PIT (18.2 Hz), the RTC,
; COM1 (115200 8N1), the keyboard controller, the text screen (mode 3),
; A20, finds the IDE disk, and calls INT 19h to boot sector 0 at 0:7C00.
;
; All mutable state lives in RAM (IVT, BDA at 400h, EBDA at 9FC00h): the
; ROM is read-only. The host fills host_table (hostif.inc) before reset.
;
; Built by nasm as a flat binary; the files included below each hold one
; group of services.

cpu 686
bits 16
org 0

%ifdef MAPFILE
[map symbols MAPFILE]
%endif

%include "hostif.inc"
%include "bios.inc"

section .text

rom_start:
	db "softvt BIOS", 0

align 16
host_table:
	times HT_SIZE db 0

%include "video.asm"
%include "serial.asm"
%include "kbd.asm"
%include "timer.asm"
%include "disk.asm"
%include "system.asm"
%include "boot.asm"

; ---------------------------------------------------------------------------
; POST

; One IVT entry: vector, handler (offset in segment F000h).
%macro VEC 2
	dw %1, %2
%endmacro

vector_table:
	VEC 0x08, irq0_timer
	VEC 0x09, irq1_keyboard
	VEC 0x10, int10_video
	VEC 0x11, int11_equipment
	VEC 0x12, int12_memory
	VEC 0x13, int13_disk
	VEC 0x15, int15_system
	VEC 0x16, int16_keyboard
	VEC 0x18, int18_no_boot
	VEC 0x19, int19_boot
	VEC 0x1a, int1a_time
vector_table_end:

post:
	cli
	cld
	xor ax, ax
	mov ss, ax
	mov sp, BOOT_ADDR
	; A20 on (port 92h bit 1), never the reset bit
	in al, 0x92
	and al, 0xfe
	or al, 0x02
	out 0x92, al

	; IVT and BDA: zero, then every vector to an IRET, the hardware
	; interrupts to handlers that acknowledge the PIC, and the services.
	xor ax, ax
	mov es, ax
	xor di, di
	mov cx, 0x500 / 2
	rep stosw
	xor di, di
	mov cx, 256
.ivt:
	mov word [es:di], dummy_iret
	mov word [es:di + 2], BIOS_SEG
	add di, 4
	loop .ivt
	mov di, 0x08 * 4
	mov cx, 8
.irq_master:
	mov word [es:di], irq_master_eoi
	add di, 4
	loop .irq_master
	mov di, 0x70 * 4
	mov cx, 8
.irq_slave:
	mov word [es:di], irq_slave_eoi
	add di, 4
	loop .irq_slave
	mov si, vector_table
.services:
	mov bx, [cs:si]
	shl bx, 2
	mov ax, [cs:si + 2]
	mov [es:bx], ax
	add si, 4
	cmp si, vector_table_end
	jb .services

	; EBDA: 1 KiB, zeroed, size in its first byte
	mov ax, EBDA_SEG
	mov es, ax
	xor di, di
	xor ax, ax
	mov cx, EBDA_KIB * 512
	rep stosw
	mov byte [es:EB_SIZE], EBDA_KIB

	; BDA
	mov ax, BDA_SEG
	mov ds, ax
	mov word [BDA_COM1], COM1
	mov word [BDA_EBDA], EBDA_SEG
	; equipment: x87 (bit 1), PS/2 mouse (2), 80x25 colour (5-4 = 10b), one serial port (11-9)
	mov word [BDA_EQUIP], 0x0226
	mov word [BDA_MEMKB], 0xa0000 / 1024 - EBDA_KIB
	mov word [BDA_KBHEAD], BDA_KBBUF
	mov word [BDA_KBTAIL], BDA_KBBUF
	mov word [BDA_KBSTART], BDA_KBBUF
	mov word [BDA_KBEND], BDA_KBBUF_END
	mov byte [BDA_KBMODE], 0x10         ; 101/102-key keyboard

	call pic_init
	call pit_init
	call rtc_init
	call kbd_poll_serial                ; a byte already received survives the FIFO reset
	call serial_init
	call kbc_init
	mov ax, 0x0003
	int 0x10
	mov si, msg_banner
	call print_str
	call disk_probe
	sti
	int 0x19
	; INT 19h does not return
	jmp int18_no_boot

pic_init:
	mov al, 0x11                        ; ICW1: edge, cascade, ICW4 follows
	out 0x20, al
	out 0xa0, al
	mov al, 0x08                        ; ICW2: vectors 08h and 70h
	out 0x21, al
	mov al, 0x70
	out 0xa1, al
	mov al, 0x04                        ; ICW3: slave on IRQ2
	out 0x21, al
	mov al, 0x02
	out 0xa1, al
	mov al, 0x01                        ; ICW4: 8086 mode
	out 0x21, al
	out 0xa1, al
	mov al, 0xf8                        ; IRQ 0, 1, 2 unmasked
	out 0x21, al
	mov al, 0xff
	out 0xa1, al
	ret

pit_init:
	mov al, 0x34                        ; counter 0, lo/hi, mode 2, binary
	out 0x43, al
	xor al, al                          ; count 0 = 65536: 18.2 Hz
	out 0x40, al
	out 0x40, al
	ret

rtc_init:
	mov al, 0x0a                        ; register A: 32.768 kHz, 1024 Hz rate
	out 0x70, al
	mov al, 0x26
	out 0x71, al
	mov al, 0x0b                        ; register B: 24-hour BCD, no interrupts
	out 0x70, al
	mov al, 0x02
	out 0x71, al
	ret

; The i8042: command byte 65h (keyboard interrupt, system flag, mouse
; disabled, scan-code translation to set 1).
kbc_init:
	call kbc_wait_input
	mov al, 0x60
	out 0x64, al
	call kbc_wait_input
	mov al, 0x65
	out 0x60, al
	ret

kbc_wait_input:
	mov cx, 0xffff
.wait:
	in al, 0x64
	test al, 0x02
	loopnz .wait
	ret

; Default handlers of the hardware interrupts nobody claims.
irq_slave_eoi:
	push ax
	mov al, 0x20
	out 0xa0, al
	out 0x20, al
	pop ax
	iret

irq_master_eoi:
	push ax
	mov al, 0x20
	out 0x20, al
	pop ax
	iret

dummy_iret:
	iret

; print_str: the NUL-terminated string at CS:SI on the screen and COM1.
print_str:
	push ax
	push si
.next:
	mov al, [cs:si]
	test al, al
	jz .done
	call tty_putc
	inc si
	jmp .next
.done:
	pop si
	pop ax
	ret

msg_banner:
	db "softvt BIOS", 13, 10, 0

config_table:                           ; INT 15h AH=C0h
	dw 8
	db 0xfc, 0x01, 0x00                 ; model AT, submodel, revision
	db 0x60                             ; second 8259, real-time clock
	db 0x00, 0x00, 0x00, 0x00

%include "tables.inc"

; ---------------------------------------------------------------------------
; The last 16 bytes: reset vector, BIOS date, model byte.

	times 0xfff0 - ($ - $$) db 0xff
reset_vector:
	jmp BIOS_SEG:post
	db "11/22/26"
	db 0x00
	db 0xfc                             ; model: AT
	db 0x00
