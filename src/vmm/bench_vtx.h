/*
 * bench_vtx.h - `softvt bench`'s MODELLED hardware-assisted columns, shown
 * where no hardware-assisted engine runs: per nanobenchmark operation, the
 * VM exits a VT-x monitor would take without and with EPT (counted by the
 * interpreter, cpu/vtx_model.h) priced with a published exit cost
 * (vmm/stats_vtx.c). vmm/bench.c calls these hooks; docs/VTX_MODEL.md.
 */
#ifndef SOFTVT_VMM_BENCH_VTX_H
#define SOFTVT_VMM_BENCH_VTX_H

#include <stddef.h>
#include <stdio.h>

#include "vmm/json.h"

struct vtx_bench;

/*
 * Runs guests/nanobench under the interpreter once per operation (and once
 * with none) with vtx-model=NAME and --stats-json. Never NULL unless out of
 * memory; a failure is kept as its reason and printed by the hooks.
 */
struct vtx_bench *vtx_bench_run(const char *self, const char *dir, const char *const *ops,
				size_t nops);
void vtx_bench_free(struct vtx_bench *b);

/* Markdown: the two column headers (" A | B |"), their separator, a row's two cells. */
void vtx_bench_md_head(FILE *f, const struct vtx_bench *b);
void vtx_bench_md_sep(FILE *f, const struct vtx_bench *b);
void vtx_bench_md_cells(FILE *f, const struct vtx_bench *b, size_t op);
/* Markdown: the paragraph under the table that says what the columns are. */
void vtx_bench_md_notes(FILE *f, const struct vtx_bench *b);
/* JSON: the "vtx_model" object (every generation's cost). */
void vtx_bench_json(struct json *j, const struct vtx_bench *b);

#endif
