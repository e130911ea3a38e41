/*
 * cpu_loop - a CPU-bound integer loop: no system calls, no page faults after
 * start-up, so under direct execution it should run at native speed (issue 5
 * target: >= 0.95x native). Each iteration advances three independent
 * generators (a multiply-add, a xorshift, a rotate-add) and reads and writes
 * a 4 KiB table, ~20 instructions that a modern core runs several at a time:
 * the loop is bound by instruction throughput, not by one latency chain, so
 * any instruction an engine adds shows in the time (a single multiply chain
 * ran as fast under QEMU TCG as natively). The empty asm keeps gcc from
 * folding or vectorising it.
 *
 *   cpu_loop [ITERATIONS]     default 500,000,000 (~1.2 s natively here)
 *
 * The checksum (check=) depends only on ITERATIONS: every engine must print
 * the native value.
 */
#include <stdio.h>

#include "progs.h"

int cpu_loop_main(int argc, char **argv)
{
	uint32_t n = arg_count(argc, argv, 500000000u);
	uint32_t a = 12345, b = 2463534242u, c = 0, d = 0x9e3779b9u, i;
	static uint32_t table[1024];
	uint64_t t0, t1;
	char extra[32];

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		a = a * 1103515245u + 12345u;
		b ^= b << 13;
		b ^= b >> 17;
		b ^= b << 5;
		d = ((d << 7) | (d >> 25)) + i;
		c += table[a >> 22];
		table[b & 1023] = c ^ d;
		__asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d));
	}
	t1 = now_ns();
	snprintf(extra, sizeof(extra), "check=%08x", a ^ b ^ c ^ d);
	bench_report("cpu_loop", n, t1 - t0, extra);
	return 0;
}
