// SPDX-License-Identifier: GPL-2.0-only
/* Several uplinks (paths.c): is one of our own uplinks dead? Judged after every
 * tick's decisions: an uplink none of whose paths answered for the failure
 * window, while a path through it went down with the same endpoint answering
 * through another uplink, is dead, and every peer moves off it in one decision;
 * a dead one whose path answers again is a candidate again.
 *
 * That judgement used to walk every peer's paths at every 10 ms tick (and kept
 * the daemon waking at every tick). It depends on each peer's failover state,
 * which changes only when the peer is handled (sched.c: every input makes its
 * peer due), on which uplinks are dead, and on the clock. So each handled peer's
 * part is kept: the newest reply through each uplink, and until when each uplink
 * has a path of the peer down while alive elsewhere (the only clock condition,
 * `now - last probe <= 2 failure windows`, gives that time). The uplinks are then
 * judged from those without a walk, and everything is computed again from all
 * peers when an uplink dies or comes back (which changes the peers and the
 * uplinks' part in it) and after a new peer list (paths_forget). */
#include <stdio.h>
#include <string.h>
#include "daemon/internal.h"
#include "lib/log.h"

bool path_uplink_dead(const struct daemon *d, const struct daemon_peer *p, unsigned int i)
{
	return d->steer_on && i < p->fo.n_ep && d->uplink_dead[p->path_uplink[i]];
}

/* Path i is down by its own probes, lost just now, while the same endpoint was
 * up through another live uplink when they started to go unanswered, and has
 * answered there since: the endpoint is alive, our uplink is not. A path that
 * went down with the endpoint (and was not asked since: standby probes are rare,
 * or its probes went out while the endpoint was away) is no evidence about the
 * uplink. Without the clock: the "lost just now" part is the caller's (until). */
static bool down_while_alive_elsewhere(const struct daemon *d, const struct daemon_peer *p,
				       unsigned int i)
{
	const struct fo_endpoint *e = &p->fo.ep[i];

	if (e->state != FO_EP_DOWN || !e->unanswered)
		return false;
	for (unsigned int j = 0; j < p->fo.n_ep; j++)
		if (p->path_ep[j] == p->path_ep[i] && p->path_uplink[j] != p->path_uplink[i] &&
		    !d->uplink_dead[p->path_uplink[j]] && p->fo.ep[j].state == FO_EP_UP &&
		    p->fo.ep[j].up_since_ns <= e->unanswered_since_ns &&
		    p->fo.ep[j].last_reply_ns > e->unanswered_since_ns)
			return true;
	return false;
}

/* Peer k's part: its newest replies folded into the uplinks', and its
 * down_until per uplink (0: no such path) with the count of peers that have one. */
static void note_peer(struct daemon *d, size_t k)
{
	struct daemon_peer *p = &d->peers[k];
	uint64_t w2 = 2ULL * d->fo.fail_ms * MS, until[MG_MAX_UPLINKS] = { 0 };

	for (unsigned int i = 0; i < p->fo.n_ep; i++) {
		const struct fo_endpoint *e = &p->fo.ep[i];
		unsigned int u = p->path_uplink[i];

		if (u >= MG_MAX_UPLINKS)
			continue;
		if (e->last_reply_ns > d->uplink_reply_ns[u])
			d->uplink_reply_ns[u] = e->last_reply_ns;
		if (down_while_alive_elsewhere(d, p, i) && e->last_probe_ns + w2 > until[u])
			until[u] = e->last_probe_ns + w2;
	}
	for (unsigned int u = 0; u < MG_MAX_UPLINKS; u++) {
		d->uplink_n_down[u] += (until[u] != 0) - (p->down_until[u] != 0);
		p->down_until[u] = until[u];
	}
}

static void note_all(struct daemon *d)
{
	memset(d->uplink_reply_ns, 0, sizeof(d->uplink_reply_ns));
	memset(d->uplink_n_down, 0, sizeof(d->uplink_n_down));
	for (size_t k = 0; k < d->n_peers; k++) {
		memset(d->peers[k].down_until, 0, sizeof(d->peers[k].down_until));
		note_peer(d, k);
	}
	d->uplinks_stale = false;
}

/* A path through u is down while alive elsewhere now. Peers whose time passed
 * are dropped: only their next handling can bring them back. */
static bool down_here(struct daemon *d, unsigned int u, uint64_t now)
{
	bool any = false;

	for (size_t k = 0; d->uplink_n_down[u] && k < d->n_peers; k++) {
		struct daemon_peer *p = &d->peers[k];

		if (!p->down_until[u])
			continue;
		if (now <= p->down_until[u]) {
			any = true;
			continue;
		}
		p->down_until[u] = 0;
		d->uplink_n_down[u]--;
	}
	return any;
}

/* The peer's best path off the dead uplinks: the first one up (answering now,
 * if one is); for a peer that
 * never answered a probe (plain WireGuard), its endpoint through the first live
 * ready uplink. -1 when there is none. */
static int best_live_path(const struct daemon *d, const struct daemon_peer *p)
{
	/* First the paths that answer now (nothing unanswered but the probe in
	 * flight): one that is up on old replies may be dying too (both sites lost
	 * an uplink at once), and trying it would cost another failure window. */
	for (unsigned int i = 0; i < p->fo.n_ep; i++)
		if (!d->uplink_dead[p->path_uplink[i]] && p->fo.ep[i].state == FO_EP_UP &&
		    p->fo.ep[i].unanswered <= 1)
			return (int)i;
	for (unsigned int i = 0; i < p->fo.n_ep; i++)
		if (!d->uplink_dead[p->path_uplink[i]] && p->fo.ep[i].state == FO_EP_UP)
			return (int)i;
	if (p->fo.meshgw_peer)
		return -1;
	for (unsigned int i = 0; i < p->fo.n_ep; i++)
		if (p->path_ep[i] == p->path_ep[p->fo.active] && !d->uplink_dead[p->path_uplink[i]] &&
		    d->steer.up[p->path_uplink[i]].ready)
			return (int)i;
	return -1;
}

static void uplink_down(struct daemon *d, unsigned int u, uint64_t now)
{
	unsigned int moved = 0, stuck = 0;

	d->uplink_dead[u] = true;
	for (size_t k = 0; k < d->n_peers; k++) {
		struct daemon_peer *p = &d->peers[k];
		int to;

		for (unsigned int i = 0; i < p->fo.n_ep; i++)
			if (p->path_uplink[i] == u)
				fo_path_down(&p->fo, i);
		if (!p->fo.n_ep || p->path_uplink[p->fo.active] != u)
			continue;
		to = best_live_path(d, p);
		if (to < 0) {
			stuck++;
			continue;
		}
		switch_to(d, p, (unsigned int)to, FO_REASON_PROBE_LOSS, now);
		moved++;
	}
	pr_info("uplink %s down: no path through it answers for %u ms while other uplinks reach "
		"the same endpoints: %u peer%s moved off it in one decision%s",
		d->cfg.local.uplinks[u].name, d->fo.fail_ms, moved, moved == 1 ? "" : "s",
		stuck ? " (some have no other path up)" : "");
}

void paths_forget(struct daemon *d)
{
	d->uplinks_stale = true;
}

void paths_uplink_failure(struct daemon *d, uint64_t now)
{
	uint64_t w = (uint64_t)d->fo.fail_ms * MS;

	if (!d->steer_on)
		return;
	if (d->uplinks_stale)
		note_all(d);
	else
		for (size_t k = sched_next(d, 0); k < d->n_peers; k = sched_next(d, k + 1))
			note_peer(d, k);
	for (unsigned int u = 0; u < d->steer.n && u < MG_MAX_UPLINKS; u++) {
		uint64_t r = d->uplink_reply_ns[u];
		/* A reply the data plane recorded after this tick's clock was read
		 * (read_probe_replies runs after it) is an answer too: the walk's
		 * `now - last_reply < w` wrapped around for it, so an uplink could be
		 * found dead with its newest reply microseconds old. */
		bool answered = r && (r > now || now - r < w);

		if (d->uplink_dead[u] && answered) {
			d->uplink_dead[u] = false;
			pr_info("uplink %s answers again: its paths are candidates again (each peer "
				"moves back after the hold-down)", d->cfg.local.uplinks[u].name);
		} else if (!d->uplink_dead[u] && !answered && down_here(d, u, now)) {
			uplink_down(d, u, now);
		} else {
			continue;
		}
		/* The peers' states and the live uplinks changed: the next uplink is
		 * judged on them, as a walk of every peer would. */
		note_all(d);
	}
}

/* When the judgement can change with no input: a live uplink with a path down
 * while alive elsewhere dies once its newest reply is a failure window old.
 * UINT64_MAX: only an input can change it. */
uint64_t paths_next_due(const struct daemon *d)
{
	uint64_t t = UINT64_MAX, w = (uint64_t)d->fo.fail_ms * MS;

	for (unsigned int u = 0; d->steer_on && u < d->steer.n && u < MG_MAX_UPLINKS; u++)
		if (!d->uplink_dead[u] && d->uplink_n_down[u] && d->uplink_reply_ns[u] + w < t)
			t = d->uplink_reply_ns[u] + w;
	return t;
}
