// SPDX-License-Identifier: GPL-2.0-only
/* Timer queue; see timerq.h. Every id always has a place in the heap (an id not
 * queued is due at UINT64_MAX and sinks), so setting a time is one sift. */
#include <errno.h>
#include <stdlib.h>
#include "lib/timerq.h"

static void swap(struct timerq *q, size_t a, size_t b)
{
	uint32_t t = q->heap[a];

	q->heap[a] = q->heap[b];
	q->heap[b] = t;
	q->pos[q->heap[a]] = (uint32_t)a;
	q->pos[q->heap[b]] = (uint32_t)b;
}

static void sift_up(struct timerq *q, size_t i)
{
	while (i && q->at[q->heap[(i - 1) / 2]] > q->at[q->heap[i]]) {
		swap(q, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct timerq *q, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < q->n && q->at[q->heap[l]] < q->at[q->heap[m]])
			m = l;
		if (r < q->n && q->at[q->heap[r]] < q->at[q->heap[m]])
			m = r;
		if (m == i)
			return;
		swap(q, i, m);
		i = m;
	}
}

int timerq_init(struct timerq *q, size_t n)
{
	q->n = n;
	q->at = malloc((n ? n : 1) * sizeof(*q->at));
	q->heap = malloc((n ? n : 1) * sizeof(*q->heap));
	q->pos = malloc((n ? n : 1) * sizeof(*q->pos));
	if (!q->at || !q->heap || !q->pos) {
		timerq_free(q);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		q->at[i] = UINT64_MAX;
		q->heap[i] = (uint32_t)i;
		q->pos[i] = (uint32_t)i;
	}
	return 0;
}

void timerq_free(struct timerq *q)
{
	free(q->at);
	free(q->heap);
	free(q->pos);
	q->at = NULL;
	q->heap = q->pos = NULL;
	q->n = 0;
}

void timerq_set(struct timerq *q, uint32_t id, uint64_t t)
{
	uint64_t old;

	if (id >= q->n)
		return;
	old = q->at[id];
	q->at[id] = t;
	if (t < old)
		sift_up(q, q->pos[id]);
	else if (t > old)
		sift_down(q, q->pos[id]);
}

uint64_t timerq_first(const struct timerq *q, uint32_t *id)
{
	if (!q->n)
		return UINT64_MAX;
	if (id)
		*id = q->heap[0];
	return q->at[q->heap[0]];
}
