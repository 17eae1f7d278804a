#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "daemon/daemon.h"
#include "dataplane/dataplane.h"
#include "failover/fo_state.h"
#include "observe/http_metrics.h"
#include "observe/metrics.h"
#include "lib/log.h"
#include "failover/probe.h"
#include "gateway/state.h"
#include "gateway/gateway.h"

#define TICK_NS (10 * MS)		/* decisions and probe scheduling */
#define COUNTERS_NS (50 * MS)		/* data-plane counters */
#define PUBLISH_NS (250 * MS)		/* mg_failover records for show/metrics */
#define WGSYNC_NS (1000 * MS)		/* WireGuard's own endpoint (roaming) */
#define IFACES_NS (1000 * MS)		/* the wg device and the NICs XDP runs on... */
#define IFACES_RETRY_NS (30000 * MS)	/* ...and after a failed reload for one */
#define RESOLVE_NS (30000 * MS)		/* hostnames re-resolved this often... */
#define RESOLVE_TROUBLE_NS (2000 * MS)	/* ...and this often while a peer is in trouble */

/* --- peers ---------------------------------------------------------------------------- */

static void resolve_all_now(struct daemon_peer *p)
{
	for (size_t i = 0; i < p->fo.n_ep; i++) {
		char buf[80];

		if (resolve_now(&p->site->endpoints[i], &p->addr[i]))
			pr_warn("peer %s: endpoint %s:%u does not resolve (will retry)",
				p->site->name, p->site->endpoints[i].host, p->site->endpoints[i].port);
		else
			pr_debug("peer %s: endpoint %zu = %s", p->site->name, i,
				 sockaddr_str(&p->addr[i], buf, sizeof(buf)));
	}
}

static bool same_endpoints(const struct mg_site *a, const struct mg_site *b)
{
	if (a->n_endpoints != b->n_endpoints)
		return false;
	for (size_t i = 0; i < a->n_endpoints; i++)
		if (strcmp(a->endpoints[i].host, b->endpoints[i].host) ||
		    a->endpoints[i].port != b->endpoints[i].port)
			return false;
	return true;
}

static void follow_wireguard(struct daemon *d, bool at_start);
static void on_signal(struct daemon *d);

static int peers_build(struct daemon *d, const struct daemon_peer *old, size_t n_old)
{
	const struct mg_mesh *m = &d->cfg.mesh;
	uint64_t now = mono_ns();

	d->peers = calloc(m->n_sites ? m->n_sites : 1, sizeof(*d->peers));
	if (!d->peers)
		return -ENOMEM;
	d->n_peers = 0;
	for (size_t s = 0; s < m->n_sites; s++) {
		const struct mg_site *site = &m->sites[s];
		struct daemon_peer *p = &d->peers[d->n_peers];
		struct mg_peer_state st;
		bool carried = false;

		if (site == d->cfg.self)
			continue;
		d->n_peers++;
		p->site = site;
		p->dp_index = d->maps.peer_info >= 0 ? dp_peer_index(&d->maps, site->name) : -1;
		/* A reload keeps the health of a peer whose endpoints did not change. */
		for (size_t o = 0; o < n_old; o++)
			if (!strcmp(old[o].site->name, site->name) &&
			    same_endpoints(old[o].site, site)) {
				p->fo = old[o].fo;
				memcpy(p->addr, old[o].addr, sizeof(p->addr));
				carried = true;
			}
		if (carried)
			continue;
		if (site->n_endpoints > FO_MAX_ENDPOINTS)
			pr_warn("peer %s: only the first %d endpoints are used", site->name,
				FO_MAX_ENDPOINTS);
		fo_peer_init(&p->fo, (unsigned int)site->n_endpoints, now);
		resolve_all_now(p);
		/* Failover counts survive a restart: they live in the pinned map. */
		if (d->state_fd >= 0 && !fo_state_read(d->state_fd, site->name, &st))
			for (unsigned int r = 0; r < FO_REASON__COUNT; r++)
				p->fo.failovers[r] = st.failovers[r];
	}
	follow_wireguard(d, true);
	return 0;
}

static void peers_free(struct daemon_peer *peers, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t e = 0; e < FO_MAX_ENDPOINTS; e++)
			resolve_cancel(&peers[i].res[e]);
	free(peers);
}

/* --- inputs ----------------------------------------------------------------------------- */

/* Endpoint i of peer n, as dp_maps reports it back. */
#define EP_ID(n, i) ((__u32)((n) * FO_MAX_ENDPOINTS + (i)))

/* Tells dp_maps which address is which peer's endpoint, so a batch read of
 * mg_ep_stats can be summed per peer. Again whenever an address changes. */
static void watch_endpoints(struct daemon *d)
{
	if (dp_watch_reset(&d->maps, d->n_peers * FO_MAX_ENDPOINTS))
		return;		/* read_counters falls back to a lookup per endpoint */
	for (size_t n = 0; n < d->n_peers; n++)
		for (unsigned int i = 0; d->peers[n].dp_index >= 0 && i < d->peers[n].fo.n_ep; i++)
			dp_watch_add(&d->maps, &d->peers[n].addr[i], EP_ID(n, i));
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
			fo_note_counters(&d->peers[n].fo, rx[n], tx[n], now);
	free(rx);
	free(tx);
	return ret;
}

static void read_counters(struct daemon *d, uint64_t now)
{
	struct wg_device dev = { 0 };
	bool have_dev = false, batched;

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
		fo_note_counters(&p->fo, rx, tx, now);
	}
	wg_device_free(&dev);
}

/* Replies the XDP program recorded in mg_probes: only the records a decision of
 * this tick may depend on (fo_reply_read, which says why nothing is missed), and
 * those awaiting a reply only when the data plane recorded a reply at all since
 * the last tick. 1,000 peers, idle or dead, then cost about a thousand lookups a
 * second (one before each probe) instead of 200,000. */
static void read_probe_replies(struct daemon *d, uint64_t now)
{
	bool recorded;

	if (d->maps.probes < 0)
		return;
	recorded = dp_probes_recorded(&d->maps);
	for (size_t n = 0; n < d->n_peers; n++) {
		struct daemon_peer *p = &d->peers[n];

		for (unsigned int i = 0; i < p->fo.n_ep; i++) {
			enum fo_read r = fo_reply_read(&p->fo, &d->fo, i, now);
			struct mg_probe_stats ps;

			if (!p->addr[i].ss_family || r == FO_READ_NONE ||
			    (r == FO_READ_IF_NEW && !recorded))
				continue;
			/* The reply's time and RTT are the XDP program's, so reading
			 * it later than it arrived changes neither. */
			if (!dp_probe_stats(&d->maps, &p->addr[i], &ps))
				fo_note_reply(&p->fo, i, ps.last_seq, ps.last_rx_ns, ps.last_rtt_ns);
		}
	}
}

/* Replies reach the sockets only when no XDP program took them (data plane down);
 * epoll says when. */
static void drain_probe_socket(struct daemon *d, int fd)
{
	struct sockaddr_storage from;
	uint64_t rtt, rx_ns;
	uint32_t seq;
	int ret;

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
				if (sockaddr_equal(&from, &d->peers[n].addr[i]))
					fo_note_reply(&d->peers[n].fo, i, seq, rx_ns, rtt);
	}
}

/* --- actions ------------------------------------------------------------------------------ */

static int set_endpoint(struct daemon *d, struct daemon_peer *p, unsigned int i)
{
	struct wg_device change = { 0 };
	struct wg_peer *wp;
	int ret;

	snprintf(change.name, sizeof(change.name), "%s", d->cfg.local.wg_if);
	wp = wg_device_add_peer(&change);
	if (!wp)
		return -ENOMEM;
	memcpy(wp->public_key, p->site->public_key, WG_KEY_LEN);
	memcpy(&wp->endpoint, &p->addr[i], sizeof(wp->endpoint));
	wp->flags = WG_PEER_SET_ENDPOINT;
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

static void switch_to(struct daemon *d, struct daemon_peer *p, unsigned int to,
		      enum fo_reason why, uint64_t now)
{
	char a[80], b[80], txt[96];
	unsigned int from = p->fo.active;
	int ret;

	if (!p->addr[to].ss_family)
		return;
	ret = set_endpoint(d, p, to);
	if (ret) {
		pr_err("peer %s: cannot set endpoint %s: %s", p->site->name,
		       sockaddr_str(&p->addr[to], a, sizeof(a)), strerror(-ret));
		return;
	}
	fo_switched(&p->fo, &d->fo, to, why, now);
	/* show and metrics see the change now, not at the next periodic write */
	if (d->state_fd >= 0)
		fo_state_write(d->state_fd, p->site->name, &p->fo, p->addr, now);
	pr_info("peer %s: endpoint %u %s -> %u %s (%s: %s)", p->site->name, from,
		sockaddr_str(&p->addr[from], a, sizeof(a)), to,
		sockaddr_str(&p->addr[to], b, sizeof(b)), fo_reason_name(why),
		reason_text(why, &d->fo, p->fo.failbacks_undone, txt, sizeof(txt)));
}

static void send_probes(struct daemon *d, struct daemon_peer *p, uint64_t now)
{
	for (unsigned int i = 0; i < p->fo.n_ep; i++) {
		uint64_t tx_ns;
		int ret;

		if (!p->addr[i].ss_family || !fo_probe_due(&p->fo, &d->fo, i, now))
			continue;
		ret = probe_send(d->probe_fd[i % MG_PROBE_PORTS], &p->addr[i], p->fo.ep[i].next_seq,
				 d->tag, &tx_ns);
		/* A probe the kernel could not even route counts as lost. */
		if (!ret || ret == -ENETUNREACH || ret == -EHOSTUNREACH || ret == -EPERM)
			fo_probe_sent(&p->fo, i, now);
	}
}

static void resolve_names(struct daemon *d, struct daemon_peer *p, uint64_t now)
{
	bool trouble = p->fo.suspect || p->fo.ep[p->fo.active].state == FO_EP_DOWN;

	for (unsigned int i = 0; i < p->fo.n_ep; i++) {
		struct sockaddr_storage got;
		char a[80], b[80];
		int ret;

		if (p->site->endpoints[i].is_literal)
			continue;
		ret = resolve_poll(&p->res[i], &got);
		if (ret < 0)
			pr_warn("peer %s: %s does not resolve: %s", p->site->name,
				p->site->endpoints[i].host, gai_strerror(-ret));
		if (ret != 1 || sockaddr_equal(&got, &p->addr[i]))
			continue;
		pr_info("peer %s: %s now resolves to %s (was %s)", p->site->name,
			p->site->endpoints[i].host, sockaddr_str(&got, a, sizeof(a)),
			sockaddr_str(&p->addr[i], b, sizeof(b)));
		p->addr[i] = got;
		if (p->dp_index >= 0)
			dp_known_ep_add(&d->maps, &got, (__u32)p->dp_index);
		watch_endpoints(d);
		/* Old health says nothing about the new address. */
		p->fo.ep[i].state = FO_EP_UNKNOWN;
		p->fo.ep[i].last_probe_ns = 0;
		p->fo.ep[i].unanswered = 0;
		p->fo.ep[i].unanswered_since_ns = 0;
		if (i == p->fo.active)
			switch_to(d, p, i, FO_REASON_ADDRESS_CHANGED, now);
	}
	/* Due 30 s after the last lookup, or 2 s after it once the peer is in
	 * trouble (its address may have changed); forced by next_resolve_ns = 0. */
	if (p->next_resolve_ns &&
	    now - p->last_resolve_ns < (trouble ? RESOLVE_TROUBLE_NS : RESOLVE_NS))
		return;
	p->last_resolve_ns = now;
	p->next_resolve_ns = 1;
	for (unsigned int i = 0; i < p->fo.n_ep; i++)
		if (!p->site->endpoints[i].is_literal)
			resolve_start(&p->res[i], &p->site->endpoints[i]);
}

/* Which candidate is WireGuard using? At start, adopt it (a restarted daemon, or
 * one started after `meshgw up`, keeps the current choice). While running, follow
 * it: WireGuard moves a peer's endpoint by itself when authenticated packets
 * arrive from a new address (roaming), and decisions must start from the truth. */
static void follow_wireguard(struct daemon *d, bool at_start)
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
		for (i = 0; i < p->fo.n_ep; i++)
			if (sockaddr_equal(&cur, &p->addr[i]))
				break;
		if (i < p->fo.n_ep && at_start) {
			p->fo.active = i;
		} else if (i < p->fo.n_ep) {
			pr_info("peer %s: WireGuard roamed to endpoint %u %s (the peer's packets "
				"come from there)", p->site->name, i, sockaddr_str(&cur, a, sizeof(a)));
			fo_follow(&p->fo, &d->fo, i, mono_ns());
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

/* One line per endpoint that went up or down, with what the probes saw. */
static void log_health_changes(struct daemon_peer *p, uint64_t now)
{
	for (unsigned int i = 0; i < p->fo.n_ep; i++) {
		const struct fo_endpoint *e = &p->fo.ep[i];
		char a[80];

		if (e->state == p->logged_state[i])
			continue;
		if (e->state == FO_EP_DOWN)
			pr_info("peer %s: endpoint %u %s down (%u probes unanswered over %llu ms)",
				p->site->name, i, sockaddr_str(&p->addr[i], a, sizeof(a)),
				e->unanswered,
				(unsigned long long)((now - e->unanswered_since_ns) / MS));
		else if (e->state == FO_EP_UP && p->logged_state[i] == FO_EP_DOWN)
			pr_info("peer %s: endpoint %u %s up (rtt %.2f ms)", p->site->name, i,
				sockaddr_str(&p->addr[i], a, sizeof(a)), (double)e->rtt_ns / 1e6);
		p->logged_state[i] = e->state;
	}
}

/* The interfaces XDP runs on, as they were when the programs were loaded: their
 * index (0: none configured, or gone) and MAC (all zero: none, or not Ethernet). */
static void remember_ifaces(struct daemon *d)
{
	const char *ifs[MG_XDP_IFACES] = { d->cfg.local.lan_if, d->cfg.local.uplink_if };

	memset(d->if_mac, 0, sizeof(d->if_mac));
	memset(d->if_index, 0, sizeof(d->if_index));
	for (int i = 0; i < MG_XDP_IFACES; i++) {
		if (!ifs[i][0])
			continue;
		d->if_index[i] = if_nametoindex(ifs[i]);
		dataplane_if_mac(ifs[i], d->if_mac[i]);
	}
}

/* `meshgw down` removes up's state (/run/meshgw/<wg>.state) last, after the data
 * plane, mg_failover and the link it created: from then on the daemon brings
 * nothing back, and stops. */
static void stop_taken_down(struct daemon *d)
{
	pr_info("%s was taken down by `meshgw down`: stopping", d->cfg.local.wg_if);
	d->stop = true;
}

/* The data plane follows the NICs it runs on. XDP handles only frames addressed
 * to the MAC it was given at load time, so a changed address (set by hand, a
 * bond moving to another slave) needs the program loaded again. A NIC deleted
 * and created again (ifupdown does that to a bridge) lost the XDP program and
 * the TC filter with its old index: they are attached again once it is back.
 * -1 when a reload failed (the caller tries again later), else 0. */
static int check_ifaces(struct daemon *d)
{
	const char *ifs[MG_XDP_IFACES] = { d->cfg.local.lan_if, d->cfg.local.uplink_if };

	for (int i = 0; i < MG_XDP_IFACES; i++) {
		unsigned int idx;
		uint8_t mac[6];
		int ret;

		if (!ifs[i][0])
			continue;
		idx = if_nametoindex(ifs[i]);
		if (!idx) {
			if (d->if_index[i])
				pr_warn("%s is gone, and meshgw's XDP program and TC filter with it; "
					"attaching them again when it is back", ifs[i]);
			d->if_index[i] = 0;
			continue;
		}
		if (idx != d->if_index[i])
			pr_info("%s is back (index %u): attaching the data plane again", ifs[i], idx);
		else if (!dataplane_if_mac(ifs[i], mac) && memcmp(mac, d->if_mac[i], 6))
			pr_info("%s: MAC address now %02x:%02x:%02x:%02x:%02x:%02x: reloading the XDP "
				"program", ifs[i], mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		else
			continue;
		ret = gateway_reapply(&d->cfg);
		if (ret > 0) {
			stop_taken_down(d);
			return 0;
		}
		if (ret) {
			pr_err("%s: reloading the data plane failed; trying again in %llu s", ifs[i],
			       (unsigned long long)(IFACES_RETRY_NS / (1000 * MS)));
			return -1;
		}
		remember_ifaces(d);
		return 0;
	}
	return 0;
}

/* The WireGuard interface gone under the daemon: if `meshgw up`'s state is still
 * recorded, wireguard-go exited or someone deleted the link, and the gateway is
 * brought up again (link, peers, routes, the TC programs on it). Without the
 * state, link or not, `meshgw down` took the gateway down: the daemon stops with it.
 * -1 when bringing it up failed (the caller tries again later), else 0. */
static int check_wireguard(struct daemon *d)
{
	const char *wg = d->cfg.local.wg_if;
	struct mg_state st;
	int ret;

	/* Checked first: a link meshgw did not create outlives `down` (which takes
	 * only meshgw's routes and address off it). */
	if (state_load(wg, &st) == -ENOENT) {
		stop_taken_down(d);
		return 0;
	}
	if (if_nametoindex(wg)) {
		d->wg_missing = false;
		return 0;
	}
	/* Missing at two checks in a row: whoever is tearing the gateway down with
	 * signals (wireguard-go and meshgw together) has reached the daemon by then. */
	if (!d->wg_missing) {
		d->wg_missing = true;
		return 0;
	}
	d->wg_missing = false;
	on_signal(d);		/* a SIGTERM already sent wins over bringing it back */
	if (d->stop)
		return 0;
	ret = gateway_restore(&d->cfg);
	if (ret == -ENOENT) {
		stop_taken_down(d);
		return 0;
	}
	if (ret < 0) {
		pr_err("%s: bringing the gateway up again failed; trying again in %llu s", wg,
		       (unsigned long long)(IFACES_RETRY_NS / (1000 * MS)));
		return -1;
	}
	if (ret > 0)
		remember_ifaces(d);
	return 0;
}

static void tick(struct daemon *d)
{
	uint64_t now = mono_ns();

	if (now >= d->next_wgsync_ns) {
		follow_wireguard(d, false);
		d->next_wgsync_ns = now + WGSYNC_NS;
	}
	if (now >= d->next_ifaces_ns) {
		d->next_ifaces_ns = now + (check_wireguard(d) || (!d->stop && check_ifaces(d)) ?
					   IFACES_RETRY_NS : IFACES_NS);
		if (!d->stop && d->maps.ifaces >= 0)
			dp_iface_watch(d->maps.ifaces, &d->fast_path);
	}
	if (d->stop)
		return;		/* `meshgw down` took the gateway away */

	if (now >= d->next_counters_ns) {
		read_counters(d, now);
		d->next_counters_ns = now + COUNTERS_NS;
	}
	read_probe_replies(d, now);
	for (size_t n = 0; n < d->n_peers; n++) {
		struct daemon_peer *p = &d->peers[n];
		enum fo_reason why;
		unsigned int to;

		resolve_names(d, p, now);
		send_probes(d, p, now);
		to = fo_decide(&p->fo, &d->fo, now, &why);
		log_health_changes(p, now);
		if (to != p->fo.active)
			switch_to(d, p, to, why, now);
	}
	if (now >= d->next_publish_ns && d->state_fd >= 0) {
		/* All records in one batch update; the buffers stay for the next round. */
		static struct fo_state_batch publish;

		for (size_t n = 0; n < d->n_peers; n++)
			fo_state_batch_add(&publish, d->peers[n].site->name, &d->peers[n].fo,
					   d->peers[n].addr, now);
		fo_state_batch_flush(&publish, d->state_fd);
		d->next_publish_ns = now + PUBLISH_NS;
	}
}

/* Local settings override the defaults (0 = not set). */
static void config_failover_settings(const struct mg_config *c, struct fo_settings *s)
{
	if (c->local.failure_window_ms)
		s->fail_ms = c->local.failure_window_ms;
	if (c->local.probe_interval_ms)
		s->probe_fast_ms = c->local.probe_interval_ms;
	if (c->local.holddown_ms)
		s->holddown_ms = c->local.holddown_ms;
}

/* --- setup, reload, loop ---------------------------------------------------------------------- */

/* Everything that depends on the configuration: maps, backend, tag, peers. */
static int daemon_apply(struct daemon *d, const struct daemon_peer *old, size_t n_old)
{
	int ret;

	dp_maps_close(&d->maps);
	if (dp_maps_open(&d->maps, d->cfg.local.pin_path))
		pr_warn("no data plane under %s: using WireGuard's counters and the probe socket",
			d->cfg.local.pin_path);
	if (d->state_fd < 0) {
		d->state_fd = fo_state_create(d->cfg.local.pin_path);
		if (d->state_fd < 0)
			pr_warn("cannot publish failover state in %s: %s", d->cfg.local.pin_path,
				strerror(-d->state_fd));
	}
	ret = wg_backend_choose(d->cfg.local.backend, d->cfg.local.path, &d->be);
	if (!ret)
		ret = probe_tag_for_config(&d->cfg, d->tag);
	if (!ret)
		ret = peers_build(d, old, n_old);
	if (!ret)
		watch_endpoints(d);
	/* Hostname endpoints are known only once resolved: let XDP answer them. */
	for (size_t n = 0; !ret && n < d->n_peers; n++)
		for (unsigned int i = 0; i < d->peers[n].fo.n_ep; i++)
			if (d->peers[n].addr[i].ss_family && d->peers[n].dp_index >= 0)
				dp_known_ep_add(&d->maps, &d->peers[n].addr[i],
						(__u32)d->peers[n].dp_index);
	if (!ret && d->state_fd >= 0) {
		/* Drop records of sites that left the mesh. */
		for (size_t o = 0; o < n_old; o++)
			if (!mesh_find_site(&d->cfg.mesh, old[o].site->name))
				fo_state_delete(d->state_fd, old[o].site->name);
	}
	return ret;
}

static void probe_sockets_close(int fd[MG_PROBE_PORTS])
{
	for (int k = 0; k < MG_PROBE_PORTS; k++) {
		if (fd[k] >= 0)
			close(fd[k]);
		fd[k] = -1;
	}
}

/* Endpoint i's probes leave from ProbePort + i. All or nothing. */
static int probe_sockets_open(int fd[MG_PROBE_PORTS], uint16_t first)
{
	for (int k = 0; k < MG_PROBE_PORTS; k++)
		fd[k] = -1;
	for (int k = 0; k < MG_PROBE_PORTS; k++) {
		fd[k] = probe_socket_open((uint16_t)(first + k));
		if (fd[k] < 0) {
			int err = fd[k];

			pr_err("cannot open the probe socket on UDP port %u (ProbePort + %d): %s",
			       first + k, k, strerror(-err));
			fd[k] = -1;
			probe_sockets_close(fd);
			return err;
		}
	}
	return 0;
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* GET /metrics on addr, serving d->cfg (whatever it holds when asked). */
static struct http_metrics *metrics_open(struct daemon *d, const char *addr)
{
	struct http_metrics *h;
	int err;

	h = http_metrics_open(addr, NULL, metrics_http_provider, &d->cfg, &err);
	if (!h)
		pr_err("cannot serve metrics on %s: %s", addr, strerror(-err));
	return h;
}

/* What a reload has to open anew (probe sockets, metrics server) is opened before
 * anything is changed, so that a port that cannot be had leaves the daemon as it
 * was. */
struct reload_res {
	int probe_fd[MG_PROBE_PORTS];
	bool new_probes, new_http;
	struct http_metrics *http;
};

static int reload_prepare(struct daemon *d, const struct mg_config *fresh, struct reload_res *r)
{
	r->new_probes = probe_port_of(fresh) != probe_port_of(&d->cfg);
	r->new_http = strcmp(fresh->local.metrics, d->cfg.local.metrics);
	r->http = NULL;
	if (r->new_probes && probe_sockets_open(r->probe_fd, probe_port_of(fresh)))
		return -1;
	if (r->new_http && fresh->local.metrics[0] && !(r->http = metrics_open(d, fresh->local.metrics))) {
		if (r->new_probes)
			probe_sockets_close(r->probe_fd);
		return -1;
	}
	return 0;
}

static void reload_discard(struct reload_res *r)
{
	if (r->new_probes)
		probe_sockets_close(r->probe_fd);
	http_metrics_close(r->http);
}

/* Swaps in what reload_prepare opened (closing a socket drops it from epoll). */
static void reload_commit(struct daemon *d, struct reload_res *r)
{
	if (r->new_probes) {
		probe_sockets_close(d->probe_fd);
		memcpy(d->probe_fd, r->probe_fd, sizeof(d->probe_fd));
		for (int k = 0; k < MG_PROBE_PORTS; k++)
			if (epoll_add(d->epfd, d->probe_fd[k]))
				pr_err("reload: probe socket %d not watched: %s", k, strerror(errno));
	}
	if (r->new_http) {
		http_metrics_close(d->http);
		d->http = r->http;
		if (d->http && epoll_add(d->epfd, http_metrics_fd(d->http)))
			pr_err("reload: metrics server not watched: %s", strerror(errno));
	}
}

static void reload(struct daemon *d)
{
	struct mg_errors e = { .out = stderr };
	struct daemon_peer *old_peers = d->peers;
	size_t n_old = d->n_peers;
	struct mg_config old = d->cfg, fresh;
	struct reload_res res;
	int ret;

	pr_info("SIGHUP: reloading %s and %s", d->mesh_path, d->local_path);
	if (config_load(&fresh, d->mesh_path, d->local_path, &e)) {
		pr_err("reload: %d problem%s; still running the previous configuration", e.count,
		       e.count == 1 ? "" : "s");
		config_free(&fresh);
		return;
	}
	if (strcmp(fresh.local.wg_if, old.local.wg_if) || strcmp(fresh.local.pin_path, old.local.pin_path) ||
	    strcmp(fresh.self->name, old.self->name)) {
		pr_err("reload: WireGuardInterface, PinPath and Site cannot change while running; "
		       "restart meshgw");
		config_free(&fresh);
		return;
	}
	if (reload_prepare(d, &fresh, &res)) {
		pr_err("reload: still running the previous configuration");
		config_free(&fresh);
		return;
	}
	ret = gateway_reapply(&fresh);
	if (ret > 0) {
		stop_taken_down(d);
		reload_discard(&res);
		config_free(&fresh);
		return;
	}
	if (ret) {
		pr_err("reload: applying the new configuration failed; still running the previous one");
		reload_discard(&res);
		config_free(&fresh);
		return;
	}
	d->cfg = fresh;
	remember_ifaces(d);
	reload_commit(d, &res);
	fo_default_settings(&d->fo);		/* a key taken out goes back to its default */
	config_failover_settings(&d->cfg, &d->fo);
	if (daemon_apply(d, old_peers, n_old)) {
		pr_err("reload: could not rebuild the peer list");
	}
	peers_free(old_peers, n_old);
	config_free(&old);
	pr_info("reload: done, %zu peer%s; probes from UDP %u-%u, failure window %u ms, "
		"hold-down %u ms%s%s", d->n_peers, d->n_peers == 1 ? "" : "s", probe_port_of(&d->cfg),
		probe_port_of(&d->cfg) + MG_PROBE_PORTS - 1, d->fo.fail_ms, d->fo.holddown_ms,
		d->http ? ", metrics on " : "", d->http ? d->cfg.local.metrics : "");
}

static int setup_fds(struct daemon *d)
{
	struct itimerspec its = { .it_interval = { 0, TICK_NS }, .it_value = { 0, TICK_NS } };
	sigset_t mask;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->timerfd < 0 || d->epfd < 0 || timerfd_settime(d->timerfd, 0, &its, NULL))
		return -errno;
	if ((err = epoll_add(d->epfd, d->sigfd)) || (err = epoll_add(d->epfd, d->timerfd)))
		return err;
	for (int k = 0; k < MG_PROBE_PORTS; k++)
		if ((err = epoll_add(d->epfd, d->probe_fd[k])))
			return err;
	if (d->cfg.local.metrics[0]) {
		/* The server's own epoll fd: readable while a client needs service. */
		d->http = metrics_open(d, d->cfg.local.metrics);
		if (!d->http)
			return -EADDRNOTAVAIL;
		if ((err = epoll_add(d->epfd, http_metrics_fd(d->http))))
			return err;
		pr_info("serving GET /metrics on %s", d->cfg.local.metrics);
	}
	return 0;
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(d);
		} else {
			pr_info("%s: exiting; the data path stays up (pinned under %s)",
				strsignal((int)si.ssi_signo), d->cfg.local.pin_path);
			d->stop = true;
		}
	}
}

int daemon_run(const char *mesh_path, const char *local_path)
{
	struct mg_errors e = { .out = stderr };
	struct daemon d = { .mesh_path = mesh_path, .local_path = local_path, .epfd = -1,
			    .timerfd = -1, .sigfd = -1, .state_fd = -1,
			    .maps = { -1, -1, -1, -1, -1, -1, 0 } };
	int ret;

	fo_default_settings(&d.fo);
	if (config_load(&d.cfg, mesh_path, local_path, &e)) {
		fprintf(stderr, "meshgw: %d problem%s found; nothing was changed\n", e.count,
			e.count == 1 ? "" : "s");
		config_free(&d.cfg);
		return 1;
	}
	config_failover_settings(&d.cfg, &d.fo);
	if (gateway_up(&d.cfg, true)) {
		config_free(&d.cfg);
		return 1;
	}
	remember_ifaces(&d);
	if (probe_sockets_open(d.probe_fd, probe_port_of(&d.cfg))) {
		ret = 1;
		goto out;
	}
	ret = daemon_apply(&d, NULL, 0);
	if (!ret)
		ret = setup_fds(&d);
	if (ret) {
		pr_err("cannot start the daemon: %s", strerror(-ret));
		ret = 1;
		goto out;
	}
	pr_info("running: site %s, %zu peer%s, probes from UDP %u-%u, failure window %u ms, "
		"hold-down %u ms", d.cfg.self->name, d.n_peers, d.n_peers == 1 ? "" : "s",
		probe_port_of(&d.cfg), probe_port_of(&d.cfg) + MG_PROBE_PORTS - 1, d.fo.fail_ms,
		d.fo.holddown_ms);
	while (!d.stop) {
		struct epoll_event evs[4 + MG_PROBE_PORTS];
		int n = epoll_wait(d.epfd, evs, 4 + MG_PROBE_PORTS, -1);

		if (n < 0 && errno != EINTR) {
			pr_err("epoll: %s", strerror(errno));
			ret = 1;
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t expirations;

			if (evs[i].data.fd == d.sigfd) {
				on_signal(&d);
			} else if (evs[i].data.fd == d.timerfd) {
				if (read(d.timerfd, &expirations, sizeof(expirations)) > 0) {
					uint64_t t0 = mono_ns(), took;

					tick(&d);
					/* Decisions are timed in tens of ms: say when one stalls. */
					took = mono_ns() - t0;
					if (took > 100 * MS)
						pr_warn("a tick took %llu ms (WireGuard or the maps "
							"answered slowly)", (unsigned long long)(took / MS));
				}
				if (d.http)
					http_metrics_tick(d.http, mono_ns());
			} else if (d.http && evs[i].data.fd == http_metrics_fd(d.http)) {
				http_metrics_on_ready(d.http, mono_ns());
			} else {
				drain_probe_socket(&d, evs[i].data.fd);
			}
		}
	}
out:
	http_metrics_close(d.http);
	peers_free(d.peers, d.n_peers);
	dp_maps_close(&d.maps);
	int fds[] = { d.epfd, d.timerfd, d.sigfd, d.state_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	probe_sockets_close(d.probe_fd);
	config_free(&d.cfg);
	return ret;
}
