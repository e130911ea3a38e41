/*
 * ide_ata.c - primary IDE channel with one ATA disk, PIO (see ide_ata.h).
 *
 * The transfer state: buf holds up to one block (1..16 sectors with READ/
 * WRITE MULTIPLE, else one sector); pos counts the bytes moved through the
 * data port; remaining counts the sectors of the command not yet moved.
 * Data-in: the block is read from the image when the command starts and
 * each time the guest has drained the previous one. Data-out: the block is
 * written to the image when the guest has filled it. After the last block
 * DRQ drops and the registers hold the address of the last sector moved.
 */
#include "devices/ide_ata.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MULTIPLE 16
#define LBA28_MAX 0x0fffffffu
#define DEV_LBA 0x40
#define DEV_DEV 0x10

enum xfer { XFER_NONE, XFER_IN, XFER_OUT };

struct ide_ata {
	struct disk_image *disk;
	struct irq_line irq;
	uint64_t sectors;         /* capacity reachable by LBA28 */
	unsigned cyls, heads, spt; /* default geometry (IDENTIFY words 1, 3, 6) */
	unsigned cur_heads, cur_spt; /* INITIALIZE DEVICE PARAMETERS */

	uint8_t error, features, count, lba_lo, lba_mid, lba_hi, device, status, control;
	bool irq_pending;
	unsigned multiple;        /* SET MULTIPLE MODE block size, 0 = disabled */

	enum xfer xfer;
	uint32_t lba;             /* next sector of the transfer */
	unsigned remaining;       /* sectors still to move, this block included */
	unsigned block;           /* sectors per DRQ block of this command */
	unsigned in_buf;          /* sectors in buf */
	unsigned pos;             /* bytes of buf moved */
	bool identify;            /* buf holds IDENTIFY data, not sectors */
	uint8_t buf[MAX_MULTIPLE * DISK_SECTOR_SIZE];
};

static bool dev1_selected(const struct ide_ata *ide)
{
	return ide->device & DEV_DEV;
}

static void update_irq(struct ide_ata *ide)
{
	irq_line_set(&ide->irq, ide->irq_pending && !(ide->control & ATA_DC_NIEN) &&
				!dev1_selected(ide));
}

static void raise_irq(struct ide_ata *ide)
{
	ide->irq_pending = true;
	update_irq(ide);
}

static void put_string(uint16_t *words, unsigned first, unsigned n, const char *s)
{
	/* ATA strings: two characters per word, the first in the high byte, padded with spaces. */
	size_t len = strlen(s);
	for (unsigned i = 0; i < n; i++) {
		uint8_t hi = 2 * i < len ? (uint8_t)s[2 * i] : ' ';
		uint8_t lo = 2 * i + 1 < len ? (uint8_t)s[2 * i + 1] : ' ';
		words[first + i] = (uint16_t)(hi << 8 | lo);
	}
}

static void fill_identify(struct ide_ata *ide)
{
	uint16_t w[256] = { 0 };
	uint32_t cur_cap = ide->cur_heads && ide->cur_spt
		? (uint32_t)ide->cyls * ide->cur_heads * ide->cur_spt : 0;
	w[0] = 0x0040;                     /* ATA device, fixed (not removable) */
	w[1] = (uint16_t)ide->cyls;
	w[3] = (uint16_t)ide->heads;
	w[6] = (uint16_t)ide->spt;
	put_string(w, 10, 10, "SOFTVT-0001");
	put_string(w, 23, 4, "1.0");
	put_string(w, 27, 20, "SOFTVT HARDDISK");
	w[47] = 0x8000 | MAX_MULTIPLE;
	w[49] = 0x0200;                    /* LBA supported (no DMA) */
	w[50] = 0x4000;
	w[51] = 0x0200;                    /* PIO mode 2 timing */
	w[53] = 0x0003;                    /* words 54-58 and 64-70 valid */
	w[54] = (uint16_t)ide->cyls;
	w[55] = (uint16_t)ide->cur_heads;
	w[56] = (uint16_t)ide->cur_spt;
	w[57] = (uint16_t)cur_cap;
	w[58] = (uint16_t)(cur_cap >> 16);
	w[59] = ide->multiple ? (uint16_t)(0x0100 | ide->multiple) : 0;
	w[60] = (uint16_t)ide->sectors;
	w[61] = (uint16_t)(ide->sectors >> 16);
	w[64] = 0x0003;                    /* PIO modes 3 and 4 */
	w[65] = w[66] = w[67] = w[68] = 120;
	w[80] = 0x007e;                    /* ATA-1 to ATA-6 */
	w[82] = 0x4000;
	w[83] = 0x4000 | 0x1000;           /* FLUSH CACHE */
	w[84] = 0x4000;
	w[85] = 0x4000;
	w[86] = 0x1000;
	w[87] = 0x4000;
	for (unsigned i = 0; i < 256; i++) {
		ide->buf[2 * i] = (uint8_t)w[i];
		ide->buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
	}
}

/* The command's starting sector; false (IDNF) if CHS is out of the geometry. */
static bool start_address(const struct ide_ata *ide, uint32_t *lba)
{
	if (ide->device & DEV_LBA) {
		*lba = (uint32_t)(ide->device & 0x0f) << 24 | (uint32_t)ide->lba_hi << 16 |
		       (uint32_t)ide->lba_mid << 8 | ide->lba_lo;
		return true;
	}
	unsigned cyl = (unsigned)ide->lba_hi << 8 | ide->lba_mid;
	unsigned head = ide->device & 0x0f, sector = ide->lba_lo;
	if (!ide->cur_heads || !ide->cur_spt || sector == 0 || sector > ide->cur_spt ||
	    head >= ide->cur_heads)
		return false;
	*lba = ((uint32_t)cyl * ide->cur_heads + head) * ide->cur_spt + sector - 1;
	return true;
}

/* Leaves lba in the address registers, in the form (LBA or CHS) the command used. */
static void set_address(struct ide_ata *ide, uint32_t lba)
{
	if (ide->device & DEV_LBA) {
		ide->lba_lo = (uint8_t)lba;
		ide->lba_mid = (uint8_t)(lba >> 8);
		ide->lba_hi = (uint8_t)(lba >> 16);
		ide->device = (uint8_t)((ide->device & 0xf0) | ((lba >> 24) & 0x0f));
		return;
	}
	unsigned per_cyl = ide->cur_heads * ide->cur_spt;
	unsigned cyl = lba / per_cyl, rest = lba % per_cyl;
	ide->lba_hi = (uint8_t)(cyl >> 8);
	ide->lba_mid = (uint8_t)cyl;
	ide->device = (uint8_t)((ide->device & 0xf0) | (rest / ide->cur_spt));
	ide->lba_lo = (uint8_t)(rest % ide->cur_spt + 1);
}

static void finish(struct ide_ata *ide, uint8_t error)
{
	ide->xfer = XFER_NONE;
	ide->identify = false;
	ide->error = error;
	ide->status = ATA_SR_DRDY | ATA_SR_DSC | (error ? ATA_SR_ERR : 0);
	raise_irq(ide);
}

static void abort_cmd(struct ide_ata *ide)
{
	finish(ide, ATA_ER_ABRT);
}

/* Reads the next block into buf and raises DRQ; or ends the command on an error. */
static void load_block(struct ide_ata *ide)
{
	unsigned n = ide->remaining < ide->block ? ide->remaining : ide->block;
	if (disk_image_read(ide->disk, ide->lba, n, ide->buf) < 0) {
		set_address(ide, ide->lba);
		finish(ide, ATA_ER_UNC);
		return;
	}
	ide->in_buf = n;
	ide->pos = 0;
	ide->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
	raise_irq(ide);
}

static void start_block_out(struct ide_ata *ide)
{
	ide->in_buf = ide->remaining < ide->block ? ide->remaining : ide->block;
	ide->pos = 0;
	ide->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

static void start_rw(struct ide_ata *ide, enum xfer dir, unsigned block)
{
	uint32_t lba;
	unsigned count = ide->count ? ide->count : 256;
	if (!start_address(ide, &lba) || lba >= ide->sectors || count > ide->sectors - lba) {
		finish(ide, ATA_ER_IDNF | ATA_ER_ABRT);
		return;
	}
	ide->xfer = dir;
	ide->lba = lba;
	ide->remaining = count;
	ide->block = block;
	if (dir == XFER_IN) {
		load_block(ide);
	} else {
		start_block_out(ide);   /* no interrupt before the first block (PIO data-out) */
	}
}

/* The guest has moved the whole buffer. */
static void block_done(struct ide_ata *ide)
{
	if (ide->identify) {
		finish(ide, 0);
		return;
	}
	if (ide->xfer == XFER_OUT &&
	    disk_image_write(ide->disk, ide->lba, ide->in_buf, ide->buf) < 0) {
		set_address(ide, ide->lba);
		finish(ide, ATA_ER_UNC);
		return;
	}
	ide->lba += ide->in_buf;
	ide->remaining -= ide->in_buf;
	if (ide->remaining == 0) {
		set_address(ide, ide->lba - 1);
		ide->count = 0;
		if (ide->xfer == XFER_OUT) {
			finish(ide, 0);
		} else {
			/* data-in: the last block's interrupt was its DRQ; no completion interrupt */
			ide->xfer = XFER_NONE;
			ide->status = ATA_SR_DRDY | ATA_SR_DSC;
		}
		return;
	}
	if (ide->xfer == XFER_IN) {
		load_block(ide);
	} else {
		start_block_out(ide);
		raise_irq(ide);
	}
}

static void execute(struct ide_ata *ide, uint8_t cmd)
{
	if (dev1_selected(ide))
		return;
	ide->irq_pending = false;
	update_irq(ide);
	ide->error = 0;
	ide->xfer = XFER_NONE;
	ide->identify = false;
	switch (cmd) {
	case 0xec:                      /* IDENTIFY DEVICE */
		fill_identify(ide);
		ide->identify = true;
		ide->xfer = XFER_IN;
		ide->in_buf = 1;
		ide->pos = 0;
		ide->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
		raise_irq(ide);
		break;
	case 0x20: case 0x21:           /* READ SECTORS (with/without retry) */
		start_rw(ide, XFER_IN, 1);
		break;
	case 0x30: case 0x31:           /* WRITE SECTORS */
		start_rw(ide, XFER_OUT, 1);
		break;
	case 0xc4: case 0xc5:           /* READ/WRITE MULTIPLE */
		if (!ide->multiple)
			abort_cmd(ide);
		else
			start_rw(ide, cmd == 0xc4 ? XFER_IN : XFER_OUT, ide->multiple);
		break;
	case 0xc6:                      /* SET MULTIPLE MODE */
		if (ide->count > MAX_MULTIPLE || (ide->count & (ide->count - 1))) {
			abort_cmd(ide);
		} else {
			ide->multiple = ide->count;
			finish(ide, 0);
		}
		break;
	case 0x40: case 0x41: {         /* READ VERIFY SECTORS */
		uint32_t lba;
		unsigned count = ide->count ? ide->count : 256;
		if (!start_address(ide, &lba) || lba >= ide->sectors || count > ide->sectors - lba) {
			finish(ide, ATA_ER_IDNF | ATA_ER_ABRT);
		} else {
			set_address(ide, lba + count - 1);
			ide->count = 0;
			finish(ide, 0);
		}
		break;
	}
	case 0x91:                      /* INITIALIZE DEVICE PARAMETERS */
		ide->cur_heads = (ide->device & 0x0f) + 1u;
		ide->cur_spt = ide->count;
		finish(ide, 0);
		break;
	case 0xe5:                      /* CHECK POWER MODE: active */
		ide->count = 0xff;
		finish(ide, 0);
		break;
	case 0xe7:                      /* FLUSH CACHE */
		finish(ide, disk_image_flush(ide->disk) < 0 ? ATA_ER_ABRT : 0);
		break;
	case 0xef:                      /* SET FEATURES: accepted, nothing to change */
	case 0xe0: case 0xe1:           /* STANDBY / IDLE IMMEDIATE */
		finish(ide, 0);
		break;
	default:
		if ((cmd & 0xf0) == 0x10 || (cmd & 0xf0) == 0x70)   /* RECALIBRATE, SEEK */
			finish(ide, 0);
		else
			abort_cmd(ide);
		break;
	}
}

static void soft_reset(struct ide_ata *ide)
{
	ide->xfer = XFER_NONE;
	ide->identify = false;
	ide->irq_pending = false;
	ide->error = 0x01;                      /* diagnostic code: device 0 passed */
	ide->count = 1;                         /* ATA signature */
	ide->lba_lo = 1;
	ide->lba_mid = 0;
	ide->lba_hi = 0;
	ide->device = 0;
	ide->status = ATA_SR_DRDY | ATA_SR_DSC;
	ide->multiple = 0;
	ide->cur_heads = ide->heads;
	ide->cur_spt = ide->spt;
	update_irq(ide);
}

static uint16_t data_read16(struct ide_ata *ide)
{
	if (ide->xfer != XFER_IN || !(ide->status & ATA_SR_DRQ))
		return 0xffff;
	uint16_t v = (uint16_t)(ide->buf[ide->pos] | ide->buf[ide->pos + 1] << 8);
	ide->pos += 2;
	if (ide->pos >= ide->in_buf * DISK_SECTOR_SIZE)
		block_done(ide);
	return v;
}

static void data_write16(struct ide_ata *ide, uint16_t v)
{
	if (ide->xfer != XFER_OUT || !(ide->status & ATA_SR_DRQ))
		return;
	ide->buf[ide->pos] = (uint8_t)v;
	ide->buf[ide->pos + 1] = (uint8_t)(v >> 8);
	ide->pos += 2;
	if (ide->pos >= ide->in_buf * DISK_SECTOR_SIZE)
		block_done(ide);
}

static uint8_t status_of(const struct ide_ata *ide)
{
	return dev1_selected(ide) || !ide->disk ? 0 : ide->status;
}

static uint32_t cmd_read(void *opaque, uint32_t offset, unsigned size)
{
	struct ide_ata *ide = opaque;
	if (offset == 0) {
		if (size == 4)
			return data_read16(ide) | (uint32_t)data_read16(ide) << 16;
		return data_read16(ide) | (size == 2 ? 0 : 0xffffff00u);
	}
	uint32_t v;
	if (!ide->disk || dev1_selected(ide)) {
		/* Empty channel or absent device 1: status 0 means "nothing there". */
		v = offset == 6 ? ide->device : offset == 7 ? 0 : 0xff;
		return v | 0xffffff00u;
	}
	switch (offset) {
	case 1: v = ide->error; break;
	case 2: v = ide->count; break;
	case 3: v = ide->lba_lo; break;
	case 4: v = ide->lba_mid; break;
	case 5: v = ide->lba_hi; break;
	case 6: v = ide->device | 0xa0; break;      /* bits 7 and 5 read as 1 (obsolete) */
	default:
		v = ide->status;
		ide->irq_pending = false;
		update_irq(ide);
		break;
	}
	return v | 0xffffff00u;
}

static void cmd_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct ide_ata *ide = opaque;
	uint8_t b = (uint8_t)value;
	switch (offset) {
	case 0:
		data_write16(ide, (uint16_t)value);
		if (size == 4)
			data_write16(ide, (uint16_t)(value >> 16));
		return;
	case 1: ide->features = b; break;
	case 2: ide->count = b; break;
	case 3: ide->lba_lo = b; break;
	case 4: ide->lba_mid = b; break;
	case 5: ide->lba_hi = b; break;
	case 6:
		ide->device = b & 0x5f;
		update_irq(ide);
		break;
	default:
		if (ide->disk)
			execute(ide, b);
		break;
	}
}

static uint32_t ctrl_read(void *opaque, uint32_t offset, unsigned size)
{
	return status_of(opaque) | 0xffffff00u;
}

static void ctrl_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct ide_ata *ide = opaque;
	uint8_t old = ide->control;
	ide->control = (uint8_t)value & (ATA_DC_NIEN | ATA_DC_SRST);
	if (ide->control & ATA_DC_SRST) {
		ide->status = ATA_SR_BSY;
		ide->xfer = XFER_NONE;
	} else if (old & ATA_DC_SRST) {
		soft_reset(ide);
	}
	update_irq(ide);
}

static const struct io_ops cmd_ops = { cmd_read, cmd_write };
static const struct io_ops ctrl_ops = { ctrl_read, ctrl_write };

struct ide_ata *ide_ata_create(struct disk_image *disk, struct irq_line irq)
{
	struct ide_ata *ide = calloc(1, sizeof(*ide));
	if (!ide)
		return NULL;
	ide->disk = disk;
	ide->irq = irq;
	if (disk) {
		uint64_t n = disk_image_sectors(disk);
		ide->sectors = n > LBA28_MAX ? LBA28_MAX : n;
	}
	/* The default geometry of ATA-6 for a disk over 8.4 GB: 16 heads, 63 sectors. */
	ide->heads = 16;
	ide->spt = 63;
	uint64_t cyls = ide->sectors / (16 * 63);
	ide->cyls = cyls > 16383 ? 16383 : (unsigned)cyls;
	soft_reset(ide);
	return ide;
}

void ide_ata_destroy(struct ide_ata *ide)
{
	free(ide);
}

int ide_ata_register(struct ide_ata *ide, struct portmap *ports)
{
	if (portmap_register(ports, IDE_PRIMARY_BASE, 8, &cmd_ops, ide, "IDE primary (ATA disk)") < 0)
		return -1;
	return portmap_register(ports, IDE_PRIMARY_CTRL, 1, &ctrl_ops, ide, "IDE primary control");
}
