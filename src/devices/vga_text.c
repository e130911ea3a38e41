/*
 * vga_text.c - VGA text mode: video memory and register files.
 *
 * Source: IBM VGA Technical Reference (Personal System/2 Display Adapter),
 * chapters on the CRT controller, sequencer, graphics controller,
 * attribute controller and video DAC.
 *
 * Memory: a flat 128 KiB behind 0xA0000-0xBFFFF (the planes, chain-odd/even
 * and the graphics controller's memory map select are not modelled). The
 * screen starts at byte 2 * start address inside the 32 KiB window at
 * 0xB8000 and wraps at its end; to hand out the screen as one contiguous
 * array, the window's first 4000 bytes are mirrored just past the memory,
 * so a screen that wraps reads on into the mirror.
 *
 * Ports:
 *  - The CRTC (index/data) and input status 1 answer at 0x3D4/0x3D5/0x3DA
 *    when miscellaneous output bit 0 (I/O address select) is 1, at
 *    0x3B4/0x3B5/0x3BA (monochrome addresses) when it is 0; the other pair
 *    floats (0xFF), as on the VGA.
 *  - CRTC registers 0-7 are write-protected while register 0x11 bit 7 is
 *    set, except the line compare bit (bit 4) of register 7.
 *  - Input status 1 toggles its display-disabled (bit 0) and vertical
 *    retrace (bit 3) bits on every read, so a guest waiting for either edge
 *    of the retrace never spins; the read also resets the attribute
 *    controller's index/data flip-flop.
 *  - 0x3C0 takes an index then a data byte (flip-flop); 0x3C1 reads the
 *    data. The DAC takes a read (0x3C7) or write (0x3C8) index and three
 *    6-bit components per entry through 0x3C9, auto-incrementing.
 *  - Wide accesses are split into byte accesses of consecutive ports
 *    (outw 0x3D4 writes the index then the data).
 *
 * Power-on state: the register values of BIOS mode 3 (80x25 16-colour text,
 * 9x16 cells, VGA Technical Reference mode parameter table), the EGA
 * 64-colour palette in DAC entries 0-63, screen filled with 0x0720.
 */
#include "devices/vga_text.h"

#include <stdlib.h>
#include <string.h>

#define SCREEN_BYTES (VGA_TEXT_COLS * VGA_TEXT_ROWS * 2)

#define CRTC_MAX_SCAN 0x09
#define CRTC_CURSOR_START 0x0a
#define CRTC_CURSOR_END 0x0b
#define CRTC_START_HI 0x0c
#define CRTC_START_LO 0x0d
#define CRTC_CURSOR_HI 0x0e
#define CRTC_CURSOR_LO 0x0f
#define CRTC_VRETRACE_END 0x11
#define CURSOR_OFF 0x20

#define AC_MODE 0x10
#define AC_COLOR_SELECT 0x14
#define AC_PAS 0x20

#define MISC_COLOR_IO 0x01
#define ST1_TOGGLE 0x09

struct vga_text {
	uint8_t mem[VGA_MEM_SIZE + SCREEN_BYTES];
	uint8_t misc;
	uint8_t feature;
	uint8_t enable;                 /* 0x3C3 */
	uint8_t status1;
	uint8_t crtc_index, crtc[32];
	uint8_t seq_index, seq[8];
	uint8_t gc_index, gc[16];
	uint8_t ac_index, ac[32];
	bool ac_data_next;              /* flip-flop: next 0x3C0 write is data */
	uint8_t pel_mask;
	uint8_t dac_read, dac_write, dac_comp;
	bool dac_reading;               /* last index write went to 0x3C7 */
	uint8_t dac[256][3];
	bool dirty;
};

static const uint8_t mode3_crtc[25] = {
	0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
	0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
};
static const uint8_t mode3_seq[5] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const uint8_t mode3_gc[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff };
static const uint8_t mode3_ac[21] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a,
	0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00,
};

/* Memory offset of the first screen byte, inside the text window. */
static uint32_t screen_offset(const struct vga_text *vga)
{
	uint32_t start = (uint32_t)vga->crtc[CRTC_START_HI] << 8 | vga->crtc[CRTC_START_LO];
	return VGA_TEXT_WINDOW + ((start * 2) & (VGA_TEXT_WINDOW_SIZE - 1));
}

static void mem_write_byte(struct vga_text *vga, uint32_t off, uint8_t v)
{
	if (vga->mem[off] == v)
		return;
	vga->mem[off] = v;
	if (off >= VGA_TEXT_WINDOW) {
		vga->dirty = true;
		if (off < VGA_TEXT_WINDOW + SCREEN_BYTES)
			vga->mem[VGA_MEM_SIZE + (off - VGA_TEXT_WINDOW)] = v;
	}
}

static uint32_t mem_read(void *opaque, uint32_t offset, unsigned size)
{
	const struct vga_text *vga = opaque;
	uint32_t v = 0;
	for (unsigned i = 0; i < size && offset + i < VGA_MEM_SIZE; i++)
		v |= (uint32_t)vga->mem[offset + i] << (8 * i);
	return v;
}

static void mem_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct vga_text *vga = opaque;
	for (unsigned i = 0; i < size && offset + i < VGA_MEM_SIZE; i++)
		mem_write_byte(vga, offset + i, (uint8_t)(value >> (8 * i)));
}

/* 0x3D4 when colour addressing is selected, 0x3B4 when monochrome. */
static uint16_t crtc_base(const struct vga_text *vga)
{
	return vga->misc & MISC_COLOR_IO ? 0x3d4 : 0x3b4;
}

static void crtc_write(struct vga_text *vga, uint8_t v)
{
	uint8_t i = vga->crtc_index;
	if (i <= 7 && (vga->crtc[CRTC_VRETRACE_END] & 0x80)) {
		if (i != 7)
			return;
		v = (uint8_t)((vga->crtc[7] & ~0x10) | (v & 0x10));
	}
	vga->crtc[i] = v;
	if (i >= CRTC_MAX_SCAN && i <= CRTC_CURSOR_LO)
		vga->dirty = true;
}

static void ac_write(struct vga_text *vga, uint8_t v)
{
	if (!vga->ac_data_next) {
		vga->ac_index = v & 0x3f;
	} else {
		vga->ac[vga->ac_index & 0x1f] = v;
		vga->dirty = true;
	}
	vga->ac_data_next = !vga->ac_data_next;
}

static void dac_data_write(struct vga_text *vga, uint8_t v)
{
	vga->dac[vga->dac_write][vga->dac_comp] = v & 0x3f;
	vga->dirty = true;
	if (++vga->dac_comp == 3) {
		vga->dac_comp = 0;
		vga->dac_write++;
	}
}

static uint8_t dac_data_read(struct vga_text *vga)
{
	uint8_t v = vga->dac[vga->dac_read][vga->dac_comp];
	if (++vga->dac_comp == 3) {
		vga->dac_comp = 0;
		vga->dac_read++;
	}
	return v;
}

static uint8_t port_read(struct vga_text *vga, uint16_t port)
{
	uint16_t crtc = crtc_base(vga);
	if (port == crtc)
		return vga->crtc_index;
	if (port == crtc + 1)
		return vga->crtc[vga->crtc_index];
	if (port == crtc + 6) {         /* input status 1 */
		vga->status1 ^= ST1_TOGGLE;
		vga->ac_data_next = false;
		return vga->status1;
	}
	switch (port) {
	case 0x3c0:
		return vga->ac_index;
	case 0x3c1:
		return vga->ac[vga->ac_index & 0x1f];
	case 0x3c2:                     /* input status 0 */
		return 0x00;
	case 0x3c3:
		return vga->enable;
	case 0x3c4:
		return vga->seq_index;
	case 0x3c5:
		return vga->seq[vga->seq_index];
	case 0x3c6:
		return vga->pel_mask;
	case 0x3c7:
		return vga->dac_reading ? 0x03 : 0x00;
	case 0x3c8:
		return vga->dac_write;
	case 0x3c9:
		return dac_data_read(vga);
	case 0x3ca:
		return vga->feature;
	case 0x3cc:
		return vga->misc;
	case 0x3ce:
		return vga->gc_index;
	case 0x3cf:
		return vga->gc[vga->gc_index];
	default:
		return 0xff;
	}
}

static void port_write(struct vga_text *vga, uint16_t port, uint8_t v)
{
	uint16_t crtc = crtc_base(vga);
	if (port == crtc) {
		vga->crtc_index = v & 0x1f;
		return;
	}
	if (port == crtc + 1) {
		crtc_write(vga, v);
		return;
	}
	if (port == crtc + 6) {         /* feature control */
		vga->feature = v;
		return;
	}
	switch (port) {
	case 0x3c0:
		ac_write(vga, v);
		break;
	case 0x3c2:
		vga->misc = v;
		break;
	case 0x3c3:
		vga->enable = v;
		break;
	case 0x3c4:
		vga->seq_index = v & 0x07;
		break;
	case 0x3c5:
		vga->seq[vga->seq_index] = v;
		break;
	case 0x3c6:
		vga->pel_mask = v;
		vga->dirty = true;
		break;
	case 0x3c7:
		vga->dac_read = v;
		vga->dac_comp = 0;
		vga->dac_reading = true;
		break;
	case 0x3c8:
		vga->dac_write = v;
		vga->dac_comp = 0;
		vga->dac_reading = false;
		break;
	case 0x3c9:
		dac_data_write(vga, v);
		break;
	case 0x3ce:
		vga->gc_index = v & 0x0f;
		break;
	case 0x3cf:
		vga->gc[vga->gc_index] = v;
		break;
	}
}

#define VGA_PORT_BASE 0x3b0
#define VGA_PORT_COUNT 0x30

static uint32_t ports_read(void *opaque, uint32_t offset, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = offset + i < VGA_PORT_COUNT
				    ? port_read(opaque, (uint16_t)(VGA_PORT_BASE + offset + i))
				    : 0xff;
		v |= (uint32_t)b << (8 * i);
	}
	return v;
}

static void ports_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	for (unsigned i = 0; i < size && offset + i < VGA_PORT_COUNT; i++)
		port_write(opaque, (uint16_t)(VGA_PORT_BASE + offset + i), (uint8_t)(value >> (8 * i)));
}

static const struct io_ops mem_ops = { mem_read, mem_write };
static const struct io_ops port_ops = { ports_read, ports_write };

/* EGA palette: 6 bits rgbRGB, primary (bits 0-2) 2/3, secondary (3-5) 1/3 of full scale. */
static void dac_load_ega(struct vga_text *vga)
{
	for (unsigned i = 0; i < 64; i++) {
		vga->dac[i][0] = (uint8_t)(42 * ((i >> 2) & 1) + 21 * ((i >> 5) & 1));
		vga->dac[i][1] = (uint8_t)(42 * ((i >> 1) & 1) + 21 * ((i >> 4) & 1));
		vga->dac[i][2] = (uint8_t)(42 * (i & 1) + 21 * ((i >> 3) & 1));
	}
}

struct vga_text *vga_text_create(void)
{
	struct vga_text *vga = calloc(1, sizeof(*vga));
	if (!vga)
		return NULL;
	vga->misc = 0x67;
	vga->enable = 0x01;
	memcpy(vga->crtc, mode3_crtc, sizeof(mode3_crtc));
	memcpy(vga->seq, mode3_seq, sizeof(mode3_seq));
	memcpy(vga->gc, mode3_gc, sizeof(mode3_gc));
	memcpy(vga->ac, mode3_ac, sizeof(mode3_ac));
	vga->pel_mask = 0xff;
	dac_load_ega(vga);
	for (uint32_t off = VGA_TEXT_WINDOW; off < VGA_MEM_SIZE; off += 2) {
		mem_write_byte(vga, off, ' ');
		mem_write_byte(vga, off + 1, 0x07);
	}
	vga->dirty = true;
	return vga;
}

void vga_text_destroy(struct vga_text *vga)
{
	free(vga);
}

int vga_text_register(struct vga_text *vga, struct portmap *ports, struct physmap *phys)
{
	if (physmap_add_mmio(phys, VGA_MEM_BASE, VGA_MEM_SIZE, &mem_ops, vga, "VGA memory") < 0)
		return -1;
	return portmap_register(ports, VGA_PORT_BASE, VGA_PORT_COUNT, &port_ops, vga, "VGA");
}

const uint8_t *vga_text_buffer(const struct vga_text *vga)
{
	return vga->mem + screen_offset(vga);
}

void vga_text_cursor(const struct vga_text *vga, struct vga_cursor *cur)
{
	uint32_t start = (uint32_t)vga->crtc[CRTC_START_HI] << 8 | vga->crtc[CRTC_START_LO];
	uint32_t loc = (uint32_t)vga->crtc[CRTC_CURSOR_HI] << 8 | vga->crtc[CRTC_CURSOR_LO];
	uint32_t rel = (loc - start) & (VGA_TEXT_WINDOW_SIZE / 2 - 1);
	cur->row = rel / VGA_TEXT_COLS;
	cur->col = rel % VGA_TEXT_COLS;
	cur->first_line = vga->crtc[CRTC_CURSOR_START] & 0x1f;
	cur->last_line = vga->crtc[CRTC_CURSOR_END] & 0x1f;
	cur->visible = !(vga->crtc[CRTC_CURSOR_START] & CURSOR_OFF) &&
		       cur->first_line <= cur->last_line && cur->row < VGA_TEXT_ROWS;
}

unsigned vga_text_char_height(const struct vga_text *vga)
{
	return (vga->crtc[CRTC_MAX_SCAN] & 0x1fu) + 1;
}

bool vga_text_blink_enabled(const struct vga_text *vga)
{
	return vga->ac[AC_MODE] & 0x08;
}

/*
 * Attribute palette register -> DAC index: bits 5-4 from the colour select
 * register when the mode control's P5,P4 select (bit 7) is set, bits 7-6
 * always from colour select bits 3-2; then the pel mask.
 */
void vga_text_palette(const struct vga_text *vga, uint32_t rgb[16])
{
	for (unsigned c = 0; c < 16; c++) {
		uint8_t idx = vga->ac[c] & 0x3f;
		if (vga->ac[AC_MODE] & 0x80)
			idx = (uint8_t)((idx & 0x0f) | (vga->ac[AC_COLOR_SELECT] & 0x03) << 4);
		idx = (uint8_t)(idx | (vga->ac[AC_COLOR_SELECT] & 0x0c) << 4);
		idx &= vga->pel_mask;
		uint32_t v = 0;
		for (unsigned k = 0; k < 3; k++) {
			uint32_t six = vga->dac[idx][k];
			v = v << 8 | (six << 2 | six >> 4);
		}
		rgb[c] = v;
	}
}

void vga_text_dump(const struct vga_text *vga, FILE *out)
{
	const uint8_t *screen = vga_text_buffer(vga);
	for (unsigned r = 0; r < VGA_TEXT_ROWS; r++) {
		char line[VGA_TEXT_COLS + 1];
		unsigned len = 0;
		for (unsigned c = 0; c < VGA_TEXT_COLS; c++) {
			uint8_t ch = screen[(r * VGA_TEXT_COLS + c) * 2];
			line[c] = ch == 0 ? ' ' : ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
			if (line[c] != ' ')
				len = c + 1;
		}
		line[len] = '\0';
		fprintf(out, "%s\n", line);
	}
	struct vga_cursor cur;
	vga_text_cursor(vga, &cur);
	fprintf(out, "cursor: row %u col %u\n", cur.row, cur.col);
}

bool vga_text_dirty(const struct vga_text *vga)
{
	return vga->dirty;
}

void vga_text_clear_dirty(struct vga_text *vga)
{
	vga->dirty = false;
}
