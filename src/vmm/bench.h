/*
 * bench.h - `softvt bench`: the nanobenchmarks under each execution model
 * (vmm/bench.c, docs/BENCHMARKS.md).
 */
#ifndef SOFTVT_VMM_BENCH_H
#define SOFTVT_VMM_BENCH_H

/* argv[0] is "bench"; returns the exit status. */
int bench_main(int argc, char **argv);

#endif
