/*
 * multiboot.c - Multiboot v1 kernel loading (The Multiboot Specification
 * 0.6.96: 3.1 "OS image format", 3.2 "Machine state", 3.3 "Boot
 * information format").
 *
 * The header (magic, flags, checksum; magic + flags + checksum == 0 mod
 * 2^32) must lie 4-byte aligned entirely within the first 8192 bytes. Flags
 * 0-15 are requirements a loader must refuse if it cannot meet them: bit 0
 * (page-aligned modules) and bit 1 (memory information) are always met;
 * bit 2 (a video mode) is not, and is only reported back to the caller,
 * since a text console remains usable; bits 3-15 are refused. With bit 16
 * (the "a.out kludge") the header's address fields say where the image goes
 * and they take precedence over any executable format: the file offset of
 * load_addr is the header's offset minus (header_addr - load_addr);
 * load_end_addr 0 means up to the end of the file, bss_end_addr 0 no bss.
 * Otherwise the image must be an ELF32 i386 executable (parsed with libelf)
 * whose PT_LOAD segments go to their physical addresses (p_paddr), the bss
 * part (p_memsz beyond p_filesz) zeroed. The entry point e_entry is a
 * virtual address: it is translated through the segment that contains it.
 *
 * All header and ELF values are untrusted: every range is checked against
 * the file and against guest RAM before anything is written.
 */
#include "loader/multiboot.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

#define MB_SEARCH_LEN   8192u
#define MB_HEADER_LEN   12u
#define MB_AOUT_LEN     32u
#define MB_KNOWN_REQUIRED (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_VIDEO_MODE)

#define INFO_SIZE       128u
#define MMAP_ENTRY_SIZE 24u      /* size field (4) + 20 bytes it counts */
#define MOD_ENTRY_SIZE  16u
#define LOADER_NAME     "softvt"
#define PAGE_SIZE       4096ull

struct mb_header {
	size_t off;
	uint32_t flags;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* One piece of the kernel image: filesz bytes from src, then zeroes up to memsz. */
struct mb_segment {
	uint64_t paddr, filesz, memsz;
	const uint8_t *src;
};

struct mb_image {
	struct mb_segment *seg;
	unsigned nseg;
	uint32_t entry;
	uint64_t start, end;
};

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

static int find_header(const char *name, const uint8_t *d, size_t len, struct mb_header *h,
		       char *err, size_t errlen)
{
	size_t end = len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN;
	bool seen_magic = false;
	for (size_t off = 0; off + MB_HEADER_LEN <= end; off += 4) {
		if (get_le32(d + off) != MULTIBOOT_HEADER_MAGIC)
			continue;
		seen_magic = true;
		uint32_t flags = get_le32(d + off + 4);
		if (MULTIBOOT_HEADER_MAGIC + flags + get_le32(d + off + 8) != 0)
			continue;
		memset(h, 0, sizeof(*h));
		h->off = off;
		h->flags = flags;
		if (!(flags & MULTIBOOT_AOUT_KLUDGE))
			return 0;
		if (off + MB_AOUT_LEN > end)
			return loader_error(err, errlen,
					    "%s: Multiboot header at 0x%zx is cut off before its a.out kludge address fields",
					    name, off);
		h->header_addr = get_le32(d + off + 12);
		h->load_addr = get_le32(d + off + 16);
		h->load_end_addr = get_le32(d + off + 20);
		h->bss_end_addr = get_le32(d + off + 24);
		h->entry_addr = get_le32(d + off + 28);
		return 0;
	}
	if (seen_magic)
		return loader_error(err, errlen, "%s: Multiboot header checksum is wrong", name);
	return loader_error(err, errlen, "%s: no Multiboot header in the first 8192 bytes", name);
}

/* A segment must be RAM at or above LOADER_LOW_END (below is the boot information). */
static int check_placement(const char *name, struct physmap *phys, const char *what,
			   uint64_t addr, uint64_t size, char *err, size_t errlen)
{
	if (size == 0)
		return 0;
	if (addr < LOADER_LOW_END)
		return loader_error(err, errlen,
				    "%s: %s at 0x%llx is below 0x%x, where softvt keeps the boot information",
				    name, what, (unsigned long long)addr, LOADER_LOW_END);
	if (!loader_range_is_ram(phys, addr, size))
		return loader_error(err, errlen,
				    "%s: %s at 0x%llx-0x%llx is not in guest RAM", name, what,
				    (unsigned long long)addr, (unsigned long long)(addr + size - 1));
	return 0;
}

static int parse_aout(const char *name, struct physmap *phys, const uint8_t *d, size_t len,
		      const struct mb_header *h, struct mb_image *img, char *err, size_t errlen)
{
	if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > h->off)
		return loader_error(err, errlen,
				    "%s: a.out kludge load_addr 0x%x does not match header_addr 0x%x at file offset 0x%zx",
				    name, h->load_addr, h->header_addr, h->off);
	uint64_t file_start = h->off - (h->header_addr - h->load_addr);
	uint64_t load_len;
	if (h->load_end_addr == 0) {
		load_len = len - file_start;
	} else {
		if (h->load_end_addr < h->load_addr)
			return loader_error(err, errlen,
					    "%s: a.out kludge load_end_addr 0x%x is below load_addr 0x%x",
					    name, h->load_end_addr, h->load_addr);
		load_len = h->load_end_addr - h->load_addr;
		if (load_len > len - file_start)
			return loader_error(err, errlen,
					    "%s: file is truncated (the a.out kludge loads %llu bytes from offset 0x%llx, the file has %zu)",
					    name, (unsigned long long)load_len,
					    (unsigned long long)file_start, len);
	}
	uint64_t mem_end = (uint64_t)h->load_addr + load_len;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < mem_end)
			return loader_error(err, errlen,
					    "%s: a.out kludge bss_end_addr 0x%x is below the end of the loaded image 0x%llx",
					    name, h->bss_end_addr, (unsigned long long)mem_end);
		mem_end = h->bss_end_addr;
	}
	if (check_placement(name, phys, "image", h->load_addr, mem_end - h->load_addr, err,
			    errlen) < 0)
		return -1;
	if (h->entry_addr < h->load_addr || h->entry_addr >= mem_end)
		return loader_error(err, errlen,
				    "%s: a.out kludge entry_addr 0x%x is outside the image 0x%x-0x%llx",
				    name, h->entry_addr, h->load_addr, (unsigned long long)mem_end);
	img->seg = malloc(sizeof(*img->seg));
	if (!img->seg)
		return loader_error(err, errlen, "%s: out of memory", name);
	img->seg[0] = (struct mb_segment){ h->load_addr, load_len, mem_end - h->load_addr,
					   d + file_start };
	img->nseg = 1;
	img->entry = h->entry_addr;
	img->start = h->load_addr;
	img->end = mem_end;
	return 0;
}

static int parse_elf_segments(const char *name, struct physmap *phys, const uint8_t *d,
			      size_t len, Elf *elf, struct mb_image *img, char *err, size_t errlen)
{
	/* gelf_get* copy each header out: the file's tables need not be aligned. */
	GElf_Ehdr eh;
	if (!gelf_getehdr(elf, &eh))
		return loader_error(err, errlen, "%s: truncated ELF header", name);
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return loader_error(err, errlen, "%s: big-endian ELF, not an i386 executable", name);
	if (eh.e_machine != EM_386)
		return loader_error(err, errlen, "%s: ELF machine %u is not i386 (EM_386)", name,
				    eh.e_machine);
	if (eh.e_type != ET_EXEC)
		return loader_error(err, errlen, "%s: ELF type %u is not an executable (ET_EXEC)",
				    name, eh.e_type);
	/* elf_getphdrnum() clamps the count to what the file holds: take
	 * e_phnum itself unless it is PN_XNUM (count in section 0's sh_info). */
	size_t nph = eh.e_phnum;
	if (nph == PN_XNUM && elf_getphdrnum(elf, &nph) < 0)
		return loader_error(err, errlen, "%s: unreadable ELF program header count: %s",
				    name, elf_errmsg(-1));
	if (nph == 0)
		return loader_error(err, errlen, "%s: ELF file has no program headers", name);
	if (eh.e_phentsize != sizeof(Elf32_Phdr))
		return loader_error(err, errlen, "%s: ELF program header size %u is not %zu", name,
				    eh.e_phentsize, sizeof(Elf32_Phdr));
	if (eh.e_phoff > len || nph > (len - eh.e_phoff) / sizeof(Elf32_Phdr))
		return loader_error(err, errlen,
				    "%s: truncated ELF (%zu program headers at 0x%llx run past the end of the file)",
				    name, nph, (unsigned long long)eh.e_phoff);
	img->seg = calloc(nph, sizeof(*img->seg));
	if (!img->seg)
		return loader_error(err, errlen, "%s: out of memory", name);
	img->start = UINT64_MAX;
	img->end = 0;
	bool entry_found = false;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr p;
		if (!gelf_getphdr(elf, (int)i, &p))
			return loader_error(err, errlen, "%s: ELF program header %zu is unreadable: %s",
					    name, i, elf_errmsg(-1));
		if (p.p_type != PT_LOAD || p.p_memsz == 0)
			continue;
		if (p.p_filesz > p.p_memsz)
			return loader_error(err, errlen,
					    "%s: ELF segment %zu has p_filesz 0x%llx larger than p_memsz 0x%llx",
					    name, i, (unsigned long long)p.p_filesz,
					    (unsigned long long)p.p_memsz);
		if (p.p_offset > len || p.p_filesz > len - p.p_offset)
			return loader_error(err, errlen,
					    "%s: truncated ELF (segment %zu, offset 0x%llx + 0x%llx bytes, runs past the end of the %zu-byte file)",
					    name, i, (unsigned long long)p.p_offset,
					    (unsigned long long)p.p_filesz, len);
		char what[48];
		snprintf(what, sizeof(what), "ELF segment %zu", i);
		if (check_placement(name, phys, what, p.p_paddr, p.p_memsz, err, errlen) < 0)
			return -1;
		img->seg[img->nseg++] = (struct mb_segment){ p.p_paddr, p.p_filesz, p.p_memsz,
							     d + p.p_offset };
		if (p.p_paddr < img->start)
			img->start = p.p_paddr;
		if (p.p_paddr + p.p_memsz > img->end)
			img->end = p.p_paddr + p.p_memsz;
		if (!entry_found && eh.e_entry >= p.p_vaddr && eh.e_entry - p.p_vaddr < p.p_memsz) {
			img->entry = (uint32_t)(p.p_paddr + (eh.e_entry - p.p_vaddr));
			entry_found = true;
		}
	}
	if (img->nseg == 0)
		return loader_error(err, errlen, "%s: ELF file has no loadable segment", name);
	if (!entry_found)
		return loader_error(err, errlen,
				    "%s: ELF entry point 0x%llx is outside every loadable segment",
				    name, (unsigned long long)eh.e_entry);
	return 0;
}

static int parse_elf(const char *name, struct physmap *phys, const uint8_t *d, size_t len,
		     struct mb_image *img, char *err, size_t errlen)
{
	if (len < EI_NIDENT || memcmp(d, ELFMAG, SELFMAG) != 0)
		return loader_error(err, errlen,
				    "%s: not an ELF file, and its Multiboot header has no a.out kludge (flag 16)",
				    name);
	if (d[EI_CLASS] == ELFCLASS64)
		return loader_error(err, errlen,
				    "%s: ELF64 image; a Multiboot kernel must be ELF32 i386", name);
	if (d[EI_CLASS] != ELFCLASS32)
		return loader_error(err, errlen, "%s: unknown ELF class %u", name, d[EI_CLASS]);
	if (len < sizeof(Elf32_Ehdr))
		return loader_error(err, errlen, "%s: truncated ELF header (%zu bytes)", name, len);

	/* libelf wants writable memory: give it a private copy. */
	char *copy = malloc(len);
	if (!copy)
		return loader_error(err, errlen, "%s: out of memory", name);
	memcpy(copy, d, len);
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory(copy, len);
	int rc;
	if (!elf || elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS32)
		rc = loader_error(err, errlen, "%s: libelf cannot parse this ELF file: %s", name,
				  elf_errmsg(-1));
	else
		rc = parse_elf_segments(name, phys, d, len, elf, img, err, errlen);
	elf_end(elf);
	free(copy);
	return rc;
}

static const char *module_string(const struct multiboot_module *m)
{
	if (m->cmdline)
		return m->cmdline;
	return m->name ? m->name : "";
}

/* Appends a NUL-terminated string to the strings area (checked to be RAM
 * and large enough before anything is written); returns its guest address. */
static uint32_t put_string(struct physmap *phys, uint32_t *cursor, const char *s)
{
	uint32_t addr = *cursor;
	size_t n = strlen(s) + 1;
	physmap_load(phys, addr, s, n);
	*cursor += (uint32_t)n;
	return addr;
}

static int place_modules(const char *name, struct physmap *phys, const struct multiboot_args *a,
			 uint64_t kernel_end, uint64_t *mod_start, char *err, size_t errlen)
{
	if (a->nmodules > MULTIBOOT_MAX_MODULES)
		return loader_error(err, errlen, "%s: %u boot modules, softvt passes at most %u",
				    name, a->nmodules, MULTIBOOT_MAX_MODULES);
	uint64_t next = page_up(kernel_end);
	for (unsigned i = 0; i < a->nmodules; i++) {
		const struct multiboot_module *m = &a->modules[i];
		uint64_t size = m->data ? m->len : 0;
		const char *mname = m->name ? m->name : "module";
		if (size > a->ram_size || next > a->ram_size - size ||
		    (size && !loader_range_is_ram(phys, next, size)))
			return loader_error(err, errlen,
					    "%s: %llu KiB module does not fit in RAM after 0x%llx (%llu MiB of RAM)",
					    mname, (unsigned long long)((size + 1023) >> 10),
					    (unsigned long long)next,
					    (unsigned long long)(a->ram_size >> 20));
		mod_start[i] = next;
		next = page_up(next + size);
	}
	return 0;
}

int multiboot_load(struct physmap *phys, struct cpu_state *cpu, const struct multiboot_args *a,
		   struct multiboot_load_info *info, char *err, size_t errlen)
{
	const char *name = a->kernel_name ? a->kernel_name : "kernel";
	const uint8_t *d = a->kernel;
	size_t len = d ? a->kernel_len : 0;
	struct mb_header h;
	if (find_header(name, d, len, &h, err, errlen) < 0)
		return -1;
	uint32_t unknown = h.flags & 0xffffu & ~MB_KNOWN_REQUIRED;
	if (unknown)
		return loader_error(err, errlen,
				    "%s: Multiboot header requires features softvt does not provide (flags 0x%04x)",
				    name, unknown);
	if (!a->e820 || (a->nmodules && !a->modules))
		return loader_error(err, errlen, "%s: no memory map or module list given", name);
	const char *cmdline = a->cmdline ? a->cmdline : "";
	uint64_t strings = strlen(cmdline) + 1 + sizeof(LOADER_NAME);
	for (unsigned i = 0; i < a->nmodules && i < MULTIBOOT_MAX_MODULES; i++)
		strings += strlen(module_string(&a->modules[i])) + 1;
	if (strings > LOADER_LOW_END - MULTIBOOT_STRINGS_ADDR)
		return loader_error(err, errlen,
				    "%s: command lines take %llu bytes, softvt has room for %u",
				    name, (unsigned long long)strings,
				    LOADER_LOW_END - MULTIBOOT_STRINGS_ADDR);

	if (!loader_range_is_ram(phys, MULTIBOOT_INFO_ADDR, LOADER_LOW_END - MULTIBOOT_INFO_ADDR))
		return loader_error(err, errlen,
				    "%s: no guest RAM at 0x%x-0x%x for the boot information", name,
				    MULTIBOOT_INFO_ADDR, LOADER_LOW_END - 1);

	struct mb_image img = { 0 };
	uint64_t mod_start[MULTIBOOT_MAX_MODULES];
	int rc = (h.flags & MULTIBOOT_AOUT_KLUDGE)
			 ? parse_aout(name, phys, d, len, &h, &img, err, errlen)
			 : parse_elf(name, phys, d, len, &img, err, errlen);
	if (rc == 0)
		rc = place_modules(name, phys, a, img.end, mod_start, err, errlen);
	if (rc < 0) {
		free(img.seg);
		return -1;
	}

	for (unsigned i = 0; i < img.nseg; i++) {
		const struct mb_segment *s = &img.seg[i];
		physmap_load(phys, s->paddr, s->src, s->filesz);
		loader_zero(phys, s->paddr + s->filesz, s->memsz - s->filesz);
	}
	free(img.seg);

	uint32_t cursor = MULTIBOOT_STRINGS_ADDR;
	uint8_t mods[MULTIBOOT_MAX_MODULES * MOD_ENTRY_SIZE];
	memset(mods, 0, sizeof(mods));
	for (unsigned i = 0; i < a->nmodules; i++) {
		const struct multiboot_module *m = &a->modules[i];
		uint64_t size = m->data ? m->len : 0;
		physmap_load(phys, mod_start[i], m->data, size);
		put_le32(mods + i * MOD_ENTRY_SIZE, (uint32_t)mod_start[i]);
		put_le32(mods + i * MOD_ENTRY_SIZE + 4, (uint32_t)(mod_start[i] + size));
		put_le32(mods + i * MOD_ENTRY_SIZE + 8, put_string(phys, &cursor, module_string(m)));
	}

	uint8_t mmap[E820_MAX * MMAP_ENTRY_SIZE];
	unsigned n = a->e820->n < E820_MAX ? a->e820->n : E820_MAX;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = mmap + i * MMAP_ENTRY_SIZE;
		const struct e820_entry *s = &a->e820->e[i];
		put_le32(e, MMAP_ENTRY_SIZE - 4);
		put_le32(e + 4, (uint32_t)s->addr);
		put_le32(e + 8, (uint32_t)(s->addr >> 32));
		put_le32(e + 12, (uint32_t)s->size);
		put_le32(e + 16, (uint32_t)(s->size >> 32));
		put_le32(e + 20, s->type);
	}

	uint64_t lower_k = e820_low_ram(a->e820) >> 10, upper_k = e820_ram_above_1m(a->e820) >> 10;
	uint8_t mbi[INFO_SIZE];
	memset(mbi, 0, sizeof(mbi));
	put_le32(mbi + 0, MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS |
				  MULTIBOOT_INFO_MMAP | MULTIBOOT_INFO_LOADER);
	put_le32(mbi + 4, lower_k > 640 ? 640 : (uint32_t)lower_k);
	put_le32(mbi + 8, upper_k > UINT32_MAX ? UINT32_MAX : (uint32_t)upper_k);
	put_le32(mbi + 16, put_string(phys, &cursor, cmdline));
	put_le32(mbi + 20, a->nmodules);
	put_le32(mbi + 24, MULTIBOOT_MODS_ADDR);
	put_le32(mbi + 44, n * MMAP_ENTRY_SIZE);
	put_le32(mbi + 48, MULTIBOOT_MMAP_ADDR);
	put_le32(mbi + 64, put_string(phys, &cursor, LOADER_NAME));

	physmap_load(phys, MULTIBOOT_INFO_ADDR, mbi, sizeof(mbi));
	physmap_load(phys, MULTIBOOT_MMAP_ADDR, mmap, n * MMAP_ENTRY_SIZE);
	physmap_load(phys, MULTIBOOT_MODS_ADDR, mods, a->nmodules * MOD_ENTRY_SIZE);
	if (loader_enter_flat32(phys, cpu, img.entry, err, errlen) < 0)
		return -1;
	cpu->gpr[R_EAX] = MULTIBOOT_BOOTLOADER_MAGIC;
	cpu->gpr[R_EBX] = MULTIBOOT_INFO_ADDR;

	if (info) {
		info->entry = img.entry;
		info->info_addr = MULTIBOOT_INFO_ADDR;
		info->load_start = (uint32_t)img.start;
		info->load_end = (uint32_t)img.end;
		info->header_flags = h.flags;
		info->video_request_ignored = (h.flags & MULTIBOOT_VIDEO_MODE) != 0;
	}
	return 0;
}
