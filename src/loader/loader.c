/*
 * loader.c - kernel file reading, format detection and the flat 32-bit
 * hand-over shared by the Linux and Multiboot loaders (see loader.h).
 *
 * Descriptor encoding of the boot GDT: Intel SDM vol. 3A 3.4.5 (segment
 * descriptors). 0x00CF9A000000FFFF is base 0, limit 0xFFFFF with G=1 (4 GiB),
 * D=1, P=1, DPL 0, type 0xA (execute/read); 0x00CF92000000FFFF the same
 * with type 0x2 (read/write data).
 */
#include "loader/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BZ_BOOT_FLAG_OFF 0x1fe
#define BZ_HEADER_OFF    0x202
#define MB_MAGIC         0x1badb002u
#define MB_SEARCH_LEN    8192u
#define MB_HEADER_MIN    12u

int loader_error(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int loader_read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
	*data = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return loader_error(err, errlen, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return loader_error(err, errlen, "%s: %s", path, strerror(e));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return loader_error(err, errlen, "%s: is a directory, not a file", path);
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > LOADER_FILE_MAX) {
		close(fd);
		return loader_error(err, errlen, "%s: %llu MiB is larger than the %llu MiB limit",
				    path, (unsigned long long)st.st_size >> 20, LOADER_FILE_MAX >> 20);
	}
	/* Regular files are read in one allocation; pipes grow the buffer. */
	size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
	uint8_t *buf = malloc(cap);
	size_t n = 0;
	for (;;) {
		if (!buf) {
			close(fd);
			return loader_error(err, errlen, "%s: out of memory", path);
		}
		if (n == cap) {
			if (cap >= LOADER_FILE_MAX + 1) {
				free(buf);
				close(fd);
				return loader_error(err, errlen, "%s: larger than the %llu MiB limit",
						    path, LOADER_FILE_MAX >> 20);
			}
			cap = cap * 2 > LOADER_FILE_MAX + 1 ? LOADER_FILE_MAX + 1 : cap * 2;
			uint8_t *grown = realloc(buf, cap);
			if (!grown)
				free(buf);
			buf = grown;
			continue;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return loader_error(err, errlen, "%s: read failed: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > LOADER_FILE_MAX) {
		free(buf);
		return loader_error(err, errlen, "%s: larger than the %llu MiB limit", path,
				    LOADER_FILE_MAX >> 20);
	}
	*data = buf;
	*len = n;
	return 0;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

enum kernel_format loader_detect(const uint8_t *data, size_t len)
{
	if (len >= BZ_HEADER_OFF + 4 && data[BZ_BOOT_FLAG_OFF] == 0x55 &&
	    data[BZ_BOOT_FLAG_OFF + 1] == 0xaa && memcmp(data + BZ_HEADER_OFF, "HdrS", 4) == 0)
		return KERNEL_LINUX_BZIMAGE;
	size_t end = len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN;
	for (size_t off = 0; off + MB_HEADER_MIN <= end; off += 4)
		if (get_le32(data + off) == MB_MAGIC)
			return KERNEL_MULTIBOOT;
	return KERNEL_UNKNOWN;
}

const char *loader_format_name(enum kernel_format format)
{
	switch (format) {
	case KERNEL_LINUX_BZIMAGE:
		return "Linux bzImage";
	case KERNEL_MULTIBOOT:
		return "Multiboot kernel";
	case KERNEL_UNKNOWN:
		break;
	}
	return "unknown format";
}

bool loader_range_is_ram(const struct physmap *phys, uint64_t addr, uint64_t len)
{
	if (addr > UINT32_MAX || len > (1ull << 32) - addr)
		return false;
	while (len) {
		const struct phys_region *r = physmap_lookup(phys, addr);
		if (!r || r->kind != PHYS_RAM)
			return false;
		uint64_t n = r->base + r->len - addr;
		if (n >= len)
			return true;
		addr += n;
		len -= n;
	}
	return true;
}

int loader_zero(struct physmap *phys, uint64_t addr, uint64_t len)
{
	while (len) {
		const struct phys_region *r = physmap_lookup(phys, addr);
		if (!r || r->kind == PHYS_MMIO)
			return -1;
		uint64_t n = r->base + r->len - addr;
		if (n > len)
			n = len;
		uint8_t *host = physmap_host_ptr(phys, addr, n, NULL);
		if (!host)
			return -1;
		memset(host, 0, n);
		addr += n;
		len -= n;
	}
	return 0;
}

int loader_enter_flat32(struct physmap *phys, struct cpu_state *cpu, uint32_t entry,
			char *err, size_t errlen)
{
	static const uint8_t gdt[LOADER_GDT_LIMIT + 1] = {
		[0x10] = 0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xcf, 0x00,
		[0x18] = 0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00,
	};
	if (physmap_load(phys, LOADER_GDT_ADDR, gdt, sizeof(gdt)) < 0)
		return loader_error(err, errlen, "no guest RAM at 0x%x for the boot GDT",
				    LOADER_GDT_ADDR);
	physmap_set_a20(phys, true);
	cpu_state_flat32(cpu, entry, LOADER_BOOT_CS, LOADER_BOOT_DS);
	cpu->gdtr.base = LOADER_GDT_ADDR;
	cpu->gdtr.limit = LOADER_GDT_LIMIT;
	cpu->idtr.base = 0;
	cpu->idtr.limit = 0;
	memset(cpu->gpr, 0, sizeof(cpu->gpr));
	cpu->gpr[R_ESP] = LOADER_STACK_TOP;
	cpu->halted = false;
	cpu->int_shadow = false;
	return 0;
}
