/*
 * test_cli.c - `softvt run` option parsing.
 */
#include <check.h>
#include <stdarg.h>
#include <string.h>

#include "jail/jail.h"
#include "vmm/cli.h"

static int parse(struct machine_config *cfg, char *err, size_t n, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	va_start(ap, n);
	argv[argc++] = "run";
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	bool help;
	return cli_parse_run(argc, argv, cfg, &help, err, n);
}

START_TEST(sizes)
{
	uint64_t v;
	ck_assert_int_eq(cli_parse_size("256M", &v), 0);
	ck_assert_uint_eq(v, 256ull << 20);
	ck_assert_int_eq(cli_parse_size("1G", &v), 0);
	ck_assert_uint_eq(v, 1ull << 30);
	ck_assert_int_eq(cli_parse_size("1GiB", &v), 0);
	ck_assert_uint_eq(v, 1ull << 30);
	ck_assert_int_eq(cli_parse_size("65536K", &v), 0);
	ck_assert_uint_eq(v, 64ull << 20);
	ck_assert_int_eq(cli_parse_size("512", &v), 0);
	ck_assert_uint_eq(v, 512ull << 20);
	ck_assert_int_eq(cli_parse_size("", &v), -1);
	ck_assert_int_eq(cli_parse_size("-5M", &v), -1);
	ck_assert_int_eq(cli_parse_size("12Q", &v), -1);
	ck_assert_int_eq(cli_parse_size("5MX", &v), -1);
	ck_assert_int_eq(cli_parse_size("99999999999999G", &v), -1);
}
END_TEST

START_TEST(defaults_and_values)
{
	struct machine_config cfg;
	char err[256];
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--kernel", "k", NULL), 0);
	ck_assert_str_eq(cfg.engine, "auto");
	ck_assert_uint_eq(cfg.mem_size, 256ull << 20);
	ck_assert_int_eq(cfg.serial.kind, OUTPUT_STDIO);
	ck_assert_int_eq(cfg.debugcon.kind, OUTPUT_STDIO);
	ck_assert(!cfg.display_sdl);
	ck_assert(cfg.timeout_s == 0);
	ck_assert(!cfg.stats);
	ck_assert_ptr_null(cfg.stats_json);

	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--accel", "interp", "--kernel", "k",
			       "--initrd", "i", "--append", "console=ttyS0", "--memory", "1G",
			       "--serial", "file:/tmp/s.log", "--debugcon", "none", "--display",
			       "sdl", "--timeout", "2.5", "--dry-run", "--stats", NULL), 0);
	ck_assert_str_eq(cfg.engine, "interp");
	ck_assert_str_eq(cfg.initrd, "i");
	ck_assert_str_eq(cfg.append, "console=ttyS0");
	ck_assert_uint_eq(cfg.mem_size, 1ull << 30);
	ck_assert_int_eq(cfg.serial.kind, OUTPUT_FILE);
	ck_assert_str_eq(cfg.serial.path, "/tmp/s.log");
	ck_assert_int_eq(cfg.debugcon.kind, OUTPUT_NONE);
	ck_assert(cfg.display_sdl);
	ck_assert(cfg.timeout_s == 2.5);
	ck_assert(cfg.dry_run && cfg.stats);

	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--stats-json", "/tmp/s.json", "--kernel",
			       "k", NULL), 0);
	ck_assert_str_eq(cfg.stats_json, "/tmp/s.json");
	ck_assert(!cfg.stats);   /* JSON alone does not print the text lines */
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--stats-json", "-", "--kernel", "k", NULL), 0);
	ck_assert_str_eq(cfg.stats_json, "-");

	/* the bt options next to each other */
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--accel", "bt", "--tc-size", "256K",
			       "--lockstep=paging", "--stats-json", "/tmp/s.json", "--stats",
			       "--kernel", "k", NULL), 0);
	ck_assert_uint_eq(cfg.tc_size, 256u << 10);
	ck_assert(cfg.lockstep && cfg.lockstep_after_paging && cfg.stats);
	ck_assert_str_eq(cfg.stats_json, "/tmp/s.json");
}
END_TEST

START_TEST(disk_options)
{
	struct machine_config cfg;
	char err[256];
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--disk", "d.img", NULL), 0);
	ck_assert_str_eq(cfg.disk, "d.img");
	ck_assert_ptr_null(cfg.kernel);
	ck_assert(!cfg.snapshot);
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--disk", "d.img", "--snapshot", NULL), 0);
	ck_assert(cfg.snapshot);
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--kernel", "k", "--disk", "d.img", NULL), 0);
	ck_assert_str_eq(cfg.kernel, "k");
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--snapshot", "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--snapshot needs a disk"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--disk", "d.img", "--initrd", "i", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--initrd"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--disk", "", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--disk"));
}
END_TEST

START_TEST(errors_name_the_problem)
{
	struct machine_config cfg;
	char err[256];
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--kernel"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--accel", "vmware", "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "interp"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--memory", "2M", "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "out of range"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--memory", "4097K", "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "4 KiB"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--timeout", "soon", "--kernel", "k", NULL), -1);
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--timeout", "nan", "--kernel", "k", NULL), -1);
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--serial", "file:", "--kernel", "k", NULL), -1);
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--bogus", "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--bogus"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--kernel", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "needs a value"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--kernel", "k", "--stats-json", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--stats-json needs a value"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--stats-json", "", "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--stats-json: empty"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--user", "bt", "--kernel", "k", NULL), 0);
	ck_assert(cfg.user_bt && !cfg.user_direct);
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--accel", "interp", "--user", "bt",
			       "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--accel bt"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--user", "direct", "--kernel", "k", NULL), 0);
	ck_assert(cfg.user_direct);
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--user", "ring3", "--kernel", "k", NULL), -1);
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--user", "interp", "--kernel", "k", NULL), 0);
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--lockstep", "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--accel bt"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--accel", "bt", "--lockstep=soon",
			       "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "paging"));
}
END_TEST

START_TEST(lockstep_when)
{
	struct machine_config cfg;
	char err[256];
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--accel", "bt", "--lockstep", "--kernel", "k",
			       NULL), 0);
	ck_assert(cfg.lockstep && !cfg.lockstep_after_paging && cfg.lockstep_delay_s == 0);
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--accel", "bt", "--lockstep=2.5", "--kernel",
			       "k", NULL), 0);
	ck_assert(cfg.lockstep && cfg.lockstep_delay_s == 2.5);
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--accel", "bt", "--lockstep=paging",
			       "--kernel", "k", NULL), 0);
	ck_assert(cfg.lockstep && cfg.lockstep_after_paging);
}
END_TEST

START_TEST(jail_on_off)
{
	struct machine_config cfg;
	char err[256], why[256];
	bool avail = jail_probe(why, sizeof(why)) == 0;
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--kernel", "k", NULL), 0);
	ck_assert_int_eq(cfg.jail, avail);   /* default: on where it works */
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--jail", "off", "--kernel", "k", NULL), 0);
	ck_assert(!cfg.jail);
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--display", "sdl", "--kernel", "k", NULL), 0);
	ck_assert(!cfg.jail);   /* SDL needs what the jail forbids */
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--jail", "on", "--display", "sdl",
			       "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--jail off"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--jail", "yes", "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--jail: 'yes'"));
	if (avail) {
		ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--jail", "on", "--kernel", "k", NULL), 0);
		ck_assert(cfg.jail);
		ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--user", "direct", "--kernel", "k",
				       NULL), 0);
		ck_assert(cfg.jail && cfg.user_direct);
	}
	/* guest code running natively can take the process over: never without the jail */
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--user", "direct", "--jail", "off",
			       "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--user direct needs the jail"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--user", "direct", "--display", "sdl",
			       "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--user direct needs the jail"));
	ck_assert_int_eq(parse(&cfg, err, sizeof(err), "--accel", "naive", "--jail", "off",
			       "--kernel", "k", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--accel naive needs the jail"));
}
END_TEST

START_TEST(help_mentions_every_option)
{
	static const char *const opts[] = { "--accel", "--kernel", "--initrd", "--append",
		"--memory", "--serial", "--debugcon", "--display", "--timeout", "--dry-run",
		"--trace-io", "--stats", "--stats-json", "--vga-dump", "--lockstep", "--tc-size",
		"--user", "--disk", "--snapshot", "--jail", "--help" };
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		ck_assert_msg(strstr(cli_run_usage, opts[i]), "--help misses %s", opts[i]);
	struct machine_config cfg;
	char err[256];
	char *argv[] = { "run", "--help", NULL };
	bool help = false;
	ck_assert_int_eq(cli_parse_run(2, argv, &cfg, &help, err, sizeof(err)), 0);
	ck_assert(help);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, defaults_and_values);
	tcase_add_test(tc, errors_name_the_problem);
	tcase_add_test(tc, disk_options);
	tcase_add_test(tc, lockstep_when);
	tcase_add_test(tc, jail_on_off);
	tcase_add_test(tc, help_mentions_every_option);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
