/*
 * demo.h - `softvt demo`: the teaching demonstrations (docs/DEMOS.md).
 */
#ifndef SOFTVT_VMM_DEMO_H
#define SOFTVT_VMM_DEMO_H

/* argv[0] is "demo"; returns the exit status. */
int demo_main(int argc, char **argv);

#endif
