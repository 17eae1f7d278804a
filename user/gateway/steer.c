// SPDX-License-Identifier: GPL-2.0-only
/* meshgw's routing table for WireGuard's own packets: see steer.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include "config/resolve.h"
#include "gateway/steer.h"
#include "lib/log.h"
#include "lib/rtnl.h"
#include "lib/rtnl_steer.h"
#include "lib/sysctl.h"

/* rp_filter 1 (strict) on an uplink drops what arrives there from an address the
 * main table routes out of another uplink: probe replies and WireGuard packets
 * on every path but the main table's. The effective value is the larger of
 * conf.all and conf.<uplink>. */
static void warn_rp_filter(const char *ifname)
{
	if (sysctl_rp_filter(ifname) == 1)
		pr_warn("%s: rp_filter is strict (1): replies and WireGuard packets that come in on "
			"it from an address the main table routes out of another uplink are dropped; "
			"set net.ipv4.conf.%s.rp_filter (and .all) to 2 (loose)", ifname, ifname);
}

int steer_resolve(struct nl_sock *s, const struct mg_local *l, struct steer *st, bool report)
{
	memset(st, 0, sizeof(*st));
	st->mark = l->fwmark;
	st->table = l->steer_table;
	st->n = l->n_uplinks;
	for (size_t i = 0; i < l->n_uplinks; i++) {
		struct steer_uplink *u = &st->up[i];
		char via[INET_ADDRSTRLEN];
		int ret;

		u->cfg = &l->uplinks[i];
		u->ifindex = if_nametoindex(u->cfg->name);
		if (!u->ifindex) {
			if (report)
				pr_warn("%s:%d: UplinkInterface %s does not exist (yet): no path through it",
					l->path, u->cfg->line, u->cfg->name);
			continue;
		}
		if (report)
			warn_rp_filter(u->cfg->name);
		ret = steer_if_addr4(s, u->ifindex, NULL, &u->src);
		if (ret == -ENOENT) {
			if (report)
				pr_warn("%s:%d: UplinkInterface %s has no IPv4 address (yet): no path through it",
					l->path, u->cfg->line, u->cfg->name);
			continue;
		}
		if (ret)
			return ret;
		if (u->cfg->has_via) {
			u->has_gw = true;
			u->gw = u->cfg->via;
		} else if ((ret = steer_default_via(s, u->ifindex, &u->has_gw, &u->gw))) {
			if (ret != -ENOENT)
				return ret;
			if (report)
				pr_warn("%s:%d: UplinkInterface %s: no default route out of it in the main "
					"table (yet) to take the next hop from (`UplinkInterface = %s via "
					"ADDRESS` names it): no path through it", l->path, u->cfg->line,
					u->cfg->name, u->cfg->name);
			continue;
		}
		u->ready = true;
		if (report)
			pr_debug("uplink %zu %s: source %s, %s%s", i, u->cfg->name, inet_ntoa(u->src),
				 u->has_gw ? "via " : "no next hop (point-to-point)",
				 u->has_gw ? inet_ntop(AF_INET, &u->gw, via, sizeof(via)) : "");
	}
	return 0;
}

static struct steer_route route_of(const struct steer_uplink *u, struct in_addr dst,
				   uint32_t metric)
{
	struct steer_route r = { .dst = dst, .oif = u->ifindex, .has_gw = u->has_gw,
				 .gw = u->gw, .src = u->src, .metric = metric };

	return r;
}

static bool route_eq(const struct steer_route *a, const struct steer_route *b)
{
	return a->dst.s_addr == b->dst.s_addr && a->metric == b->metric && a->oif == b->oif &&
	       a->has_gw == b->has_gw && (!a->has_gw || a->gw.s_addr == b->gw.s_addr) &&
	       a->src.s_addr == b->src.s_addr;
}

/* The table's routes sorted by (destination, metric), and the wanted
 * destinations sorted: a sync of thousands of endpoints is O(n log n), not the
 * n^2 of scanning every route for every endpoint once a second. */
static int cmp_route(const void *a, const void *b)
{
	const struct steer_route *x = a, *y = b;
	uint32_t dx = ntohl(x->dst.s_addr), dy = ntohl(y->dst.s_addr);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return x->metric < y->metric ? -1 : x->metric > y->metric;
}

static int cmp_want(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct steer_want *)a)->dst.s_addr);
	uint32_t y = ntohl(((const struct steer_want *)b)->dst.s_addr);

	return x < y ? -1 : x > y;
}

static const struct steer_route *find(const struct steer_route *v, size_t n,
				      struct in_addr dst, uint32_t metric)
{
	struct steer_route key = { .dst = dst, .metric = metric };

	return n ? bsearch(&key, v, n, sizeof(*v), cmp_route) : NULL;
}

/* The uplink of the path to w: chosen if ready, else the one its route is on
 * (if ready), else the first ready one; -1 when none is. */
static int uplink_for(const struct steer *st, const struct steer_want *w,
		      const struct steer_route *have, size_t n_have)
{
	const struct steer_route *cur = find(have, n_have, w->dst, 0);

	if (w->chosen >= 0 && (size_t)w->chosen < st->n && st->up[w->chosen].ready)
		return w->chosen;
	for (size_t u = 0; cur && u < st->n; u++)
		if (st->up[u].ready && st->up[u].ifindex == cur->oif)
			return (int)u;
	for (size_t u = 0; u < st->n; u++)
		if (st->up[u].ready)
			return (int)u;
	return -1;
}

/* w sorted by cmp_want. */
static bool wanted(const struct steer *st, const struct steer_want *w, size_t n,
		   const struct steer_route *r)
{
	struct steer_want key = { .dst = r->dst };

	if (!n || !bsearch(&key, w, n, sizeof(*w), cmp_want))
		return false;
	/* metric 0 is replaced, not deleted, when it changes */
	return r->metric == 0 || (r->metric <= st->n && st->up[r->metric - 1].ready);
}

static int set_if_differs(struct nl_sock *s, const struct steer *st, const struct steer_route *want,
			  const struct steer_route *have, size_t n_have)
{
	const struct steer_route *cur = find(have, n_have, want->dst, want->metric);

	if (cur && route_eq(cur, want))
		return 0;
	return steer_route_set(s, st->table, want, false);
}

int steer_sync(struct nl_sock *s, const struct steer *st, struct steer_want *w, size_t n)
{
	struct steer_route *have = NULL;
	size_t n_have = 0;
	int ret = steer_route_list(s, st->table, &have, &n_have), err = 0;
	bool any_ready = false;

	if (ret)
		return ret;
	if (n_have)
		qsort(have, n_have, sizeof(*have), cmp_route);
	for (size_t i = 0; i < n; i++) {
		int c = uplink_for(st, &w[i], have, n_have);
		struct steer_route r;

		if (c < 0)
			continue;
		r = route_of(&st->up[c], w[i].dst, 0);
		ret = set_if_differs(s, st, &r, have, n_have);
		err = err ? err : ret;
		for (size_t u = 0; u < st->n; u++) {
			if (!st->up[u].ready)
				continue;
			r = route_of(&st->up[u], w[i].dst, (uint32_t)u + 1);
			ret = set_if_differs(s, st, &r, have, n_have);
			err = err ? err : ret;
		}
	}
	for (size_t u = 0; u < st->n; u++)
		any_ready |= st->up[u].ready;
	if (n)
		qsort(w, n, sizeof(*w), cmp_want);
	for (size_t i = 0; i < n_have; i++)
		if (!wanted(st, w, n, &have[i]) || !any_ready) {
			ret = steer_route_del(s, st->table, &have[i]);
			if (ret && ret != -ESRCH)
				err = err ? err : ret;
		}
	free(have);
	return err;
}

int steer_choose(struct nl_sock *s, const struct steer *st, struct in_addr dst, unsigned int u)
{
	struct steer_route r;

	if (u >= st->n || !st->up[u].ready)
		return -ENETUNREACH;
	/* Replaced, never added: the routes are up's (and the daemon's sync, under
	 * the lock); a switch racing with `meshgw down` must not put one back. */
	r = route_of(&st->up[u], dst, 0);
	return steer_route_set(s, st->table, &r, true);
}

/* Every remote site's IPv4 endpoint addresses, for up (the daemon has its own
 * list, with the names it resolved since). */
static int endpoints_of(const struct mg_config *c, struct steer_want **out, size_t *n)
{
	struct steer_want *w = NULL;
	size_t k = 0, cap = 0;

	for (size_t i = 0; i < c->mesh.n_sites; i++) {
		const struct mg_site *site = &c->mesh.sites[i];

		if (site == c->self)
			continue;
		for (size_t e = 0; e < site->n_endpoints; e++) {
			struct sockaddr_storage ss;

			if (resolve_now(&site->endpoints[e], &ss))
				continue;	/* the daemon adds it once it resolves */
			if (ss.ss_family != AF_INET) {
				pr_warn("site %s: endpoint %s is IPv6: with several uplinks only IPv4 "
					"endpoints are steered; this one follows the main table",
					site->name, site->endpoints[e].host);
				continue;
			}
			if (k == cap) {
				struct steer_want *v;

				cap = cap ? 2 * cap : 16;
				v = realloc(w, cap * sizeof(*v));
				if (!v) {
					free(w);
					return -ENOMEM;
				}
				w = v;
			}
			w[k].dst = ((struct sockaddr_in *)&ss)->sin_addr;
			w[k++].chosen = -1;
		}
	}
	*out = w;
	*n = k;
	return 0;
}

int steer_up(struct nl_sock *s, const struct mg_config *c, bool keep, bool *added)
{
	struct steer st;
	struct steer_want *w = NULL;
	size_t n = 0;
	int ret;

	*added = false;
	ret = steer_resolve(s, &c->local, &st, true);
	if (!ret)
		ret = endpoints_of(c, &w, &n);
	if (ret)
		return ret;
	/* Without keep, every endpoint starts on the first ready uplink. */
	for (size_t i = 0; !keep && i < n; i++)
		for (size_t u = 0; u < st.n && w[i].chosen < 0; u++)
			if (st.up[u].ready)
				w[i].chosen = (int)u;
	ret = steer_rule_add(s, st.mark, st.table, MG_STEER_RULE_PRIORITY);
	if (!ret)
		*added = true;
	else if (ret == -EEXIST)
		ret = 0;
	if (!ret)
		ret = steer_sync(s, &st, w, n);
	if (!ret)
		pr_info("WireGuard's packets (fwmark 0x%x) steered by table %u: %zu endpoint%s, "
			"%zu uplinks", st.mark, st.table, n, n == 1 ? "" : "s", st.n);
	free(w);
	return ret;
}

static int del_routes(struct nl_sock *s, uint32_t table)
{
	struct steer_route *have = NULL;
	size_t n = 0;
	int ret = steer_route_list(s, table, &have, &n), err = 0;

	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		ret = steer_route_del(s, table, &have[i]);
		if (ret && ret != -ESRCH && !err)
			err = ret;
	}
	free(have);
	return err;
}

int steer_down(struct nl_sock *s, uint32_t mark, uint32_t table, bool rule_added)
{
	int err = 0, ret;

	if (rule_added) {
		ret = steer_rule_del(s, mark, table, MG_STEER_RULE_PRIORITY);
		if (ret && ret != -ENOENT)
			err = ret;
	}
	ret = del_routes(s, table);
	return err ? err : ret;
}
