// SPDX-License-Identifier: GPL-2.0-only
/* What the daemon does for each peer: probes, lookups, and moving WireGuard to
 * the endpoint the failover decisions (failover/failover.c) chose. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "daemon/internal.h"
#include "failover/fo_state.h"
#include "failover/probe.h"
#include "failover/probe_batch.h"
#include "lib/log.h"
#include "lib/sockaddr.h"

/* One peer entry of a change: an endpoint (unless ep is NULL) and a keepalive interval. */
static int add_entry(struct wg_device *change, const struct daemon_peer *p, const union wg_sockaddr *ep,
		     uint16_t keepalive)
{
	struct wg_peer *wp = wg_device_add_peer(change);

	if (!wp)
		return -ENOMEM;
	memcpy(wp->public_key, p->site->public_key, WG_KEY_LEN);
	if (ep) {
		memcpy(&wp->endpoint, ep, sizeof(wp->endpoint));
		wp->flags = WG_PEER_SET_ENDPOINT;
	}
	wp->keepalive = keepalive;
	wp->flags |= WG_PEER_SET_KEEPALIVE;
	return 0;
}

/* Points WireGuard at endpoint i and has it send a keepalive there at once: the
 * kernel and wireguard-go send one when the persistent keepalive goes from off
 * to on, so the change sets it off, on, and back to the configured value. The
 * peer learns at once which of its addresses we now use (WireGuard answers
 * from the address a packet came to): its packets, which it would otherwise
 * keep sending from the address we left until our next one reaches it, would
 * make our WireGuard roam straight back there. */
int daemon_set_endpoint(struct daemon *d, struct daemon_peer *p, unsigned int i)
{
	uint16_t k = d->cfg.mesh.keepalive;
	struct wg_device change = { 0 };
	union wg_sockaddr ep;
	int ret;

	/* A pair's box off the master (ha_guard.c): WireGuard gets no endpoint, so
	 * that it sends nothing; `up` gives them when the box becomes the master. */
	if (d->ha_held_down)
		return 0;
	memcpy(&ep, &p->addr[i], sizeof(ep));
	snprintf(change.name, sizeof(change.name), "%s", d->cfg.local.wg_if);
	ret = add_entry(&change, p, &ep, 0);
	if (!ret)
		ret = add_entry(&change, p, NULL, k ? k : 1);
	if (!ret && !k)
		ret = add_entry(&change, p, NULL, 0);
	if (!ret)
		ret = d->be->set(d->cfg.local.wg_if, &change);
	wg_device_free(&change);
	return ret;
}

static const char *reason_text(enum fo_reason r, const struct fo_settings *s,
			       unsigned int damping, char *buf, size_t len)
{
	switch (r) {
	case FO_REASON_PROBE_LOSS:
		snprintf(buf, len, "probes unanswered for %u ms", s->fail_ms);
		break;
	case FO_REASON_NO_RX:
		snprintf(buf, len, "sending without receiving for %u ms, no meshgw on the peer",
			 s->plain_fail_ms);
		break;
	case FO_REASON_PREFERRED_BACK:
		/* the hold-down as damping made it (doubled per undone move back) */
		snprintf(buf, len, "preferred endpoint healthy for %u ms", s->holddown_ms << damping);
		break;
	case FO_REASON_ADDRESS_CHANGED:
		snprintf(buf, len, "its name resolves to a new address");
		break;
	default:
		snprintf(buf, len, "-");
	}
	return buf;
}

void switch_to(struct daemon *d, struct daemon_peer *p, unsigned int to, enum fo_reason why,
	       uint64_t now)
{
	char a[160], b[160], txt[96];
	unsigned int from = p->fo.active;
	int ret;

	if (!p->addr[to].ss_family)
		return;
	/* Several uplinks: the path's uplink first, so the keepalive that
	 * daemon_set_endpoint has WireGuard send already leaves by it. Setting the
	 * endpoint again also drops the source address WireGuard cached for the
	 * peer (kernel WireGuard and wireguard-go alike): the new path's uplink
	 * gives its own. */
	ret = path_choose(d, p, to);
	if (ret) {
		pr_err("peer %s: cannot route path %s: %s", p->site->name,
		       path_str(d, p, to, a, sizeof(a)), strerror(-ret));
		return;
	}
	ret = daemon_set_endpoint(d, p, to);
	if (ret) {
		pr_err("peer %s: cannot set endpoint %s: %s", p->site->name,
		       sockaddr_str(&p->addr[to], a, sizeof(a)), strerror(-ret));
		return;
	}
	fo_switched(&p->fo, &d->fo, to, why, now);
	/* show and metrics see the change now, not at the next periodic write */
	if (d->state_fd >= 0)
		fo_state_write(d->state_fd, p->site->name, &p->fo, p->addr, now);
	pr_info("peer %s: %s %u %s -> %u %s (%s: %s)", p->site->name,
		d->steer_on ? "path" : "endpoint", from, path_str(d, p, from, a, sizeof(a)), to,
		path_str(d, p, to, b, sizeof(b)), fo_reason_name(why),
		reason_text(why, &d->fo, p->fo.failbacks_undone, txt, sizeof(txt)));
}

/* A probe the kernel could not even route counts as lost; one it could not take
 * now (a full buffer) is tried again at the next tick. */
static bool counts_as_sent(int err)
{
	return !err || err == -ENETUNREACH || err == -EHOSTUNREACH || err == -EPERM;
}

/* The peer's probes that are due, into the tick's batch (sent by send_batch
 * before any decision is taken). A probe the batch has no room for is sent alone. */
static void queue_probes(struct daemon *d, size_t n, uint64_t now)
{
	struct daemon_peer *p = &d->peers[n];

	for (unsigned int i = 0; i < p->fo.n_ep; i++) {
		uint64_t tx_ns;
		int fd, ret;

		if (!p->addr[i].ss_family || !fo_probe_due(&p->fo, &d->fo, i, now))
			continue;
		/* No socket: the path's uplink has no address (or an IPv6 endpoint with
		 * several uplinks): unanswered, so the path goes down. */
		fd = path_probe_fd(d, p, i);
		if (fd >= 0 && !probe_batch_add(&d->probes, fd, &p->addr[i], p->fo.ep[i].next_seq,
						(uint32_t)(n * FO_MAX_ENDPOINTS + i)))
			continue;
		ret = fd < 0 ? -ENETUNREACH : probe_send(fd, &p->addr[i], p->fo.ep[i].next_seq,
							    d->tag, &tx_ns);
		if (counts_as_sent(ret))
			fo_probe_sent(&p->fo, i, now);
	}
}

/* The tick's probes, one sendmmsg per socket, and each one sent counted. */
static void send_batch(struct daemon *d, uint64_t now)
{
	probe_batch_send(&d->probes, d->tag);
	for (size_t k = 0; k < d->probes.n; k++) {
		const struct probe_out *o = &d->probes.out[k];

		if (counts_as_sent(o->err))
			fo_probe_sent(&d->peers[o->owner / FO_MAX_ENDPOINTS].fo,
				      o->owner % FO_MAX_ENDPOINTS, now);
	}
	probe_batch_clear(&d->probes);
}

static void resolve_names(struct daemon *d, struct daemon_peer *p, uint64_t now)
{
	bool trouble = p->fo.suspect || p->fo.ep[p->fo.active].state == FO_EP_DOWN;

	for (unsigned int e = 0; e < p->n_site_ep; e++) {
		struct sockaddr_storage got;
		char a[80], b[80];
		bool active_moved = false;
		unsigned int first = 0;
		int ret;

		if (p->site->endpoints[e].is_literal)
			continue;
		ret = resolve_poll(&p->res[e], &got);
		if (ret < 0)
			pr_warn("peer %s: %s does not resolve: %s", p->site->name,
				p->site->endpoints[e].host, gai_strerror(-ret));
		while (first < p->fo.n_ep && p->path_ep[first] != e)
			first++;
		if (ret != 1 || first == p->fo.n_ep || sockaddr_equal(&got, &p->addr[first]))
			continue;
		pr_info("peer %s: %s now resolves to %s (was %s)", p->site->name,
			p->site->endpoints[e].host, sockaddr_str(&got, a, sizeof(a)),
			sockaddr_str(&p->addr[first], b, sizeof(b)));
		if (p->dp_index >= 0)
			dp_known_ep_add(&d->maps, &got, (__u32)p->dp_index);
		/* Every path to endpoint e: old health says nothing about the new address. */
		for (unsigned int i = 0; i < p->fo.n_ep; i++) {
			if (p->path_ep[i] != e)
				continue;
			p->addr[i] = got;
			p->fo.ep[i].state = FO_EP_UNKNOWN;
			p->fo.ep[i].last_probe_ns = 0;
			p->fo.ep[i].unanswered = 0;
			p->fo.ep[i].unanswered_since_ns = 0;
			active_moved |= i == p->fo.active;
		}
		peers_watch_endpoints(d);
		if (active_moved)
			switch_to(d, p, p->fo.active, FO_REASON_ADDRESS_CHANGED, now);
	}
	/* Due 30 s after the last lookup, or 2 s after it once the peer is in
	 * trouble (its address may have changed); forced by next_resolve_ns = 0. */
	if (p->next_resolve_ns &&
	    now - p->last_resolve_ns < (trouble ? RESOLVE_TROUBLE_NS : RESOLVE_NS))
		return;
	p->last_resolve_ns = now;
	p->next_resolve_ns = 1;
	for (unsigned int e = 0; e < p->n_site_ep; e++)
		if (!p->site->endpoints[e].is_literal)
			resolve_start(&p->res[e], &p->site->endpoints[e]);
}

/* One line per endpoint that went up or down, with what the probes saw. */
static void log_health_changes(struct daemon *d, struct daemon_peer *p, uint64_t now)
{
	const char *what = d->steer_on ? "path" : "endpoint";

	for (unsigned int i = 0; i < p->fo.n_ep; i++) {
		const struct fo_endpoint *e = &p->fo.ep[i];
		char a[160];

		if (e->state == p->logged_state[i])
			continue;
		if (e->state == FO_EP_DOWN && d->steer_on && d->uplink_dead[p->path_uplink[i]])
			pr_info("peer %s: path %u %s down (its uplink is down)", p->site->name, i,
				path_str(d, p, i, a, sizeof(a)));
		else if (e->state == FO_EP_DOWN)
			pr_info("peer %s: %s %u %s down (%u probes unanswered over %llu ms)",
				p->site->name, what, i, path_str(d, p, i, a, sizeof(a)),
				e->unanswered, e->unanswered_since_ns ?
				(unsigned long long)((now - e->unanswered_since_ns) / MS) : 0ULL);
		else if (e->state == FO_EP_UP && p->logged_state[i] == FO_EP_DOWN)
			pr_info("peer %s: %s %u %s up (rtt %.2f ms)", p->site->name, what, i,
				path_str(d, p, i, a, sizeof(a)), (double)e->rtt_ns / 1e6);
		p->logged_state[i] = e->state;
	}
}

/* Each peer due this tick (sched.c): its names re-resolved when due, its probes
 * sent, the failover decision taken and carried out. The others would have done
 * nothing. Peers are independent: every peer's probes are sent together (one
 * sendmmsg per socket) before the decisions, each of which sees its own peer's
 * probes counted as when they were sent one peer at a time. */
void act_on_peers(struct daemon *d, uint64_t now)
{
	bool dead[MG_MAX_UPLINKS];

	for (size_t n = sched_next(d, 0); n < d->n_peers; n = sched_next(d, n + 1)) {
		resolve_names(d, &d->peers[n], now);
		queue_probes(d, n, now);
	}
	send_batch(d, now);
	for (size_t n = sched_next(d, 0); n < d->n_peers; n = sched_next(d, n + 1)) {
		struct daemon_peer *p = &d->peers[n];

		p->decided = fo_decide(&p->fo, &d->fo, now, &p->decided_why);
		log_health_changes(d, p, now);
	}
	/* Several uplinks: one dead for every peer at once moves them all off it, in
	 * one decision (paths.c), before any peer moves to another of its paths
	 * through it (whose probes have not told yet). */
	memcpy(dead, d->uplink_dead, sizeof(dead));
	paths_uplink_failure(d, now);
	for (size_t n = sched_next(d, 0); n < d->n_peers; n = sched_next(d, n + 1)) {
		struct daemon_peer *p = &d->peers[n];

		if (p->decided != p->fo.active && !path_uplink_dead(d, p, p->decided))
			switch_to(d, p, p->decided, p->decided_why, now);
	}
	sched_done(d, now, memcmp(dead, d->uplink_dead, sizeof(dead)) != 0);
}
