/*
 * dispatch.h - choosing the handler of a decoded instruction.
 *
 * dispatch_bind() runs once per decode: it stores in the instruction the
 * handler to call (an operand-specialized one from ops_fast.c when the
 * form has one, else the generic handler of the mnemonic, else one that
 * raises #UD or reports the gap) and whether the instruction ends its
 * block (cpu/block.h): everything that may branch, deliver an event,
 * touch ports, or change segments, control registers, IF, TF or the
 * interrupt shadow does.
 */
#ifndef SOFTVT_CPU_DISPATCH_H
#define SOFTVT_CPU_DISPATCH_H

#include "cpu/decode.h"

/* Fills i->fn, i->ends_block and i->keeps_env. */
void dispatch_bind(struct insn *i);

/* The operand-specialized handler for i's form, or NULL (ops_fast.c). */
insn_handler ops_fast_select(const struct insn *i);

/* Binds pairs of adjacent instructions of the n of a block to fused
 * handlers where it can (ops_fuse.c); after dispatch_bind of each. */
void ops_fuse_bind(struct insn *insn, unsigned n);

#endif
