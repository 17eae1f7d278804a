// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's peers: the list built from the mesh (and rebuilt on reload), their
 * endpoints made known to the data plane, their records published. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/internal.h"
#include "failover/fo_state.h"
#include "failover/probe.h"
#include "lib/log.h"
#include "lib/sockaddr.h"

static void resolve_all_now(struct daemon_peer *p)
{
	for (unsigned int e = 0; e < p->n_site_ep; e++) {
		struct sockaddr_storage got = { 0 };
		char buf[80];

		if (resolve_now(&p->site->endpoints[e], &got))
			pr_warn("peer %s: endpoint %s:%u does not resolve (will retry)",
				p->site->name, p->site->endpoints[e].host, p->site->endpoints[e].port);
		else
			pr_debug("peer %s: endpoint %u = %s", p->site->name, e,
				 sockaddr_str(&got, buf, sizeof(buf)));
		/* every path to endpoint e */
		for (unsigned int i = 0; i < p->fo.n_ep; i++)
			if (p->path_ep[i] == e)
				p->addr[i] = got;
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

static int peers_build(struct daemon *d, const struct daemon_peer *old, size_t n_old)
{
	const struct mg_mesh *m = &d->cfg.mesh;
	uint64_t now = mono_ns();

	d->peers = calloc(m->n_sites ? m->n_sites : 1, sizeof(*d->peers));
	if (!d->peers)
		return -ENOMEM;
	d->n_peers = 0;
	d->n_peers_no_dp = 0;
	/* Sites only: a roaming client (m->clients) has no endpoint to probe or move;
	 * WireGuard follows it by itself. */
	for (size_t s = 0; s < m->n_sites; s++) {
		const struct mg_site *site = &m->sites[s];
		struct daemon_peer *p = &d->peers[d->n_peers];
		struct mg_peer_state st;
		bool carried = false;
		unsigned int n_paths;

		if (site == d->cfg.self)
			continue;
		d->n_peers++;
		p->site = site;
		n_paths = paths_layout(d, p);
		p->dp_index = d->maps.fd.peer_info >= 0 ? dp_peer_index(&d->maps, site->name) : -1;
		d->n_peers_no_dp += p->dp_index < 0;
		/* A reload keeps the health of a peer whose endpoints did not change. */
		for (size_t o = 0; o < n_old; o++)
			if (!strcmp(old[o].site->name, site->name) &&
			    same_endpoints(old[o].site, site) && old[o].fo.n_ep == n_paths) {
				p->fo = old[o].fo;
				memcpy(p->addr, old[o].addr, sizeof(p->addr));
				carried = true;
			}
		if (carried)
			continue;
		fo_peer_init(&p->fo, n_paths, now);
		resolve_all_now(p);
		/* Failover counts survive a restart: they live in the pinned map. */
		if (d->state_fd >= 0 && !fo_state_read(d->state_fd, site->name, &st))
			for (unsigned int r = 0; r < FO_REASON__COUNT; r++)
				p->fo.failovers[r] = st.failovers[r];
	}
	follow_wireguard(d, true);
	return 0;
}

/* The peer list for d->cfg, carrying over from old the health of peers whose
 * endpoints did not change; their endpoints told to the data plane; the records
 * of sites that left the mesh dropped. 0 or -ENOMEM. */
int peers_start(struct daemon *d, const struct daemon_peer *old, size_t n_old)
{
	int ret = peers_build(d, old, n_old);

	if (ret)
		return ret;
	peers_watch_endpoints(d);
	/* Hostname endpoints are known only once resolved: let XDP answer them. */
	for (size_t n = 0; n < d->n_peers; n++)
		for (unsigned int i = 0; i < d->peers[n].fo.n_ep; i++)
			if (d->peers[n].addr[i].ss_family && d->peers[n].dp_index >= 0)
				dp_known_ep_add(&d->maps, &d->peers[n].addr[i],
						(__u32)d->peers[n].dp_index);
	if (d->state_fd >= 0) {
		/* Drop records of sites that left the mesh. */
		for (size_t o = 0; o < n_old; o++)
			if (!mesh_find_site(&d->cfg.mesh, old[o].site->name))
				fo_state_delete(d->state_fd, old[o].site->name);
	}
	return 0;
}

void peers_free(struct daemon_peer *peers, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t e = 0; e < FO_MAX_ENDPOINTS; e++)
			resolve_cancel(&peers[i].res[e]);
	free(peers);
}

/* Tells dp_maps which address is which peer's endpoint, so a batch read of
 * mg_ep_stats can be summed per peer and a queued probe reply finds its peers.
 * Again whenever an address changes. Peers without a data-plane slot too: the
 * data plane records replies from any address (read_counters skips them). */
void peers_watch_endpoints(struct daemon *d)
{
	if (dp_watch_reset(&d->maps, d->n_peers * FO_MAX_ENDPOINTS)) {
		/* read_counters falls back to a lookup per endpoint,
		 * read_probe_replies to mg_probes */
		d->watch_failed = true;
		return;
	}
	d->watch_failed = false;
	for (size_t n = 0; n < d->n_peers; n++)
		for (unsigned int i = 0; i < d->peers[n].fo.n_ep; i++)
			dp_watch_add(&d->maps, &d->peers[n].addr[i], EP_ID(n, i));
}
