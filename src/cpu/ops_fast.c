/*
 * ops_fast.c - operand-specialized handlers for the hottest instruction
 * forms (see dispatch.h). Filled in below.
 */
#include "cpu/dispatch.h"

#include <stddef.h>

insn_handler ops_fast_select(const struct insn *i)
{
	return NULL;
}
