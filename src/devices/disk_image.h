/*
 * disk_image.h - a raw disk image file behind an emulated disk, in 512-byte
 * sectors, with an optional copy-on-write overlay.
 *
 * disk_image_open() checks the file: it must exist, be a regular file (or a
 * block device) and hold a whole number of 512-byte sectors. Writes go to
 * the file (pwrite; flushed with fsync by disk_image_flush and on close),
 * or, with snapshot set, to an anonymous memfd of the same size whose
 * written sectors a bitmap records, so the image is never modified and the
 * overlay vanishes with the process. A read-only file can only be opened
 * with snapshot.
 *
 * Example (the machine):
 *	struct disk_image *d = disk_image_open("debian.img", false, err, sizeof(err));
 *	uint8_t mbr[512];
 *	disk_image_read(d, 0, 1, mbr);
 */
#ifndef SOFTVT_DEVICES_DISK_IMAGE_H
#define SOFTVT_DEVICES_DISK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_SECTOR_SIZE 512

struct disk_image;

/* NULL with a one-line reason in err. */
struct disk_image *disk_image_open(const char *path, bool snapshot, char *err, size_t errlen);
void disk_image_close(struct disk_image *d);
uint64_t disk_image_sectors(const struct disk_image *d);
/* n sectors from/to lba; 0, or -1 on an I/O error or a range past the end. */
int disk_image_read(struct disk_image *d, uint64_t lba, unsigned n, void *buf);
int disk_image_write(struct disk_image *d, uint64_t lba, unsigned n, const void *buf);
int disk_image_flush(struct disk_image *d);
/* The fds the functions above use: fds[0] the image, fds[1] the overlay or -1 (for the jail). */
void disk_image_fds(const struct disk_image *d, int fds[2]);

#endif
