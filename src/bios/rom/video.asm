; video.asm - INT 10h, the video services, for the 80x25 colour text mode
; (mode 3) that softvt's VGA shows. Page 0 is the only page displayed;
; BH is accepted and the cursor of each page kept in the BDA.
;
;   AH=00h set mode (any mode becomes mode 3; bit 7 of AL keeps the screen)
;   AH=01h cursor shape   02h set cursor   03h get cursor   05h select page
;   AH=06h/07h scroll window up/down   08h read character and attribute
;   AH=09h/0Ah write character (and attribute) CX times   0Eh teletype
;   AH=0Fh get mode   11h/30h font information   12h/10h EGA information
;   AH=13h write string   1Ah display combination (VGA colour)
; Teletype output (0Eh, and 13h) is mirrored to COM1, so a serial console
; sees what the screen shows; so are characters written with 09h/0Ah (see
; mirror_cells: boot loaders such as SYSLINUX print that way, moving the
; cursor with 02h). Other functions return with nothing changed.

int10_video:
	FRAME_ENTER
	push word BDA_SEG
	pop ds
	mov al, [F_AL]
	cmp ah, 0x0e
	je v_teletype
	cmp ah, 0x00
	je v_set_mode
	cmp ah, 0x01
	je v_cursor_shape
	cmp ah, 0x02
	je v_set_cursor
	cmp ah, 0x03
	je v_get_cursor
	cmp ah, 0x05
	je v_set_page
	cmp ah, 0x06
	je v_scroll_up
	cmp ah, 0x07
	je v_scroll_down
	cmp ah, 0x08
	je v_read_char
	cmp ah, 0x09
	je v_write_char_attr
	cmp ah, 0x0a
	je v_write_char
	cmp ah, 0x0f
	je v_get_mode
	cmp ah, 0x11
	je v_font
	cmp ah, 0x12
	je v_alt_select
	cmp ah, 0x13
	je v_write_string
	cmp ah, 0x1a
	je v_display_combination
v_done:
	FRAME_LEAVE

v_teletype:
	call tty_putc
	jmp v_done

v_set_mode:
	mov byte [BDA_VMODE], 3
	mov word [BDA_VCOLS], 80
	mov word [BDA_VPAGESIZE], 4096
	mov word [BDA_VPAGEOFF], 0
	mov byte [BDA_VPAGE], 0
	mov word [BDA_CRTC], 0x3d4
	mov byte [BDA_VMODECTL], 0x29
	mov byte [BDA_VPAL], 0x30
	mov byte [BDA_VROWS], 24
	mov word [BDA_VCHARH], 16
	mov byte [BDA_VCTL], 0x60
	mov byte [BDA_VSWITCH], 0xf9
	push ds
	pop es
	mov di, BDA_CURPOS
	xor ax, ax
	mov cx, 8
	rep stosw
	mov cx, 0x0607
	call set_cursor_shape
	test byte [F_AL], 0x80
	jnz .keep
	push word VGA_SEG
	pop es
	xor di, di
	mov ax, 0x0720
	mov cx, 80 * 25
	rep stosw
.keep:
	call update_hw_cursor
	mov byte [F_AL], 0x30
	jmp v_done

v_cursor_shape:
	call set_cursor_shape
	jmp v_done

v_set_cursor:
	movzx bx, bh
	and bl, 7
	shl bx, 1
	mov [BDA_CURPOS + bx], dx
	call update_hw_cursor
	jmp v_done

v_get_cursor:
	movzx bx, bh
	and bl, 7
	shl bx, 1
	mov ax, [BDA_CURPOS + bx]
	mov [F_DX], ax
	mov ax, [BDA_CURSHAPE]
	mov [F_CX], ax
	mov word [F_AX], 0
	jmp v_done

v_set_page:
	and al, 7
	mov [BDA_VPAGE], al
	jmp v_done

v_scroll_up:
	call clip_window
	call scroll_up
	jmp v_done

v_scroll_down:
	call clip_window
	call scroll_down
	jmp v_done

v_read_char:
	call cursor_cell                    ; ES:DI
	mov ax, [es:di]
	mov [F_AX], ax
	jmp v_done

v_write_char_attr:
	call mirror_cells
	call cursor_cell
	mov ah, bl
	rep stosw
	jmp v_done

v_write_char:
	call mirror_cells
	call cursor_cell
	test cx, cx
	jz v_done
.next:
	mov [es:di], al
	add di, 2
	loop .next
	jmp v_done

v_get_mode:
	mov al, [BDA_VMODE]
	mov ah, [BDA_VCOLS]
	mov [F_AX], ax
	mov al, [BDA_VPAGE]
	mov [F_BH], al
	jmp v_done

v_font:
	cmp al, 0x30                        ; get font information
	jne v_done
	mov word [F_CX], 16
	mov byte [F_DL], 24
	mov word [F_ES], 0
	mov word [F_BP], 0
	jmp v_done

v_alt_select:
	cmp bl, 0x10                        ; get EGA information
	jne v_done
	mov word [F_BX], 0x0003             ; colour, 256 KiB
	mov word [F_CX], 0x0009
	jmp v_done

v_display_combination:
	cmp al, 0x00
	jne v_done
	mov byte [F_AL], 0x1a
	mov word [F_BX], 0x0008             ; VGA with colour display
	jmp v_done

; AH=13h: AL bit 0 moves the cursor, bit 1 means the string holds
; character/attribute pairs; BL attribute, CX length, DH/DL position,
; ES:BP the string.
v_write_string:
	mov si, [F_BP]
	mov es, [F_ES]
	movzx bx, byte [F_BH]
	and bl, 7
	shl bx, 1
	push word [BDA_CURPOS + bx]         ; restored unless AL bit 0
	mov [BDA_CURPOS + bx], dx
	mov cx, [F_CX]
	jcxz .end
.char:
	mov al, [es:si]
	inc si
	mov ah, [F_BL]
	test byte [F_AL], 2
	jz .put
	mov ah, [es:si]
	inc si
.put:
	cmp al, 13
	je .ctl
	cmp al, 10
	je .ctl
	cmp al, 8
	je .ctl
	cmp al, 7
	je .ctl
	; a printable character with its attribute, then the cursor advances
	push es
	push ax
	call cursor_cell
	pop ax
	mov [es:di], ax
	pop es
	push ax
	call serial_putc
	pop ax
	mov al, 0                           ; advance only: tty_advance with AL=0
	call tty_advance
	jmp .step
.ctl:
	call tty_putc
.step:
	loop .char
.end:
	call sync_serial_pos
	pop ax
	test byte [F_AL], 1
	jnz .moved
	movzx bx, byte [F_BH]
	and bl, 7
	shl bx, 1
	mov [BDA_CURPOS + bx], ax
.moved:
	call update_hw_cursor
	jmp v_done

; ---------------------------------------------------------------------------
; Helpers. DS = BDA on entry to each.

; The serial mirror of characters written at the cursor without moving it
; (AH=09h/0Ah, which boot loaders use with AH=02h instead of the teletype):
; EB_SERPOS remembers where the serial terminal's cursor stands on the
; screen. Writing to its right on the same row pads with spaces; anywhere
; else starts a new line. AL = character, CX = count (more than 80: not
; mirrored, a fill).
mirror_cells:
	cmp cx, 80
	ja .out
	pushad
	push es
	push word EBDA_SEG
	pop es
	mov bx, [BDA_CURPOS]                ; BL column, BH row
	mov dx, [es:EB_SERPOS]              ; DL column, DH row
	cmp al, ' '
	jae .printable
	mov al, ' '
.printable:
	mov ah, al
	cmp bh, dh
	jne .newline
	cmp bl, dl
	jae .pad
.newline:
	mov al, 13
	call serial_putc
	mov al, 10
	call serial_putc
	xor dl, dl
.pad:
	mov al, ' '
.padding:
	cmp dl, bl
	jae .chars
	call serial_putc
	inc dl
	jmp .padding
.chars:
	mov al, ah
	jcxz .store
.char:
	call serial_putc
	inc dl
	loop .char
.store:
	mov dh, bh
	mov [es:EB_SERPOS], dx
	pop es
	popad
.out:
	ret

; The serial terminal's cursor is where page 0's cursor is (after teletype output).
sync_serial_pos:
	push ax
	push es
	push word EBDA_SEG
	pop es
	mov ax, [BDA_CURPOS]
	mov [es:EB_SERPOS], ax
	pop es
	pop ax
	ret

; CX = shape (CH start line, CL end line)
set_cursor_shape:
	mov [BDA_CURSHAPE], cx
	mov al, 0x0a
	mov ah, ch
	call crtc_write
	mov al, 0x0b
	mov ah, cl
	call crtc_write
	ret

; CRTC register AL = AH.
crtc_write:
	push dx
	mov dx, 0x3d4
	out dx, al
	inc dx
	xchg al, ah
	out dx, al
	xchg al, ah
	pop dx
	ret

; Moves the VGA's cursor to page 0's cursor position.
update_hw_cursor:
	push ax
	push bx
	push dx
	mov ax, [BDA_CURPOS]
	movzx bx, ah
	imul bx, 80
	xor ah, ah
	add bx, ax
	mov al, 0x0e
	mov ah, bh
	call crtc_write
	mov al, 0x0f
	mov ah, bl
	call crtc_write
	pop dx
	pop bx
	pop ax
	ret

; ES:DI = the cell of the active page's cursor (BH's page is treated as page 0's screen).
cursor_cell:
	push ax
	push bx
	mov ax, [BDA_CURPOS]
	movzx di, ah
	imul di, 80
	xor ah, ah
	add di, ax
	shl di, 1
	push word VGA_SEG
	pop es
	pop bx
	pop ax
	ret

; tty_putc: AL to COM1 and to the screen at the cursor, with BEL, BS, LF,
; CR handled and the screen scrolled at the bottom. Preserves registers.
tty_putc:
	push ds
	push es
	pushad
	push word BDA_SEG
	pop ds
	call serial_putc
	cmp al, 7
	je .done
	cmp al, 8
	je .bs
	cmp al, 10
	je .lf
	cmp al, 13
	je .cr
	call cursor_cell
	mov [es:di], al
	mov al, 0
	call tty_advance
	jmp .done
.bs:
	cmp byte [BDA_CURPOS], 0
	je .done
	dec byte [BDA_CURPOS]
	jmp .done
.cr:
	mov byte [BDA_CURPOS], 0
	jmp .done
.lf:
	mov al, 10
	call tty_advance
.done:
	call update_hw_cursor
	call sync_serial_pos
	popad
	pop es
	pop ds
	ret

; tty_advance: AL=0 moves the cursor one column (wrapping to the next
; line), AL=10 one line down; scrolls the screen when it passes row 24.
tty_advance:
	pushad
	mov dx, [BDA_CURPOS]                ; DL column, DH row
	cmp al, 10
	je .down
	inc dl
	cmp dl, 80
	jb .store
	xor dl, dl
.down:
	inc dh
	cmp dh, 25
	jb .store
	mov dh, 24
	push dx
	mov al, 1
	mov bh, 0x07
	xor cx, cx
	mov dx, 0x184f
	call scroll_up
	pop dx
.store:
	mov [BDA_CURPOS], dx
	popad
	ret

; Window in CH,CL (top, left) - DH,DL (bottom, right) clipped to the
; screen; AL lines (0 or more than the height: clear), BH fill attribute.
clip_window:
	cmp dh, 24
	jbe .rows
	mov dh, 24
.rows:
	cmp dl, 79
	jbe .cols
	mov dl, 79
.cols:
	ret

; scroll_up / scroll_down: as AH=06h/07h. Preserve registers.
scroll_up:
	pushad
	push es
	push ds
	push word VGA_SEG
	pop es
	push word VGA_SEG
	pop ds
	cmp ch, dh
	ja .out
	cmp cl, dl
	ja .out
	mov bl, ch                          ; BL = row being written
.row:
	test al, al
	jz .fill
	mov ah, bl
	add ah, al
	jc .fill
	cmp ah, dh
	ja .fill
	call copy_row                       ; row AH -> row BL
	jmp .next
.fill:
	call fill_row                       ; row BL with blanks of attribute BH
.next:
	inc bl
	cmp bl, dh
	jbe .row
.out:
	pop ds
	pop es
	popad
	ret

scroll_down:
	pushad
	push es
	push ds
	push word VGA_SEG
	pop es
	push word VGA_SEG
	pop ds
	cmp ch, dh
	ja .out
	cmp cl, dl
	ja .out
	mov bl, dh
.row:
	test al, al
	jz .fill
	mov ah, bl
	sub ah, al
	jb .fill
	cmp ah, ch
	jb .fill
	call copy_row
	jmp .next
.fill:
	call fill_row
.next:
	cmp bl, ch
	je .out
	dec bl
	jmp .row
.out:
	pop ds
	pop es
	popad
	ret

; Row AH, columns CL..DL -> row BL (DS = ES = video memory).
copy_row:
	pushad
	movzx bp, cl
	movzx si, ah
	imul si, 80
	add si, bp
	shl si, 1
	movzx di, bl
	imul di, 80
	add di, bp
	shl di, 1
	movzx cx, dl
	sub cx, bp
	inc cx
	rep movsw
	popad
	ret

; Row BL, columns CL..DL <- blank with attribute BH.
fill_row:
	pushad
	movzx di, bl
	imul di, 80
	movzx ax, cl
	add di, ax
	shl di, 1
	movzx cx, dl
	sub cl, al
	inc cx
	mov al, ' '
	mov ah, bh
	rep stosw
	popad
	ret
