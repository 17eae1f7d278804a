// SPDX-License-Identifier: GPL-2.0-only
/* fo_next_due: every comparison of the clock in fo_probe_due, fo_reply_read and
 * fo_decide (failover.c) is `now - X >= D`, `now - X > D`, `now < X` or their
 * negation, for X and D that only inputs change. Such a comparison can change its
 * answer only at X + D (or X): the earliest of those still ahead is the earliest
 * time any of the three functions can answer differently. The conditions each
 * comparison is guarded by (state, counters) are evaluated here only where that
 * keeps a peer from waking for a comparison that cannot matter; everything else
 * is counted as if it could. test_fo_due.c checks this against those functions,
 * tick by tick and in whole simulated runs; change both files together. */
#include "failover/fo_due.h"
#include "lib/clock.h"

/* The earliest time ahead of now, kept in *due. */
static void at(uint64_t *due, uint64_t now, uint64_t t)
{
	if (t > now && t < *due)
		*due = t;
}

/* Endpoint i's next probe: the interval fo_probe_due uses now, and every time at
 * which the choice of interval can change. */
static void probe_times(const struct fo_peer *p, const struct fo_settings *s, unsigned int i,
			uint64_t now, uint64_t *due)
{
	const struct fo_endpoint *e = &p->ep[i];
	uint64_t interval;

	if (!e->last_probe_ns) {
		*due = now;
		return;
	}
	interval = fo_probe_interval_ms(p, s, i, now);
	if (now - e->last_probe_ns >= interval * MS) {
		*due = now;
		return;
	}
	at(due, now, e->last_probe_ns + interval * MS);
	/* the interval changes */
	at(due, now, p->fast_probe_until_ns);
	if (i == p->active && p->meshgw_peer && e->unanswered)
		at(due, now, e->unanswered_since_ns + fo_probe_late_ns(s, e));
	if (i < p->active && e->state == FO_EP_DOWN)
		at(due, now, p->last_switch_ns + 60000 * MS);
	if (p->ep[p->active].state == FO_EP_DOWN && p->all_down_since_ns)
		at(due, now, p->all_down_since_ns + 10000 * MS + 1);
}

/* update_health: an endpoint going down, the peer turning suspect. */
static void health_times(const struct fo_peer *p, const struct fo_settings *s, uint64_t now,
			 uint64_t *due)
{
	for (unsigned int i = 0; i < p->n_ep; i++) {
		const struct fo_endpoint *e = &p->ep[i];
		uint64_t w = fo_fail_window_ns(s, e);

		if (e->state == FO_EP_DOWN || e->unanswered < 2)
			continue;
		at(due, now, e->unanswered_since_ns + w);
		if (i == p->active && p->tx_unanswered_since_ns) {
			at(due, now, p->tx_unanswered_since_ns + w);
			at(due, now, e->unanswered_since_ns + fo_probes_min_ns(s, e));
		}
	}
	/* suspect: both clocks past suspect_ms, so the later of the two */
	if (p->tx_unanswered_since_ns && !p->suspect) {
		uint64_t t = p->tx_unanswered_since_ns, r = p->ep[p->active].last_reply_ns;

		at(due, now, (t > r ? t : r) + (uint64_t)s->suspect_ms * MS);
	}
}

/* fo_decide's answer: a move back after the hold-down, the far NAT's hold ending,
 * the guard of a failover under arriving packets ending, the passive switch of
 * peers without meshgw, and the flap damping being forgotten. */
static void decide_times(const struct fo_peer *p, const struct fo_settings *s, uint64_t now,
			 uint64_t *due)
{
	uint64_t holddown = ((uint64_t)s->holddown_ms * MS) << p->failbacks_undone;

	if (p->failbacks_undone && p->active == 0)
		at(due, now, p->last_failback_ns + ((4ULL * s->holddown_ms * MS) << p->failbacks_undone) + 1);
	if (p->n_ep < 2)
		return;
	for (unsigned int i = 0; i < p->active; i++) {
		const struct fo_endpoint *e = &p->ep[i];
		uint64_t since = e->up_since_ns;

		if (e->state != FO_EP_UP)
			continue;
		if (e->last_loss_ns > since)
			since = e->last_loss_ns;
		if (p->last_switch_ns > since)
			since = p->last_switch_ns;
		at(due, now, since + holddown);
		at(due, now, p->nat_hold_until_ns);
	}
	/* the active endpoint down: no move while the peer's packets still arrive */
	if (p->meshgw_peer && p->ep[p->active].state == FO_EP_DOWN)
		at(due, now, p->rx_change_ns + (uint64_t)s->fail_ms * MS);
	if (p->tx_unanswered_since_ns)
		at(due, now, p->tx_unanswered_since_ns + (uint64_t)s->plain_fail_ms * MS);
}

uint64_t fo_next_due(const struct fo_peer *p, const struct fo_settings *s, uint64_t now)
{
	uint64_t due = UINT64_MAX;

	if (!p->n_ep)
		return due;
	/* A move at now came after fo_decide looked (it may have made a guard of
	 * fo_decide true, e.g. back on the preferred endpoint with the damping
	 * already old enough to forget): look again at the next tick. */
	if (p->last_switch_ns == now)
		return now;
	for (unsigned int i = 0; i < p->n_ep && due > now; i++)
		probe_times(p, s, i, now, &due);
	/* fo_reply_read: the active endpoint's reply is read every tick while the
	 * peer may turn suspect (sending, unanswered for suspect_ms). */
	if (p->tx_unanswered_since_ns) {
		if (now - p->tx_unanswered_since_ns >= (uint64_t)s->suspect_ms * MS)
			return now;
		at(&due, now, p->tx_unanswered_since_ns + (uint64_t)s->suspect_ms * MS);
	}
	if (due <= now)
		return now;
	health_times(p, s, now, &due);
	decide_times(p, s, now, &due);
	return due;
}
