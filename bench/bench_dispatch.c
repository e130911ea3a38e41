/*
 * bench_dispatch.c - cost of the machine's shared dispatch paths, in
 * nanoseconds and host cycles (RDTSC) per operation: port reads/writes
 * to a device (PIC IMR, the POST port, an unclaimed port), RAM and MMIO
 * accesses through physmap_read/write, and building a whole machine.
 * Every engine pays these on each IN/OUT, MMIO access or start-up.
 *
 * usage: bench_dispatch [KERNEL]   (KERNEL: any bootable image; without
 * one the machine-build line is skipped)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

#include "vmm/machine.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef void (*op_fn)(struct machine *m, unsigned i);

static void port_read_pic(struct machine *m, unsigned i) { (void)portmap_read(&m->ports, 0x21, 1); }
static void port_write_post(struct machine *m, unsigned i) { portmap_write(&m->ports, 0x80, i, 1); }
static void port_read_unclaimed(struct machine *m, unsigned i) { (void)portmap_read(&m->ports, 0x2e8, 1); }
static void ram_read(struct machine *m, unsigned i) { (void)physmap_read(&m->phys, 0x200000 + (i & 0xffc), 4); }
static void ram_write(struct machine *m, unsigned i) { physmap_write(&m->phys, 0x200000 + (i & 0xffc), i, 4); }
static void vga_write(struct machine *m, unsigned i) { physmap_write(&m->phys, 0xb8000 + (i & 0xffe), 0x0741, 2); }

static void measure(struct machine *m, const char *name, op_fn fn)
{
	const unsigned n = 2000000;
	double best_ns = 1e9, best_cyc = 1e9;
	for (int rep = 0; rep < 5; rep++) {
		double t0 = now_s();
		unsigned long long c0 = __rdtsc();
		for (unsigned i = 0; i < n; i++)
			fn(m, i);
		unsigned long long c1 = __rdtsc();
		double t1 = now_s();
		double ns = (t1 - t0) * 1e9 / n, cyc = (double)(c1 - c0) / n;
		if (ns < best_ns)
			best_ns = ns;
		if (cyc < best_cyc)
			best_cyc = cyc;
	}
	printf("| %-34s | %8.1f | %8.0f |\n", name, best_ns, best_cyc);
}

int main(int argc, char **argv)
{
	const char *kernel = argc > 1 ? argv[1] : NULL;
	if (!kernel) {
		fprintf(stderr, "usage: bench_dispatch KERNEL (e.g. build/guests/hello.elf)\n");
		return 2;
	}
	struct machine_config cfg = {
		.engine = "none", .mem_size = 256u << 20, .kernel = kernel,
		.serial = { OUTPUT_NONE, NULL }, .debugcon = { OUTPUT_NONE, NULL },
	};
	char err[512];
	double t0 = now_s();
	struct machine *m = machine_create(&cfg, err, sizeof(err));
	double t1 = now_s();
	if (!m) {
		fprintf(stderr, "bench_dispatch: %s\n", err);
		return 1;
	}
	printf("| operation (best of 5 x 2,000,000) | ns/op | cycles/op |\n|---|---|---|\n");
	measure(m, "port read, PIC IMR (0x21)", port_read_pic);
	measure(m, "port write, POST (0x80)", port_write_post);
	measure(m, "port read, unclaimed (0x2e8)", port_read_unclaimed);
	measure(m, "physmap_read RAM, 4 bytes", ram_read);
	measure(m, "physmap_write RAM, 4 bytes", ram_write);
	measure(m, "physmap_write VGA MMIO, 2 bytes", vga_write);
	printf("\nmachine_create (256 MiB, devices, ACPI, load %s): %.2f ms\n", kernel,
	       (t1 - t0) * 1e3);
	machine_destroy(m);
	return 0;
}
