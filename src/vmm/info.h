/*
 * info.h - `softvt info`: what this host offers to softvt's engines.
 */
#ifndef SOFTVT_VMM_INFO_H
#define SOFTVT_VMM_INFO_H

#include <stdio.h>

/* Prints the host report; returns 0. */
int info_print(FILE *out);

/* `softvt info --engine NAME`: "NAME: available" (returns 0) or "NAME: unavailable: why" (1). */
int info_engine(const char *name, FILE *out);

#endif
