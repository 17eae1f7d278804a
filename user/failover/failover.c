// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>
#include "failover/failover.h"
#include "lib/clock.h"

void fo_default_settings(struct fo_settings *s)
{
	/* Chosen so a dead ISP under traffic is left in ~0.3 s (suspect after 150 ms
	 * of unanswered traffic, down 300 ms after the first unanswered packet with
	 * probes at 50 ms unanswered for 150 ms of it), while an idle peer costs
	 * < 1 kbit/s of probes (74-byte frames: active every 2 s, others every 10 s;
	 * an active endpoint's probe unanswered for 150 ms is followed by one every
	 * 50 ms, so an idle peer's cut is known 300 ms after its first lost probe).
	 * While failed over, the more preferred endpoints that are down are asked
	 * every 250 ms, so their return is seen within a quarter second and
	 * fail-back takes the hold-down plus that, not plus an idle interval
	 * (2.4 kbit/s of requests per such endpoint, only in the first minute away
	 * from the preferred endpoint and only while it does not answer: an outage
	 * of days is asked at the idle rate). */
	s->probe_fast_ms = 50;
	s->probe_idle_ms = 2000;
	s->probe_standby_ms = 10000;
	s->probe_recover_ms = 250;
	s->suspect_ms = 150;
	s->fail_ms = 300;
	s->plain_fail_ms = 1500;
	s->holddown_ms = 5000;
}

const char *fo_reason_name(enum fo_reason r)
{
	switch (r) {
	case FO_REASON_NONE: return "none";
	case FO_REASON_PROBE_LOSS: return "probe_loss";
	case FO_REASON_NO_RX: return "no_rx";
	case FO_REASON_PREFERRED_BACK: return "preferred_back";
	case FO_REASON_ADDRESS_CHANGED: return "address_changed";
	default: return "unknown";
	}
}

void fo_peer_init(struct fo_peer *p, unsigned int n_ep, uint64_t now)
{
	memset(p, 0, sizeof(*p));
	p->n_ep = n_ep > FO_MAX_ENDPOINTS ? FO_MAX_ENDPOINTS : n_ep;
	p->rx_change_ns = p->tx_change_ns = now;
}

void fo_note_counters(struct fo_peer *p, uint64_t rx_bytes, uint64_t tx_bytes, uint64_t now)
{
	if (rx_bytes != p->rx_bytes) {
		p->rx_bytes = rx_bytes;
		p->rx_change_ns = now;
		p->tx_unanswered_since_ns = 0;
	}
	if (tx_bytes != p->tx_bytes) {
		p->tx_bytes = tx_bytes;
		p->tx_change_ns = now;
		/* Sent something the peer has not answered yet (unless rx moved too). */
		if (!p->tx_unanswered_since_ns && p->rx_change_ns != now)
			p->tx_unanswered_since_ns = now;
	}
}

void fo_note_reply(struct fo_peer *p, unsigned int i, uint32_t seq, uint64_t reply_ns,
		   uint64_t rtt_ns)
{
	struct fo_endpoint *e;
	uint32_t age;

	if (i >= p->n_ep)
		return;
	e = &p->ep[i];
	if (!reply_ns || reply_ns <= e->last_reply_ns)
		return;
	e->last_reply_ns = reply_ns;
	e->last_reply_seq = seq;
	e->rtt_ns = rtt_ns;
	/* The path's own delay, which sizes the loss window: the least round trip
	 * of the last FO_RTT_BASE_NS. Not the last one: the probes sent while a
	 * link came back up wait on neighbour resolution and return together,
	 * 130-330 ms late on a 0.1 ms path (measured), and three of those made the
	 * next failure's window 380-630 ms (a failover of 0.54-0.93 s). */
	if (!e->rtt_base_ns || rtt_ns < e->rtt_base_ns ||
	    reply_ns - e->rtt_base_at_ns > FO_RTT_BASE_NS) {
		e->rtt_base_ns = rtt_ns;
		e->rtt_base_at_ns = reply_ns;
	}
	e->replies++;
	/* Probes went unanswered before this reply: the endpoint was losing
	 * packets until now, so a failback waits a full hold-down from here. */
	if (e->unanswered > 1)
		e->last_loss_ns = reply_ns;
	e->unanswered = 0;
	e->unanswered_since_ns = 0;
	age = e->next_seq - 1 - seq;
	if (age < 64)
		e->history |= 1ULL << age;
	if (e->state != FO_EP_UP) {
		e->state = FO_EP_UP;
		e->up_since_ns = reply_ns;
	}
	p->meshgw_peer = true;
}

/* A loss window never shorter than three of the path's round trips, so a long
 * path is not declared dead while its replies are still in flight. */
uint64_t fo_fail_window_ns(const struct fo_settings *s, const struct fo_endpoint *e)
{
	uint64_t w = (uint64_t)s->fail_ms * MS;

	return 3 * e->rtt_base_ns > w ? 3 * e->rtt_base_ns : w;
}

uint64_t fo_probes_min_ns(const struct fo_settings *s, const struct fo_endpoint *e)
{
	uint64_t half = fo_fail_window_ns(s, e) / 2;

	return half > 2 * e->rtt_base_ns ? half : 2 * e->rtt_base_ns;
}

static bool active_in_trouble(const struct fo_peer *p)
{
	return p->suspect || p->ep[p->active].state == FO_EP_DOWN;
}

/* The active endpoint's newest probe is overdue (longer than suspect_ms and two
 * round trips): ask again at the fast rate, so an idle peer's dead endpoint is
 * known within the failure window of the first lost probe, not two idle
 * intervals later, when traffic may already be waiting. Costs nothing while
 * probes are answered; never for a peer that has not answered one (plain
 * WireGuard). */
uint64_t fo_probe_late_ns(const struct fo_settings *s, const struct fo_endpoint *e)
{
	uint64_t late = (uint64_t)s->suspect_ms * MS;

	return 2 * e->rtt_base_ns > late ? 2 * e->rtt_base_ns : late;
}

static bool active_probe_late(const struct fo_peer *p, const struct fo_settings *s, unsigned int i,
			      uint64_t now)
{
	const struct fo_endpoint *e = &p->ep[i];

	return i == p->active && p->meshgw_peer && e->unanswered &&
	       now - e->unanswered_since_ns >= fo_probe_late_ns(s, e);
}

uint64_t fo_probe_interval_ms(const struct fo_peer *p, const struct fo_settings *s, unsigned int i,
			      uint64_t now)
{
	const struct fo_endpoint *e = &p->ep[i];
	uint64_t interval;

	if (active_in_trouble(p) || now < p->fast_probe_until_ns || active_probe_late(p, s, i, now))
		interval = s->probe_fast_ms;
	else if (i < p->active && e->state == FO_EP_DOWN &&
		 now - p->last_switch_ns < 60000 * MS)	/* to move back to, once it returns */
		interval = s->probe_recover_ms;
	else if (i <= p->active)	/* the active one, and candidates to move back to */
		interval = s->probe_idle_ms;
	else
		interval = s->probe_standby_ms;
	/* A peer whose every endpoint has been down for a while is probed at the
	 * idle rate: a dead site must not cost 20 probes a second forever. */
	if (p->ep[p->active].state == FO_EP_DOWN && p->all_down_since_ns &&
	    now - p->all_down_since_ns > 10000 * MS && interval < s->probe_idle_ms)
		interval = s->probe_idle_ms;
	return interval;
}

bool fo_probe_due(const struct fo_peer *p, const struct fo_settings *s, unsigned int i,
		  uint64_t now)
{
	const struct fo_endpoint *e = &p->ep[i];

	if (i >= p->n_ep)
		return false;
	if (!e->last_probe_ns)
		return true;
	return now - e->last_probe_ns >= fo_probe_interval_ms(p, s, i, now) * MS;
}

uint32_t fo_probe_sent(struct fo_peer *p, unsigned int i, uint64_t now)
{
	struct fo_endpoint *e = &p->ep[i];

	/* The previous probe is still unanswered: count a loss against failback. */
	if (e->unanswered)
		e->last_loss_ns = now;
	e->last_probe_ns = now;
	e->probes_sent++;
	e->history <<= 1;
	if (!e->unanswered_since_ns)
		e->unanswered_since_ns = now;
	e->unanswered++;
	return e->next_seq++;
}

/* The reply to the newest probe is in: its sequence number, and later than the
 * probe (a record left by an earlier daemon may carry the same number). */
static bool newest_answered(const struct fo_endpoint *e)
{
	return e->last_reply_ns > e->last_probe_ns && e->last_reply_seq == e->next_seq - 1;
}

/* Could update_health() find the peer suspect now? Then the active endpoint's
 * last reply is an input of this tick's decision. */
static bool may_turn_suspect(const struct fo_peer *p, const struct fo_settings *s, uint64_t now)
{
	return p->tx_unanswered_since_ns &&
	       now - p->tx_unanswered_since_ns >= (uint64_t)s->suspect_ms * MS;
}

enum fo_read fo_reply_read(const struct fo_peer *p, const struct fo_settings *s, unsigned int i,
			   uint64_t now)
{
	const struct fo_endpoint *e = &p->ep[i];

	if (i >= p->n_ep)
		return FO_READ_NONE;
	if (fo_probe_due(p, s, i, now) || (i == p->active && may_turn_suspect(p, s, now)))
		return FO_READ_ALWAYS;
	/* No time limit: a dead endpoint's first reply, however late, brings it
	 * back up within a tick, as when every endpoint was read every tick. */
	if (e->last_probe_ns && !newest_answered(e))
		return FO_READ_IF_NEW;
	return FO_READ_NONE;
}

unsigned int fo_loss_permille(const struct fo_endpoint *e)
{
	/* bit 0 is the newest probe, possibly still in flight: judge the older ones */
	uint64_t n = e->probes_sent > 64 ? 63 : (e->probes_sent ? e->probes_sent - 1 : 0);
	unsigned int lost = 0;

	if (!n)
		return 0;
	for (uint64_t b = 1; b <= n; b++)
		if (!(e->history & (1ULL << b)))
			lost++;
	return (unsigned int)(lost * 1000 / n);
}

/* Under traffic the failure window of the active endpoint starts with the first
 * packet left unanswered, not with the first probe sent after suspicion: the
 * passive signal already saw the loss for suspect_ms, and starting over would
 * make a cut cost suspect_ms + fail_ms. The probes must still have had half the
 * window (and two round trips) to come back, and none may have been answered
 * since the traffic went unanswered. */
static bool failing_under_traffic(const struct fo_peer *p, const struct fo_settings *s,
				  unsigned int i, uint64_t now)
{
	const struct fo_endpoint *e = &p->ep[i];
	uint64_t w = fo_fail_window_ns(s, e), t = p->tx_unanswered_since_ns;

	return i == p->active && t && t < e->unanswered_since_ns && e->last_reply_ns < t &&
	       now - t >= w && now - e->unanswered_since_ns >= fo_probes_min_ns(s, e);
}

static void update_health(struct fo_peer *p, const struct fo_settings *s, uint64_t now)
{
	bool all_down = true;

	for (unsigned int i = 0; i < p->n_ep; i++) {
		struct fo_endpoint *e = &p->ep[i];

		if (e->state != FO_EP_DOWN && e->unanswered >= 2 &&
		    (now - e->unanswered_since_ns >= fo_fail_window_ns(s, e) ||
		     failing_under_traffic(p, s, i, now))) {
			e->state = FO_EP_DOWN;
			e->up_since_ns = 0;
		}
		if (e->state != FO_EP_DOWN)
			all_down = false;
	}
	if (!all_down)
		p->all_down_since_ns = 0;
	else if (!p->all_down_since_ns)
		p->all_down_since_ns = now;

	/* Suspect: we sent and heard nothing back for suspect_ms, and the active
	 * endpoint has not answered a probe in that time either. */
	p->suspect = p->tx_unanswered_since_ns &&
		     now - p->tx_unanswered_since_ns >= (uint64_t)s->suspect_ms * MS &&
		     now - p->ep[p->active].last_reply_ns >= (uint64_t)s->suspect_ms * MS;
}

/* Back to a more preferred endpoint only when it has answered, without a loss,
 * for the whole hold-down, counted from when we last moved away (whatever moved
 * us: a failover or WireGuard roaming) — stale health never brings us back. */
static bool ready_for_failback(const struct fo_peer *p, const struct fo_endpoint *e,
			       const struct fo_settings *s, uint64_t now)
{
	uint64_t since = e->up_since_ns;

	if (e->last_loss_ns > since)
		since = e->last_loss_ns;
	if (p->last_switch_ns > since)
		since = p->last_switch_ns;
	/* Each move back that did not last doubles the hold-down (up to 16x). */
	uint64_t holddown = ((uint64_t)s->holddown_ms * MS) << p->failbacks_undone;

	if (now < p->nat_hold_until_ns)
		return false;
	return e->state == FO_EP_UP && e->unanswered <= 1 &&
	       now - since >= holddown && e->last_reply_ns > since &&
	       now - e->last_reply_ns <= 2ULL * s->probe_idle_ms * MS;
}

unsigned int fo_decide(struct fo_peer *p, const struct fo_settings *s, uint64_t now,
		       enum fo_reason *reason)
{
	*reason = FO_REASON_NONE;
	if (!p->n_ep)
		return p->active;
	/* On the preferred endpoint for four (damped) hold-downs: damping forgotten. */
	if (p->failbacks_undone && p->active == 0 &&
	    now - p->last_failback_ns > (4ULL * s->holddown_ms * MS) << p->failbacks_undone)
		p->failbacks_undone = 0;
	update_health(p, s, now);
	/* The endpoint we were dragged off died after all (the fast probes after
	 * the roaming tell within a second): an ordinary outage, whose return the
	 * hold-down judges, not the far side's NAT. */
	if (p->nat_hold_until_ns && p->ep[p->nat_hold_ep].state == FO_EP_DOWN)
		p->nat_hold_until_ns = 0;
	if (p->n_ep == 1)
		return p->active;

	if (p->meshgw_peer) {
		if (p->ep[p->active].state != FO_EP_DOWN) {
			for (unsigned int i = 0; i < p->active; i++)
				if (ready_for_failback(p, &p->ep[i], s, now)) {
					*reason = FO_REASON_PREFERRED_BACK;
					return i;
				}
			return p->active;
		}
		/* Probes are lost but the peer's packets still arrive: the path
		 * works (probes filtered, or meshgw stopped there). Stay. */
		if (now - p->rx_change_ns < (uint64_t)s->fail_ms * MS)
			return p->active;
		/* The most preferred candidate that answers now (nothing unanswered but
		 * the probe in flight), else the most preferred up on older replies:
		 * a candidate that went dark with the active one (behind the same dead
		 * link: both sites lost an uplink at once) is still "up" until its own
		 * window passes, and moving there would cost another window. */
		for (int pass = 0; pass < 2; pass++)
			for (unsigned int i = 0; i < p->n_ep; i++)
				if (i != p->active && p->ep[i].state == FO_EP_UP &&
				    (pass || p->ep[i].unanswered <= 1)) {
					*reason = FO_REASON_PROBE_LOSS;
					return i;
				}
		/* No candidate answers probes: the peer may have stopped running
		 * meshgw, or probes are filtered. Fall back to the passive signal. */
	}

	/* Plain WireGuard peer: only the passive signal, round robin. */
	if (p->tx_unanswered_since_ns &&
	    now - p->tx_unanswered_since_ns >= (uint64_t)s->plain_fail_ms * MS) {
		*reason = FO_REASON_NO_RX;
		return (p->active + 1) % p->n_ep;
	}
	return p->active;
}

void fo_path_down(struct fo_peer *p, unsigned int i)
{
	if (i >= p->n_ep || p->ep[i].state == FO_EP_DOWN)
		return;
	p->ep[i].state = FO_EP_DOWN;
	p->ep[i].up_since_ns = 0;
}

/* A move away soon after a move back means the move back did not hold. */
static void note_move_away(struct fo_peer *p, const struct fo_settings *s, unsigned int to,
			   uint64_t now)
{
	uint64_t holddown = ((uint64_t)s->holddown_ms * MS) << p->failbacks_undone;

	if (to > p->active && p->last_failback_ns && now - p->last_failback_ns < 2 * holddown &&
	    p->failbacks_undone < 4)
		p->failbacks_undone++;
}

enum fo_roam fo_follow(struct fo_peer *p, const struct fo_settings *s, unsigned int to, uint64_t now)
{
	const struct fo_endpoint *left = &p->ep[p->active];
	uint64_t holddown = ((uint64_t)s->holddown_ms * MS) << p->failbacks_undone;
	bool undone;

	if (to >= p->n_ep || to == p->active)
		return FO_ROAM_NONE;
	/* Dragged off an endpoint we moved back to, which still answers: see
	 * failover.h. Not a flap of that endpoint, so no damping either. */
	undone = to > p->active && p->last_failback_ns && now - p->last_failback_ns < 2 * holddown &&
		 left->state == FO_EP_UP && now - left->last_reply_ns <= 2ULL * s->probe_idle_ms * MS;
	if (undone && p->reasserts < FO_REASSERT_MAX) {
		p->reasserts++;
		return FO_ROAM_REASSERT;
	}
	if (undone) {
		p->nat_hold_until_ns = now + (uint64_t)FO_NAT_HOLD_MS * MS;
		p->nat_hold_ep = p->active;
	} else {
		note_move_away(p, s, to, now);
	}
	p->active = to;
	p->last_switch_ns = now;	/* a hold-down before any move back */
	/* The peer now speaks from elsewhere: maybe the old endpoint died. Find out
	 * quickly, so a dead one is known as such before any move back. */
	p->fast_probe_until_ns = now + 4ULL * s->fail_ms * MS;
	return undone ? FO_ROAM_FAR_NAT : FO_ROAM_FOLLOW;
}

void fo_switched(struct fo_peer *p, const struct fo_settings *s, unsigned int to,
		 enum fo_reason reason, uint64_t now)
{
	if (to >= p->n_ep)
		return;
	note_move_away(p, s, to, now);
	if (reason == FO_REASON_PREFERRED_BACK) {
		p->last_failback_ns = now;
		p->reasserts = 0;
	}
	p->active = to;
	p->last_switch_ns = now;
	p->failovers[reason]++;
	p->last_reason = reason;
	p->suspect = false;
	/* The new endpoint gets a full window of its own. */
	if (p->tx_unanswered_since_ns)
		p->tx_unanswered_since_ns = now;
}
