/*
 * getpid - system calls per second: N calls of syscall(SYS_getpid), the
 * cheapest round trip into the kernel and back (glibc's getpid() may be
 * cached, so the system call is made explicitly). glibc enters the kernel
 * through the vDSO's __kernel_vsyscall (AT_SYSINFO): SYSENTER where the guest
 * kernel chose it (the CPU has SEP), else INT 0x80. Under direct execution
 * each call is one exit to the monitor and one re-entry.
 *
 *   getpid [N]     default 200,000
 */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "progs.h"

int getpid_main(int argc, char **argv)
{
	uint32_t n = arg_count(argc, argv, 200000u);
	long pid = syscall(SYS_getpid), bad = 0;
	uint64_t t0, t1;
	uint32_t i;

	t0 = now_ns();
	for (i = 0; i < n; i++)
		bad += syscall(SYS_getpid) != pid;
	t1 = now_ns();
	if (bad) {
		fprintf(stderr, "getpid: %ld calls returned another pid\n", bad);
		return 1;
	}
	bench_report("getpid", n, t1 - t0, NULL);
	return 0;
}
