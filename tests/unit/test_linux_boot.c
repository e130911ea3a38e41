/*
 * test_linux_boot.c - the Linux boot protocol loader on synthetic bzImages,
 * plus loader_read_file / loader_detect.
 *
 * The guest is a 64 MiB PC: RAM 0-0xA0000 and 0x100000-64 MiB, ROM at
 * 0xC0000-0xFFFFF. Expected zero-page bytes are written here from the
 * offsets of boot.rst / zero-page.rst, independently of the loader.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu/cpu_state.h"
#include "loader/e820.h"
#include "loader/linux_boot.h"
#include "loader/loader.h"
#include "mmu/guest_ram.h"
#include "mmu/physmap.h"

#define RAM_SIZE (64ull << 20)
#define PM_LEN   0x3000u
#define HDR_END  0x26c           /* 0x202 + jump displacement 0x6a */

struct fixture {
	struct guest_ram ram;
	struct physmap phys;
	struct e820_map e820;
	struct cpu_state cpu;
};

static void fixture_init_size(struct fixture *f, uint64_t ram_size)
{
	char err[256];
	memset(f, 0, sizeof(*f));
	ck_assert_msg(guest_ram_create(&f->ram, ram_size, err, sizeof(err)) == 0, "%s", err);
	physmap_init(&f->phys, &f->ram);
	ck_assert_int_eq(physmap_add_ram(&f->phys, 0, 0xa0000, 0, false, "low"), 0);
	ck_assert_int_eq(physmap_add_ram(&f->phys, 0xc0000, 0x40000, 0xc0000, true, "rom"), 0);
	ck_assert_int_eq(physmap_add_ram(&f->phys, 0x100000, ram_size - 0x100000, 0x100000, false,
					 "high"), 0);
	e820_add(&f->e820, 0, 0x9fc00, E820_RAM);
	e820_add(&f->e820, 0x9fc00, 0x400, E820_RESERVED);
	e820_add(&f->e820, 0xf0000, 0x10000, E820_RESERVED);
	e820_add(&f->e820, 0x100000, ram_size - 0x100000, E820_RAM);
	cpu_state_reset(&f->cpu);
	f->cpu.eflags |= EFL_IF;
	f->cpu.gpr[R_EBX] = f->cpu.gpr[R_EBP] = f->cpu.gpr[R_EDI] = 0x55555555;
}

static void fixture_init(struct fixture *f)
{
	fixture_init_size(f, RAM_SIZE);
}

static void fixture_fini(struct fixture *f)
{
	guest_ram_destroy(&f->ram);
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static uint32_t get16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | get16(p + 2) << 16; }

/* A protocol 2.15 bzImage: 2 setup sectors, PM_LEN bytes of "kernel". */
static uint8_t *make_bzimage(size_t *len)
{
	size_t setup = 3 * 512;
	*len = setup + PM_LEN;
	uint8_t *d = calloc(1, *len);
	for (size_t i = 0; i < setup; i++)
		d[i] = (uint8_t)(i * 7 + 1);     /* boot sector + setup code filler */
	memset(d + 0x1f1, 0, HDR_END - 0x1f1);
	d[0x1f1] = 2;                             /* setup_sects */
	put16(d + 0x1f2, 1);                      /* root_flags */
	put32(d + 0x1f4, PM_LEN / 16);            /* syssize */
	put16(d + 0x1fa, 0xffff);                 /* vid_mode */
	put16(d + 0x1fe, 0xaa55);
	d[0x200] = 0xeb;
	d[0x201] = HDR_END - 0x202;
	memcpy(d + 0x202, "HdrS", 4);
	put16(d + 0x206, 0x020f);
	put16(d + 0x20e, 0x1234);                 /* kernel_version */
	d[0x211] = 0x01;                          /* LOADED_HIGH */
	put32(d + 0x214, 0x100000);               /* code32_start */
	put32(d + 0x22c, 0x7fffffff);             /* initrd_addr_max */
	put32(d + 0x230, 0x1000000);              /* kernel_alignment */
	d[0x234] = 1;                             /* relocatable_kernel */
	d[0x235] = 13;                            /* min_alignment */
	put16(d + 0x236, 0x0000);                 /* xloadflags */
	put32(d + 0x238, 2047);                   /* cmdline_size */
	put32(d + 0x258, 0x1000000);              /* pref_address */
	put32(d + 0x260, 0x800000);               /* init_size */
	put32(d + 0x268, 0xabcd);                 /* kernel_info_offset */
	for (size_t i = 0; i < PM_LEN; i++)
		d[setup + i] = (uint8_t)(i ^ (i >> 8) ^ 0x5a);
	return d;
}

static struct linux_boot_args args_for(struct fixture *f, const uint8_t *k, size_t klen)
{
	return (struct linux_boot_args){
		.kernel_name = "vmlinuz", .kernel = k, .kernel_len = klen,
		.initrd_name = "initrd.img", .cmdline = "console=ttyS0 root=/dev/ram0",
		.e820 = &f->e820, .ram_size = RAM_SIZE,
	};
}

/* Expected zero page for make_bzimage() loaded with args_for(). */
static void expected_zero_page(uint8_t *bp, const uint8_t *img, uint32_t initrd_addr,
			       uint32_t initrd_size)
{
	memset(bp, 0, 4096);
	memcpy(bp + 0x1f1, img + 0x1f1, HDR_END - 0x1f1);
	bp[0x210] = 0xff;                          /* type_of_loader: undefined */
	bp[0x211] = 0x81;                          /* LOADED_HIGH | CAN_USE_HEAP */
	put32(bp + 0x218, initrd_addr);
	put32(bp + 0x21c, initrd_size);
	put16(bp + 0x224, 0xde00);                 /* heap_end_ptr */
	put32(bp + 0x228, 0x20000);                /* cmd_line_ptr */
	bp[0x06] = 3;                              /* orig_video_mode */
	bp[0x07] = 80;                             /* orig_video_cols */
	bp[0x0e] = 25;                             /* orig_video_lines */
	bp[0x0f] = 1;                              /* orig_video_isVGA */
	put16(bp + 0x10, 16);                      /* orig_video_points */
	put16(bp + 0x02, 63 * 1024);               /* ext_mem_k */
	put32(bp + 0x1e0, 63 * 1024);              /* alt_mem_k */
	bp[0x1e8] = 4;                             /* e820_entries */
	static const uint32_t e820[4][3] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
		{ 0x100000, RAM_SIZE - 0x100000, 1 },
	};
	for (int i = 0; i < 4; i++) {
		uint8_t *e = bp + 0x2d0 + 20 * i;
		put32(e, e820[i][0]);
		put32(e + 8, e820[i][1]);
		put32(e + 16, e820[i][2]);
	}
}

static void assert_one_line_error(const char *err, const char *prefix, const char *needle)
{
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "error \"%s\" does not start with %s",
		      err, prefix);
	ck_assert_msg(strstr(err, needle) != NULL, "error \"%s\" does not mention \"%s\"", err, needle);
	ck_assert_msg(strchr(err, '\n') == NULL, "error \"%s\" is not one line", err);
}

START_TEST(test_load_full)
{
	struct fixture f;
	fixture_init(&f);
	size_t len;
	uint8_t *img = make_bzimage(&len);
	size_t ilen = 100000;
	uint8_t *initrd = malloc(ilen);
	for (size_t i = 0; i < ilen; i++)
		initrd[i] = (uint8_t)(i * 13);
	struct linux_boot_args a = args_for(&f, img, len);
	a.initrd = initrd;
	a.initrd_len = ilen;
	struct linux_boot_info info;
	char err[256] = "";
	ck_assert_msg(linux_boot_load(&f.phys, &f.cpu, &a, &info, err, sizeof(err)) == 0, "%s", err);

	/* Initrd: highest page-aligned address below the top of RAM. */
	uint32_t iaddr = (uint32_t)((RAM_SIZE - ilen) & ~0xfffull);
	ck_assert_uint_eq(info.initrd_addr, iaddr);
	ck_assert_uint_eq(info.initrd_size, ilen);
	ck_assert_int_eq(memcmp(f.ram.host + iaddr, initrd, ilen), 0);

	/* Zero page, byte by byte. */
	uint8_t want[4096], got[4096];
	expected_zero_page(want, img, iaddr, (uint32_t)ilen);
	ck_assert_int_eq(physmap_fetch(&f.phys, 0x10000, got, sizeof(got)), 0);
	for (int i = 0; i < 4096; i++)
		ck_assert_msg(got[i] == want[i], "boot_params[0x%03x] = 0x%02x, want 0x%02x", i,
			      got[i], want[i]);
	ck_assert_str_eq((const char *)f.ram.host + get32(got + 0x228),
			 "console=ttyS0 root=/dev/ram0");

	/* Protected-mode kernel at 0x100000. */
	ck_assert_int_eq(memcmp(f.ram.host + 0x100000, img + 3 * 512, PM_LEN), 0);

	/* info */
	ck_assert_uint_eq(info.boot_params, 0x10000);
	ck_assert_uint_eq(info.cmdline, 0x20000);
	ck_assert_uint_eq(info.kernel_addr, 0x100000);
	ck_assert_uint_eq(info.kernel_size, PM_LEN);
	ck_assert_uint_eq(info.protocol, 0x020f);
	ck_assert_uint_eq(info.kernel_end, 0x1800000);   /* pref_address + init_size */

	/* CPU: the 32-bit boot protocol's entry state. */
	const struct cpu_state *c = &f.cpu;
	ck_assert_uint_eq(c->eip, 0x100000);
	ck_assert_uint_eq(c->gpr[R_ESI], 0x10000);
	ck_assert_uint_eq(c->gpr[R_EBX], 0);
	ck_assert_uint_eq(c->gpr[R_EBP], 0);
	ck_assert_uint_eq(c->gpr[R_EDI], 0);
	ck_assert_uint_eq(c->eflags & EFL_IF, 0);
	ck_assert_uint_eq(c->cr0 & (CR0_PE | CR0_PG), CR0_PE);
	ck_assert_uint_eq(c->seg[S_CS].sel, 0x10);
	ck_assert_uint_eq(c->seg[S_CS].base, 0);
	ck_assert_uint_eq(c->seg[S_CS].limit, 0xffffffffu);
	ck_assert_uint_eq(c->seg[S_CS].attr & (SEG_S | SEG_DB | SEG_P | 0x8), SEG_S | SEG_DB | SEG_P | 0x8);
	ck_assert_uint_eq(c->seg[S_DS].sel, 0x18);
	ck_assert_uint_eq(c->seg[S_ES].sel, 0x18);
	ck_assert_uint_eq(c->seg[S_SS].sel, 0x18);
	ck_assert_uint_eq(c->seg[S_DS].limit, 0xffffffffu);
	ck_assert_uint_eq(c->seg[S_DS].attr & 0xa, 0x2);   /* writable data */
	ck_assert_uint_eq(c->gdtr.base, 0x1000);
	ck_assert_uint_eq(c->gdtr.limit, 0x1f);
	ck_assert_uint_eq(c->idtr.limit, 0);
	static const uint8_t gdt[32] = {
		[0x10] = 0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0,
		[0x18] = 0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0,
	};
	ck_assert_int_eq(memcmp(f.ram.host + 0x1000, gdt, sizeof(gdt)), 0);
	ck_assert_uint_eq(f.phys.a20_mask, A20_OPEN_MASK);

	free(initrd);
	free(img);
	fixture_fini(&f);
}
END_TEST

START_TEST(test_no_initrd_keep_segments_setup_sects_zero)
{
	struct fixture f;
	fixture_init(&f);
	size_t len;
	uint8_t *img = make_bzimage(&len);
	/* setup_sects 0 means 4: rebuild with 5 sectors before the kernel. */
	size_t nlen = 5 * 512 + PM_LEN;
	uint8_t *img4 = calloc(1, nlen);
	memcpy(img4, img, 3 * 512);
	memcpy(img4 + 5 * 512, img + 3 * 512, PM_LEN);
	img4[0x1f1] = 0;
	img4[0x211] = 0x41;                /* LOADED_HIGH | KEEP_SEGMENTS: must be cleared */
	struct linux_boot_args a = args_for(&f, img4, nlen);
	a.cmdline = NULL;
	struct linux_boot_info info;
	char err[256] = "";
	ck_assert_msg(linux_boot_load(&f.phys, &f.cpu, &a, &info, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(memcmp(f.ram.host + 0x100000, img + 3 * 512, PM_LEN), 0);
	const uint8_t *bp = f.ram.host + 0x10000;
	ck_assert_uint_eq(bp[0x211], 0x81);
	ck_assert_uint_eq(get32(bp + 0x218), 0);
	ck_assert_uint_eq(get32(bp + 0x21c), 0);
	ck_assert_uint_eq(info.initrd_addr, 0);
	ck_assert_str_eq((const char *)f.ram.host + 0x20000, "");
	free(img4);
	free(img);
	fixture_fini(&f);
}
END_TEST

START_TEST(test_initrd_addr_max)
{
	struct fixture f;
	fixture_init(&f);
	size_t len;
	uint8_t *img = make_bzimage(&len);
	put32(img + 0x22c, 0x2ffffff);     /* initrd must end by 48 MiB */
	uint8_t initrd[5000];
	memset(initrd, 0x77, sizeof(initrd));
	struct linux_boot_args a = args_for(&f, img, len);
	a.initrd = initrd;
	a.initrd_len = sizeof(initrd);
	struct linux_boot_info info;
	char err[256] = "";
	ck_assert_msg(linux_boot_load(&f.phys, &f.cpu, &a, &info, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(info.initrd_addr, (0x3000000 - sizeof(initrd)) & ~0xfffu);
	ck_assert_int_eq(memcmp(f.ram.host + info.initrd_addr, initrd, sizeof(initrd)), 0);
	free(img);
	fixture_fini(&f);
}
END_TEST

/* With 1 GiB of RAM the initrd stays below the 32-bit kernel's lowmem limit. */
START_TEST(test_initrd_lowmem_limit)
{
	struct fixture f;
	fixture_init_size(&f, 1ull << 30);
	size_t len;
	uint8_t *img = make_bzimage(&len);
	uint8_t initrd[3 * 4096 + 1];
	memset(initrd, 0x33, sizeof(initrd));
	struct linux_boot_args a = args_for(&f, img, len);
	a.ram_size = 1ull << 30;
	a.initrd = initrd;
	a.initrd_len = sizeof(initrd);
	struct linux_boot_info info;
	char err[256] = "";
	ck_assert_msg(linux_boot_load(&f.phys, &f.cpu, &a, &info, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(info.initrd_addr, 0x37800000 - 4 * 4096);
	ck_assert_int_eq(memcmp(f.ram.host + info.initrd_addr, initrd, sizeof(initrd)), 0);
	ck_assert_uint_eq(get16(f.ram.host + 0x10000 + 0x02), 0xffff);   /* ext_mem_k saturates */
	ck_assert_uint_eq(get32(f.ram.host + 0x10000 + 0x1e0), (1u << 20) - 1024);
	free(img);
	fixture_fini(&f);
}
END_TEST

START_TEST(test_cmdline_limit)
{
	struct fixture f;
	fixture_init(&f);
	size_t len;
	uint8_t *img = make_bzimage(&len);
	put32(img + 0x238, 16);
	struct linux_boot_args a = args_for(&f, img, len);
	char err[256] = "";
	a.cmdline = "0123456789abcdef";          /* exactly cmdline_size: accepted */
	ck_assert_msg(linux_boot_load(&f.phys, &f.cpu, &a, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq((const char *)f.ram.host + 0x20000, "0123456789abcdef");
	a.cmdline = "0123456789abcdefg";         /* one more: refused */
	ck_assert_int_eq(linux_boot_load(&f.phys, &f.cpu, &a, NULL, err, sizeof(err)), -1);
	assert_one_line_error(err, "vmlinuz: ", "command line is 17 bytes");
	free(img);
	fixture_fini(&f);
}
END_TEST

/* Each case: a change to the image and the text the error must contain. */
static void expect_error(void (*patch)(uint8_t *img, size_t *len), const char *needle)
{
	struct fixture f;
	fixture_init(&f);
	size_t len;
	uint8_t *img = make_bzimage(&len);
	patch(img, &len);
	struct linux_boot_args a = args_for(&f, img, len);
	char err[256] = "";
	ck_assert_int_eq(linux_boot_load(&f.phys, &f.cpu, &a, NULL, err, sizeof(err)), -1);
	assert_one_line_error(err, "vmlinuz: ", needle);
	free(img);
	fixture_fini(&f);
}

static void p_no_sig(uint8_t *d, size_t *len) { d[0x203] = 'x'; }
static void p_no_bootflag(uint8_t *d, size_t *len) { d[0x1fe] = 0; }
static void p_old(uint8_t *d, size_t *len) { put16(d + 0x206, 0x0204); }
static void p_zimage(uint8_t *d, size_t *len) { d[0x211] = 0; }
static void p_trunc(uint8_t *d, size_t *len) { *len -= 100; }
static void p_trunc_hdr(uint8_t *d, size_t *len) { *len = 0x220; }
static void p_tiny(uint8_t *d, size_t *len) { *len = 0x100; }
static void p_setup_sects(uint8_t *d, size_t *len) { d[0x1f1] = 200; }
static void p_short_hdr(uint8_t *d, size_t *len) { d[0x201] = 0x30; }
static void p_too_big(uint8_t *d, size_t *len) { put32(d + 0x260, 0x4000000); }
static void p_64bit(uint8_t *d, size_t *len) { put16(d + 0x236, 0x0003); }
static void p_align(uint8_t *d, size_t *len) { put32(d + 0x230, 0x300000); }
static void p_code32(uint8_t *d, size_t *len) { put32(d + 0x214, 0x200000); }
static void p_pref(uint8_t *d, size_t *len) { put32(d + 0x25c, 1); }

START_TEST(test_errors)
{
	expect_error(p_no_sig, "not a Linux kernel image (no HdrS signature at 0x202)");
	expect_error(p_no_bootflag, "no 0xAA55 boot flag");
	expect_error(p_old, "boot protocol 2.04 is too old (need 2.06 or later)");
	expect_error(p_zimage, "zImage not supported");
	expect_error(p_trunc, "truncated");
	expect_error(p_trunc_hdr, "truncated");
	expect_error(p_tiny, "too short");
	expect_error(p_setup_sects, "setup_sects 200");
	expect_error(p_short_hdr, "setup header ends at 0x232");
	expect_error(p_too_big, "kernel needs RAM");
	expect_error(p_64bit, "64-bit kernel");
	expect_error(p_align, "kernel_alignment 0x300000 is not a power of two");
	expect_error(p_code32, "code32_start is 0x200000");
	expect_error(p_pref, "pref_address");
}
END_TEST

START_TEST(test_initrd_too_large)
{
	struct fixture f;
	fixture_init(&f);
	size_t len;
	uint8_t *img = make_bzimage(&len);
	size_t ilen = 60ull << 20;     /* 60 MiB does not fit above the kernel's end (24 MiB) */
	uint8_t *initrd = calloc(1, ilen);
	struct linux_boot_args a = args_for(&f, img, len);
	a.initrd = initrd;
	a.initrd_len = ilen;
	char err[256] = "";
	ck_assert_int_eq(linux_boot_load(&f.phys, &f.cpu, &a, NULL, err, sizeof(err)), -1);
	assert_one_line_error(err, "initrd.img: ", "60 MiB initrd does not fit");
	/* 40 MiB fits exactly between 24 MiB and the top. */
	a.initrd_len = 40ull << 20;
	ck_assert_msg(linux_boot_load(&f.phys, &f.cpu, &a, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(get32(f.ram.host + 0x10000 + 0x218), 0x1800000);
	free(initrd);
	free(img);
	fixture_fini(&f);
}
END_TEST

START_TEST(test_detect_and_read_file)
{
	size_t len;
	uint8_t *img = make_bzimage(&len);
	ck_assert_int_eq(loader_detect(img, len), KERNEL_LINUX_BZIMAGE);
	ck_assert_int_eq(loader_detect(img, 0x205), KERNEL_UNKNOWN);
	img[0x1fe] = 0;
	ck_assert_int_eq(loader_detect(img, len), KERNEL_UNKNOWN);
	img[0x1fe] = 0x55;

	char path[] = "/tmp/softvt-test-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, img, len), (ssize_t)len);
	close(fd);
	uint8_t *data;
	size_t dlen;
	char err[256] = "";
	ck_assert_msg(loader_read_file(path, &data, &dlen, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(dlen, len);
	ck_assert_int_eq(memcmp(data, img, len), 0);
	free(data);
	unlink(path);
	ck_assert_int_eq(loader_read_file(path, &data, &dlen, err, sizeof(err)), -1);
	assert_one_line_error(err, path, "No such file");
	ck_assert_int_eq(loader_read_file("/tmp", &data, &dlen, err, sizeof(err)), -1);
	assert_one_line_error(err, "/tmp: ", "directory");
	free(img);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("linux_boot");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_load_full);
	tcase_add_test(tc, test_no_initrd_keep_segments_setup_sects_zero);
	tcase_add_test(tc, test_initrd_addr_max);
	tcase_add_test(tc, test_initrd_lowmem_limit);
	tcase_add_test(tc, test_cmdline_limit);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_initrd_too_large);
	tcase_add_test(tc, test_detect_and_read_file);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
