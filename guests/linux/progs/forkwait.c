/*
 * forkwait - process creation: N times fork() a child that exits at once and
 * waitpid() for it (the forkwait of Adams & Agesen, ASPLOS 2006: 40,000 forks
 * took 6.0 s natively, 36.9 s under VMware's BT, 106.4 s under first-generation
 * VT). Each fork copies the page tables and write-protects the parent's pages,
 * so it stresses the guest kernel's paging work, which engine bt shadows.
 *
 *   forkwait [N]     default 2,000
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

int forkwait_main(int argc, char **argv)
{
	uint32_t n = arg_count(argc, argv, 2000u);
	uint64_t t0, t1;
	uint32_t i;
	int status;
	pid_t pid;

	fflush(stdout);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0) {
			perror("forkwait: fork");
			return 1;
		}
		if (pid == 0)
			_exit(7);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 7) {
			fprintf(stderr, "forkwait: child %d: bad status 0x%x\n", (int)pid, status);
			return 1;
		}
	}
	t1 = now_ns();
	bench_report("forkwait", n, t1 - t0, NULL);
	return 0;
}
