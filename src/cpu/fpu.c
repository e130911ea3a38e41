/*
 * fpu.c - the x87 FPU and FXSAVE/FXRSTOR.
 */
#include "cpu/interp.h"

void ops_fpu_register(struct handler_table *t)
{
	(void)t;
}
