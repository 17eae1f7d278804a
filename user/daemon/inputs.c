// SPDX-License-Identifier: GPL-2.0-only
/* What the daemon reads each tick: the data plane's counters (or WireGuard's),
 * the probe replies the XDP program recorded or the probe sockets received, and
 * the endpoint WireGuard itself is using. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/internal.h"
#include "dataplane/dp_probe_ring.h"
#include "failover/probe.h"
#include "lib/log.h"
#include "lib/sockaddr.h"

/* fo_note_counters, and peer n handled this tick when they moved. */
static void note_counters(struct daemon *d, size_t n, uint64_t rx, uint64_t tx, uint64_t now)
{
	struct fo_peer *p = &d->peers[n].fo;

	if (p->rx_bytes != rx || p->tx_bytes != tx)
		sched_touch(d, n);
	fo_note_counters(p, rx, tx, now);
}

static void add_ep_rx(__u32 id, const struct mg_ep_stats *es, void *ctx)
{
	uint64_t *rx = ctx;

	rx[id / FO_MAX_ENDPOINTS] += es->packets;
}

/* sent: cleartext into the tunnel; received: decrypted out of it, plus every
 * WireGuard packet from one of the peer's addresses (keepalives and handshakes
 * count as signs of life). Every data-plane peer in two batch reads, not one
 * lookup per peer and per endpoint (60,000 syscalls a second for 1,000 peers):
 * 0, or -errno and nothing fed. */
static int read_dp_counters_batch(struct daemon *d, uint64_t now)
{
	const struct mg_peer_stats *ps = NULL;
	uint64_t *rx, *tx;
	__u32 slots = 0;
	int ret = 0;

	for (size_t n = 0; n < d->n_peers; n++)
		if (d->peers[n].dp_index >= 0 && (__u32)d->peers[n].dp_index >= slots)
			slots = (__u32)d->peers[n].dp_index + 1;
	rx = calloc(d->n_peers + 1, sizeof(*rx));
	tx = calloc(d->n_peers + 1, sizeof(*tx));
	if (!rx || !tx)
		ret = -ENOMEM;
	if (!ret)
		ret = dp_peer_stats_range(&d->maps, slots, &ps);
	for (size_t n = 0; !ret && n < d->n_peers; n++)
		if (d->peers[n].dp_index >= 0) {
			tx[n] = ps[d->peers[n].dp_index].tx_packets;
			rx[n] = ps[d->peers[n].dp_index].rx_packets;
		}
	if (!ret)
		ret = dp_ep_stats_each(&d->maps, add_ep_rx, rx);
	for (size_t n = 0; !ret && n < d->n_peers; n++)
		if (d->peers[n].dp_index >= 0)
			note_counters(d, n, rx[n], tx[n], now);
	free(rx);
	free(tx);
	return ret;
}

void read_counters(struct daemon *d, uint64_t now)
{
	struct wg_device dev = { 0 };
	bool have_dev = false, batched;

	/* Every peer counted by the data plane, and no packet it counts since the
	 * last look: no counter moved, and feeding them would change nothing. */
	if (!d->n_peers_no_dp && !dp_traffic_moved(&d->maps))
		return;
	batched = !read_dp_counters_batch(d, now);
	for (size_t n = 0; n < d->n_peers; n++) {
		struct daemon_peer *p = &d->peers[n];
		uint64_t rx = 0, tx = 0;

		if (p->dp_index >= 0) {
			struct mg_peer_stats ps;
			struct mg_ep_stats es;

			if (batched)
				continue;
			/* The batch reads failed: the same numbers one by one. */
			if (!dp_peer_stats(&d->maps, (__u32)p->dp_index, &ps)) {
				tx = ps.tx_packets;
				rx = ps.rx_packets;
			}
			for (unsigned int i = 0; i < p->fo.n_ep; i++)
				if (p->addr[i].ss_family && !dp_ep_stats(&d->maps, &p->addr[i], &es))
					rx += es.packets;
		} else {
			/* No data plane: WireGuard's own per-peer byte counters. */
			struct wg_peer *wp;

			if (!have_dev) {
				if (d->be->get(d->cfg.local.wg_if, &dev))
					return;
				have_dev = true;
			}
			wp = wg_device_find_peer(&dev, p->site->public_key);
			if (!wp)
				continue;
			rx = wp->rx_bytes;
			tx = wp->tx_bytes;
		}
		note_counters(d, n, rx, tx, now);
	}
	wg_device_free(&dev);
}

/* One queued reply (mg_probe_ring) for every path to its address and port. */
struct ring_reply {
	struct daemon *d;
	const struct mg_probe_event *ev;
};

static void note_ring_reply(__u32 id, void *ctx)
{
	const struct ring_reply *r = ctx;
	struct daemon *d = r->d;
	size_t n = id / FO_MAX_ENDPOINTS;
	unsigned int i = id % FO_MAX_ENDPOINTS;
	struct daemon_peer *p;
	uint64_t before;

	if (n >= d->n_peers)
		return;
	p = &d->peers[n];
	/* The address matched; the port and the uplink must too, as for a lookup
	 * of (address, port) in mg_probes. */
	if (i >= p->fo.n_ep || dp_sa_port(&p->addr[i]) != r->ev->port || !path_reply_in_map(d, p, i))
		return;
	before = p->fo.ep[i].last_reply_ns;
	fo_note_reply(&p->fo, i, r->ev->seq, r->ev->rx_ns, r->ev->rtt_ns);
	if (p->fo.ep[i].last_reply_ns != before)
		sched_touch(d, n);
}

static void ring_event(const struct mg_probe_event *ev, void *ctx)
{
	struct ring_reply r = { .d = ctx, .ev = ev };
	struct mg_ep_key k = { .family = ev->family };

	memcpy(k.addr, ev->addr, sizeof(k.addr));
	dp_watch_find(&((struct daemon *)ctx)->maps, &k, note_ring_reply, &r);
}

/* Endpoint i of peer n's record in mg_probes, fed; its peer due when it is news. */
static void read_record(struct daemon *d, size_t n, unsigned int i)
{
	struct daemon_peer *p = &d->peers[n];
	struct mg_probe_stats ps;
	uint64_t before = p->fo.ep[i].last_reply_ns;

	/* The reply's time and RTT are the XDP program's, so reading it later
	 * than it arrived changes neither. */
	if (!dp_probe_stats(&d->maps, &p->addr[i], &ps))
		fo_note_reply(&p->fo, i, ps.last_seq, ps.last_rx_ns, ps.last_rtt_ns);
	if (p->fo.ep[i].last_reply_ns != before)
		sched_touch(d, n);
}

/* The replies the data plane queued in mg_probe_ring since the last tick, each
 * fed (not only the latest per endpoint, as mg_probes holds: fo_note_reply
 * keeps the newest, so the end state is the same). No syscall for the replies,
 * none for an endpoint that got none: 0, or -errno when the ring cannot be
 * trusted this tick and mg_probes must be read as before. After a reply found
 * the ring full, and when the ring's records predate this daemon's state (the
 * first tick after the maps were opened), every record of mg_probes is read
 * once: what reading them all every tick would have given. */
static int read_probe_ring(struct daemon *d)
{
	int ret, over;

	if (d->maps.fd.probe_ring < 0 || d->watch_failed)
		return -ENOENT;
	if (d->probe_ring_stale) {
		ret = dp_probe_ring_drain(&d->maps, NULL, NULL);
		if (ret < 0)
			return ret;
		d->probe_ring_stale = false;
	}
	ret = dp_probe_ring_drain(&d->maps, ring_event, d);
	if (ret < 0)
		return ret;
	/* After the drain: a reply left out before it is counted by now (or at
	 * the next tick, see dp_probe_ring_overflowed), and is in mg_probes. */
	over = dp_probe_ring_overflowed(&d->maps);
	if (over < 0)
		return over;
	for (size_t n = 0; over && n < d->n_peers; n++)
		for (unsigned int i = 0; i < d->peers[n].fo.n_ep; i++)
			if (d->peers[n].addr[i].ss_family && path_reply_in_map(d, &d->peers[n], i))
				read_record(d, n, i);
	return 0;
}

/* Replies the data plane recorded: from mg_probe_ring (read_probe_ring), or,
 * where it is missing (a data plane loaded by an older meshgw), from mg_probes:
 * only the records a decision of this tick may depend on (fo_reply_read, which
 * says why nothing is missed), and those awaiting a reply only when the data
 * plane recorded a reply at all since the last tick. 1,000 peers, idle or dead,
 * then cost about a thousand lookups a second (one before each probe) instead
 * of 200,000. Only the peers due this tick, and those awaiting a reply when one
 * was recorded, are looked at (sched_next_read), without a walk of the others.
 * A reply read makes its peer due. */
void read_probe_replies(struct daemon *d, uint64_t now)
{
	bool recorded;

	if (d->maps.fd.probes < 0 || !read_probe_ring(d))
		return;
	recorded = dp_probes_recorded(&d->maps);
	for (size_t n = sched_next_read(d, 0, recorded); n < d->n_peers;
	     n = sched_next_read(d, n + 1, recorded)) {
		struct daemon_peer *p = &d->peers[n];

		for (unsigned int i = 0; i < p->fo.n_ep; i++) {
			enum fo_read r = fo_reply_read(&p->fo, &d->fo, i, now);

			if (!p->addr[i].ss_family || r == FO_READ_NONE ||
			    (r == FO_READ_IF_NEW && !recorded) || !path_reply_in_map(d, p, i))
				continue;
			read_record(d, n, i);
		}
	}
}

/* Replies reach the sockets only when no XDP program took them (data plane down,
 * or an uplink other than the first with several); epoll says when. A reply to
 * an uplink's socket is for the paths through that uplink. */
void drain_probe_socket(struct daemon *d, int fd)
{
	struct sockaddr_storage from;
	uint64_t rtt, rx_ns;
	uint32_t seq;
	int ret, uplink = path_uplink_of_fd(d, fd);

	while ((ret = probe_recv(fd, d->tag, &from, &seq, &rtt, &rx_ns)) >= 0) {
		struct sockaddr_storage v4 = { 0 };
		const struct sockaddr_in6 *s6 = (const void *)&from;

		if (!ret)
			continue;
		/* ::ffff:a.b.c.d from the dual-stack socket back to AF_INET */
		if (from.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&v4;

			s4->sin_family = AF_INET;
			s4->sin_port = s6->sin6_port;
			memcpy(&s4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
			from = v4;
		}
		for (size_t n = 0; n < d->n_peers; n++)
			for (unsigned int i = 0; i < d->peers[n].fo.n_ep; i++)
				if (sockaddr_equal(&from, &d->peers[n].addr[i]) &&
				    (uplink < 0 || d->peers[n].path_uplink[i] == uplink))
				{
					fo_note_reply(&d->peers[n].fo, i, seq, rx_ns, rtt);
					sched_touch(d, n);
				}
	}
}

/* Which candidate is WireGuard using? At start, adopt it (a restarted daemon, or
 * one started after `meshgw up`, keeps the current choice). While running, follow
 * it: WireGuard moves a peer's endpoint by itself when authenticated packets
 * arrive from a new address (roaming), and decisions must start from the truth. */
void follow_wireguard(struct daemon *d, bool at_start)
{
	struct wg_device dev = { 0 };

	if (d->be->get(d->cfg.local.wg_if, &dev))
		return;
	for (size_t n = 0; n < d->n_peers; n++) {
		struct daemon_peer *p = &d->peers[n];
		struct wg_peer *wp = wg_device_find_peer(&dev, p->site->public_key);
		struct sockaddr_storage cur = { 0 };
		unsigned int i;
		char a[80];

		if (!wp || !wp->endpoint.sa.sa_family)
			continue;
		memcpy(&cur, &wp->endpoint, sizeof(wp->endpoint));
		if (sockaddr_equal(&cur, &p->addr[p->fo.active]))
			continue;
		sched_touch(d, n);	/* whatever follows changes the peer */
		/* Roaming moves the far end, not our uplink: the path to the new
		 * address through the active path's uplink. */
		for (i = 0; i < p->fo.n_ep; i++)
			if (sockaddr_equal(&cur, &p->addr[i]) &&
			    p->path_uplink[i] == p->path_uplink[p->fo.active])
				break;
		if (i < p->fo.n_ep && at_start) {
			p->fo.active = i;
		} else if (i < p->fo.n_ep) {
			unsigned int from = p->fo.active;
			char b[80];

			sockaddr_str(&cur, a, sizeof(a));
			sockaddr_str(&p->addr[from], b, sizeof(b));
			switch (fo_follow(&p->fo, &d->fo, i, mono_ns())) {
			case FO_ROAM_REASSERT:
				pr_info("peer %s: WireGuard roamed to endpoint %u %s right after the move "
					"back (packets the peer sent before ours reached it): pointing it at "
					"endpoint %u %s again", p->site->name, i, a, from, b);
				if (daemon_set_endpoint(d, p, from))
					pr_err("peer %s: cannot set endpoint %s", p->site->name, b);
				break;
			case FO_ROAM_FAR_NAT:
				pr_warn("peer %s: moved back to endpoint %u %s, which answers probes, but "
					"the peer's packets still come from %s: a router in front of "
					"the peer probably keeps a NAT entry for its other ISP (flush its "
					"connection tracking when an ISP comes back, e.g. mwan3's "
					"flush_conntrack, or forward each ISP to its own address of "
					"the gateway). No move back for %u s; WireGuard follows the "
					"peer back as soon as its packets come from there",
					p->site->name, from, b, a, FO_NAT_HOLD_MS / 1000);
				break;
			default:
				pr_info("peer %s: WireGuard roamed to endpoint %u %s (the peer's packets "
					"come from there)", p->site->name, i, a);
			}
		} else if (!p->roam_seen) {
			/* The peer speaks from an address none of its names gave: maybe a
			 * name now resolves there. Look again now rather than in 30 s. */
			pr_debug("peer %s: WireGuard roamed to %s, not a known endpoint",
				 p->site->name, sockaddr_str(&cur, a, sizeof(a)));
			p->next_resolve_ns = 0;
		}
		p->roam_seen = i == p->fo.n_ep;
	}
	wg_device_free(&dev);
}
