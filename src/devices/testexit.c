/*
 * testexit.c - test-exit port 0xF4 (see testexit.h).
 */
#include "devices/testexit.h"

#include <stdlib.h>

struct testexit {
	void (*exit_request)(void *opaque, int code);
	void *opaque;
};

static uint32_t testexit_read(void *opaque, uint32_t offset, unsigned size)
{
	return 0xffffffffu;
}

static void testexit_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct testexit *te = opaque;
	if (te->exit_request)
		te->exit_request(te->opaque, (int)(value & 0xff));
}

static const struct io_ops testexit_ops = { testexit_read, testexit_write };

struct testexit *testexit_create(void (*exit_request)(void *opaque, int code), void *opaque)
{
	struct testexit *te = calloc(1, sizeof(*te));
	if (!te)
		return NULL;
	te->exit_request = exit_request;
	te->opaque = opaque;
	return te;
}

void testexit_destroy(struct testexit *te)
{
	free(te);
}

int testexit_register(struct testexit *te, struct portmap *ports)
{
	return portmap_register(ports, 0xf4, 1, &testexit_ops, te, "test exit");
}
