/*
 * test_sysports.c - port 0x92, POST port 0x80, debug console 0xE9 and the
 * test-exit port 0xF4.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/debugcon.h"
#include "devices/port92.h"
#include "devices/portmap.h"
#include "devices/postcode.h"
#include "devices/testexit.h"

struct rig {
	struct portmap ports;
	int resets;
	bool a20;
	int a20_calls;
	char out[64];
	size_t nout;
	int exits;
	int exit_code;
};

static void rig_reset(void *opaque)
{
	((struct rig *)opaque)->resets++;
}

static void rig_set_a20(void *opaque, bool enabled)
{
	struct rig *r = opaque;
	r->a20 = enabled;
	r->a20_calls++;
}

static bool rig_get_a20(void *opaque)
{
	return ((struct rig *)opaque)->a20;
}

static void rig_out(void *opaque, uint8_t byte)
{
	struct rig *r = opaque;
	if (r->nout < sizeof(r->out) - 1)
		r->out[r->nout++] = (char)byte;
}

static void rig_exit(void *opaque, int code)
{
	struct rig *r = opaque;
	r->exits++;
	r->exit_code = code;
}

static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	portmap_init(&r->ports);
	return r;
}

START_TEST(port92_a20_and_reset)
{
	struct rig *r = rig_new();
	struct board_lines host = { r, rig_reset, rig_set_a20, rig_get_a20 };
	struct port92 *p = port92_create(&host);
	ck_assert_int_eq(port92_register(p, &r->ports), 0);
	ck_assert_int_eq(port92_register(p, &r->ports), -1);   /* already claimed */

	ck_assert_int_eq(portmap_read(&r->ports, 0x92, 1), 0x00);
	portmap_write(&r->ports, 0x92, 0x02, 1);
	ck_assert(r->a20);
	ck_assert_int_eq(r->a20_calls, 1);
	ck_assert_int_eq(r->resets, 0);
	ck_assert_int_eq(portmap_read(&r->ports, 0x92, 1), 0x02);

	r->a20 = false;                                 /* gate closed elsewhere (8042) */
	ck_assert_int_eq(portmap_read(&r->ports, 0x92, 1) & 0x02, 0x00);

	portmap_write(&r->ports, 0x92, 0xc0, 1);        /* activity lights, A20 stays off */
	ck_assert_int_eq(r->a20_calls, 1);
	ck_assert_int_eq(portmap_read(&r->ports, 0x92, 1), 0xc0);

	portmap_write(&r->ports, 0x92, 0x03, 1);        /* fast reset, A20 on */
	ck_assert_int_eq(r->resets, 1);
	ck_assert(r->a20);
	ck_assert_int_eq(portmap_read(&r->ports, 0x92, 1) & 0x01, 0x00);
	port92_destroy(p);
	free(r);
}
END_TEST

START_TEST(port92_without_host)
{
	struct rig *r = rig_new();
	struct port92 *p = port92_create(NULL);
	ck_assert_int_eq(port92_register(p, &r->ports), 0);
	portmap_write(&r->ports, 0x92, 0x01, 1);        /* no callback: nothing breaks */
	portmap_write(&r->ports, 0x92, 0x00, 1);
	ck_assert_int_eq(portmap_read(&r->ports, 0x92, 1), 0x00);
	portmap_write(&r->ports, 0x92, 0x02, 1);
	ck_assert_int_eq(portmap_read(&r->ports, 0x92, 1), 0x02);
	port92_destroy(p);
	free(r);
}
END_TEST

START_TEST(postcode_readback_and_count)
{
	struct rig *r = rig_new();
	struct postcode *pc = postcode_create(NULL);
	ck_assert_int_eq(postcode_register(pc, &r->ports), 0);
	ck_assert_int_eq(postcode_count(pc), 0);
	portmap_write(&r->ports, 0x80, 0x12, 1);
	portmap_write(&r->ports, 0x80, 0x34, 1);
	ck_assert_int_eq(postcode_last(pc), 0x34);
	ck_assert_int_eq(postcode_count(pc), 2);
	ck_assert_int_eq(portmap_read(&r->ports, 0x80, 1), 0x34);
	portmap_write(&r->ports, 0x80, 0xbeef, 2);      /* only the 0x80 byte */
	ck_assert_int_eq(postcode_last(pc), 0xef);
	ck_assert_int_eq(postcode_count(pc), 3);
	postcode_destroy(pc);
	free(r);
}
END_TEST

START_TEST(postcode_trace)
{
	struct rig *r = rig_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	struct postcode *pc = postcode_create(f);
	ck_assert_int_eq(postcode_register(pc, &r->ports), 0);
	portmap_write(&r->ports, 0x80, 0x0a, 1);
	portmap_write(&r->ports, 0x80, 0xff, 1);
	fclose(f);
	ck_assert_str_eq(buf, "POST 0x0a\nPOST 0xff\n");
	free(buf);
	postcode_destroy(pc);
	free(r);
}
END_TEST

START_TEST(debugcon_output_and_detect)
{
	struct rig *r = rig_new();
	struct debugcon *dc = debugcon_create(rig_out, r);
	ck_assert_int_eq(debugcon_register(dc, &r->ports), 0);
	ck_assert_int_eq(portmap_read(&r->ports, 0xe9, 1), 0xe9);
	const char *msg = "hi\n";
	for (const char *c = msg; *c; c++)
		portmap_write(&r->ports, 0xe9, (uint8_t)*c, 1);
	portmap_write(&r->ports, 0xe9, 0x4121, 2);      /* low byte only */
	ck_assert_uint_eq(r->nout, 4);
	ck_assert(memcmp(r->out, "hi\n!", 4) == 0);
	debugcon_destroy(dc);
	free(r);
}
END_TEST

START_TEST(testexit_sizes)
{
	struct rig *r = rig_new();
	struct testexit *te = testexit_create(rig_exit, r);
	ck_assert_int_eq(testexit_register(te, &r->ports), 0);
	ck_assert_int_eq(portmap_read(&r->ports, 0xf4, 1), 0xff);
	ck_assert_uint_eq(portmap_read(&r->ports, 0xf4, 4), 0xffffffffu);
	ck_assert_int_eq(r->exits, 0);

	portmap_write(&r->ports, 0xf4, 0x01, 1);
	ck_assert_int_eq(r->exits, 1);
	ck_assert_int_eq(r->exit_code, 1);
	portmap_write(&r->ports, 0xf4, 0x1234, 2);
	ck_assert_int_eq(r->exits, 2);
	ck_assert_int_eq(r->exit_code, 0x34);
	portmap_write(&r->ports, 0xf4, 0xdeadbe07, 4);
	ck_assert_int_eq(r->exits, 3);
	ck_assert_int_eq(r->exit_code, 0x07);
	portmap_write(&r->ports, 0xf4, 0x00, 1);
	ck_assert_int_eq(r->exit_code, 0);
	testexit_destroy(te);
	free(r);
}
END_TEST

static Suite *sysports_suite(void)
{
	Suite *s = suite_create("sysports");
	TCase *tc = tcase_create("ports");
	tcase_add_test(tc, port92_a20_and_reset);
	tcase_add_test(tc, port92_without_host);
	tcase_add_test(tc, postcode_readback_and_count);
	tcase_add_test(tc, postcode_trace);
	tcase_add_test(tc, debugcon_output_and_detect);
	tcase_add_test(tc, testexit_sizes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sysports_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
