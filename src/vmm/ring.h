/*
 * ring.h - a single-producer/single-consumer byte ring between two threads.
 *
 * The producer only writes `head`, the consumer only writes `tail`; both are
 * free-running 32-bit counters (the index is counter & (size - 1)), so the
 * ring is empty when head == tail and full when head - tail == size. No
 * lock: a push publishes its bytes with a release store of head, a pop
 * frees its space with a release store of tail. A producer that finds the
 * ring full can sleep in ring_wait_space() (a futex on tail) until the
 * consumer frees space; the consumer wakes it from ring_pop().
 *
 * Example (one thread each):
 *	producer: while (n) { k = ring_push(r, p, n); p += k; n -= k;
 *	                      if (n) ring_wait_space(r, 10 * 1000 * 1000); }
 *	consumer: k = ring_pop(r, buf, sizeof(buf));
 */
#ifndef SOFTVT_VMM_RING_H
#define SOFTVT_VMM_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring {
	uint32_t head;          /* bytes ever pushed (producer) */
	uint32_t tail;          /* bytes ever popped (consumer); futex word */
	uint32_t space_waiter;  /* the producer sleeps on tail */
	uint32_t size;          /* a power of two */
	uint8_t *buf;
};

/* size must be a power of two; buf holds size bytes. */
void ring_init(struct ring *r, uint8_t *buf, uint32_t size);
/* Copies up to n bytes in; returns how many fitted. Producer only. */
size_t ring_push(struct ring *r, const void *src, size_t n);
/* Copies up to n bytes out; returns how many there were. Consumer only. */
size_t ring_pop(struct ring *r, void *dst, size_t n);
/* Bytes waiting in the ring (either side; a snapshot). */
uint32_t ring_used(const struct ring *r);
uint32_t ring_free(const struct ring *r);
/* Producer: sleeps until the consumer pops something or timeout_ns passes. */
void ring_wait_space(struct ring *r, uint64_t timeout_ns);

#endif
