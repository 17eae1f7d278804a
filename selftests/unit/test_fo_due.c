// SPDX-License-Identifier: GPL-2.0-only
/* fo_next_due against the decisions it predicts. Two copies ("twins") of a peer
 * see the same random network: one is handled every 10 ms tick, as the daemon
 * did before issue 17 (counters every 50 ms, replies read as fo_reply_read says,
 * probes, decision, move); the other only when fo_next_due says it is due or an
 * input changed it, as the daemon does now: on the other ticks it only reads the
 * replies its endpoints await (FO_READ_IF_NEW). Their whole state must stay equal
 * at every tick, for hundreds of random runs: endpoints cut and back, latency
 * across the failure window, loss, one-way traffic, WireGuard roaming, a path
 * marked down from outside, peers with and without meshgw, other settings. */
#include "tap.h"
#include "failover/failover.h"
#include "failover/fo_due.h"
#include "lib/clock.h"

#define TICK (10 * MS)
#define RUN_MS 90000
#define SEG 16

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned int pick(unsigned int lo, unsigned int hi)
{
	return lo + (unsigned int)(rnd() % (hi - lo + 1));
}

/* The network: per endpoint, segments of [start, start + len) ms. */
struct seg { uint64_t end_ms; bool up; unsigned int min_ms, jitter_ms, loss_pct; };
struct world {
	struct seg ep[FO_MAX_ENDPOINTS][SEG];
	struct { uint64_t end_ms; bool on; } traffic[SEG];
	bool meshgw;
	uint64_t roam_ms, path_down_ms;
	unsigned int roam_to, path_down_ep;
};

static void world_make(struct world *w, unsigned int n_ep)
{
	memset(w, 0, sizeof(*w));
	for (unsigned int e = 0; e < n_ep; e++) {
		uint64_t t = 0;

		for (int k = 0; k < SEG; k++) {
			struct seg *s = &w->ep[e][k];

			t += pick(100, 15000);
			s->end_ms = k == SEG - 1 ? UINT64_MAX : t;
			s->up = pick(0, 99) < 65;
			s->min_ms = pick(0, 3) ? pick(1, 30) : pick(100, 500);
			s->jitter_ms = pick(0, 2) ? pick(0, 5) : pick(0, 300);
			s->loss_pct = pick(0, 3) ? 0 : pick(1, 40);
		}
	}
	for (uint64_t t = 0, k = 0; k < SEG; k++) {
		t += pick(200, 12000);
		w->traffic[k].end_ms = k == SEG - 1 ? UINT64_MAX : t;
		w->traffic[k].on = pick(0, 1);
	}
	w->meshgw = pick(0, 4) != 0;
	w->roam_ms = pick(0, 2) ? pick(1000, RUN_MS) : UINT64_MAX;
	w->roam_to = pick(0, n_ep - 1);
	w->path_down_ms = pick(0, 3) ? UINT64_MAX : pick(1000, RUN_MS);
	w->path_down_ep = pick(0, n_ep - 1);
}

static const struct seg *seg_at(const struct world *w, unsigned int e, uint64_t t)
{
	int k = 0;

	while (w->ep[e][k].end_ms <= t)
		k++;
	return &w->ep[e][k];
}

static bool traffic_at(const struct world *w, uint64_t t)
{
	int k = 0;

	while (w->traffic[k].end_ms <= t)
		k++;
	return w->traffic[k].on;
}

struct flight { bool used; unsigned int ep; uint32_t seq; uint64_t sent, at; };

struct twin {
	struct fo_peer p;
	bool lazy;
	struct { uint32_t seq; uint64_t rx_ns, rtt_ns; } map[FO_MAX_ENDPOINTS];
	uint64_t recorded, seen;
	int gate;
	struct flight fl[1024];
	uint64_t rx, tx;
	uint64_t due;			/* lazy: next time it is handled */
	bool touch_next;		/* lazy: handled at the next tick whatever due says */
	uint64_t handled, switches;
};

static bool gate_open(struct twin *w)
{
	bool moved = !w->gate || w->recorded != w->seen, open = moved || w->gate == 2;

	w->gate = moved ? 2 : 1;
	w->seen = w->recorded;
	return open;
}

/* An uplink found dead (paths.c, after the decisions, for every peer whether
 * handled or not): the peer is handled at the next tick. */
static void path_down(struct twin *w, const struct world *wd, uint64_t t)
{
	if (t != wd->path_down_ms)
		return;
	fo_path_down(&w->p, wd->path_down_ep);
	w->touch_next = true;
}

static void twin_step(struct twin *w, const struct world *wd, const struct fo_settings *s,
		      uint64_t t0, uint64_t now)
{
	uint64_t t = (now - t0) / MS;
	bool handle, open;
	enum fo_reason why;
	unsigned int to;

	for (unsigned int k = 0; k < 1024; k++) {
		struct flight *f = &w->fl[k];

		if (f->used && f->at <= now) {
			w->map[f->ep].seq = f->seq;
			w->map[f->ep].rx_ns = f->at;
			w->map[f->ep].rtt_ns = f->at - f->sent;
			w->recorded++;
			f->used = false;
		}
	}
	if (t % 100 == 0 && traffic_at(wd, t)) {
		w->tx += 84;
		if (seg_at(wd, w->p.active, t)->up)
			w->rx += 84;
	}
	handle = !w->lazy || w->touch_next || w->due <= now;
	w->touch_next = false;
	if (t % 50 == 0) {
		if (w->p.rx_bytes != w->rx || w->p.tx_bytes != w->tx)
			handle = true;
		fo_note_counters(&w->p, w->rx, w->tx, now);
	}
	/* WireGuard roams (follow_wireguard, first in the tick) */
	if (t == wd->roam_ms && fo_follow(&w->p, s, wd->roam_to, now) != FO_ROAM_NONE)
		handle = true;

	open = gate_open(w);
	for (unsigned int i = 0; i < w->p.n_ep; i++) {
		enum fo_read r = fo_reply_read(&w->p, s, i, now);
		uint64_t before = w->p.ep[i].last_reply_ns;

		if (!w->map[i].rx_ns || r == FO_READ_NONE || (r == FO_READ_IF_NEW && !open))
			continue;
		/* a peer not due never has an ALWAYS read: fo_next_due promised that */
		if (!handle && r == FO_READ_ALWAYS)
			ok(0, "ALWAYS read at %llu ms before due %llu", (unsigned long long)t,
			   (unsigned long long)((w->due - t0) / MS));
		fo_note_reply(&w->p, i, w->map[i].seq, w->map[i].rx_ns, w->map[i].rtt_ns);
		if (w->p.ep[i].last_reply_ns != before)
			handle = true;
	}
	if (!handle) {
		path_down(w, wd, t);
		return;
	}
	w->handled++;
	for (unsigned int i = 0; i < w->p.n_ep; i++) {
		const struct seg *sg = seg_at(wd, i, t);
		uint64_t at;
		uint32_t seq;

		if (!fo_probe_due(&w->p, s, i, now))
			continue;
		seq = fo_probe_sent(&w->p, i, now);
		if (!sg->up || !wd->meshgw || (rnd() % 100) < sg->loss_pct)
			continue;
		at = now + (sg->min_ms + rnd() % (sg->jitter_ms + 1)) * MS + rnd() % MS;
		for (unsigned int k = 0; k < 1024; k++)
			if (!w->fl[k].used) {
				w->fl[k] = (struct flight){ true, i, seq, now, at };
				break;
			}
	}
	to = fo_decide(&w->p, s, now, &why);
	path_down(w, wd, t);
	if (to != w->p.active) {
		fo_switched(&w->p, s, to, why, now);
		w->switches++;
	}
	w->due = fo_next_due(&w->p, s, now);
}

static void settings_make(struct fo_settings *s, int run)
{
	fo_default_settings(s);
	if (run % 3 == 0)
		return;
	s->probe_fast_ms = pick(20, 100);
	s->probe_recover_ms = pick(100, 500);
	s->probe_idle_ms = pick(500, 3000);
	s->probe_standby_ms = pick(2000, 12000);
	s->suspect_ms = pick(50, 300);
	s->fail_ms = pick(100, 800);
	s->plain_fail_ms = pick(500, 2500);
	s->holddown_ms = pick(300, 6000);
}

/* What differs, for the first run that fails. */
static void explain(const struct fo_peer *a, const struct fo_peer *b, uint64_t due, uint64_t t0)
{
	static bool done;
#define D(f) if (a->f != b->f) tap_diag("  %s: every tick %lld, when due %lld", #f, \
				(long long)a->f, (long long)b->f)
	if (done)
		return;
	done = true;
	tap_diag("  lazy twin due at %lld ms; active %u, suspect %d", (long long)((due - t0) / MS),
		 a->active, a->suspect);
	tap_diag("  last_failback %lld ms, active %u/%u", (long long)((a->last_failback_ns - t0) / MS), a->active, b->active);
	D(active); D(suspect); D(all_down_since_ns); D(last_switch_ns); D(failbacks_undone);
	D(nat_hold_until_ns); D(tx_unanswered_since_ns); D(rx_change_ns);
	for (unsigned int i = 0; i < a->n_ep; i++) {
		D(ep[i].state); D(ep[i].last_probe_ns); D(ep[i].unanswered);
		D(ep[i].unanswered_since_ns); D(ep[i].last_reply_ns); D(ep[i].up_since_ns);
		D(ep[i].last_loss_ns); D(ep[i].next_seq);
	}
#undef D
}

/* Both twins over one random world (two streams of random numbers kept in step:
 * each twin draws the same numbers for the same probes). 0, or the ms at which
 * they first differed. */
static uint64_t run_one(int run, uint64_t *handled, uint64_t *ticks, uint64_t *switches)
{
	static struct twin every, lazy;
	struct fo_settings s;
	struct world wd;
	unsigned int n_ep;
	uint64_t t0 = 5000 * MS, seed;

	rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(run + 1);
	n_ep = pick(1, 4);
	settings_make(&s, run);
	world_make(&wd, n_ep);
	memset(&every, 0, sizeof(every));
	memset(&lazy, 0, sizeof(lazy));
	lazy.lazy = true;
	fo_peer_init(&every.p, n_ep, t0);
	fo_peer_init(&lazy.p, n_ep, t0);
	seed = rng;
	for (uint64_t now = t0 + TICK; now <= t0 + RUN_MS * MS; now += TICK) {
		uint64_t r = rnd();

		rng = r;
		twin_step(&every, &wd, &s, t0, now);
		rng = r;
		twin_step(&lazy, &wd, &s, t0, now);
		rng = r ^ seed;
		if (memcmp(&every.p, &lazy.p, sizeof(every.p)) || every.switches != lazy.switches) {
			explain(&every.p, &lazy.p, lazy.due, t0);
			return (now - t0) / MS;
		}
		(*ticks)++;
	}
	*handled += lazy.handled;
	*switches += every.switches;
	return 0;
}

/* A few hand-made states: the due time is the probe interval's, the hold-down's. */
static void test_examples(void)
{
	struct fo_settings s;
	struct fo_peer p;
	uint64_t now = 100000 * MS;

	fo_default_settings(&s);
	fo_peer_init(&p, 2, now);
	is_int(fo_next_due(&p, &s, now) <= now, 1, "never probed: due now");
	fo_probe_sent(&p, 0, now);
	fo_probe_sent(&p, 1, now);
	fo_note_reply(&p, 0, 0, now + MS, MS);
	fo_note_reply(&p, 1, 0, now + MS, MS);
	now += 2 * MS;
	is_int((fo_next_due(&p, &s, now) - now) / MS, 1998,
	       "healthy, idle: the active endpoint's next probe (2 s after the last)");
	p.tx_unanswered_since_ns = now;
	is_int((fo_next_due(&p, &s, now) - now) / MS, 150,
	       "sending unanswered: when it may turn suspect (150 ms)");
	p.tx_unanswered_since_ns = 0;
	fo_switched(&p, &s, 1, FO_REASON_PROBE_LOSS, now);
	fo_probe_sent(&p, 0, now);
	fo_note_reply(&p, 0, 1, now + MS, MS);
	fo_probe_sent(&p, 1, now);
	fo_note_reply(&p, 1, 1, now + MS, MS);
	now += 2 * MS;
	is_int((fo_next_due(&p, &s, now) - now) / MS, 1998,
	       "failed over, endpoint 0 answering: its next probe before the hold-down");
	p.ep[0].last_probe_ns = p.ep[1].last_probe_ns = now;
	s.probe_idle_ms = 10000;
	is_int((fo_next_due(&p, &s, now) - now) / MS, 4998,
	       "  with probes further apart: the hold-down's end (5 s after the move)");
	fo_peer_init(&p, 0, now);
	is_int(fo_next_due(&p, &s, now) == UINT64_MAX, 1, "no endpoints: never due");
}

int main(void)
{
	uint64_t handled = 0, ticks = 0, switches = 0, bad = 0;
	int runs = 400, first_bad = -1;

	test_examples();
	for (int run = 0; run < runs; run++) {
		uint64_t at = run_one(run, &handled, &ticks, &switches);

		if (at && first_bad < 0) {
			first_bad = run;
			tap_diag("run %d: the twins differ at %llu ms", run, (unsigned long long)at);
		}
		bad += at != 0;
	}
	ok(!bad, "%d random runs of %d s: handled only when due, every tick the same state as "
	   "handled every tick (%llu differ)", runs, RUN_MS / 1000, (unsigned long long)bad);
	tap_diag("ticks %llu, handled %llu (%.1f %%), switches %llu", (unsigned long long)ticks,
	     (unsigned long long)handled, 100.0 * (double)handled / (double)(ticks ? ticks : 1),
	     (unsigned long long)switches);
	ok(switches > (uint64_t)runs, "  the runs moved peers (%llu switches)",
	   (unsigned long long)switches);
	ok(handled * 4 < ticks, "  and the due peer was handled on fewer than a quarter of the ticks");
	return tap_done();
}
