// SPDX-License-Identifier: GPL-2.0-only
/* The peers' records in mg_failover, for show and metrics, every PUBLISH_NS.
 * Rewriting every record each time was the largest part of an idle daemon's CPU
 * with thousands of peers (a batch update of 4,096 records four times a second:
 * a hash-bucket lock and a copy per record). A record says what the peer's
 * fo_peer and addresses say, and only a peer the daemon handled can have changed
 * (every input makes its peer due, sched.c): those are written, plus a slice of
 * the others in turn, so that every record is rewritten at least every
 * PUBLISH_ALL_NS (one deleted or a map pinned anew by hand is filled again) and
 * the newest updated_ns, by which show tells that the daemon runs, stays within
 * PUBLISH_NS of the clock. */
#include "daemon/internal.h"
#include "failover/fo_state.h"

#define PUBLISH_ALL_NS (10000 * MS)	/* every record rewritten at least this often */

static void add(struct daemon *d, size_t n, uint64_t now, struct fo_state_batch *b)
{
	fo_state_batch_add(b, d->peers[n].site->name, &d->peers[n].fo, d->peers[n].addr, now);
}

void peers_publish(struct daemon *d, uint64_t now)
{
	static struct fo_state_batch publish;
	struct sched *s = &d->sched;
	size_t slice = (d->n_peers * (PUBLISH_NS / MS) + PUBLISH_ALL_NS / MS - 1) / (PUBLISH_ALL_NS / MS);
	size_t n;

	if (!s->dirty || s->q.n != d->n_peers) {
		/* No bitmaps (out of memory at the last reset): every record. */
		for (n = 0; n < d->n_peers; n++)
			add(d, n, now, &publish);
	} else if (d->n_peers) {
		/* The next slice's turn, changed or not; then those that changed. */
		for (size_t k = 0; k < slice; k++) {
			n = (s->publish_next + k) % d->n_peers;
			if (sched_next_dirty(d, n) != n)
				add(d, n, now, &publish);
		}
		s->publish_next = (s->publish_next + slice) % d->n_peers;
		for (n = sched_next_dirty(d, 0); n < d->n_peers; n = sched_next_dirty(d, n + 1))
			add(d, n, now, &publish);
	}
	fo_state_batch_flush(&publish, d->state_fd);
	sched_clean(d);
}
