/*
 * redpill - the classic VM-detection tricks (tricks.h) run by ring-3 code of
 * a small kernel, for `softvt demo redpill`. The kernel runs without an LDT
 * (LDTR = 0, as the systems No Pill was written for) and prints, next to
 * what ring 3 saw, what it set itself ("kernel ..." lines), so the demo can
 * tell a trick that sees the guest's own machine from one that sees the host.
 */
#include "guest.h"
#include "tricks.h"

static struct tricks seen;

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	struct dtr g, i;
	(void)magic, (void)mbi;
	lldt(0);
	sgdt(&g);
	sidt(&i);
	user_call(tricks_run, &seen, 0x2 | EFLAGS_IF);
	printf("kernel sidt %08x\n", i.base);
	printf("kernel sgdt %08x\n", g.base);
	printf("kernel sldt 0000\n");
	printf("kernel str %04x\n", SEL_TSS);
	printf("kernel smsw %04x\n", read_cr0() & 0xffff);
	tricks_print(&seen);
}
