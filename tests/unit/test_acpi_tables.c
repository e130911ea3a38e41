/*
 * test_acpi_tables.c - the ACPI tables of bios/acpi_tables.c: signatures,
 * lengths, checksums, the pointer chain RSDP -> RSDT -> FADT -> FACS/DSDT
 * at the given physical base, the FADT against the acpi_pm device, and the
 * DSDT's AML decoded back into Name (_S5, Package { ... }).
 *
 * When acpica-tools is installed (iasl, acpiexec), one more test case
 * disassembles the DSDT and FADT with iasl and lets acpiexec evaluate \_S5;
 * without them that case is left out (and says so). The build never needs
 * them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bios/acpi_tables.h"
#include "devices/acpi_pm.h"

#define BIOS_BASE 0xe0000u

static const struct acpi_config pc_config = {
	.pm1a_evt_port = ACPI_PM_EVT_PORT,
	.pm1a_cnt_port = ACPI_PM_CNT_PORT,
	.pm_tmr_port = ACPI_PM_TMR_PORT,
	.sci_irq = ACPI_PM_SCI_IRQ,
	.s5_slp_typ = ACPI_PM_SLP_TYP_S5,
	.rtc_century = 0x32,
};

/* The buffer as it would sit in guest memory at base. */
struct image {
	uint8_t buf[ACPI_TABLES_MAX_SIZE];
	uint32_t base;
	size_t used;
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static void build(struct image *img, uint32_t base, const struct acpi_config *cfg)
{
	memset(img->buf, 0xcc, sizeof(img->buf));
	img->base = base;
	img->used = acpi_tables_build(img->buf, sizeof(img->buf), base, cfg);
	ck_assert_uint_gt(img->used, 0);
	ck_assert_uint_le(img->used, ACPI_TABLES_MAX_SIZE);
}

/* Resolves a physical range inside the image, failing the test otherwise. */
static const uint8_t *at(const struct image *img, uint32_t paddr, uint32_t len)
{
	ck_assert_uint_ge(paddr, img->base);
	ck_assert_uint_le((uint64_t)paddr + len, (uint64_t)img->base + img->used);
	return img->buf + (paddr - img->base);
}

/* A table with the common header: signature, length, checksum, revision, OEM ID. */
static const uint8_t *table(const struct image *img, uint32_t paddr, const char *sig,
			    uint32_t expect_len, uint8_t revision)
{
	const uint8_t *t = at(img, paddr, 36);
	ck_assert_mem_eq(t, sig, 4);
	uint32_t len = le32(t + 4);
	if (expect_len)
		ck_assert_uint_eq(len, expect_len);
	ck_assert_uint_ge(len, 36);
	t = at(img, paddr, len);
	ck_assert_uint_eq(sum8(t, len), 0);
	ck_assert_uint_eq(t[8], revision);
	ck_assert_mem_eq(t + 10, "SOFTVT", 6);
	return t;
}

static const uint8_t *rsdp_of(const struct image *img)
{
	uint32_t paddr = img->base + acpi_tables_rsdp_offset(img->base);
	ck_assert_uint_eq(paddr % 16, 0);
	const uint8_t *r = at(img, paddr, 20);
	ck_assert_mem_eq(r, "RSD PTR ", 8);
	ck_assert_uint_eq(sum8(r, 20), 0);
	ck_assert_mem_eq(r + 9, "SOFTVT", 6);
	ck_assert_uint_eq(r[15], 0);                 /* ACPI 1.0 */
	return r;
}

static const uint8_t *fadt_of(const struct image *img)
{
	const uint8_t *rsdt = table(img, le32(rsdp_of(img) + 16), "RSDT", 0, 1);
	ck_assert_uint_eq(le32(rsdt + 4), 36 + 4);   /* one entry */
	return table(img, le32(rsdt + 36), "FACP", 116, 1);
}

static const uint8_t *dsdt_of(const struct image *img)
{
	return table(img, le32(fadt_of(img) + 40), "DSDT", 0, 1);
}

/*
 * Decoder for exactly what the DSDT should hold (ACPI 6.0 section 20):
 * NameOp, NameString (optionally rooted), PackageOp, PkgLength,
 * NumElements, then integer constants. Returns the element count, or -1.
 */
static int decode_name_package(const uint8_t *aml, size_t len, char name[5],
			       uint64_t *values, int max_values)
{
	size_t i = 0;
	if (i >= len || aml[i++] != 0x08)           /* NameOp */
		return -1;
	if (i < len && aml[i] == '\\')              /* RootChar */
		i++;
	if (i + 4 > len)
		return -1;
	memcpy(name, aml + i, 4);
	name[4] = 0;
	i += 4;
	if (i >= len || aml[i++] != 0x12)           /* PackageOp */
		return -1;
	size_t pkg_start = i;
	if (i >= len)
		return -1;
	uint8_t lead = aml[i++];
	unsigned follow = lead >> 6;
	size_t pkg_len = follow ? (lead & 0x0f) : (lead & 0x3f);
	for (unsigned k = 0; k < follow; k++) {
		if (i >= len)
			return -1;
		pkg_len |= (size_t)aml[i++] << (4 + 8 * k);
	}
	size_t pkg_end = pkg_start + pkg_len;
	if (pkg_end != len || i >= len)
		return -1;
	int count = aml[i++];
	if (count > max_values)
		return -1;
	for (int e = 0; e < count; e++) {
		if (i >= pkg_end)
			return -1;
		uint8_t op = aml[i++];
		unsigned bytes = 0;
		switch (op) {
		case 0x00: values[e] = 0; break;                 /* ZeroOp */
		case 0x01: values[e] = 1; break;                 /* OneOp */
		case 0xff: values[e] = 0xffffffffu; break;       /* OnesOp, 32-bit DSDT */
		case 0x0a: bytes = 1; break;                     /* BytePrefix */
		case 0x0b: bytes = 2; break;                     /* WordPrefix */
		case 0x0c: bytes = 4; break;                     /* DWordPrefix */
		default: return -1;
		}
		if (bytes) {
			if (i + bytes > pkg_end)
				return -1;
			values[e] = 0;
			for (unsigned b = 0; b < bytes; b++)
				values[e] |= (uint64_t)aml[i++] << (8 * b);
		}
	}
	return i == pkg_end ? count : -1;
}

START_TEST(test_rsdp)
{
	struct image img;
	build(&img, BIOS_BASE, &pc_config);
	const uint8_t *r = rsdp_of(&img);
	ck_assert_uint_eq(acpi_tables_rsdp_offset(BIOS_BASE), 0);
	ck_assert_ptr_eq(r, img.buf);
	/* Flip a byte: the checksum must catch it. */
	img.buf[12] ^= 1;
	ck_assert_uint_ne(sum8(img.buf, 20), 0);
}
END_TEST

START_TEST(test_pointer_chain)
{
	struct image img;
	build(&img, BIOS_BASE, &pc_config);
	const uint8_t *fadt = fadt_of(&img);
	uint32_t facs_addr = le32(fadt + 36);
	ck_assert_uint_eq(facs_addr % 64, 0);
	const uint8_t *facs = at(&img, facs_addr, 64);
	ck_assert_mem_eq(facs, "FACS", 4);
	ck_assert_uint_eq(le32(facs + 4), 64);
	ck_assert_uint_eq(le32(facs + 8), 0);        /* hardware signature */
	ck_assert_uint_eq(le32(facs + 12), 0);       /* waking vector */
	ck_assert_uint_eq(le32(facs + 16), 0);       /* global lock free */
	ck_assert_uint_eq(le32(facs + 20), 0);       /* no S4BIOS */
	const uint8_t *dsdt = dsdt_of(&img);
	ck_assert_uint_eq(le32(dsdt + 4), 36 + 14);
	/* The tables do not overlap and the last byte used is the DSDT's. */
	uint32_t dsdt_addr = le32(fadt + 40);
	ck_assert_uint_ge(dsdt_addr, facs_addr + 64);
	ck_assert_uint_eq(dsdt_addr + le32(dsdt + 4), img.base + img.used);
	/* Nothing outside the used range was touched. */
	ck_assert_uint_eq(img.buf[img.used], 0xcc);
}
END_TEST

START_TEST(test_fadt_fields)
{
	struct image img;
	build(&img, BIOS_BASE, &pc_config);
	const uint8_t *f = fadt_of(&img);
	ck_assert_uint_eq(f[44], 0);                 /* INT_MODEL: dual PIC */
	ck_assert_uint_eq(le16(f + 46), 9);          /* SCI_INT */
	ck_assert_uint_eq(le32(f + 48), 0);          /* SMI_CMD: always ACPI mode */
	ck_assert_uint_eq(f[52], 0);
	ck_assert_uint_eq(f[53], 0);
	ck_assert_uint_eq(le32(f + 56), ACPI_PM_EVT_PORT);
	ck_assert_uint_eq(le32(f + 60), 0);          /* no PM1b */
	ck_assert_uint_eq(le32(f + 64), ACPI_PM_CNT_PORT);
	ck_assert_uint_eq(le32(f + 68), 0);
	ck_assert_uint_eq(le32(f + 72), 0);          /* no PM2 */
	ck_assert_uint_eq(le32(f + 76), ACPI_PM_TMR_PORT);
	ck_assert_uint_eq(le32(f + 80), 0);          /* no GPE blocks */
	ck_assert_uint_eq(le32(f + 84), 0);
	ck_assert_uint_eq(f[88], ACPI_PM_EVT_LEN);
	ck_assert_uint_eq(f[89], ACPI_PM_CNT_LEN);
	ck_assert_uint_eq(f[90], 0);
	ck_assert_uint_eq(f[91], ACPI_PM_TMR_LEN);
	ck_assert_uint_eq(f[92], 0);
	ck_assert_uint_eq(f[93], 0);
	ck_assert_uint_gt(le16(f + 96), 100);        /* no C2 */
	ck_assert_uint_gt(le16(f + 98), 1000);       /* no C3 */
	ck_assert_uint_eq(f[108], 0x32);             /* CENTURY from cfg */
	uint32_t flags = le32(f + 112);
	ck_assert_uint_eq(flags & 1u, 1u);           /* WBINVD */
	ck_assert_uint_eq(flags & 4u, 4u);           /* PROC_C1 */
	ck_assert_uint_eq(flags & 0x10u, 0);         /* fixed power button */
	ck_assert_uint_eq(flags & 0x20u, 0x20u);     /* no fixed sleep button */
	ck_assert_uint_eq(flags & 0x40u, 0x40u);     /* FIX_RTC: no RTC_STS */
	ck_assert_uint_eq(flags & 0x100u, 0);        /* TMR_VAL_EXT = 0: 24 bits */
	ck_assert_uint_eq(flags & ~0x7fu, 0);        /* nothing above revision 1 */
}
END_TEST

START_TEST(test_no_pm_timer)
{
	struct image img;
	struct acpi_config cfg = pc_config;
	cfg.pm_tmr_port = 0;
	build(&img, BIOS_BASE, &cfg);
	const uint8_t *f = fadt_of(&img);
	ck_assert_uint_eq(le32(f + 76), 0);
	ck_assert_uint_eq(f[91], 0);
}
END_TEST

START_TEST(test_dsdt_s5_package)
{
	struct image img;
	build(&img, BIOS_BASE, &pc_config);
	const uint8_t *dsdt = dsdt_of(&img);
	char name[5];
	uint64_t v[8];
	int n = decode_name_package(dsdt + 36, le32(dsdt + 4) - 36, name, v, 8);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(name, "_S5_");
	ck_assert_uint_eq(v[0], ACPI_PM_SLP_TYP_S5);
	ck_assert_uint_eq(v[1], ACPI_PM_SLP_TYP_S5);
	ck_assert_uint_eq(v[2], 0);
	ck_assert_uint_eq(v[3], 0);
	/* Another SLP_TYP value is encoded too, and the checksum follows. */
	struct acpi_config cfg = pc_config;
	cfg.s5_slp_typ = 7;
	build(&img, BIOS_BASE, &cfg);
	dsdt = dsdt_of(&img);
	n = decode_name_package(dsdt + 36, le32(dsdt + 4) - 36, name, v, 8);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(v[0], 7);
	ck_assert_uint_eq(v[1], 7);
}
END_TEST

START_TEST(test_decoder_rejects_garbage)
{
	/* The decoder itself must be able to fail. */
	const uint8_t bad_op[] = { 0x10, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x00 };
	const uint8_t bad_len[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x00 };
	const uint8_t good[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0b, 0x34,
				 0x12 };
	char name[5];
	uint64_t v[4];
	ck_assert_int_eq(decode_name_package(bad_op, sizeof(bad_op), name, v, 4), -1);
	ck_assert_int_eq(decode_name_package(bad_len, sizeof(bad_len), name, v, 4), -1);
	ck_assert_int_eq(decode_name_package(good, sizeof(good), name, v, 4), -1);
	const uint8_t good2[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0b, 0x34,
				  0x12 };
	ck_assert_int_eq(decode_name_package(good2, sizeof(good2), name, v, 4), 1);
	ck_assert_uint_eq(v[0], 0x1234);
}
END_TEST

static void count_power_off(void *opaque)
{
	int *count = opaque;
	(*count)++;
}

/* Does what Linux does, using only what the tables say, against the device. */
START_TEST(test_tables_drive_device)
{
	struct image img;
	build(&img, BIOS_BASE, &pc_config);
	const uint8_t *f = fadt_of(&img);
	const uint8_t *dsdt = dsdt_of(&img);
	char name[5];
	uint64_t s5[4];
	ck_assert_int_eq(decode_name_package(dsdt + 36, le32(dsdt + 4) - 36, name, s5, 4), 4);

	struct vclock clock = { .fake_ns = 0 };
	struct portmap *ports = calloc(1, sizeof(*ports));
	ck_assert_ptr_nonnull(ports);
	portmap_init(ports);
	int power_offs = 0;
	struct acpi_pm *pm = acpi_pm_create(&clock, (struct irq_line){ 0 }, count_power_off,
					    &power_offs);
	ck_assert_ptr_nonnull(pm);
	ck_assert_int_eq(acpi_pm_register(pm, ports), 0);

	uint16_t evt = (uint16_t)le32(f + 56), cnt = (uint16_t)le32(f + 64);
	uint16_t tmr = (uint16_t)le32(f + 76);
	for (unsigned i = 0; i < f[88]; i++)
		ck_assert_ptr_nonnull(portmap_owner_name(ports, (uint16_t)(evt + i)));
	for (unsigned i = 0; i < f[89]; i++)
		ck_assert_ptr_nonnull(portmap_owner_name(ports, (uint16_t)(cnt + i)));
	for (unsigned i = 0; i < f[91]; i++)
		ck_assert_ptr_nonnull(portmap_owner_name(ports, (uint16_t)(tmr + i)));
	/* SMI_CMD = 0, so SCI_EN must already read 1. */
	ck_assert_uint_eq(portmap_read(ports, cnt, 2) & 1, 1);
	/* The timer at PM_TMR_BLK counts at 3.579545 MHz. */
	clock.fake_ns = NS_PER_SEC;
	ck_assert_uint_eq(portmap_read(ports, tmr, 4), 3579545u);
	/* The enable register (second half of PM1_EVT_BLK) reads back. */
	uint16_t en = (uint16_t)(evt + f[88] / 2);
	portmap_write(ports, en, ACPI_PM1_PWRBTN_EN, 2);
	ck_assert_uint_eq(portmap_read(ports, en, 2), ACPI_PM1_PWRBTN_EN);
	/* acpi_hw_legacy_sleep: clear WAK_STS and all status, write SLP_TYP, then |SLP_EN. */
	portmap_write(ports, evt, ACPI_PM1_WAK_STS, 2);
	portmap_write(ports, evt, 0xffff, 2);
	uint16_t v = (uint16_t)portmap_read(ports, cnt, 2);
	v = (uint16_t)((v & ~(ACPI_PM1_SLP_TYP | ACPI_PM1_SLP_EN)) |
		       (uint16_t)(s5[0] << ACPI_PM1_SLP_TYP_SHIFT));
	portmap_write(ports, cnt, v, 2);
	ck_assert_int_eq(power_offs, 0);
	portmap_write(ports, cnt, v | ACPI_PM1_SLP_EN, 2);
	ck_assert_int_eq(power_offs, 1);
	acpi_pm_destroy(pm);
	free(ports);
}
END_TEST

START_TEST(test_any_base_alignment)
{
	static const uint32_t bases[] = { 0xe0000, 0xe0004, 0xf0031, 0xfff00, 0x7ff0 };
	for (size_t k = 0; k < sizeof(bases) / sizeof(bases[0]); k++) {
		struct image img;
		build(&img, bases[k], &pc_config);
		const uint8_t *fadt = fadt_of(&img);      /* resolves the whole chain */
		ck_assert_uint_eq(le32(fadt + 36) % 64, 0);
		dsdt_of(&img);
		ck_assert_uint_lt(acpi_tables_rsdp_offset(bases[k]), 16);
	}
}
END_TEST

/* Linux's scan: 16-byte steps through 0xE0000-0xFFFFF for a valid RSDP. */
START_TEST(test_rsdp_scan_finds_it)
{
	uint8_t *bios = calloc(1, 0x20000);
	ck_assert_ptr_nonnull(bios);
	uint32_t base = 0xf5a08;
	uint8_t buf[ACPI_TABLES_MAX_SIZE];
	size_t used = acpi_tables_build(buf, sizeof(buf), base, &pc_config);
	ck_assert_uint_gt(used, 0);
	memcpy(bios + (base - 0xe0000), buf, used);
	int found = 0;
	uint32_t where = 0;
	for (uint32_t a = 0xe0000; a < 0x100000; a += 16) {
		const uint8_t *p = bios + (a - 0xe0000);
		if (memcmp(p, "RSD PTR ", 8) == 0 && sum8(p, 20) == 0) {
			found++;
			where = a;
		}
	}
	ck_assert_int_eq(found, 1);
	ck_assert_uint_eq(where, base + acpi_tables_rsdp_offset(base));
	free(bios);
}
END_TEST

START_TEST(test_rejects_bad_input)
{
	uint8_t buf[ACPI_TABLES_MAX_SIZE];
	struct image img;
	build(&img, BIOS_BASE, &pc_config);
	ck_assert_uint_eq(acpi_tables_build(buf, img.used - 1, BIOS_BASE, &pc_config), 0);
	ck_assert_uint_eq(acpi_tables_build(buf, img.used, BIOS_BASE, &pc_config), img.used);
	struct acpi_config cfg = pc_config;
	cfg.s5_slp_typ = 8;
	ck_assert_uint_eq(acpi_tables_build(buf, sizeof(buf), BIOS_BASE, &cfg), 0);
	cfg = pc_config;
	cfg.pm1a_cnt_port = 0;
	ck_assert_uint_eq(acpi_tables_build(buf, sizeof(buf), BIOS_BASE, &cfg), 0);
	cfg = pc_config;
	cfg.pm1a_evt_port = 0;
	ck_assert_uint_eq(acpi_tables_build(buf, sizeof(buf), BIOS_BASE, &cfg), 0);
	ck_assert_uint_eq(acpi_tables_build(buf, sizeof(buf), 0xffffff00u, &pc_config), 0);
}
END_TEST

/* Optional: ACPICA's own tools (acpica-tools) as an independent reader. */

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, len, f), len);
	fclose(f);
}

/* Runs a shell command in dir; returns its output (stdout+stderr) without whitespace. */
static char *run(const char *dir, const char *cmd)
{
	char line[512];
	snprintf(line, sizeof(line), "cd %s && (%s) 2>&1", dir, cmd);
	FILE *p = popen(line, "r");
	ck_assert_ptr_nonnull(p);
	size_t cap = 1 << 16, len = 0;
	char *out = calloc(1, cap);
	ck_assert_ptr_nonnull(out);
	int c;
	while ((c = fgetc(p)) != EOF && len < cap - 1)
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			out[len++] = (char)c;
	pclose(p);
	return out;
}

START_TEST(test_acpica_reads_tables)
{
	struct image img;
	build(&img, BIOS_BASE, &pc_config);
	const uint8_t *fadt = fadt_of(&img);
	const uint8_t *dsdt = dsdt_of(&img);
	char dir[] = "/tmp/softvt-acpi-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_file(dir, "dsdt.aml", dsdt, le32(dsdt + 4));
	write_file(dir, "facp.dat", fadt, 116);

	char *log = run(dir, "iasl -d dsdt.aml facp.dat; cat dsdt.dsl facp.dsl");
	ck_assert_ptr_nonnull(strstr(log, "Name(_S5,Package(0x04)"));
	ck_assert_ptr_nonnull(strstr(log, "{0x05,0x05,Zero,Zero})"));
	ck_assert_ptr_null(strstr(log, "Incorrectchecksum"));   /* iasl checks them */
	ck_assert_ptr_nonnull(strstr(log, "SCIInterrupt:0009"));
	ck_assert_ptr_nonnull(strstr(log, "PM1AEventBlockAddress:00000600"));
	ck_assert_ptr_nonnull(strstr(log, "PM1AControlBlockAddress:00000604"));
	ck_assert_ptr_nonnull(strstr(log, "PMTimerBlockAddress:00000608"));
	ck_assert_ptr_nonnull(strstr(log, "ControlMethodPowerButton(V1):0"));
	ck_assert_ptr_nonnull(strstr(log, "32-bitPMTimer(V1):0"));
	free(log);

	/* acpiexec supplies its own FADT and simulated hardware; it runs our DSDT. */
	log = run(dir, "acpiexec -b 'evaluate \\_S5' dsdt.aml");
	ck_assert_ptr_nonnull(strstr(log, "[Package]Contains4Elements:"
				      "[Integer]=0000000000000005[Integer]=0000000000000005"
				      "[Integer]=0000000000000000[Integer]=0000000000000000"));
	ck_assert_ptr_null(strstr(log, "Error"));
	free(log);
	free(run(dir, "rm -f dsdt.aml dsdt.dsl facp.dat facp.dsl"));
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *acpi_tables_suite(void)
{
	Suite *s = suite_create("acpi_tables");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_rsdp);
	tcase_add_test(tc, test_pointer_chain);
	tcase_add_test(tc, test_fadt_fields);
	tcase_add_test(tc, test_no_pm_timer);
	tcase_add_test(tc, test_dsdt_s5_package);
	tcase_add_test(tc, test_decoder_rejects_garbage);
	tcase_add_test(tc, test_tables_drive_device);
	tcase_add_test(tc, test_any_base_alignment);
	tcase_add_test(tc, test_rsdp_scan_finds_it);
	tcase_add_test(tc, test_rejects_bad_input);
	suite_add_tcase(s, tc);
	if (system("command -v iasl >/dev/null && command -v acpiexec >/dev/null") == 0) {
		TCase *acpica = tcase_create("acpica");
		tcase_set_timeout(acpica, 60);
		tcase_add_test(acpica, test_acpica_reads_tables);
		suite_add_tcase(s, acpica);
	} else {
		printf("acpi_tables: iasl/acpiexec not installed (Debian acpica-tools), "
		       "ACPICA cross-check not run\n");
	}
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(acpi_tables_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
