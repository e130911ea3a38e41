/*
 * test_uart16550.c - PC16550D UART through its ports at COM1.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/portmap.h"
#include "devices/uart16550.h"

#define BASE 0x3f8
#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

struct fixture {
	struct portmap *ports;
	struct uart16550 *u;
	int level, raises, calls;
	uint8_t sent[64];
	unsigned nsent;
};

static void probe_set(void *opaque, int num, int level)
{
	struct fixture *f = opaque;
	f->calls++;
	if (level && !f->level)
		f->raises++;
	f->level = level;
}

static void record_tx(void *opaque, uint8_t byte)
{
	struct fixture *f = opaque;
	if (f->nsent < sizeof(f->sent))
		f->sent[f->nsent++] = byte;
}

static struct fixture *fx_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ports = malloc(sizeof(*f->ports));
	portmap_init(f->ports);
	f->u = uart16550_create((struct irq_line){ probe_set, f, 4 }, record_tx, f);
	ck_assert_ptr_nonnull(f->u);
	ck_assert_int_eq(uart16550_register(f->u, f->ports, BASE), 0);
	return f;
}

static void fx_free(struct fixture *f)
{
	uart16550_destroy(f->u);
	free(f->ports);
	free(f);
}

static uint8_t rd(struct fixture *f, unsigned reg)
{
	return (uint8_t)portmap_read(f->ports, (uint16_t)(BASE + reg), 1);
}

static void wr(struct fixture *f, unsigned reg, uint8_t v)
{
	portmap_write(f->ports, (uint16_t)(BASE + reg), v, 1);
}

static void rx(struct fixture *f, const char *s)
{
	ck_assert_uint_eq(uart16550_receive(f->u, (const uint8_t *)s, strlen(s)), strlen(s));
}

START_TEST(test_reset_state)
{
	struct fixture *f = fx_new();
	ck_assert_uint_eq(rd(f, IIR), 0x01);
	ck_assert_uint_eq(rd(f, IER), 0x00);
	ck_assert_uint_eq(rd(f, LCR), 0x00);
	ck_assert_uint_eq(rd(f, MCR), 0x00);
	ck_assert_uint_eq(rd(f, LSR), 0x60);    /* THRE | TEMT */
	ck_assert_uint_eq(rd(f, MSR), 0xb0);    /* DCD | DSR | CTS: a terminal is connected */
	ck_assert_int_eq(f->calls, 0);
	fx_free(f);
}
END_TEST

START_TEST(test_register_readback)
{
	struct fixture *f = fx_new();
	wr(f, LCR, 0x1b);
	ck_assert_uint_eq(rd(f, LCR), 0x1b);
	wr(f, MCR, 0xff);
	ck_assert_uint_eq(rd(f, MCR), 0x1f);    /* bits 5-7 read 0 */
	wr(f, MCR, 0x0b);
	ck_assert_uint_eq(rd(f, MCR), 0x0b);
	for (unsigned v = 0; v < 256; v += 0x55) {
		wr(f, SCR, (uint8_t)v);
		ck_assert_uint_eq(rd(f, SCR), v);
	}
	wr(f, IER, 0xff);
	ck_assert_uint_eq(rd(f, IER), 0x0f);    /* bits 4-7 read 0 */
	wr(f, IER, 0x00);
	ck_assert_uint_eq(rd(f, IER), 0x00);
	wr(f, LSR, 0x00);                       /* factory test: ignored */
	ck_assert_uint_eq(rd(f, LSR), 0x60);
	fx_free(f);
}
END_TEST

START_TEST(test_dlab_divisor)
{
	struct fixture *f = fx_new();
	wr(f, IER, 0x05);
	wr(f, LCR, 0x83);
	wr(f, DLL, 0x0c);
	wr(f, DLM, 0x01);
	ck_assert_uint_eq(rd(f, DLL), 0x0c);
	ck_assert_uint_eq(rd(f, DLM), 0x01);
	ck_assert_uint_eq(f->nsent, 0);         /* DLL write did not transmit */
	wr(f, LCR, 0x03);
	ck_assert_uint_eq(rd(f, IER), 0x05);    /* IER untouched by DLM write */
	wr(f, THR, 'A');
	ck_assert_uint_eq(f->nsent, 1);
	ck_assert_uint_eq(f->sent[0], 'A');
	wr(f, LCR, 0x80);
	ck_assert_uint_eq(rd(f, DLL), 0x0c);    /* divisor kept */
	ck_assert_uint_eq(rd(f, DLM), 0x01);
	fx_free(f);
}
END_TEST

START_TEST(test_transmit_and_word_length)
{
	struct fixture *f = fx_new();
	wr(f, LCR, 0x03);
	wr(f, THR, 0xc1);
	wr(f, LCR, 0x02);                       /* 7 data bits */
	wr(f, THR, 0xc1);
	wr(f, LCR, 0x00);                       /* 5 data bits */
	wr(f, THR, 0xff);
	ck_assert_uint_eq(f->nsent, 3);
	ck_assert_uint_eq(f->sent[0], 0xc1);
	ck_assert_uint_eq(f->sent[1], 0x41);
	ck_assert_uint_eq(f->sent[2], 0x1f);
	ck_assert_uint_eq(rd(f, LSR) & 0x60, 0x60);   /* instantly sent */
	fx_free(f);
}
END_TEST

START_TEST(test_receive_non_fifo)
{
	struct fixture *f = fx_new();
	ck_assert_uint_eq(uart16550_rx_space(f->u), 1);
	ck_assert_uint_eq(uart16550_receive(f->u, (const uint8_t *)"xyz", 3), 1);
	ck_assert_uint_eq(uart16550_rx_space(f->u), 0);
	ck_assert_uint_eq(uart16550_receive(f->u, (const uint8_t *)"yz", 2), 0);
	ck_assert_uint_eq(rd(f, LSR), 0x61);    /* DR, no overrun: host input is flow-controlled */
	ck_assert_uint_eq(rd(f, RBR), 'x');
	ck_assert_uint_eq(rd(f, LSR), 0x60);
	ck_assert_uint_eq(uart16550_rx_space(f->u), 1);
	fx_free(f);
}
END_TEST

START_TEST(test_receive_fifo_flow_control)
{
	struct fixture *f = fx_new();
	wr(f, FCR, 0x07);
	uint8_t buf[20];
	for (unsigned i = 0; i < 20; i++)
		buf[i] = (uint8_t)('a' + i);
	ck_assert_uint_eq(uart16550_receive(f->u, buf, 20), 16);
	ck_assert_uint_eq(uart16550_rx_space(f->u), 0);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_uint_eq(rd(f, RBR), 'a' + i);
	ck_assert_uint_eq(uart16550_rx_space(f->u), 5);
	ck_assert_uint_eq(uart16550_receive(f->u, buf + 16, 4), 4);
	for (unsigned i = 5; i < 20; i++)
		ck_assert_uint_eq(rd(f, RBR), 'a' + i);
	ck_assert_uint_eq(rd(f, LSR), 0x60);    /* empty, no overrun */
	fx_free(f);
}
END_TEST

START_TEST(test_loopback_data_and_modem_lines)
{
	struct fixture *f = fx_new();
	wr(f, MCR, 0x10);
	ck_assert_uint_eq(rd(f, MSR), 0x0b);    /* CTS, DSR, DCD dropped: deltas */
	ck_assert_uint_eq(rd(f, MSR), 0x00);    /* deltas cleared by the read */
	wr(f, MCR, 0x1f);
	ck_assert_uint_eq(rd(f, MSR), 0xfb);    /* all four up; TERI needs RI to fall */
	wr(f, MCR, 0x1a);                       /* Linux's probe: RTS | OUT2 */
	ck_assert_uint_eq(rd(f, MSR), 0x96);    /* CTS, DCD; DSR fell, RI fell (TERI) */
	wr(f, MCR, 0x11);                       /* DTR only */
	ck_assert_uint_eq(rd(f, MSR) & 0xf0, 0x20);
	wr(f, MCR, 0x14);                       /* OUT1 -> RI */
	ck_assert_uint_eq(rd(f, MSR) & 0xf0, 0x40);
	/* TX goes to RX, not to the host, and host input is refused. */
	ck_assert_uint_eq(uart16550_rx_space(f->u), 0);
	ck_assert_uint_eq(uart16550_receive(f->u, (const uint8_t *)"h", 1), 0);
	wr(f, LCR, 0x03);
	wr(f, THR, 0x5a);
	ck_assert_uint_eq(f->nsent, 0);
	ck_assert_uint_eq(rd(f, LSR), 0x61);
	ck_assert_uint_eq(rd(f, RBR), 0x5a);
	/* Leaving loopback reconnects the terminal. */
	wr(f, MCR, 0x00);
	ck_assert_uint_eq(rd(f, MSR) & 0xf0, 0xb0);
	wr(f, THR, 0x5b);
	ck_assert_uint_eq(f->nsent, 1);
	ck_assert_uint_eq(rd(f, LSR), 0x60);
	fx_free(f);
}
END_TEST

START_TEST(test_fifo_enable_and_reset)
{
	struct fixture *f = fx_new();
	ck_assert_uint_eq(rd(f, IIR) & 0xc0, 0x00);
	wr(f, FCR, 0x01);
	ck_assert_uint_eq(rd(f, IIR), 0xc1);
	ck_assert_uint_eq(uart16550_rx_space(f->u), 16);
	rx(f, "abc");
	wr(f, FCR, 0x03);                       /* RX FIFO reset */
	ck_assert_uint_eq(rd(f, LSR) & 0x01, 0);
	ck_assert_uint_eq(uart16550_rx_space(f->u), 16);
	rx(f, "abc");
	wr(f, FCR, 0x05);                       /* TX reset only: RX data kept */
	ck_assert_uint_eq(rd(f, LSR) & 0x01, 0x01);
	wr(f, FCR, 0x00);                       /* leaving FIFO mode empties the FIFOs */
	ck_assert_uint_eq(rd(f, IIR), 0x01);
	ck_assert_uint_eq(rd(f, LSR) & 0x01, 0);
	ck_assert_uint_eq(uart16550_rx_space(f->u), 1);
	/* Linux's 16750 probe sets FCR bit 5: a 16550A ignores it. */
	wr(f, FCR, 0x21);
	ck_assert_uint_eq(rd(f, IIR) >> 5, 6);
	wr(f, LCR, 0x80);
	wr(f, FCR, 0x21);
	ck_assert_uint_eq(rd(f, IIR) >> 5, 6);
	fx_free(f);
}
END_TEST

START_TEST(test_trigger_levels_and_timeout)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 };
	for (unsigned t = 0; t < 4; t++) {
		struct fixture *f = fx_new();
		wr(f, FCR, (uint8_t)(0x07 | t << 6));
		wr(f, IER, 0x01);
		wr(f, MCR, 0x18);                   /* loopback: characters arrive one by one */
		for (unsigned i = 0; i + 1 < levels[t]; i++)
			wr(f, THR, (uint8_t)i);
		if (levels[t] > 1) {
			/* Below the trigger: no interrupt until the receiver has been quiet... */
			ck_assert_uint_eq(rd(f, IIR), 0xc1);
			/* ...which is the case at the next IIR read: character timeout. */
			ck_assert_uint_eq(rd(f, IIR), 0xcc);
		}
		wr(f, THR, 0xee);                   /* reaches the trigger level */
		ck_assert_uint_eq(rd(f, IIR), 0xc4);
		ck_assert_uint_eq(rd(f, IIR), 0xc4);
		rd(f, RBR);                         /* below the trigger again */
		if (levels[t] > 1)
			ck_assert_uint_eq(rd(f, IIR), 0xcc);
		while (rd(f, LSR) & 0x01)
			rd(f, RBR);
		ck_assert_uint_eq(rd(f, IIR), 0xc1);
		fx_free(f);
	}
}
END_TEST

START_TEST(test_host_burst_timeout)
{
	struct fixture *f = fx_new();
	wr(f, FCR, 0xc7);                       /* trigger 14 */
	wr(f, IER, 0x01);
	wr(f, MCR, 0x08);
	rx(f, "hi");
	ck_assert_int_eq(f->level, 1);          /* the burst ended: timeout at once */
	ck_assert_uint_eq(rd(f, IIR), 0xcc);
	ck_assert_uint_eq(rd(f, RBR), 'h');
	ck_assert_int_eq(f->level, 1);          /* data left: still timed out */
	ck_assert_uint_eq(rd(f, RBR), 'i');
	ck_assert_int_eq(f->level, 0);
	ck_assert_uint_eq(rd(f, IIR), 0xc1);
	rx(f, "0123456789abcdef");
	ck_assert_uint_eq(rd(f, IIR), 0xc4);
	fx_free(f);
}
END_TEST

START_TEST(test_non_fifo_data_available)
{
	struct fixture *f = fx_new();
	wr(f, IER, 0x01);
	wr(f, MCR, 0x08);
	rx(f, "q");
	ck_assert_int_eq(f->level, 1);
	ck_assert_uint_eq(rd(f, IIR), 0x04);
	ck_assert_uint_eq(rd(f, RBR), 'q');
	ck_assert_int_eq(f->level, 0);
	ck_assert_uint_eq(rd(f, IIR), 0x01);
	fx_free(f);
}
END_TEST

START_TEST(test_overrun)
{
	/* FIFO mode: the 17th character is lost, the FIFO keeps the first 16. */
	struct fixture *f = fx_new();
	wr(f, LCR, 0x03);
	wr(f, FCR, 0x07);
	wr(f, IER, 0x04);
	wr(f, MCR, 0x10);
	for (unsigned i = 0; i < 17; i++)
		wr(f, THR, (uint8_t)(0x30 + i));
	ck_assert_uint_eq(rd(f, IIR), 0xc6);
	ck_assert_uint_eq(rd(f, LSR), 0x63);    /* OE | DR */
	ck_assert_uint_eq(rd(f, LSR), 0x61);    /* OE cleared by the read */
	ck_assert_uint_eq(rd(f, IIR), 0xc1);
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(rd(f, RBR), 0x30 + i);
	ck_assert_uint_eq(rd(f, LSR), 0x60);
	fx_free(f);

	/* 16450 mode: the new character overwrites RBR. */
	f = fx_new();
	wr(f, LCR, 0x03);
	wr(f, MCR, 0x10);
	wr(f, THR, 'a');
	ck_assert_uint_eq(rd(f, LSR), 0x61);
	wr(f, THR, 'b');
	ck_assert_uint_eq(rd(f, LSR), 0x63);
	ck_assert_uint_eq(rd(f, RBR), 'b');
	fx_free(f);
}
END_TEST

START_TEST(test_interrupt_priority)
{
	struct fixture *f = fx_new();
	wr(f, LCR, 0x03);
	wr(f, FCR, 0x47);                       /* trigger 4 */
	wr(f, MCR, 0x14);                       /* loopback: CTS, DSR, DCD fall */
	for (unsigned i = 0; i < 17; i++)       /* data above trigger + overrun */
		wr(f, THR, (uint8_t)i);
	wr(f, IER, 0x0f);                       /* THRE pending too (ETBEI 0->1) */
	ck_assert_uint_eq(rd(f, IIR), 0xc6);    /* line status first */
	ck_assert_uint_eq(rd(f, IIR), 0xc6);    /* until LSR is read */
	rd(f, LSR);
	ck_assert_uint_eq(rd(f, IIR), 0xc4);    /* received data */
	for (unsigned i = 0; i < 13; i++)
		rd(f, RBR);
	ck_assert_uint_eq(rd(f, IIR), 0xcc);    /* 3 left, below trigger: timeout */
	for (unsigned i = 0; i < 3; i++)
		rd(f, RBR);
	ck_assert_uint_eq(rd(f, IIR), 0xc2);    /* THR empty, cleared by this read */
	ck_assert_uint_eq(rd(f, IIR), 0xc0);    /* modem status */
	ck_assert_uint_eq(rd(f, MSR) & 0x0f, 0x0b);
	ck_assert_uint_eq(rd(f, IIR), 0xc1);
	fx_free(f);
}
END_TEST

START_TEST(test_thre_interrupt)
{
	struct fixture *f = fx_new();
	wr(f, MCR, 0x08);
	wr(f, IER, 0x02);                       /* ETBEI 0->1 with THR empty */
	ck_assert_int_eq(f->level, 1);
	ck_assert_uint_eq(rd(f, IIR), 0x02);
	ck_assert_int_eq(f->level, 0);
	ck_assert_uint_eq(rd(f, IIR), 0x01);    /* cleared by the IIR read */
	wr(f, IER, 0x02);                       /* 1->1: no new interrupt */
	ck_assert_uint_eq(rd(f, IIR), 0x01);
	wr(f, IER, 0x00);
	wr(f, IER, 0x02);                       /* 0->1 again */
	ck_assert_uint_eq(rd(f, IIR), 0x02);
	wr(f, THR, 'z');                        /* THR empties again after a write */
	ck_assert_int_eq(f->level, 1);
	ck_assert_int_eq(f->raises, 3);
	ck_assert_uint_eq(rd(f, LSR), 0x60);    /* reading LSR does not clear it */
	ck_assert_uint_eq(rd(f, IIR), 0x02);
	ck_assert_uint_eq(rd(f, IIR), 0x01);
	/* Pending while disabled, reported once enabled. */
	wr(f, IER, 0x00);
	wr(f, THR, 'y');
	ck_assert_uint_eq(rd(f, IIR), 0x01);
	ck_assert_int_eq(f->level, 0);
	fx_free(f);
}
END_TEST

/* The sequence of serial8250_do_startup()'s THRE test, which must not flag a bug. */
START_TEST(test_linux_thre_test)
{
	struct fixture *f = fx_new();
	wr(f, LCR, 0x03);
	wr(f, FCR, 0x07);
	wr(f, IER, 0x02);
	uint8_t iir1 = rd(f, IIR);
	wr(f, IER, 0x00);
	wr(f, IER, 0x02);
	uint8_t iir = rd(f, IIR);
	wr(f, IER, 0x00);
	ck_assert_uint_eq(iir1 & 0x01, 0);
	ck_assert_uint_eq(iir & 0x01, 0);
	/* TXEN test: THRE enabled, LSR then IIR read: an interrupt must show. */
	wr(f, IER, 0x02);
	uint8_t lsr = rd(f, LSR);
	iir = rd(f, IIR);
	wr(f, IER, 0x00);
	ck_assert_uint_eq(lsr & 0x40, 0x40);
	ck_assert_uint_eq(iir & 0x01, 0);
	fx_free(f);
}
END_TEST

/* autoconfig()'s IER and loopback probes. */
START_TEST(test_linux_autoconfig_probe)
{
	struct fixture *f = fx_new();
	wr(f, IER, 0x00);
	ck_assert_uint_eq(rd(f, IER) & 0x0f, 0x00);
	wr(f, IER, 0x0f);
	ck_assert_uint_eq(rd(f, IER) & 0x0f, 0x0f);
	wr(f, IER, 0x00);
	wr(f, MCR, 0x1a);
	ck_assert_uint_eq(rd(f, MSR) & 0xf0, 0x90);
	wr(f, MCR, 0x00);
	wr(f, LCR, 0xbf);                       /* EFR probe: offset 2 must not read 0 */
	ck_assert_uint_ne(rd(f, 2), 0x00);
	wr(f, LCR, 0x00);
	wr(f, FCR, 0x01);
	ck_assert_uint_eq(rd(f, IIR) >> 6, 3);  /* 16550A */
	wr(f, IER, 0x40);                       /* XScale UUE bit: not implemented */
	ck_assert_uint_eq(rd(f, IER), 0x00);
	fx_free(f);
}
END_TEST

START_TEST(test_out2_gates_irq)
{
	struct fixture *f = fx_new();
	wr(f, IER, 0x02);                       /* THRE pending, OUT2 off */
	ck_assert_int_eq(f->calls, 0);
	wr(f, MCR, 0x08);
	ck_assert_int_eq(f->level, 1);
	ck_assert_int_eq(f->calls, 1);
	wr(f, MCR, 0x0b);                       /* unrelated bits: no new call */
	ck_assert_int_eq(f->calls, 1);
	wr(f, MCR, 0x03);
	ck_assert_int_eq(f->level, 0);
	wr(f, MCR, 0x18);                       /* loopback forces OUT2 inactive */
	ck_assert_int_eq(f->level, 0);
	ck_assert_uint_eq(rd(f, IIR) & 0x0f, 0x02);   /* though IIR reports it */
	wr(f, IER, 0x00);
	wr(f, IER, 0x02);
	wr(f, MCR, 0x08);
	ck_assert_int_eq(f->level, 1);
	ck_assert_int_eq(f->calls, 3);
	fx_free(f);
}
END_TEST

START_TEST(test_modem_status_interrupt)
{
	struct fixture *f = fx_new();
	wr(f, IER, 0x08);
	wr(f, MCR, 0x08);
	ck_assert_int_eq(f->level, 0);
	wr(f, MCR, 0x18);                       /* loopback: DCD stays (OUT2), CTS/DSR fall */
	ck_assert_uint_eq(rd(f, IIR), 0x00);
	ck_assert_uint_eq(rd(f, MSR), 0x83);
	ck_assert_uint_eq(rd(f, IIR), 0x01);
	wr(f, MCR, 0x1c);                       /* RI rises: no TERI */
	ck_assert_uint_eq(rd(f, IIR), 0x01);
	wr(f, MCR, 0x18);                       /* RI falls: TERI */
	ck_assert_uint_eq(rd(f, IIR), 0x00);
	ck_assert_uint_eq(rd(f, MSR), 0x84);
	fx_free(f);
}
END_TEST

START_TEST(test_wide_access_splits)
{
	struct fixture *f = fx_new();
	portmap_write(f->ports, BASE + SCR - 1, 0x5a00, 2);   /* MSR (ignored), SCR */
	ck_assert_uint_eq(rd(f, SCR), 0x5a);
	ck_assert_uint_eq(portmap_read(f->ports, BASE + SCR, 2), 0xff5a);
	fx_free(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("uart16550");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_reset_state);
	tcase_add_test(tc, test_register_readback);
	tcase_add_test(tc, test_dlab_divisor);
	tcase_add_test(tc, test_transmit_and_word_length);
	tcase_add_test(tc, test_receive_non_fifo);
	tcase_add_test(tc, test_receive_fifo_flow_control);
	tcase_add_test(tc, test_loopback_data_and_modem_lines);
	tcase_add_test(tc, test_fifo_enable_and_reset);
	tcase_add_test(tc, test_trigger_levels_and_timeout);
	tcase_add_test(tc, test_host_burst_timeout);
	tcase_add_test(tc, test_non_fifo_data_available);
	tcase_add_test(tc, test_overrun);
	tcase_add_test(tc, test_interrupt_priority);
	tcase_add_test(tc, test_thre_interrupt);
	tcase_add_test(tc, test_linux_thre_test);
	tcase_add_test(tc, test_linux_autoconfig_probe);
	tcase_add_test(tc, test_out2_gates_irq);
	tcase_add_test(tc, test_modem_status_interrupt);
	tcase_add_test(tc, test_wide_access_splits);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
