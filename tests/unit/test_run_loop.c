/*
 * test_run_loop.c - the machine and its main loop, driven by a scripted
 * fake engine: every way of stopping (exit port, power-off, reset request,
 * triple fault, dead halt, timeout, signal), HLT waiting for a PIT
 * interrupt through the PIC, A20 through port 0x92, and machine building
 * errors.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/engine.h"
#include "vmm/machine.h"
#include "vmm/run_loop.h"

enum script { S_EXIT_PORT, S_SPIN, S_DEAD_HALT, S_TRIPLE, S_TIMER_IRQ, S_SIGNAL, S_RESET,
	      S_POWER_OFF, S_ERROR, S_RESET_ONCE };

struct fake_engine {
	struct machine *m;
	enum script script;
	int runs;
	uint64_t longest_slice;   /* largest deadline - now a run was given (ns) */
	int irqs;
	uint8_t last_vector;
};

static enum script next_script;
static struct fake_engine *last_engine;

static struct engine *fake_create(struct machine *m, char *err, size_t n)
{
	struct fake_engine *e = calloc(1, sizeof(*e));
	e->m = m;
	e->script = next_script;
	last_engine = e;
	return (struct engine *)e;
}

static void fake_destroy(struct engine *e)
{
	(void)e;   /* kept for inspection by the tests; freed in teardown */
}

static void out8(struct machine *m, uint16_t port, uint8_t v)
{
	portmap_write(&m->ports, port, v, 1);
}

static enum engine_exit fake_run(struct engine *engine, uint64_t deadline)
{
	struct fake_engine *e = (struct fake_engine *)engine;
	struct machine *m = e->m;
	e->runs++;
	uint64_t now = vclock_now(&m->clock);
	if (deadline > now && deadline - now > e->longest_slice)
		e->longest_slice = deadline - now;
	switch (e->script) {
	case S_EXIT_PORT:
		out8(m, 0xf4, 7);
		return ENGINE_DEADLINE;
	case S_SPIN:
		while (vclock_now(&m->clock) < deadline && !(m->requests & REQ_STOP))
			;
		return ENGINE_DEADLINE;
	case S_DEAD_HALT:
		m->cpu.eflags &= ~EFL_IF;
		m->cpu.halted = true;
		return ENGINE_HALT;
	case S_TRIPLE:
		return ENGINE_SHUTDOWN;
	case S_ERROR:
		machine_fail(m, "unsupported instruction 0f 0b at 0x%08x", 0x1234);
		return ENGINE_ERROR;
	case S_TIMER_IRQ:
		if (e->runs == 1) {
			/* PIC: ICW1 edge+ICW4, ICW2 base 0x20, ICW3 slave on IR2, ICW4 8086 */
			out8(m, 0x20, 0x11); out8(m, 0x21, 0x20); out8(m, 0x21, 0x04); out8(m, 0x21, 0x01);
			out8(m, 0xa0, 0x11); out8(m, 0xa1, 0x28); out8(m, 0xa1, 0x02); out8(m, 0xa1, 0x01);
			out8(m, 0x21, 0xfe);   /* only IRQ0 */
			out8(m, 0xa1, 0xff);
			/* PIT counter 0, LSB/MSB, mode 2, 1193 -> ~1 kHz */
			out8(m, 0x43, 0x34); out8(m, 0x40, 1193 & 0xff); out8(m, 0x40, 1193 >> 8);
		}
		if (machine_intr_pending(m) && (m->cpu.eflags & EFL_IF)) {
			e->last_vector = machine_intr_ack(m);
			e->irqs++;
			m->cpu.halted = false;
			out8(m, 0x20, 0x20);   /* non-specific EOI */
			if (e->irqs == 5)
				out8(m, 0xf4, 0);
			return ENGINE_DEADLINE;
		}
		m->cpu.eflags |= EFL_IF;
		m->cpu.halted = true;
		return ENGINE_HALT;
	case S_SIGNAL:
		if (e->runs == 1)
			kill(getpid(), SIGTERM);
		while (!(m->requests & REQ_STOP) && vclock_now(&m->clock) < deadline)
			;
		return ENGINE_DEADLINE;
	case S_RESET:
		out8(m, 0x64, 0xfe);   /* i8042: pulse the reset line */
		return ENGINE_DEADLINE;
	case S_RESET_ONCE:
		if (m->resets == 0) {
			m->cpu.eip = 0x1234;      /* state the reset must undo */
			out8(m, 0x92, 0x00);      /* A20 off */
			out8(m, 0x92, 0x01);      /* port 0x92: reset */
			return ENGINE_DEADLINE;
		}
		/* Restarted: at the reset vector with A20 on; exit 0, or 9 if not. */
		out8(m, 0xf4, m->cpu.seg[S_CS].sel == 0xf000 && m->cpu.eip == 0xfff0 &&
				      (portmap_read(&m->ports, 0x92, 1) & 2) ? 0 : 9);
		return ENGINE_DEADLINE;
	case S_POWER_OFF:
		/* ACPI PM1a control: SLP_TYP = 5 (the DSDT's \_S5), SLP_EN */
		portmap_write(&m->ports, 0x604, (5u << 10) | (1u << 13), 2);
		return ENGINE_DEADLINE;
	}
	return ENGINE_ERROR;
}

static const struct engine_ops fake_ops = {
	.name = "fake", .summary = "scripted test engine",
	.create = fake_create, .destroy = fake_destroy, .run = fake_run,
};

/* A Multiboot a.out-kludge kernel: header at 0x100000, entry right after it. */
static char kernel_path[64];

static void write_kernel(void)
{
	uint32_t hdr[12] = {
		0x1badb002, 0x00010000, 0, 0x100000, 0x100000, 0x100000 + 48 + 16,
		0x100000 + 48 + 16 + 4096, 0x100000 + 48,
	};
	hdr[2] = -(hdr[0] + hdr[1]);
	uint8_t code[16] = { 0xf4, 0xeb, 0xfd };   /* hlt; jmp $-1 */
	strcpy(kernel_path, "/tmp/softvt-test-kernel-XXXXXX");
	int fd = mkstemp(kernel_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, hdr, 48), 48);
	ck_assert_int_eq(write(fd, code, 16), 16);
	close(fd);
}

static struct machine_config base_config(void)
{
	return (struct machine_config){
		.engine = "fake", .mem_size = 16u << 20, .kernel = kernel_path,
		.serial = { OUTPUT_NONE, NULL }, .debugcon = { OUTPUT_NONE, NULL },
	};
}

static int run_script(enum script s, double timeout, struct machine **out)
{
	write_kernel();
	struct machine_config cfg = base_config();
	cfg.timeout_s = timeout;
	char err[512];
	struct machine *m = machine_create(&cfg, err, sizeof(err));
	ck_assert_msg(m != NULL, "machine_create: %s", err);
	next_script = s;
	int rc = run_loop(m, &fake_ops);
	unlink(kernel_path);
	if (out)
		*out = m;
	else
		machine_destroy(m);
	return rc;
}

static void teardown(void)
{
	free(last_engine);
	last_engine = NULL;
}

START_TEST(exit_port_sets_exit_code)
{
	struct machine *m;
	ck_assert_int_eq(run_script(S_EXIT_PORT, 5, &m), 7);
	ck_assert_int_eq(m->stop, STOP_EXIT_PORT);
	ck_assert_int_eq(last_engine->runs, 1);
	machine_destroy(m);
}
END_TEST

START_TEST(timeout_stops_a_spinning_guest)
{
	struct machine *m;
	ck_assert_int_eq(run_script(S_SPIN, 0.2, &m), 124);
	ck_assert_int_eq(m->stop, STOP_TIMEOUT);
	/* slices of at most 50 ms (counting runs would depend on the host's load) */
	ck_assert_int_ge(last_engine->runs, 2);
	ck_assert_uint_le(last_engine->longest_slice, 50 * 1000 * 1000ull);
	machine_destroy(m);
}
END_TEST

START_TEST(halt_with_interrupts_off_stops)
{
	struct machine *m;
	ck_assert_int_eq(run_script(S_DEAD_HALT, 5, &m), 0);
	ck_assert_int_eq(m->stop, STOP_HALTED);
	machine_destroy(m);
}
END_TEST

START_TEST(triple_fault_exits_2)
{
	struct machine *m;
	ck_assert_int_eq(run_script(S_TRIPLE, 5, &m), 2);
	ck_assert_int_eq(m->stop, STOP_SHUTDOWN);
	machine_destroy(m);
}
END_TEST

START_TEST(engine_error_exits_1_with_message)
{
	struct machine *m;
	ck_assert_int_eq(run_script(S_ERROR, 5, &m), 1);
	ck_assert_int_eq(m->stop, STOP_ERROR);
	ck_assert_str_eq(m->error, "unsupported instruction 0f 0b at 0x00001234");
	machine_destroy(m);
}
END_TEST

START_TEST(halted_guest_wakes_on_pit_interrupts)
{
	struct machine *m;
	ck_assert_int_eq(run_script(S_TIMER_IRQ, 5, &m), 0);
	ck_assert_int_eq(m->stop, STOP_EXIT_PORT);
	ck_assert_int_eq(last_engine->irqs, 5);
	ck_assert_int_eq(last_engine->last_vector, 0x20);
	machine_destroy(m);
}
END_TEST

START_TEST(sigterm_stops_with_128_plus_signal)
{
	struct machine *m;
	ck_assert_int_eq(run_script(S_SIGNAL, 5, &m), 128 + SIGTERM);
	ck_assert_int_eq(m->stop, STOP_SIGNAL);
	machine_destroy(m);
}
END_TEST

START_TEST(i8042_reset_request_stops)
{
	struct machine *m;
	ck_assert_int_eq(run_script(S_RESET, 5, &m), 0);
	ck_assert_int_eq(m->stop, STOP_RESET);
	machine_destroy(m);
}
END_TEST

/* A disk boot through the BIOS: a reset restarts the machine on a new engine. */
START_TEST(firmware_boot_reset_reboots)
{
	char disk[] = "/tmp/softvt-test-disk-XXXXXX";
	int fd = mkstemp(disk);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 512), 0);
	close(fd);
	struct machine_config cfg = base_config();
	cfg.kernel = NULL;
	cfg.disk = disk;
	cfg.timeout_s = 5;
	char err[512];
	struct machine *m = machine_create(&cfg, err, sizeof(err));
	ck_assert_msg(m != NULL, "machine_create: %s", err);
	next_script = S_RESET_ONCE;
	struct fake_engine *before = NULL;
	last_engine = NULL;
	ck_assert_int_eq(run_loop(m, &fake_ops), 0);
	before = last_engine;
	ck_assert_int_eq(m->stop, STOP_EXIT_PORT);
	ck_assert_uint_eq(m->resets, 1);
	ck_assert_int_eq(before->runs, 1);     /* the engine made after the reset ran once */
	machine_destroy(m);
	unlink(disk);
}
END_TEST

START_TEST(acpi_s5_powers_off)
{
	struct machine *m;
	ck_assert_int_eq(run_script(S_POWER_OFF, 5, &m), 0);
	ck_assert_int_eq(m->stop, STOP_POWER_OFF);
	machine_destroy(m);
}
END_TEST

START_TEST(port92_gates_a20)
{
	write_kernel();
	struct machine_config cfg = base_config();
	char err[512];
	struct machine *m = machine_create(&cfg, err, sizeof(err));
	unlink(kernel_path);
	ck_assert_ptr_nonnull(m);
	physmap_write(&m->phys, 0x000000, 0x11, 1);
	physmap_write(&m->phys, 0x100000, 0x22, 1);
	ck_assert_uint_eq(portmap_read(&m->ports, 0x92, 1) & 2, 2);
	out8(m, 0x92, 0x00);   /* close the gate */
	ck_assert_uint_eq(portmap_read(&m->ports, 0x92, 1) & 2, 0);
	ck_assert_uint_eq(physmap_read(&m->phys, physmap_a20(&m->phys, 0x100000), 1), 0x11);
	out8(m, 0x92, 0x02);
	ck_assert_uint_eq(physmap_read(&m->phys, physmap_a20(&m->phys, 0x100000), 1), 0x22);
	machine_destroy(m);
}
END_TEST

START_TEST(vga_dump_written_at_stop)
{
	write_kernel();
	struct machine_config cfg = base_config();
	char dump[] = "/tmp/softvt-test-vga-XXXXXX";
	int fd = mkstemp(dump);
	close(fd);
	cfg.vga_dump = dump;
	char err[512];
	struct machine *m = machine_create(&cfg, err, sizeof(err));
	unlink(kernel_path);
	ck_assert_ptr_nonnull(m);
	physmap_write(&m->phys, 0xb8000, 0x0748, 2);   /* 'H' */
	physmap_write(&m->phys, 0xb8002, 0x0769, 2);   /* 'i' */
	next_script = S_EXIT_PORT;
	ck_assert_int_eq(run_loop(m, &fake_ops), 7);
	machine_destroy(m);
	FILE *f = fopen(dump, "r");
	char line[128] = "";
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(dump);
	ck_assert_str_eq(line, "Hi\n");
}
END_TEST

START_TEST(machine_reports_bad_kernel)
{
	struct machine_config cfg = base_config();
	cfg.kernel = "/nonexistent/kernel";
	char err[512] = "";
	ck_assert_ptr_null(machine_create(&cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/kernel"));

	strcpy(kernel_path, "/tmp/softvt-test-junk-XXXXXX");
	int fd = mkstemp(kernel_path);
	ck_assert_int_eq(write(fd, "this is not a kernel", 20), 20);
	close(fd);
	cfg.kernel = kernel_path;
	ck_assert_ptr_null(machine_create(&cfg, err, sizeof(err)));
	unlink(kernel_path);
	ck_assert_ptr_nonnull(strstr(err, "not a kernel"));
}
END_TEST

static Suite *run_loop_suite(void)
{
	Suite *s = suite_create("run_loop");
	TCase *tc = tcase_create("stop");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, exit_port_sets_exit_code);
	tcase_add_test(tc, timeout_stops_a_spinning_guest);
	tcase_add_test(tc, halt_with_interrupts_off_stops);
	tcase_add_test(tc, triple_fault_exits_2);
	tcase_add_test(tc, engine_error_exits_1_with_message);
	tcase_add_test(tc, halted_guest_wakes_on_pit_interrupts);
	tcase_add_test(tc, sigterm_stops_with_128_plus_signal);
	tcase_add_test(tc, i8042_reset_request_stops);
	tcase_add_test(tc, firmware_boot_reset_reboots);
	tcase_add_test(tc, acpi_s5_powers_off);
	tcase_add_test(tc, port92_gates_a20);
	tcase_add_test(tc, vga_dump_written_at_stop);
	tcase_add_test(tc, machine_reports_bad_kernel);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(run_loop_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
