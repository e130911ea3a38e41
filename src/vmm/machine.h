/*
 * machine.h - the PC that every engine runs: RAM, devices, firmware tables,
 * the loaded guest, and the requests that stop or interrupt an engine.
 *
 * machine_create() builds the whole board from a machine_config: guest RAM
 * (memfd), the physical map (docs/MEMORY_MAP.md), the port map, the
 * devices (PIC pair, PIT, RTC/CMOS, COM1, i8042, port 0x92, POST 0x80,
 * debug console 0xE9, test exit 0xF4, VGA text, ACPI PM, and with --disk
 * the IDE channel), places the BIOS ROM, and loads the kernel (Linux
 * bzImage or Multiboot) so that cpu is ready to run - or, without a
 * kernel, leaves the CPU in its reset state so that it starts in the BIOS
 * at F000:FFF0 and boots the disk. It contains no engine; vmm/run_loop.c
 * runs one.
 *
 * Devices never call each other: the machine wires their irq_lines to the
 * PIC and their callbacks (reset, A20, power-off, exit) to requests here.
 */
#ifndef SOFTVT_VMM_MACHINE_H
#define SOFTVT_VMM_MACHINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu_model.h"
#include "cpu/cpu_state.h"
#include "devices/io.h"
#include "devices/portmap.h"
#include "loader/e820.h"
#include "mmu/guest_ram.h"
#include "mmu/physmap.h"

enum output_kind { OUTPUT_NONE, OUTPUT_STDIO, OUTPUT_FILE };

struct output_spec {
	enum output_kind kind;
	const char *path;    /* OUTPUT_FILE */
};

struct machine_config {
	const char *engine;          /* "auto", "interp", "bt", "kvm" */
	uint64_t mem_size;
	const char *kernel;
	const char *initrd;
	const char *append;
	const char *disk;            /* raw disk image on the IDE channel (NULL: none) */
	bool snapshot;               /* disk writes go to an in-memory overlay */
	struct output_spec serial;   /* COM1 */
	struct output_spec debugcon; /* port 0xE9 */
	bool display_sdl;
	double timeout_s;            /* 0 = none */
	const char *vga_dump;        /* write the text screen here when stopping */
	bool dry_run;
	bool trace_io;               /* report unclaimed ports */
	bool stats;
	bool lockstep;               /* engine bt: check every translated instruction */
	double lockstep_delay_s;     /* ... from this many seconds into the run */
	bool lockstep_after_paging;  /* ... from when the guest turns paging on */
	uint64_t tc_size;            /* engine bt: translation cache bytes (0: default) */
	bool user_direct;            /* engine bt: guest user code runs natively (--user direct) */
	bool user_bt;                /* engine bt: guest user code is translated (--user bt) */
	const char *stats_json;      /* write the statistics as JSON here ("-": stdout) */
	bool jail;                   /* confine softvt after set-up (jail/jail.h) */
};

/* Why the machine stopped (machine->stop). */
enum stop_reason {
	STOP_NONE,
	STOP_POWER_OFF,     /* ACPI S5 */
	STOP_EXIT_PORT,     /* test guest wrote port 0xF4 */
	STOP_RESET,         /* guest requested a reset (i8042, port 0x92): stop, report */
	STOP_SHUTDOWN,      /* triple fault */
	STOP_TIMEOUT,
	STOP_SIGNAL,        /* SIGINT/SIGTERM/SIGHUP */
	STOP_USER_QUIT,     /* console escape key or SDL window closed */
	STOP_HALTED,        /* HLT with IF=0: nothing can ever wake the CPU */
	STOP_ERROR,         /* engine or device error: machine->error */
};

/* Bits of machine->requests: why an engine must return to the run loop. */
#define REQ_STOP   (1u << 0)
#define REQ_DEVICE (1u << 1)   /* a device needs service (timer, input) */
#define REQ_INTR   (1u << 2)   /* the PIC raised INTR: check machine_intr_pending() */

struct pic8259;
struct pit8254;
struct rtc146818;
struct uart16550;
struct i8042;
struct port92;
struct postcode;
struct debugcon;
struct testexit;
struct vga_text;
struct acpi_pm;
struct console;
struct sdl_display;
struct disk_image;
struct ide_ata;
struct bootfail;
struct hostio;

struct machine {
	struct machine_config cfg;
	struct guest_ram ram;
	struct physmap phys;
	struct portmap ports;
	struct vclock clock;
	struct cpu_model model;
	struct cpu_state cpu;
	struct e820_map e820;

	struct pic8259 *pic;
	struct pit8254 *pit;
	struct rtc146818 *rtc;
	struct uart16550 *com1;
	struct i8042 *kbc;
	struct port92 *port92;
	struct postcode *post;
	struct debugcon *debugcon;
	struct testexit *testexit;
	struct vga_text *vga;
	struct acpi_pm *acpi;
	struct console *console;
	struct sdl_display *sdl;
	struct disk_image *disk;
	struct ide_ata *ide;
	struct bootfail *bootfail;
	FILE *debugcon_out;
	FILE *vga_dump_out;               /* opened by machine_open_vga_dump() */
	struct hostio *io;                /* set: host I/O goes through the main thread */
	bool a20;

	volatile sig_atomic_t requests;   /* REQ_* bits; set from signal handlers too */
	volatile sig_atomic_t intr_line;  /* the PIC's INTR output */
	enum stop_reason stop;
	int exit_code;                    /* process exit code once stopped */
	unsigned resets;                  /* guest resets the BIOS rebooted from */
	char error[512];
};

/* Builds the machine and loads the guest. NULL with a one-line reason in err. */
struct machine *machine_create(const struct machine_config *cfg, char *err, size_t errlen);
void machine_destroy(struct machine *m);

/*
 * A firmware boot (no --kernel): the CPU started in the BIOS, so a guest's
 * reset request can restart the machine instead of stopping it.
 */
bool machine_firmware_boot(const struct machine *m);
/*
 * The board's reset line for a firmware boot: the CPU back to its reset
 * state (F000:FFF0), the keyboard controller to its power-on state, A20 on,
 * the stop request cleared. RAM, the disk and the other devices keep their
 * state; the BIOS's POST programs them again. The caller recreates the engine.
 */
void machine_reset(struct machine *m);

/* Interrupt interface for engines. */
bool machine_intr_pending(const struct machine *m);
uint8_t machine_intr_ack(struct machine *m);
/* The guest's TSC now (cpu->tsc_offset applied). */
uint64_t machine_tsc(const struct machine *m);

/* Stop the machine (first reason wins). */
void machine_stop(struct machine *m, enum stop_reason why, int exit_code);
/* Stop with STOP_ERROR and a printf-style message in m->error. */
void machine_fail(struct machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Service the devices at time now: timers, serial input, SDL events.
 * Returns the next time a device needs service (VCLOCK_NEVER if none).
 */
uint64_t machine_poll_devices(struct machine *m, uint64_t now_ns);

/*
 * The SDL window (--display sdl): opened, refreshed and closed by the
 * thread that runs the devices (SDL's renderer belongs to one thread).
 * 0, or -1 with err.
 */
int machine_open_display(struct machine *m, char *err, size_t errlen);
void machine_close_display(struct machine *m);
/* Console input is waiting for COM1, which has room for it (the HLT wait must not sleep). */
bool machine_input_pending(const struct machine *m);
/* Opens cfg.vga_dump (if set) now, before the jail; 0 or -1 with err. */
int machine_open_vga_dump(struct machine *m, char *err, size_t errlen);
/* Writes the VGA text screen to cfg.vga_dump (if set); 0 or -1 with err. */
int machine_dump_vga(struct machine *m, char *err, size_t errlen);
/*
 * From now on the machine's host I/O (COM1 output and input, the debug
 * console, --trace-io messages) goes through io's rings, for the vCPU
 * thread (see vmm/hostio.h); the main thread moves it to the host.
 */
void machine_attach_hostio(struct machine *m, struct hostio *io);

/* Human-readable name of a stop reason. */
const char *machine_stop_name(enum stop_reason why);

#endif
