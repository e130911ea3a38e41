/*
 * disk_image.c - raw disk image files and the --snapshot overlay (see
 * disk_image.h).
 */
#define _GNU_SOURCE
#include "devices/disk_image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

struct disk_image {
	int fd;                 /* the image */
	int overlay_fd;         /* snapshot: memfd of the same size, or -1 */
	uint8_t *written;       /* snapshot: one bit per sector held in the overlay */
	uint64_t sectors;
};

static struct disk_image *fail(struct disk_image *d, char *err, size_t errlen,
			       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	disk_image_close(d);
	return NULL;
}

struct disk_image *disk_image_open(const char *path, bool snapshot, char *err, size_t errlen)
{
	struct disk_image *d = calloc(1, sizeof(*d));
	if (!d)
		return fail(NULL, err, errlen, "out of memory");
	d->overlay_fd = -1;
	d->fd = open(path, (snapshot ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0 && !snapshot && (errno == EACCES || errno == EROFS || errno == EPERM) &&
	    access(path, R_OK) == 0)
		return fail(d, err, errlen, "--disk %s: the file is read-only (use --snapshot to keep writes in memory)",
			    path);
	if (d->fd < 0)
		return fail(d, err, errlen, "--disk %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(d->fd, &st) < 0)
		return fail(d, err, errlen, "--disk %s: %s", path, strerror(errno));
	uint64_t size;
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(d->fd, BLKGETSIZE64, &size) < 0)
			return fail(d, err, errlen, "--disk %s: %s", path, strerror(errno));
	} else {
		return fail(d, err, errlen, "--disk %s: not a regular file or block device", path);
	}
	if (size == 0)
		return fail(d, err, errlen, "--disk %s: the file is empty", path);
	if (size % DISK_SECTOR_SIZE)
		return fail(d, err, errlen,
			    "--disk %s: size %llu bytes is not a multiple of 512 (a raw disk image holds whole sectors)",
			    path, (unsigned long long)size);
	d->sectors = size / DISK_SECTOR_SIZE;
	if (snapshot) {
		d->overlay_fd = memfd_create("softvt-disk-overlay", MFD_CLOEXEC);
		if (d->overlay_fd < 0 || ftruncate(d->overlay_fd, (off_t)size) < 0)
			return fail(d, err, errlen, "--snapshot: cannot create the overlay: %s",
				    strerror(errno));
		d->written = calloc((d->sectors + 7) / 8, 1);
		if (!d->written)
			return fail(d, err, errlen, "--snapshot: out of memory");
	}
	return d;
}

void disk_image_close(struct disk_image *d)
{
	if (!d)
		return;
	if (d->fd >= 0) {
		if (d->overlay_fd < 0)
			fsync(d->fd);
		close(d->fd);
	}
	if (d->overlay_fd >= 0)
		close(d->overlay_fd);
	free(d->written);
	free(d);
}

uint64_t disk_image_sectors(const struct disk_image *d)
{
	return d->sectors;
}

static bool in_overlay(const struct disk_image *d, uint64_t lba)
{
	return d->written && (d->written[lba / 8] >> (lba % 8) & 1);
}

static int pio(int fd, bool write, uint64_t lba, unsigned n, void *buf)
{
	size_t len = (size_t)n * DISK_SECTOR_SIZE, done = 0;
	off_t off = (off_t)(lba * DISK_SECTOR_SIZE);
	while (done < len) {
		ssize_t r = write ? pwrite(fd, (uint8_t *)buf + done, len - done, off + (off_t)done)
				  : pread(fd, (uint8_t *)buf + done, len - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

static bool in_range(const struct disk_image *d, uint64_t lba, unsigned n)
{
	return lba <= d->sectors && n <= d->sectors - lba;
}

int disk_image_read(struct disk_image *d, uint64_t lba, unsigned n, void *buf)
{
	if (!in_range(d, lba, n))
		return -1;
	uint8_t *p = buf;
	/* Runs of sectors from the same source in one call. */
	while (n) {
		bool ov = in_overlay(d, lba);
		unsigned run = 1;
		while (run < n && in_overlay(d, lba + run) == ov)
			run++;
		if (pio(ov ? d->overlay_fd : d->fd, false, lba, run, p) < 0)
			return -1;
		lba += run;
		n -= run;
		p += (size_t)run * DISK_SECTOR_SIZE;
	}
	return 0;
}

int disk_image_write(struct disk_image *d, uint64_t lba, unsigned n, const void *buf)
{
	if (!in_range(d, lba, n))
		return -1;
	if (d->overlay_fd < 0)
		return pio(d->fd, true, lba, n, (void *)buf);
	if (pio(d->overlay_fd, true, lba, n, (void *)buf) < 0)
		return -1;
	for (unsigned i = 0; i < n; i++)
		d->written[(lba + i) / 8] |= (uint8_t)(1u << ((lba + i) % 8));
	return 0;
}

void disk_image_fds(const struct disk_image *d, int fds[2])
{
	fds[0] = d->fd;
	fds[1] = d->overlay_fd;
}

int disk_image_flush(struct disk_image *d)
{
	if (d->overlay_fd >= 0)
		return 0;
	return fsync(d->fd) < 0 && errno != EINVAL ? -1 : 0;
}
