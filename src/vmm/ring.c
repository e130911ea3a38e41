/*
 * ring.c - the single-producer/single-consumer byte ring (see ring.h).
 *
 * Memory order: the producer writes the bytes, then stores head with
 * release; the consumer loads head with acquire before reading them (and
 * symmetrically for tail and the space it frees). The wait for space is a
 * futex on tail with the value the producer saw, announced by
 * space_waiter: the consumer wakes only when someone announced a wait, so
 * the common pop costs no system call. The announcement is sequentially
 * consistent on both sides (the producer stores space_waiter then reloads
 * tail; the consumer stores tail then loads space_waiter), so a wait that
 * races with a pop either sees the new tail or is woken.
 */
#define _GNU_SOURCE
#include "vmm/ring.h"

#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void ring_init(struct ring *r, uint8_t *buf, uint32_t size)
{
	r->head = 0;
	r->tail = 0;
	r->space_waiter = 0;
	r->size = size;
	r->buf = buf;
}

uint32_t ring_used(const struct ring *r)
{
	return __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
}

uint32_t ring_free(const struct ring *r)
{
	return r->size - ring_used(r);
}

size_t ring_push(struct ring *r, const void *src, size_t n)
{
	uint32_t head = r->head;   /* only we write it */
	uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	uint32_t space = r->size - (head - tail);
	if (n > space)
		n = space;
	uint32_t at = head & (r->size - 1);
	size_t first = r->size - at < n ? r->size - at : n;
	memcpy(r->buf + at, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
	__atomic_store_n(&r->head, head + (uint32_t)n, __ATOMIC_SEQ_CST);
	return n;
}

size_t ring_pop(struct ring *r, void *dst, size_t n)
{
	uint32_t tail = r->tail;   /* only we write it */
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint32_t used = head - tail;
	if (n > used)
		n = used;
	if (n == 0)
		return 0;
	uint32_t at = tail & (r->size - 1);
	size_t first = r->size - at < n ? r->size - at : n;
	memcpy(dst, r->buf + at, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
	__atomic_store_n(&r->tail, tail + (uint32_t)n, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->space_waiter, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&r->space_waiter, 0, __ATOMIC_RELAXED);
		syscall(SYS_futex, &r->tail, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	return n;
}

void ring_wait_space(struct ring *r, uint64_t timeout_ns)
{
	uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	__atomic_store_n(&r->space_waiter, 1, __ATOMIC_SEQ_CST);
	if (r->head - __atomic_load_n(&r->tail, __ATOMIC_SEQ_CST) < r->size)
		return;   /* space appeared meanwhile */
	struct timespec ts = { (time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u) };
	syscall(SYS_futex, &r->tail, FUTEX_WAIT_PRIVATE, tail, &ts, NULL, 0);
}
