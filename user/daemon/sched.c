// SPDX-License-Identifier: GPL-2.0-only
/* Which peers the tick handles (issue 17). The daemon used to read, probe and
 * decide for every peer every 10 ms; most of its idle CPU went there. Now each
 * peer has a due time (failover/fo_due.h, plus its name lookups) in a timer
 * queue, an input that changes a peer (counters, a reply, roaming) makes it due
 * at once, and the timerfd is set to the first 10 ms tick at which anything is
 * due. The ticks are the same grid as before (10 ms from the start), and a peer
 * is handled on every tick at which handling it could change anything, so the
 * decisions and their timing are those of the 10 ms walk.
 *
 * Within a tick: inputs touch peers (due bit), sched_collect adds the peers whose
 * time has come, the loop handles the due bits in peer order, sched_done files
 * each handled peer's next due time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include "daemon/internal.h"
#include "failover/fo_due.h"

#define BIT(b, n) ((b)[(n) / 64] & (1ULL << ((n) % 64)))
#define SET(b, n) ((b)[(n) / 64] |= 1ULL << ((n) % 64))
#define CLR(b, n) ((b)[(n) / 64] &= ~(1ULL << ((n) % 64)))

void sched_free(struct sched *s)
{
	timerq_free(&s->q);
	free(s->due);
	free(s->awaits);
	free(s->dirty);
	s->due = s->awaits = s->dirty = NULL;
	s->words = 0;
}

/* Every peer due at once (start, reload): the first tick handles them all, as
 * the walk did. */
int sched_reset(struct daemon *d)
{
	struct sched *s = &d->sched;

	sched_free(s);
	s->words = (d->n_peers + 63) / 64 + 1;
	s->due = calloc(s->words, sizeof(*s->due));
	s->awaits = calloc(s->words, sizeof(*s->awaits));
	s->dirty = calloc(s->words, sizeof(*s->dirty));
	s->publish_next = 0;
	if (!s->due || !s->awaits || !s->dirty || timerq_init(&s->q, d->n_peers)) {
		sched_free(s);
		return -ENOMEM;
	}
	for (size_t n = 0; n < d->n_peers; n++)
		timerq_set(&s->q, (uint32_t)n, 0);
	return 0;
}

void sched_touch(struct daemon *d, size_t n)
{
	struct sched *s = &d->sched;

	/* s->q.n: the peers of the last sched_reset (a reload's new list may be
	 * touched before its own reset, and is then all due anyway) */
	if (n >= s->q.n || !s->due)
		return;
	SET(s->due, n);
	/* Outside a tick (a probe socket's reply): at the next one. */
	if (!s->in_tick)
		timerq_set(&s->q, (uint32_t)n, 0);
}

void sched_collect(struct daemon *d, uint64_t now)
{
	struct sched *s = &d->sched;
	uint32_t n;

	while (timerq_first(&s->q, &n) <= now) {
		SET(s->due, n);
		timerq_set(&s->q, n, UINT64_MAX);	/* sched_done files the next */
	}
}

/* The next peer at or after n with a bit set in a, or in b (NULL: none), or
 * d->n_peers: a word at a time, so a tick that handles a few peers of thousands
 * does not look at the others one by one. */
static size_t next_bit(const struct daemon *d, const uint64_t *a, const uint64_t *b, size_t n)
{
	if (!a || d->sched.q.n != d->n_peers)
		return d->n_peers;
	while (n < d->n_peers) {
		uint64_t w = (a[n / 64] | (b ? b[n / 64] : 0)) >> (n % 64);

		if (w)
			return n + (size_t)__builtin_ctzll(w);
		n = (n / 64 + 1) * 64;
	}
	return d->n_peers;
}

size_t sched_next(const struct daemon *d, size_t n)
{
	return next_bit(d, d->sched.due, NULL, n);
}

/* The peers read_probe_replies looks at: the due ones, and while the data plane
 * has recorded a reply since the last tick, those awaiting one. A peer that is
 * not due has no FO_READ_ALWAYS record (fo_due.h), and FO_READ_IF_NEW ones wait
 * for a recorded reply: the others would read nothing. */
size_t sched_next_read(const struct daemon *d, size_t n, bool awaiting)
{
	return next_bit(d, d->sched.due, awaiting ? d->sched.awaits : NULL, n);
}

size_t sched_next_dirty(const struct daemon *d, size_t n)
{
	return next_bit(d, d->sched.dirty, NULL, n);
}

void sched_clean(struct daemon *d)
{
	if (d->sched.dirty)
		memset(d->sched.dirty, 0, d->sched.words * sizeof(*d->sched.dirty));
}

/* The name lookups of actions.c's resolve_names: polled every tick while one runs,
 * started again 30 s (2 s in trouble) after the last, or at once when asked. */
static uint64_t resolve_due(const struct daemon_peer *p, uint64_t now)
{
	bool names = false, trouble = p->fo.suspect || p->fo.ep[p->fo.active].state == FO_EP_DOWN;

	for (unsigned int e = 0; e < p->n_site_ep; e++) {
		if (p->site->endpoints[e].is_literal)
			continue;
		if (p->res[e].busy)
			return now;
		names = true;
	}
	if (!names)
		return UINT64_MAX;	/* nothing to look up: the 30 s change nothing */
	if (!p->next_resolve_ns)
		return now;
	return p->last_resolve_ns + (trouble ? RESOLVE_TROUBLE_NS : RESOLVE_NS);
}

/* An endpoint whose newest probe's reply is not in yet: while the data plane
 * records replies, read_probe_replies looks at it every tick (FO_READ_IF_NEW). */
static bool awaits_reply(const struct daemon *d, const struct daemon_peer *p, uint64_t now)
{
	for (unsigned int i = 0; i < p->fo.n_ep; i++)
		if (p->addr[i].ss_family && path_reply_in_map(d, p, i) &&
		    fo_reply_read(&p->fo, &d->fo, i, now) != FO_READ_NONE)
			return true;
	return false;
}

void sched_done(struct daemon *d, uint64_t now, bool all_next)
{
	struct sched *s = &d->sched;

	for (size_t n = sched_next(d, 0); n < d->n_peers; n = sched_next(d, n + 1)) {
		const struct daemon_peer *p = &d->peers[n];
		uint64_t due = fo_next_due(&p->fo, &d->fo, now), r = resolve_due(p, now);

		timerq_set(&s->q, (uint32_t)n, r < due ? r : due);
		if (awaits_reply(d, p, now))
			SET(s->awaits, n);
		else
			CLR(s->awaits, n);
	}
	/* Only a handled peer's record can have changed (every input makes its
	 * peer due): those are the ones publish.c writes. */
	for (size_t w = 0; s->due && w < s->words; w++) {
		s->dirty[w] |= s->due[w];
		s->due[w] = 0;
	}
	/* Peers changed from outside their turn (an uplink found dead or alive
	 * again moved them, or marked their paths down): all at the next tick. */
	for (size_t n = 0; all_next && n < d->n_peers; n++)
		timerq_set(&s->q, (uint32_t)n, 0);
}

static bool any(const uint64_t *b, size_t words)
{
	for (size_t w = 0; w < words; w++)
		if (b[w])
			return true;
	return false;
}

/* The first tick of the grid at or after t, and after the tick just run. */
static uint64_t grid_after(const struct sched *s, uint64_t t)
{
	uint64_t k;

	if (t <= s->tick_ns)
		t = s->tick_ns + 1;
	if (t < s->tick0)
		return s->tick0;
	k = (t - s->tick0 + TICK_NS - 1) / TICK_NS;
	return s->tick0 + k * TICK_NS;
}

void sched_tick_start(struct daemon *d, uint64_t now)
{
	struct sched *s = &d->sched;

	s->in_tick = true;
	s->tick_ns = now < s->tick0 ? s->tick0 : s->tick0 + (now - s->tick0) / TICK_NS * TICK_NS;
}

void sched_tick_end(struct daemon *d)
{
	d->sched.in_tick = false;
}

/* When the next tick is needed: the earliest of the peers' due times and the
 * periodic jobs of daemon.c's tick. */
static uint64_t next_wake(const struct daemon *d)
{
	const struct sched *s = &d->sched;
	uint64_t t = timerq_first(&s->q, NULL), x;

#define EARLIER(v) do { x = (v); if (x < t) t = x; } while (0)
	EARLIER(d->next_wgsync_ns);
	EARLIER(d->next_ifaces_ns);
	EARLIER(d->next_counters_ns);
	if (d->state_fd >= 0)
		EARLIER(d->next_publish_ns);
	EARLIER(exit_next_due(d));
	/* Several uplinks: the routes and sockets every second (paths_refresh), and
	 * an uplink found dead when its answers age (uplink_fail.c). */
	if (d->steer_on)
		EARLIER(d->next_steer_ns);
	EARLIER(paths_next_due(d));
	/* Every tick: a reply the data plane may record for an awaiting endpoint
	 * counts within a tick. */
	if (d->maps.fd.probes >= 0 && s->awaits && any(s->awaits, s->words))
		EARLIER(0);
#undef EARLIER
	return t;
}

int sched_arm(struct daemon *d)
{
	struct sched *s = &d->sched;
	uint64_t t = grid_after(s, next_wake(d));
	struct itimerspec its = { 0 };

	if (t == s->armed)
		return 0;
	its.it_value.tv_sec = (time_t)(t / 1000000000ULL);
	its.it_value.tv_nsec = (long)(t % 1000000000ULL);
	if (timerfd_settime(d->timerfd, TFD_TIMER_ABSTIME, &its, NULL))
		return -errno;
	s->armed = t;
	return 0;
}
