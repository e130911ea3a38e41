/*
 * pgfault - the cost of a page fault: map N fresh anonymous pages and write
 * one byte to each, so that every write is a not-present fault the kernel
 * answers with a zeroed page (the pgfault of Adams & Agesen: 1,093 cycles
 * native, 3,927 under VMware's BT, 11,242 under first-generation VT). In the
 * guest each fault is a guest #PF to the guest kernel plus, under engine bt,
 * the shadow-paging work for the new mapping. The mapping is not populated
 * in advance (no MAP_POPULATE) and transparent huge pages are refused
 * (MADV_NOHUGEPAGE natively; the guest kernel has none on i386 without PAE).
 *
 *   pgfault [N]     default 16,384 pages (64 MiB)
 */
#include <stdio.h>
#include <sys/mman.h>

#include "progs.h"

#define PAGE 4096u

int pgfault_main(int argc, char **argv)
{
	uint32_t n = arg_count(argc, argv, 16384u);
	volatile unsigned char *p;
	uint64_t t0, t1;
	uint32_t i, sum = 0;

	p = mmap(NULL, (size_t)n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("pgfault: mmap");
		return 1;
	}
	madvise((void *)p, (size_t)n * PAGE, MADV_NOHUGEPAGE);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		p[(size_t)i * PAGE] = (unsigned char)i;
	t1 = now_ns();
	for (i = 0; i < n; i++)
		sum += p[(size_t)i * PAGE] != (unsigned char)i;
	if (sum) {
		fprintf(stderr, "pgfault: %u pages lost their byte\n", sum);
		return 1;
	}
	munmap((void *)p, (size_t)n * PAGE);
	bench_report("pgfault", n, t1 - t0, NULL);
	return 0;
}
