// SPDX-License-Identifier: GPL-2.0-only
/* Failover decisions under a simulated clock and network: each endpoint is
 * reachable or not; a ping-like flow sends every 100 ms and is answered only
 * through a reachable active endpoint; probes are answered 1 ms later when
 * their endpoint is reachable. */
#include "tap.h"
#include "failover/failover.h"
#include "lib/clock.h"

#define TICK (10 * MS)

struct sim {
	struct fo_peer p;
	struct fo_settings s;
	uint64_t now;
	bool reachable[FO_MAX_ENDPOINTS];
	bool traffic;
	bool answers_probes;		/* false: plain WireGuard peer */
	uint64_t rx, tx;
	uint64_t probes;		/* probe frames sent, all endpoints */
	unsigned int switches;
	uint64_t last_switch_ns;
	enum fo_reason last_reason;
	struct { bool pending; uint32_t seq; uint64_t at, sent; } reply[FO_MAX_ENDPOINTS];
};

static void sim_init(struct sim *m, unsigned int n_ep, bool meshgw)
{
	memset(m, 0, sizeof(*m));
	fo_default_settings(&m->s);
	m->now = 1000 * MS;
	fo_peer_init(&m->p, n_ep, m->now);
	for (unsigned int i = 0; i < n_ep; i++)
		m->reachable[i] = true;
	m->answers_probes = meshgw;
}

static void sim_step(struct sim *m)
{
	enum fo_reason why;
	unsigned int to;

	m->now += TICK;
	if (m->traffic && (m->now / MS) % 100 == 0) {
		m->tx += 84;
		if (m->reachable[m->p.active])
			m->rx += 84;
	}
	fo_note_counters(&m->p, m->rx, m->tx, m->now);
	for (unsigned int i = 0; i < m->p.n_ep; i++) {
		if (m->reply[i].pending && m->reply[i].at <= m->now) {
			fo_note_reply(&m->p, i, m->reply[i].seq, m->reply[i].at,
				      m->reply[i].at - m->reply[i].sent);
			m->reply[i].pending = false;
		}
		if (fo_probe_due(&m->p, &m->s, i, m->now)) {
			uint32_t seq = fo_probe_sent(&m->p, i, m->now);

			m->probes++;
			if (m->reachable[i] && m->answers_probes) {
				m->reply[i].pending = true;
				m->reply[i].seq = seq;
				m->reply[i].sent = m->now;
				m->reply[i].at = m->now + MS;
			}
		}
	}
	to = fo_decide(&m->p, &m->s, m->now, &why);
	if (to != m->p.active) {
		fo_switched(&m->p, &m->s, to, why, m->now);
		m->switches++;
		m->last_switch_ns = m->now;
		m->last_reason = why;
	}
}

static void sim_run(struct sim *m, uint64_t ms)
{
	uint64_t end = m->now + ms * MS;

	while (m->now < end)
		sim_step(m);
}

/* Runs until the active endpoint is `want` or ms pass; returns elapsed ms. */
static uint64_t sim_until_active(struct sim *m, unsigned int want, uint64_t ms)
{
	uint64_t start = m->now;

	while (m->p.active != want && m->now - start < ms * MS)
		sim_step(m);
	return (m->now - start) / MS;
}

/* --- Reading mg_probes only when fo_reply_read() says so --------------------------
 * Two copies ("twins") of a peer see the same scripted network. Replies land in a
 * model of the data plane: mg_probes (the latest reply per endpoint) and the count
 * of replies recorded. One twin reads every record every tick, as the daemon did;
 * the other reads as the daemon does now (dp_probes_recorded + fo_reply_read). In
 * the daemon's order: counters every 50 ms, replies, probes, decision. */

struct flight {
	bool used;
	unsigned int ep;
	uint32_t seq;
	uint64_t sent, at;
};

struct twin {
	struct fo_peer p;
	bool lazy;
	struct { uint32_t seq; uint64_t rx_ns, rtt_ns; } map[FO_MAX_ENDPOINTS];
	uint64_t recorded, seen;	/* the reply count, and at the last look */
	int gate;			/* 0 never looked, 1 unchanged, 2 moved */
	struct flight fl[512];
	uint64_t last_at[FO_MAX_ENDPOINTS];	/* FIFO paths: no reply overtakes */
	uint64_t rx, tx, reads, switches;
	uint64_t overtaken;		/* replies landing after a newer one */
};

/* The network at time t (ms from the start) for endpoint e. */
struct path { bool up; unsigned int min_ms, jitter_ms, loss_pct; };

static struct path script(unsigned int e, uint64_t t)
{
	struct path fast = { true, 1, 2, 0 }, down = { false, 0, 0, 0 };

	if (t < 5000)
		return fast;
	if (t < 8000)		/* ISP 0 cut */
		return e == 0 ? down : fast;
	if (t < 20000)		/* back: failback after the hold-down */
		return fast;
	if (t < 30000)		/* jitter across ticks and probe intervals, losses */
		return (struct path){ true, 20, 250, 5 };
	if (t < 40000)		/* replies later than the failure window */
		return e == 0 ? (struct path){ true, 350, 250, 0 } : fast;
	if (t < 60000)		/* both down for 20 s: idle-rate probing */
		return down;
	if (t < 70000)		/* one back, answering late */
		return e == 1 ? (struct path){ true, 400, 100, 0 } : down;
	if (t < 80000)
		return fast;
	if (t < 90000)		/* flapping */
		return e == 0 && (t / 170) % 2 ? down : fast;
	return fast;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void twin_step(struct twin *w, const struct fo_settings *s, uint64_t t0, uint64_t now,
		      bool fifo)
{
	uint64_t t = (now - t0) / MS;
	bool open, moved;
	enum fo_reason why;
	unsigned int to;

	for (unsigned int k = 0; k < 512; k++) {
		struct flight *f = &w->fl[k];

		if (f->used && f->at <= now) {
			if (w->map[f->ep].rx_ns && f->seq < w->map[f->ep].seq)
				w->overtaken++;
			w->map[f->ep].seq = f->seq;
			w->map[f->ep].rx_ns = f->at;
			w->map[f->ep].rtt_ns = f->at - f->sent;
			w->recorded++;
			f->used = false;
		}
	}
	/* LAN traffic every 100 ms, answered through a live path, but not from 20 s
	 * to 30 s (a silent host: the peer turns suspect, its paths are probed every
	 * 50 ms while their replies jitter by more than that); none while both paths
	 * are down (no passive moves: probes alone). */
	if (t >= 2000 && (t < 40000 || t >= 60000) && t % 100 == 0) {
		w->tx += 84;
		if (script(w->p.active, t).up && (t < 20000 || t >= 30000))
			w->rx += 84;
	}
	if (t % 50 == 0)
		fo_note_counters(&w->p, w->rx, w->tx, now);

	moved = !w->gate || w->recorded != w->seen;
	open = moved || w->gate == 2;
	w->gate = moved ? 2 : 1;
	w->seen = w->recorded;
	for (unsigned int i = 0; i < w->p.n_ep; i++) {
		enum fo_read r = fo_reply_read(&w->p, s, i, now);

		if (!w->map[i].rx_ns)
			continue;	/* no record: the lookup fails */
		if (w->lazy && (r == FO_READ_NONE || (r == FO_READ_IF_NEW && !open)))
			continue;
		w->reads++;
		fo_note_reply(&w->p, i, w->map[i].seq, w->map[i].rx_ns, w->map[i].rtt_ns);
	}

	for (unsigned int i = 0; i < w->p.n_ep; i++) {
		struct path pa = script(i, t);
		uint64_t h, at;
		uint32_t seq;

		if (!fo_probe_due(&w->p, s, i, now))
			continue;
		seq = fo_probe_sent(&w->p, i, now);
		h = mix(((uint64_t)i << 40) ^ ((uint64_t)seq << 8) ^ now);
		if (!pa.up || h % 100 < pa.loss_pct)
			continue;
		at = now + (pa.min_ms + (h >> 8) % (pa.jitter_ms + 1)) * MS;
		if (fifo && at <= w->last_at[i])
			at = w->last_at[i] + 1;
		w->last_at[i] = at;
		for (unsigned int k = 0; k < 512; k++)
			if (!w->fl[k].used) {
				w->fl[k] = (struct flight){ true, i, seq, now, at };
				break;
			}
	}

	to = fo_decide(&w->p, s, now, &why);
	if (to != w->p.active) {
		fo_switched(&w->p, s, to, why, now);
		w->switches++;
	}
	/* WireGuard roams once (a peer NATed elsewhere), followed by both; not right
	 * after a move back (that would be the far NAT hold, tested apart) */
	if (t == 26000)
		fo_follow(&w->p, s, 1, now);
}

/* Runs both twins over the script; returns the ms at which they first differed
 * (their whole state when fifo, their decisions otherwise), or 0. */
static uint64_t twins_run(struct twin *every, struct twin *lazy, const struct fo_settings *s,
			  bool fifo)
{
	uint64_t t0 = 1000 * MS;

	memset(every, 0, sizeof(*every));
	memset(lazy, 0, sizeof(*lazy));
	lazy->lazy = true;
	fo_peer_init(&every->p, 2, t0);
	fo_peer_init(&lazy->p, 2, t0);
	for (uint64_t now = t0 + TICK; now <= t0 + 100000 * MS; now += TICK) {
		bool same = true;

		twin_step(every, s, t0, now, fifo);
		twin_step(lazy, s, t0, now, fifo);
		if (fifo)
			same = !memcmp(&every->p, &lazy->p, sizeof(every->p));
		same = same && every->p.active == lazy->p.active &&
		       every->switches == lazy->switches && every->p.suspect == lazy->p.suspect;
		for (unsigned int i = 0; i < 2; i++)
			same = same && every->p.ep[i].state == lazy->p.ep[i].state;
		if (!same)
			return (now - t0) / MS;
	}
	return 0;
}

static void test_reply_reads(void)
{
	struct twin a, b;
	struct fo_settings s;
	struct fo_peer p;
	uint64_t now = 1000 * MS, t;
	uint32_t seq;

	fo_default_settings(&s);
	fo_peer_init(&p, 2, now);
	is_int(fo_reply_read(&p, &s, 0, now), FO_READ_ALWAYS,
	       "reply record: read before the first probe (a restarted daemon's record)");
	seq = fo_probe_sent(&p, 0, now);
	fo_probe_sent(&p, 1, now);
	is_int(fo_reply_read(&p, &s, 0, now + TICK), FO_READ_IF_NEW,
	       "probe in flight: read when replies were recorded");
	fo_note_reply(&p, 0, seq, now + 3 * MS, 3 * MS);
	is_int(fo_reply_read(&p, &s, 0, now + TICK), FO_READ_NONE,
	       "newest probe answered: not read");
	is_int(fo_reply_read(&p, &s, 0, now + 2000 * MS), FO_READ_ALWAYS,
	       "next probe due: read first (a late reply counts before it)");
	is_int(fo_reply_read(&p, &s, 1, now + 9000 * MS), FO_READ_IF_NEW,
	       "unanswered for 9 s: still read when replies come (no time limit)");
	is_int(fo_reply_read(&p, &s, 7, now), FO_READ_NONE, "endpoint index out of range: none");

	/* A record left by an earlier daemon with the sequence number of our newest
	 * probe but from before it does not answer it. */
	fo_peer_init(&p, 1, now);
	fo_note_reply(&p, 0, 0, now - 500 * MS, MS);
	fo_probe_sent(&p, 0, now);
	is_int(fo_reply_read(&p, &s, 0, now + TICK), FO_READ_IF_NEW,
	       "an older record with the newest probe's number: still awaiting the reply");

	/* Overtaken: probe 1's reply seen before probe 0's. */
	fo_peer_init(&p, 1, now);
	fo_probe_sent(&p, 0, now);
	seq = fo_probe_sent(&p, 0, now + 50 * MS);
	fo_note_reply(&p, 0, seq, now + 60 * MS, 10 * MS);
	is_int(fo_reply_read(&p, &s, 0, now + 70 * MS), FO_READ_NONE,
	       "newest answered, an older probe outstanding: its straggler waits");
	fo_note_reply(&p, 0, seq - 1, now + 55 * MS, 55 * MS);
	is_int(p.ep[0].replies, 1, "  (a straggler older than the reply seen changes nothing)");

	/* Sending without receiving: the active endpoint's reply decides suspicion. */
	fo_peer_init(&p, 2, now);
	fo_probe_sent(&p, 0, now);
	fo_probe_sent(&p, 1, now);
	fo_note_reply(&p, 0, 0, now + MS, MS);
	fo_note_reply(&p, 1, 0, now + MS, MS);
	fo_note_counters(&p, 0, 100, now + 100 * MS);
	is_int(fo_reply_read(&p, &s, 0, now + 200 * MS), FO_READ_NONE,
	       "tx unanswered for 100 ms: not yet");
	is_int(fo_reply_read(&p, &s, 0, now + 250 * MS), FO_READ_ALWAYS,
	       "tx unanswered for 150 ms: the active endpoint is read (may turn suspect)");
	is_int(fo_reply_read(&p, &s, 1, now + 250 * MS), FO_READ_NONE, "  a standby one is not");

	t = twins_run(&a, &b, &s, true);
	ok(!t, "in-order replies: reading only what fo_reply_read asks keeps the whole state "
	   "identical to reading every record every tick (first difference at %llu ms)",
	   (unsigned long long)t);
	ok(a.switches >= 4 && a.p.failovers[FO_REASON_PROBE_LOSS] >= 2 &&
	   a.p.failovers[FO_REASON_PREFERRED_BACK] >= 2,
	   "  the script moved the peer (%llu switches: %llu probe_loss, %llu preferred_back, "
	   "%llu no_rx)", (unsigned long long)a.switches,
	   (unsigned long long)a.p.failovers[FO_REASON_PROBE_LOSS],
	   (unsigned long long)a.p.failovers[FO_REASON_PREFERRED_BACK],
	   (unsigned long long)a.p.failovers[FO_REASON_NO_RX]);
	/* Fewer by far (a down endpoint we would move back to is asked every
	 * 500 ms, and each probe due is a read). */
	ok(b.reads * 5 < a.reads, "  with %llu reads instead of %llu",
	   (unsigned long long)b.reads, (unsigned long long)a.reads);
	s.holddown_ms = 1000;
	s.probe_fast_ms = 30;
	t = twins_run(&a, &b, &s, true);
	ok(!t, "  the same with a 1 s hold-down and 30 ms probes (first difference at %llu ms)",
	   (unsigned long long)t);
	fo_default_settings(&s);
	t = twins_run(&a, &b, &s, false);
	ok(!t, "replies overtaking each other: the same decisions, endpoint states and "
	   "suspicion (first difference at %llu ms)", (unsigned long long)t);
	ok(a.overtaken >= 10, "  (%llu replies were overtaken)", (unsigned long long)a.overtaken);
}

/* Several uplinks: candidates are paths; path 0 (uplink 1) and path 1 (uplink 2)
 * reach the same endpoint. The daemon found uplink 1 dead from another peer's
 * paths and takes this idle peer's path 0 down at once (fo_path_down), then moves
 * it: it stays on path 1 while path 0 is dead, and moves back only after path 0
 * answered for the hold-down. */
/* The loss window follows the path's own round trip, the least of the last
 * 10 s: the probes that waited on neighbour resolution while a link came back
 * (late together) leave a fast path's window at FailureWindow; a path that is
 * long in every reply gets three of its round trips, and a path that got longer
 * for good gets them once the shorter replies are 10 s old. */
static void test_rtt_base(void)
{
	struct fo_settings s;
	struct fo_peer p;
	uint64_t now = 1000 * MS;
	uint32_t seq = 0;

	fo_default_settings(&s);
	fo_peer_init(&p, 1, now);
	for (int i = 0; i < 20; i++, now += 50 * MS)
		fo_note_reply(&p, 0, seq++, now, MS / 10);
	now += 1500 * MS;	/* the link down, then up: ten probes come back at once */
	for (int i = 0; i < 10; i++)
		fo_note_reply(&p, 0, seq++, now + i, (330 - 20 * i) * MS);
	ok(fo_fail_window_ns(&s, &p.ep[0]) == (uint64_t)s.fail_ms * MS,
	   "ten replies 150-330 ms late on a 0.1 ms path: the loss window stays %u ms", s.fail_ms);
	is_int((int)(p.ep[0].rtt_ns / MS), 150, "  (the last reply's round trip is still what show says)");
	fo_peer_init(&p, 1, now);
	for (int i = 0; i < 40; i++, now += 50 * MS)
		fo_note_reply(&p, 0, seq++, now, 200 * MS);
	ok(fo_fail_window_ns(&s, &p.ep[0]) == 600 * MS,
	   "a 200 ms path: the loss window is three round trips (%.0f ms)",
	   fo_fail_window_ns(&s, &p.ep[0]) / 1e6);
	fo_peer_init(&p, 1, now);
	fo_note_reply(&p, 0, seq++, now, 20 * MS);
	for (int i = 0; i < 220; i++, now += 50 * MS)
		fo_note_reply(&p, 0, seq++, now + 50 * MS, 250 * MS);
	ok(fo_fail_window_ns(&s, &p.ep[0]) == 750 * MS,
	   "a 20 ms path that turned 250 ms: three of the new round trips after 10 s (%.0f ms)",
	   fo_fail_window_ns(&s, &p.ep[0]) / 1e6);
}

static void test_path_down(void)
{
	struct sim m;
	uint64_t t;

	sim_init(&m, 2, true);
	sim_run(&m, 50);
	m.reachable[0] = false;
	fo_path_down(&m.p, 0);
	is_int(m.p.ep[0].state, FO_EP_DOWN, "path down: at once, without waiting for its probes");
	fo_path_down(&m.p, 0);
	fo_path_down(&m.p, 7);
	is_int(m.p.ep[1].state, FO_EP_UP, "path down: again, or out of range, changes nothing else");
	fo_switched(&m.p, &m.s, 1, FO_REASON_PROBE_LOSS, m.now);
	sim_run(&m, 3000);
	is_int(m.p.active, 1, "path down: stays on the other uplink's path while the uplink is dead");
	is_int(m.p.ep[0].state, FO_EP_DOWN, "  and the dead path stays down (its probes unanswered)");
	m.reachable[0] = true;
	t = sim_until_active(&m, 0, 15000);
	ok(m.p.active == 0 && t >= m.s.holddown_ms,
	   "path down: back %llu ms after the uplink answers again (hold-down %u ms)",
	   (unsigned long long)t, m.s.holddown_ms);
}

/* Two candidates go dark at once (behind one dead link: both sites lost an
 * uplink): the move goes straight to the one that answers, not first to the
 * other dark one, still up on its older replies. */
static void test_dark_together(void)
{
	struct sim m;
	uint64_t t;

	sim_init(&m, 3, true);
	m.traffic = true;
	sim_run(&m, 3000);
	m.reachable[0] = m.reachable[1] = false;
	t = sim_until_active(&m, 2, 3000);
	is_int(m.p.active, 2, "two candidates dark at once: on the third");
	is_int(m.switches, 1, "  in one move, not through the other dark one");
	ok(t <= 450, "  within 450 ms (took %llu ms)", (unsigned long long)t);
}

int main(void)
{
	struct sim m;
	uint64_t t, probes0;
	enum fo_reason why;

	/* Start: every endpoint is probed at once and found up. */
	sim_init(&m, 2, true);
	sim_run(&m, 50);
	ok(m.p.meshgw_peer, "a peer answering probes is recognised as running meshgw");
	ok(m.p.ep[0].state == FO_EP_UP && m.p.ep[1].state == FO_EP_UP, "both endpoints up");
	is_int(m.p.active, 0, "the most preferred endpoint is active");

	/* Healthy traffic: nothing moves. */
	m.traffic = true;
	sim_run(&m, 5000);
	is_int(m.switches, 0, "5 s of healthy traffic: no endpoint change");
	ok(!m.p.suspect, "healthy traffic is not suspect");

	/* Cut the preferred ISP under traffic. */
	m.reachable[0] = false;
	t = sim_until_active(&m, 1, 5000);
	is_int(m.p.active, 1, "cut of endpoint 0: moved to endpoint 1");
	/* Traffic every 100 ms here: the first unanswered packet is up to 100 ms
	 * after the cut, the window 300 ms from it. */
	ok(t <= 450, "moved within 450 ms of the cut (took %llu ms)", (unsigned long long)t);
	is_int(m.last_reason, FO_REASON_PROBE_LOSS, "reason: probe_loss");
	is_int(m.p.failovers[FO_REASON_PROBE_LOSS], 1, "failover counted by reason");
	is_int(m.p.ep[0].state, FO_EP_DOWN, "endpoint 0 reported down");

	/* Restore: no move before the hold-down, then back to the preferred one. */
	m.reachable[0] = true;
	probes0 = m.tx - m.rx;	/* lost during the cut */
	sim_run(&m, 4000);
	is_int(m.p.active, 1, "restored endpoint: still on endpoint 1 before the hold-down");
	t = sim_until_active(&m, 0, 15000);
	is_int(m.p.active, 0, "back on the preferred endpoint after the hold-down");
	is_int(m.last_reason, FO_REASON_PREFERRED_BACK, "reason: preferred_back");
	ok(m.tx - m.rx == probes0, "no traffic was lost while moving back");

	/* Fail-back is timed from the return, not from the next idle probe: a down
	 * preferred endpoint is asked every probe_recover_ms while we are away. */
	sim_run(&m, 25000);	/* past the flap damping of the move back above */
	m.reachable[0] = false;
	sim_until_active(&m, 1, 5000);
	sim_run(&m, 3000);
	m.reachable[0] = true;
	t = sim_until_active(&m, 0, 15000);
	ok(t >= m.s.holddown_ms && t <= m.s.holddown_ms + m.s.probe_recover_ms + 100,
	   "back %llu ms after the return (hold-down %u ms + at most one recovery interval)",
	   (unsigned long long)t, m.s.holddown_ms);
	/* A minute after the move, a still-dead endpoint is asked at the idle rate. */
	m.reachable[0] = false;
	sim_until_active(&m, 1, 5000);
	sim_run(&m, 61000);
	probes0 = m.probes;
	sim_run(&m, 10000);
	ok(m.probes - probes0 <= 10000 / m.s.probe_idle_ms * 2 + 2,
	   "an outage past a minute: %llu probes in 10 s (idle rate on both endpoints)",
	   (unsigned long long)(m.probes - probes0));
	m.reachable[0] = true;
	sim_until_active(&m, 0, 30000);

	/* A preferred endpoint that died while idle-probed (one probe lost, never
	 * marked down) and comes back: still a full hold-down before moving back. */
	m.reachable[0] = false;
	t = sim_until_active(&m, 1, 5000);
	is_int(m.p.active, 1, "cut again: on endpoint 1");
	sim_run(&m, 2500);
	m.reachable[0] = true;
	t = sim_until_active(&m, 0, 15000);
	ok(t >= m.s.holddown_ms, "back on endpoint 0 only after the hold-down (%llu ms)",
	   (unsigned long long)t);

	/* Idle (no traffic): a cut is known within the failure window of the first
	 * lost probe (one due within the idle interval), not two idle intervals on. */
	{
		uint64_t worst = 0;

		for (int k = 0; k < 8; k++) {
			sim_init(&m, 2, true);
			sim_run(&m, 5000 + 250 * k);	/* cut at 8 phases of the probe interval */
			m.reachable[0] = false;
			t = sim_until_active(&m, 1, 10000);
			if (t > worst)
				worst = t;
		}
		ok(worst <= m.s.probe_idle_ms + m.s.fail_ms + 2 * TICK / MS,
		   "idle: cut known and left within an idle interval + the failure window "
		   "(worst of 8 phases %llu ms)", (unsigned long long)worst);
	}

	/* WireGuard roamed us off the preferred endpoint right after it died, before
	 * any probe was lost: no move back while it stays dead. */
	sim_init(&m, 2, true);
	m.traffic = true;
	sim_run(&m, 3000);
	m.reachable[0] = false;
	sim_run(&m, 20);
	fo_follow(&m.p, &m.s, 1, m.now);
	m.switches = 0;
	sim_run(&m, 15000);
	is_int(m.switches, 0, "roamed away from a dead endpoint: no move back while it is dead");
	is_int(m.p.active, 1, "  still on endpoint 1");
	m.reachable[0] = true;
	t = sim_until_active(&m, 0, 15000);
	is_int(m.p.active, 0, "  back after it recovers");
	ok(t >= m.s.holddown_ms, "  only after the hold-down (%llu ms)", (unsigned long long)t);

	/* A move back undone by roaming at once while the preferred endpoint still
	 * answers: the far side's NAT sends its packets by the other ISP. No move
	 * back for FO_NAT_HOLD_MS (not a flap: no damping), then one try. */
	{
		uint64_t t0;

		sim_until_active(&m, 0, 60000);
		sim_run(&m, 200);
		is_int(fo_follow(&m.p, &m.s, 1, m.now), FO_ROAM_REASSERT, "move back undone by roaming "
		       "at once, endpoint 0 answering: stay, point WireGuard there again");
		is_int(m.p.active, 0, "  still on endpoint 0");
		sim_run(&m, 200);
		is_int(fo_follow(&m.p, &m.s, 1, m.now), FO_ROAM_REASSERT, "  a second time too");
		sim_run(&m, 200);
		is_int(fo_follow(&m.p, &m.s, 1, m.now), FO_ROAM_FAR_NAT, "  a third: the far NAT, followed");
		is_int(m.p.active, 1, "  on endpoint 1");
		is_int(m.p.failbacks_undone, 0, "  no damping (endpoint 0 did not flap)");
		t0 = m.now;
		t = sim_until_active(&m, 0, FO_NAT_HOLD_MS + 10000);
		ok(m.p.active == 0 && m.now - t0 >= (uint64_t)FO_NAT_HOLD_MS * MS,
		   "  next move back after the NAT hold (%llu ms)", (unsigned long long)((m.now - t0) / MS));
		/* The endpoint we are held off dies: an outage; its return is judged by
		 * the hold-down alone. */
		for (int i = 0; i <= FO_REASSERT_MAX; i++) {
			sim_run(&m, 200);
			fo_follow(&m.p, &m.s, 1, m.now);
		}
		m.reachable[0] = false;
		sim_run(&m, 2000);
		is_int(m.p.nat_hold_until_ns, 0, "  held-off endpoint dead: the NAT hold is dropped");
		m.reachable[0] = true;
		t = sim_until_active(&m, 0, 30000);
		ok(m.p.active == 0 && t < 2 * m.s.holddown_ms, "  back after it returns, after the hold-down "
		   "only (%llu ms)", (unsigned long long)t);
	}

	/* Damping: a move back undone by the endpoint failing again at once doubles
	 * the next hold-down. */
	{
		uint64_t prev = 0, gap[3] = { 0 };

		for (int i = 0; i < 3; i++) {
			sim_until_active(&m, 0, 60000);
			gap[i] = m.now - prev;
			prev = m.now;
			m.reachable[0] = false;		/* dies again right after the move back */
			sim_until_active(&m, 1, 5000);
			m.reachable[0] = true;
		}
		ok(m.p.failbacks_undone >= 2 && gap[2] > gap[1] + m.s.holddown_ms * MS,
		   "moves back undone by a new failure: hold-down doubles (%llu ms, then %llu ms)",
		   (unsigned long long)(gap[1] / MS), (unsigned long long)(gap[2] / MS));
		sim_until_active(&m, 0, 60000);
		sim_run(&m, 4 * m.s.holddown_ms * 8 + 1000);
		enum fo_reason r;

		fo_decide(&m.p, &m.s, m.now, &r);
		is_int(m.p.failbacks_undone, 0, "a move back that holds: damping forgotten");
	}

	/* Flapping: endpoint 0 down/up every 300 ms for 20 s. */
	sim_init(&m, 2, true);
	m.traffic = true;
	sim_run(&m, 3000);
	m.switches = 0;
	for (int i = 0; i < 20000 / 300; i++) {
		m.reachable[0] = !m.reachable[0];
		sim_run(&m, 300);
	}
	m.reachable[0] = true;
	ok(m.switches <= 2, "20 s of 300 ms flapping: %u endpoint changes (bound 2: away once, back once)",
	   m.switches);
	sim_run(&m, 12000);
	is_int(m.p.active, 0, "after flapping stops: back on the preferred endpoint");

	/* Both ISPs down: reported down, stays; one back: recovered. */
	m.reachable[0] = m.reachable[1] = false;
	sim_run(&m, 2000);
	ok(m.p.ep[0].state == FO_EP_DOWN && m.p.ep[1].state == FO_EP_DOWN, "both down: both reported down");
	m.reachable[1] = true;
	t = sim_until_active(&m, 1, 5000);
	is_int(m.p.active, 1, "one back: moved to it");
	ok(t <= 500, "recovered %llu ms after it came back", (unsigned long long)t);
	probes0 = m.probes;
	m.reachable[1] = false;
	sim_run(&m, 15000);
	probes0 = m.probes;
	sim_run(&m, 10000);
	ok(m.probes - probes0 <= 2 * 10 / 2 + 2,
	   "a dead site is probed at the idle rate after 10 s (%llu probes in 10 s)",
	   (unsigned long long)(m.probes - probes0));

	/* Idle mesh: probe traffic below 1 kbit/s per peer (74-byte frames, x2 replies). */
	sim_init(&m, 2, true);
	sim_run(&m, 1000);
	probes0 = m.probes;
	sim_run(&m, 60000);
	t = (m.probes - probes0) * 74 * 8 * 2 / 60;
	ok(t < 1000, "idle: %llu bit/s of probes and replies per peer", (unsigned long long)t);

	/* One-way traffic over a healthy path: suspect, probes answered, no switch. */
	sim_init(&m, 2, true);
	sim_run(&m, 100);
	for (int i = 0; i < 300; i++) {
		m.tx += 100;
		sim_step(&m);
	}
	is_int(m.switches, 0, "one-way traffic on a healthy path: no endpoint change");

	/* Plain WireGuard peer: no probe replies, fails over on the passive signal. */
	sim_init(&m, 3, false);
	m.traffic = true;
	sim_run(&m, 3000);
	ok(!m.p.meshgw_peer, "a peer that never answers probes is plain WireGuard");
	is_int(m.switches, 0, "plain peer, healthy: no change");
	m.reachable[0] = false;
	t = sim_until_active(&m, 1, 5000);
	is_int(m.p.active, 1, "plain peer: moved to endpoint 1 on rx silence");
	ok(t <= 1700, "plain peer moved within 1.7 s (%llu ms)", (unsigned long long)t);
	is_int(m.last_reason, FO_REASON_NO_RX, "reason: no_rx");
	sim_run(&m, 5000);
	is_int(m.p.active, 1, "plain peer stays on the working endpoint");

	/* A peer that ran meshgw and stopped (now plain WireGuard): after its
	 * active endpoint dies, the passive signal still moves it. */
	sim_init(&m, 2, true);
	m.traffic = true;
	sim_run(&m, 2000);
	ok(m.p.meshgw_peer, "peer answered probes at first");
	m.answers_probes = false;
	sim_run(&m, 25000);	/* its probes go unanswered: both marked down */
	is_int(m.switches, 0, "  no move while WireGuard traffic still flows");
	m.reachable[0] = false;
	t = sim_until_active(&m, 1, 5000);
	is_int(m.p.active, 1, "meshgw stopped on the peer: still moved to endpoint 1");
	is_int(m.last_reason, FO_REASON_NO_RX, "  on the passive signal (no_rx)");
	sim_run(&m, 5000);
	is_int(m.p.active, 1, "  and stays there while it works");

	/* Replies: duplicates and stale ones are ignored; loss accounting. */
	sim_init(&m, 1, true);
	for (int i = 0; i < 10; i++) {
		uint32_t seq = fo_probe_sent(&m.p, 0, m.now + i * MS);

		if (i % 2)
			fo_note_reply(&m.p, 0, seq, m.now + i * MS + 1, 1);
	}
	fo_note_reply(&m.p, 0, 9, m.now + 9 * MS + 1, 1);
	is_int(m.p.ep[0].replies, 5, "a reply fed twice is counted once");
	is_int(fo_loss_permille(&m.p.ep[0]), 555, "loss over the probes judged so far: 5 of 9");
	fo_note_reply(&m.p, 7, 0, 1, 1);
	ok(1, "a reply for an endpoint index out of range is ignored");
	ok(fo_decide(&m.p, &m.s, m.now, &why) == 0 && why == FO_REASON_NONE,
	   "a single-endpoint peer never switches");
	ok(!strcmp(fo_reason_name(FO_REASON_NO_RX), "no_rx") &&
	   !strcmp(fo_reason_name((enum fo_reason)99), "unknown"), "reason names");

	test_reply_reads();
	test_path_down();
	test_rtt_base();
	test_dark_together();
	return tap_done();
}
