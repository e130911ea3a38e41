/*
 * debugcon.c - debug console port 0xE9 (see debugcon.h).
 */
#include "devices/debugcon.h"

#include <stdlib.h>

#define DEBUGCON_PORT 0xe9

struct debugcon {
	void (*out)(void *opaque, uint8_t byte);
	void *opaque;
};

static uint32_t debugcon_read(void *opaque, uint32_t offset, unsigned size)
{
	return 0xffffff00u | DEBUGCON_PORT;
}

static void debugcon_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct debugcon *dc = opaque;
	if (dc->out)
		dc->out(dc->opaque, (uint8_t)value);
}

static const struct io_ops debugcon_ops = { debugcon_read, debugcon_write };

struct debugcon *debugcon_create(void (*out)(void *opaque, uint8_t byte), void *opaque)
{
	struct debugcon *dc = calloc(1, sizeof(*dc));
	if (!dc)
		return NULL;
	dc->out = out;
	dc->opaque = opaque;
	return dc;
}

void debugcon_destroy(struct debugcon *dc)
{
	free(dc);
}

int debugcon_register(struct debugcon *dc, struct portmap *ports)
{
	return portmap_register(ports, DEBUGCON_PORT, 1, &debugcon_ops, dc, "debug console");
}
