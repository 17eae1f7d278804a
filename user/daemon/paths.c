// SPDX-License-Identifier: GPL-2.0-only
/* Paths, for a gateway with several uplinks (DESIGN.md "Several uplinks on the
 * gateway itself"): a path is (our uplink, the peer's endpoint). Each peer's
 * failover candidates are its paths in (uplink, endpoint) preference order, so the
 * decisions of failover/failover.c choose among paths unchanged. Probes of path
 * (u, e) leave uplink u from its address (a socket bound to both); the chosen
 * path's uplink carries WireGuard's packets to the endpoint (meshgw's routing
 * table, gateway/steer.h). A local uplink that stops answering while the others
 * still reach the same endpoints moves every peer off it in one decision
 * (uplink_fail.c).
 * With one uplink a path is an endpoint: nothing here changes anything. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "daemon/internal.h"
#include "failover/probe.h"
#include "gateway/state.h"
#include "lib/log.h"
#include "lib/rtnl_steer.h"
#include "lib/sockaddr.h"

unsigned int paths_layout(const struct daemon *d, struct daemon_peer *p)
{
	unsigned int U = mg_path_uplinks(&d->cfg.local);
	unsigned int E = mg_path_endpoints(&d->cfg.local, p->site->n_endpoints, FO_MAX_ENDPOINTS);

	if (E < p->site->n_endpoints)
		pr_warn("peer %s: only the first %u endpoints are used (%u paths at most%s)",
			p->site->name, E, FO_MAX_ENDPOINTS, U > 1 ? ", through every uplink" : "");
	p->n_site_ep = E;
	for (unsigned int u = 0; u < U; u++)
		for (unsigned int e = 0; e < E; e++) {
			p->path_ep[u * E + e] = (uint8_t)e;
			p->path_uplink[u * E + e] = (uint8_t)u;
		}
	return U * E;
}

static const struct in_addr *addr4(const struct daemon_peer *p, unsigned int i)
{
	const struct sockaddr_in *s = (const struct sockaddr_in *)&p->addr[i];

	return p->addr[i].ss_family == AF_INET ? &s->sin_addr : NULL;
}

int path_probe_fd(const struct daemon *d, const struct daemon_peer *p, unsigned int i)
{
	if (!d->steer_on)
		return d->probe_fd[p->path_ep[i] % MG_PROBE_PORTS];
	/* IPv6 endpoints are not steered per uplink: no path socket for them. */
	if (!addr4(p, i))
		return -1;
	return d->uplink_fd[p->path_uplink[i]][p->path_ep[i] % MG_PROBE_PORTS];
}

int path_uplink_of_fd(const struct daemon *d, int fd)
{
	for (unsigned int u = 0; d->steer_on && u < d->steer.n; u++)
		for (int k = 0; k < MG_PROBE_PORTS; k++)
			if (d->uplink_fd[u][k] == fd)
				return (int)u;
	return -1;
}

/* The data plane (XDP or TC on the first uplink, the one it attaches to) records
 * the replies that come in there; replies on the other uplinks reach their
 * sockets. */
bool path_reply_in_map(const struct daemon *d, const struct daemon_peer *p, unsigned int i)
{
	return !d->steer_on || p->path_uplink[i] == 0;
}

char *path_str(const struct daemon *d, const struct daemon_peer *p, unsigned int i, char *buf,
	       size_t len)
{
	char a[80];

	sockaddr_str(&p->addr[i], a, sizeof(a));
	if (!d->steer_on)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s -> %s", d->cfg.local.uplinks[p->path_uplink[i]].name, a);
	return buf;
}

/* Leaving uplink u: what waits there for its next hop to resolve is let go.
 * An uplink whose link went down has its neighbour entries flushed by the
 * kernel; what is sent that way next (WireGuard's packets until the route moves)
 * waits in a new, unresolved entry for the 3 s the kernel tries, and kernel
 * WireGuard encrypts a forwarded packet in place, so it is still charged to the
 * socket that sent it: measured in the VM, a sender on the gateway or on a veth
 * behind it (ping's small send buffer) got ENOBUFS for those 3 s after the path
 * had moved (wireguard-go copies packets, and was not held). */
static void release_uplink(struct daemon *d, unsigned int u)
{
	const struct steer_uplink *su = &d->steer.up[u];
	char gw[INET_ADDRSTRLEN];
	int ret;

	if (!su->ready || !su->has_gw)
		return;
	ret = steer_neigh_release(&d->steer_nl, su->ifindex, su->gw);
	if (ret > 0)
		pr_debug("uplink %s: next hop %s unresolved: the packets waiting for it let go",
			 su->cfg->name, inet_ntop(AF_INET, &su->gw, gw, sizeof(gw)));
}

/* Every endpoint of the peer is routed through the chosen path's uplink, not
 * only the one WireGuard is pointed at: when WireGuard roams to another of the
 * peer's addresses (its packets come from there), its own packets follow on the
 * same uplink, and the daemon follows it to that path (follow_wireguard). The
 * peer's active path is still the one it leaves. */
int path_choose(struct daemon *d, const struct daemon_peer *p, unsigned int i)
{
	const struct in_addr *a = addr4(p, i);
	unsigned int from = p->fo.n_ep ? p->path_uplink[p->fo.active] : p->path_uplink[i];
	int ret;

	if (!d->steer_on || !a)
		return 0;
	ret = steer_choose(&d->steer_nl, &d->steer, *a, p->path_uplink[i]);
	for (unsigned int e = 0; !ret && e < p->n_site_ep; e++) {
		const struct in_addr *o = addr4(p, e);	/* path e: endpoint e */

		if (o && o->s_addr != a->s_addr)
			steer_choose(&d->steer_nl, &d->steer, *o, p->path_uplink[i]);
	}
	if (!ret && from != p->path_uplink[i] && from < d->steer.n)
		release_uplink(d, from);
	return ret;
}

static void close_uplink(struct daemon *d, unsigned int u)
{
	for (int k = 0; k < MG_PROBE_PORTS; k++) {
		if (d->uplink_fd[u][k] >= 0)
			close(d->uplink_fd[u][k]);	/* leaves the epoll set too */
		d->uplink_fd[u][k] = -1;
	}
}

/* Uplink u's probes leave from its own 8 ports (config.h, probe_ports_of): the
 * first uplink's replies the data plane records, the others' reach these sockets. */
static void open_uplink(struct daemon *d, unsigned int u, const struct steer_uplink *su)
{
	uint16_t port = (uint16_t)(probe_port_of(&d->cfg) + MG_PROBE_PORTS_PER_UPLINK * u);

	for (int k = 0; k < MG_PROBE_PORTS; k++) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fd = probe_socket_open_uplink((uint16_t)(port + k), su->cfg->name, &su->src,
						  d->steer.mark);

		if (fd < 0) {
			pr_err("uplink %s: cannot open the probe socket on %s:%u: %s", su->cfg->name,
			       inet_ntoa(su->src), port + k, strerror(-fd));
			close_uplink(d, u);
			return;
		}
		d->uplink_fd[u][k] = fd;
		ev.data.fd = fd;
		if (d->epfd >= 0 && epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev))
			pr_err("uplink %s: probe socket not watched: %s", su->cfg->name, strerror(errno));
	}
}

/* The routes to every peer's IPv4 endpoints: through the active path's uplink
 * (all of the peer's endpoints: see path_choose). */
static void sync_routes(struct daemon *d)
{
	struct steer_want *w = calloc(d->n_peers * FO_MAX_ENDPOINTS + 1, sizeof(*w));
	size_t n = 0;
	int ret;

	if (!w)
		return;
	for (size_t k = 0; k < d->n_peers; k++) {
		const struct daemon_peer *p = &d->peers[k];

		for (unsigned int e = 0; e < p->n_site_ep; e++) {
			const struct in_addr *a = addr4(p, e);	/* path e: uplink 0, endpoint e */

			if (!a)
				continue;
			w[n].dst = *a;
			w[n++].chosen = p->fo.n_ep ? p->path_uplink[p->fo.active] : -1;
		}
	}
	ret = steer_sync(&d->steer_nl, &d->steer, w, n);
	if (ret)
		pr_warn("meshgw's routing table %u: %s", d->steer.table, strerror(-ret));
	free(w);
}

/* At start: which uplink does each peer's active endpoint use? The metric-0
 * route of meshgw's table says (`up` keeps it, a restarted daemon adopts it). */
static void adopt_paths(struct daemon *d)
{
	struct steer_route *have = NULL;
	size_t n = 0;

	if (steer_route_list(&d->steer_nl, d->steer.table, &have, &n))
		return;
	for (size_t k = 0; k < d->n_peers; k++) {
		struct daemon_peer *p = &d->peers[k];
		unsigned int e;
		const struct in_addr *a;

		if (!p->fo.n_ep)
			continue;
		e = p->path_ep[p->fo.active];
		a = addr4(p, e);
		for (size_t r = 0; a && r < n; r++) {
			if (have[r].metric || have[r].dst.s_addr != a->s_addr)
				continue;
			for (unsigned int i = 0; i < p->fo.n_ep; i++)
				if (p->path_ep[i] == e && p->path_uplink[i] < d->steer.n &&
				    d->steer.up[p->path_uplink[i]].ifindex == have[r].oif)
					p->fo.active = i;
		}
	}
	free(have);
}

void paths_refresh(struct daemon *d, uint64_t now)
{
	struct steer fresh;
	struct mg_state st;
	int lock;

	if (!d->steer_on || now < d->next_steer_ns)
		return;
	d->next_steer_ns = now + IFACES_NS;
	if (steer_resolve(&d->steer_nl, &d->cfg.local, &fresh, false))
		return;
	for (unsigned int u = 0; u < fresh.n; u++) {
		struct steer_uplink *a = &d->steer.up[u], *b = &fresh.up[u];
		char via[INET_ADDRSTRLEN];

		/* Sockets follow the uplink's interface and address. */
		if (a->ready == b->ready && a->ifindex == b->ifindex && a->src.s_addr == b->src.s_addr &&
		    (d->uplink_fd[u][0] >= 0) == b->ready)
			continue;
		close_uplink(d, u);
		if (!b->ready) {
			pr_warn("uplink %s: no %s: no path through it", b->cfg->name,
				!b->ifindex ? "such interface" : !b->src.s_addr ? "IPv4 address" :
				"next hop (no default route out of it)");
			continue;
		}
		open_uplink(d, u, b);
		pr_info("uplink %u %s: source %s, %s%s", u, b->cfg->name, inet_ntoa(b->src),
			b->has_gw ? "via " : "point-to-point",
			b->has_gw ? inet_ntop(AF_INET, &b->gw, via, sizeof(via)) : "");
	}
	d->steer = fresh;
	/* Sockets of the ready uplinks are opened here, the first time too. Routes
	 * once a second whether or not an uplink changed: a route someone deleted,
	 * or the kernel with an uplink set down, comes back. Under the interface's
	 * lock and only while `meshgw up`'s state is recorded, so a `meshgw down`
	 * running now never has routes put back behind it. */
	lock = state_trylock(d->cfg.local.wg_if);
	if (lock < 0)
		return;
	if (!state_load(d->cfg.local.wg_if, &st) && st.steer_table == d->steer.table)
		sync_routes(d);
	state_unlock(lock);
}

int paths_start(struct daemon *d)
{
	int ret;

	for (unsigned int u = 0; u < MG_MAX_UPLINKS; u++)
		for (int k = 0; k < MG_PROBE_PORTS; k++)
			d->uplink_fd[u][k] = -1;
	memset(d->uplink_dead, 0, sizeof(d->uplink_dead));
	memset(&d->steer, 0, sizeof(d->steer));
	if (!local_multi_uplink(&d->cfg.local))
		return 0;
	ret = nl_open(&d->steer_nl, NETLINK_ROUTE);
	if (ret)
		return ret;
	d->steer_on = true;
	ret = steer_resolve(&d->steer_nl, &d->cfg.local, &d->steer, true);
	if (ret)
		return ret;
	adopt_paths(d);
	d->next_steer_ns = 0;
	paths_refresh(d, mono_ns());
	return 0;
}

void paths_stop(struct daemon *d)
{
	for (unsigned int u = 0; u < MG_MAX_UPLINKS; u++)
		close_uplink(d, u);
	if (d->steer_on)
		nl_close(&d->steer_nl);
	d->steer_on = false;
}
