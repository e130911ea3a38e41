/*
 * test_i8042.c - the keyboard controller through its ports, as a guest
 * (or Linux's i8042/atkbd/psmouse drivers) drives it.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/i8042.h"
#include "devices/port92.h"
#include "devices/portmap.h"

#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_A2 0x08
#define ST_AUXB 0x20

struct rig {
	struct portmap ports;
	struct i8042 *kbc;
	struct port92 *p92;
	int level[16];
	int raises[16];
	int resets;
	bool a20;
	int a20_calls;
};

static void rig_irq(void *opaque, int num, int level)
{
	struct rig *r = opaque;
	if (level && !r->level[num])
		r->raises[num]++;
	r->level[num] = level;
}

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

static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	portmap_init(&r->ports);
	struct board_lines host = { r, rig_reset, rig_set_a20, rig_get_a20 };
	struct board_lines p92host = { r, rig_reset, rig_set_a20, rig_get_a20 };
	r->kbc = i8042_create((struct irq_line){ rig_irq, r, 1 },
			      (struct irq_line){ rig_irq, r, 12 }, &host);
	r->p92 = port92_create(&p92host);
	ck_assert_ptr_nonnull(r->kbc);
	ck_assert_ptr_nonnull(r->p92);
	ck_assert_int_eq(i8042_register(r->kbc, &r->ports), 0);
	ck_assert_int_eq(port92_register(r->p92, &r->ports), 0);
	return r;
}

static void rig_free(struct rig *r)
{
	i8042_destroy(r->kbc);
	port92_destroy(r->p92);
	free(r);
}

static void cmd(struct rig *r, uint8_t c)
{
	portmap_write(&r->ports, 0x64, c, 1);
}

static void put(struct rig *r, uint8_t v)
{
	portmap_write(&r->ports, 0x60, v, 1);
}

static uint8_t status(struct rig *r)
{
	return (uint8_t)portmap_read(&r->ports, 0x64, 1);
}

/* One byte from the output buffer, which must be full. */
static uint8_t get(struct rig *r)
{
	ck_assert_msg(status(r) & ST_OBF, "output buffer empty");
	return (uint8_t)portmap_read(&r->ports, 0x60, 1);
}

static void expect_bytes(struct rig *r, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t got = get(r);
		ck_assert_msg(got == want[i], "byte %zu: got 0x%02x, want 0x%02x", i, got, want[i]);
	}
	ck_assert_msg(!(status(r) & ST_OBF), "extra byte 0x%02x", portmap_read(&r->ports, 0x60, 1));
}

#define EXPECT(r, ...)                                                        \
	do {                                                                  \
		const uint8_t want_[] = { __VA_ARGS__ };                      \
		expect_bytes(r, want_, sizeof(want_));                        \
	} while (0)

static uint8_t read_config(struct rig *r)
{
	cmd(r, 0x20);
	return get(r);
}

static void write_config(struct rig *r, uint8_t v)
{
	cmd(r, 0x60);
	put(r, v);
}

START_TEST(self_test_sets_sys_flag)
{
	struct rig *r = rig_new();
	write_config(r, 0x00);
	ck_assert_int_eq(status(r) & ST_SYS, 0);
	cmd(r, 0xaa);
	ck_assert_int_eq(status(r) & ST_SYS, ST_SYS);
	EXPECT(r, 0x55);
	ck_assert_int_eq(read_config(r) & 0x04, 0x04);
	rig_free(r);
}
END_TEST

START_TEST(interface_tests)
{
	struct rig *r = rig_new();
	cmd(r, 0xab);
	EXPECT(r, 0x00);
	cmd(r, 0xa9);
	EXPECT(r, 0x00);
	rig_free(r);
}
END_TEST

START_TEST(status_idle_and_a2)
{
	struct rig *r = rig_new();
	uint8_t s = status(r);
	ck_assert_int_eq(s & (ST_OBF | 0x02 | ST_AUXB | 0xc0), 0);   /* no OBF, IBF, AUXB, errors */
	cmd(r, 0xa8);
	ck_assert_int_eq(status(r) & ST_A2, ST_A2);
	put(r, 0xf4);
	ck_assert_int_eq(status(r) & ST_A2, 0);
	rig_free(r);
}
END_TEST

START_TEST(config_byte_and_ram)
{
	struct rig *r = rig_new();
	ck_assert_int_eq(read_config(r), 0x45);      /* power-on: IRQ1, SYS, XLAT */
	write_config(r, 0x47);
	ck_assert_int_eq(read_config(r), 0x47);
	cmd(r, 0x65);
	put(r, 0x5a);
	cmd(r, 0x25);
	EXPECT(r, 0x5a);
	ck_assert_int_eq(read_config(r), 0x47);      /* RAM 5 is not the config */

	cmd(r, 0xa7);
	ck_assert_int_eq(read_config(r) & 0x20, 0x20);
	cmd(r, 0xa8);
	ck_assert_int_eq(read_config(r) & 0x20, 0x00);
	cmd(r, 0xad);
	ck_assert_int_eq(read_config(r) & 0x10, 0x10);
	cmd(r, 0xae);
	ck_assert_int_eq(read_config(r) & 0x10, 0x00);
	rig_free(r);
}
END_TEST

START_TEST(input_port_and_test_inputs)
{
	struct rig *r = rig_new();
	cmd(r, 0xc0);
	ck_assert_int_eq(get(r) & 0x80, 0x80);       /* keyboard not inhibited */
	cmd(r, 0xe0);
	EXPECT(r, 0x03);                             /* both clocks released */
	cmd(r, 0xad);
	cmd(r, 0xe0);
	EXPECT(r, 0x02);
	rig_free(r);
}
END_TEST

START_TEST(output_port_a20)
{
	struct rig *r = rig_new();
	r->a20 = false;
	cmd(r, 0xd0);
	uint8_t out = get(r);
	ck_assert_int_eq(out & 0x03, 0x01);          /* not in reset, A20 off */

	cmd(r, 0xd1);
	put(r, 0xdf);
	ck_assert(r->a20);
	ck_assert_int_eq(r->a20_calls, 1);
	ck_assert_int_eq(r->resets, 0);
	cmd(r, 0xd0);
	ck_assert_int_eq(get(r) & 0x03, 0x03);
	ck_assert_int_eq(portmap_read(&r->ports, 0x92, 1) & 0x02, 0x02);   /* agrees */

	cmd(r, 0xd1);
	put(r, 0xdd);
	ck_assert(!r->a20);
	ck_assert_int_eq(portmap_read(&r->ports, 0x92, 1) & 0x02, 0x00);

	portmap_write(&r->ports, 0x92, 0x02, 1);      /* fast A20 */
	ck_assert(r->a20);
	cmd(r, 0xd0);
	ck_assert_int_eq(get(r) & 0x02, 0x02);
	rig_free(r);
}
END_TEST

START_TEST(a20_commands_dd_df)
{
	struct rig *r = rig_new();
	r->a20 = false;
	cmd(r, 0xdf);
	ck_assert(r->a20);
	cmd(r, 0xdd);
	ck_assert(!r->a20);
	ck_assert_int_eq(r->a20_calls, 2);
	cmd(r, 0xdd);                                /* no change, no call */
	ck_assert_int_eq(r->a20_calls, 2);
	ck_assert_int_eq(status(r) & ST_OBF, 0);     /* no reply */
	rig_free(r);
}
END_TEST

START_TEST(output_port_shows_obf_lines)
{
	struct rig *r = rig_new();
	r->a20 = true;
	cmd(r, 0xd2);
	put(r, 0x11);                                /* keyboard byte waiting */
	cmd(r, 0xd0);
	/* lines high, keyboard OBF (bit 4), A20, not in reset */
	EXPECT(r, 0x11, 0xdf);
	cmd(r, 0xd3);
	put(r, 0x22);
	cmd(r, 0xd0);
	EXPECT(r, 0x22, 0xef);                       /* aux OBF (bit 5) */
	rig_free(r);
}
END_TEST

START_TEST(reset_via_pulse_and_output_port)
{
	struct rig *r = rig_new();
	cmd(r, 0xff);                                /* pulses nothing */
	ck_assert_int_eq(r->resets, 0);
	cmd(r, 0xfe);
	ck_assert_int_eq(r->resets, 1);
	cmd(r, 0xf0);                                /* pulses all four lines */
	ck_assert_int_eq(r->resets, 2);
	cmd(r, 0xd1);
	put(r, 0x03);
	ck_assert_int_eq(r->resets, 2);
	cmd(r, 0xd1);
	put(r, 0x02);                                /* bit 0 cleared: reset */
	ck_assert_int_eq(r->resets, 3);
	rig_free(r);
}
END_TEST

START_TEST(keyboard_reset_and_identify)
{
	struct rig *r = rig_new();
	write_config(r, 0x05);                       /* translation off */
	put(r, 0xff);
	EXPECT(r, 0xfa, 0xaa);
	put(r, 0xf2);
	EXPECT(r, 0xfa, 0xab, 0x83);
	write_config(r, 0x45);                       /* translated: 0x83 -> 0x41 */
	put(r, 0xf2);
	EXPECT(r, 0xfa, 0xab, 0x41);
	rig_free(r);
}
END_TEST

START_TEST(keyboard_commands_ack)
{
	struct rig *r = rig_new();
	write_config(r, 0x05);
	put(r, 0xed);
	EXPECT(r, 0xfa);
	put(r, 0x07);
	EXPECT(r, 0xfa);
	put(r, 0xf3);
	put(r, 0x20);
	EXPECT(r, 0xfa, 0xfa);
	put(r, 0xf0);
	put(r, 0x00);
	EXPECT(r, 0xfa, 0xfa, 0x02);
	put(r, 0xf6);
	put(r, 0xf4);
	EXPECT(r, 0xfa, 0xfa);
	put(r, 0xee);
	EXPECT(r, 0xee);                             /* echo has no ACK */
	put(r, 0x01);
	EXPECT(r, 0xfe);                             /* unknown command */
	put(r, 0xf2);
	EXPECT(r, 0xfa, 0xab, 0x83);
	put(r, 0xfe);
	EXPECT(r, 0x83);                             /* resend the last byte */
	put(r, 0xed);                                /* a command instead of the argument */
	put(r, 0xf4);
	EXPECT(r, 0xfa, 0xfa);
	put(r, 0x02);                                /* no argument pending any more */
	EXPECT(r, 0xfe);
	rig_free(r);
}
END_TEST

START_TEST(keyboard_enable_disable_scanning)
{
	struct rig *r = rig_new();
	write_config(r, 0x05);
	const uint8_t a[] = { 0x1c };
	put(r, 0xf5);
	EXPECT(r, 0xfa);
	i8042_key_event(r->kbc, a, 1);
	ck_assert_int_eq(status(r) & ST_OBF, 0);
	put(r, 0xf4);
	EXPECT(r, 0xfa);
	i8042_key_event(r->kbc, a, 1);
	EXPECT(r, 0x1c);
	rig_free(r);
}
END_TEST

START_TEST(keyboard_set1_selected)
{
	struct rig *r = rig_new();
	write_config(r, 0x05);
	put(r, 0xf0);
	put(r, 0x01);
	EXPECT(r, 0xfa, 0xfa);
	put(r, 0xf0);
	put(r, 0x03);                                /* set 3 refused */
	EXPECT(r, 0xfa, 0xfe);
	const uint8_t up[] = { 0xe0, 0xf0, 0x75 };
	i8042_key_event(r->kbc, up, 3);
	EXPECT(r, 0xe0, 0xc8);
	rig_free(r);
}
END_TEST

START_TEST(aux_commands)
{
	struct rig *r = rig_new();
	write_config(r, 0x07);                       /* both IRQs, aux enabled */
	cmd(r, 0xd4);
	put(r, 0xff);
	ck_assert_int_eq(status(r) & (ST_OBF | ST_AUXB), ST_OBF | ST_AUXB);
	ck_assert_int_eq(r->level[12], 1);
	ck_assert_int_eq(r->level[1], 0);
	EXPECT(r, 0xfa, 0xaa, 0x00);
	ck_assert_int_eq(r->level[12], 0);
	ck_assert_int_eq(r->raises[12], 3);
	ck_assert_int_eq(r->raises[1], 0);

	cmd(r, 0xd4);
	put(r, 0xf2);
	EXPECT(r, 0xfa, 0x00);
	cmd(r, 0xd4);
	put(r, 0xf3);
	cmd(r, 0xd4);
	put(r, 0xc8);                                /* 200 samples/s: bit 7 set */
	EXPECT(r, 0xfa, 0xfa);
	cmd(r, 0xd4);
	put(r, 0xe8);
	cmd(r, 0xd4);
	put(r, 0x03);
	EXPECT(r, 0xfa, 0xfa);
	const uint8_t acks[] = { 0xe6, 0xe7, 0xf4, 0xf5, 0xf6 };
	for (size_t i = 0; i < sizeof(acks); i++) {
		cmd(r, 0xd4);
		put(r, acks[i]);
		EXPECT(r, 0xfa);
	}
	cmd(r, 0xd4);
	put(r, 0xf4);
	cmd(r, 0xd4);
	put(r, 0xe9);                                /* status: enabled, res 2, 100/s */
	EXPECT(r, 0xfa, 0xfa, 0x20, 0x02, 100);
	rig_free(r);
}
END_TEST

START_TEST(aux_loopback_and_gating)
{
	struct rig *r = rig_new();
	write_config(r, 0x05);                       /* aux IRQ off */
	cmd(r, 0xd3);
	put(r, 0x5a);
	ck_assert_int_eq(status(r) & ST_AUXB, ST_AUXB);
	ck_assert_int_eq(r->level[12], 0);
	EXPECT(r, 0x5a);

	write_config(r, 0x27);                       /* aux IRQ on, aux disabled */
	cmd(r, 0xd4);
	put(r, 0xf2);
	ck_assert_int_eq(status(r) & ST_OBF, 0);     /* the mouse cannot send */
	cmd(r, 0xa8);
	ck_assert_int_eq(r->level[12], 1);
	EXPECT(r, 0xfa, 0x00);

	cmd(r, 0xd2);                                /* keyboard side: no AUXB */
	put(r, 0x33);
	ck_assert_int_eq(status(r) & (ST_OBF | ST_AUXB), ST_OBF);
	ck_assert_int_eq(r->level[1], 1);
	EXPECT(r, 0x33);
	rig_free(r);
}
END_TEST

START_TEST(irq1_gated_by_config)
{
	struct rig *r = rig_new();
	write_config(r, 0x04);                       /* IRQ1 off, no translation */
	const uint8_t keys[] = { 0x1c };
	i8042_key_event(r->kbc, keys, 1);
	i8042_key_event(r->kbc, keys, 1);
	ck_assert_int_eq(status(r) & ST_OBF, ST_OBF);
	ck_assert_int_eq(r->level[1], 0);
	write_config(r, 0x05);                       /* enabling raises at once */
	ck_assert_int_eq(r->level[1], 1);
	ck_assert_int_eq(r->raises[1], 1);
	ck_assert_int_eq(get(r), 0x1c);
	ck_assert_int_eq(r->level[1], 1);            /* the second byte followed */
	ck_assert_int_eq(r->raises[1], 2);
	ck_assert_int_eq(get(r), 0x1c);
	ck_assert_int_eq(r->level[1], 0);
	ck_assert_int_eq(r->level[12], 0);
	rig_free(r);
}
END_TEST

START_TEST(keyboard_disabled_holds_keys)
{
	struct rig *r = rig_new();
	cmd(r, 0xad);
	const uint8_t keys[] = { 0x1c };
	i8042_key_event(r->kbc, keys, 1);
	ck_assert_int_eq(status(r) & ST_OBF, 0);
	ck_assert_int_eq(read_config(r), 0x55);      /* controller replies still come */
	ck_assert_int_eq(status(r) & ST_OBF, 0);
	cmd(r, 0xae);
	EXPECT(r, 0x1e);
	rig_free(r);
}
END_TEST

START_TEST(translation_set2_to_set1)
{
	struct rig *r = rig_new();
	const uint8_t a_down[] = { 0x1c }, a_up[] = { 0xf0, 0x1c };
	const uint8_t up_down[] = { 0xe0, 0x75 }, up_up[] = { 0xe0, 0xf0, 0x75 };
	const uint8_t f7[] = { 0x83 }, f7_up[] = { 0xf0, 0x83 }, esc[] = { 0x76 };
	i8042_key_event(r->kbc, a_down, 1);
	i8042_key_event(r->kbc, a_up, 2);
	i8042_key_event(r->kbc, up_down, 2);
	i8042_key_event(r->kbc, up_up, 3);
	i8042_key_event(r->kbc, f7, 1);
	i8042_key_event(r->kbc, f7_up, 2);
	i8042_key_event(r->kbc, esc, 1);
	EXPECT(r, 0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8, 0x41, 0xc1, 0x01);

	write_config(r, 0x05);                       /* untranslated: raw set 2 */
	i8042_key_event(r->kbc, a_up, 2);
	EXPECT(r, 0xf0, 0x1c);
	rig_free(r);
}
END_TEST

START_TEST(reset_restores_power_on_state)
{
	struct rig *r = rig_new();
	write_config(r, 0x00);
	cmd(r, 0xd2);
	put(r, 0x99);
	i8042_reset(r->kbc);
	ck_assert_int_eq(status(r) & ST_OBF, 0);
	ck_assert_int_eq(read_config(r), 0x45);
	rig_free(r);
}
END_TEST

static Suite *i8042_suite(void)
{
	Suite *s = suite_create("i8042");
	TCase *tc = tcase_create("controller");
	tcase_add_test(tc, self_test_sets_sys_flag);
	tcase_add_test(tc, interface_tests);
	tcase_add_test(tc, status_idle_and_a2);
	tcase_add_test(tc, config_byte_and_ram);
	tcase_add_test(tc, input_port_and_test_inputs);
	tcase_add_test(tc, output_port_a20);
	tcase_add_test(tc, a20_commands_dd_df);
	tcase_add_test(tc, output_port_shows_obf_lines);
	tcase_add_test(tc, reset_via_pulse_and_output_port);
	tcase_add_test(tc, reset_restores_power_on_state);
	suite_add_tcase(s, tc);
	tc = tcase_create("keyboard");
	tcase_add_test(tc, keyboard_reset_and_identify);
	tcase_add_test(tc, keyboard_commands_ack);
	tcase_add_test(tc, keyboard_enable_disable_scanning);
	tcase_add_test(tc, keyboard_set1_selected);
	tcase_add_test(tc, keyboard_disabled_holds_keys);
	tcase_add_test(tc, translation_set2_to_set1);
	tcase_add_test(tc, irq1_gated_by_config);
	suite_add_tcase(s, tc);
	tc = tcase_create("aux");
	tcase_add_test(tc, aux_commands);
	tcase_add_test(tc, aux_loopback_and_gating);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(i8042_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
