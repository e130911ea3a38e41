/*
 * kvm_probe.c - the 32-bit KVM capability probe (see kvm_probe.h).
 *
 * Guest memory (2 MiB): 0x1000 page directory (entry 0: 4 MiB page at 0,
 * present, writable, PS), 0x2000 code: mov al,0x42; out 0x80,al; hlt.
 * Expected exits: KVM_EXIT_IO (out, port 0x80, 0x42), then KVM_EXIT_HLT.
 * Each KVM_RUN is bounded by a one-shot 2 s timer (SIGALRM, no restart).
 */
#include "kvm/kvm_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#define PROBE_MEM (2u << 20)

struct probe {
	int kvm, vm, vcpu;
	uint8_t *mem;
	struct kvm_run *run;
	size_t run_size;
};

static int probe_fail(char *why, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int probe_fail(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static const char *provider_hint(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0 ? " (kvm_pvm, a software hypervisor)" : "";
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_SHUTDOWN: return "a shutdown (triple fault)";
	case KVM_EXIT_FAIL_ENTRY: return "a failed VM entry";
	case KVM_EXIT_EXCEPTION: return "an exception exit";
	case KVM_EXIT_MMIO: return "an MMIO exit";
	case KVM_EXIT_HLT: return "a HLT exit";
	case KVM_EXIT_IO: return "an I/O exit";
	default: return "an unexpected exit";
	}
}

static void set_flat(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
				   .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1 };
}

static int run_once(struct probe *p, char *why, size_t n)
{
	struct itimerval t = { .it_value = { 2, 0 } };
	setitimer(ITIMER_REAL, &t, NULL);
	int rc = ioctl(p->vcpu, KVM_RUN, 0);
	int saved = errno;
	struct itimerval off = { 0 };
	setitimer(ITIMER_REAL, &off, NULL);
	if (rc < 0)
		return probe_fail(why, n, "this /dev/kvm%s cannot run a 32-bit guest: KVM_RUN failed: %s",
				  provider_hint(), saved == EINTR ? "no exit within 2 s" : strerror(saved));
	return 0;
}

static int probe_run(struct probe *p, char *why, size_t n)
{
	p->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (p->kvm < 0)
		return probe_fail(why, n, "/dev/kvm: %s", strerror(errno));
	if (ioctl(p->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return probe_fail(why, n, "/dev/kvm: unexpected KVM API version");
	p->vm = ioctl(p->kvm, KVM_CREATE_VM, 0);
	if (p->vm < 0)
		return probe_fail(why, n, "/dev/kvm: KVM_CREATE_VM failed: %s", strerror(errno));
	p->mem = mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		return probe_fail(why, n, "probe: mmap failed: %s", strerror(errno));
	}
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = PROBE_MEM,
		.userspace_addr = (uintptr_t)p->mem,
	};
	if (ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return probe_fail(why, n, "/dev/kvm: KVM_SET_USER_MEMORY_REGION failed: %s", strerror(errno));
	p->vcpu = ioctl(p->vm, KVM_CREATE_VCPU, 0);
	if (p->vcpu < 0)
		return probe_fail(why, n, "/dev/kvm: KVM_CREATE_VCPU failed: %s", strerror(errno));
	int size = ioctl(p->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return probe_fail(why, n, "/dev/kvm: KVM_GET_VCPU_MMAP_SIZE failed");
	p->run_size = (size_t)size;
	p->run = mmap(NULL, p->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, p->vcpu, 0);
	if (p->run == MAP_FAILED) {
		p->run = NULL;
		return probe_fail(why, n, "/dev/kvm: cannot map kvm_run: %s", strerror(errno));
	}

	uint32_t pde = 0x83;   /* present, writable, 4 MiB page at 0 */
	memcpy(p->mem + 0x1000, &pde, 4);
	static const uint8_t code[] = { 0xb0, 0x42, 0xe6, 0x80, 0xf4 };
	memcpy(p->mem + 0x2000, code, sizeof(code));

	struct kvm_sregs sregs;
	if (ioctl(p->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return probe_fail(why, n, "/dev/kvm: KVM_GET_SREGS failed: %s", strerror(errno));
	set_flat(&sregs.cs, 0x08, 11);
	set_flat(&sregs.ds, 0x10, 3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr3 = 0x1000;
	sregs.cr4 = 0x10;                     /* PSE */
	sregs.cr0 = 0x80000011;               /* PG, ET, PE */
	sregs.efer = 0;
	if (ioctl(p->vcpu, KVM_SET_SREGS, &sregs) < 0)
		return probe_fail(why, n, "/dev/kvm: KVM_SET_SREGS (32-bit paging) failed: %s", strerror(errno));
	struct kvm_regs regs = { .rip = 0x2000, .rflags = 0x2, .rsp = 0x8000 };
	if (ioctl(p->vcpu, KVM_SET_REGS, &regs) < 0)
		return probe_fail(why, n, "/dev/kvm: KVM_SET_REGS failed: %s", strerror(errno));

	if (run_once(p, why, n) < 0)
		return -1;
	struct kvm_run *r = p->run;
	if (r->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		return probe_fail(why, n,
				  "this /dev/kvm%s cannot run 32-bit guests: internal error (suberror %u) on a paging-enabled 32-bit guest",
				  provider_hint(), r->internal.suberror);
	if (r->exit_reason != KVM_EXIT_IO || r->io.direction != KVM_EXIT_IO_OUT ||
	    r->io.port != 0x80 || ((uint8_t *)r)[r->io.data_offset] != 0x42)
		return probe_fail(why, n, "this /dev/kvm%s cannot run 32-bit guests with paging: the probe guest ended in %s (exit reason %u) instead of writing port 0x80",
				  provider_hint(), exit_name(r->exit_reason), r->exit_reason);
	if (run_once(p, why, n) < 0)
		return -1;
	if (r->exit_reason != KVM_EXIT_HLT)
		return probe_fail(why, n, "this /dev/kvm%s did not run the 32-bit probe guest to its HLT: it ended in %s (exit reason %u)",
				  provider_hint(), exit_name(r->exit_reason), r->exit_reason);
	return 0;
}

int kvm_probe_32bit(char *why, size_t whylen)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;   /* no SA_RESTART: KVM_RUN returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);

	struct probe p = { .kvm = -1, .vm = -1, .vcpu = -1 };
	int rc = probe_run(&p, why, whylen);

	if (p.run)
		munmap(p.run, p.run_size);
	if (p.mem)
		munmap(p.mem, PROBE_MEM);
	if (p.vcpu >= 0)
		close(p.vcpu);
	if (p.vm >= 0)
		close(p.vm);
	if (p.kvm >= 0)
		close(p.kvm);
	sigaction(SIGALRM, &old, NULL);
	if (rc == 0)
		snprintf(why, whylen, "/dev/kvm ran the 32-bit paging probe guest");
	return rc;
}
