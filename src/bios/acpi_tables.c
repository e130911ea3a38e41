/*
 * acpi_tables.c - building the RSDP, RSDT, FADT, FACS and DSDT.
 *
 * Layouts are the ACPI 1.0 ones, from ACPI 6.0 section 5.2 where every
 * field is tagged with the revision that introduced it: RSDP revision 0
 * (5.2.5.3, first 20 bytes), the common table header (5.2.6), RSDT
 * (5.2.7), FADT revision 1 = the fields up to Flags, 116 bytes (5.2.9,
 * "[V1]" fields), FACS (5.2.10, 64 bytes, no checksum) and the DSDT
 * (5.2.11.1), a header followed by AML (chapter 20).
 *
 * Tables follow each other in the buffer: RSDP at the first 16-byte
 * boundary, then RSDT, FADT and DSDT at 16-byte boundaries and the FACS at
 * a 64-byte boundary (5.2.10 requires it), all relative to the physical
 * address, so any phys_base works. Pad bytes are zero. Each checksum byte
 * makes the 8-bit sum of its table (the RSDP: of its 20 bytes) zero.
 */
#include "bios/acpi_tables.h"

#include <string.h>

#define RSDP_LEN 20
#define HEADER_LEN 36
#define RSDT_LEN (HEADER_LEN + 4)
#define FADT_LEN 116
#define FACS_LEN 64
#define S5_AML_LEN 14

/* FADT Flags (5.2.9). */
#define FADT_WBINVD (1u << 0)
#define FADT_PROC_C1 (1u << 2)
#define FADT_SLP_BUTTON (1u << 5)
#define FADT_FIX_RTC (1u << 6)

#define OEM_ID "SOFTVT"
#define OEM_TABLE_ID "SOFTVTPC"
#define CREATOR_ID "SOFT"

struct acpi_layout {
	uint64_t rsdp, rsdt, fadt, facs, dsdt, end;   /* physical addresses */
};

static uint64_t align_up(uint64_t addr, uint64_t align)
{
	return (addr + align - 1) & ~(align - 1);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

/*
 * The AML of the DSDT: the \_S5 sleep-state package (ACPI 6.0 section
 * 7.3.4), whose first two elements are the SLP_TYPa and SLP_TYPb values
 * to write into PM1a_CNT and PM1b_CNT for S5; the other two are reserved.
 *
 *     Name (_S5, Package (4) { typ, typ, 0, 0 })
 *
 * DefName := NameOp NameString DataRefObject                (20.2.5.1)
 * DefPackage := PackageOp PkgLength NumElements PackageElementList (20.2.5.4)
 * PkgLength: one byte when < 64, counting itself and what follows (20.2.4)
 * ByteConst := BytePrefix ByteData; ZeroOp is the constant 0   (20.2.3)
 */
static void dsdt_aml(uint8_t *p, uint8_t s5_slp_typ)
{
	const uint8_t aml[] = {
		0x08,                   /* NameOp */
		'_', 'S', '5', '_',     /* NameSeg _S5_ (in the root scope) */
		0x12,                   /* PackageOp */
		0x08,                   /* PkgLength = 8: this byte to the end */
		0x04,                   /* NumElements */
		0x0a, s5_slp_typ,       /* BytePrefix SLP_TYPa */
		0x0a, s5_slp_typ,       /* BytePrefix SLP_TYPb */
		0x00,                   /* ZeroOp (reserved) */
		0x00,                   /* ZeroOp (reserved) */
	};
	_Static_assert(sizeof(aml) == S5_AML_LEN, "S5_AML_LEN");
	memcpy(p, aml, sizeof(aml));
}

static struct acpi_layout layout_for(uint32_t phys_base)
{
	struct acpi_layout l;
	l.rsdp = align_up(phys_base, 16);
	l.rsdt = align_up(l.rsdp + RSDP_LEN, 16);
	l.fadt = align_up(l.rsdt + RSDT_LEN, 16);
	l.facs = align_up(l.fadt + FADT_LEN, 64);
	l.dsdt = align_up(l.facs + FACS_LEN, 16);
	l.end = l.dsdt + HEADER_LEN + S5_AML_LEN;
	return l;
}

/* The common header (5.2.6); the checksum is filled in last. */
static void put_header(uint8_t *t, const char *signature, uint32_t length, uint8_t revision)
{
	memcpy(t, signature, 4);
	put32(t + 4, length);
	t[8] = revision;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put32(t + 24, 1);                 /* OEM revision */
	memcpy(t + 28, CREATOR_ID, 4);
	put32(t + 32, 1);                 /* creator revision */
}

static void seal(uint8_t *t, uint32_t length)
{
	t[9] = checksum(t, length);
}

static void build_fadt(uint8_t *t, const struct acpi_layout *l, const struct acpi_config *cfg)
{
	put_header(t, "FACP", FADT_LEN, 1);
	put32(t + 36, (uint32_t)l->facs);         /* FIRMWARE_CTRL */
	put32(t + 40, (uint32_t)l->dsdt);         /* DSDT */
	t[44] = 0;                                /* INT_MODEL: dual 8259 PIC */
	put16(t + 46, cfg->sci_irq);              /* SCI_INT */
	put32(t + 48, 0);                         /* SMI_CMD: none, always in ACPI mode */
	put32(t + 56, cfg->pm1a_evt_port);        /* PM1a_EVT_BLK */
	put32(t + 64, cfg->pm1a_cnt_port);        /* PM1a_CNT_BLK */
	put32(t + 76, cfg->pm_tmr_port);          /* PM_TMR_BLK */
	t[88] = 4;                                /* PM1_EVT_LEN */
	t[89] = 2;                                /* PM1_CNT_LEN */
	t[91] = cfg->pm_tmr_port ? 4 : 0;         /* PM_TM_LEN */
	put16(t + 96, 101);                       /* P_LVL2_LAT > 100: no C2 */
	put16(t + 98, 1001);                      /* P_LVL3_LAT > 1000: no C3 */
	t[108] = cfg->rtc_century;                /* CENTURY */
	/* PWR_BUTTON = 0: fixed-feature power button; TMR_VAL_EXT = 0: 24 bits. */
	put32(t + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC);
	seal(t, FADT_LEN);
}

uint32_t acpi_tables_rsdp_offset(uint32_t phys_base)
{
	return (uint32_t)(layout_for(phys_base).rsdp - phys_base);
}

size_t acpi_tables_build(uint8_t *buf, size_t buflen, uint32_t phys_base,
			 const struct acpi_config *cfg)
{
	struct acpi_layout l = layout_for(phys_base);
	size_t used = (size_t)(l.end - phys_base);
	if (used > buflen || l.end > 0x100000000ull || !cfg->pm1a_evt_port ||
	    !cfg->pm1a_cnt_port || cfg->s5_slp_typ > 7)
		return 0;
	memset(buf, 0, used);

	uint8_t *rsdp = buf + (l.rsdp - phys_base);
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, OEM_ID, 6);
	rsdp[15] = 0;                             /* revision 0: ACPI 1.0 */
	put32(rsdp + 16, (uint32_t)l.rsdt);
	rsdp[8] = checksum(rsdp, RSDP_LEN);

	uint8_t *rsdt = buf + (l.rsdt - phys_base);
	put_header(rsdt, "RSDT", RSDT_LEN, 1);
	put32(rsdt + HEADER_LEN, (uint32_t)l.fadt);
	seal(rsdt, RSDT_LEN);

	build_fadt(buf + (l.fadt - phys_base), &l, cfg);

	uint8_t *facs = buf + (l.facs - phys_base);
	memcpy(facs, "FACS", 4);
	put32(facs + 4, FACS_LEN);
	/* Hardware signature, waking vector, global lock, flags: all 0. */

	uint8_t *dsdt = buf + (l.dsdt - phys_base);
	uint32_t dsdt_len = (uint32_t)(l.end - l.dsdt);
	put_header(dsdt, "DSDT", dsdt_len, 1);   /* revision 1: 32-bit integers */
	dsdt_aml(dsdt + HEADER_LEN, cfg->s5_slp_typ);
	seal(dsdt, dsdt_len);
	return used;
}
