/*
 * kmemread - user code reads guest kernel memory: one byte at 0xC0000000,
 * the first byte of the kernel's direct map on a 3G/1G i386 kernel (mapped,
 * supervisor-only). On real hardware the read is a #PF (present, user mode)
 * and the kernel kills the process with SIGSEGV, si_addr = 0xc0000000. Under
 * direct execution the host CPU raises #GP instead (the guest's user segments
 * are truncated below 0xC0000000 in the shared window), which the monitor must
 * turn into the same #PF: a plain SIGSEGV with si_code SI_KERNEL and no address
 * would betray the virtualisation.
 *
 *   kmemread [ADDR]     default 0xc0000000
 *
 * The handler prints what the kernel reported, then restores the default
 * action and returns, so the read faults again and the process dies of
 * SIGSEGV (the shell prints "Segmentation fault", $? is 139). If the read
 * succeeds, it prints the byte and exits 1.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progs.h"

static const char *segv_code_name(int code)
{
	switch (code) {
	case SEGV_MAPERR:
		return "SEGV_MAPERR";
	case SEGV_ACCERR:
		return "SEGV_ACCERR";
	case SI_KERNEL:
		return "SI_KERNEL";
	default:
		return "other";
	}
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	char line[160];
	int len;

	len = snprintf(line, sizeof(line),
		       "kmemread: SIGSEGV si_code=%d (%s) si_addr=%p\n",
		       si->si_code, segv_code_name(si->si_code), si->si_addr);
	write(STDOUT_FILENO, line, len);
	signal(SIGSEGV, SIG_DFL);
}

int kmemread_main(int argc, char **argv)
{
	unsigned long addr = argc > 1 ? strtoul(argv[1], NULL, 0) : 0xc0000000ul;
	struct sigaction sa;
	unsigned char v;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	printf("kmemread: reading the byte at %#lx\n", addr);
	fflush(stdout);
	v = *(volatile unsigned char *)addr;
	printf("kmemread: read %#04x: kernel memory is readable from user mode\n", v);
	return 1;
}
