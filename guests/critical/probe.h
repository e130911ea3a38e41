/*
 * probe.h - the critical-instructions probe itself, shared by the guest
 * (critical.c, ring 0 and ring 3 of a test kernel) and the native host
 * program (guests/critical-native/native.c, a 32-bit Linux process): the
 * same instructions, the same output lines, so `softvt demo
 * ring-compression` can set them side by side. The includer provides
 * printf() and SEL_KCODE, SEL_UDATA, SEL_TSS, and struct dtr.
 */
#ifndef SOFTVT_GUESTS_CRITICAL_PROBE_H
#define SOFTVT_GUESTS_CRITICAL_PROBE_H

#define NSEL 4

static const uint16_t probe_sels[NSEL] = { SEL_KCODE, SEL_UDATA, SEL_TSS, 0 };

struct sel_probe {
	uint32_t ar, limit;
	uint8_t lar_zf, lsl_zf, verr_zf, verw_zf;
};

struct probe {
	struct dtr gdtr, idtr;
	uint16_t ldtr, tr, msw, cs, ss;
	uint32_t eflags, eflags_after_popf;
	struct sel_probe sel[NSEL];
};

/* Runs in ring 0 or ring 3: only unprivileged instructions. */
static uint32_t probe_run(void *arg)
{
	struct probe *p = arg;

	asm volatile("sgdt %0" : "=m"(p->gdtr));
	asm volatile("sidt %0" : "=m"(p->idtr));
	asm volatile("sldt %0" : "=r"(p->ldtr));
	asm volatile("str %0" : "=r"(p->tr));
	asm volatile("smsw %0" : "=r"(p->msw));
	asm volatile("pushfl\n\tpopl %0" : "=r"(p->eflags));
	asm volatile("pushfl\n\t"
		     "andl $~0x200, (%%esp)\n\t"
		     "popfl\n\t"
		     "pushfl\n\t"
		     "popl %0" : "=r"(p->eflags_after_popf) : : "cc");
	for (unsigned i = 0; i < NSEL; i++) {
		uint32_t sel = probe_sels[i];
		struct sel_probe *s = &p->sel[i];

		s->ar = s->limit = 0;
		asm volatile("larl %2, %0\n\tsetz %1" : "+r"(s->ar), "=q"(s->lar_zf) : "r"(sel) : "cc");
		asm volatile("lsll %2, %0\n\tsetz %1" : "+r"(s->limit), "=q"(s->lsl_zf) : "r"(sel) : "cc");
		asm volatile("verr %w1\n\tsetz %0" : "=q"(s->verr_zf) : "r"(sel) : "cc");
		asm volatile("verw %w1\n\tsetz %0" : "=q"(s->verw_zf) : "r"(sel) : "cc");
	}
	asm volatile("movw %%cs, %0" : "=r"(p->cs));
	asm volatile("movw %%ss, %0" : "=r"(p->ss));
	return 0;
}

static void probe_print(const char *ring, const struct probe *p)
{
	printf("%s sgdt base=%08x limit=%04x\n", ring, p->gdtr.base, p->gdtr.limit);
	printf("%s sidt base=%08x limit=%04x\n", ring, p->idtr.base, p->idtr.limit);
	printf("%s sldt sel=%04x\n", ring, p->ldtr);
	printf("%s str sel=%04x\n", ring, p->tr);
	printf("%s smsw msw=%04x\n", ring, p->msw);
	printf("%s pushf if=%u iopl=%u\n", ring, (p->eflags >> 9) & 1, (p->eflags >> 12) & 3);
	printf("%s popf if=%u (after popping IF=0)\n", ring, (p->eflags_after_popf >> 9) & 1);
	for (unsigned i = 0; i < NSEL; i++) {
		const struct sel_probe *s = &p->sel[i];

		printf("%s lar %04x zf=%u", ring, probe_sels[i], s->lar_zf);
		if (s->lar_zf)
			printf(" ar=%08x", s->ar & 0x00f0ff00);
		printf("\n%s lsl %04x zf=%u", ring, probe_sels[i], s->lsl_zf);
		if (s->lsl_zf)
			printf(" limit=%08x", s->limit);
		printf("\n%s verr %04x zf=%u\n", ring, probe_sels[i], s->verr_zf);
		printf("%s verw %04x zf=%u\n", ring, probe_sels[i], s->verw_zf);
	}
	printf("%s mov cs=%04x rpl=%u\n", ring, p->cs, p->cs & 3);
	printf("%s mov ss=%04x rpl=%u\n", ring, p->ss, p->ss & 3);
}

#endif
