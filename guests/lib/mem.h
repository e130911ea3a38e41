/* mem.h - the memory functions GCC may call even in freestanding code. */
#ifndef GUEST_MEM_H
#define GUEST_MEM_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
