/*
 * test_acpi_pm.c - the ACPI PM1 registers and PM timer (devices/acpi_pm.c),
 * driven through a portmap with a fake clock, SCI line and power switch.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/acpi_pm.h"

#define STS ACPI_PM_EVT_PORT
#define EN (ACPI_PM_EVT_PORT + 2)
#define CNT ACPI_PM_CNT_PORT
#define TMR ACPI_PM_TMR_PORT

struct fixture {
	struct vclock clock;
	struct portmap *ports;
	struct acpi_pm *pm;
	int sci_level;
	int sci_calls;
	int power_offs;
};

static void fake_sci(void *opaque, int num, int level)
{
	struct fixture *f = opaque;
	ck_assert_int_eq(num, ACPI_PM_SCI_IRQ);
	f->sci_level = level;
	f->sci_calls++;
}

static void fake_power_off(void *opaque)
{
	struct fixture *f = opaque;
	f->power_offs++;
}

static struct fixture *setup_at(uint64_t start_ns)
{
	struct fixture *f = calloc(1, sizeof(*f));
	ck_assert_ptr_nonnull(f);
	f->clock.fake_ns = start_ns;
	f->ports = calloc(1, sizeof(*f->ports));
	ck_assert_ptr_nonnull(f->ports);
	portmap_init(f->ports);
	struct irq_line sci = { fake_sci, f, ACPI_PM_SCI_IRQ };
	f->pm = acpi_pm_create(&f->clock, sci, fake_power_off, f);
	ck_assert_ptr_nonnull(f->pm);
	ck_assert_int_eq(acpi_pm_register(f->pm, f->ports), 0);
	return f;
}

static struct fixture *setup(void)
{
	return setup_at(0);
}

static void teardown(struct fixture *f)
{
	acpi_pm_destroy(f->pm);
	free(f->ports);
	free(f);
}

static uint32_t in(struct fixture *f, uint16_t port, unsigned size)
{
	return portmap_read(f->ports, port, size);
}

static void out(struct fixture *f, uint16_t port, uint32_t value, unsigned size)
{
	portmap_write(f->ports, port, value, size);
}

/* First nanosecond at which the 3.579545 MHz counter has reached ticks. */
static uint64_t ns_of_tick(uint64_t ticks)
{
	return (ticks * NS_PER_SEC + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
}

START_TEST(test_ports)
{
	struct fixture *f = setup();
	for (uint16_t p = STS; p < STS + ACPI_PM_EVT_LEN; p++)
		ck_assert_str_eq(portmap_owner_name(f->ports, p), "acpi-pm1-evt");
	for (uint16_t p = CNT; p < CNT + ACPI_PM_CNT_LEN; p++)
		ck_assert_str_eq(portmap_owner_name(f->ports, p), "acpi-pm1-cnt");
	for (uint16_t p = TMR; p < TMR + ACPI_PM_TMR_LEN; p++)
		ck_assert_str_eq(portmap_owner_name(f->ports, p), "acpi-pm-tmr");
	ck_assert_ptr_null(portmap_owner_name(f->ports, CNT + 2));
	ck_assert_ptr_null(portmap_owner_name(f->ports, TMR + 4));
	ck_assert_int_eq(acpi_pm_register(f->pm, f->ports), -1);
	teardown(f);
}
END_TEST

START_TEST(test_control_register)
{
	struct fixture *f = setup();
	ck_assert_uint_eq(in(f, CNT, 2), ACPI_PM1_SCI_EN);
	out(f, CNT, 0, 2);
	ck_assert_uint_eq(in(f, CNT, 2), ACPI_PM1_SCI_EN);   /* SCI_EN is hardwired */
	/* BM_RLD and SLP_TYP stick; GBL_RLS, SLP_EN and reserved bits read 0. */
	out(f, CNT, 0xffff & ~ACPI_PM1_SLP_EN, 2);
	ck_assert_uint_eq(in(f, CNT, 2),
			  ACPI_PM1_SCI_EN | ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP);
	out(f, CNT, 3u << ACPI_PM1_SLP_TYP_SHIFT, 2);
	ck_assert_uint_eq(in(f, CNT, 2), ACPI_PM1_SCI_EN | 3u << ACPI_PM1_SLP_TYP_SHIFT);
	/* Byte access: the high byte holds SLP_TYP. */
	ck_assert_uint_eq(in(f, CNT + 1, 1), 3u << (ACPI_PM1_SLP_TYP_SHIFT - 8));
	out(f, CNT + 1, 1u << (ACPI_PM1_SLP_TYP_SHIFT - 8), 1);
	ck_assert_uint_eq(in(f, CNT, 2), ACPI_PM1_SCI_EN | 1u << ACPI_PM1_SLP_TYP_SHIFT);
	out(f, CNT, ACPI_PM1_BM_RLD, 1);
	ck_assert_uint_eq(in(f, CNT, 2),
			  ACPI_PM1_SCI_EN | ACPI_PM1_BM_RLD | 1u << ACPI_PM1_SLP_TYP_SHIFT);
	/* A dword read runs past the 2-byte block: the rest floats high. */
	ck_assert_uint_eq(in(f, CNT, 4),
			  0xffff0000u | ACPI_PM1_SCI_EN | ACPI_PM1_BM_RLD |
			  1u << ACPI_PM1_SLP_TYP_SHIFT);
	ck_assert_int_eq(f->power_offs, 0);
	teardown(f);
}
END_TEST

START_TEST(test_status_write_one_to_clear)
{
	struct fixture *f = setup();
	ck_assert_uint_eq(in(f, STS, 2), 0);
	f->clock.fake_ns = ns_of_tick(1u << 23);    /* bit 23 sets: TMR_STS */
	acpi_pm_power_button(f->pm);
	uint32_t both = ACPI_PM1_TMR_STS | ACPI_PM1_PWRBTN_STS;
	ck_assert_uint_eq(in(f, STS, 2), both);
	out(f, STS, 0, 2);                          /* writing 0 changes nothing */
	ck_assert_uint_eq(in(f, STS, 2), both);
	out(f, STS, ACPI_PM1_TMR_STS, 2);
	ck_assert_uint_eq(in(f, STS, 2), ACPI_PM1_PWRBTN_STS);
	out(f, STS, 0xff, 1);                       /* low byte only: PWRBTN stays */
	ck_assert_uint_eq(in(f, STS, 2), ACPI_PM1_PWRBTN_STS);
	out(f, STS + 1, ACPI_PM1_PWRBTN_STS >> 8, 1);
	ck_assert_uint_eq(in(f, STS, 2), 0);
	acpi_pm_power_button(f->pm);
	out(f, STS, 0xffff, 2);                     /* clearing everything, as ACPICA does */
	ck_assert_uint_eq(in(f, STS, 2), 0);
	/* A dword write to PM1_STS|PM1_EN clears status and loads the enables. */
	acpi_pm_power_button(f->pm);
	out(f, STS, (uint32_t)ACPI_PM1_PWRBTN_EN << 16 | ACPI_PM1_PWRBTN_STS, 4);
	ck_assert_uint_eq(in(f, STS, 4), (uint32_t)ACPI_PM1_PWRBTN_EN << 16);
	teardown(f);
}
END_TEST

START_TEST(test_enable_register)
{
	struct fixture *f = setup();
	uint32_t all = ACPI_PM1_TMR_EN | ACPI_PM1_GBL_EN | ACPI_PM1_PWRBTN_EN |
		       ACPI_PM1_SLPBTN_EN | ACPI_PM1_RTC_EN;
	ck_assert_uint_eq(in(f, EN, 2), 0);
	out(f, EN, 0xffff, 2);                      /* only defined enables stick */
	ck_assert_uint_eq(in(f, EN, 2), all);
	out(f, EN + 1, 0, 1);                       /* high byte: PWRBTN/SLPBTN/RTC */
	ck_assert_uint_eq(in(f, EN, 2), ACPI_PM1_TMR_EN | ACPI_PM1_GBL_EN);
	out(f, EN, ACPI_PM1_GBL_EN, 1);
	ck_assert_uint_eq(in(f, EN, 2), ACPI_PM1_GBL_EN);
	ck_assert_uint_eq(in(f, EN, 1), ACPI_PM1_GBL_EN);
	/* A dword read at PM1_EN runs past the block: the upper half floats high. */
	ck_assert_uint_eq(in(f, EN, 4), 0xffff0000u | ACPI_PM1_GBL_EN);
	ck_assert_int_eq(f->sci_calls, 0);
	teardown(f);
}
END_TEST

START_TEST(test_sci_level)
{
	struct fixture *f = setup();
	acpi_pm_power_button(f->pm);                /* status without enable: no SCI */
	ck_assert_int_eq(f->sci_calls, 0);
	out(f, EN, ACPI_PM1_PWRBTN_EN, 2);          /* enabling a pending event raises it */
	ck_assert_int_eq(f->sci_level, 1);
	ck_assert_int_eq(f->sci_calls, 1);
	acpi_pm_power_button(f->pm);                /* still high: no new call */
	ck_assert_int_eq(f->sci_calls, 1);
	out(f, STS, ACPI_PM1_PWRBTN_STS, 2);        /* handler clears the status */
	ck_assert_int_eq(f->sci_level, 0);
	ck_assert_int_eq(f->sci_calls, 2);
	acpi_pm_power_button(f->pm);
	ck_assert_int_eq(f->sci_level, 1);
	out(f, EN, 0, 2);                           /* disabling lowers the line */
	ck_assert_int_eq(f->sci_level, 0);
	ck_assert_uint_eq(in(f, STS, 2), ACPI_PM1_PWRBTN_STS);
	/* Status bits that are enabled but never set do not raise it. */
	out(f, STS, 0xffff, 2);
	out(f, EN, ACPI_PM1_GBL_EN | ACPI_PM1_RTC_EN | ACPI_PM1_SLPBTN_EN, 2);
	ck_assert_int_eq(f->sci_level, 0);
	ck_assert_int_eq(f->sci_calls, 4);
	teardown(f);
}
END_TEST

START_TEST(test_timer_frequency)
{
	struct fixture *f = setup();
	ck_assert_uint_eq(in(f, TMR, 4), 0);
	f->clock.fake_ns = NS_PER_SEC;
	ck_assert_uint_eq(in(f, TMR, 4), 3579545u);
	f->clock.fake_ns = 10 * NS_PER_SEC;         /* wraps at 2^24, bits 24-31 read 0 */
	ck_assert_uint_eq(in(f, TMR, 4), (10u * 3579545u) & 0xffffffu);
	ck_assert_uint_eq(in(f, TMR, 4) >> 24, 0);
	/* From any start, one second is 3579545 counts (mod 2^24). */
	f->clock.fake_ns = 987654321;
	uint32_t t0 = in(f, TMR, 4);
	f->clock.fake_ns += NS_PER_SEC;
	uint32_t t1 = in(f, TMR, 4);
	ck_assert_uint_eq((t1 - t0) & 0xffffffu, 3579545u);
	/* 1 ms is 3579.545 counts: 3579 or 3580. */
	f->clock.fake_ns += 1000000;
	uint32_t t2 = in(f, TMR, 4);
	ck_assert_uint_ge((t2 - t1) & 0xffffffu, 3579);
	ck_assert_uint_le((t2 - t1) & 0xffffffu, 3580);
	/* Narrow reads return the bytes of the same value. */
	uint32_t v = in(f, TMR, 4);
	ck_assert_uint_eq(in(f, TMR, 2), v & 0xffff);
	ck_assert_uint_eq(in(f, TMR + 2, 1), (v >> 16) & 0xff);
	ck_assert_uint_eq(in(f, TMR + 3, 1), 0);
	/* Writes are ignored. */
	out(f, TMR, 0, 4);
	ck_assert_uint_eq(in(f, TMR, 4), v);
	/* Wrap-around: just before and at 2^24 counts. */
	f->clock.fake_ns = ns_of_tick(1u << 24) - 1;
	ck_assert_uint_eq(in(f, TMR, 4), 0xffffffu);
	f->clock.fake_ns = ns_of_tick(1u << 24);
	ck_assert_uint_eq(in(f, TMR, 4), 0);
	ck_assert_uint_eq(acpi_pm_timer(3600 * NS_PER_SEC),
			  (uint32_t)((3600ull * 3579545u) & 0xffffff));
	/* Hours into a run, the count is still exact (no overflow). */
	uint64_t day = 86400 * NS_PER_SEC;
	ck_assert_uint_eq((acpi_pm_timer(day + NS_PER_SEC) - acpi_pm_timer(day)) & 0xffffffu,
			  3579545u);
	teardown(f);
}
END_TEST

START_TEST(test_timer_status_on_bit23)
{
	struct fixture *f = setup();
	f->clock.fake_ns = ns_of_tick(1u << 23) - 1;
	ck_assert_uint_eq(in(f, STS, 2) & ACPI_PM1_TMR_STS, 0);
	f->clock.fake_ns = ns_of_tick(1u << 23);    /* bit 23: 0 -> 1 */
	ck_assert_uint_eq(in(f, STS, 2) & ACPI_PM1_TMR_STS, ACPI_PM1_TMR_STS);
	out(f, STS, ACPI_PM1_TMR_STS, 2);
	f->clock.fake_ns = ns_of_tick(1u << 24) - 1;
	ck_assert_uint_eq(in(f, STS, 2) & ACPI_PM1_TMR_STS, 0);
	f->clock.fake_ns = ns_of_tick(1u << 24);    /* bit 23: 1 -> 0 (wrap) */
	ck_assert_uint_eq(in(f, STS, 2) & ACPI_PM1_TMR_STS, ACPI_PM1_TMR_STS);
	ck_assert_int_eq(f->sci_calls, 0);          /* TMR_EN is clear */
	teardown(f);
}
END_TEST

START_TEST(test_timer_sci_and_poll)
{
	struct fixture *f = setup_at(5 * NS_PER_SEC);  /* past one toggle already */
	ck_assert_uint_eq(acpi_pm_poll(f->pm, f->clock.fake_ns), VCLOCK_NEVER);
	ck_assert_uint_eq(in(f, STS, 2) & ACPI_PM1_TMR_STS, 0);
	out(f, EN, ACPI_PM1_TMR_EN, 2);
	/* 5 s = 17897725 counts: epoch 2; the next toggle is at 3 * 2^23. */
	uint64_t due = ns_of_tick(3ull << 23);
	ck_assert_uint_eq(acpi_pm_poll(f->pm, f->clock.fake_ns), due);
	ck_assert_int_eq(f->sci_level, 0);
	ck_assert_uint_eq(acpi_pm_poll(f->pm, due - 1), due);
	ck_assert_int_eq(f->sci_level, 0);
	ck_assert_uint_eq(acpi_pm_poll(f->pm, due), ns_of_tick(4ull << 23));
	ck_assert_int_eq(f->sci_level, 1);
	f->clock.fake_ns = due;
	out(f, STS, ACPI_PM1_TMR_STS, 2);
	ck_assert_int_eq(f->sci_level, 0);
	/* A late poll after many toggles sets the status once. */
	uint64_t late = ns_of_tick(10ull << 23) + 12345;
	ck_assert_uint_eq(acpi_pm_poll(f->pm, late), ns_of_tick(11ull << 23));
	ck_assert_int_eq(f->sci_level, 1);
	ck_assert_int_eq(f->sci_calls, 3);
	out(f, EN, 0, 2);
	ck_assert_uint_eq(acpi_pm_poll(f->pm, late), VCLOCK_NEVER);
	teardown(f);
}
END_TEST

START_TEST(test_s5_powers_off_once)
{
	struct fixture *f = setup();
	uint32_t s5 = ACPI_PM_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT;
	/* ACPICA writes SLP_TYP first, then SLP_TYP | SLP_EN. */
	out(f, CNT, s5, 2);
	ck_assert_int_eq(f->power_offs, 0);
	out(f, CNT, s5 | ACPI_PM1_SLP_EN, 2);
	ck_assert_int_eq(f->power_offs, 1);
	ck_assert_uint_eq(in(f, CNT, 2) & ACPI_PM1_SLP_EN, 0);   /* write-only */
	out(f, CNT, s5 | ACPI_PM1_SLP_EN, 2);                    /* already off */
	ck_assert_int_eq(f->power_offs, 1);
	teardown(f);
}
END_TEST

START_TEST(test_s5_byte_write)
{
	struct fixture *f = setup();
	uint32_t s5 = ACPI_PM_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT;
	out(f, CNT + 1, (s5 | ACPI_PM1_SLP_EN) >> 8, 1);
	ck_assert_int_eq(f->power_offs, 1);
	teardown(f);
}
END_TEST

START_TEST(test_other_sleep_types_ignored)
{
	struct fixture *f = setup();
	for (unsigned typ = 0; typ < 8; typ++) {
		if (typ == ACPI_PM_SLP_TYP_S5)
			continue;
		out(f, CNT, typ << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN, 2);
		ck_assert_uint_eq(in(f, CNT, 2),
				  ACPI_PM1_SCI_EN | typ << ACPI_PM1_SLP_TYP_SHIFT);
	}
	/* SLP_EN in a write to the low byte only: SLP_EN is not in that lane. */
	out(f, CNT, ACPI_PM_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT, 2);
	out(f, CNT, 0xff, 1);
	ck_assert_int_eq(f->power_offs, 0);
	/* The machine is still on: S5 works afterwards. */
	out(f, CNT, ACPI_PM_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN, 2);
	ck_assert_int_eq(f->power_offs, 1);
	teardown(f);
}
END_TEST

START_TEST(test_no_power_off_callback)
{
	struct vclock clock = { 0 };
	struct portmap *ports = calloc(1, sizeof(*ports));
	ck_assert_ptr_nonnull(ports);
	portmap_init(ports);
	struct acpi_pm *pm = acpi_pm_create(&clock, (struct irq_line){ 0 }, NULL, NULL);
	ck_assert_ptr_nonnull(pm);
	ck_assert_int_eq(acpi_pm_register(pm, ports), 0);
	portmap_write(ports, CNT, ACPI_PM_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT |
		      ACPI_PM1_SLP_EN, 2);
	portmap_write(ports, EN, ACPI_PM1_PWRBTN_EN, 2);
	acpi_pm_power_button(pm);                   /* no SCI wired: no crash */
	ck_assert_uint_eq(portmap_read(ports, STS, 2), ACPI_PM1_PWRBTN_STS);
	acpi_pm_destroy(pm);
	free(ports);
}
END_TEST

static Suite *acpi_pm_suite(void)
{
	Suite *s = suite_create("acpi_pm");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_ports);
	tcase_add_test(tc, test_control_register);
	tcase_add_test(tc, test_status_write_one_to_clear);
	tcase_add_test(tc, test_enable_register);
	tcase_add_test(tc, test_sci_level);
	tcase_add_test(tc, test_timer_frequency);
	tcase_add_test(tc, test_timer_status_on_bit23);
	tcase_add_test(tc, test_timer_sci_and_poll);
	tcase_add_test(tc, test_s5_powers_off_once);
	tcase_add_test(tc, test_s5_byte_write);
	tcase_add_test(tc, test_other_sleep_types_ignored);
	tcase_add_test(tc, test_no_power_off_callback);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(acpi_pm_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
