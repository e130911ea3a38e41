/*
 * guest_ram.c - allocate guest RAM as a memfd (see guest_ram.h).
 */
#define _GNU_SOURCE
#include "mmu/guest_ram.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int guest_ram_create(struct guest_ram *ram, uint64_t size, char *err, size_t errlen)
{
	ram->fd = -1;
	ram->host = NULL;
	ram->size = 0;
	if (size < GUEST_RAM_MIN || size > GUEST_RAM_MAX || (size & 0xfff)) {
		snprintf(err, errlen,
			 "guest memory size %llu bytes is out of range (a multiple of 4 KiB between %llu MiB and %llu MiB)",
			 (unsigned long long)size, GUEST_RAM_MIN >> 20, GUEST_RAM_MAX >> 20);
		return -1;
	}
	int fd = memfd_create("softvt-guest-ram", MFD_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "memfd_create for guest RAM failed: %s", strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		snprintf(err, errlen, "cannot size guest RAM to %llu MiB: %s",
			 (unsigned long long)(size >> 20), strerror(errno));
		close(fd);
		return -1;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %llu MiB of guest RAM: %s",
			 (unsigned long long)(size >> 20), strerror(errno));
		close(fd);
		return -1;
	}
	ram->fd = fd;
	ram->host = p;
	ram->size = size;
	return 0;
}

void guest_ram_destroy(struct guest_ram *ram)
{
	if (ram->host)
		munmap(ram->host, ram->size);
	if (ram->fd >= 0)
		close(ram->fd);
	ram->host = NULL;
	ram->fd = -1;
	ram->size = 0;
}
