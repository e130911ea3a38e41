/*
 * names.c - names of the x86-64 system calls a jail report is likely to
 * show (the ones the allow-lists know about and the usual escapes); others
 * are reported by number.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/syscall.h>

#include "jail/jail.h"

#define N(x) { SYS_##x, #x }

static const struct {
	int nr;
	const char *name;
} names[] = {
	N(read), N(write), N(open), N(close), N(stat), N(fstat), N(lstat), N(poll), N(lseek),
	N(mmap), N(mprotect), N(munmap), N(brk), N(rt_sigaction), N(rt_sigprocmask),
	N(rt_sigreturn), N(ioctl), N(pread64), N(pwrite64), N(readv), N(writev), N(access),
	N(pipe), N(select), N(sched_yield), N(mremap), N(msync), N(madvise), N(dup), N(dup2),
	N(nanosleep), N(getpid), N(sendfile), N(socket), N(connect), N(accept), N(sendto),
	N(recvfrom), N(sendmsg), N(recvmsg), N(bind), N(listen), N(socketpair), N(clone),
	N(fork), N(vfork), N(execve), N(exit), N(wait4), N(kill), N(uname), N(fcntl),
	N(truncate), N(ftruncate), N(getdents), N(getcwd), N(chdir), N(rename), N(mkdir),
	N(rmdir), N(creat), N(link), N(unlink), N(symlink), N(readlink), N(chmod), N(chown),
	N(umask), N(ptrace), N(getuid), N(setuid), N(sigaltstack), N(mknod), N(personality),
	N(prctl), N(arch_prctl), N(mount), N(umount2), N(reboot), N(modify_ldt), N(gettid),
	N(tkill), N(futex), N(getdents64), N(set_tid_address), N(restart_syscall),
	N(timer_create), N(timer_settime), N(timer_gettime), N(timer_delete), N(clock_gettime),
	N(clock_getres), N(clock_nanosleep), N(exit_group), N(tgkill), N(openat), N(mkdirat),
	N(unlinkat), N(renameat), N(linkat), N(symlinkat), N(fchmodat), N(ppoll), N(splice),
	N(process_vm_readv), N(process_vm_writev), N(seccomp), N(memfd_create), N(execveat),
	N(bpf), N(userfaultfd), N(io_uring_setup), N(io_uring_enter), N(pidfd_open),
	N(clone3), N(openat2), N(pidfd_getfd), N(newfstatat), N(gettimeofday), N(pkey_mprotect),
};

const char *jail_syscall_name(int nr)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == nr)
			return names[i].name;
	return NULL;
}
