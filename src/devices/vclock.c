/*
 * vclock.c - the host clock behind struct vclock (see io.h).
 */
#include "devices/io.h"

#include <time.h>

uint64_t vclock_host_now(struct vclock *clock)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec - clock->origin_ns;
}
