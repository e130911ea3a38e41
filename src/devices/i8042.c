/*
 * i8042.c - the 8042 keyboard controller, its PS/2 keyboard and PS/2 mouse.
 *
 * Sources: IBM PC AT Technical Reference (keyboard controller commands,
 * status register, input/output ports), IBM PS/2 Hardware Interface
 * Technical Reference "Keyboard and Auxiliary Device Controller" and
 * "Keyboards (101- and 102-key)" (keyboard commands, scan code sets), and
 * the PS/2 mouse command set from the same manual.
 *
 * Model:
 *  - The controller is instantaneous: IBF is always 0 and a command's reply
 *    is queued at once.
 *  - One queue of bytes waits for the output buffer, each tagged with where
 *    it comes from: the controller itself (command replies, 0xD2), the
 *    controller on the aux side (0xD3), the keyboard or the mouse. Keyboard
 *    bytes wait while the keyboard interface is disabled (config bit 4),
 *    mouse bytes while the aux interface is (bit 5); other bytes keep their
 *    order. When the output buffer is empty the first deliverable byte moves
 *    into it; reading port 0x60 empties it and the next byte follows at once.
 *  - IRQ1 = OBF && byte is keyboard-side && config bit 0; IRQ12 the same
 *    for the aux side and bit 1 (the 8042 drives them from OBF, so they are
 *    levels: reading 0x60 lowers the line, the next byte raises it again,
 *    which the edge-triggered 8259 sees as a new interrupt).
 *  - Translation (config bit 6) happens as a keyboard byte enters the output
 *    buffer: set 2 codes become set 1, a 0xF0 break prefix is swallowed and
 *    sets bit 7 of the following code (PS/2 reference, "Scan code
 *    translation"). It applies to every byte the keyboard sends, so the
 *    identify reply 0xAB 0x83 reads as 0xAB 0x41 as on real hardware.
 *  - Output port (0xD0/0xD1): bit 0 is the CPU reset line (writing 0 resets
 *    the machine), bit 1 the A20 gate; bits 4 and 5 read the OBF lines.
 *    Pulse commands 0xF0-0xFF pulse the lines whose bit is 0; bit 0 clear
 *    (0xFE, the usual one) resets.
 *  - Power-on state is what a BIOS leaves after POST, since softvt also
 *    boots kernels without running one: config 0x45 (keyboard IRQ, system
 *    flag, translation), keyboard enabled in set 2, mouse not streaming.
 */
#include "devices/i8042.h"

#include <stdlib.h>
#include <string.h>

#define I8042_QUEUE_LEN 64

#define STAT_OBF 0x01
#define STAT_SYS 0x04
#define STAT_A2 0x08
#define STAT_NOT_INHIBITED 0x10
#define STAT_AUXB 0x20

#define CFG_KBD_IRQ 0x01
#define CFG_AUX_IRQ 0x02
#define CFG_SYS 0x04
#define CFG_KBD_OFF 0x10
#define CFG_AUX_OFF 0x20
#define CFG_XLAT 0x40
#define CFG_POWER_ON (CFG_KBD_IRQ | CFG_SYS | CFG_XLAT)

#define OUT_RESET 0x01
#define OUT_A20 0x02
#define OUT_KBD_OBF 0x10
#define OUT_AUX_OBF 0x20
#define OUT_LINES 0xcc      /* clock/data lines, read back as written */

/* Input port: keyboard not inhibited, colour display, no jumper, lines high. */
#define INPUT_PORT 0xbf

#define PS2_ACK 0xfa
#define PS2_RESEND 0xfe
#define PS2_BAT_OK 0xaa

enum byte_src { SRC_CTRL, SRC_CTRL_AUX, SRC_KBD, SRC_AUX };

struct queued_byte {
	uint8_t value;
	uint8_t src;
};

struct ps2_keyboard {
	bool scanning;
	uint8_t set;            /* 1 or 2 */
	uint8_t leds;
	uint8_t typematic;
	uint8_t want_arg;       /* command waiting for its argument, or 0 */
	uint8_t last_sent;      /* for 0xFE resend */
};

struct ps2_mouse {
	bool streaming;
	bool remote;
	bool scale21;
	uint8_t resolution;
	uint8_t rate;
	uint8_t want_arg;
	uint8_t last_sent;
};

struct i8042 {
	struct irq_line irq1, irq12;
	struct board_lines host;
	uint8_t ram[32];        /* ram[0] is the configuration (command) byte */
	bool a2;                /* last write went to 0x64 */
	uint8_t outport;
	bool a20;               /* used when the host has no get_a20 */
	uint8_t want_data;      /* controller command waiting for a 0x60 byte, or 0 */
	bool obf;
	bool obuf_aux;
	uint8_t obuf;
	bool xlat_break;        /* translation swallowed an 0xF0 */
	struct queued_byte queue[I8042_QUEUE_LEN];
	unsigned queued;
	int irq1_level, irq12_level;
	struct ps2_keyboard kbd;
	struct ps2_mouse mouse;
};

/*
 * Scan code set 2 -> set 1, by key (PS/2 keyboard reference, scan code
 * tables for sets 1 and 2; F13-F24 and the international keys from the
 * Microsoft keyboard scan code specification). Bytes without an entry
 * below 0x80 have no key and pass unchanged; 0x00 (overrun) becomes 0xFF.
 */
static const uint8_t set2_to_set1[128] = {
	[0x01] = 0x43, [0x03] = 0x3f, [0x04] = 0x3d, [0x05] = 0x3b, /* F9 F5 F3 F1 */
	[0x06] = 0x3c, [0x07] = 0x58, [0x08] = 0x64, [0x09] = 0x44, /* F2 F12 F13 F10 */
	[0x0a] = 0x42, [0x0b] = 0x40, [0x0c] = 0x3e, [0x0d] = 0x0f, /* F8 F6 F4 Tab */
	[0x0e] = 0x29, [0x10] = 0x65, [0x11] = 0x38, [0x12] = 0x2a, /* ` F14 LAlt LShift */
	[0x13] = 0x70, [0x14] = 0x1d, [0x15] = 0x10, [0x16] = 0x02, /* Int2 LCtrl Q 1 */
	[0x18] = 0x66, [0x1a] = 0x2c, [0x1b] = 0x1f, [0x1c] = 0x1e, /* F15 Z S A */
	[0x1d] = 0x11, [0x1e] = 0x03, [0x1f] = 0x5b, [0x20] = 0x67, /* W 2 LGUI F16 */
	[0x21] = 0x2e, [0x22] = 0x2d, [0x23] = 0x20, [0x24] = 0x12, /* C X D E */
	[0x25] = 0x05, [0x26] = 0x04, [0x27] = 0x5c, [0x28] = 0x68, /* 4 3 RGUI F17 */
	[0x29] = 0x39, [0x2a] = 0x2f, [0x2b] = 0x21, [0x2c] = 0x14, /* Space V F T */
	[0x2d] = 0x13, [0x2e] = 0x06, [0x2f] = 0x5d, [0x30] = 0x69, /* R 5 Apps F18 */
	[0x31] = 0x31, [0x32] = 0x30, [0x33] = 0x23, [0x34] = 0x22, /* N B H G */
	[0x35] = 0x15, [0x36] = 0x07, [0x37] = 0x5e, [0x38] = 0x6a, /* Y 6 Power F19 */
	[0x3a] = 0x32, [0x3b] = 0x24, [0x3c] = 0x16, [0x3d] = 0x08, /* M J U 7 */
	[0x3e] = 0x09, [0x3f] = 0x5f, [0x40] = 0x6b, [0x41] = 0x33, /* 8 Sleep F20 , */
	[0x42] = 0x25, [0x43] = 0x17, [0x44] = 0x18, [0x45] = 0x0b, /* K I O 0 */
	[0x46] = 0x0a, [0x48] = 0x6c, [0x49] = 0x34, [0x4a] = 0x35, /* 9 F21 . / */
	[0x4b] = 0x26, [0x4c] = 0x27, [0x4d] = 0x19, [0x4e] = 0x0c, /* L ; P - */
	[0x50] = 0x6d, [0x51] = 0x73, [0x52] = 0x28, [0x54] = 0x1a, /* F22 Int1 ' [ */
	[0x55] = 0x0d, [0x57] = 0x6e, [0x58] = 0x3a, [0x59] = 0x36, /* = F23 Caps RShift */
	[0x5a] = 0x1c, [0x5b] = 0x1b, [0x5d] = 0x2b, [0x5e] = 0x63, /* Enter ] \ Wake */
	[0x5f] = 0x76, [0x61] = 0x56, [0x64] = 0x79, [0x66] = 0x0e, /* F24 102nd Int4 BkSp */
	[0x67] = 0x7b, [0x69] = 0x4f, [0x6a] = 0x7d, [0x6b] = 0x4b, /* Int5 KP1 Int3 KP4 */
	[0x6c] = 0x47, [0x70] = 0x52, [0x71] = 0x53, [0x72] = 0x50, /* KP7 KP0 KP. KP2 */
	[0x73] = 0x4c, [0x74] = 0x4d, [0x75] = 0x48, [0x76] = 0x01, /* KP5 KP6 KP8 Esc */
	[0x77] = 0x45, [0x78] = 0x57, [0x79] = 0x4e, [0x7a] = 0x51, /* NumLk F11 KP+ KP3 */
	[0x7b] = 0x4a, [0x7c] = 0x37, [0x7d] = 0x49, [0x7e] = 0x46, /* KP- KP* KP9 ScrLk */
};

static uint8_t translate_code(uint8_t code)
{
	if (code == 0x00)
		return 0xff;
	if (code == 0x83)       /* F7, the one key above 0x7F */
		return 0x41;
	if (code == 0x84)       /* Alt+SysRq */
		return 0x54;
	if (code >= 0x80 || !set2_to_set1[code])
		return code;
	return set2_to_set1[code];
}

/*
 * One byte of a set-2 stream through the translator. Returns false when
 * the byte is swallowed (an 0xF0 prefix), otherwise stores the set-1 byte.
 */
static bool translate_step(bool *brk, uint8_t in, uint8_t *out)
{
	if (in == 0xf0) {
		*brk = true;
		return false;
	}
	uint8_t code = translate_code(in);
	if (*brk && in != 0xe0 && in != 0xe1)
		code |= 0x80;
	if (in != 0xe0 && in != 0xe1)
		*brk = false;
	*out = code;
	return true;
}

static bool host_get_a20(const struct i8042 *kbc)
{
	return kbc->host.get_a20 ? kbc->host.get_a20(kbc->host.opaque) : kbc->a20;
}

static void host_set_a20(struct i8042 *kbc, bool enabled)
{
	if (enabled == host_get_a20(kbc))
		return;
	kbc->a20 = enabled;
	if (kbc->host.set_a20)
		kbc->host.set_a20(kbc->host.opaque, enabled);
}

static void host_reset(struct i8042 *kbc)
{
	if (kbc->host.reset)
		kbc->host.reset(kbc->host.opaque);
}

static void update_irqs(struct i8042 *kbc)
{
	uint8_t cfg = kbc->ram[0];
	int l1 = kbc->obf && !kbc->obuf_aux && (cfg & CFG_KBD_IRQ);
	int l12 = kbc->obf && kbc->obuf_aux && (cfg & CFG_AUX_IRQ);
	if (l1 != kbc->irq1_level) {
		kbc->irq1_level = l1;
		irq_line_set(&kbc->irq1, l1);
	}
	if (l12 != kbc->irq12_level) {
		kbc->irq12_level = l12;
		irq_line_set(&kbc->irq12, l12);
	}
}

static bool deliverable(const struct i8042 *kbc, uint8_t src)
{
	if (src == SRC_KBD)
		return !(kbc->ram[0] & CFG_KBD_OFF);
	if (src == SRC_AUX)
		return !(kbc->ram[0] & CFG_AUX_OFF);
	return true;
}

/* Moves the first deliverable queued byte into an empty output buffer. */
static void refill(struct i8042 *kbc)
{
	unsigned i = 0;
	while (!kbc->obf && i < kbc->queued) {
		struct queued_byte q = kbc->queue[i];
		if (!deliverable(kbc, q.src)) {
			i++;
			continue;
		}
		kbc->queued--;
		memmove(&kbc->queue[i], &kbc->queue[i + 1],
			(kbc->queued - i) * sizeof(kbc->queue[0]));
		uint8_t v = q.value;
		if (q.src == SRC_KBD && (kbc->ram[0] & CFG_XLAT) &&
		    !translate_step(&kbc->xlat_break, q.value, &v))
			continue;
		kbc->obf = true;
		kbc->obuf = v;
		kbc->obuf_aux = q.src == SRC_AUX || q.src == SRC_CTRL_AUX;
	}
	update_irqs(kbc);
}

/* Bytes beyond the queue are lost, as a keyboard's own buffer overruns. */
static void enqueue(struct i8042 *kbc, uint8_t value, enum byte_src src)
{
	if (kbc->queued < I8042_QUEUE_LEN)
		kbc->queue[kbc->queued++] = (struct queued_byte){ value, (uint8_t)src };
	refill(kbc);
}

static void kbd_send(struct i8042 *kbc, uint8_t v)
{
	kbc->kbd.last_sent = v;
	enqueue(kbc, v, SRC_KBD);
}

static void mouse_send(struct i8042 *kbc, uint8_t v)
{
	kbc->mouse.last_sent = v;
	enqueue(kbc, v, SRC_AUX);
}

static void kbd_defaults(struct ps2_keyboard *k)
{
	k->typematic = 0x2b;    /* 10.9 characters/s after 500 ms */
	k->want_arg = 0;
}

static void mouse_defaults(struct ps2_mouse *m)
{
	m->streaming = false;
	m->remote = false;
	m->scale21 = false;
	m->resolution = 2;      /* 4 counts/mm */
	m->rate = 100;
	m->want_arg = 0;
}

static void kbd_argument(struct i8042 *kbc, uint8_t cmd, uint8_t arg)
{
	struct ps2_keyboard *k = &kbc->kbd;
	switch (cmd) {
	case 0xed:
		k->leds = arg & 7;
		kbd_send(kbc, PS2_ACK);
		break;
	case 0xf3:
		k->typematic = arg & 0x7f;
		kbd_send(kbc, PS2_ACK);
		break;
	case 0xf0:
		if (arg == 0) {
			kbd_send(kbc, PS2_ACK);
			kbd_send(kbc, k->set);
		} else if (arg == 1 || arg == 2) {
			k->set = arg;
			kbd_send(kbc, PS2_ACK);
		} else {
			kbd_send(kbc, PS2_RESEND);   /* set 3 is not offered */
		}
		break;
	}
}

/*
 * A byte from the host to the keyboard. A byte with bit 7 set while an
 * argument is expected is taken as a new command, as the keyboard does
 * (arguments of 0xED, 0xF0 and 0xF3 are all below 0x80).
 */
static void kbd_write(struct i8042 *kbc, uint8_t v)
{
	struct ps2_keyboard *k = &kbc->kbd;
	if (k->want_arg && !(v & 0x80)) {
		uint8_t cmd = k->want_arg;
		k->want_arg = 0;
		kbd_argument(kbc, cmd, v);
		return;
	}
	k->want_arg = 0;
	switch (v) {
	case 0xed:
	case 0xf0:
	case 0xf3:
		k->want_arg = v;
		kbd_send(kbc, PS2_ACK);
		break;
	case 0xee:
		kbd_send(kbc, 0xee);         /* echo answers itself, no ACK */
		break;
	case 0xf2:
		kbd_send(kbc, PS2_ACK);
		kbd_send(kbc, 0xab);
		kbd_send(kbc, 0x83);
		break;
	case 0xf4:
		k->scanning = true;
		kbd_send(kbc, PS2_ACK);
		break;
	case 0xf5:
		kbd_defaults(k);
		k->scanning = false;
		kbd_send(kbc, PS2_ACK);
		break;
	case 0xf6:
		kbd_defaults(k);
		kbd_send(kbc, PS2_ACK);
		break;
	case 0xfe:
		kbd_send(kbc, k->last_sent);
		break;
	case 0xff:
		kbd_defaults(k);
		k->scanning = true;
		k->set = 2;
		k->leds = 0;
		kbd_send(kbc, PS2_ACK);
		kbd_send(kbc, PS2_BAT_OK);
		break;
	default:
		kbd_send(kbc, PS2_RESEND);
		break;
	}
}

/* Mouse arguments (0xE8 resolution, 0xF3 sample rate) may be any byte. */
static void mouse_write(struct i8042 *kbc, uint8_t v)
{
	struct ps2_mouse *m = &kbc->mouse;
	if (m->want_arg) {
		if (m->want_arg == 0xe8)
			m->resolution = v & 3;
		else
			m->rate = v;
		m->want_arg = 0;
		mouse_send(kbc, PS2_ACK);
		return;
	}
	switch (v) {
	case 0xe6:
	case 0xe7:
		m->scale21 = v == 0xe7;
		mouse_send(kbc, PS2_ACK);
		break;
	case 0xe8:
	case 0xf3:
		m->want_arg = v;
		mouse_send(kbc, PS2_ACK);
		break;
	case 0xe9:              /* status request: flags, resolution, rate */
		mouse_send(kbc, PS2_ACK);
		mouse_send(kbc, (uint8_t)((m->remote ? 0x40 : 0) | (m->streaming ? 0x20 : 0) |
					  (m->scale21 ? 0x10 : 0)));
		mouse_send(kbc, m->resolution);
		mouse_send(kbc, m->rate);
		break;
	case 0xea:
	case 0xf0:
		m->remote = v == 0xf0;
		mouse_send(kbc, PS2_ACK);
		break;
	case 0xeb:              /* read data: a packet with no motion */
		mouse_send(kbc, PS2_ACK);
		mouse_send(kbc, 0x08);
		mouse_send(kbc, 0x00);
		mouse_send(kbc, 0x00);
		break;
	case 0xec:
	case 0xee:              /* wrap mode is acknowledged, not modelled */
		mouse_send(kbc, PS2_ACK);
		break;
	case 0xf2:
		mouse_send(kbc, PS2_ACK);
		mouse_send(kbc, 0x00);   /* standard PS/2 mouse */
		break;
	case 0xf4:
	case 0xf5:
		m->streaming = v == 0xf4;
		mouse_send(kbc, PS2_ACK);
		break;
	case 0xf6:
		mouse_defaults(m);
		mouse_send(kbc, PS2_ACK);
		break;
	case 0xfe:
		mouse_send(kbc, m->last_sent);
		break;
	case 0xff:
		mouse_defaults(m);
		mouse_send(kbc, PS2_ACK);
		mouse_send(kbc, PS2_BAT_OK);
		mouse_send(kbc, 0x00);
		break;
	default:
		mouse_send(kbc, PS2_RESEND);
		break;
	}
}

static uint8_t output_port(const struct i8042 *kbc)
{
	uint8_t v = (kbc->outport & OUT_LINES) | OUT_RESET;
	if (host_get_a20(kbc))
		v |= OUT_A20;
	if (kbc->obf)
		v |= kbc->obuf_aux ? OUT_AUX_OBF : OUT_KBD_OBF;
	return v;
}

/* The reset line goes last: the machine may reset this controller from it. */
static void write_output_port(struct i8042 *kbc, uint8_t v)
{
	kbc->outport = v;
	host_set_a20(kbc, v & OUT_A20);
	if (!(v & OUT_RESET))
		host_reset(kbc);
}

static void set_config(struct i8042 *kbc, uint8_t cfg)
{
	kbc->ram[0] = cfg;
	refill(kbc);
}

static void ctrl_reply(struct i8042 *kbc, uint8_t v)
{
	enqueue(kbc, v, SRC_CTRL);
}

static void ctrl_data(struct i8042 *kbc, uint8_t cmd, uint8_t v)
{
	if (cmd >= 0x60 && cmd <= 0x7f) {
		if (cmd == 0x60)
			set_config(kbc, v);
		else
			kbc->ram[cmd & 0x1f] = v;
		return;
	}
	switch (cmd) {
	case 0xd1:
		write_output_port(kbc, v);
		break;
	case 0xd2:
		enqueue(kbc, v, SRC_CTRL);
		break;
	case 0xd3:
		enqueue(kbc, v, SRC_CTRL_AUX);
		break;
	case 0xd4:
		mouse_write(kbc, v);
		break;
	}
}

/* Commands not listed (passwords, vendor extensions) are ignored. */
static void ctrl_command(struct i8042 *kbc, uint8_t cmd)
{
	if (cmd >= 0x20 && cmd <= 0x3f) {
		ctrl_reply(kbc, kbc->ram[cmd & 0x1f]);
		return;
	}
	if ((cmd >= 0x60 && cmd <= 0x7f) || (cmd >= 0xd1 && cmd <= 0xd4)) {
		kbc->want_data = cmd;
		return;
	}
	if (cmd >= 0xf0) {
		if (!(cmd & OUT_RESET))
			host_reset(kbc);
		return;
	}
	switch (cmd) {
	case 0xa7:
		set_config(kbc, kbc->ram[0] | CFG_AUX_OFF);
		break;
	case 0xa8:
		set_config(kbc, kbc->ram[0] & ~CFG_AUX_OFF);
		break;
	case 0xa9:
	case 0xab:
		ctrl_reply(kbc, 0x00);       /* interface test: no error */
		break;
	case 0xaa:
		kbc->ram[0] |= CFG_SYS;
		ctrl_reply(kbc, 0x55);
		break;
	case 0xad:
		set_config(kbc, kbc->ram[0] | CFG_KBD_OFF);
		break;
	case 0xae:
		set_config(kbc, kbc->ram[0] & ~CFG_KBD_OFF);
		break;
	case 0xc0:
		ctrl_reply(kbc, INPUT_PORT);
		break;
	case 0xd0:
		ctrl_reply(kbc, output_port(kbc));
		break;
	case 0xdd:
	case 0xdf:
		host_set_a20(kbc, cmd == 0xdf);
		break;
	case 0xe0:              /* T0 = keyboard clock, T1 = aux clock */
		ctrl_reply(kbc, (uint8_t)((kbc->ram[0] & CFG_KBD_OFF ? 0 : 1) |
					  (kbc->ram[0] & CFG_AUX_OFF ? 0 : 2)));
		break;
	}
}

static uint8_t status(const struct i8042 *kbc)
{
	uint8_t s = STAT_NOT_INHIBITED;
	if (kbc->obf)
		s |= kbc->obuf_aux ? STAT_OBF | STAT_AUXB : STAT_OBF;
	if (kbc->ram[0] & CFG_SYS)
		s |= STAT_SYS;
	if (kbc->a2)
		s |= STAT_A2;
	return s;
}

static uint32_t data_read(void *opaque, uint32_t offset, unsigned size)
{
	struct i8042 *kbc = opaque;
	uint8_t v = kbc->obuf;
	if (kbc->obf) {
		kbc->obf = false;
		update_irqs(kbc);
		refill(kbc);
	}
	return 0xffffff00u | v;
}

static void data_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct i8042 *kbc = opaque;
	uint8_t cmd = kbc->want_data;
	kbc->a2 = false;
	kbc->want_data = 0;
	if (cmd)
		ctrl_data(kbc, cmd, (uint8_t)value);
	else
		kbd_write(kbc, (uint8_t)value);
}

static uint32_t status_read(void *opaque, uint32_t offset, unsigned size)
{
	return 0xffffff00u | status(opaque);
}

static void command_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct i8042 *kbc = opaque;
	kbc->a2 = true;
	kbc->want_data = 0;
	ctrl_command(kbc, (uint8_t)value);
}

static const struct io_ops data_ops = { data_read, data_write };
static const struct io_ops command_ops = { status_read, command_write };

void i8042_reset(struct i8042 *kbc)
{
	memset(kbc->ram, 0, sizeof(kbc->ram));
	kbc->ram[0] = CFG_POWER_ON;
	kbc->a2 = false;
	kbc->outport = OUT_LINES | OUT_RESET;
	kbc->want_data = 0;
	kbc->obf = false;
	kbc->obuf_aux = false;
	kbc->obuf = 0;
	kbc->xlat_break = false;
	kbc->queued = 0;
	kbc->kbd = (struct ps2_keyboard){ .scanning = true, .set = 2 };
	kbd_defaults(&kbc->kbd);
	kbc->mouse = (struct ps2_mouse){ 0 };
	mouse_defaults(&kbc->mouse);
	update_irqs(kbc);
}

struct i8042 *i8042_create(struct irq_line irq1, struct irq_line irq12,
			   const struct board_lines *host)
{
	struct i8042 *kbc = calloc(1, sizeof(*kbc));
	if (!kbc)
		return NULL;
	kbc->irq1 = irq1;
	kbc->irq12 = irq12;
	if (host)
		kbc->host = *host;
	kbc->a20 = true;
	i8042_reset(kbc);
	return kbc;
}

void i8042_destroy(struct i8042 *kbc)
{
	free(kbc);
}

int i8042_register(struct i8042 *kbc, struct portmap *ports)
{
	if (portmap_register(ports, 0x60, 1, &data_ops, kbc, "i8042 data") < 0)
		return -1;
	return portmap_register(ports, 0x64, 1, &command_ops, kbc, "i8042 status/command");
}

/* Set 1 selected with 0xF0 0x01: the keyboard converts by itself. */
void i8042_key_event(struct i8042 *kbc, const uint8_t *set2, size_t n)
{
	if (!kbc->kbd.scanning)
		return;
	bool brk = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t v = set2[i];
		if (kbc->kbd.set == 1 && !translate_step(&brk, set2[i], &v))
			continue;
		kbc->kbd.last_sent = v;
		enqueue(kbc, v, SRC_KBD);
	}
}
