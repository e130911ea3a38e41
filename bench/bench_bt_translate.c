/*
 * bench_bt_translate.c - what the translator of engine bt makes of real
 * 32-bit code: translates the executable sections of ELF files (a kernel
 * module, a static i386 binary) block by block in a linear sweep and
 * prints the share of IDENT / rewritten instructions, the instructions
 * that end blocks with an exit to the interpreter (by mnemonic), host bytes
 * per guest instruction and translation time. Nothing is executed.
 *
 *   build/bench/bench_bt_translate FILE.ko|FILE.elf...
 */
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bt/emit.h"
#include "bt/tc.h"

struct count {
	ZydisMnemonic m;
	uint64_t n;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int by_count(const void *a, const void *b)
{
	const struct count *x = a, *y = b;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s ELF...\n", argv[0]);
		return 2;
	}
	char err[256];
	struct tc *tc = tc_create(64u << 20, err, sizeof(err));
	if (!tc) {
		fprintf(stderr, "tc_create: %s\n", err);
		return 1;
	}
	elf_version(EV_CURRENT);
	static struct count exits[ZYDIS_MNEMONIC_MAX_VALUE + 1];
	uint64_t blocks = 0, ns = 0, bytes_code = 0, refused = 0, crossing = 0, undecodable = 0;
	struct bt_mode mode = { .gs_flat = true };
	ZydisDecoder dec;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
	for (int f = 1; f < argc; f++) {
		int fd = open(argv[f], O_RDONLY);
		Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
		if (!e) {
			fprintf(stderr, "%s: not an ELF file\n", argv[f]);
			continue;
		}
		Elf_Scn *scn = NULL;
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			gelf_getshdr(scn, &sh);
			if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR))
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			if (!d || !d->d_buf)
				continue;
			/* relocatable objects: pretend the section sits at a page boundary */
			uint32_t base = sh.sh_addr ? (uint32_t)sh.sh_addr : 0xc1000000u;
			const uint8_t *code = d->d_buf;
			uint32_t size = (uint32_t)d->d_size;
			bytes_code += size;
			for (uint32_t off = 0; off < size;) {
				uint32_t eip = base + off;
				uint32_t avail = 0x1000 - (eip & 0xfff);
				if (avail > size - off)
					avail = size - off;
				uint64_t t0 = now_ns();
				struct tb *tb = bt_translate(tc, &mode, eip, code + off, avail);
				ns += now_ns() - t0;
				if (!tb) {
					tc_flush(tc);
					continue;
				}
				blocks++;
				if (tb->guest_len) {
					off += tb->guest_len;
					continue;
				}
				/* a block that leaves at once: the instruction at off is not run by the TC */
				struct bt_insn in;
				in.eip = eip;
				if (ZYAN_FAILED(ZydisDecoderDecodeFull(&dec, code + off, size - off,
								       &in.d, in.ops))) {
					undecodable++;
					off++;
					continue;
				}
				if (in.d.length > avail) {
					crossing++;
				} else if (bt_classify(&in, &mode) == BT_EXIT) {
					exits[in.d.mnemonic].m = in.d.mnemonic;
					exits[in.d.mnemonic].n++;
				} else if (refused++ < 20 && getenv("BT_SHOW_REFUSED")) {
					ZydisDisassembledInstruction di;
					ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LEGACY_32, in.eip,
							      code + off, in.d.length, &di);
					printf("refused at %08x: %s\n", in.eip, di.text);
				}
				off += in.d.length;
			}
		}
		elf_end(e);
		close(fd);
	}
	struct tc_stats st;
	tc_get_stats(tc, &st);
	uint64_t insns = st.guest_insns, exited = 0;
	for (unsigned m = 0; m <= ZYDIS_MNEMONIC_MAX_VALUE; m++)
		exited += exits[m].n;
	printf("%" PRIu64 " bytes of code, %" PRIu64 " blocks, %" PRIu64 " guest instructions "
	       "translated (%.1f per block)\n", bytes_code, blocks, insns,
	       (double)insns / (double)blocks);
	printf("IDENT %.1f %%, rewritten %.1f %%, exits to the interpreter %" PRIu64
	       " (%.1f %% of all instructions)\n",
	       100.0 * (double)st.insns[BT_CLASS_IDENT] / (double)(insns + exited),
	       100.0 * (double)(insns - st.insns[BT_CLASS_IDENT]) / (double)(insns + exited), exited,
	       100.0 * (double)exited / (double)(insns + exited));
	printf("host code: %.1f bytes per guest instruction (blocks included), %.2f x the guest "
	       "bytes\n", (double)st.host_bytes / (double)insns,
	       (double)st.host_bytes / (double)bytes_code);
	printf("translation: %.2f us per block, %.0f ns per guest instruction\n",
	       (double)ns / (double)blocks / 1000.0, (double)ns / (double)insns);
	printf("instructions the emitter refused: %" PRIu64 ", crossing a page: %" PRIu64
	       ", undecodable bytes: %" PRIu64 "\n", refused, crossing, undecodable);
	qsort(exits, ZYDIS_MNEMONIC_MAX_VALUE + 1, sizeof(exits[0]), by_count);
	printf("exits by mnemonic:");
	for (unsigned k = 0; k < 16 && exits[k].n; k++)
		printf(" %s %" PRIu64, ZydisMnemonicGetString(exits[k].m), exits[k].n);
	printf("\n");
	tc_destroy(tc);
	return 0;
}
