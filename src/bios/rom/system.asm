; system.asm - INT 11h (equipment), INT 12h (base memory), INT 15h (system
; services).
;
; INT 15h:
;   AX=2400h/2401h disable/enable A20 (port 92h): AH=00h
;   AX=2402h A20 state: AL = 0 or 1, AH=00h
;   AX=2403h A20 support: BX=0003h (keyboard controller and port 92h), AH=00h
;   AH=4Fh  keyboard intercept: CF=1 (use the scan code as it is)
;   AH=86h  wait CX:DX microseconds (PIT counter 0, interrupts enabled): AH=00h
;   AH=88h  AX = KiB of memory above 1 MiB (CMOS 30h/31h, at most FFFFh)
;   AH=90h/91h device busy/post: AH=00h
;   AH=C0h  ES:BX = the configuration table: AH=00h
;   AX=E801h AX=CX = KiB between 1 MiB and 16 MiB, BX=DX = 64 KiB blocks above
;           16 MiB (CMOS 34h/35h)
;   AX=E820h EDX='SMAP', EBX = continuation (0 first), ES:DI buffer, ECX >= 20:
;           one entry of the host table (hostif.inc): EAX='SMAP', ECX=20,
;           EBX = next (0 after the last)
; CF=0 on success; errors and unknown functions: CF=1, AH=86h.

int11_equipment:
	push ds
	push word BDA_SEG
	pop ds
	mov ax, [BDA_EQUIP]
	pop ds
	iret

int12_memory:
	push ds
	push word BDA_SEG
	pop ds
	mov ax, [BDA_MEMKB]
	pop ds
	iret

int15_system:
	FRAME_ENTER
	CLEAR_CF
	cmp ah, 0x24
	je s_a20
	cmp ah, 0x4f
	je s_kbd_intercept
	cmp ah, 0x86
	je s_wait
	cmp ah, 0x88
	je s_ext_memory
	cmp ah, 0x90
	je s_ok
	cmp ah, 0x91
	je s_ok
	cmp ah, 0xc0
	je s_config
	cmp ax, 0xe801
	je s_e801
	cmp ax, 0xe820
	je s_e820
s_unsupported:
	mov byte [F_AH], 0x86
	SET_CF
s_done:
	FRAME_LEAVE

s_ok:
	mov byte [F_AH], 0
	jmp s_done

s_kbd_intercept:
	SET_CF
	jmp s_done

s_a20:
	cmp al, 0x03
	ja s_unsupported
	je .support
	cmp al, 0x02
	je .state
	mov ah, al                          ; 00h off, 01h on
	shl ah, 1
	in al, 0x92
	and al, 0xfc                        ; never the reset bit
	or al, ah
	out 0x92, al
	jmp s_ok
.state:
	in al, 0x92
	shr al, 1
	and al, 1
	mov [F_AL], al
	jmp s_ok
.support:
	mov word [F_BX], 0x0003
	jmp s_ok

s_ext_memory:
	mov al, 0x31
	call cmos_read
	mov ah, al
	mov al, 0x30
	call cmos_read
	mov [F_AX], ax
	jmp s_done

s_config:
	mov word [F_ES], BIOS_SEG
	mov word [F_BX], config_table
	jmp s_ok

s_e801:
	mov al, 0x31
	call cmos_read
	mov ah, al
	mov al, 0x30
	call cmos_read
	cmp ax, 15 * 1024
	jbe .below16
	mov ax, 15 * 1024
.below16:
	mov [F_AX], ax
	mov [F_CX], ax
	mov al, 0x35
	call cmos_read
	mov ah, al
	mov al, 0x34
	call cmos_read
	mov [F_BX], ax
	mov [F_DX], ax
	jmp s_done

s_e820:
	cmp edx, 0x534d4150                 ; 'SMAP'
	jne s_unsupported
	cmp ecx, HT_E820_ENTRY
	jb s_unsupported
	cmp dword [cs:host_table + HT_MAGIC], HT_MAGIC_VALUE
	jne s_unsupported
	movzx eax, word [cs:host_table + HT_E820_COUNT]
	cmp ebx, eax
	jae s_unsupported
	imul si, bx, HT_E820_ENTRY
	add si, host_table + HT_E820
	mov cx, HT_E820_ENTRY
	push ds
	push cs
	pop ds
	rep movsb                           ; to ES:DI, the caller's buffer
	pop ds
	inc ebx
	cmp ebx, eax
	jb .more
	xor ebx, ebx
.more:
	mov [F_EBX], ebx
	mov dword [F_EAX], 0x534d4150
	mov dword [F_ECX], HT_E820_ENTRY
	jmp s_done

; AH=86h: counts PIT counter 0 (1193182 Hz, mode 2, period 65536) down by
; CX:DX microseconds, reading the latched count; interrupts stay enabled so
; the tick count keeps running.
s_wait:
	sti
	mov ax, cx
	shl eax, 16
	mov ax, dx
	cmp eax, 3000000000                 ; cap: keeps the tick count within 32 bits
	jbe .capped
	mov eax, 3000000000
.capped:
	mov ecx, 1193182
	mul ecx
	mov ecx, 1000000
	div ecx
	mov ebx, eax                        ; EBX = PIT ticks to wait
	call pit_count
	mov si, ax
.wait:
	test ebx, ebx
	jz .done
	call pit_count
	mov cx, si
	sub cx, ax                          ; elapsed ticks, modulo the period
	mov si, ax
	movzx ecx, cx
	cmp ebx, ecx
	jbe .done
	sub ebx, ecx
	jmp .wait
.done:
	jmp s_ok

; AX = PIT counter 0, latched.
pit_count:
	pushf
	cli
	mov al, 0x00
	out 0x43, al
	in al, 0x40
	mov ah, al
	in al, 0x40
	xchg al, ah
	popf
	ret
