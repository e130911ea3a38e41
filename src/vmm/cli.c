/*
 * cli.c - parsing `softvt run` options into a machine_config (see cli.h).
 *
 * Every error is one line naming the option and the problem; the caller
 * prints it and exits with status 2 (usage error), like most Unix tools.
 */
#define _GNU_SOURCE
#include "vmm/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "direct/direct.h"
#include "jail/jail.h"
#include "mmu/guest_ram.h"
#include "vmm/engine.h"
#include "vmm/errmsg.h"

const char cli_run_usage[] =
	"usage: softvt run [options] --kernel FILE\n"
	"       softvt run [options] --disk IMAGE\n"
	"\n"
	"Boot a 32-bit x86 guest: a Linux bzImage (boot protocol 2.06+) or a Multiboot kernel\n"
	"loaded directly, or, without --kernel, a disk image through the softvt BIOS (real\n"
	"mode from F000:FFF0, the boot sector at 0:7C00).\n"
	"\n"
	"  --accel ENGINE       execution engine: auto (default: bt where it runs, else\n"
	"                       interp), interp, bt, kvm (VT-x/AMD-V through /dev/kvm; `softvt\n"
	"                       info` lists which are available and why not);\n"
	"                       naive: a teaching model, wrong by design (docs/DEMOS.md)\n"
	"  --kernel FILE        kernel image (required unless --disk is given)\n"
	"  --disk IMAGE         raw disk image (whole 512-byte sectors) on the IDE controller\n"
	"                       (ports 0x1F0-0x1F7, IRQ14); without --kernel the BIOS boots it.\n"
	"                       Guest writes go to the file\n"
	"  --snapshot           keep the disk's writes in memory: the image is not modified\n"
	"  --initrd FILE        initial ramdisk (Linux) or first module (Multiboot)\n"
	"  --append STRING      kernel command line, e.g. \"console=ttyS0\"\n"
	"  --memory SIZE        guest RAM: 256M (default), 1G, 65536K; a plain number is MiB;\n"
	"                       between 4 MiB and 3 GiB\n"
	"  --serial DEST        COM1: stdio (default; the terminal in raw mode, Ctrl-A x quits),\n"
	"                       file:PATH, or none\n"
	"  --debugcon DEST      debug console port 0xE9: stdio (default), file:PATH, or none\n"
	"  --display KIND       none (default) or sdl (a window showing the VGA text screen)\n"
	"  --timeout SECONDS    stop the guest after this long (exit status 124)\n"
	"  --vga-dump FILE      when the guest stops, write the VGA text screen to FILE\n"
	"  --dry-run            build the machine, load the guest, print the memory map, stop\n"
	"  --trace-io           report each I/O port the guest uses that no device claims\n"
	"  --stats              print run statistics when the guest stops\n"
	"  --stats-json FILE    write them as one JSON object to FILE (- for stdout); each\n"
	"                       SIGUSR1 keeps a mark of the interpreter's counters there\n"
	"  --user MODE          bt only: how guest user code (CPL 3) runs: direct (natively\n"
	"                       on the CPU in a 32-bit segment; the default where the jail\n"
	"                       runs; fastest, but hostile guest user code can reach the\n"
	"                       softvt process: docs/SECURITY.md), bt (translated like the\n"
	"                       kernel: for untrusted guest code), or interp (interpreted;\n"
	"                       the default without the jail)\n"
	"  --jail on|off        confine softvt after set-up (default: on where the host\n"
	"                       supports it, off with --display sdl): each thread keeps\n"
	"                       only the system calls it needs (docs/SECURITY.md); off\n"
	"                       is for debugging (valgrind, strace -f of the guest's I/O)\n"
	"  --tc-size SIZE       bt only: translation cache size, 256K to 1G (default 64M);\n"
	"                       when it is full it is flushed and refilled\n"
	"  --show-translation EIP|all\n"
	"                       bt only: print each translated block that contains guest\n"
	"                       address EIP (hex), or every block, beside the host code it\n"
	"                       became, as it is translated (to stderr; softvt\n"
	"                       translation-html turns the output into a web page)\n"
	"  --lockstep[=WHEN]    bt only: run every translated instruction in the interpreter\n"
	"                       too and stop at the first difference (slow; for testing);\n"
	"                       WHEN: SECONDS into the run, or `paging` (once the guest\n"
	"                       turns paging on: skips a Linux kernel's decompressor)\n"
	"  -h, --help           this help\n"
	"\n"
	"Exit status: 0 when the guest powers off (or halts, or you quit), the value a test\n"
	"guest writes to port 0xF4, 1 on errors, 2 on a triple fault, 100 when the jail\n"
	"stopped a forbidden host system call (softvt itself or an escaped guest), 124 on\n"
	"--timeout, 128+N when stopped by signal N.\n";

int cli_parse_size(const char *s, uint64_t *bytes)
{
	if (!s || !*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	uint64_t mult = 1ull << 20;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'K': mult = 1ull << 10; break;
		case 'M': mult = 1ull << 20; break;
		case 'G': mult = 1ull << 30; break;
		default: return -1;
		}
		end++;
		if (toupper((unsigned char)*end) == 'I')
			end++;
		if (toupper((unsigned char)*end) == 'B')
			end++;
		if (*end)
			return -1;
	}
	if (v > UINT64_MAX / mult)
		return -1;
	*bytes = v * mult;
	return 0;
}

static int parse_output(const char *opt, const char *arg, struct output_spec *out,
			char *err, size_t errlen)
{
	if (strcmp(arg, "stdio") == 0) {
		*out = (struct output_spec){ OUTPUT_STDIO, NULL };
	} else if (strcmp(arg, "none") == 0) {
		*out = (struct output_spec){ OUTPUT_NONE, NULL };
	} else if (strncmp(arg, "file:", 5) == 0 && arg[5]) {
		*out = (struct output_spec){ OUTPUT_FILE, arg + 5 };
	} else {
		return errmsg(err, errlen, "%s: '%s' is not one of stdio, file:PATH, none", opt, arg);
	}
	return 0;
}

static bool known_engine(const char *name)
{
	if (strcmp(name, "auto") == 0)
		return true;
	for (size_t i = 0; softvt_engine_names[i]; i++)
		if (strcmp(name, softvt_engine_names[i]) == 0)
			return true;
	return false;
}

int cli_parse_run(int argc, char **argv, struct machine_config *cfg, bool *help,
		  char *err, size_t errlen)
{
	enum { O_ACCEL = 256, O_KERNEL, O_INITRD, O_APPEND, O_MEMORY, O_SERIAL, O_DEBUGCON,
	       O_DISPLAY, O_TIMEOUT, O_VGA_DUMP, O_DRY_RUN, O_TRACE_IO, O_STATS, O_STATS_JSON,
	       O_LOCKSTEP, O_TC_SIZE, O_USER, O_DISK, O_SNAPSHOT, O_JAIL, O_SHOW };
	static const struct option opts[] = {
		{ "accel", required_argument, NULL, O_ACCEL },
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "initrd", required_argument, NULL, O_INITRD },
		{ "append", required_argument, NULL, O_APPEND },
		{ "disk", required_argument, NULL, O_DISK },
		{ "snapshot", no_argument, NULL, O_SNAPSHOT },
		{ "memory", required_argument, NULL, O_MEMORY },
		{ "serial", required_argument, NULL, O_SERIAL },
		{ "debugcon", required_argument, NULL, O_DEBUGCON },
		{ "display", required_argument, NULL, O_DISPLAY },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "vga-dump", required_argument, NULL, O_VGA_DUMP },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ "trace-io", no_argument, NULL, O_TRACE_IO },
		{ "stats", no_argument, NULL, O_STATS },
		{ "stats-json", required_argument, NULL, O_STATS_JSON },
		{ "lockstep", optional_argument, NULL, O_LOCKSTEP },
		{ "tc-size", required_argument, NULL, O_TC_SIZE },
		{ "show-translation", required_argument, NULL, O_SHOW },
		{ "user", required_argument, NULL, O_USER },
		{ "jail", required_argument, NULL, O_JAIL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*cfg = (struct machine_config){
		.engine = "auto",
		.mem_size = 256ull << 20,
		.serial = { OUTPUT_STDIO, NULL },
		.debugcon = { OUTPUT_STDIO, NULL },
	};
	int jail = -1;   /* -1: not given (on where it works) */
	bool user_given = false;
	*help = false;
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_ACCEL:
			if (!known_engine(optarg)) {
				char list[128] = "auto";
				for (size_t i = 0; softvt_engine_names[i]; i++) {
					strncat(list, ", ", sizeof(list) - strlen(list) - 1);
					strncat(list, softvt_engine_names[i], sizeof(list) - strlen(list) - 1);
				}
				return errmsg(err, errlen, "--accel: unknown engine '%s' (known engines: %s)",
						 optarg, list);
			}
			cfg->engine = optarg;
			break;
		case O_KERNEL: cfg->kernel = optarg; break;
		case O_INITRD: cfg->initrd = optarg; break;
		case O_APPEND: cfg->append = optarg; break;
		case O_DISK:
			if (!*optarg)
				return errmsg(err, errlen, "--disk: empty file name");
			cfg->disk = optarg;
			break;
		case O_SNAPSHOT: cfg->snapshot = true; break;
		case O_MEMORY:
			if (cli_parse_size(optarg, &cfg->mem_size) < 0)
				return errmsg(err, errlen, "--memory: '%s' is not a size (examples: 256M, 1G, 65536K)",
						 optarg);
			if (cfg->mem_size < GUEST_RAM_MIN || cfg->mem_size > GUEST_RAM_MAX)
				return errmsg(err, errlen, "--memory: %s is out of range (%llu MiB to %llu MiB)",
						 optarg, GUEST_RAM_MIN >> 20, GUEST_RAM_MAX >> 20);
			if (cfg->mem_size & 0xfff)
				return errmsg(err, errlen, "--memory: %s is not a multiple of 4 KiB", optarg);
			break;
		case O_SERIAL:
			if (parse_output("--serial", optarg, &cfg->serial, err, errlen) < 0)
				return -1;
			break;
		case O_DEBUGCON:
			if (parse_output("--debugcon", optarg, &cfg->debugcon, err, errlen) < 0)
				return -1;
			break;
		case O_DISPLAY:
			if (strcmp(optarg, "none") == 0)
				cfg->display_sdl = false;
			else if (strcmp(optarg, "sdl") == 0)
				cfg->display_sdl = true;
			else
				return errmsg(err, errlen, "--display: '%s' is not one of none, sdl", optarg);
			break;
		case O_TIMEOUT: {
			char *end;
			errno = 0;
			double t = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(t) || t <= 0 || t > 1e7)
				return errmsg(err, errlen, "--timeout: '%s' is not a positive number of seconds",
						 optarg);
			cfg->timeout_s = t;
			break;
		}
		case O_VGA_DUMP: cfg->vga_dump = optarg; break;
		case O_DRY_RUN: cfg->dry_run = true; break;
		case O_TRACE_IO: cfg->trace_io = true; break;
		case O_STATS: cfg->stats = true; break;
		case O_STATS_JSON:
			if (!*optarg)
				return errmsg(err, errlen, "--stats-json: empty file name");
			cfg->stats_json = optarg;
			break;
		case O_USER:
			user_given = true;
			if (strcmp(optarg, "interp") == 0) {
				cfg->user_direct = cfg->user_bt = false;
				break;
			}
			if (strcmp(optarg, "direct") == 0) {
				cfg->user_direct = true;
				cfg->user_bt = false;
				break;
			}
			if (strcmp(optarg, "bt") == 0) {
				cfg->user_direct = false;
				cfg->user_bt = true;
				break;
			}
			return errmsg(err, errlen, "--user: '%s' is not a mode (interp, direct, bt)",
				      optarg);
		case O_JAIL:
			if (strcmp(optarg, "on") == 0)
				jail = 1;
			else if (strcmp(optarg, "off") == 0)
				jail = 0;
			else
				return errmsg(err, errlen, "--jail: '%s' is not one of on, off", optarg);
			break;
		case O_SHOW: {
			cfg->show_translation = true;
			if (strcmp(optarg, "all") == 0) {
				cfg->show_all = true;
				break;
			}
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 16);
			if (!*optarg || *end || errno || v > 0xffffffffu)
				return errmsg(err, errlen, "--show-translation: '%s' is neither 'all' nor "
						 "a guest address in hex (e.g. c1001000)", optarg);
			cfg->show_eip = (uint32_t)v;
			break;
		}
		case O_TC_SIZE:
			if (cli_parse_size(optarg, &cfg->tc_size) < 0 || cfg->tc_size < (256u << 10) ||
			    cfg->tc_size > (1ull << 30))
				return errmsg(err, errlen, "--tc-size: '%s' is not a size between 256K and 1G",
						 optarg);
			break;
		case O_LOCKSTEP: {
			cfg->lockstep = true;
			if (!optarg)
				break;
			if (strcmp(optarg, "paging") == 0) {
				cfg->lockstep_after_paging = true;
				break;
			}
			char *end;
			errno = 0;
			double d = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(d >= 0) || d > 1e6)
				return errmsg(err, errlen, "--lockstep: '%s' is neither a number of seconds nor 'paging'",
						 optarg);
			cfg->lockstep_delay_s = d;
			break;
		}
		case 'h': *help = true; return 0;
		case ':':
			return errmsg(err, errlen, "option %s needs a value", argv[optind - 1]);
		default:
			return errmsg(err, errlen, "unknown option '%s' (see softvt run --help)",
					 argv[optind - 1]);
		}
	}
	if (optind < argc)
		return errmsg(err, errlen, "unexpected argument '%s' (see softvt run --help)",
				 argv[optind]);
	if (!cfg->kernel && !cfg->disk)
		return errmsg(err, errlen, "nothing to boot: use --kernel FILE or --disk IMAGE (see softvt run --help)");
	if (cfg->snapshot && !cfg->disk)
		return errmsg(err, errlen, "--snapshot needs a disk: use it with --disk IMAGE");
	if (!cfg->kernel && (cfg->initrd || cfg->append))
		return errmsg(err, errlen, "--initrd and --append go with --kernel (a disk boots its own kernel)");
	if ((cfg->user_direct || cfg->user_bt) && strcmp(cfg->engine, "bt") != 0 &&
	    strcmp(cfg->engine, "auto") != 0)
		return errmsg(err, errlen, "--user is a setting of engine bt: use it with --accel bt");
	if (cfg->show_translation && strcmp(cfg->engine, "bt") != 0 && strcmp(cfg->engine, "auto") != 0)
		return errmsg(err, errlen, "--show-translation shows the binary translator's work: use it "
				 "with --accel bt");
	if (cfg->lockstep && strcmp(cfg->engine, "bt") != 0)
		return errmsg(err, errlen, "--lockstep checks the binary translator: use it with --accel bt");
	if (jail == 1 && cfg->display_sdl)
		return errmsg(err, errlen, "--jail on: the SDL window needs system calls the jail forbids "
				 "(use --jail off with --display sdl)");
	/* guest code that runs natively can take the process over: never without the jail */
	bool native = cfg->user_direct || strcmp(cfg->engine, "naive") == 0;
	const char *what = cfg->user_direct ? "--user direct" : "--accel naive";
	if (native && jail == 0)
		return errmsg(err, errlen, "%s needs the jail: guest code running natively can reach "
				 "the whole softvt process (docs/SECURITY.md); drop --jail off", what);
	if (native && cfg->display_sdl)
		return errmsg(err, errlen, "%s needs the jail, which --display sdl cannot run with: "
				 "use --display none", what);
	char why[256];
	if ((jail == 1 || native) && jail_probe(why, sizeof(why)) < 0)
		return errmsg(err, errlen, "%s: %s", native ? what : "--jail on", why);
	cfg->jail = jail == 1 || (jail < 0 && !cfg->display_sdl && jail_probe(why, sizeof(why)) == 0);
	/* engine bt's default: guest user code directly on the CPU, where that can run safely
	   (the jail confines softvt); else in the interpreter */
	if (!user_given && (!strcmp(cfg->engine, "bt") || !strcmp(cfg->engine, "auto")))
		cfg->user_direct = cfg->jail && direct_probe(why, sizeof(why)) == 0;
	return 0;
}
