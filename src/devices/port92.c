/*
 * port92.c - System Control Port A (see port92.h for the bit layout).
 */
#include "devices/port92.h"

#include <stdlib.h>

#define P92_RESET 0x01
#define P92_A20 0x02
#define P92_STORED 0xfc

struct port92 {
	struct board_lines host;
	uint8_t stored;         /* bits 2-7 as last written */
	bool a20;               /* used when the host has no get_a20 */
};

static bool get_a20(const struct port92 *p)
{
	return p->host.get_a20 ? p->host.get_a20(p->host.opaque) : p->a20;
}

static uint32_t port92_read(void *opaque, uint32_t offset, unsigned size)
{
	struct port92 *p = opaque;
	return 0xffffff00u | p->stored | (get_a20(p) ? P92_A20 : 0);
}

/* The reset goes last: the machine may act on it before returning. */
static void port92_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct port92 *p = opaque;
	bool a20 = value & P92_A20;
	p->stored = value & P92_STORED;
	if (a20 != get_a20(p)) {
		p->a20 = a20;
		if (p->host.set_a20)
			p->host.set_a20(p->host.opaque, a20);
	}
	if ((value & P92_RESET) && p->host.reset)
		p->host.reset(p->host.opaque);
}

static const struct io_ops port92_ops = { port92_read, port92_write };

struct port92 *port92_create(const struct board_lines *host)
{
	struct port92 *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (host)
		p->host = *host;
	p->a20 = true;
	return p;
}

void port92_destroy(struct port92 *p)
{
	free(p);
}

int port92_register(struct port92 *p, struct portmap *ports)
{
	return portmap_register(ports, 0x92, 1, &port92_ops, p, "port 0x92 (system control A)");
}
