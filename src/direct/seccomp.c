/*
 * seccomp.c - the filter that keeps guest system calls off the host.
 *
 * Guest code running natively can reach the host kernel three ways: INT
 * 0x80 (a 32-bit host syscall), compat SYSCALL on AMD or SYSENTER on Intel
 * (32-bit fast syscalls, whose return address the kernel rewrites to its
 * vDSO landing pad before any check: Syscall User Dispatch cannot tell them
 * from the monitor's own calls), and a far jump to the 64-bit code selector
 * followed by SYSCALL at a low address. The classic-BPF program:
 *
 *	arch == AUDIT_ARCH_I386             -> SECCOMP_RET_TRAP
 *	instruction_pointer >> 32 == 0      -> SECCOMP_RET_TRAP
 *	otherwise                           -> SECCOMP_RET_ALLOW
 *
 * RET_TRAP skips the call and raises SIGSYS (si_syscall, si_arch,
 * si_call_addr), handled by enter.c. The monitor's code lives above 4 GiB
 * (PIE and shared libraries), so its own 64-bit calls pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "direct/direct.h"

#define IP_HI offsetof(struct seccomp_data, instruction_pointer) + 4

int direct_seccomp_install(void)
{
	struct sock_filter prog[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 3, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, IP_HI),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog fprog = {
		.len = sizeof(prog) / sizeof(prog[0]),
		.filter = prog,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
		return -errno;
	return 0;
}

int direct_probe(char *why, size_t whylen)
{
	struct direct_ldt l;
	struct seg_cache cs = { .sel = 0x73, .base = 0, .limit = 0xffffffffu,
				.attr = 0xb | SEG_S | 3u << SEG_DPL_SHIFT | SEG_P | SEG_DB | SEG_G };
	uint16_t sel;

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
		snprintf(why, whylen, "the host kernel has no seccomp (%s): guest system calls "
			 "could not be kept off the host", strerror(errno));
		return -1;
	}
	direct_ldt_init(&l);
	int err = direct_ldt_mirror(&l, S_CS, &cs, 0, &sel);
	if (err) {
		snprintf(why, whylen, "modify_ldt refused a 32-bit code segment (%s)", strerror(-err));
		return -1;
	}
	snprintf(why, whylen, "modify_ldt and seccomp filters work");
	return 0;
}
