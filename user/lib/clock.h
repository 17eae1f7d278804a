/* SPDX-License-Identifier: GPL-2.0-only */
/* Time in the daemon and the decisions: nanoseconds of CLOCK_MONOTONIC, the clock
 * of bpf_ktime_get_ns, so times the data plane records compare with ours. */
#pragma once
#include <stdint.h>
#include <time.h>

#define MS 1000000ULL		/* ns per ms */

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
