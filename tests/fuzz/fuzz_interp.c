/*
 * fuzz_interp.c - libFuzzer harness for the interpreter: every input is
 * run as guest code by tests/unit/random_guest.h (header: mode, paging,
 * IDT, flags, registers; then the code bytes). Built and run by
 * scripts/fuzz-interp.sh (clang -fsanitize=fuzzer,address,undefined).
 *
 * Besides the sanitizers and the libFuzzer timeout (an interp_step() that
 * never returns), a broken rule of random_guest.h aborts with the rule,
 * the vCPU state and the input: an error that is not an "unsupported
 * instruction", EIP past the CS limit after a branch, a slow step, a
 * write that reached the ROM. Each unsupported mnemonic is reported once
 * on stderr ("fuzz_interp: unsupported NAME"), for the script's summary.
 * SOFTVT_FUZZ_TRACE=1 prints every step (replaying a reproducer:
 * SOFTVT_FUZZ_TRACE=1 fuzz_interp crash-...).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../unit/random_guest.h"

#define FUZZ_MAX_NAMES 256

struct fuzz_state {
	struct rg_env *env;
	char seen[FUZZ_MAX_NAMES][32];    /* unsupported mnemonics already reported */
	unsigned nseen;
};

/* libFuzzer's entry points take no context: the one environment lives here. */
static struct fuzz_state *fuzz;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[256];
	fuzz = calloc(1, sizeof(*fuzz));
	if (!fuzz || !(fuzz->env = rg_create(why, sizeof(why)))) {
		fprintf(stderr, "fuzz_interp: %s\n", fuzz ? why : "out of memory");
		abort();
	}
	if (getenv("SOFTVT_FUZZ_TRACE"))
		fuzz->env->trace = stderr;
	return 0;
}

static void report_unsupported(const char *error)
{
	char name[32];
	rg_unsupported_name(error, name, sizeof(name));
	for (unsigned k = 0; k < fuzz->nseen; k++)
		if (strcmp(fuzz->seen[k], name) == 0)
			return;
	if (fuzz->nseen < FUZZ_MAX_NAMES)
		memcpy(fuzz->seen[fuzz->nseen++], name, sizeof(name));
	fprintf(stderr, "fuzz_interp: unsupported %s (%s)\n", name, error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rg_result r;
	rg_run(fuzz->env, data, size, &r);
	if (r.violation[0]) {
		fprintf(stderr, "fuzz_interp: %s (step %u)\n", r.violation, r.steps);
		cpu_state_dump(&fuzz->env->cpu, stderr);
		abort();
	}
	if (r.exit == RG_EXIT_ERROR)
		report_unsupported(r.error);
	return 0;
}
