/*
 * ide_ata.h - the primary IDE channel of a PC with one ATA hard disk
 * (device 0) behind it, PIO only (ATA/ATAPI-6, T13/1410D: the command
 * block registers, the PIO data-in/data-out protocols, IDENTIFY DEVICE).
 *
 * Ports (ISA legacy addresses of the primary channel):
 *   0x1F0     data (16-bit PIO; a 32-bit access moves two words)
 *   0x1F1     error (read) / features (write)
 *   0x1F2     sector count (0 means 256)
 *   0x1F3-5   LBA bits 0-23, or sector number / cylinder low / cylinder high
 *   0x1F6     device/head: bit 6 LBA, bit 4 DEV, bits 0-3 LBA 24-27 or head
 *   0x1F7     status (read: also clears the pending interrupt) / command
 *   0x3F6     alternate status (read) / device control (write: bit 1 nIEN,
 *             bit 2 SRST)
 * Interrupt: IRQ14, asserted when a command completes or a sector is ready
 * (unless nIEN), deasserted by reading the status register.
 *
 * Commands: IDENTIFY DEVICE (ECh), READ SECTORS (20h/21h), WRITE SECTORS
 * (30h/31h), READ/WRITE MULTIPLE (C4h/C5h), SET MULTIPLE MODE (C6h), READ
 * VERIFY (40h/41h), INITIALIZE DEVICE PARAMETERS (91h, the CHS geometry),
 * SEEK (7xh), RECALIBRATE (1xh), FLUSH CACHE (E7h), SET FEATURES (EFh),
 * CHECK POWER MODE (E5h), IDLE/STANDBY IMMEDIATE (E1h/E0h); any other
 * command aborts (ERR, error ABRT). Commands complete at once: BSY is never
 * seen set. Addresses past the end of the disk give ERR with IDNF; an I/O
 * error on the image file gives ERR with UNC. Device 1 is absent: with DEV
 * set, status reads 0 and commands are ignored.
 *
 * Example (the machine):
 *	struct ide_ata *ide = ide_ata_create(disk, pic8259_irq_line(pic, 14));
 *	ide_ata_register(ide, &m->ports);
 */
#ifndef SOFTVT_DEVICES_IDE_ATA_H
#define SOFTVT_DEVICES_IDE_ATA_H

#include <stdint.h>

#include "devices/disk_image.h"
#include "devices/io.h"
#include "devices/portmap.h"

#define IDE_PRIMARY_BASE 0x1f0
#define IDE_PRIMARY_CTRL 0x3f6
#define IDE_PRIMARY_IRQ 14

/* Status register bits */
#define ATA_SR_ERR 0x01
#define ATA_SR_DRQ 0x08
#define ATA_SR_DSC 0x10
#define ATA_SR_DF 0x20
#define ATA_SR_DRDY 0x40
#define ATA_SR_BSY 0x80
/* Error register bits */
#define ATA_ER_ABRT 0x04
#define ATA_ER_IDNF 0x10
#define ATA_ER_UNC 0x40
/* Device control bits */
#define ATA_DC_NIEN 0x02
#define ATA_DC_SRST 0x04

struct ide_ata;

/* disk may be NULL (an empty channel: status reads 0). NULL when out of memory. */
struct ide_ata *ide_ata_create(struct disk_image *disk, struct irq_line irq);
void ide_ata_destroy(struct ide_ata *ide);
/* Claims 0x1F0-0x1F7 and 0x3F6. Returns 0, or -1 if a port is taken. */
int ide_ata_register(struct ide_ata *ide, struct portmap *ports);

#endif
