/*
 * info.c - the host report of `softvt info`.
 *
 * Each line names a host mechanism the engines rely on (architecture.md
 * sections 4-6) and whether this host has it:
 *  - Syscall User Dispatch (prctl PR_SET_SYSCALL_USER_DISPATCH): switched
 *    on and off again with an allow-all selector, so nothing is dispatched;
 *  - UMIP (CPU flag): the host kernel spoofs SGDT/SIDT/SLDT/SMSW/STR for
 *    guest user code that runs directly;
 *  - FSGSBASE (AT_HWCAP2): guest FS/GS bases map onto the host's;
 *  - vm.mmap_min_addr and vm.max_map_count: the guest window's limits;
 *  - /dev/kvm: the 32-bit probe of kvm/kvm_probe.c;
 *  - the jail (seccomp filters with SECCOMP_RET_TRAP, jail/jail.c);
 *  - the engines built in and whether each can run here.
 *
 * `softvt info --engine NAME` answers for one engine, for scripts: the
 * test runners skip (exit 77) with its reason when it cannot run here.
 */
#define _GNU_SOURCE
#include "vmm/info.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cpu/cpu_model.h"
#include "direct/direct.h"
#include "jail/jail.h"
#include "kvm/kvm_probe.h"
#include "vmm/engine.h"
#include "vmm/subcommand.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

static bool cpu_flag(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return false;
	char line[8192];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		for (char *tok = strtok(strchr(line, ':') + 1, " \n"); tok; tok = strtok(NULL, " \n"))
			if (strcmp(tok, flag) == 0)
				found = true;
		break;
	}
	fclose(f);
	return found;
}

static long read_sysctl(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static const char *sud_status(char *buf, size_t n)
{
	char selector = 0;   /* SYSCALL_DISPATCH_FILTER_ALLOW: nothing is dispatched */
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0, &selector) != 0) {
		snprintf(buf, n, "no (%s)", strerror(errno));
		return buf;
	}
	prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	return "yes (not sufficient on its own: see architecture.md section 4)";
}

int info_print(FILE *out)
{
	char buf[512];
	fprintf(out, "softvt host report\n");
	fprintf(out, "  syscall user dispatch: %s\n", sud_status(buf, sizeof(buf)));
	fprintf(out, "  UMIP: %s\n", cpu_flag("umip")
		? "yes (SGDT/SIDT/SLDT/SMSW/STR from direct-executed guest user code are spoofed by the host kernel)"
		: "no");
	fprintf(out, "  FSGSBASE: %s\n", (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) ? "yes" : "no");
	fprintf(out, "  vm.mmap_min_addr: 0x%lx\n", read_sysctl("/proc/sys/vm/mmap_min_addr"));
	fprintf(out, "  vm.max_map_count: %ld\n", read_sysctl("/proc/sys/vm/max_map_count"));
	int dir = direct_probe(buf, sizeof(buf));
	fprintf(out, "  direct execution of guest user code (bt --user direct): %s: %s\n",
		dir == 0 ? "yes" : "no", buf);
	int kvm = kvm_probe_32bit(buf, sizeof(buf));
	fprintf(out, "  /dev/kvm for 32-bit guests: %s: %s\n", kvm == 0 ? "yes" : "no", buf);
	int jail = jail_probe(buf, sizeof(buf));
	fprintf(out, "  jail (softvt run --jail on, the default): %s: %s\n",
		jail == 0 ? "available" : "unavailable", buf);

	struct cpu_model model;
	cpu_model_init(&model, 0);
	fprintf(out, "virtual CPU: %s, %s, CPUID.1:EAX=%08x, features:", model.brand, model.vendor,
		model.signature);
	for (unsigned bit = 0; bit < 32; bit++)
		if (model.edx_features & (1u << bit))
			fprintf(out, " %s", cpu_model_feature_name(bit));
	fprintf(out, "\n");
	struct cpu_model simd = model;
	uint64_t xcr0 = cpu_model_add_host_simd(&simd);
	fprintf(out, "  where guest user code runs natively (--user direct, naive), plus this host's:%s%s%s%s%s",
		simd.edx_features & CPUID_SSE ? " sse" : "", simd.edx_features & CPUID_SSE2 ? " sse2" : "",
		xcr0 ? " xsave" : "", simd.ecx_features & CPUID_ECX_AVX ? " avx" : "",
		simd.leaf7_ebx & CPUID7_EBX_AVX512F ? " avx512f" : "");
	if (xcr0)
		fprintf(out, " (XCR0 bits 0x%llx, %u-byte XSAVE area)", (unsigned long long)xcr0,
			simd.xsave_size);
	fprintf(out, "\n");

	fprintf(out, "engines:\n");
	for (size_t i = 0; softvt_engine_names[i]; i++) {
		const struct engine_ops *ops = engine_find(softvt_engine_names[i]);
		if (!ops) {
			fprintf(out, "  %-7s not built yet\n", softvt_engine_names[i]);
			continue;
		}
		char why[512] = "";
		int ok = ops->probe ? ops->probe(why, sizeof(why)) : 0;
		fprintf(out, "  %-7s %s%s%s - %s\n", ops->name, ok == 0 ? "available" : "unavailable",
			why[0] ? ": " : "", why, ops->summary);
	}
	return 0;
}

int info_engine(const char *name, FILE *out)
{
	char why[600];
	if (subcommand_engine_ready(name, why, sizeof(why)) < 0) {
		fprintf(out, "%s: unavailable: %s\n", name, why);
		return 1;
	}
	fprintf(out, "%s: available\n", name);
	return 0;
}
