/*
 * uart16550.h - National Semiconductor PC16550D UART (a PC COM port).
 *
 * The guest side is 8 I/O ports; the host side is a transmit callback
 * (called once per character the guest sends, e.g. console_write) and
 * uart16550_receive() for characters typed on the host, which accepts only
 * what fits in the receiver FIFO: the host keeps the rest and retries,
 * so input is never lost to an overrun.
 */
#ifndef SOFTVT_DEVICES_UART16550_H
#define SOFTVT_DEVICES_UART16550_H

#include <stddef.h>
#include <stdint.h>

#include "devices/io.h"
#include "devices/portmap.h"

#define UART16550_COM1_BASE 0x3f8
#define UART16550_COM2_BASE 0x2f8
#define UART16550_NPORTS 8

struct uart16550;

/* tx may be NULL (output discarded). */
struct uart16550 *uart16550_create(struct irq_line irq, void (*tx)(void *opaque, uint8_t byte),
				   void *tx_opaque);
void uart16550_destroy(struct uart16550 *u);
/* Claims ports base..base+7. Returns 0, or -1 if they are taken. */
int uart16550_register(struct uart16550 *u, struct portmap *ports, uint16_t base);
/* Queues host input; returns how many bytes of buf were accepted. */
size_t uart16550_receive(struct uart16550 *u, const uint8_t *buf, size_t len);
/* Bytes uart16550_receive() would accept now (0 in loopback mode). */
size_t uart16550_rx_space(const struct uart16550 *u);

#endif
