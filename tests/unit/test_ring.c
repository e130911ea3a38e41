/*
 * test_ring.c - the single-producer/single-consumer byte ring (vmm/ring.c)
 * and the log stream of vmm/hostio.c: order and wrap-around, a full ring,
 * a producer thread that must sleep until the consumer makes room (all
 * bytes arrive, in order, none twice), and a message printed to the log
 * FILE arriving whole in its ring.
 */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/hostio.h"
#include "vmm/ring.h"

START_TEST(order_wrap_and_full)
{
	uint8_t buf[16], out[32];
	struct ring r;
	ring_init(&r, buf, sizeof(buf));
	ck_assert_uint_eq(ring_used(&r), 0);
	ck_assert_uint_eq(ring_pop(&r, out, sizeof(out)), 0);
	ck_assert_uint_eq(ring_push(&r, "0123456789", 10), 10);
	ck_assert_uint_eq(ring_pop(&r, out, 7), 7);
	ck_assert_mem_eq(out, "0123456", 7);
	/* 3 left; 13 more fit, wrapping past the end of buf */
	ck_assert_uint_eq(ring_push(&r, "abcdefghijklmnop", 16), 13);
	ck_assert_uint_eq(ring_free(&r), 0);
	ck_assert_uint_eq(ring_push(&r, "x", 1), 0);
	ck_assert_uint_eq(ring_pop(&r, out, sizeof(out)), 16);
	ck_assert_mem_eq(out, "789abcdefghijklm", 16);
	ck_assert_uint_eq(ring_used(&r), 0);
}
END_TEST

#define STREAM_BYTES (1u << 20)

static struct ring shared;

static void *producer(void *arg)
{
	(void)arg;
	uint8_t chunk[97];
	uint32_t next = 0;
	while (next < STREAM_BYTES) {
		size_t n = sizeof(chunk);
		if (n > STREAM_BYTES - next)
			n = STREAM_BYTES - next;
		for (size_t i = 0; i < n; i++)
			chunk[i] = (uint8_t)((next + i) * 7);
		size_t done = 0;
		while (done < n) {
			done += ring_push(&shared, chunk + done, n - done);
			if (done < n)
				ring_wait_space(&shared, 1000 * 1000 * 1000);
		}
		next += n;
	}
	return NULL;
}

START_TEST(producer_sleeps_until_room)
{
	static uint8_t buf[256];
	ring_init(&shared, buf, sizeof(buf));
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, producer, NULL), 0);
	uint32_t got = 0;
	uint8_t out[61];
	while (got < STREAM_BYTES) {
		size_t n = ring_pop(&shared, out, sizeof(out));
		for (size_t i = 0; i < n; i++)
			ck_assert_uint_eq(out[i], (uint8_t)((got + i) * 7));
		got += (uint32_t)n;
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_eq(ring_used(&shared), 0);
}
END_TEST

START_TEST(log_stream_reaches_its_ring)
{
	struct hostio *io = hostio_create();
	ck_assert_ptr_nonnull(io);
	io->main_tid = 0;   /* no wake-up signal in this test */
	fprintf(io->log, "softvt: guest read of port 0x%04x\n", 0x3f8);
	char out[128] = "";
	size_t n = ring_pop(&io->log_out, out, sizeof(out) - 1);
	out[n] = 0;
	ck_assert_str_eq(out, "softvt: guest read of port 0x03f8\n");
	hostio_destroy(io);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("ring");
	tcase_add_test(tc, order_wrap_and_full);
	tcase_add_test(tc, producer_sleeps_until_room);
	tcase_add_test(tc, log_stream_reaches_its_ring);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
