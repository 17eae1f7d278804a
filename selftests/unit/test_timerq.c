// SPDX-License-Identifier: GPL-2.0-only
/* The timer queue against a plain array scanned for its minimum, through random
 * sets of 4,096 ids (earlier, later, never), and its edge cases. */
#include "tap.h"
#include "lib/timerq.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(void)
{
	enum { N = 4096 };
	static uint64_t ref[N];
	struct timerq q;
	uint32_t id = 7;
	int bad = 0;

	ok(!timerq_init(&q, 0), "empty queue");
	is_int(timerq_first(&q, &id) == UINT64_MAX, 1, "  nothing due");
	timerq_set(&q, 0, 5);
	is_int(timerq_first(&q, &id) == UINT64_MAX && id == 7, 1, "  an id out of range is ignored");
	timerq_free(&q);

	ok(!timerq_init(&q, N), "4,096 ids");
	is_int(timerq_first(&q, NULL) == UINT64_MAX, 1, "  none queued: nothing due");
	for (int i = 0; i < N; i++)
		ref[i] = UINT64_MAX;
	for (int step = 0; step < 200000; step++) {
		uint32_t k = (uint32_t)(rnd() % N), got;
		uint64_t t = rnd() % 8 == 0 ? UINT64_MAX : rnd() % 100000, want = UINT64_MAX, first;

		timerq_set(&q, k, t);
		ref[k] = t;
		if (step % 97)
			continue;
		for (int i = 0; i < N; i++)
			if (ref[i] < want)
				want = ref[i];
		first = timerq_first(&q, &got);
		bad += first != want || (want != UINT64_MAX && ref[got] != want);
	}
	is_int(bad, 0, "  random sets: the first is always the earliest, and its id is due then");
	/* drain in order: set each first to never */
	{
		uint64_t last = 0;
		int order = 0, n = 0;

		for (;;) {
			uint64_t t = timerq_first(&q, &id);

			if (t == UINT64_MAX)
				break;
			order += t < last;
			last = t;
			timerq_set(&q, id, UINT64_MAX);
			n++;
		}
		is_int(order, 0, "  drained in time order");
		ok(n > N / 2, "  (%d queued)", n);
	}
	timerq_free(&q);
	return tap_done();
}
