/*
 * test_ide_ata.c - the IDE/ATA register protocol (devices/ide_ata.c) and
 * the disk image backend (devices/disk_image.c): IDENTIFY, PIO reads and
 * writes in LBA and CHS, READ/WRITE MULTIPLE, the interrupt line and nIEN,
 * errors (IDNF, ABRT), soft reset, absent device 1, the --snapshot overlay,
 * and the image checks (missing file, odd size, read-only).
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/disk_image.h"
#include "devices/ide_ata.h"
#include "devices/portmap.h"

#define SECTORS 2048u   /* 1 MiB: 2 cylinders of 16 heads x 63 sectors, and some */

struct rig {
	struct portmap ports;
	char path[64];
	struct disk_image *disk;
	struct ide_ata *ide;
	int irq_level;
	int irq_edges;
};

static void rig_irq(void *opaque, int num, int level)
{
	struct rig *r = opaque;
	if (level && !r->irq_level)
		r->irq_edges++;
	r->irq_level = level;
}

/* Sector s holds bytes (s + i) & 0xff, with s in its first four bytes. */
static void pattern(uint32_t s, uint8_t *buf)
{
	for (unsigned i = 0; i < DISK_SECTOR_SIZE; i++)
		buf[i] = (uint8_t)(s + i);
	memcpy(buf, &s, 4);
}

static void make_image(char *path, size_t len, uint64_t bytes)
{
	snprintf(path, len, "/tmp/softvt-ide-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	uint8_t buf[DISK_SECTOR_SIZE];
	for (uint32_t s = 0; s < bytes / DISK_SECTOR_SIZE; s++) {
		pattern(s, buf);
		ck_assert_int_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	}
	if (bytes % DISK_SECTOR_SIZE)
		ck_assert_int_eq(write(fd, buf, bytes % DISK_SECTOR_SIZE), (ssize_t)(bytes % DISK_SECTOR_SIZE));
	close(fd);
}

static struct rig *rig_new(bool snapshot)
{
	struct rig *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	portmap_init(&r->ports);
	make_image(r->path, sizeof(r->path), (uint64_t)SECTORS * DISK_SECTOR_SIZE);
	char err[256];
	r->disk = disk_image_open(r->path, snapshot, err, sizeof(err));
	ck_assert_msg(r->disk != NULL, "%s", err);
	r->ide = ide_ata_create(r->disk, (struct irq_line){ rig_irq, r, 14 });
	ck_assert_ptr_nonnull(r->ide);
	ck_assert_int_eq(ide_ata_register(r->ide, &r->ports), 0);
	return r;
}

static void rig_free(struct rig *r)
{
	ide_ata_destroy(r->ide);
	disk_image_close(r->disk);
	unlink(r->path);
	free(r);
}

static uint8_t inb(struct rig *r, uint16_t port)
{
	return (uint8_t)portmap_read(&r->ports, port, 1);
}

static void outb(struct rig *r, uint16_t port, uint8_t v)
{
	portmap_write(&r->ports, port, v, 1);
}

static uint16_t inw(struct rig *r)
{
	return (uint16_t)portmap_read(&r->ports, 0x1f0, 2);
}

static void lba_cmd(struct rig *r, uint32_t lba, uint8_t count, uint8_t cmd)
{
	outb(r, 0x1f6, (uint8_t)(0xe0 | (lba >> 24)));
	outb(r, 0x1f2, count);
	outb(r, 0x1f3, (uint8_t)lba);
	outb(r, 0x1f4, (uint8_t)(lba >> 8));
	outb(r, 0x1f5, (uint8_t)(lba >> 16));
	outb(r, 0x1f7, cmd);
}

static void read_sector(struct rig *r, uint8_t *buf)
{
	for (unsigned i = 0; i < DISK_SECTOR_SIZE / 2; i++) {
		uint16_t w = inw(r);
		buf[2 * i] = (uint8_t)w;
		buf[2 * i + 1] = (uint8_t)(w >> 8);
	}
}

static void write_sector(struct rig *r, const uint8_t *buf)
{
	for (unsigned i = 0; i < DISK_SECTOR_SIZE / 2; i++)
		portmap_write(&r->ports, 0x1f0, buf[2 * i] | buf[2 * i + 1] << 8, 2);
}

START_TEST(reset_state_and_signature)
{
	struct rig *r = rig_new(false);
	ck_assert_int_eq(inb(r, 0x3f6), ATA_SR_DRDY | ATA_SR_DSC);
	outb(r, 0x3f6, ATA_DC_SRST);
	ck_assert_int_eq(inb(r, 0x3f6) & ATA_SR_BSY, ATA_SR_BSY);
	outb(r, 0x3f6, 0);
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC);
	ck_assert_int_eq(inb(r, 0x1f1), 0x01);     /* diagnostic: passed */
	ck_assert_int_eq(inb(r, 0x1f2), 1);
	ck_assert_int_eq(inb(r, 0x1f3), 1);
	ck_assert_int_eq(inb(r, 0x1f4), 0);        /* 00 00: ATA, not ATAPI (14 EB) */
	ck_assert_int_eq(inb(r, 0x1f5), 0);
	/* Device 1 is absent: status 0, commands ignored. */
	outb(r, 0x1f6, 0xb0);
	ck_assert_int_eq(inb(r, 0x1f7), 0);
	outb(r, 0x1f7, 0xec);
	ck_assert_int_eq(inb(r, 0x1f7), 0);
	ck_assert_int_eq(r->irq_edges, 0);
	outb(r, 0x1f6, 0xa0);
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC);
	rig_free(r);
}
END_TEST

START_TEST(identify_device)
{
	struct rig *r = rig_new(false);
	outb(r, 0x1f6, 0xa0);
	outb(r, 0x1f7, 0xec);
	ck_assert_int_eq(r->irq_level, 1);
	ck_assert_int_eq(inb(r, 0x3f6), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	ck_assert_int_eq(r->irq_level, 1);          /* alternate status keeps it */
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	ck_assert_int_eq(r->irq_level, 0);          /* status clears it */
	uint16_t w[256];
	for (int i = 0; i < 256; i++)
		w[i] = inw(r);
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC);
	ck_assert_uint_eq(w[0], 0x0040);
	ck_assert_uint_eq(w[1], SECTORS / (16 * 63));
	ck_assert_uint_eq(w[3], 16);
	ck_assert_uint_eq(w[6], 63);
	ck_assert_uint_eq(w[49] & 0x0200, 0x0200);  /* LBA */
	ck_assert_uint_eq(w[60] | (uint32_t)w[61] << 16, SECTORS);
	ck_assert_uint_eq(w[27], ('S' << 8) | 'O'); /* "SOFTVT HARDDISK", high byte first */
	ck_assert_uint_eq(w[47] & 0xff, 16);
	/* The data port is idle now. */
	ck_assert_uint_eq(inw(r), 0xffff);
	rig_free(r);
}
END_TEST

START_TEST(read_sectors_lba)
{
	struct rig *r = rig_new(false);
	lba_cmd(r, 100, 3, 0x20);
	uint8_t got[DISK_SECTOR_SIZE], want[DISK_SECTOR_SIZE];
	for (uint32_t s = 100; s < 103; s++) {
		ck_assert_int_eq(r->irq_level, 1);                 /* one interrupt per sector */
		ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
		read_sector(r, got);
		pattern(s, want);
		ck_assert_mem_eq(got, want, sizeof(got));
	}
	ck_assert_int_eq(r->irq_edges, 3);
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC);
	ck_assert_int_eq(inb(r, 0x1f3), 102);                  /* last sector transferred */
	ck_assert_int_eq(inb(r, 0x1f2), 0);
	/* 32-bit data port accesses move two words. */
	lba_cmd(r, 7, 1, 0x20);
	uint32_t d = portmap_read(&r->ports, 0x1f0, 4);
	ck_assert_uint_eq(d, 7);
	rig_free(r);
}
END_TEST

START_TEST(count_zero_is_256)
{
	struct rig *r = rig_new(false);
	lba_cmd(r, 1000, 0, 0x20);
	uint8_t got[DISK_SECTOR_SIZE];
	for (int s = 0; s < 256; s++) {
		ck_assert_int_eq(inb(r, 0x1f7) & ATA_SR_DRQ, ATA_SR_DRQ);
		read_sector(r, got);
		ck_assert_uint_eq(got[0] | got[1] << 8, (1000u + s) & 0xffff);
	}
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC);
	rig_free(r);
}
END_TEST

START_TEST(read_chs)
{
	struct rig *r = rig_new(false);
	/* C/H/S 1/2/3 with 16 heads and 63 sectors: (1*16+2)*63+2 = 1136 */
	outb(r, 0x1f6, 0xa0 | 2);
	outb(r, 0x1f2, 1);
	outb(r, 0x1f3, 3);
	outb(r, 0x1f4, 1);
	outb(r, 0x1f5, 0);
	outb(r, 0x1f7, 0x20);
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	uint8_t got[DISK_SECTOR_SIZE];
	read_sector(r, got);
	ck_assert_uint_eq(got[0] | got[1] << 8, 1136);
	/* Sector 0 does not exist in CHS. */
	outb(r, 0x1f3, 0);
	outb(r, 0x1f2, 1);
	outb(r, 0x1f7, 0x20);
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR);
	ck_assert_int_eq(inb(r, 0x1f1) & ATA_ER_IDNF, ATA_ER_IDNF);
	/* INITIALIZE DEVICE PARAMETERS: 4 heads, 32 sectors: 1/2/3 = (4+2)*32+2 = 194 */
	outb(r, 0x1f6, 0xa0 | 3);
	outb(r, 0x1f2, 32);
	outb(r, 0x1f7, 0x91);
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC);
	outb(r, 0x1f6, 0xa0 | 2);
	outb(r, 0x1f2, 1);
	outb(r, 0x1f3, 3);
	outb(r, 0x1f4, 1);
	outb(r, 0x1f7, 0x20);
	read_sector(r, got);
	ck_assert_uint_eq(got[0] | got[1] << 8, 194);
	rig_free(r);
}
END_TEST

START_TEST(write_sectors_and_file)
{
	struct rig *r = rig_new(false);
	lba_cmd(r, 5, 2, 0x30);
	ck_assert_int_eq(r->irq_level, 0);          /* data-out: no interrupt for the first DRQ */
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	uint8_t buf[DISK_SECTOR_SIZE];
	memset(buf, 0xa5, sizeof(buf));
	write_sector(r, buf);
	ck_assert_int_eq(r->irq_level, 1);
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	memset(buf, 0x5a, sizeof(buf));
	write_sector(r, buf);
	ck_assert_int_eq(r->irq_level, 1);
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC);
	/* Back through the device and in the file. */
	lba_cmd(r, 5, 1, 0x20);
	read_sector(r, buf);
	ck_assert_int_eq(buf[0], 0xa5);
	outb(r, 0x1f7, 0xe7);
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC);
	FILE *f = fopen(r->path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 6 * DISK_SECTOR_SIZE + 17, SEEK_SET);
	ck_assert_int_eq(fgetc(f), 0x5a);
	fclose(f);
	rig_free(r);
}
END_TEST

START_TEST(snapshot_keeps_file)
{
	struct rig *r = rig_new(true);
	lba_cmd(r, 9, 1, 0x30);
	uint8_t buf[DISK_SECTOR_SIZE];
	memset(buf, 0xee, sizeof(buf));
	write_sector(r, buf);
	lba_cmd(r, 8, 3, 0x20);                      /* file, overlay, file */
	uint8_t s8[DISK_SECTOR_SIZE], s9[DISK_SECTOR_SIZE], s10[DISK_SECTOR_SIZE];
	read_sector(r, s8);
	read_sector(r, s9);
	read_sector(r, s10);
	ck_assert_uint_eq(s8[0], 8);
	ck_assert_uint_eq(s9[0], 0xee);
	ck_assert_uint_eq(s10[0], 10);
	FILE *f = fopen(r->path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 9 * DISK_SECTOR_SIZE, SEEK_SET);
	ck_assert_int_eq(fgetc(f), 9);
	fclose(f);
	rig_free(r);
}
END_TEST

START_TEST(multiple_mode)
{
	struct rig *r = rig_new(false);
	lba_cmd(r, 0, 4, 0xc4);                      /* not enabled yet: aborted */
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR);
	ck_assert_int_eq(inb(r, 0x1f1), ATA_ER_ABRT);
	outb(r, 0x1f2, 3);                           /* not a power of two */
	outb(r, 0x1f7, 0xc6);
	ck_assert_int_eq(inb(r, 0x1f7) & ATA_SR_ERR, ATA_SR_ERR);
	outb(r, 0x1f2, 4);
	outb(r, 0x1f7, 0xc6);
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC);
	r->irq_edges = 0;
	lba_cmd(r, 20, 6, 0xc4);                     /* blocks of 4 and 2 sectors */
	uint8_t got[DISK_SECTOR_SIZE];
	for (uint32_t s = 20; s < 26; s++) {
		ck_assert_int_eq(inb(r, 0x1f7) & ATA_SR_DRQ, ATA_SR_DRQ);
		read_sector(r, got);
		ck_assert_uint_eq(got[0], s);
	}
	ck_assert_int_eq(r->irq_edges, 2);
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC);
	rig_free(r);
}
END_TEST

START_TEST(errors_and_nien)
{
	struct rig *r = rig_new(false);
	lba_cmd(r, SECTORS - 1, 2, 0x20);            /* runs past the end */
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR);
	ck_assert_int_eq(inb(r, 0x1f1) & ATA_ER_IDNF, ATA_ER_IDNF);
	outb(r, 0x1f7, 0x99);                        /* unknown command */
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR);
	ck_assert_int_eq(inb(r, 0x1f1), ATA_ER_ABRT);
	/* nIEN masks the line but the command still completes. */
	outb(r, 0x3f6, ATA_DC_NIEN);
	r->irq_edges = 0;
	lba_cmd(r, SECTORS - 1, 1, 0x20);
	ck_assert_int_eq(r->irq_level, 0);
	ck_assert_int_eq(inb(r, 0x3f6), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	outb(r, 0x3f6, 0);                           /* pending interrupt shows now */
	ck_assert_int_eq(r->irq_level, 1);
	ck_assert_int_eq(r->irq_edges, 1);
	rig_free(r);
}
END_TEST

START_TEST(image_checks)
{
	char err[256], path[64];
	ck_assert_ptr_null(disk_image_open("/nonexistent/disk.img", false, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	make_image(path, sizeof(path), 1000);
	ck_assert_ptr_null(disk_image_open(path, false, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a multiple of 512"));
	unlink(path);
	make_image(path, sizeof(path), 0);
	ck_assert_ptr_null(disk_image_open(path, true, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	unlink(path);
	if (geteuid() != 0) {   /* root can write a 0444 file anyway */
		make_image(path, sizeof(path), 4096);
		chmod(path, 0444);
		ck_assert_ptr_null(disk_image_open(path, false, err, sizeof(err)));
		ck_assert_ptr_nonnull(strstr(err, "--snapshot"));
		struct disk_image *d = disk_image_open(path, true, err, sizeof(err));
		ck_assert_ptr_nonnull(d);
		disk_image_close(d);
		unlink(path);
	}
	/* An empty channel: nothing answers. */
	struct portmap ports;
	portmap_init(&ports);
	struct ide_ata *ide = ide_ata_create(NULL, (struct irq_line){ 0 });
	ck_assert_int_eq(ide_ata_register(ide, &ports), 0);
	ck_assert_int_eq(portmap_read(&ports, 0x1f7, 1) & 0xff, 0);
	portmap_write(&ports, 0x1f7, 0xec, 1);
	ck_assert_int_eq(portmap_read(&ports, 0x1f7, 1) & 0xff, 0);
	ide_ata_destroy(ide);
}
END_TEST

/* Random register traffic (commands, counts, addresses, data, resets) never
 * leaves the device in a state it cannot read its own buffer from: run under
 * ASan/UBSan this finds out-of-bounds buffer positions. */
START_TEST(random_register_traffic)
{
	struct rig *r = rig_new(true);
	static const uint8_t cmds[] = { 0x20, 0x21, 0x30, 0x31, 0xc4, 0xc5, 0xc6, 0xec, 0x91, 0x40,
					0x70, 0x10, 0xe7, 0xef, 0xe5, 0x00, 0xff, 0xa1 };
	uint32_t x = 12345;
	for (int i = 0; i < 200000; i++) {
		x = x * 1103515245u + 12345u;
		unsigned op = (x >> 16) % 16;
		uint8_t v = (uint8_t)(x >> 8);
		if (op < 6)
			inw(r);
		else if (op < 8)
			portmap_write(&r->ports, 0x1f0, x >> 4, (x & 1) ? 4 : 2);
		else if (op < 13)
			outb(r, (uint16_t)(0x1f1 + (x >> 24) % 6), v);
		else if (op == 13)
			outb(r, 0x1f7, cmds[(x >> 20) % sizeof(cmds)]);
		else if (op == 14)
			inb(r, (x & 0x100) ? 0x1f7 : 0x3f6);
		else
			outb(r, 0x3f6, v & 0x06);
	}
	/* Still answers afterwards. */
	outb(r, 0x3f6, ATA_DC_SRST);
	outb(r, 0x3f6, 0);
	lba_cmd(r, 42, 1, 0x20);
	uint8_t got[DISK_SECTOR_SIZE], want[DISK_SECTOR_SIZE];
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	read_sector(r, got);
	/* what the image (with the random writes in its snapshot) holds */
	ck_assert_int_eq(disk_image_read(r->disk, 42, 1, want), 0);
	ck_assert_mem_eq(got, want, sizeof(got));
	ck_assert_int_eq(inb(r, 0x1f7), ATA_SR_DRDY | ATA_SR_DSC);
	rig_free(r);
}
END_TEST

static Suite *ide_suite(void)
{
	Suite *s = suite_create("ide_ata");
	TCase *tc = tcase_create("protocol");
	tcase_add_test(tc, reset_state_and_signature);
	tcase_add_test(tc, identify_device);
	tcase_add_test(tc, read_sectors_lba);
	tcase_add_test(tc, count_zero_is_256);
	tcase_add_test(tc, read_chs);
	tcase_add_test(tc, write_sectors_and_file);
	tcase_add_test(tc, snapshot_keeps_file);
	tcase_add_test(tc, multiple_mode);
	tcase_add_test(tc, errors_and_nien);
	tcase_add_test(tc, image_checks);
	tcase_add_test(tc, random_register_traffic);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ide_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
