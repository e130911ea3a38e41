/*
 * test_multiboot.c - the Multiboot v1 loader on hand-written ELF32 and
 * a.out-kludge images (Multiboot Specification 0.6.96, 3.1-3.3).
 *
 * The guest is a 64 MiB PC: RAM 0-0xA0000 and 0x100000-64 MiB, ROM at
 * 0xC0000-0xFFFFF. RAM is filled with 0xAA first so that zeroed bss and
 * untouched bytes can be told apart.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_state.h"
#include "loader/e820.h"
#include "loader/loader.h"
#include "loader/multiboot.h"
#include "mmu/guest_ram.h"
#include "mmu/physmap.h"

#define RAM_SIZE (64ull << 20)

struct fixture {
	struct guest_ram ram;
	struct physmap phys;
	struct e820_map e820;
	struct cpu_state cpu;
};

static void fixture_init(struct fixture *f)
{
	char err[256];
	memset(f, 0, sizeof(*f));
	ck_assert_msg(guest_ram_create(&f->ram, RAM_SIZE, err, sizeof(err)) == 0, "%s", err);
	memset(f->ram.host, 0xaa, RAM_SIZE);
	physmap_init(&f->phys, &f->ram);
	ck_assert_int_eq(physmap_add_ram(&f->phys, 0, 0xa0000, 0, false, "low"), 0);
	ck_assert_int_eq(physmap_add_ram(&f->phys, 0xc0000, 0x40000, 0xc0000, true, "rom"), 0);
	ck_assert_int_eq(physmap_add_ram(&f->phys, 0x100000, RAM_SIZE - 0x100000, 0x100000, false,
					 "high"), 0);
	e820_add(&f->e820, 0, 0x9fc00, E820_RAM);
	e820_add(&f->e820, 0x9fc00, 0x400, E820_RESERVED);
	e820_add(&f->e820, 0xf0000, 0x10000, E820_RESERVED);
	e820_add(&f->e820, 0x100000, RAM_SIZE - 0x100000, E820_RAM);
	cpu_state_reset(&f->cpu);
	f->cpu.eflags |= EFL_IF;
}

static void fixture_fini(struct fixture *f)
{
	guest_ram_destroy(&f->ram);
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_mb_header(uint8_t *p, uint32_t flags)
{
	put32(p, MULTIBOOT_HEADER_MAGIC);
	put32(p + 4, flags);
	put32(p + 8, -(MULTIBOOT_HEADER_MAGIC + flags));
}

/*
 * ELF32 i386 executable, 0x2040 bytes:
 *   text: file 0x1000, 0x100 bytes -> paddr 0x100000 (Multiboot header at its start)
 *   data: file 0x2000, 0x40 bytes  -> paddr 0x102000, memsz 0x3000 (bss up to 0x105000)
 * Segment vaddrs are vbase + paddr (0 for an identity-mapped kernel);
 * the entry is vbase + 0x100010.
 */
#define ELF_LEN 0x2040u
static uint8_t *make_elf(uint32_t vbase)
{
	uint8_t *d = calloc(1, ELF_LEN);
	memcpy(d, "\177ELF", 4);
	d[4] = 1;                    /* ELFCLASS32 */
	d[5] = 1;                    /* ELFDATA2LSB */
	d[6] = 1;                    /* EV_CURRENT */
	put16(d + 16, 2);            /* ET_EXEC */
	put16(d + 18, 3);            /* EM_386 */
	put32(d + 20, 1);
	put32(d + 24, vbase + 0x100010);   /* e_entry */
	put32(d + 28, 52);           /* e_phoff */
	put16(d + 40, 52);           /* e_ehsize */
	put16(d + 42, 32);           /* e_phentsize */
	put16(d + 44, 2);            /* e_phnum */
	put16(d + 46, 40);           /* e_shentsize */
	static const uint32_t ph[2][8] = {
		/* type, offset, vaddr, paddr, filesz, memsz, flags, align */
		{ 1, 0x1000, 0x100000, 0x100000, 0x100, 0x100, 5, 0x1000 },
		{ 1, 0x2000, 0x102000, 0x102000, 0x40, 0x3000, 6, 0x1000 },
	};
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 8; j++)
			put32(d + 52 + 32 * i + 4 * j, ph[i][j] + ((j == 2) ? vbase : 0));
	for (unsigned i = 0x1000; i < ELF_LEN; i++)
		d[i] = (uint8_t)(i * 3 + 1);
	put_mb_header(d + 0x1000, MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO);
	return d;
}

static void assert_one_line_error(const char *err, const char *prefix, const char *needle)
{
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "error \"%s\" does not start with %s",
		      err, prefix);
	ck_assert_msg(strstr(err, needle) != NULL, "error \"%s\" does not mention \"%s\"", err, needle);
	ck_assert_msg(strchr(err, '\n') == NULL, "error \"%s\" is not one line", err);
}

static void assert_flat_entry(const struct cpu_state *c, uint32_t entry)
{
	ck_assert_uint_eq(c->eip, entry);
	ck_assert_uint_eq(c->gpr[R_EAX], 0x2badb002);
	ck_assert_uint_eq(c->gpr[R_EBX], MULTIBOOT_INFO_ADDR);
	ck_assert_uint_eq(c->eflags & (EFL_IF | EFL_VM), 0);
	ck_assert_uint_eq(c->cr0 & (CR0_PE | CR0_PG), CR0_PE);
	ck_assert_uint_eq(c->seg[S_CS].sel, 0x10);
	ck_assert_uint_eq(c->seg[S_CS].base, 0);
	ck_assert_uint_eq(c->seg[S_CS].limit, 0xffffffffu);
	ck_assert_uint_eq(c->seg[S_CS].attr & (SEG_DB | 0x8), SEG_DB | 0x8);
	for (int s = 0; s < S_NSEG; s++) {
		if (s == S_CS)
			continue;
		ck_assert_uint_eq(c->seg[s].sel, 0x18);
		ck_assert_uint_eq(c->seg[s].base, 0);
		ck_assert_uint_eq(c->seg[s].limit, 0xffffffffu);
	}
	ck_assert_uint_eq(c->gdtr.base, 0x1000);
	ck_assert_uint_eq(c->gdtr.limit, 0x1f);
}

START_TEST(test_elf_with_modules)
{
	struct fixture f;
	fixture_init(&f);
	uint8_t *img = make_elf(0);
	uint8_t m1[5000], m2[10];
	memset(m1, 0x11, sizeof(m1));
	memset(m2, 0x22, sizeof(m2));
	struct multiboot_module mods[2] = {
		{ .name = "initrd.cpio", .data = m1, .len = sizeof(m1), .cmdline = "initrd.cpio rw" },
		{ .name = "second.bin", .data = m2, .len = sizeof(m2) },
	};
	struct multiboot_args a = {
		.kernel_name = "kernel.elf", .kernel = img, .kernel_len = ELF_LEN,
		.cmdline = "console=com1 verbose", .modules = mods, .nmodules = 2,
		.e820 = &f.e820, .ram_size = RAM_SIZE,
	};
	struct multiboot_load_info info;
	char err[256] = "";
	ck_assert_msg(multiboot_load(&f.phys, &f.cpu, &a, &info, err, sizeof(err)) == 0, "%s", err);

	/* Segments, bss zeroed, bytes around them untouched. */
	const uint8_t *ram = f.ram.host;
	ck_assert_int_eq(memcmp(ram + 0x100000, img + 0x1000, 0x100), 0);
	ck_assert_uint_eq(ram[0x100100], 0xaa);
	ck_assert_int_eq(memcmp(ram + 0x102000, img + 0x2000, 0x40), 0);
	for (uint32_t p = 0x102040; p < 0x105000; p++)
		ck_assert_msg(ram[p] == 0, "bss byte at 0x%x is 0x%02x", p, ram[p]);
	ck_assert_uint_eq(info.entry, 0x100010);
	ck_assert_uint_eq(info.load_start, 0x100000);
	ck_assert_uint_eq(info.load_end, 0x105000);
	ck_assert_uint_eq(info.info_addr, MULTIBOOT_INFO_ADDR);
	ck_assert(!info.video_request_ignored);
	assert_flat_entry(&f.cpu, 0x100010);

	/* multiboot_info */
	const uint8_t *mbi = ram + MULTIBOOT_INFO_ADDR;
	ck_assert_uint_eq(get32(mbi), (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
	ck_assert_uint_eq(get32(mbi + 4), 0x9fc00 / 1024);                 /* mem_lower */
	ck_assert_uint_eq(get32(mbi + 8), (RAM_SIZE - 0x100000) / 1024);    /* mem_upper */
	ck_assert_str_eq((const char *)ram + get32(mbi + 16), "console=com1 verbose");
	ck_assert_str_eq((const char *)ram + get32(mbi + 64), "softvt");
	ck_assert_uint_lt(get32(mbi + 16), 0x80000);
	ck_assert_uint_lt(get32(mbi + 64), 0x80000);

	/* memory map: size field (20) then base, length, type per e820 entry */
	ck_assert_uint_eq(get32(mbi + 44), 4 * 24);
	const uint8_t *mm = ram + get32(mbi + 48);
	static const uint32_t e820[4][3] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
		{ 0x100000, RAM_SIZE - 0x100000, 1 },
	};
	for (int i = 0; i < 4; i++, mm += 24) {
		ck_assert_uint_eq(get32(mm), 20);
		ck_assert_uint_eq(get32(mm + 4), e820[i][0]);
		ck_assert_uint_eq(get32(mm + 8), 0);
		ck_assert_uint_eq(get32(mm + 12), e820[i][1]);
		ck_assert_uint_eq(get32(mm + 16), 0);
		ck_assert_uint_eq(get32(mm + 20), e820[i][2]);
	}

	/* modules: page-aligned after the kernel's end, end exclusive, strings */
	ck_assert_uint_eq(get32(mbi + 20), 2);
	const uint8_t *md = ram + get32(mbi + 24);
	ck_assert_uint_eq(get32(md), 0x105000);
	ck_assert_uint_eq(get32(md + 4), 0x105000 + sizeof(m1));
	ck_assert_str_eq((const char *)ram + get32(md + 8), "initrd.cpio rw");
	ck_assert_uint_eq(get32(md + 12), 0);
	ck_assert_int_eq(memcmp(ram + 0x105000, m1, sizeof(m1)), 0);
	ck_assert_uint_eq(get32(md + 16), 0x107000);
	ck_assert_uint_eq(get32(md + 20), 0x107000 + sizeof(m2));
	ck_assert_str_eq((const char *)ram + get32(md + 24), "second.bin");
	ck_assert_int_eq(memcmp(ram + 0x107000, m2, sizeof(m2)), 0);

	/* boot GDT */
	static const uint8_t gdt[32] = {
		[0x10] = 0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0,
		[0x18] = 0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0,
	};
	ck_assert_int_eq(memcmp(ram + 0x1000, gdt, sizeof(gdt)), 0);
	free(img);
	fixture_fini(&f);
}
END_TEST

/* A higher-half kernel: vaddr 0xC0000000 + paddr; the entry is translated. */
START_TEST(test_elf_higher_half_and_video_flag)
{
	struct fixture f;
	fixture_init(&f);
	uint8_t *img = make_elf(0xc0000000u);
	put_mb_header(img + 0x1000, MULTIBOOT_MEMORY_INFO | MULTIBOOT_VIDEO_MODE);
	struct multiboot_args a = {
		.kernel_name = "kernel.elf", .kernel = img, .kernel_len = ELF_LEN,
		.e820 = &f.e820, .ram_size = RAM_SIZE,
	};
	struct multiboot_load_info info;
	char err[256] = "";
	ck_assert_msg(multiboot_load(&f.phys, &f.cpu, &a, &info, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(f.cpu.eip, 0x100010);
	ck_assert(info.video_request_ignored);
	ck_assert_uint_eq(get32(f.ram.host + MULTIBOOT_INFO_ADDR + 20), 0);   /* mods_count */
	ck_assert_str_eq((const char *)f.ram.host + get32(f.ram.host + MULTIBOOT_INFO_ADDR + 16), "");
	free(img);
	fixture_fini(&f);
}
END_TEST

/* a.out kludge: header at file offset 0x40, image loaded from file offset 0. */
static uint8_t *make_aout(size_t *len, uint32_t load_end, uint32_t bss_end)
{
	*len = 0x180;
	uint8_t *d = malloc(*len);
	for (size_t i = 0; i < *len; i++)
		d[i] = (uint8_t)(i + 0x40);
	uint8_t *h = d + 0x40;
	put_mb_header(h, MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_AOUT_KLUDGE);
	put32(h + 12, 0x200040);     /* header_addr */
	put32(h + 16, 0x200000);     /* load_addr */
	put32(h + 20, load_end);
	put32(h + 24, bss_end);
	put32(h + 28, 0x200080);     /* entry_addr */
	return d;
}

START_TEST(test_aout_kludge)
{
	struct fixture f;
	fixture_init(&f);
	size_t len;
	uint8_t *img = make_aout(&len, 0x200100, 0x201000);
	ck_assert_int_eq(loader_detect(img, len), KERNEL_MULTIBOOT);
	struct multiboot_module mod = { .name = "mod", .data = img, .len = 3 };
	struct multiboot_args a = {
		.kernel_name = "kernel.bin", .kernel = img, .kernel_len = len,
		.cmdline = "x", .modules = &mod, .nmodules = 1, .e820 = &f.e820, .ram_size = RAM_SIZE,
	};
	struct multiboot_load_info info;
	char err[256] = "";
	ck_assert_msg(multiboot_load(&f.phys, &f.cpu, &a, &info, err, sizeof(err)) == 0, "%s", err);
	const uint8_t *ram = f.ram.host;
	ck_assert_int_eq(memcmp(ram + 0x200000, img, 0x100), 0);
	for (uint32_t p = 0x200100; p < 0x201000; p++)
		ck_assert_msg(ram[p] == 0, "bss byte at 0x%x is 0x%02x", p, ram[p]);
	ck_assert_uint_eq(info.load_start, 0x200000);
	ck_assert_uint_eq(info.load_end, 0x201000);
	assert_flat_entry(&f.cpu, 0x200080);
	const uint8_t *md = ram + get32(ram + MULTIBOOT_INFO_ADDR + 24);
	ck_assert_uint_eq(get32(md), 0x201000);
	ck_assert_str_eq((const char *)ram + get32(md + 8), "mod");
	fixture_fini(&f);

	/* load_end_addr 0: up to the end of the file; bss_end_addr 0: no bss. */
	fixture_init(&f);
	free(img);
	img = make_aout(&len, 0, 0);
	a.kernel = img;
	a.nmodules = 0;
	ck_assert_msg(multiboot_load(&f.phys, &f.cpu, &a, &info, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(memcmp(f.ram.host + 0x200000, img, len), 0);
	ck_assert_uint_eq(f.ram.host[0x200000 + len], 0xaa);
	ck_assert_uint_eq(info.load_end, 0x200000 + len);
	free(img);
	fixture_fini(&f);
}
END_TEST

static void expect_error(uint8_t *img, size_t len, const char *needle)
{
	struct fixture f;
	fixture_init(&f);
	struct multiboot_args a = {
		.kernel_name = "kernel.elf", .kernel = img, .kernel_len = len,
		.e820 = &f.e820, .ram_size = RAM_SIZE,
	};
	char err[256] = "";
	ck_assert_int_eq(multiboot_load(&f.phys, &f.cpu, &a, NULL, err, sizeof(err)), -1);
	assert_one_line_error(err, "kernel.elf: ", needle);
	fixture_fini(&f);
}

START_TEST(test_errors)
{
	uint8_t *img = make_elf(0);

	put32(img + 0x1008, get32(img + 0x1008) + 1);
	expect_error(img, ELF_LEN, "Multiboot header checksum is wrong");
	put_mb_header(img + 0x1000, 0);

	memset(img + 0x1000, 0, 12);
	expect_error(img, ELF_LEN, "no Multiboot header in the first 8192 bytes");
	put_mb_header(img + 0x1000, 0);

	put_mb_header(img + 0x1000, 1u << 3);
	expect_error(img, ELF_LEN, "requires features softvt does not provide (flags 0x0008)");
	put_mb_header(img + 0x1000, 0);

	img[4] = 2;                                         /* ELFCLASS64 */
	expect_error(img, ELF_LEN, "ELF64");
	img[4] = 1;

	put16(img + 18, 62);                                /* EM_X86_64 */
	expect_error(img, ELF_LEN, "ELF machine 62 is not i386");
	put16(img + 18, 3);

	put16(img + 16, 3);                                 /* ET_DYN */
	expect_error(img, ELF_LEN, "not an executable");
	put16(img + 16, 2);

	put32(img + 52 + 32 + 12, 0x8000000);               /* data segment past 64 MiB */
	expect_error(img, ELF_LEN, "ELF segment 1 at 0x8000000-0x8002fff is not in guest RAM");
	put32(img + 52 + 32 + 12, 0xc0000);                 /* over the ROM */
	expect_error(img, ELF_LEN, "is not in guest RAM");
	put32(img + 52 + 32 + 12, 0x9000);                  /* over the boot information */
	expect_error(img, ELF_LEN, "below 0x80000");
	put32(img + 52 + 32 + 12, 0x102000);

	put32(img + 24, 0x300000);                          /* entry outside the segments */
	expect_error(img, ELF_LEN, "entry point 0x300000 is outside");
	put32(img + 24, 0x100010);

	expect_error(img, 0x1800, "truncated ELF (segment 1");
	put16(img + 44, 1000);                              /* 1000 program headers */
	expect_error(img, ELF_LEN, "truncated ELF");
	put16(img + 44, 2);

	/* Not ELF, no a.out kludge. */
	memset(img, 0, 52);
	expect_error(img, ELF_LEN, "not an ELF file");
	free(img);

	size_t len;
	img = make_aout(&len, 0x200200, 0);                 /* load_end past the file */
	expect_error(img, len, "truncated");
	free(img);
	img = make_aout(&len, 0x200100, 0x200080);          /* bss_end below load_end */
	expect_error(img, len, "bss_end_addr");
	free(img);
	img = make_aout(&len, 0, 0);
	put32(img + 0x40 + 16, 0x100000);                   /* load_addr too far before the header */
	put32(img + 0x40 + 28, 0x100000);
	expect_error(img, len, "does not match header_addr");
	free(img);
}
END_TEST

START_TEST(test_module_limits)
{
	struct fixture f;
	fixture_init(&f);
	uint8_t *img = make_elf(0);
	size_t big = 63ull << 20;
	uint8_t *m = calloc(1, big);
	struct multiboot_module mod = { .name = "big.img", .data = m, .len = big };
	struct multiboot_args a = {
		.kernel_name = "kernel.elf", .kernel = img, .kernel_len = ELF_LEN,
		.modules = &mod, .nmodules = 1, .e820 = &f.e820, .ram_size = RAM_SIZE,
	};
	char err[256] = "";
	ck_assert_int_eq(multiboot_load(&f.phys, &f.cpu, &a, NULL, err, sizeof(err)), -1);
	assert_one_line_error(err, "big.img: ", "does not fit in RAM");

	struct multiboot_module many[65];
	for (int i = 0; i < 65; i++)
		many[i] = (struct multiboot_module){ .name = "m", .data = m, .len = 1 };
	a.modules = many;
	a.nmodules = 65;
	ck_assert_int_eq(multiboot_load(&f.phys, &f.cpu, &a, NULL, err, sizeof(err)), -1);
	assert_one_line_error(err, "kernel.elf: ", "65 boot modules, softvt passes at most 64");
	a.nmodules = 64;
	ck_assert_msg(multiboot_load(&f.phys, &f.cpu, &a, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(get32(f.ram.host + MULTIBOOT_INFO_ADDR + 20), 64);
	const uint8_t *last = f.ram.host + MULTIBOOT_MODS_ADDR + 63 * 16;
	ck_assert_uint_eq(get32(last), 0x105000 + 63 * 4096);
	ck_assert_str_eq((const char *)f.ram.host + get32(last + 8), "m");
	free(m);
	free(img);
	fixture_fini(&f);
}
END_TEST

START_TEST(test_detect)
{
	uint8_t *img = make_elf(0);
	ck_assert_int_eq(loader_detect(img, ELF_LEN), KERNEL_MULTIBOOT);
	ck_assert_int_eq(loader_detect(img, 0x100b), KERNEL_UNKNOWN);  /* header cut */
	uint8_t *far = calloc(1, 0x3000);
	put_mb_header(far + 0x2000, 0);                                 /* beyond 8 KiB */
	ck_assert_int_eq(loader_detect(far, 0x3000), KERNEL_UNKNOWN);
	put_mb_header(far + 0x1ff2, 0);                                 /* not 4-byte aligned */
	ck_assert_int_eq(loader_detect(far, 0x3000), KERNEL_UNKNOWN);
	memset(far + 0x1ff0, 0, 0x10);
	put_mb_header(far + 0x1ff8, 0);                                 /* crosses 8 KiB */
	ck_assert_int_eq(loader_detect(far, 0x3000), KERNEL_UNKNOWN);
	memset(far + 0x1ff0, 0, 0x20);
	put_mb_header(far + 0x1ff4, 0);                                 /* last slot that fits */
	ck_assert_int_eq(loader_detect(far, 0x3000), KERNEL_MULTIBOOT);
	ck_assert_int_eq(loader_detect(far, 0), KERNEL_UNKNOWN);
	free(far);
	free(img);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("multiboot");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_elf_with_modules);
	tcase_add_test(tc, test_elf_higher_half_and_video_flag);
	tcase_add_test(tc, test_aout_kludge);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_module_limits);
	tcase_add_test(tc, test_detect);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
