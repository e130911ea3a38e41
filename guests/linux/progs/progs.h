/*
 * progs.h - the static i386 Linux programs that run inside the default guest
 * (docs/USER_PROGRAMS.md).
 *
 * They are one multi-call binary, softvt-progs, like busybox: a static glibc
 * program is ~700 KiB, and seven of them would triple the initramfs that every
 * boot unpacks. scripts/fetch-guest.sh puts it in /bin with one symlink per
 * program; `softvt-progs NAME ARGS` works too. The same binary runs natively
 * on the host as a 32-bit process, for the ratio to native.
 *
 * Benchmarks print exactly one line each, for bench/user_programs.sh:
 *   BENCH cpu_loop iters=500000000 ns=812345678 ns_per_op=1.62 ops_per_s=615543210 check=...
 */
#ifndef SOFTVT_PROGS_H
#define SOFTVT_PROGS_H

#include <stdint.h>

/* X(name): every program, its entry point is name_main(argc, argv). */
#define SOFTVT_PROGS(X) \
	X(cpu_loop)     \
	X(getpid)       \
	X(forkwait)     \
	X(pgfault)      \
	X(kmemread)     \
	X(hostile)      \
	X(ufaults)      \
	X(simdstate)

#define DECLARE_PROG(name) int name##_main(int argc, char **argv);
SOFTVT_PROGS(DECLARE_PROG)
#undef DECLARE_PROG

/* Monotonic clock in nanoseconds (the guest's clock inside the guest). */
uint64_t now_ns(void);

/* The count argument argv[1] if present (decimal, > 0), else fallback; exits on junk. */
uint32_t arg_count(int argc, char **argv, uint32_t fallback);

/* Print the BENCH line of name: ops operations took ns; extra is appended if not NULL. */
void bench_report(const char *name, uint64_t ops, uint64_t ns, const char *extra);

#endif
