/*
 * test_linux_boot_debian.c - the Linux loader on the real Debian i386
 * kernels that scripts/fetch-guest.sh puts in ${SOFTVT_BINARY_DIR}/guest
 * (vmlinuz-686, vmlinuz-686-pae). Exits 77 (skip) with the reason when
 * neither is there; a kernel that is missing is reported and skipped.
 *
 * Checks what can be checked against the file itself: the header fields
 * read back from boot_params equal the file's, the protected-mode code at
 * 0x100000 equals the file's bytes after the setup sectors, the initrd is
 * page-aligned at the top of RAM above the kernel's init_size claim.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu_state.h"
#include "loader/e820.h"
#include "loader/linux_boot.h"
#include "loader/loader.h"
#include "mmu/guest_ram.h"
#include "mmu/physmap.h"

#define RAM_SIZE (128ull << 20)
#define NKERNELS 2

static const char *const kernel_files[NKERNELS] = { "vmlinuz-686", "vmlinuz-686-pae" };

static uint32_t get_le(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void kernel_path(char *buf, size_t len, int i)
{
	snprintf(buf, len, "%s/guest/%s", SOFTVT_BINARY_DIR, kernel_files[i]);
}

/* Fields the loader writes; every other header byte must equal the file's. */
static int loader_written(unsigned off)
{
	return off == 0x210 || off == 0x211 || (off >= 0x218 && off < 0x220) ||
	       off == 0x224 || off == 0x225 || (off >= 0x228 && off < 0x22c);
}

START_TEST(test_debian_kernel)
{
	char path[512], err[512] = "";
	kernel_path(path, sizeof(path), _i);
	if (access(path, R_OK) != 0) {
		printf("skip: %s is not there (scripts/fetch-guest.sh fetches it)\n", path);
		return;
	}
	uint8_t *k;
	size_t klen;
	ck_assert_msg(loader_read_file(path, &k, &klen, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(loader_detect(k, klen), KERNEL_LINUX_BZIMAGE);

	struct guest_ram ram;
	struct physmap phys;
	struct e820_map e820 = { .n = 0 };
	struct cpu_state cpu;
	ck_assert_msg(guest_ram_create(&ram, RAM_SIZE, err, sizeof(err)) == 0, "%s", err);
	physmap_init(&phys, &ram);
	ck_assert_int_eq(physmap_add_ram(&phys, 0, 0xa0000, 0, false, "low"), 0);
	ck_assert_int_eq(physmap_add_ram(&phys, 0x100000, RAM_SIZE - 0x100000, 0x100000, false,
					 "high"), 0);
	e820_add(&e820, 0, 0x9fc00, E820_RAM);
	e820_add(&e820, 0x100000, RAM_SIZE - 0x100000, E820_RAM);
	cpu_state_reset(&cpu);

	size_t ilen = 65536 + 123;
	uint8_t *initrd = malloc(ilen);
	for (size_t i = 0; i < ilen; i++)
		initrd[i] = (uint8_t)(i * 31 + 7);
	struct linux_boot_args a = {
		.kernel_name = kernel_files[_i], .kernel = k, .kernel_len = klen,
		.initrd_name = "initrd", .initrd = initrd, .initrd_len = ilen,
		.cmdline = "console=ttyS0 earlyprintk=serial", .e820 = &e820, .ram_size = RAM_SIZE,
	};
	struct linux_boot_info info;
	ck_assert_msg(linux_boot_load(&phys, &cpu, &a, &info, err, sizeof(err)) == 0, "%s", err);

	unsigned setup = ((k[0x1f1] ? k[0x1f1] : 4) + 1) * 512;
	unsigned hdr_end = 0x202 + k[0x201];
	const uint8_t *bp = ram.host + info.boot_params;
	printf("%s: protocol %u.%02u, %u setup bytes, %zu kernel bytes, kernel end 0x%x, initrd at 0x%x\n",
	       kernel_files[_i], info.protocol >> 8, info.protocol & 0xff, setup, klen - setup,
	       info.kernel_end, info.initrd_addr);

	ck_assert_uint_eq(info.protocol, get_le(k + 0x206, 2));
	ck_assert_uint_ge(info.protocol, 0x206);
	ck_assert_uint_le(hdr_end, 0x290);
	for (unsigned off = 0x1f1; off < hdr_end; off++)
		if (!loader_written(off))
			ck_assert_msg(bp[off] == k[off], "boot_params[0x%x] = 0x%02x, file has 0x%02x",
				      off, bp[off], k[off]);
	ck_assert_int_eq(memcmp(bp + 0x202, "HdrS", 4), 0);
	ck_assert_uint_eq(bp[0x210], 0xff);
	ck_assert_uint_eq(bp[0x211] & 0xc1, 0x81);
	ck_assert_uint_eq(get_le(bp + 0x228, 4), info.cmdline);
	ck_assert_str_eq((const char *)ram.host + info.cmdline, "console=ttyS0 earlyprintk=serial");
	ck_assert_uint_eq(bp[0x1e8], 2);

	ck_assert_uint_eq(info.kernel_size, klen - setup);
	ck_assert_int_eq(memcmp(ram.host + 0x100000, k + setup, klen - setup), 0);

	uint64_t pref = get_le(k + 0x258, 4) | (uint64_t)get_le(k + 0x25c, 4) << 32;
	uint32_t init_size = get_le(k + 0x260, 4);
	ck_assert_uint_eq(info.kernel_end, pref + init_size);
	ck_assert_uint_eq(info.initrd_addr, (RAM_SIZE - ilen) & ~0xfffull);
	ck_assert_uint_ge(info.initrd_addr, info.kernel_end);
	ck_assert_uint_eq(get_le(bp + 0x218, 4), info.initrd_addr);
	ck_assert_uint_eq(get_le(bp + 0x21c, 4), ilen);
	ck_assert_int_eq(memcmp(ram.host + info.initrd_addr, initrd, ilen), 0);

	ck_assert_uint_eq(cpu.eip, 0x100000);
	ck_assert_uint_eq(cpu.gpr[R_ESI], info.boot_params);
	ck_assert_uint_eq(cpu.seg[S_CS].sel, 0x10);
	ck_assert_uint_eq(cpu.seg[S_DS].sel, 0x18);

	/* One byte short of what syssize promises: refused as truncated. */
	a.kernel_len = setup + get_le(k + 0x1f4, 4) * 16 - 1;
	ck_assert_int_eq(linux_boot_load(&phys, &cpu, &a, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "truncated") != NULL, "%s", err);

	free(initrd);
	free(k);
	guest_ram_destroy(&ram);
}
END_TEST

int main(void)
{
	int present = 0;
	for (int i = 0; i < NKERNELS; i++) {
		char path[512];
		kernel_path(path, sizeof(path), i);
		present += access(path, R_OK) == 0;
	}
	if (!present) {
		printf("skip: no Debian kernel in %s/guest (run scripts/fetch-guest.sh %s)\n",
		       SOFTVT_BINARY_DIR, SOFTVT_BINARY_DIR);
		return 77;
	}
	Suite *s = suite_create("linux_boot_debian");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_debian_kernel, 0, NKERNELS);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
