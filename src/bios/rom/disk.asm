; disk.asm - the IDE disk: probe at POST and INT 13h (fixed disk services)
; for drive 80h, by PIO through the primary IDE channel (ports 1F0h-1F7h,
; 3F6h), LBA28, polled (nIEN set: IRQ14 is never raised for the BIOS).
;
; INT 13h CHS functions use a logical geometry of 63 sectors per track and
; 16, 32, 64, 128 or 255 heads, the fewest that keep the cylinders within
; 1024 (the usual "LBA-assisted" translation); at most 1024 cylinders are
; reachable through CHS, everything through the extensions.
;
;   AH=00h reset   01h status of the last operation (AH, CF=1 if non-zero)
;   AH=02h read, 03h write, 04h verify: AL sectors (1-128), CH/CL cylinder
;          and sector (bits 7-6 of CL: cylinder bits 9-8), DH head, ES:BX
;          buffer; AL = sectors done
;   AH=08h parameters: CH/CL/DH last cylinder/sector/head, DL = 1 drive
;   AH=0Ch, 0Dh, 10h, 11h, 14h seek, reset, ready, recalibrate, diagnostic: ok
;   AH=15h type: AH=03h (fixed disk), CX:DX = sectors
;   AH=41h BX=55AAh: BX=AA55h, AH=21h (EDD 1.1), CX=0001h (42h-44h, 47h, 48h)
;   AH=42h read, 43h write, 44h verify, 47h seek: DS:SI disk address packet
;          (size, 0, count, buffer offset:segment, LBA qword); count = done
;   AH=48h DS:SI result buffer (size >= 1Ah): geometry, sectors, 512
; Status (AH, CF=1 when non-zero; kept at 474h): 00h done, 01h bad function
; or parameter (also: no such drive), 04h sector not found (beyond the
; disk), 20h controller failure, 80h timeout (the disk stays busy), CCh
; write fault.

DISK_RET_OK equ 0x00
DISK_RET_PARAM equ 0x01
DISK_RET_NOTFOUND equ 0x04
DISK_RET_CONTROLLER equ 0x20
DISK_RET_TIMEOUT equ 0x80
DISK_RET_WRITEFAULT equ 0xcc

; POST: IDENTIFY DEVICE on device 0; the geometry into the EBDA.
disk_probe:
	push ds
	push es
	pushad
	mov ax, EBDA_SEG
	mov es, ax
	mov ds, ax
	mov dx, IDE_CTRL
	mov al, 0x02                        ; nIEN
	out dx, al
	mov dx, IDE_DEVICE
	mov al, 0xa0
	out dx, al
	mov dx, IDE_STATUS
	in al, dx
	cmp al, 0xff                        ; nothing on the channel
	je .none
	test al, al
	jz .none
	call ide_wait_ready
	jc .none
	mov dx, IDE_CMD
	mov al, 0xec
	out dx, al
	call ide_wait_drq
	jc .none
	mov di, EB_IDENT
	mov dx, IDE_DATA
	mov cx, 256
	rep insw
	mov eax, [EB_IDENT + 60 * 2]
	and eax, 0x0fffffff
	jz .none
	mov [EB_SECTORS], eax
	; heads: 16, 32, 64, 128, 255 until cylinders <= 1024
	mov ebx, 16
.heads:
	mov eax, ebx
	imul eax, eax, 63 * 1024
	cmp [EB_SECTORS], eax
	jbe .found
	shl ebx, 1
	cmp ebx, 256
	jb .heads
	mov ebx, 255
.found:
	mov [EB_HEADS], bx
	mov word [EB_SPT], 63
	imul ebx, ebx, 63
	mov eax, [EB_SECTORS]
	xor edx, edx
	div ebx
	cmp eax, 1024
	jbe .cyls
	mov eax, 1024
.cyls:
	test eax, eax
	jnz .cyls_ok
	inc eax                             ; a disk under one cylinder: one partial cylinder
.cyls_ok:
	mov [EB_CYLS], ax
	mov byte [EB_DISK], 1
	push word BDA_SEG
	pop ds
	mov byte [BDA_NHD], 1
.none:
	popad
	pop es
	pop ds
	ret

; Waits (bounded) until BSY clears. CF=1 on timeout. AL = status.
ide_wait_ready:
	push cx
	push dx
	mov dx, IDE_STATUS
	mov cx, 0xffff
.wait:
	in al, dx
	test al, 0x80
	jz .ready
	loop .wait
	stc
	pop dx
	pop cx
	ret
.ready:
	clc
	pop dx
	pop cx
	ret

; Waits until BSY clears, then CF=1 if ERR is set or DRQ is not. AL = status.
ide_wait_drq:
	call ide_wait_ready
	jc .out
	test al, 0x01
	jnz .bad
	test al, 0x08
	jnz .out                            ; CF=0 from TEST
.bad:
	stc
.out:
	ret

; disk_xfer: EAX = LBA, CX = sectors (1-65535), ES:DI = buffer, BL = 0
; read, 1 write. Returns AH = status, CX = sectors done. DS, ES, DI
; changed; the other registers preserved except AX.
disk_xfer:
	push ebx
	push edx
	push esi
	push bp
	mov bp, cx                          ; BP = sectors requested
	xor si, si                          ; SI = sectors done
	push eax
	; normalize ES:DI so that DI < 16 and 65535 sectors... never wrap DI
	mov ax, di
	shr ax, 4
	mov dx, es
	add dx, ax
	mov es, dx
	and di, 0x0f
	pop eax
	; range check against the disk's size
	push ds
	push word EBDA_SEG
	pop ds
	mov edx, [EB_SECTORS]
	pop ds
	cmp eax, edx
	jae .notfound
	sub edx, eax
	movzx ecx, cx
	cmp ecx, edx
	ja .notfound
.chunk:
	mov cx, bp
	sub cx, si
	jz .ok
	cmp cx, 128
	jbe .issue
	mov cx, 128
.issue:
	push eax
	call ide_wait_ready
	pop eax
	jc .timeout
	push eax
	mov dx, IDE_DEVICE
	shr eax, 24
	and al, 0x0f
	or al, 0xe0
	out dx, al
	mov dx, IDE_COUNT
	mov al, cl
	out dx, al
	pop eax
	mov dx, IDE_LBA0
	out dx, al
	ror eax, 8
	inc dx
	out dx, al
	ror eax, 8
	inc dx
	out dx, al
	rol eax, 16
	mov dx, IDE_CMD
	push ax
	mov al, 0x20
	test bl, bl
	jz .cmd
	mov al, 0x30
.cmd:
	out dx, al
	pop ax
	; CX sectors of this command
.sector:
	push ax
	call ide_wait_drq
	pop ax
	jc .failed
	push cx
	mov dx, IDE_DATA
	mov cx, 256
	test bl, bl
	jnz .write
	rep insw
	sub di, 512
	jmp .moved
.write:
	push si
	push ds
	push es
	pop ds
	mov si, di
	rep outsw
	pop ds
	pop si
.moved:
	pop cx
	mov dx, es                          ; next 512 bytes: segment + 20h
	add dx, 0x20
	mov es, dx
	test bl, bl
	jz .counted
	push ax                             ; a write is done when the disk says so
	call ide_wait_ready
	test al, 0x21                       ; ERR or DF
	pop ax
	jnz .wfault
.counted:
	inc si
	inc eax
	loop .sector
	jmp .chunk
.ok:
	mov ah, DISK_RET_OK
	jmp .out
.notfound:
	mov ah, DISK_RET_NOTFOUND
	jmp .out
.timeout:
	mov ah, DISK_RET_TIMEOUT
	jmp .out
.wfault:
	mov ah, DISK_RET_WRITEFAULT
	jmp .out
.failed:
	mov dx, 0x1f1                       ; error register: IDNF means beyond the disk
	in al, dx
	mov ah, DISK_RET_NOTFOUND
	test al, 0x10
	jnz .out
	mov ah, DISK_RET_CONTROLLER
.out:
	mov cx, si
	pop bp
	pop esi
	pop edx
	pop ebx
	ret

; ---------------------------------------------------------------------------

int13_disk:
	sti
	FRAME_ENTER
	CLEAR_CF
	cmp dl, 0x80
	jne .nodrive
	push ds
	push word EBDA_SEG
	pop ds
	cmp byte [EB_DISK], 1
	pop ds
	jne .nodrive
	cmp ah, 0x00
	je d_ok
	cmp ah, 0x01
	je d_status
	cmp ah, 0x02
	je d_read_chs
	cmp ah, 0x03
	je d_write_chs
	cmp ah, 0x04
	je d_verify_chs
	cmp ah, 0x08
	je d_params
	cmp ah, 0x09                        ; initialize drive parameters
	je d_ok
	cmp ah, 0x0c
	je d_ok
	cmp ah, 0x0d
	je d_ok
	cmp ah, 0x10
	je d_ok
	cmp ah, 0x11
	je d_ok
	cmp ah, 0x14
	je d_ok
	cmp ah, 0x15
	je d_type
	cmp ah, 0x41
	je d_check_ext
	cmp ah, 0x42
	je d_ext_read
	cmp ah, 0x43
	je d_ext_write
	cmp ah, 0x44
	je d_ext_verify
	cmp ah, 0x47
	je d_ext_verify
	cmp ah, 0x48
	je d_ext_params
	jmp d_param
.nodrive:
	cmp ah, 0x15                        ; type of a missing drive: AH=00h, no error
	jne d_param
	mov byte [F_AH], 0
	jmp d_leave

d_ok:
	mov ah, DISK_RET_OK
; AH = status: into the frame, the BDA, and CF.
d_status_ah:
	mov [F_AH], ah
	push word BDA_SEG
	pop ds
	mov [BDA_HDSTATUS], ah
	test ah, ah
	jz d_leave
	SET_CF
d_leave:
	FRAME_LEAVE

d_param:
	mov ah, DISK_RET_PARAM
	jmp d_status_ah

d_status:
	push word BDA_SEG
	pop ds
	mov ah, [BDA_HDSTATUS]
	mov [F_AH], ah
	test ah, ah
	jz d_leave
	SET_CF
	jmp d_leave

; CHS in CX/DH -> EAX = LBA, or d_param. AL = count checked (1-128).
chs_to_lba:
	test al, al
	jz .bad
	cmp al, 128
	ja .bad
	push ds
	push word EBDA_SEG
	pop ds
	movzx ebx, cl
	and bl, 0x3f                        ; sector
	jz .bad_ds
	cmp bx, [EB_SPT]
	ja .bad_ds
	movzx esi, dh                       ; head
	cmp si, [EB_HEADS]
	jae .bad_ds
	movzx eax, cl                       ; cylinder
	shl ax, 2
	mov al, ch
	cmp ax, [EB_CYLS]
	jae .bad_ds
	movzx edx, word [EB_HEADS]
	imul eax, edx
	add eax, esi
	movzx edx, word [EB_SPT]
	imul eax, edx
	lea eax, [eax + ebx - 1]
	pop ds
	clc
	ret
.bad_ds:
	pop ds
.bad:
	stc
	ret

d_read_chs:
	xor bl, bl
	jmp d_rw_chs
d_write_chs:
	mov bl, 1
d_rw_chs:
	push bx
	mov al, [F_AL]
	mov cx, [F_CX]
	mov dh, [F_DH]
	call chs_to_lba
	pop bx
	jc .param
	movzx cx, byte [F_AL]
	mov di, [F_BX]
	mov es, [F_ES]
	call disk_xfer
	mov [F_AL], cl
	jmp d_status_ah
.param:
	mov byte [F_AL], 0
	jmp d_param

d_verify_chs:
	call chs_to_lba
	jc d_param
	movzx ecx, byte [F_AL]
	add eax, ecx
	push word EBDA_SEG
	pop ds
	cmp eax, [EB_SECTORS]
	ja .notfound
	jmp d_ok
.notfound:
	mov byte [F_AL], 0
	mov ah, DISK_RET_NOTFOUND
	jmp d_status_ah

d_params:
	push word EBDA_SEG
	pop ds
	mov ax, [EB_CYLS]
	dec ax                              ; last cylinder
	mov [F_CH], al
	shr ax, 2
	and al, 0xc0
	or al, [EB_SPT]
	mov [F_CL], al
	mov al, [EB_HEADS]
	dec al
	mov [F_DH], al
	mov byte [F_DL], 1
	mov word [F_AX], 0
	mov byte [F_BL], 0
	jmp d_ok

d_type:
	push word EBDA_SEG
	pop ds
	mov eax, [EB_SECTORS]
	mov [F_DX], ax
	shr eax, 16
	mov [F_CX], ax
	mov ah, DISK_RET_OK
	push word BDA_SEG
	pop ds
	mov [BDA_HDSTATUS], ah
	mov byte [F_AH], 0x03
	jmp d_leave

d_check_ext:
	cmp word [F_BX], 0x55aa
	jne d_param
	mov word [F_BX], 0xaa55
	mov word [F_CX], 0x0001
	push word BDA_SEG
	pop ds
	mov byte [BDA_HDSTATUS], 0
	mov byte [F_AH], 0x21
	jmp d_leave

; DS:SI = the caller's disk address packet. CF=1 if it is malformed
; (size < 10h, 64-bit flat buffer, LBA above 2^32); else EAX = LBA, CX =
; count, ES:DI = buffer.
dap_load:
	mov ds, [F_DS]
	mov si, [F_SI]
	cmp byte [si], 0x10
	jb .bad
	cmp dword [si + 12], 0
	jne .bad
	cmp dword [si + 4], 0xffffffff
	je .bad
	mov eax, [si + 8]
	mov cx, [si + 2]
	les di, [si + 4]
	clc
	ret
.bad:
	stc
	ret

d_ext_read:
	xor bl, bl
	jmp d_ext_rw
d_ext_write:
	mov bl, 1
d_ext_rw:
	call dap_load
	jc d_param
	test cx, cx
	jz d_ok
	call disk_xfer
	mov ds, [F_DS]
	mov si, [F_SI]
	mov [si + 2], cx
	jmp d_status_ah

d_ext_verify:
	call dap_load
	jc d_param
	movzx ecx, cx
	add eax, ecx
	jc .notfound
	push word EBDA_SEG
	pop ds
	cmp eax, [EB_SECTORS]
	jbe d_ok
.notfound:
	mov ah, DISK_RET_NOTFOUND
	jmp d_status_ah

d_ext_params:
	mov ds, [F_DS]
	mov si, [F_SI]
	mov dx, [si]                        ; the caller's buffer size
	cmp dx, 0x1a
	jb d_param
	push word EBDA_SEG
	pop es
	mov word [si], 0x1a
	mov word [si + 2], 0x0002           ; CHS information valid
	movzx eax, word [es:EB_CYLS]
	mov [si + 4], eax
	movzx eax, word [es:EB_HEADS]
	mov [si + 8], eax
	movzx eax, word [es:EB_SPT]
	mov [si + 12], eax
	mov eax, [es:EB_SECTORS]
	mov [si + 16], eax
	mov dword [si + 20], 0
	mov word [si + 24], 512
	cmp dx, 0x1e                        ; room for the DPTE pointer: none (FFFF:FFFF)
	jb d_ok
	mov word [si], 0x1e
	mov dword [si + 26], 0xffffffff
	jmp d_ok
