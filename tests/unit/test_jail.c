/*
 * test_jail.c - the jail's two allow-lists, installed for real.
 *
 * Each test runs in its own forked child (Check's CK_FORK, set explicitly:
 * a seccomp filter cannot be removed). A vCPU case sets up what softvt
 * sets up: the calling thread plays the main thread and creates a "vCPU"
 * thread, which installs jail_install_vcpu() and then makes one system
 * call through the C library's syscall() (an address above 4 GiB, as a
 * guest that escaped to 64-bit code and jumped into libc would). A
 * forbidden call must not happen (no file, no byte written, the process
 * alive) and must be reported by jail_vcpu_violation() with its number,
 * the thread ended; an allowed one must work with no report. Guest traps
 * (INT 0x80, a SYSCALL below 4 GiB) must go to the SIGSYS handler that was
 * there before the jail, as src/direct's is, without running. Main-thread
 * cases fork once more: the forbidden call must end that process with
 * JAIL_EXIT_STATUS and the report on its stderr.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jail/jail.h"

#define WAKE_SIGNAL SIGUSR1

/* One case: what the vCPU thread does and what it saw (static: one per forked child). */
static struct {
	long (*action)(void);
	long result;
	int err;
	int survived;
	int ram_fd, disk_fd, other_fd;
	int kvm_fd;              /* stands for engine kvm's vCPU fd (-1: none) */
	char path[64];
	timer_t timer;
	pid_t main_tid;
	int prev_sigsys_errno;
	int prev_sigsys_calls;
} c;

static void on_wake(int sig)
{
	(void)sig;
}

static void *vcpu_thread(void *arg)
{
	(void)arg;
	struct jail_vcpu_config cfg = {
		.main_tid = c.main_tid, .ram_fd = c.ram_fd, .disk_fds = { c.disk_fd, -1 }, .tty_fd = -1,
		.wake_signal = WAKE_SIGNAL, .kvm_vcpu_fd = c.kvm_fd, .kvm_vm_fd = -1,
	};
	char err[256];
	if (jail_install_vcpu(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		c.result = -1000;
		return NULL;
	}
	errno = 0;
	c.result = c.action();
	c.err = errno;
	c.survived = 1;
	return NULL;
}

static void setup(void)
{
	memset(&c, 0, sizeof(c));
	c.main_tid = (pid_t)syscall(SYS_gettid);
	c.ram_fd = memfd_create("test-ram", MFD_CLOEXEC);
	ck_assert_int_ge(c.ram_fd, 0);
	ck_assert_int_eq(ftruncate(c.ram_fd, 1 << 20), 0);
	c.other_fd = memfd_create("test-other", MFD_CLOEXEC);
	ck_assert_int_ge(c.other_fd, 0);
	ck_assert_int_eq(ftruncate(c.other_fd, 1 << 20), 0);
	c.disk_fd = -1;
	c.kvm_fd = -1;
	snprintf(c.path, sizeof(c.path), "/tmp/softvt-jail-%d", (int)getpid());
	unlink(c.path);
	signal(WAKE_SIGNAL, on_wake);
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	ck_assert_int_eq(timer_create(CLOCK_MONOTONIC, &sev, &c.timer), 0);
}

/* Runs action in a jailed vCPU thread; returns whether the jail stopped it (and how). */
static bool run_vcpu(long (*action)(void), struct jail_violation *v)
{
	pthread_t t;
	c.action = action;
	ck_assert_int_eq(pthread_create(&t, NULL, vcpu_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_ne(c.result, -1000);
	bool violated = jail_vcpu_violation(v);
	ck_assert_int_eq(violated, !c.survived);
	return violated;
}

static void expect_stopped(long (*action)(void), int nr)
{
	struct jail_violation v;
	ck_assert_msg(run_vcpu(action, &v), "the call ran (result %ld, errno %d)", c.result, c.err);
	ck_assert_int_eq(v.nr, nr);
	ck_assert_uint_gt(v.rip >> 32, 0);   /* libc's syscall instruction */
	char msg[256];
	jail_describe(&v, "vCPU", msg, sizeof(msg));
	const char *name = jail_syscall_name(nr);
	ck_assert_ptr_nonnull(name);
	ck_assert_msg(strstr(msg, "jail: the vCPU thread made a forbidden host system call ") == msg &&
			      strstr(msg, name) && strstr(msg, "; stopped"), "%s", msg);
}

static void expect_allowed(long (*action)(void))
{
	struct jail_violation v;
	ck_assert_msg(!run_vcpu(action, &v), "stopped: nr %d", v.nr);
	ck_assert_msg(c.result >= 0, "result %ld errno %d", c.result, c.err);
}

/* ---- forbidden from the vCPU thread ---- */

static long do_open(void)
{
	return syscall(SYS_open, c.path, O_CREAT | O_WRONLY, 0600);
}

static long do_openat(void)
{
	return syscall(SYS_openat, AT_FDCWD, c.path, O_CREAT | O_WRONLY, 0600);
}

static long do_execve(void)
{
	/* had it run, Check would see an early exit with status 7 */
	static char *const argv[] = { "/bin/sh", "-c", "exit 7", NULL };
	return syscall(SYS_execve, "/bin/sh", argv, NULL);
}

static long do_exit_group(void)
{
	return syscall(SYS_exit_group, 42);
}

static long do_socket(void)
{
	return syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
}

static long do_kill(void)
{
	return syscall(SYS_kill, getpid(), SIGKILL);
}

static long do_clone(void)
{
	return syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
}

static long do_mmap_exec(void)
{
	void *p = (void *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? -1 : 0;
}

static long do_mmap_other_fd(void)
{
	void *p = (void *)syscall(SYS_mmap, NULL, 4096, PROT_READ, MAP_SHARED, c.other_fd, 0);
	return p == MAP_FAILED ? -1 : 0;
}

/* guest RAM mapped executable above 4 GiB: outside the window */
static long do_mmap_ram_exec_high(void)
{
	void *p = (void *)syscall(SYS_mmap, (void *)(16ull << 30), 4096, PROT_READ | PROT_EXEC,
				  MAP_SHARED | MAP_FIXED, c.ram_fd, 0);
	return p == MAP_FAILED ? -1 : 0;
}

static long do_mprotect_exec_high(void)
{
	return syscall(SYS_mprotect, (void *)((uintptr_t)&c & ~4095ul), 4096,
		       PROT_READ | PROT_WRITE | PROT_EXEC);
}

static long do_pread_other(void)
{
	char b[16];
	return syscall(SYS_pread64, c.other_fd, b, sizeof(b), 0);
}

static long do_prctl(void)
{
	return syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
}

static long do_seccomp(void)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL);
}

/* write(1) with fd 1 a pipe: nothing may arrive */
static int out_pipe[2];

static long do_write_stdout(void)
{
	return syscall(SYS_write, 1, "escaped\n", 8);
}

static long do_write_fd9(void)
{
	return syscall(SYS_write, 9, "escaped\n", 8);
}

static long do_read(void)
{
	char b[4];
	return syscall(SYS_read, out_pipe[0], b, sizeof(b));
}

START_TEST(vcpu_open_stopped)
{
	expect_stopped(do_open, SYS_open);
	ck_assert_int_ne(access(c.path, F_OK), 0);
}
END_TEST

START_TEST(vcpu_openat_stopped)
{
	expect_stopped(do_openat, SYS_openat);
	ck_assert_int_ne(access(c.path, F_OK), 0);
}
END_TEST

START_TEST(vcpu_execve_stopped)
{
	expect_stopped(do_execve, SYS_execve);
}
END_TEST

START_TEST(vcpu_exit_group_stopped)
{
	expect_stopped(do_exit_group, SYS_exit_group);   /* and we are still here */
}
END_TEST

START_TEST(vcpu_socket_stopped)
{
	expect_stopped(do_socket, SYS_socket);
}
END_TEST

START_TEST(vcpu_kill_clone_prctl_seccomp_stopped)
{
	static long (*const actions[])(void) = { do_kill, do_clone, do_prctl, do_seccomp };
	static const int nrs[] = { SYS_kill, SYS_clone, SYS_prctl, SYS_seccomp };
	/* one per child: a stopped vCPU thread is gone */
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		pid_t p = fork();
		ck_assert_int_ge(p, 0);
		if (p == 0) {
			struct jail_violation v;
			bool stopped = run_vcpu(actions[i], &v);
			_exit(stopped && v.nr == nrs[i] ? 0 : 1);
		}
		int st;
		ck_assert_int_eq(waitpid(p, &st, 0), p);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %#x",
			      jail_syscall_name(nrs[i]), st);
	}
}
END_TEST

START_TEST(vcpu_write_stdout_stopped)
{
	ck_assert_int_eq(pipe2(out_pipe, O_NONBLOCK), 0);
	ck_assert_int_eq(dup2(out_pipe[1], 1), 1);
	expect_stopped(do_write_stdout, SYS_write);
	char b[16];
	ck_assert_int_lt(read(out_pipe[0], b, sizeof(b)), 0);   /* EAGAIN: nothing written */
	ck_assert_int_eq(errno, EAGAIN);
}
END_TEST

START_TEST(vcpu_write_fd9_stopped)
{
	ck_assert_int_eq(pipe2(out_pipe, O_NONBLOCK), 0);
	ck_assert_int_eq(dup2(out_pipe[1], 9), 9);
	expect_stopped(do_write_fd9, SYS_write);
	char b[16];
	ck_assert_int_lt(read(out_pipe[0], b, sizeof(b)), 0);
}
END_TEST

START_TEST(vcpu_read_stopped)
{
	ck_assert_int_eq(pipe2(out_pipe, O_NONBLOCK), 0);
	ck_assert_int_eq(write(out_pipe[1], "in", 2), 2);
	expect_stopped(do_read, SYS_read);
	char b[4];
	ck_assert_int_eq(read(out_pipe[0], b, sizeof(b)), 2);   /* still there */
}
END_TEST

START_TEST(vcpu_mmap_exec_stopped)
{
	expect_stopped(do_mmap_exec, SYS_mmap);
}
END_TEST

START_TEST(vcpu_mmap_foreign_fd_stopped)
{
	expect_stopped(do_mmap_other_fd, SYS_mmap);
}
END_TEST

START_TEST(vcpu_exec_mapping_above_4g_stopped)
{
	expect_stopped(do_mmap_ram_exec_high, SYS_mmap);
}
END_TEST

START_TEST(vcpu_mprotect_exec_above_4g_stopped)
{
	expect_stopped(do_mprotect_exec_high, SYS_mprotect);
}
END_TEST

START_TEST(vcpu_pread_other_fd_stopped)
{
	c.disk_fd = c.ram_fd;   /* the "disk" is allowed, other_fd is not */
	expect_stopped(do_pread_other, SYS_pread64);
}
END_TEST

/* Engine kvm's ioctls: on its vCPU fd only, and only the run and state ones. */
static long do_kvm_run_other_fd(void)
{
	return syscall(SYS_ioctl, c.other_fd, KVM_RUN, 0);
}

static long do_kvm_create_vcpu(void)
{
	return syscall(SYS_ioctl, c.kvm_fd, KVM_CREATE_VCPU, 1);
}

static long do_kvm_run_allowed(void)
{
	/* a memfd is no vCPU: the kernel says ENOTTY, the jail lets the calls through */
	long rc = syscall(SYS_ioctl, c.kvm_fd, KVM_RUN, 0);
	long rc2 = syscall(SYS_ioctl, c.kvm_fd, KVM_GET_REGS, NULL);
	return rc == -1 && rc2 == -1 && errno == ENOTTY ? 0 : -1;
}

START_TEST(vcpu_kvm_ioctl_other_fd_stopped)
{
	c.kvm_fd = c.ram_fd;
	expect_stopped(do_kvm_run_other_fd, SYS_ioctl);
}
END_TEST

START_TEST(vcpu_kvm_create_stopped)
{
	c.kvm_fd = c.ram_fd;
	expect_stopped(do_kvm_create_vcpu, SYS_ioctl);
}
END_TEST

START_TEST(vcpu_kvm_run_allowed)
{
	c.kvm_fd = c.ram_fd;
	expect_allowed(do_kvm_run_allowed);
	ck_assert_int_eq(c.result, 0);
}
END_TEST

/* ---- allowed from the vCPU thread ---- */

static long do_allowed(void)
{
	/* the window's and the TC's memory work: anonymous, guest RAM, protections */
	uint8_t *a = (void *)syscall(SYS_mmap, NULL, 1 << 16, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return -1;
	a[100] = 1;
	uint8_t *r = (void *)syscall(SYS_mmap, NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_SHARED,
				     c.ram_fd, 0);
	if (r == MAP_FAILED)
		return -2;
	r[5] = 7;
	if (syscall(SYS_mmap, a, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, c.ram_fd,
		    0) == -1 || a[5] != 7)
		return -3;
	if (syscall(SYS_mprotect, r, 4096, PROT_NONE) != 0 ||
	    syscall(SYS_madvise, a, 1 << 16, MADV_DONTNEED) != 0 ||
	    syscall(SYS_munmap, r, 1 << 16) != 0 || syscall(SYS_munmap, a, 1 << 16) != 0)
		return -4;
	/* malloc and free after the jail (a fresh allocation of 1 MiB is an mmap) */
	void *big = malloc(1 << 20);
	if (!big)
		return -5;
	memset(big, 1, 1 << 20);
	free(big);
	/* direct execution: guest RAM executable in the window (below 4 GiB) */
	uint8_t *low = (void *)syscall(SYS_mmap, NULL, 1 << 16, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED || (uintptr_t)low >> 32)
		return -15;
	if (syscall(SYS_mmap, low, 4096, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, c.ram_fd,
		    0) != (long)(uintptr_t)low || low[5] != 7 ||
	    syscall(SYS_mprotect, low, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) != 0 ||
	    syscall(SYS_munmap, low, 1 << 16) != 0)
		return -16;
	/* time, its timer, futex, own signals */
	struct timespec ts;
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0)
		return -6;
	struct itimerspec its = { .it_value = { 100, 0 } };
	if (timer_settime(c.timer, 0, &its, NULL) != 0 || timer_gettime(c.timer, &its) != 0)
		return -7;
	uint32_t word = 0;
	if (syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0)
		return -8;
	struct timespec zero = { 0, 1000 };
	if (syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &zero, NULL, 0) == 0 ||
	    errno != ETIMEDOUT)
		return -9;
	if (syscall(SYS_tgkill, getpid(), c.main_tid, WAKE_SIGNAL) != 0)
		return -10;
	sigset_t set;
	if (pthread_sigmask(SIG_BLOCK, NULL, &set) != 0)
		return -11;
	uint8_t ldt[16];
	if (syscall(SYS_modify_ldt, 0, ldt, sizeof(ldt)) < 0)
		return -12;
	if (syscall(SYS_gettid) <= 0 || syscall(SYS_getpid) != getpid())
		return -13;
	char b[8];
	if (c.disk_fd >= 0 && (syscall(SYS_pread64, c.disk_fd, b, sizeof(b), 0) != sizeof(b) ||
			       syscall(SYS_pwrite64, c.disk_fd, b, sizeof(b), 8) != sizeof(b) ||
			       syscall(SYS_fsync, c.disk_fd) != 0))
		return -14;
	return 0;
}

START_TEST(vcpu_allowed_calls_work)
{
	expect_allowed(do_allowed);
}
END_TEST

START_TEST(vcpu_disk_fd_allowed)
{
	c.disk_fd = c.other_fd;
	expect_allowed(do_allowed);
}
END_TEST

/* ---- guest traps go to the previous SIGSYS handler (src/direct's), not run ---- */

static void prev_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	c.prev_sigsys_errno = si->si_errno;
	c.prev_sigsys_calls++;
}

static long do_int80_write(void)
{
	long r;
	/* 32-bit write(1, "x", 1) from 64-bit code: arch I386 */
	static const char x[] = "x";
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(4), "b"(1), "c"((uint32_t)(uintptr_t)x), "d"(1)
			 : "memory");
	(void)r;
	return 0;
}

static uint8_t *low_code;

static long do_low_syscall(void)
{
	long (*fn)(long) = (long (*)(long))(void *)low_code;
	fn(SYS_getpid);   /* allowed from libc, but a guest's below 4 GiB */
	return 0;
}

START_TEST(guest_traps_go_to_previous_handler)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = prev_sigsys;
	sa.sa_flags = SA_SIGINFO;
	ck_assert_int_eq(sigaction(SIGSYS, &sa, NULL), 0);
	/* mov rax, rdi; syscall; ret - below 4 GiB */
	low_code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	ck_assert_ptr_ne(low_code, MAP_FAILED);
	ck_assert_uint_eq((uintptr_t)low_code >> 32, 0);
	static const uint8_t code[] = { 0x48, 0x89, 0xf8, 0x0f, 0x05, 0xc3 };
	memcpy(low_code, code, sizeof(code));
	ck_assert_int_eq(pipe2(out_pipe, O_NONBLOCK), 0);
	ck_assert_int_eq(dup2(out_pipe[1], 1), 1);

	struct jail_violation v;
	ck_assert(!run_vcpu(do_int80_write, &v));
	ck_assert_int_eq(c.prev_sigsys_calls, 1);
	ck_assert_int_eq(c.prev_sigsys_errno, 0);
	char b[4];
	ck_assert_int_lt(read(out_pipe[0], b, sizeof(b)), 0);   /* nothing written */

	ck_assert(!run_vcpu(do_low_syscall, &v));
	ck_assert_int_eq(c.prev_sigsys_calls, 2);
	ck_assert_int_eq(c.prev_sigsys_errno, 0);
}
END_TEST

/* ---- the main thread ---- */

static uint32_t vcpu_park;

static void *parked(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&vcpu_park, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &vcpu_park, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

/*
 * In a child: a parked second thread, the main jail, then action. Returns
 * the child's wait status; its stderr in err.
 */
static int run_main(long (*action)(void), char *err, size_t errlen)
{
	int ep[2];
	ck_assert_int_eq(pipe(ep), 0);
	pid_t p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		dup2(ep[1], 2);
		pthread_t t;
		if (pthread_create(&t, NULL, parked, NULL) != 0)
			_exit(100);
		struct jail_main_config cfg = { .vcpu_tid = 0, .tty_fd = -1, .disk_fds = { -1, -1 } };
		cfg.write_fds[cfg.nwrite++] = 1;
		cfg.write_fds[cfg.nwrite++] = 2;
		cfg.read_fds[cfg.nread++] = 0;
		char e[256];
		if (jail_install_main(&cfg, e, sizeof(e)) != 0)
			_exit(101);
		long r = action();
		_exit(r >= 0 ? 0 : 102);
	}
	close(ep[1]);
	int st;
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ssize_t n = read(ep[0], err, errlen - 1);
	err[n > 0 ? n : 0] = 0;
	close(ep[0]);
	return st;
}

static void expect_main_stopped(long (*action)(void), const char *name)
{
	char err[512];
	int st = run_main(action, err, sizeof(err));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == JAIL_EXIT_STATUS, "status %#x, stderr: %s",
		      st, err);
	char want[128];
	snprintf(want, sizeof(want), "jail: the main thread made a forbidden host system call %s (nr ",
		 name);
	ck_assert_msg(strstr(err, want) != NULL, "stderr: %s", err);
}

static long main_allowed(void)
{
	/* its own I/O, memory, polling, time */
	if (write(2, "", 0) != 0 || write(1, "", 0) != 0)
		return -1;
	void *big = malloc(4 << 20);
	if (!big)
		return -2;
	memset(big, 0, 4 << 20);
	free(big);
	struct timespec ts = { 0, 1000 };
	if (ppoll(NULL, 0, &ts, NULL) != 0)
		return -3;
	return 0;
}

START_TEST(main_open_stopped)
{
	expect_main_stopped(do_open, "open");
	ck_assert_int_ne(access(c.path, F_OK), 0);
	expect_main_stopped(do_openat, "openat");
	ck_assert_int_ne(access(c.path, F_OK), 0);
}
END_TEST

START_TEST(main_exec_socket_stopped)
{
	expect_main_stopped(do_execve, "execve");
	expect_main_stopped(do_socket, "socket");
	expect_main_stopped(do_clone, "clone");
	expect_main_stopped(do_mmap_exec, "mmap");
	expect_main_stopped(do_write_fd9, "write");
}
END_TEST

START_TEST(main_allowed_calls_work)
{
	char err[512];
	int st = run_main(main_allowed, err, sizeof(err));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x, stderr: %s", st, err);
}
END_TEST

START_TEST(filters_fit_and_names)
{
	static struct bpf_prog p;
	struct jail_vcpu_config vc = { .main_tid = 1, .ram_fd = 3, .disk_fds = { 4, 5 },
				       .tty_fd = 0, .kvm_vcpu_fd = 6,
				       .kvm_vm_fd = 7 };
	ck_assert_int_eq(jail_build_vcpu(&vc, 2, &p), 0);
	ck_assert_uint_gt(p.n, 20);
	struct jail_main_config mc = { .vcpu_tid = 2, .nread = 1, .nwrite = JAIL_MAX_FDS,
				       .tty_fd = 0, .disk_fds = { 4, 5 } };
	ck_assert_int_eq(jail_build_main(&mc, 1, &p), 0);
	ck_assert_str_eq(jail_syscall_name(SYS_execve), "execve");
	ck_assert_ptr_null(jail_syscall_name(100000));
	struct jail_violation v = { .nr = 257, .rip = 0x7f0012345678ull };
	char msg[200];
	jail_describe(&v, "vCPU", msg, sizeof(msg));
	ck_assert_str_eq(msg, "jail: the vCPU thread made a forbidden host system call openat "
			      "(nr 257) at RIP 0x7f0012345678; stopped");
}
END_TEST

static Suite *jail_suite(void)
{
	Suite *s = suite_create("jail");
	TCase *tc = tcase_create("vcpu");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, vcpu_open_stopped);
	tcase_add_test(tc, vcpu_openat_stopped);
	tcase_add_test(tc, vcpu_execve_stopped);
	tcase_add_test(tc, vcpu_exit_group_stopped);
	tcase_add_test(tc, vcpu_socket_stopped);
	tcase_add_test(tc, vcpu_kill_clone_prctl_seccomp_stopped);
	tcase_add_test(tc, vcpu_write_stdout_stopped);
	tcase_add_test(tc, vcpu_write_fd9_stopped);
	tcase_add_test(tc, vcpu_read_stopped);
	tcase_add_test(tc, vcpu_mmap_exec_stopped);
	tcase_add_test(tc, vcpu_mmap_foreign_fd_stopped);
	tcase_add_test(tc, vcpu_exec_mapping_above_4g_stopped);
	tcase_add_test(tc, vcpu_mprotect_exec_above_4g_stopped);
	tcase_add_test(tc, vcpu_pread_other_fd_stopped);
	tcase_add_test(tc, vcpu_kvm_ioctl_other_fd_stopped);
	tcase_add_test(tc, vcpu_kvm_create_stopped);
	tcase_add_test(tc, vcpu_kvm_run_allowed);
	tcase_add_test(tc, vcpu_allowed_calls_work);
	tcase_add_test(tc, vcpu_disk_fd_allowed);
	tcase_add_test(tc, guest_traps_go_to_previous_handler);
	suite_add_tcase(s, tc);
	TCase *tm = tcase_create("main");
	tcase_add_checked_fixture(tm, setup, NULL);
	tcase_add_test(tm, main_open_stopped);
	tcase_add_test(tm, main_exec_socket_stopped);
	tcase_add_test(tm, main_allowed_calls_work);
	tcase_add_test(tm, filters_fit_and_names);
	suite_add_tcase(s, tm);
	return s;
}

int main(void)
{
	char why[256];
	if (jail_probe(why, sizeof(why)) != 0) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	SRunner *sr = srunner_create(jail_suite());
	srunner_set_fork_status(sr, CK_FORK);   /* a filter cannot be removed */
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
