/*
 * main.c - the multi-call entry of softvt-progs (progs.h) and the helpers the
 * programs share: the program is chosen by the name it was run as (a symlink
 * in the guest's /bin), or by the first argument when run as softvt-progs.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progs.h"

struct prog {
	const char *name;
	int (*main)(int argc, char **argv);
};

#define PROG_ENTRY(name) { #name, name##_main },
static const struct prog progs[] = { SOFTVT_PROGS(PROG_ENTRY) };
#undef PROG_ENTRY

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t arg_count(int argc, char **argv, uint32_t fallback)
{
	unsigned long v;
	char *end;

	if (argc < 2)
		return fallback;
	errno = 0;
	v = strtoul(argv[1], &end, 0);
	if (errno || *end || v == 0 || v > UINT32_MAX) {
		fprintf(stderr, "%s: bad count '%s'\n", argv[0], argv[1]);
		exit(2);
	}
	return (uint32_t)v;
}

void bench_report(const char *name, uint64_t ops, uint64_t ns, const char *extra)
{
	double per_op = ns ? (double)ns / (double)ops : 0.0;
	double per_s = ns ? (double)ops * 1e9 / (double)ns : 0.0;

	printf("BENCH %s iters=%" PRIu64 " ns=%" PRIu64 " ns_per_op=%.2f ops_per_s=%.0f%s%s\n",
	       name, ops, ns, per_op, per_s, extra ? " " : "", extra ? extra : "");
	fflush(stdout);
}

static int usage(void)
{
	size_t i;

	fprintf(stderr, "usage: softvt-progs PROGRAM [ARGS...], or run through a link named PROGRAM:");
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		fprintf(stderr, " %s", progs[i].name);
	fprintf(stderr, "\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *name = argc > 0 ? basename(argv[0]) : "";
	size_t i;

	if (!strcmp(name, "softvt-progs")) {
		if (argc < 2)
			return usage();
		argc--;
		argv++;
		name = argv[0];
	}
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (!strcmp(name, progs[i].name))
			return progs[i].main(argc, argv);
	return usage();
}
