/*
 * window.c - the guest window: the reservation and the fill on fault
 * (see window.h; design and costs in docs/SHADOW_PAGING.md).
 *
 * A fill walks the guest's tables once with paging_walk() for the access
 * that faulted (so A/D bits and the #PF error code are the CPU's), then
 * looks at the other entries of the same 16-entry slice of the guest page
 * table: a present entry whose A bit is already set was used before, so
 * mapping it now invents no access; it is walked again (read access: no
 * bit changes) and mapped with the same rules. Pieces of a 2 MiB/4 MiB
 * guest page share one entry, so the whole slice qualifies. Runs of
 * linear pages that are physically contiguous with one protection become
 * one mmap call (~10,000 cycles each).
 *
 * Protection of a mapped page:
 *   PROT_READ|PROT_WRITE  the walk allows the write for this CPL, D is set,
 *                         the page is RAM and holds no translated code
 *   PROT_READ             otherwise (ROM, clean page, read-only PTE, code)
 * Never mapped (WINDOW_EMULATE): MMIO, unbacked or above 4 GiB physical,
 * linear pages below mmap_min_addr, host addresses in [4 GiB, 8 GiB).
 *
 * window_fault() runs in the SIGSEGV handler: it only reads and writes
 * preallocated memory, guest RAM and makes system calls, and it keeps
 * errno. (A guest page table in MMIO would call a device model from the
 * handler; the PC has none.)
 */
#include "mmu/window_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/paging.h"

/*
 * Pages per slice: a 4 KiB neighbour costs a walk, a piece of a large page
 * (or of the identity map with paging off) only its bookkeeping, and one
 * mmap call maps the contiguous lot. Both divide 512 (PAE table).
 */
#define WINDOW_BATCH 16
#define WINDOW_BATCH_LARGE 64
#define PTE_P 0x1u
#define PTE_A 0x20u

/*
 * Host protection of a mapped page: writable with WM_WRITE; executable
 * where guest code runs natively from the window - user pages only under
 * --user direct (only CPL-3 code runs natively: a fetch from a supervisor
 * page must fault, as on the CPU, and the code segment is not truncated,
 * docs/DIRECT.md), every page under --accel naive.
 */
static int prot(const struct window *w, uint32_t entry)
{
	bool exec = w->exec_all || (w->exec && (entry & WM_USER));
	return PROT_READ | ((entry & WM_WRITE) ? PROT_WRITE : 0) | (exec ? PROT_EXEC : 0);
}

int window_sys_map(struct window *w, uint32_t lpfn, uint32_t n, uint64_t off, uint32_t entry)
{
	void *want = (void *)((uintptr_t)lpfn << 12);
	w->st.syscalls++;
	void *p = mmap(want, (size_t)n << 12, prot(w, entry), MAP_SHARED | MAP_FIXED, w->fd,
		       (off_t)off);
	return p == want ? 0 : -1;
}

int window_sys_protect(struct window *w, uint32_t lpfn, uint32_t n, uint32_t entry)
{
	w->st.syscalls++;
	return mprotect((void *)((uintptr_t)lpfn << 12), (size_t)n << 12, prot(w, entry));
}

static void *reserve(uint64_t addr, uint64_t len, int extra)
{
	return mmap((void *)(uintptr_t)addr, len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra, -1, 0);
}

int window_sys_drop(struct window *w, uint32_t lpfn, uint32_t n)
{
	uint64_t addr = (uint64_t)lpfn << 12;
	w->st.syscalls++;
	return reserve(addr, (uint64_t)n << 12, MAP_FIXED) == (void *)(uintptr_t)addr ? 0 : -1;
}

static uint64_t read_sysctl(const char *path, uint64_t dflt)
{
	FILE *f = fopen(path, "r");
	unsigned long long v;
	if (!f)
		return dflt;
	if (fscanf(f, "%llu", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/*
 * Looks in /proc/self/maps for a mapping overlapping [lo, hi); describes
 * the first one in buf and returns true. *vmas gets the number of lines.
 */
static bool find_taken(uint64_t lo, uint64_t hi, char *buf, size_t len, uint64_t *vmas)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;
	*vmas = 0;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		int name = 0, c;
		if (!strchr(line, '\n'))             /* a long path: skip the rest of the line */
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		(*vmas)++;
		if (found || sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &s, &e, &name) < 2)
			continue;
		if (s < hi && e > lo) {
			line[strcspn(line, "\n")] = 0;
			snprintf(buf, len, "host %#llx-%#llx is taken (%s)", s, e,
				 name && line[name] ? line + name : "anonymous");
			found = true;
		}
	}
	fclose(f);
	return found;
}

static const char hint[] = "; the bt engine needs host [mmap_min_addr, 8 GiB) free "
			   "(ASan's shadow starts at 0x7fff8000, valgrind loads near 0x58000000)";

static uint64_t window_low(void)
{
	uint64_t lo = (read_sysctl("/proc/sys/vm/mmap_min_addr", 65536) + 0xfff) & ~0xfffull;
	return lo < 0x1000 ? 0x1000 : lo;   /* keep page 0 unmapped: NULL must still fault */
}

int window_probe(char *why, size_t whylen)
{
	char taken[256];
	uint64_t vmas;
	if (find_taken(window_low(), WINDOW_GUARD_END, taken, sizeof(taken), &vmas)) {
		snprintf(why, whylen, "guest window: %s%s", taken, hint);
		return -1;
	}
	return 0;
}

struct window *window_create(struct physmap *phys, char *err, size_t errlen)
{
	uint64_t lo = window_low();
	char taken[256];
	uint64_t vmas;
	if (find_taken(lo, WINDOW_GUARD_END, taken, sizeof(taken), &vmas)) {
		snprintf(err, errlen, "guest window: %s%s", taken, hint);
		return NULL;
	}
	void *p = reserve(lo, WINDOW_GUARD_END - lo, MAP_FIXED_NOREPLACE);
	if (p == MAP_FAILED) {
		int e = errno;
		if (find_taken(lo, WINDOW_GUARD_END, taken, sizeof(taken), &vmas))
			snprintf(err, errlen, "guest window: %s%s", taken, hint);
		else
			snprintf(err, errlen, "guest window: cannot reserve host %#llx-%#llx: %s",
				 (unsigned long long)lo, WINDOW_GUARD_END, strerror(e));
		return NULL;
	}
	if (p != (void *)(uintptr_t)lo) {     /* a kernel before 4.17 takes the flag as a hint */
		munmap(p, WINDOW_GUARD_END - lo);
		snprintf(err, errlen, "guest window: the kernel ignored MAP_FIXED_NOREPLACE "
			 "(Linux 4.17 or later is needed)");
		return NULL;
	}
	struct window *w = calloc(1, sizeof(*w));
	if (!w || wmap_init(&w->map) < 0) {
		snprintf(err, errlen, "guest window: out of memory for its bookkeeping");
		free(w);
		munmap(p, WINDOW_GUARD_END - lo);
		return NULL;
	}
	w->phys = phys;
	w->fd = phys->ram->fd;
	w->lo_pfn = (uint32_t)(lo >> 12);
	w->generation = phys->generation;
	uint64_t max = read_sysctl("/proc/sys/vm/max_map_count", 65530);
	uint64_t budget = max * 3 / 4;
	w->vma_budget = budget > vmas + 4 * WINDOW_BATCH_LARGE ? budget - vmas
								 : 4 * WINDOW_BATCH_LARGE;
	return w;
}

void window_destroy(struct window *w)
{
	if (!w)
		return;
	uint64_t lo = (uint64_t)w->lo_pfn << 12;
	munmap((void *)(uintptr_t)lo, WINDOW_GUARD_END - lo);
	wmap_fini(&w->map);
	free(w);
}

struct fill {
	uint32_t lpfn;
	uint32_t entry;          /* physical page | WM_* */
	uint64_t off;            /* memfd offset */
};

enum fill_kind { FILL_OK, FILL_EMULATE, FILL_CODE_WRITE };

/*
 * What to map at linear page lpfn for physical page address pa, given
 * the walk's rights; write tells whether the access is a write.
 */
static enum fill_kind classify(struct window *w, const struct cpu_state *cpu, uint32_t lpfn,
			       uint64_t pa, const struct page_walk *pw, bool write, struct fill *f)
{
	if (pa >> 32)                         /* PAE: beyond the 4 GiB physmap */
		return FILL_EMULATE;
	uint32_t p = physmap_a20(w->phys, (uint32_t)pa);
	const struct phys_region *r = physmap_lookup(w->phys, p);
	if (!r || r->kind == PHYS_MMIO || ((r->base | r->ram_offset) & 0xfff) ||
	    p + 0x1000ull > r->base + r->len)
		return FILL_EMULATE;
	bool rom = r->kind == PHYS_ROM;
	if (write && rom)
		return FILL_EMULATE;
	bool code = wmap_is_code(&w->map, p);
	bool grant = pw->writable && pw->dirty && !rom;
	f->lpfn = lpfn;
	f->entry = p | WM_MAPPED | (grant ? (code ? WM_WANT_WRITE : WM_WRITE) : 0) |
		   (pw->global && (cpu->cr4 & CR4_PGE) ? WM_GLOBAL : 0) |
		   (pw->user ? WM_USER : 0) | (pw->page_size > 4096 ? WM_LARGE : 0);
	f->off = r->ram_offset + (p - r->base);
	return write && code ? FILL_CODE_WRITE : FILL_OK;
}

/*
 * A neighbour lpfn of the faulting page self (walked as *pw) in the same
 * slice: fills *f and returns true if it may be mapped now.
 */
static bool neighbour(struct window *w, const struct cpu_state *cpu, const struct page_walk *pw,
		      uint32_t self, uint32_t lpfn, unsigned cpl, struct fill *f)
{
	int64_t delta = (int64_t)lpfn - self;
	if (pw->page_size > 4096 || !paging_enabled(cpu))   /* one entry, or identity */
		return classify(w, cpu, lpfn, (pw->paddr & ~0xfffull) + delta * 4096, pw, false,
				f) == FILL_OK;
	unsigned esize = (cpu->cr4 & CR4_PAE) ? 8 : 4;
	uint32_t pte = physmap_read(w->phys, pw->entry_addr + delta * esize, 4);
	if ((pte & (PTE_P | PTE_A)) != (PTE_P | PTE_A))
		return false;
	struct page_walk nw;
	uint32_t err;
	if (paging_walk(w->phys, cpu, lpfn << 12, cpl == 3 ? PF_USER : 0, &nw, &err) < 0)
		return false;
	return classify(w, cpu, lpfn, nw.paddr & ~0xfffull, &nw, false, f) == FILL_OK;
}

/* Maps fills[0..n) (ascending linear pages), one mmap per contiguous run. 0 or -1. */
static int install(struct window *w, const struct fill *fills, unsigned n, uint32_t self)
{
	for (unsigned i = 0; i < n;) {
		const struct fill *f = &fills[i];
		uint32_t old = w->map.entry[f->lpfn];
		if ((old & WM_MAPPED) && !((old ^ f->entry) & WM_PAGE_MASK)) {
			/* same page, new rights (first write to a clean page) */
			if (((old ^ f->entry) & (WM_WRITE | WM_USER)) &&
			    window_sys_protect(w, f->lpfn, 1, f->entry) < 0)
				return -1;
			wmap_set(&w->map, f->lpfn, f->entry);
			w->st.pages_mapped++;
			i++;
			continue;
		}
		unsigned j = i + 1;
		while (j < n && fills[j].lpfn == fills[j - 1].lpfn + 1 &&
		       fills[j].off == fills[j - 1].off + 4096 &&
		       !((fills[j].entry ^ f->entry) & (WM_WRITE | WM_USER)) &&
		       !(w->map.entry[fills[j].lpfn] & WM_MAPPED))
			j++;
		if (window_sys_map(w, f->lpfn, j - i, f->off, f->entry) < 0)
			return -1;
		for (; i < j; i++) {
			wmap_set(&w->map, fills[i].lpfn, fills[i].entry);
			w->st.pages_mapped++;
			w->st.batched += fills[i].lpfn != self;
		}
	}
	return 0;
}

static enum window_result fault(struct window *w, const struct cpu_state *cpu, uint64_t addr,
				bool write, unsigned cpl, uint32_t *pf_error, uint32_t *phys_page)
{
	if (addr >= WINDOW_TOP || (addr >> 12) < w->lo_pfn) {
		w->st.emulate++;
		return WINDOW_EMULATE;
	}
	if (w->phys->generation != w->generation)
		window_flush_all(w);
	if (window_vmas(w) + 2 * WINDOW_BATCH_LARGE >= w->vma_budget) {  /* room for one fill */
		w->st.flush_vma_limit++;
		window_flush_all(w);
	}
	uint32_t self = (uint32_t)(addr >> 12);
	struct page_walk pw;
	uint32_t err;
	unsigned access = (write ? PF_WRITE : 0) | (cpl == 3 ? PF_USER : 0);
	if (paging_walk(w->phys, cpu, self << 12, access, &pw, &err) < 0) {
		*pf_error = err;
		w->st.guest_pf++;
		return WINDOW_GUEST_PF;
	}
	struct fill fills[WINDOW_BATCH_LARGE];
	struct fill me;
	switch (classify(w, cpu, self, pw.paddr & ~0xfffull, &pw, write, &me)) {
	case FILL_EMULATE:
		w->st.emulate++;
		return WINDOW_EMULATE;
	case FILL_CODE_WRITE:
		/* Once the dispatcher unprotects the page, this mapping may become writable. */
		if ((w->map.entry[self] & WM_MAPPED) &&
		    !((w->map.entry[self] ^ me.entry) & WM_PAGE_MASK))
			wmap_set(&w->map, self, w->map.entry[self] | WM_WANT_WRITE);
		*phys_page = me.entry & WM_PAGE_MASK;
		w->st.code_writes++;
		return WINDOW_CODE_WRITE;
	case FILL_OK:
		break;
	}
	unsigned n = 0;
	uint32_t batch = pw.page_size > 4096 || !paging_enabled(cpu) ? WINDOW_BATCH_LARGE
								      : WINDOW_BATCH;
	uint32_t first = self & ~(batch - 1);
	for (uint32_t l = first; l < first + batch; l++) {
		if (l == self)
			fills[n++] = me;
		else if (l >= w->lo_pfn && !(w->map.entry[l] & WM_MAPPED) &&
			 neighbour(w, cpu, &pw, self, l, cpl, &fills[n]))
			n++;
	}
	if (install(w, fills, n, self) < 0) {
		/* Most likely ENOMEM from vm.max_map_count: start over with an empty window. */
		window_flush_all(w);
		if (install(w, &me, 1, self) < 0) {
			w->st.emulate++;
			return WINDOW_EMULATE;
		}
	}
	w->st.fills++;
	return WINDOW_MAPPED;
}

enum window_result window_fault(struct window *w, const struct cpu_state *cpu, uint64_t addr,
				bool write, unsigned cpl, uint32_t *pf_error, uint32_t *phys_page)
{
	int saved = errno;
	enum window_result r = fault(w, cpu, addr, write, cpl, pf_error, phys_page);
	errno = saved;
	return r;
}

void window_set_exec(struct window *w, bool exec, bool supervisor)
{
	if (w->exec != exec || w->exec_all != (exec && supervisor))
		window_flush_all(w);
	w->exec = exec;
	w->exec_all = exec && supervisor;
}

void window_get_stats(const struct window *w, struct window_stats *out)
{
	*out = w->st;
	out->mapped_now = w->map.mapped.count;
	out->vmas_estimate = window_vmas(w);
}
