/*
 * hostio.c - the rings and wake-ups between the vCPU and main threads (see
 * hostio.h).
 *
 * The announce-then-check pattern avoids lost wake-ups without locks: the
 * main thread stores main_asleep = 1 and then looks at the rings; the vCPU
 * thread publishes its bytes (a sequentially consistent store of the
 * ring's head) and then loads main_asleep. One of the two sees the other's
 * store. The signal stays pending while the main thread is not in ppoll
 * (blocked there), so it is never lost either.
 *
 * The log FILE is a fopencookie(3) stream whose write function queues into
 * log_out: stdio formats into the buffer given here (no allocation after
 * set-up) and flushes whole lines.
 */
#define _GNU_SOURCE
#include "vmm/hostio.h"

#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WAIT_SPACE_NS (20 * 1000 * 1000ull)

static ssize_t log_write(void *cookie, const char *buf, size_t n)
{
	struct hostio *io = cookie;
	hostio_put(io, &io->log_out, buf, n);
	hostio_flush(io);
	return (ssize_t)n;
}

struct hostio *hostio_create(void)
{
	struct hostio *io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	ring_init(&io->serial_out, io->serial_out_buf, HOSTIO_OUT_SIZE);
	ring_init(&io->debugcon_out, io->debugcon_out_buf, HOSTIO_OUT_SIZE);
	ring_init(&io->log_out, io->log_out_buf, HOSTIO_OUT_SIZE);
	ring_init(&io->serial_in, io->serial_in_buf, HOSTIO_IN_SIZE);
	io->pid = getpid();
	io->main_tid = (pid_t)syscall(SYS_gettid);
	io->state = HOSTIO_STARTING;
	cookie_io_functions_t fns = { .write = log_write };
	io->log = fopencookie(io, "w", fns);
	if (!io->log) {
		free(io);
		return NULL;
	}
	setvbuf(io->log, io->log_buf, _IOLBF, sizeof(io->log_buf));
	return io;
}

void hostio_destroy(struct hostio *io)
{
	if (!io)
		return;
	fclose(io->log);
	free(io);
}

static void wake_main(struct hostio *io)
{
	if (__atomic_load_n(&io->main_asleep, __ATOMIC_SEQ_CST) &&
	    __atomic_exchange_n(&io->main_asleep, 0, __ATOMIC_SEQ_CST))
		syscall(SYS_tgkill, io->pid, io->main_tid, HOSTIO_WAKE_SIGNAL);
}

void hostio_put(struct hostio *io, struct ring *r, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n) {
		size_t k = ring_push(r, p, n);
		p += k;
		n -= k;
		if (n) {
			wake_main(io);
			ring_wait_space(r, WAIT_SPACE_NS);
		}
	}
	if (ring_used(r) >= r->size / 2)
		wake_main(io);
}

void hostio_flush(struct hostio *io)
{
	if (hostio_pending_output(io))
		wake_main(io);
}

void hostio_vcpu_wait(struct hostio *io, uint32_t seq, uint64_t timeout_ns)
{
	struct timespec ts = { (time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u) };
	syscall(SYS_futex, &io->vcpu_seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
}

void hostio_set_state(struct hostio *io, enum hostio_state s)
{
	__atomic_store_n(&io->state, (uint32_t)s, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &io->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	__atomic_store_n(&io->main_asleep, 1, __ATOMIC_SEQ_CST);
	wake_main(io);
}

void hostio_wake_vcpu(struct hostio *io)
{
	__atomic_add_fetch(&io->vcpu_seq, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &io->vcpu_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

uint32_t hostio_pending_output(const struct hostio *io)
{
	return ring_used(&io->serial_out) + ring_used(&io->debugcon_out) +
	       ring_used(&io->log_out);
}

/*
 * Input that is there before the guest starts (a pipe) must reach COM1 at
 * the guest's first device poll, as when the run loop read the fd itself:
 * firmware that resets the UART FIFO early depends on it.
 */
void hostio_wait_primed(struct hostio *io)
{
	struct timespec ts = { 1, 0 };   /* bounded: a main thread that died must not hang us */
	while (!__atomic_load_n(&io->input_primed, __ATOMIC_ACQUIRE))
		if (syscall(SYS_futex, &io->input_primed, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0) < 0 &&
		    errno == ETIMEDOUT)
			return;
}

void hostio_set_primed(struct hostio *io)
{
	__atomic_store_n(&io->input_primed, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &io->input_primed, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

enum hostio_state hostio_wait_state(struct hostio *io, enum hostio_state from)
{
	uint32_t s;
	while ((s = __atomic_load_n(&io->state, __ATOMIC_SEQ_CST)) == (uint32_t)from)
		syscall(SYS_futex, &io->state, FUTEX_WAIT_PRIVATE, s, NULL, NULL, 0);
	return (enum hostio_state)s;
}
