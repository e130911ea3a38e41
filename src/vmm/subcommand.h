/*
 * subcommand.h - what `softvt demo` and `softvt bench` share: both run
 * softvt (and QEMU, and native programs) on the project's small guests as
 * child processes and read what they print (vmm/subcommand.c).
 */
#ifndef SOFTVT_VMM_SUBCOMMAND_H
#define SOFTVT_VMM_SUBCOMMAND_H

#include <stddef.h>

/*
 * Runs argv (argv[0] searched in PATH) with stdin from /dev/null, stdout to
 * out_path (NULL: /dev/null) and waits. Returns its exit status, with why
 * saying "exit status N: <its last line of stderr>" when that is not 0
 * ("ARGV0 could not be started" for 127); -1 with why when it could not be
 * run or was killed by a signal.
 */
int subcommand_run(char *const argv[], const char *out_path, char *why, size_t whylen);

/*
 * For command cmd ("demo", "bench"): this softvt binary into self and, if
 * dir is empty, the guests/ folder beside it into dir; then checks that
 * dir/guest.elf exists. Prints the reason and returns -1 if not.
 */
int subcommand_find_guest(const char *cmd, const char *guest, char *self, size_t selflen,
			  char *dir, size_t dirlen);

/*
 * argv for `SELF run --accel ACCEL [--user USER] --kernel ELF --debugcon file:OUT
 * --serial none --timeout SECONDS` into argv (room for 16), NULL-terminated; dc is
 * the caller's buffer for "file:OUT".
 */
void subcommand_softvt_argv(char *argv[16], const char *self, const char *accel,
			    const char *user, const char *elf, const char *out, char *dc,
			    size_t dclen, const char *seconds);

/* 0 if engine accel is built and can run here, else -1 and why (kvm: its probe's reason). */
int subcommand_engine_ready(const char *accel, char *why, size_t whylen);

#endif
