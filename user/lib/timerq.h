/* SPDX-License-Identifier: GPL-2.0-only */
/* A timer queue: ids 0..n-1, each with a due time, the earliest found in O(1) and
 * any id's time changed in O(log n) (a binary min-heap that knows where each id
 * sits). The daemon keeps one entry per peer (issue 17). */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct timerq {
	uint64_t *at;		/* at[id]: due time, UINT64_MAX = not queued */
	uint32_t *heap;		/* ids, heap-ordered by at[] */
	uint32_t *pos;		/* pos[id]: index in heap */
	size_t n;		/* ids */
};

/* n ids, none queued. 0 or -ENOMEM. */
int timerq_init(struct timerq *q, size_t n);
void timerq_free(struct timerq *q);
/* id due at t (UINT64_MAX: never). */
void timerq_set(struct timerq *q, uint32_t id, uint64_t t);
/* The earliest due time (UINT64_MAX when none), and its id in *id. */
uint64_t timerq_first(const struct timerq *q, uint32_t *id);
