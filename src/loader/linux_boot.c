/*
 * linux_boot.c - loading a bzImage through the Linux/x86 32-bit boot
 * protocol (kernel Documentation/arch/x86/boot.rst, sections "The real-mode
 * kernel header", "Details of header fields", "The 32-bit boot protocol";
 * the zero-page layout is Documentation/arch/x86/zero-page.rst).
 *
 * The file is a boot sector + setup code ((setup_sects + 1) * 512 bytes,
 * setup_sects 0 meaning 4) followed by the protected-mode kernel, which is
 * loaded at 0x100000. The real-mode setup code is not run: softvt plays its
 * part and fills the zero page itself, starting from a copy of the setup
 * header (0x1F1 up to 0x202 + the byte at 0x201, the jump's displacement).
 *
 * Memory the kernel claims before it reads the e820 map (boot.rst, init_size):
 * from 0x100000 to the end of the loaded image, and from its runtime start
 * for init_size bytes, where runtime start = align_up(max(0x100000,
 * pref_address), kernel_alignment) for a relocatable kernel and pref_address
 * otherwise. The initrd goes page-aligned as high as possible below
 * min(initrd_addr_max + 1, top of RAM, LINUX_LOWMEM_LIMIT) and above that.
 *
 * Every header field is untrusted: a field is read only if it lies inside
 * both the file and the header length the file declares.
 */
#include "loader/linux_boot.h"

#include <string.h>

#include "loader/loader.h"

/* Setup header (offsets in the file and in boot_params alike). */
#define HDR_START           0x1f1
#define HDR_SETUP_SECTS     0x1f1
#define HDR_SYSSIZE         0x1f4
#define HDR_BOOT_FLAG       0x1fe
#define HDR_JUMP_DISP       0x201
#define HDR_MAGIC           0x202
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_CODE32_START    0x214
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_HEAP_END_PTR    0x224
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGN    0x230
#define HDR_RELOCATABLE     0x234
#define HDR_XLOADFLAGS      0x236
#define HDR_CMDLINE_SIZE    0x238
#define HDR_PREF_ADDRESS    0x258
#define HDR_INIT_SIZE       0x260
#define HDR_COPY_END        0x290   /* edd_mbr_sig_buffer follows the header */

/* Header length each protocol needs to hold the fields read here. */
#define HDR_END_2_06        0x23c   /* up to cmdline_size */
#define HDR_END_2_10        0x264   /* up to init_size */

#define LOADED_HIGH    0x01
#define KEEP_SEGMENTS  0x40
#define CAN_USE_HEAP   0x80
#define XLF_KERNEL_64  0x0001

#define LOADER_TYPE_UNDEFINED 0xff
#define HEAP_END_PTR   0xde00   /* heap end 0xE000 - 0x200, boot.rst's example */

/* Zero page (zero-page.rst) and struct screen_info. */
#define BP_SIZE              4096
#define BP_VIDEO_MODE        0x006
#define BP_VIDEO_COLS        0x007
#define BP_VIDEO_LINES       0x00e
#define BP_VIDEO_IS_VGA      0x00f
#define BP_VIDEO_POINTS      0x010
#define BP_EXT_MEM_K         0x002
#define BP_ALT_MEM_K         0x1e0
#define BP_E820_ENTRIES      0x1e8
#define BP_E820_TABLE        0x2d0
#define BP_E820_MAX          128
#define E820_ENTRY_SIZE      20

#define PAGE_MASK 0xfffull

struct bz_header {
	uint32_t hdr_end;
	uint16_t version;
	uint32_t setup_size;        /* bytes before the protected-mode kernel */
	uint32_t syssize;
	uint8_t loadflags;
	uint32_t code32_start;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint64_t pref_address;
	uint32_t init_size;
};

static uint32_t get_le(const uint8_t *p, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint32_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A header field, or 0 if it lies past the declared header end. */
static uint32_t field(const uint8_t *d, const struct bz_header *h, unsigned off, unsigned size)
{
	return off + size <= h->hdr_end ? get_le(d + off, size) : 0;
}

static int parse_header(const struct linux_boot_args *a, struct bz_header *h, char *err,
			size_t errlen)
{
	const char *name = a->kernel_name ? a->kernel_name : "kernel";
	const uint8_t *d = a->kernel;
	size_t len = a->kernel ? a->kernel_len : 0;

	if (len < HDR_MAGIC + 4)
		return loader_error(err, errlen,
				    "%s: not a Linux kernel image (%zu bytes, too short for a setup header)",
				    name, len);
	if (memcmp(d + HDR_MAGIC, "HdrS", 4) != 0)
		return loader_error(err, errlen,
				    "%s: not a Linux kernel image (no HdrS signature at 0x202)", name);
	if (get_le(d + HDR_BOOT_FLAG, 2) != 0xaa55)
		return loader_error(err, errlen,
				    "%s: not a Linux kernel image (no 0xAA55 boot flag at 0x1FE)", name);
	if (len < HDR_VERSION + 2)
		return loader_error(err, errlen, "%s: file is truncated inside the setup header",
				    name);
	h->version = (uint16_t)get_le(d + HDR_VERSION, 2);
	if (h->version < 0x206)
		return loader_error(err, errlen,
				    "%s: boot protocol %u.%02u is too old (need 2.06 or later)", name,
				    h->version >> 8, h->version & 0xff);
	h->hdr_end = HDR_MAGIC + d[HDR_JUMP_DISP];
	uint32_t need = h->version >= 0x20a ? HDR_END_2_10 : HDR_END_2_06;
	if (h->hdr_end < need)
		return loader_error(err, errlen,
				    "%s: setup header ends at 0x%x, too short for boot protocol %u.%02u",
				    name, h->hdr_end, h->version >> 8, h->version & 0xff);
	if (h->hdr_end > len)
		return loader_error(err, errlen,
				    "%s: file is truncated (%zu bytes, the setup header ends at 0x%x)",
				    name, len, h->hdr_end);

	h->loadflags = (uint8_t)field(d, h, HDR_LOADFLAGS, 1);
	h->xloadflags = (uint16_t)(h->version >= 0x20c ? field(d, h, HDR_XLOADFLAGS, 2) : 0);
	if (!(h->loadflags & LOADED_HIGH))
		return loader_error(err, errlen,
				    "%s: zImage not supported (LOADED_HIGH clear in loadflags); need a bzImage",
				    name);
	if (h->xloadflags & XLF_KERNEL_64)
		return loader_error(err, errlen,
				    "%s: 64-bit kernel (XLF_KERNEL_64 in xloadflags); softvt runs 32-bit guests",
				    name);

	unsigned sects = d[HDR_SETUP_SECTS] ? d[HDR_SETUP_SECTS] : 4;
	h->setup_size = (sects + 1) * 512;
	if (h->setup_size >= len)
		return loader_error(err, errlen,
				    "%s: setup_sects %u puts the protected-mode kernel at 0x%x, past the end of the file (%zu bytes)",
				    name, sects, h->setup_size, len);
	h->syssize = field(d, h, HDR_SYSSIZE, 4);
	uint64_t pm_len = len - h->setup_size;
	if ((uint64_t)h->syssize * 16 > pm_len)
		return loader_error(err, errlen,
				    "%s: file is truncated (syssize says %llu bytes of protected-mode code, the file has %llu)",
				    name, (unsigned long long)h->syssize * 16,
				    (unsigned long long)pm_len);

	h->code32_start = field(d, h, HDR_CODE32_START, 4);
	if (h->code32_start != LINUX_KERNEL_ADDR)
		return loader_error(err, errlen,
				    "%s: code32_start is 0x%x, softvt loads bzImages at 0x%x only",
				    name, h->code32_start, LINUX_KERNEL_ADDR);
	h->initrd_addr_max = field(d, h, HDR_INITRD_ADDR_MAX, 4);
	h->kernel_alignment = field(d, h, HDR_KERNEL_ALIGN, 4);
	h->relocatable = (uint8_t)field(d, h, HDR_RELOCATABLE, 1);
	h->cmdline_size = field(d, h, HDR_CMDLINE_SIZE, 4);
	if (h->version >= 0x20a) {
		h->pref_address = field(d, h, HDR_PREF_ADDRESS, 4) |
				  (uint64_t)field(d, h, HDR_PREF_ADDRESS + 4, 4) << 32;
		h->init_size = field(d, h, HDR_INIT_SIZE, 4);
	} else {
		h->pref_address = LINUX_KERNEL_ADDR;
		h->init_size = 0;
	}
	if (h->pref_address > UINT32_MAX || (!h->relocatable && h->pref_address < LINUX_KERNEL_ADDR))
		return loader_error(err, errlen,
				    "%s: kernel wants to run at 0x%llx (pref_address), outside 1 MiB-4 GiB",
				    name, (unsigned long long)h->pref_address);
	if (h->relocatable && (h->kernel_alignment == 0 ||
			       (h->kernel_alignment & (h->kernel_alignment - 1))))
		return loader_error(err, errlen, "%s: kernel_alignment 0x%x is not a power of two",
				    name, h->kernel_alignment);
	return 0;
}

/* End of the memory the kernel uses before it reads the e820 map (boot.rst, init_size). */
static uint64_t kernel_extent(const struct bz_header *h, uint64_t pm_len)
{
	uint64_t start;
	if (h->relocatable) {
		uint64_t la = h->pref_address > LINUX_KERNEL_ADDR ? h->pref_address : LINUX_KERNEL_ADDR;
		start = (la + h->kernel_alignment - 1) & ~((uint64_t)h->kernel_alignment - 1);
	} else {
		start = h->pref_address;
	}
	uint64_t end = LINUX_KERNEL_ADDR + pm_len;
	if (h->init_size && start + h->init_size > end)
		end = start + h->init_size;
	return end;
}

static unsigned long long mib_up(uint64_t bytes)
{
	return (unsigned long long)((bytes + (1u << 20) - 1) >> 20);
}

static void fill_zero_page(uint8_t *bp, const struct linux_boot_args *a,
			   const struct bz_header *h, uint32_t initrd_addr, uint32_t initrd_size)
{
	memset(bp, 0, BP_SIZE);
	uint32_t copy_end = h->hdr_end < HDR_COPY_END ? h->hdr_end : HDR_COPY_END;
	memcpy(bp + HDR_START, a->kernel + HDR_START, copy_end - HDR_START);

	bp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
	bp[HDR_LOADFLAGS] = (uint8_t)((h->loadflags & ~KEEP_SEGMENTS) | CAN_USE_HEAP);
	put_le(bp + HDR_HEAP_END_PTR, HEAP_END_PTR, 2);
	put_le(bp + HDR_CMD_LINE_PTR, LINUX_CMDLINE_ADDR, 4);
	put_le(bp + HDR_RAMDISK_IMAGE, initrd_addr, 4);
	put_le(bp + HDR_RAMDISK_SIZE, initrd_size, 4);

	/* screen_info: VGA colour text mode 3, 80x25, 16-line font, cursor at 0,0. */
	bp[BP_VIDEO_MODE] = 3;
	bp[BP_VIDEO_COLS] = 80;
	bp[BP_VIDEO_LINES] = 25;
	bp[BP_VIDEO_IS_VGA] = 1;
	put_le(bp + BP_VIDEO_POINTS, 16, 2);

	uint64_t ext_k = e820_ram_above_1m(a->e820) >> 10;
	put_le(bp + BP_EXT_MEM_K, ext_k > 0xffff ? 0xffff : (uint32_t)ext_k, 2);
	put_le(bp + BP_ALT_MEM_K, ext_k > UINT32_MAX ? UINT32_MAX : (uint32_t)ext_k, 4);

	unsigned n = a->e820->n < E820_MAX ? a->e820->n : E820_MAX;
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = bp + BP_E820_TABLE + i * E820_ENTRY_SIZE;
		const struct e820_entry *s = &a->e820->e[i];
		put_le(e, (uint32_t)s->addr, 4);
		put_le(e + 4, (uint32_t)(s->addr >> 32), 4);
		put_le(e + 8, (uint32_t)s->size, 4);
		put_le(e + 12, (uint32_t)(s->size >> 32), 4);
		put_le(e + 16, s->type, 4);
	}
}

int linux_boot_load(struct physmap *phys, struct cpu_state *cpu, const struct linux_boot_args *a,
		    struct linux_boot_info *info, char *err, size_t errlen)
{
	const char *name = a->kernel_name ? a->kernel_name : "kernel";
	const char *iname = a->initrd_name ? a->initrd_name : "initrd";
	struct bz_header h;
	memset(&h, 0, sizeof(h));
	if (parse_header(a, &h, err, errlen) < 0)
		return -1;
	if (!a->e820)
		return loader_error(err, errlen, "%s: no memory map given for boot_params", name);

	uint64_t pm_len = a->kernel_len - h.setup_size;
	uint64_t ram_top = a->ram_size;
	uint64_t kend = kernel_extent(&h, pm_len);
	if (kend > ram_top || !loader_range_is_ram(phys, LINUX_KERNEL_ADDR, kend - LINUX_KERNEL_ADDR))
		return loader_error(err, errlen,
				    "%s: kernel needs RAM from 0x%x to 0x%llx (%llu MiB loaded, init_size %llu MiB) but the guest has %llu MiB",
				    name, LINUX_KERNEL_ADDR, (unsigned long long)kend, mib_up(pm_len),
				    mib_up(h.init_size), mib_up(ram_top));

	const char *cmdline = a->cmdline ? a->cmdline : "";
	size_t cmd_len = strlen(cmdline);
	if (cmd_len > h.cmdline_size)
		return loader_error(err, errlen,
				    "%s: command line is %zu bytes, the kernel accepts at most %u (cmdline_size)",
				    name, cmd_len, h.cmdline_size);
	if (cmd_len >= LINUX_CMDLINE_MAX)
		return loader_error(err, errlen,
				    "%s: command line is %zu bytes, softvt passes at most %u", name,
				    cmd_len, LINUX_CMDLINE_MAX - 1);

	uint32_t initrd_addr = 0, initrd_size = 0;
	if (a->initrd && a->initrd_len) {
		uint64_t limit = (uint64_t)h.initrd_addr_max + 1;
		if (limit > ram_top)
			limit = ram_top;
		if (limit > LINUX_LOWMEM_LIMIT)
			limit = LINUX_LOWMEM_LIMIT;
		uint64_t size = a->initrd_len;
		uint64_t base = size <= limit ? (limit - size) & ~PAGE_MASK : 0;
		if (size > limit || base < kend)
			return loader_error(err, errlen,
					    "%s: %llu MiB initrd does not fit between the kernel's end 0x%llx and 0x%llx with %llu MiB of RAM",
					    iname, mib_up(size), (unsigned long long)kend,
					    (unsigned long long)limit, mib_up(ram_top));
		if (!loader_range_is_ram(phys, base, size))
			return loader_error(err, errlen,
					    "%s: no guest RAM at 0x%llx-0x%llx for the initrd", iname,
					    (unsigned long long)base,
					    (unsigned long long)(base + size - 1));
		initrd_addr = (uint32_t)base;
		initrd_size = (uint32_t)size;
	}

	uint8_t bp[BP_SIZE];
	fill_zero_page(bp, a, &h, initrd_addr, initrd_size);
	if (physmap_load(phys, LINUX_BOOT_PARAMS_ADDR, bp, sizeof(bp)) < 0 ||
	    physmap_load(phys, LINUX_CMDLINE_ADDR, cmdline, cmd_len + 1) < 0)
		return loader_error(err, errlen, "%s: no guest RAM at 0x%x-0x%x for boot_params",
				    name, LINUX_BOOT_PARAMS_ADDR, LINUX_CMDLINE_ADDR + LINUX_CMDLINE_MAX - 1);
	physmap_load(phys, LINUX_KERNEL_ADDR, a->kernel + h.setup_size, pm_len);
	if (initrd_size)
		physmap_load(phys, initrd_addr, a->initrd, initrd_size);
	if (loader_enter_flat32(phys, cpu, LINUX_KERNEL_ADDR, err, errlen) < 0)
		return -1;
	cpu->gpr[R_ESI] = LINUX_BOOT_PARAMS_ADDR;

	if (info) {
		info->boot_params = LINUX_BOOT_PARAMS_ADDR;
		info->cmdline = LINUX_CMDLINE_ADDR;
		info->kernel_addr = LINUX_KERNEL_ADDR;
		info->kernel_size = (uint32_t)pm_len;
		info->initrd_addr = initrd_addr;
		info->initrd_size = initrd_size;
		info->protocol = h.version;
		info->kernel_end = (uint32_t)kend;
	}
	return 0;
}
