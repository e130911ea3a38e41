/*
 * cli.h - command-line parsing for `softvt run`.
 */
#ifndef SOFTVT_VMM_CLI_H
#define SOFTVT_VMM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/machine.h"

extern const char cli_run_usage[];

/* "256M", "1G", "65536K", "512" (MiB). Returns 0 or -1. */
int cli_parse_size(const char *s, uint64_t *bytes);

/*
 * Parses argv (argv[0] is "run") into cfg. Returns 0 (with *help set when
 * --help was given), or -1 with a one-line message in err.
 */
int cli_parse_run(int argc, char **argv, struct machine_config *cfg, bool *help,
		  char *err, size_t errlen);

#endif
