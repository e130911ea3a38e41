/*
 * tricks.h - the classic VM-detection tricks, run from user mode, shared by
 * the redpill guest (guests/redpill) and its native host twin
 * (guests/redpill-native): the same instructions, the same output lines,
 * for `softvt demo redpill`.
 *
 *   Red Pill (J. Rutkowska, 2004)  SIDT: an IDT base above 0xd0000000 meant
 *                                   "a VMM moved the IDT" on the 32-bit systems
 *                                   of the time;
 *   SGDT, the same idea for the GDT;
 *   No Pill (Quist & Smith, 2006)   SLDT: a non-zero LDTR where the OS uses none;
 *   STR (Quist & Smith)             the task register's selector;
 *   SMSW                            CR0[15:0]: e.g. TS or a missing NE;
 *   CPUID                           the hypervisor bit (leaf 1 ECX[31]) and the
 *                                   vendor of leaf 0x40000000.
 * The includer provides printf(). Output: one "redpill NAME value" line each.
 */
#ifndef SOFTVT_GUESTS_REDPILL_TRICKS_H
#define SOFTVT_GUESTS_REDPILL_TRICKS_H

struct tricks {
	uint8_t sidt[6], sgdt[6];
	uint16_t ldtr, tr, msw;
	uint32_t cpuid1_ecx;
	char hv_vendor[13];
};

static uint32_t tricks_run(void *arg)
{
	struct tricks *t = arg;
	uint32_t a, b, c, d;

	asm volatile("sidt %0" : "=m"(t->sidt));
	asm volatile("sgdt %0" : "=m"(t->sgdt));
	asm volatile("sldt %0" : "=r"(t->ldtr));
	asm volatile("str %0" : "=r"(t->tr));
	asm volatile("smsw %0" : "=r"(t->msw));
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	t->cpuid1_ecx = c;
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000u), "c"(0));
	uint32_t v[3] = { b, c, d };
	for (unsigned i = 0; i < 12; i++) {
		char ch = (char)(v[i / 4] >> (8 * (i % 4)));
		t->hv_vendor[i] = ch > 0x20 && ch < 0x7f ? ch : '.';
	}
	t->hv_vendor[12] = '\0';
	return 0;
}

static uint32_t tricks_base(const uint8_t dtr[6])
{
	return (uint32_t)dtr[2] | (uint32_t)dtr[3] << 8 | (uint32_t)dtr[4] << 16 |
	       (uint32_t)dtr[5] << 24;
}

static void tricks_print(const struct tricks *t)
{
	printf("redpill sidt %08x\n", tricks_base(t->sidt));
	printf("redpill sgdt %08x\n", tricks_base(t->sgdt));
	printf("redpill sldt %04x\n", t->ldtr);
	printf("redpill str %04x\n", t->tr);
	printf("redpill smsw %04x\n", t->msw);
	printf("redpill cpuid-hv %u\n", t->cpuid1_ecx >> 31);
	printf("redpill cpuid-40000000 %s\n", t->hv_vendor);
}

#endif
