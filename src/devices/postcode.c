/*
 * postcode.c - POST code port 0x80 (see postcode.h). A wide write keeps
 * only the byte of port 0x80 itself.
 */
#include "devices/postcode.h"

#include <stdlib.h>

struct postcode {
	FILE *trace;
	uint8_t last;
	uint64_t count;
};

static uint32_t postcode_read(void *opaque, uint32_t offset, unsigned size)
{
	const struct postcode *pc = opaque;
	return 0xffffff00u | pc->last;
}

static void postcode_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct postcode *pc = opaque;
	pc->last = (uint8_t)value;
	pc->count++;
	if (pc->trace)
		fprintf(pc->trace, "POST 0x%02x\n", pc->last);
}

static const struct io_ops postcode_ops = { postcode_read, postcode_write };

struct postcode *postcode_create(FILE *trace)
{
	struct postcode *pc = calloc(1, sizeof(*pc));
	if (pc)
		pc->trace = trace;
	return pc;
}

void postcode_destroy(struct postcode *pc)
{
	free(pc);
}

int postcode_register(struct postcode *pc, struct portmap *ports)
{
	return portmap_register(ports, 0x80, 1, &postcode_ops, pc, "POST code");
}

uint8_t postcode_last(const struct postcode *pc)
{
	return pc->last;
}

uint64_t postcode_count(const struct postcode *pc)
{
	return pc->count;
}
