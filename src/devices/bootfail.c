/*
 * bootfail.c - the BIOS's boot-failure port (see bootfail.h).
 */
#include "devices/bootfail.h"

#include <stdlib.h>

struct bootfail {
	void (*report)(void *opaque, unsigned code);
	void *opaque;
};

static uint32_t bootfail_read(void *opaque, uint32_t offset, unsigned size)
{
	return 0xffffffffu;
}

static void bootfail_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct bootfail *bf = opaque;
	if (bf->report)
		bf->report(bf->opaque, value & 0xff);
}

static const struct io_ops bootfail_ops = { bootfail_read, bootfail_write };

struct bootfail *bootfail_create(void (*report)(void *opaque, unsigned code), void *opaque)
{
	struct bootfail *bf = calloc(1, sizeof(*bf));
	if (!bf)
		return NULL;
	bf->report = report;
	bf->opaque = opaque;
	return bf;
}

void bootfail_destroy(struct bootfail *bf)
{
	free(bf);
}

int bootfail_register(struct bootfail *bf, struct portmap *ports, uint16_t base)
{
	return portmap_register(ports, base, 1, &bootfail_ops, bf, "BIOS boot-failure port");
}
