/*
 * uart16550.c - PC16550D UART with 16-byte FIFOs.
 *
 * Registers by offset (PC16550D datasheet, Table II "Summary of
 * Registers"): 0 RBR/THR (DLL when LCR.DLAB), 1 IER (DLM when DLAB),
 * 2 IIR (read) / FCR (write), 3 LCR, 4 MCR, 5 LSR, 6 MSR, 7 SCR.
 *
 * Transmission is instantaneous: a THR write hands the character (masked
 * to the word length) to the tx callback at once, so THR and the
 * transmitter are always empty and LSR.THRE/TEMT always read 1. The
 * virtual line never has parity, framing or break errors, so LSR bits
 * 2-4 and 7 read 0; the only receiver error is an overrun (OE), which the
 * guest can cause in loopback mode. Host input goes through
 * uart16550_receive(), which never overruns.
 *
 * Interrupts, highest priority first (Table IV "Interrupt Control
 * Functions"): receiver line status (OE, cleared by reading LSR);
 * received data available (non-FIFO: any data; FIFO: trigger level
 * reached) or character timeout (FIFO, data below the trigger level),
 * both cleared by reading the data; THR empty, cleared by reading IIR
 * when it is the reported source or by writing THR; modem status (a
 * delta bit in MSR, cleared by reading MSR). The THRE interrupt is
 * requested whenever THR becomes empty (after every THR write here) and
 * when IER.ETBEI goes from 0 to 1 with THR empty, as on the real part:
 * Linux's "THRE test" relies on that.
 *
 * Character timeout without host time: the real part signals it after
 * four character times with no character received or read. Here the
 * receiver is "quiet" once a burst of host input ends (each
 * uart16550_receive() call is a burst) or when IIR is read with no new
 * character since the previous IIR read; a new character ends the quiet.
 * Data below the trigger level in a quiet receiver is reported as a
 * timeout, so the guest always hears about its input.
 *
 * Modem lines: outside loopback a terminal is connected, so CTS, DSR and
 * DCD read 1 and RI 0. In loopback (MCR bit 4) DTR, RTS, OUT1 and OUT2
 * drive DSR, CTS, RI and DCD, TX feeds RX and the host receiver input is
 * disconnected. Delta bits follow input changes, TERI on RI going 1 to 0.
 *
 * IRQ: on a PC board the INTR output reaches the PIC through a buffer
 * enabled by the OUT2 pin, so the line is asserted only when an
 * interrupt is pending and MCR.OUT2 is set; in loopback the datasheet
 * forces the modem control pins inactive, so the line stays low even
 * though IIR reports the interrupt.
 */
#include "devices/uart16550.h"

#include <stdbool.h>
#include <stdlib.h>

#define UART_FIFO_SIZE 16

#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_ELSI 0x04
#define IER_EDSSI 0x08
#define IER_MASK 0x0f

#define IIR_NONE 0x01
#define IIR_RLS 0x06
#define IIR_RDA 0x04
#define IIR_TIMEOUT 0x0c
#define IIR_THRE 0x02
#define IIR_MSR 0x00
#define IIR_FIFO_ENABLED 0xc0

#define FCR_ENABLE 0x01
#define FCR_RX_RESET 0x02

#define LCR_WLS_MASK 0x03
#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_DELTAS 0x0f

struct uart16550 {
	struct irq_line irq;
	void (*tx)(void *opaque, uint8_t byte);
	void *tx_opaque;
	uint8_t rx[UART_FIFO_SIZE];
	unsigned rx_head, rx_count;
	unsigned rx_trigger;      /* FIFO mode trigger level: 1, 4, 8 or 14 */
	bool fifo_enabled;
	bool rx_quiet;            /* see "Character timeout" above */
	bool thre_pending;
	bool irq_level;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t lsr_errors;       /* OE until LSR is read */
	uint8_t msr;
};

static unsigned uart_rx_capacity(const struct uart16550 *u)
{
	return u->fifo_enabled ? UART_FIFO_SIZE : 1;
}

static uint8_t uart_iir_id(const struct uart16550 *u)
{
	if ((u->ier & IER_ELSI) && u->lsr_errors)
		return IIR_RLS;
	if ((u->ier & IER_ERBFI) && u->rx_count) {
		if (!u->fifo_enabled || u->rx_count >= u->rx_trigger)
			return IIR_RDA;
		if (u->rx_quiet)
			return IIR_TIMEOUT;
	}
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTAS))
		return IIR_MSR;
	return IIR_NONE;
}

static void uart_update_irq(struct uart16550 *u)
{
	bool level = uart_iir_id(u) != IIR_NONE && (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

static void uart_rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* A character arrives in the receiver (from the host or, in loopback, from THR). */
static void uart_rx_push(struct uart16550 *u, uint8_t byte)
{
	u->rx_quiet = false;
	if (u->rx_count == uart_rx_capacity(u)) {
		/* FIFO: the character in the shift register is lost; 16450 mode: RBR is overwritten. */
		u->lsr_errors |= LSR_OE;
		if (!u->fifo_enabled)
			u->rx[u->rx_head] = byte;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
}

static uint8_t uart_rx_pop(struct uart16550 *u)
{
	if (!u->rx_count)
		return 0;
	uint8_t b = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	return b;
}

static uint8_t uart_modem_inputs(const struct uart16550 *u)
{
	if (!(u->mcr & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	uint8_t in = 0;
	if (u->mcr & MCR_DTR)
		in |= MSR_DSR;
	if (u->mcr & MCR_RTS)
		in |= MSR_CTS;
	if (u->mcr & MCR_OUT1)
		in |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		in |= MSR_DCD;
	return in;
}

static void uart_update_modem_inputs(struct uart16550 *u)
{
	uint8_t old = u->msr, in = uart_modem_inputs(u);
	uint8_t changed = (old ^ in) & (uint8_t)~MSR_DELTAS;
	uint8_t delta = old & MSR_DELTAS;
	if (changed & MSR_CTS)
		delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		delta |= MSR_DDSR;
	if (changed & MSR_DCD)
		delta |= MSR_DDCD;
	if ((old & MSR_RI) && !(in & MSR_RI))
		delta |= MSR_TERI;
	u->msr = in | delta;
}

static void uart_write_thr(struct uart16550 *u, uint8_t byte)
{
	byte &= (uint8_t)((1u << (5 + (u->lcr & LCR_WLS_MASK))) - 1);
	if (u->mcr & MCR_LOOP)
		uart_rx_push(u, byte);
	else if (u->tx)
		u->tx(u->tx_opaque, byte);
	u->thre_pending = true;   /* THR is empty again at once */
}

static void uart_write_fcr(struct uart16550 *u, uint8_t v)
{
	static const unsigned trigger[4] = { 1, 4, 8, 14 };
	bool enable = (v & FCR_ENABLE) != 0;
	/* Switching between FIFO and 16450 mode empties the FIFOs. */
	if (enable != u->fifo_enabled) {
		uart_rx_clear(u);
		u->fifo_enabled = enable;
	}
	/* The other bits are only programmed together with FCR0 = 1; the TX FIFO is always empty. */
	if (!enable)
		return;
	if (v & FCR_RX_RESET)
		uart_rx_clear(u);
	u->rx_trigger = trigger[v >> 6];
}

static uint8_t uart_read_iir(struct uart16550 *u)
{
	uint8_t id = uart_iir_id(u);
	if (id == IIR_THRE)
		u->thre_pending = false;
	u->rx_quiet = true;
	return (uint8_t)(id | (u->fifo_enabled ? IIR_FIFO_ENABLED : 0));
}

static uint8_t uart_port_read(struct uart16550 *u, uint32_t offset)
{
	uint8_t v;
	switch (offset) {
	case 0:
		return u->lcr & LCR_DLAB ? u->dll : uart_rx_pop(u);
	case 1:
		return u->lcr & LCR_DLAB ? u->dlm : u->ier;
	case 2:
		return uart_read_iir(u);
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		v = (u->rx_count ? LSR_DR : 0) | u->lsr_errors | LSR_THRE | LSR_TEMT;
		u->lsr_errors = 0;
		return v;
	case 6:
		v = u->msr;
		u->msr &= (uint8_t)~MSR_DELTAS;
		return v;
	default:
		return u->scr;
	}
}

static void uart_port_write(struct uart16550 *u, uint32_t offset, uint8_t v)
{
	switch (offset) {
	case 0:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else
			uart_write_thr(u, v);
		break;
	case 1:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		if ((v & IER_ETBEI) && !(u->ier & IER_ETBEI))
			u->thre_pending = true;
		u->ier = v & IER_MASK;
		break;
	case 2:
		uart_write_fcr(u, v);
		break;
	case 3:
		u->lcr = v;
		break;
	case 4:
		u->mcr = v & MCR_MASK;
		uart_update_modem_inputs(u);
		break;
	case 7:
		u->scr = v;
		break;
	default:
		break;   /* LSR and MSR writes (factory test) are ignored */
	}
}

/* Wider accesses are split into byte accesses to consecutive ports. */
static uint32_t uart_io_read(void *opaque, uint32_t offset, unsigned size)
{
	struct uart16550 *u = opaque;
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = offset + i < UART16550_NPORTS ? uart_port_read(u, offset + i) : 0xff;
		v |= (uint32_t)b << (8 * i);
	}
	uart_update_irq(u);
	return v;
}

static void uart_io_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct uart16550 *u = opaque;
	for (unsigned i = 0; i < size && offset + i < UART16550_NPORTS; i++)
		uart_port_write(u, offset + i, (uint8_t)(value >> (8 * i)));
	uart_update_irq(u);
}

static const struct io_ops uart_io_ops = {
	.read = uart_io_read,
	.write = uart_io_write,
};

struct uart16550 *uart16550_create(struct irq_line irq, void (*tx)(void *opaque, uint8_t byte),
				   void *tx_opaque)
{
	struct uart16550 *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->irq = irq;
	u->tx = tx;
	u->tx_opaque = tx_opaque;
	u->rx_trigger = 1;
	u->msr = uart_modem_inputs(u);
	return u;
}

void uart16550_destroy(struct uart16550 *u)
{
	free(u);
}

int uart16550_register(struct uart16550 *u, struct portmap *ports, uint16_t base)
{
	return portmap_register(ports, base, UART16550_NPORTS, &uart_io_ops, u, "uart16550");
}

size_t uart16550_rx_space(const struct uart16550 *u)
{
	if (u->mcr & MCR_LOOP)
		return 0;
	return uart_rx_capacity(u) - u->rx_count;
}

size_t uart16550_receive(struct uart16550 *u, const uint8_t *buf, size_t len)
{
	size_t n = uart16550_rx_space(u);
	if (n > len)
		n = len;
	for (size_t i = 0; i < n; i++)
		uart_rx_push(u, buf[i]);
	if (n)
		u->rx_quiet = true;   /* the burst is over */
	uart_update_irq(u);
	return n;
}
