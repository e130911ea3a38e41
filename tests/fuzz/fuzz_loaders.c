/*
 * fuzz_loaders.c - libFuzzer harness for the kernel loaders. Built and run
 * by scripts/fuzz-loaders.sh (clang -fsanitize=fuzzer,address,undefined).
 *
 * Each input is tried three ways against a small PC-shaped guest (RAM
 * 0-0xA0000 and 0x100000-32 MiB, ROM 0xC0000-0xFFFFF):
 *   1. loader_detect() on the whole input;
 *   2. the whole input as a bzImage and as a Multiboot kernel (no initrd,
 *      no module);
 *   3. the input split in two at a point taken from its last two bytes:
 *      the front as the kernel, the back as the initrd / a boot module,
 *      with a ram_size taken from the last byte (the backed 32 MiB, less,
 *      or more than the physical map has, to exercise the RAM checks).
 * Besides the sanitizers, the harness checks the loaders' contract: a
 * failure leaves one non-empty line in err, a success leaves the CPU in
 * protected mode with IF clear.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_state.h"
#include "loader/e820.h"
#include "loader/linux_boot.h"
#include "loader/loader.h"
#include "loader/multiboot.h"
#include "mmu/guest_ram.h"
#include "mmu/physmap.h"

#define FUZZ_RAM (32ull << 20)

struct fuzz_machine {
	struct guest_ram ram;
	struct physmap phys;
	struct e820_map e820;
};

/* libFuzzer's entry points take no context: the one machine lives here. */
static struct fuzz_machine *machine;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];
	machine = calloc(1, sizeof(*machine));
	if (!machine || guest_ram_create(&machine->ram, FUZZ_RAM, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_loaders: %s\n", machine ? err : "out of memory");
		abort();
	}
	physmap_init(&machine->phys, &machine->ram);
	if (physmap_add_ram(&machine->phys, 0, 0xa0000, 0, false, "low") < 0 ||
	    physmap_add_ram(&machine->phys, 0xc0000, 0x40000, 0xc0000, true, "rom") < 0 ||
	    physmap_add_ram(&machine->phys, 0x100000, FUZZ_RAM - 0x100000, 0x100000, false,
			    "high") < 0)
		abort();
	e820_add(&machine->e820, 0, 0x9fc00, E820_RAM);
	e820_add(&machine->e820, 0x9fc00, 0x400, E820_RESERVED);
	e820_add(&machine->e820, 0xf0000, 0x10000, E820_RESERVED);
	e820_add(&machine->e820, 0x100000, FUZZ_RAM - 0x100000, E820_RAM);
	return 0;
}

static void check_result(int rc, const char *err, const struct cpu_state *cpu)
{
	if (rc < 0) {
		if (err[0] == '\0' || strchr(err, '\n'))
			abort();    /* the contract: one line saying why */
		return;
	}
	if (rc != 0 || !(cpu->cr0 & CR0_PE) || (cpu->eflags & EFL_IF))
		abort();
}

static void try_linux(const uint8_t *k, size_t klen, const uint8_t *initrd, size_t ilen,
		      uint64_t ram_size)
{
	struct cpu_state cpu;
	struct linux_boot_info info;
	char err[256] = "";
	cpu_state_reset(&cpu);
	struct linux_boot_args a = {
		.kernel_name = "vmlinuz", .kernel = k, .kernel_len = klen,
		.initrd_name = "initrd", .initrd = initrd, .initrd_len = ilen,
		.cmdline = "console=ttyS0", .e820 = &machine->e820, .ram_size = ram_size,
	};
	check_result(linux_boot_load(&machine->phys, &cpu, &a, &info, err, sizeof(err)), err,
		     &cpu);
}

static void try_multiboot(const uint8_t *k, size_t klen, const uint8_t *mod, size_t mlen,
			  uint64_t ram_size)
{
	struct cpu_state cpu;
	struct multiboot_load_info info;
	char err[256] = "";
	cpu_state_reset(&cpu);
	struct multiboot_module m = { .name = "module", .data = mod, .len = mlen };
	struct multiboot_args a = {
		.kernel_name = "kernel.elf", .kernel = k, .kernel_len = klen,
		.cmdline = "fuzz", .modules = &m, .nmodules = mod ? 1 : 0,
		.e820 = &machine->e820, .ram_size = ram_size,
	};
	check_result(multiboot_load(&machine->phys, &cpu, &a, &info, err, sizeof(err)), err,
		     &cpu);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (loader_detect(data, size) > KERNEL_MULTIBOOT)
		abort();
	try_linux(data, size, NULL, 0, FUZZ_RAM);
	try_multiboot(data, size, NULL, 0, FUZZ_RAM);
	if (size < 3)
		return 0;

	static const uint64_t ram_sizes[4] = { FUZZ_RAM, 8ull << 20, 1ull << 30, 4ull << 30 };
	size_t split = ((size_t)data[size - 2] << 8 | data[size - 3]) % size;
	uint64_t ram_size = ram_sizes[data[size - 1] & 3];
	const uint8_t *back = data + split;
	size_t back_len = size - 3 - (split < size - 3 ? split : size - 3);
	try_linux(data, split, back, back_len, ram_size);
	try_multiboot(data, split, back, back_len, ram_size);
	return 0;
}
