; timer.asm - IRQ0 (INT 08h), the tick count, and INT 1Ah (time of day).
;
; IRQ0 comes from PIT counter 0 at 1193182/65536 = 18.2 Hz; each tick
; increments the dword at 46Ch, which wraps to 0 after 1800B0h ticks (24
; hours) and sets the midnight flag at 470h, then calls INT 1Ch.
;
;   AH=00h CX:DX = ticks, AL = midnight flag (then cleared)
;   AH=01h set ticks from CX:DX
;   AH=02h RTC time: CH hours, CL minutes, DH seconds (BCD), DL = 1 if DST
;   AH=03h set RTC time from CH, CL, DH, DL (DST)
;   AH=04h RTC date: CH century, CL year, DH month, DL day (BCD)
;   AH=05h set RTC date
; CF=0 on success; any other function (alarms, PCI BIOS B1xxh): CF=1, AH=86h.

irq0_timer:
	push ax
	push ds
	push word BDA_SEG
	pop ds
	inc dword [BDA_TICKS]
	cmp dword [BDA_TICKS], TICKS_PER_DAY
	jb .tick
	mov dword [BDA_TICKS], 0
	mov byte [BDA_MIDNIGHT], 1
.tick:
	int 0x1c
	mov al, 0x20
	out 0x20, al
	pop ds
	pop ax
	iret

int1a_time:
	FRAME_ENTER
	push word BDA_SEG
	pop ds
	CLEAR_CF
	cmp ah, 0x00
	je t_get_ticks
	cmp ah, 0x01
	je t_set_ticks
	cmp ah, 0x02
	je t_get_time
	cmp ah, 0x03
	je t_set_time
	cmp ah, 0x04
	je t_get_date
	cmp ah, 0x05
	je t_set_date
	SET_CF
	mov byte [F_AH], 0x86
t_done:
	FRAME_LEAVE

t_get_ticks:
	cli
	mov ax, [BDA_TICKS]
	mov [F_DX], ax
	mov ax, [BDA_TICKS + 2]
	mov [F_CX], ax
	mov al, 0
	xchg al, [BDA_MIDNIGHT]
	mov [F_AL], al
	jmp t_done

t_set_ticks:
	cli
	mov [BDA_TICKS], dx
	mov [BDA_TICKS + 2], cx
	mov byte [BDA_MIDNIGHT], 0
	jmp t_done

t_get_time:
	call rtc_wait
	mov al, 4
	call cmos_read
	mov [F_CH], al
	mov al, 2
	call cmos_read
	mov [F_CL], al
	mov al, 0
	call cmos_read
	mov [F_DH], al
	mov al, 0x0b
	call cmos_read
	and al, 1
	mov [F_DL], al
	jmp t_done

t_set_time:
	call rtc_wait
	mov ah, [F_CH]
	mov al, 4
	call cmos_write
	mov ah, [F_CL]
	mov al, 2
	call cmos_write
	mov ah, [F_DH]
	mov al, 0
	call cmos_write
	mov al, 0x0b
	call cmos_read
	and al, 0xfe
	mov ah, [F_DL]
	and ah, 1
	or ah, al
	mov al, 0x0b
	call cmos_write
	jmp t_done

t_get_date:
	call rtc_wait
	mov al, 0x32
	call cmos_read
	mov [F_CH], al
	mov al, 9
	call cmos_read
	mov [F_CL], al
	mov al, 8
	call cmos_read
	mov [F_DH], al
	mov al, 7
	call cmos_read
	mov [F_DL], al
	jmp t_done

t_set_date:
	call rtc_wait
	mov ah, [F_CH]
	mov al, 0x32
	call cmos_write
	mov ah, [F_CL]
	mov al, 9
	call cmos_write
	mov ah, [F_DH]
	mov al, 8
	call cmos_write
	mov ah, [F_DL]
	mov al, 7
	call cmos_write
	jmp t_done

; AL = CMOS register AL.
cmos_read:
	out 0x70, al
	in al, 0x71
	ret

; CMOS register AL = AH.
cmos_write:
	out 0x70, al
	mov al, ah
	out 0x71, al
	ret

; Waits (bounded) until no RTC update is in progress (register A bit 7).
rtc_wait:
	push ax
	push cx
	mov cx, 0xffff
.wait:
	mov al, 0x0a
	call cmos_read
	test al, 0x80
	loopnz .wait
	pop cx
	pop ax
	ret
