/*
 * engines.c - the table of execution engines built into this binary.
 */
#include "vmm/engine.h"

#include <string.h>

extern const struct engine_ops engine_interp;
extern const struct engine_ops engine_bt;
extern const struct engine_ops engine_naive;
extern const struct engine_ops engine_kvm;

/* --accel auto takes the first whose probe succeeds: the translator, else the interpreter
   (interp runs everywhere, so kvm - for comparing with hardware-assisted virtualization -
   and "naive", the teaching model, are only ever chosen by name). */
const struct engine_ops *const softvt_engines[] = { &engine_bt, &engine_interp, &engine_kvm,
						    &engine_naive };
const size_t softvt_engine_count = sizeof(softvt_engines) / sizeof(softvt_engines[0]);

const char *const softvt_engine_names[] = { "interp", "bt", "kvm", "naive", NULL };

const struct engine_ops *engine_find(const char *name)
{
	for (size_t i = 0; i < softvt_engine_count; i++)
		if (strcmp(softvt_engines[i]->name, name) == 0)
			return softvt_engines[i];
	return NULL;
}
