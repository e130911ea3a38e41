/*
 * bpf.c - building seccomp programs rule by rule (see bpf.h).
 *
 * Placeholders: a condition's failing branch is emitted with offset 0 and
 * remembered in patch[]; bpf_rule_end() emits the RET and points every
 * remembered branch at the instruction after it. An offset that does not
 * fit in 8 bits marks the program as overflowed (the installer refuses it).
 */
#include "jail/bpf.h"

#include <linux/seccomp.h>
#include <stddef.h>

#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))
#define ARG_HI(i) (ARG_LO(i) + 4)

void bpf_init(struct bpf_prog *p)
{
	p->n = 0;
	p->overflow = false;
	p->npatch = 0;
}

void bpf_jump(struct bpf_prog *p, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	if (p->n >= BPF_MAX_INSNS) {
		p->overflow = true;
		return;
	}
	p->insn[p->n++] = (struct sock_filter){ code, jt, jf, k };
}

void bpf_stmt(struct bpf_prog *p, uint16_t code, uint32_t k)
{
	bpf_jump(p, code, k, 0, 0);
}

void bpf_ret(struct bpf_prog *p, uint32_t action)
{
	bpf_stmt(p, BPF_RET | BPF_K, action);
}

static void remember(struct bpf_prog *p, bool jt)
{
	if (p->npatch >= BPF_MAX_PATCH || p->n == 0) {
		p->overflow = true;
		return;
	}
	p->patch[p->npatch] = p->n - 1;
	p->patch_jt[p->npatch] = jt;
	p->npatch++;
}

void bpf_rule(struct bpf_prog *p, int nr)
{
	p->npatch = 0;
	bpf_stmt(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	bpf_jump(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 0);
	remember(p, false);
}

static void word_in(struct bpf_prog *p, uint32_t off, const uint32_t *vals, unsigned n)
{
	bpf_stmt(p, BPF_LD | BPF_W | BPF_ABS, off);
	if (n == 0) {
		bpf_jump(p, BPF_JMP | BPF_JA, 0, 0, 0);   /* never: the rule cannot apply */
		remember(p, false);
		return;
	}
	for (unsigned j = 0; j + 1 < n; j++)
		bpf_jump(p, BPF_JMP | BPF_JEQ | BPF_K, vals[j], (uint8_t)(n - 1 - j), 0);
	bpf_jump(p, BPF_JMP | BPF_JEQ | BPF_K, vals[n - 1], 0, 0);
	remember(p, false);
}

void bpf_arg_in(struct bpf_prog *p, unsigned i, const uint32_t *vals, unsigned n)
{
	word_in(p, ARG_LO(i), vals, n);
}

void bpf_arg_hi_is(struct bpf_prog *p, unsigned i, uint32_t hi)
{
	word_in(p, ARG_HI(i), &hi, 1);
}

void bpf_arg_clear(struct bpf_prog *p, unsigned i, uint32_t mask)
{
	bpf_stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(i));
	bpf_jump(p, BPF_JMP | BPF_JSET | BPF_K, mask, 0, 0);
	remember(p, true);
}

void bpf_arg_set(struct bpf_prog *p, unsigned i, uint32_t mask)
{
	bpf_stmt(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(i));
	bpf_stmt(p, BPF_ALU | BPF_AND | BPF_K, mask);
	bpf_jump(p, BPF_JMP | BPF_JEQ | BPF_K, mask, 0, 0);
	remember(p, false);
}

void bpf_rule_end(struct bpf_prog *p, uint32_t action)
{
	bpf_ret(p, action);
	for (unsigned j = 0; j < p->npatch; j++) {
		unsigned at = p->patch[j];
		unsigned off = p->n - at - 1;
		if (off > 255) {
			p->overflow = true;
			continue;
		}
		struct sock_filter *f = &p->insn[at];
		if (BPF_OP(f->code) == BPF_JA && BPF_CLASS(f->code) == BPF_JMP)
			f->k = off;
		else if (p->patch_jt[j])
			f->jt = (uint8_t)off;
		else
			f->jf = (uint8_t)off;
	}
	p->npatch = 0;
}

void bpf_allow_all(struct bpf_prog *p, const int *nrs, unsigned n, uint32_t action)
{
	for (unsigned i = 0; i < n; i++) {
		bpf_rule(p, nrs[i]);
		bpf_rule_end(p, action);
	}
}
