; boot.asm - INT 19h (bootstrap loader) and INT 18h (no bootable device).
;
; INT 19h reads sector 0 of drive 80h to 0000:7C00 with INT 13h, checks
; the boot signature 55h AAh at 7DFEh, and jumps to 0000:7C00 with DL=80h,
; CS=DS=ES=SS=0, SP=7C00h, interrupts enabled. When it cannot (no disk,
; a read error, no signature), or when a boot loader gives up with INT 18h,
; it prints why on the screen and COM1 and writes the reason to the
; boot-failure port (hostif.inc): softvt stops and says why.

int19_boot:
	sti
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, BOOT_ADDR
	push word EBDA_SEG
	pop ds
	cmp byte [EB_DISK], 1
	jne .no_disk
	xor ax, ax
	mov ds, ax
	mov ax, 0x0201                      ; read one sector
	mov bx, BOOT_ADDR
	mov cx, 0x0001                      ; cylinder 0, sector 1
	mov dx, 0x0080                      ; head 0, drive 80h
	int 0x13
	jc .read_error
	cmp word [BOOT_ADDR + 510], 0xaa55
	jne .no_signature
	xor ax, ax
	xor bx, bx
	xor cx, cx
	xor si, si
	xor di, di
	xor bp, bp
	mov dx, 0x0080
	jmp 0x0000:BOOT_ADDR
.no_disk:
	mov si, msg_no_disk
	mov bl, BOOTFAIL_NO_DISK
	jmp boot_fail
.read_error:
	mov si, msg_read_error
	mov bl, BOOTFAIL_READ_ERROR
	jmp boot_fail
.no_signature:
	mov si, msg_no_signature
	mov bl, BOOTFAIL_NO_SIGNATURE
	jmp boot_fail

int18_no_boot:
	mov si, msg_int18
	mov bl, BOOTFAIL_INT18

; SI = message, BL = BOOTFAIL_* code.
boot_fail:
	call print_str
	mov dx, BOOTFAIL_PORT
	mov al, bl
	out dx, al
.halt:
	cli
	hlt
	jmp .halt

msg_no_disk:
	db "softvt BIOS: no disk to boot from (no IDE disk answered)", 13, 10, 0
msg_read_error:
	db "softvt BIOS: cannot read the boot sector of the disk", 13, 10, 0
msg_no_signature:
	db "softvt BIOS: the disk is not bootable (no 55 AA signature in sector 0)", 13, 10, 0
msg_int18:
	db "softvt BIOS: the boot loader gave up (INT 18h): no bootable system", 13, 10, 0
