/*
 * cpu_loop - a CPU-bound integer loop: no system calls, no page faults after
 * start-up, so under direct execution it should run at native speed (issue 5
 * target: >= 0.95x native). Each iteration is one step of a linear
 * congruential generator plus an add, ~4 instructions with a dependency
 * chain through the multiply; the empty asm keeps gcc from folding or
 * vectorising the loop.
 *
 *   cpu_loop [ITERATIONS]     default 1,000,000,000 (~1.1 s natively here)
 *
 * The checksum (check=) depends only on ITERATIONS: every engine must print
 * the native value.
 */
#include <stdio.h>

#include "progs.h"

int cpu_loop_main(int argc, char **argv)
{
	uint32_t n = arg_count(argc, argv, 1000000000u);
	uint32_t x = 12345, sum = 0, i;
	uint64_t t0, t1;
	char extra[32];

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		sum += x >> 16;
		__asm__ volatile("" : "+r"(x), "+r"(sum));
	}
	t1 = now_ns();
	snprintf(extra, sizeof(extra), "check=%08x", sum);
	bench_report("cpu_loop", n, t1 - t0, extra);
	return 0;
}
