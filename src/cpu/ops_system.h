/*
 * ops_system.h - system-instruction helpers shared with other handler
 * files: control/debug register moves (reached through MOV) and port I/O
 * with its permission checks (IN/OUT here, INS/OUTS in ops_string.c).
 */
#ifndef SOFTVT_CPU_OPS_SYSTEM_H
#define SOFTVT_CPU_OPS_SYSTEM_H

#include <stdint.h>

#include "cpu/decode.h"
#include "cpu/vcpu.h"

void sys_mov_cr(struct vcpu *v, const struct insn *i);
void sys_mov_dr(struct vcpu *v, const struct insn *i);

/* #GP(0) unless CPL <= IOPL or the TSS I/O bitmap allows [port, port+size) (SDM vol. 1 18.5). */
void io_check(struct vcpu *v, uint16_t port, unsigned size);
uint32_t io_in(struct vcpu *v, uint16_t port, unsigned size);
void io_out(struct vcpu *v, uint16_t port, unsigned size, uint32_t value);

#endif
