/*
 * native.c - the critical-instructions probe (guests/critical/probe.h) as
 * an ordinary 32-bit Linux process on the host: what guest user code sees
 * when it runs natively, the "native" column of `softvt demo
 * ring-compression`. The selectors probed are the guest's numbers (0x08
 * kernel code, 0x23 user data, 0x28 TSS, null); on the host they name the
 * host's descriptors, which is the point. Prints the probe's "ring3" lines.
 */
#include <stdint.h>
#include <stdio.h>

#define SEL_KCODE 0x08
#define SEL_UDATA 0x23
#define SEL_TSS   0x28

struct dtr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

#include "../critical/probe.h"

int main(void)
{
	static struct probe p;
	probe_run(&p);
	probe_print("ring3", &p);
	return 0;
}
