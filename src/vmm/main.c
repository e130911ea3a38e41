/*
 * main.c - the softvt command: `softvt run`, `softvt info`, `softvt demo`, `softvt help`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli.h"
#include "vmm/engine.h"
#include "vmm/bench.h"
#include "vmm/demo.h"
#include "vmm/info.h"
#include "vmm/translation_html.h"
#include "vmm/machine.h"
#include "vmm/run_loop.h"

static const char usage[] =
	"usage: softvt COMMAND [options]\n"
	"\n"
	"softvt runs 32-bit x86 guests (Linux, Multiboot kernels) in a Linux user process.\n"
	"\n"
	"commands:\n"
	"  run      boot a guest (softvt run --help for its options)\n"
	"  info     what this host offers: engines, /dev/kvm, UMIP, FSGSBASE, ...\n"
	"           (info --engine NAME: can that engine run here; exit 0 or 1 and why)\n"
	"  demo     teaching demonstrations: softvt demo ring-compression|redpill\n"
	"  bench    benchmarks under every execution model: the nanobenchmarks, or with --macro\n"
	"           boot, fork+wait, CPU and system-call loops in Linux (softvt bench --help)\n"
	"  translation-html DUMP [OUT]  a web page of the blocks run --show-translation printed\n"
	"  help     this text\n"
	"  version  print the version\n";

/* Picks the engine named in cfg, or the best available for "auto". */
static const struct engine_ops *choose_engine(const char *name)
{
	char why[512];
	if (strcmp(name, "auto") != 0) {
		const struct engine_ops *ops = engine_find(name);
		if (!ops) {
			fprintf(stderr, "softvt: engine '%s' is not implemented in this version of softvt\n",
				name);
			return NULL;
		}
		if (ops->probe && ops->probe(why, sizeof(why)) != 0) {
			fprintf(stderr, "softvt: engine '%s' cannot run on this host: %s\n", name, why);
			return NULL;
		}
		return ops;
	}
	for (size_t i = 0; i < softvt_engine_count; i++) {
		const struct engine_ops *ops = softvt_engines[i];
		if (!ops->probe || ops->probe(why, sizeof(why)) == 0)
			return ops;
	}
	fprintf(stderr, "softvt: no execution engine can run on this host (this version has %zu built in; see softvt info)\n",
		softvt_engine_count);
	return NULL;
}

static int cmd_run(int argc, char **argv)
{
	struct machine_config cfg;
	bool help;
	char err[512];
	if (cli_parse_run(argc, argv, &cfg, &help, err, sizeof(err)) < 0) {
		fprintf(stderr, "softvt: %s\n", err);
		return 2;
	}
	if (help) {
		fputs(cli_run_usage, stdout);
		return 0;
	}
	const struct engine_ops *ops = NULL;
	if (!cfg.dry_run) {
		ops = choose_engine(cfg.engine);
		if (!ops)
			return 1;
	}
	struct machine *m = machine_create(&cfg, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "softvt: %s\n", err);
		return 1;
	}
	int rc = 0;
	if (!cfg.dry_run)
		rc = run_loop(m, ops);
	machine_destroy(m);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "softvt: no command given (usage: softvt run|info|demo|bench|translation-html|help|version; see softvt help)\n");
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "info") == 0) {
		if (argc == 4 && strcmp(argv[2], "--engine") == 0)
			return info_engine(argv[3], stdout);
		if (argc != 2) {
			fprintf(stderr, "softvt: usage: softvt info [--engine NAME]\n");
			return 2;
		}
		return info_print(stdout);
	}
	if (strcmp(cmd, "demo") == 0)
		return demo_main(argc - 1, argv + 1);
	if (strcmp(cmd, "bench") == 0)
		return bench_main(argc - 1, argv + 1);
	if (strcmp(cmd, "translation-html") == 0)
		return translation_html_main(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("softvt %s\n", SOFTVT_VERSION);
		return 0;
	}
	fprintf(stderr, "softvt: unknown command '%s' (commands: run, info, demo, bench, translation-html, help, version)\n", cmd);
	return 2;
}
