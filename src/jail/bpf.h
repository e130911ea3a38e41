/*
 * bpf.h - a small builder for classic-BPF seccomp programs.
 *
 * A program is a list of rules, each a self-contained block:
 *
 *	LD  nr
 *	JEQ #NR, 0, <end of block>       rule for system call NR
 *	  LD  arg; JEQ/JSET ..., fail -> <end of block>     zero or more conditions
 *	RET action
 *	<end of block>: the next rule
 *
 * so jumps only go forward, to the end of their own block (classic BPF has
 * 8-bit forward offsets; a block stays far below 255 instructions). Argument
 * conditions look at the low 32 bits of an argument (every argument they
 * are used on - fds, ioctl commands, pids, prot and flags bits - is an int
 * or unsigned int in the kernel, which ignores the high half), except
 * bpf_arg_hi_is(), which looks at the high half of an address.
 *
 * Example: write(2, ...) allowed, anything else trapped:
 *	bpf_init(&p);
 *	bpf_rule(&p, SYS_write); bpf_arg_in(&p, 0, (uint32_t[]){ 2 }, 1);
 *	bpf_rule_end(&p, SECCOMP_RET_ALLOW);
 *	bpf_ret(&p, SECCOMP_RET_TRAP);
 */
#ifndef SOFTVT_JAIL_BPF_H
#define SOFTVT_JAIL_BPF_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#define BPF_MAX_INSNS 512
#define BPF_MAX_PATCH 32

struct bpf_prog {
	struct sock_filter insn[BPF_MAX_INSNS];
	unsigned n;
	bool overflow;                /* too many instructions or an over-long block */
	unsigned patch[BPF_MAX_PATCH];  /* jumps of the open rule to its end: insn index */
	bool patch_jt[BPF_MAX_PATCH];   /* ... true: patch jt, false: jf */
	unsigned npatch;
};

void bpf_init(struct bpf_prog *p);
void bpf_stmt(struct bpf_prog *p, uint16_t code, uint32_t k);
void bpf_jump(struct bpf_prog *p, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf);
/* RET k. */
void bpf_ret(struct bpf_prog *p, uint32_t action);

/* Opens a rule for system call nr (the block is skipped for other numbers). */
void bpf_rule(struct bpf_prog *p, int nr);
/* The rule applies only if the low 32 bits of argument i are one of vals[0..n). */
void bpf_arg_in(struct bpf_prog *p, unsigned i, const uint32_t *vals, unsigned n);
/* ... only if the high 32 bits of argument i are hi (an address: hi 0 is below 4 GiB). */
void bpf_arg_hi_is(struct bpf_prog *p, unsigned i, uint32_t hi);
/* ... only if none of the bits in mask are set in argument i. */
void bpf_arg_clear(struct bpf_prog *p, unsigned i, uint32_t mask);
/* ... only if all of the bits in mask are set in argument i. */
void bpf_arg_set(struct bpf_prog *p, unsigned i, uint32_t mask);
/* Closes the rule: RET action when every condition held. */
void bpf_rule_end(struct bpf_prog *p, uint32_t action);

/* The same rule for several system calls without conditions. */
void bpf_allow_all(struct bpf_prog *p, const int *nrs, unsigned n, uint32_t action);

#endif
