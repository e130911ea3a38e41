/*
 * machine.c - building the PC and servicing its devices (see machine.h).
 *
 * Board wiring (ISA IRQs on the 8259 pair):
 *   IRQ0 PIT counter 0    IRQ1 i8042 keyboard   IRQ2 cascade
 *   IRQ4 COM1 (0x3F8)     IRQ8 RTC              IRQ9 ACPI SCI
 *   IRQ12 i8042 aux       IRQ14 IDE primary (with --disk)
 * Physical memory and ports: docs/MEMORY_MAP.md.
 */
#include "vmm/machine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bios/acpi_tables.h"
#include "bios/bios_rom.h"
#include "devices/acpi_pm.h"
#include "devices/bootfail.h"
#include "devices/disk_image.h"
#include "devices/ide_ata.h"
#include "devices/debugcon.h"
#include "devices/i8042.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/port92.h"
#include "devices/postcode.h"
#include "devices/rtc146818.h"
#include "devices/testexit.h"
#include "devices/uart16550.h"
#include "devices/vga_text.h"
#include "loader/linux_boot.h"
#include "loader/loader.h"
#include "loader/multiboot.h"
#include "vmm/console.h"
#include "vmm/errmsg.h"
#include "vmm/hostio.h"
#ifdef SOFTVT_HAVE_SDL
#include "devices/sdl_display.h"
#endif

#define ROM_BASE 0xc0000u
#define BIOS_BASE 0xf0000u
#define ACPI_TABLES_BASE 0xe0000u
#define EBDA_BASE 0x9fc00u
#define HIGH_BIOS_ALIAS 0xffff0000u
#define COM1_BASE 0x3f8
#define SDL_REFRESH_NS (NS_PER_SEC / 60)

static const char *const stop_names[] = {
	[STOP_NONE] = "running",
	[STOP_POWER_OFF] = "guest powered off",
	[STOP_EXIT_PORT] = "guest wrote the test exit port",
	[STOP_RESET] = "guest requested a reset",
	[STOP_SHUTDOWN] = "triple fault (shutdown)",
	[STOP_TIMEOUT] = "timeout",
	[STOP_SIGNAL] = "signal",
	[STOP_USER_QUIT] = "quit by the user",
	[STOP_HALTED] = "guest halted the CPU with interrupts disabled",
	[STOP_ERROR] = "error",
};

const char *machine_stop_name(enum stop_reason why)
{
	return stop_names[why];
}

void machine_stop(struct machine *m, enum stop_reason why, int exit_code)
{
	if (m->stop == STOP_NONE) {
		m->stop = why;
		m->exit_code = exit_code;
	}
	__atomic_or_fetch(&m->requests, REQ_STOP, __ATOMIC_SEQ_CST);
}

void machine_fail(struct machine *m, const char *fmt, ...)
{
	if (m->stop != STOP_NONE)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->error, sizeof(m->error), fmt, ap);
	va_end(ap);
	machine_stop(m, STOP_ERROR, 1);
}

/* --- callbacks from devices ------------------------------------------- */

static void cpu_intr_set(void *opaque, int num, int level)
{
	struct machine *m = opaque;
	m->intr_line = level;
	if (level)
		__atomic_or_fetch(&m->requests, REQ_INTR, __ATOMIC_SEQ_CST);
}

static void board_reset(void *opaque)
{
	machine_stop(opaque, STOP_RESET, 0);
}

static void board_set_a20(void *opaque, bool enabled)
{
	struct machine *m = opaque;
	m->a20 = enabled;
	physmap_set_a20(&m->phys, enabled);
}

static bool board_get_a20(void *opaque)
{
	return ((struct machine *)opaque)->a20;
}

static void board_power_off(void *opaque)
{
	machine_stop(opaque, STOP_POWER_OFF, 0);
}

static void board_exit_request(void *opaque, int code)
{
	machine_stop(opaque, STOP_EXIT_PORT, code);
}

static void board_bootfail(void *opaque, unsigned code)
{
	struct machine *m = opaque;
	machine_fail(m, "%s (--disk %s)", bios_bootfail_reason(code),
		     m->cfg.disk ? m->cfg.disk : "not given");
}

static void debugcon_putc(void *opaque, uint8_t byte)
{
	struct machine *m = opaque;
	if (m->io)
		hostio_put(m->io, &m->io->debugcon_out, &byte, 1);
	else if (m->debugcon_out)
		fputc(byte, m->debugcon_out);
}

static void serial_tx(void *opaque, uint8_t byte)
{
	struct machine *m = opaque;
	if (m->io)
		hostio_put(m->io, &m->io->serial_out, &byte, 1);
	else
		console_write(m->console, byte);
}

static void serial_discard(void *opaque, uint8_t byte)
{
}

bool machine_firmware_boot(const struct machine *m)
{
	return m->cfg.kernel == NULL;
}

void machine_reset(struct machine *m)
{
	cpu_state_reset(&m->cpu);
	i8042_reset(m->kbc);
	board_set_a20(m, true);
	m->stop = STOP_NONE;
	m->exit_code = 0;
	m->error[0] = '\0';
	m->requests = 0;
	m->resets++;
}

/* --- interrupt interface ---------------------------------------------- */

bool machine_intr_pending(const struct machine *m)
{
	return pic8259_intr_pending(m->pic);
}

uint8_t machine_intr_ack(struct machine *m)
{
	return (uint8_t)pic8259_acknowledge(m->pic);
}

uint64_t machine_tsc(const struct machine *m)
{
	struct vclock *clock = (struct vclock *)&m->clock;
	uint64_t ns = vclock_now(clock);
	/* tsc_hz is 1 GHz in the model: one tick per nanosecond. */
	uint64_t ticks = ns / NS_PER_SEC * m->model.tsc_hz +
			 ns % NS_PER_SEC * m->model.tsc_hz / NS_PER_SEC;
	return ticks + m->cpu.tsc_offset;
}

/* --- board construction ----------------------------------------------- */

static int build_memory(struct machine *m, char *err, size_t errlen)
{
	uint64_t top = m->cfg.mem_size;
	if (guest_ram_create(&m->ram, top, err, errlen) < 0)
		return -1;
	physmap_init(&m->phys, &m->ram);
	if (physmap_add_ram(&m->phys, 0, 0xa0000, 0, false, "conventional RAM") < 0 ||
	    physmap_add_ram(&m->phys, ROM_BASE, 0x100000 - ROM_BASE, ROM_BASE, true, "BIOS area ROM") < 0 ||
	    physmap_add_ram(&m->phys, 0x100000, top - 0x100000, 0x100000, false, "extended RAM") < 0 ||
	    physmap_add_ram(&m->phys, HIGH_BIOS_ALIAS, 0x10000, BIOS_BASE, true, "BIOS alias") < 0)
		return errmsg(err, errlen, "internal error: cannot build the physical memory map");
	m->a20 = true;

	struct e820_map *e = &m->e820;
	e820_add(e, 0, EBDA_BASE, E820_RAM);
	e820_add(e, EBDA_BASE, 0xa0000 - EBDA_BASE, E820_RESERVED);
	e820_add(e, ACPI_TABLES_BASE, 0x100000 - ACPI_TABLES_BASE, E820_RESERVED);
	e820_add(e, 0x100000, top - 0x100000, E820_RAM);
	e820_add(e, HIGH_BIOS_ALIAS, 0x10000, E820_RESERVED);
	return 0;
}

static void fill_cmos(struct machine *m)
{
	uint64_t ext_k = (m->cfg.mem_size - 0x100000) / 1024;
	uint64_t above16m = m->cfg.mem_size > (16u << 20) ? (m->cfg.mem_size - (16u << 20)) >> 16 : 0;
	if (ext_k > 0xffff)
		ext_k = 0xffff;
	if (above16m > 0xffff)
		above16m = 0xffff;
	rtc146818_set_cmos(m->rtc, 0x10, 0x00);               /* no floppy drives */
	rtc146818_set_cmos(m->rtc, 0x14, 0x22);               /* FPU, 80x25 colour */
	rtc146818_set_cmos(m->rtc, 0x15, 640 & 0xff);         /* base memory, KiB */
	rtc146818_set_cmos(m->rtc, 0x16, 640 >> 8);
	rtc146818_set_cmos(m->rtc, 0x17, ext_k & 0xff);       /* memory above 1 MiB, KiB */
	rtc146818_set_cmos(m->rtc, 0x18, ext_k >> 8);
	rtc146818_set_cmos(m->rtc, 0x30, ext_k & 0xff);
	rtc146818_set_cmos(m->rtc, 0x31, ext_k >> 8);
	rtc146818_set_cmos(m->rtc, 0x34, above16m & 0xff);    /* above 16 MiB, 64 KiB units */
	rtc146818_set_cmos(m->rtc, 0x35, above16m >> 8);
}

static int open_output(const struct output_spec *spec, FILE **out, const char *what,
		       char *err, size_t errlen)
{
	*out = NULL;
	if (spec->kind == OUTPUT_STDIO) {
		*out = stdout;
	} else if (spec->kind == OUTPUT_FILE) {
		*out = fopen(spec->path, "w");
		if (!*out)
			return errmsg(err, errlen, "cannot open %s output file %s: %s", what,
				    spec->path, strerror(errno));
	}
	return 0;
}

static int build_devices(struct machine *m, char *err, size_t errlen)
{
	struct portmap *ports = &m->ports;
	m->pic = pic8259_create((struct irq_line){ cpu_intr_set, m, 0 });
	m->pit = pit8254_create(&m->clock, pic8259_irq_line(m->pic, 0));
	m->rtc = rtc146818_create(&m->clock, (int64_t)time(NULL), pic8259_irq_line(m->pic, 8));

	void (*tx)(void *, uint8_t) = serial_discard;
	void *tx_opaque = NULL;
	if (m->cfg.serial.kind == OUTPUT_STDIO)
		m->console = console_open_stdio(err, errlen);
	else if (m->cfg.serial.kind == OUTPUT_FILE)
		m->console = console_open_file(m->cfg.serial.path, err, errlen);
	if (m->cfg.serial.kind != OUTPUT_NONE) {
		if (!m->console)
			return -1;
		tx = serial_tx;
		tx_opaque = m;
	}
	m->com1 = uart16550_create(pic8259_irq_line(m->pic, 4), tx, tx_opaque);

	struct board_lines host = { .opaque = m, .reset = board_reset,
				    .set_a20 = board_set_a20, .get_a20 = board_get_a20 };
	m->kbc = i8042_create(pic8259_irq_line(m->pic, 1), pic8259_irq_line(m->pic, 12), &host);
	m->port92 = port92_create(&host);
	m->post = postcode_create(NULL);
	if (open_output(&m->cfg.debugcon, &m->debugcon_out, "debug console", err, errlen) < 0)
		return -1;
	m->debugcon = debugcon_create(debugcon_putc, m);
	m->testexit = testexit_create(board_exit_request, m);
	m->vga = vga_text_create();
	m->acpi = acpi_pm_create(&m->clock, pic8259_irq_line(m->pic, ACPI_PM_SCI_IRQ),
				 board_power_off, m);
	m->bootfail = bootfail_create(board_bootfail, m);
	if (m->cfg.disk) {
		m->disk = disk_image_open(m->cfg.disk, m->cfg.snapshot, err, errlen);
		if (!m->disk)
			return -1;
		m->ide = ide_ata_create(m->disk, pic8259_irq_line(m->pic, IDE_PRIMARY_IRQ));
		if (!m->ide || ide_ata_register(m->ide, ports) < 0)
			return errmsg(err, errlen, "internal error: cannot create the IDE controller");
	}

	if (!m->pic || !m->pit || !m->rtc || !m->com1 || !m->kbc || !m->port92 || !m->post ||
	    !m->debugcon || !m->testexit || !m->vga || !m->acpi || !m->bootfail)
		return errmsg(err, errlen, "out of memory while creating devices");

	if (pic8259_register(m->pic, ports) < 0 || pit8254_register(m->pit, ports) < 0 ||
	    rtc146818_register(m->rtc, ports) < 0 ||
	    uart16550_register(m->com1, ports, COM1_BASE) < 0 ||
	    i8042_register(m->kbc, ports) < 0 || port92_register(m->port92, ports) < 0 ||
	    postcode_register(m->post, ports) < 0 || debugcon_register(m->debugcon, ports) < 0 ||
	    testexit_register(m->testexit, ports) < 0 ||
	    vga_text_register(m->vga, ports, &m->phys) < 0 || acpi_pm_register(m->acpi, ports) < 0 ||
	    bootfail_register(m->bootfail, ports, BIOS_BOOTFAIL_PORT) < 0)
		return errmsg(err, errlen, "internal error: overlapping device port or memory ranges");
	fill_cmos(m);
	/* Reprogramming a timer moves its deadline: make the engine come back. */
	portmap_watch(ports, 0x40, 4, &m->requests, REQ_DEVICE);
	portmap_watch(ports, 0x61, 1, &m->requests, REQ_DEVICE);
	portmap_watch(ports, 0x70, 2, &m->requests, REQ_DEVICE);
	portmap_watch(ports, ACPI_PM_EVT_PORT, ACPI_PM_EVT_LEN, &m->requests, REQ_DEVICE);

#ifndef SOFTVT_HAVE_SDL
	if (m->cfg.display_sdl)
		return errmsg(err, errlen, "--display sdl: this softvt was built without SDL2 (install libsdl2-dev and rebuild)");
#endif
	return 0;
}

int machine_open_display(struct machine *m, char *err, size_t errlen)
{
#ifdef SOFTVT_HAVE_SDL
	if (m->cfg.display_sdl && !m->sdl) {
		m->sdl = sdl_display_open(m->vga, m->kbc, err, errlen);
		if (!m->sdl)
			return -1;
	}
#endif
	return 0;
}

void machine_close_display(struct machine *m)
{
#ifdef SOFTVT_HAVE_SDL
	if (m->sdl)
		sdl_display_close(m->sdl);
	m->sdl = NULL;
#endif
}

static int build_acpi(struct machine *m, char *err, size_t errlen)
{
	uint8_t buf[4096];
	const struct acpi_config cfg = {
		.pm1a_evt_port = ACPI_PM_EVT_PORT, .pm1a_cnt_port = ACPI_PM_CNT_PORT,
		.pm_tmr_port = ACPI_PM_TMR_PORT, .sci_irq = ACPI_PM_SCI_IRQ,
		.s5_slp_typ = ACPI_PM_SLP_TYP_S5, .rtc_century = 0x32,
	};
	size_t n = acpi_tables_build(buf, sizeof(buf), ACPI_TABLES_BASE, &cfg);
	if (n == 0 || physmap_load(&m->phys, ACPI_TABLES_BASE, buf, n) < 0)
		return errmsg(err, errlen, "internal error: cannot place the ACPI tables");
	return 0;
}

static int load_guest(struct machine *m, char *err, size_t errlen)
{
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t kernel_len = 0, initrd_len = 0;
	int rc = -1;

	if (bios_rom_load(&m->phys, &m->e820, err, errlen) < 0)
		return -1;
	if (!m->cfg.kernel) {
		/* Firmware boot: the CPU stays in its reset state, at F000:FFF0. */
		if (m->cfg.dry_run)
			printf("firmware: softvt BIOS, reset vector F000:FFF0; boot disk %s (%llu sectors%s)\n",
			       m->cfg.disk ? m->cfg.disk : "none",
			       m->disk ? (unsigned long long)disk_image_sectors(m->disk) : 0ull,
			       m->cfg.snapshot ? ", snapshot" : "");
		return 0;
	}

	if (loader_read_file(m->cfg.kernel, &kernel, &kernel_len, err, errlen) < 0)
		goto out;
	if (m->cfg.initrd &&
	    loader_read_file(m->cfg.initrd, &initrd, &initrd_len, err, errlen) < 0)
		goto out;

	switch (loader_detect(kernel, kernel_len)) {
	case KERNEL_LINUX_BZIMAGE: {
		struct linux_boot_args a = {
			.kernel_name = m->cfg.kernel, .kernel = kernel, .kernel_len = kernel_len,
			.initrd_name = m->cfg.initrd, .initrd = initrd, .initrd_len = initrd_len,
			.cmdline = m->cfg.append, .e820 = &m->e820, .ram_size = m->cfg.mem_size,
		};
		struct linux_boot_info info;
		rc = linux_boot_load(&m->phys, &m->cpu, &a, &info, err, errlen);
		if (rc == 0 && m->cfg.dry_run)
			printf("kernel: Linux bzImage, boot protocol %u.%02u, %u bytes at 0x%08x\n"
			       "boot_params: 0x%08x, command line at 0x%08x\n"
			       "initrd: %u bytes at 0x%08x\n",
			       info.protocol >> 8, info.protocol & 0xff, info.kernel_size,
			       info.kernel_addr, info.boot_params, info.cmdline, info.initrd_size,
			       info.initrd_addr);
		break;
	}
	case KERNEL_MULTIBOOT: {
		struct multiboot_module mod = { m->cfg.initrd, initrd, initrd_len, m->cfg.initrd };
		struct multiboot_args a = {
			.kernel_name = m->cfg.kernel, .kernel = kernel, .kernel_len = kernel_len,
			.cmdline = m->cfg.append, .modules = &mod, .nmodules = initrd ? 1 : 0,
			.e820 = &m->e820, .ram_size = m->cfg.mem_size,
		};
		struct multiboot_load_info info;
		rc = multiboot_load(&m->phys, &m->cpu, &a, &info, err, errlen);
		if (rc == 0 && m->cfg.dry_run)
			printf("kernel: Multiboot, loaded at 0x%08x-0x%08x, entry 0x%08x\n"
			       "multiboot_info: 0x%08x\n",
			       info.load_start, info.load_end, info.entry, info.info_addr);
		break;
	}
	default:
		errmsg(err, errlen, "%s: not a kernel softvt can boot (neither a Linux bzImage nor a Multiboot image)",
		     m->cfg.kernel);
		break;
	}
out:
	free(kernel);
	free(initrd);
	return rc;
}

static void print_layout(const struct machine *m)
{
	printf("memory: %llu MiB\n", (unsigned long long)(m->cfg.mem_size >> 20));
	for (unsigned i = 0; i < m->phys.nregions; i++) {
		const struct phys_region *r = &m->phys.regions[i];
		static const char *const kind[] = { "RAM", "ROM", "MMIO" };
		printf("  phys 0x%08llx-0x%08llx %-4s %s\n", (unsigned long long)r->base,
		       (unsigned long long)(r->base + r->len - 1), kind[r->kind], r->name);
	}
	for (unsigned i = 0; i < m->e820.n; i++)
		printf("  e820 0x%08llx-0x%08llx type %u\n", (unsigned long long)m->e820.e[i].addr,
		       (unsigned long long)(m->e820.e[i].addr + m->e820.e[i].size - 1),
		       m->e820.e[i].type);
	for (unsigned i = 0; i < m->ports.nregions; i++) {
		const struct port_region *r = &m->ports.regions[i];
		printf("  port 0x%04x-0x%04x %s\n", r->base, r->base + r->len - 1, r->name);
	}
}

struct machine *machine_create(const struct machine_config *cfg, char *err, size_t errlen)
{
	struct machine *m = calloc(1, sizeof(*m));
	if (!m) {
		errmsg(err, errlen, "out of memory");
		return NULL;
	}
	m->cfg = *cfg;
	m->ram.fd = -1;
	m->clock.now = vclock_host_now;
	m->clock.origin_ns = 0;
	m->clock.origin_ns = vclock_host_now(&m->clock);
	portmap_init(&m->ports);
	if (cfg->trace_io)
		m->ports.trace = stderr;
	cpu_model_init(&m->model, 0);
	cpu_state_reset(&m->cpu);

	if (build_memory(m, err, errlen) < 0 || build_devices(m, err, errlen) < 0 ||
	    build_acpi(m, err, errlen) < 0 || load_guest(m, err, errlen) < 0) {
		machine_destroy(m);
		return NULL;
	}
	if (cfg->dry_run)
		print_layout(m);
	return m;
}

void machine_destroy(struct machine *m)
{
	if (!m)
		return;
	machine_close_display(m);
	if (m->console)
		console_close(m->console);
	if (m->vga_dump_out)
		fclose(m->vga_dump_out);
	if (m->debugcon_out) {
		fflush(m->debugcon_out);
		if (m->debugcon_out != stdout)
			fclose(m->debugcon_out);
	}
	ide_ata_destroy(m->ide);
	disk_image_close(m->disk);
	bootfail_destroy(m->bootfail);
	acpi_pm_destroy(m->acpi);
	vga_text_destroy(m->vga);
	testexit_destroy(m->testexit);
	debugcon_destroy(m->debugcon);
	postcode_destroy(m->post);
	port92_destroy(m->port92);
	i8042_destroy(m->kbc);
	uart16550_destroy(m->com1);
	rtc146818_destroy(m->rtc);
	pit8254_destroy(m->pit);
	pic8259_destroy(m->pic);
	guest_ram_destroy(&m->ram);
	free(m);
}

void machine_attach_hostio(struct machine *m, struct hostio *io)
{
	m->io = io;
	if (m->ports.trace)
		m->ports.trace = io->log;
}

int machine_open_vga_dump(struct machine *m, char *err, size_t errlen)
{
	if (!m->cfg.vga_dump || m->vga_dump_out)
		return 0;
	m->vga_dump_out = fopen(m->cfg.vga_dump, "w");
	if (!m->vga_dump_out)
		return errmsg(err, errlen, "--vga-dump: cannot write %s: %s", m->cfg.vga_dump,
			      strerror(errno));
	return 0;
}

int machine_dump_vga(struct machine *m, char *err, size_t errlen)
{
	if (!m->cfg.vga_dump)
		return 0;
	FILE *f = m->vga_dump_out ? m->vga_dump_out : fopen(m->cfg.vga_dump, "w");
	m->vga_dump_out = NULL;
	if (!f)
		return errmsg(err, errlen, "--vga-dump: cannot write %s: %s", m->cfg.vga_dump,
			    strerror(errno));
	vga_text_dump(m->vga, f);
	if (fclose(f) != 0)
		return errmsg(err, errlen, "--vga-dump: error writing %s: %s", m->cfg.vga_dump,
			    strerror(errno));
	return 0;
}

/* --- device service --------------------------------------------------- */

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void poll_console(struct machine *m)
{
	if (!m->console)
		return;
	uint8_t buf[256];
	size_t space = uart16550_rx_space(m->com1);
	if (space == 0)
		return;
	if (space > sizeof(buf))
		space = sizeof(buf);
	bool quit = false;
	size_t n;
	if (m->io) {
		n = ring_pop(&m->io->serial_in, buf, space);
	} else {
		n = console_read(m->console, buf, space, &quit);
	}
	if (n)
		uart16550_receive(m->com1, buf, n);
	if (quit)
		machine_stop(m, STOP_USER_QUIT, 0);
}

bool machine_input_pending(const struct machine *m)
{
	return m->io && m->console && ring_used(&m->io->serial_in) > 0 &&
	       uart16550_rx_space(m->com1) > 0;
}

uint64_t machine_poll_devices(struct machine *m, uint64_t now_ns)
{
	uint64_t next = VCLOCK_NEVER;
	__atomic_and_fetch(&m->requests, ~REQ_DEVICE, __ATOMIC_SEQ_CST);
	next = earliest(next, pit8254_poll(m->pit, now_ns));
	next = earliest(next, rtc146818_poll(m->rtc, now_ns));
	next = earliest(next, acpi_pm_poll(m->acpi, now_ns));
	poll_console(m);
#ifdef SOFTVT_HAVE_SDL
	if (m->sdl) {
		if (sdl_display_refresh(m->sdl))
			machine_stop(m, STOP_USER_QUIT, 0);
		next = earliest(next, now_ns + SDL_REFRESH_NS);
	}
#endif
	if (m->io)
		hostio_flush(m->io);
	else if (m->debugcon_out)
		fflush(m->debugcon_out);
	return next;
}
