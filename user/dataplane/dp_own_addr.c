// SPDX-License-Identifier: GPL-2.0-only
/* The gateway's own non-mesh addresses and their way out; see dp_own_addr.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include "dataplane/dp_own_addr.h"
#include "lib/grow.h"
#include "lib/prefix.h"
#include "lib/rtnl.h"

/* A default route of the main table: its device, gateway and metric. */
struct defroute {
	uint8_t family;
	uint32_t oif, metric;
	uint8_t gw_family;		/* 0: none (a device route) */
	uint8_t gw[16];
};

struct scan {
	struct own_addr *addrs;
	size_t n_addrs, cap_addrs;
	struct defroute *routes;
	size_t n_routes, cap_routes;
	size_t mark_addrs, mark_routes;	/* where the current dump started */
	int err;
};

/* A dump started over (interrupted by a change) forgets what it had added. */
static void scan_reset(void *data)
{
	struct scan *s = data;

	s->n_addrs = s->mark_addrs;
	s->n_routes = s->mark_routes;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct scan *s = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const void *own = rtnl_ifa_own(nlh);
	struct own_addr *o;

	if (!own || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return MNL_CB_OK;
	if (grow_for_one((void **)&s->addrs, s->n_addrs, &s->cap_addrs, sizeof(*s->addrs), 8)) {
		s->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	o = &s->addrs[s->n_addrs];
	memset(o, 0, sizeof(*o));
	o->key.family = ifa->ifa_family;
	o->route.ifindex = ifa->ifa_index;
	memcpy(o->key.addr, own, ifa->ifa_family == AF_INET ? 4 : 16);
	s->n_addrs++;
	return MNL_CB_OK;
}

/* RTA_GATEWAY (same family) or RTA_VIA (either) into r. */
static void gw_attr(const struct nlattr *a, uint8_t family, struct defroute *r)
{
	size_t alen = family == AF_INET ? 4 : 16;

	if (mnl_attr_get_type(a) == RTA_GATEWAY && mnl_attr_get_payload_len(a) == alen) {
		r->gw_family = family;
		memcpy(r->gw, mnl_attr_get_payload(a), alen);
	} else if (mnl_attr_get_type(a) == RTA_VIA && mnl_attr_get_payload_len(a) >= 2) {
		const struct rtvia *v = mnl_attr_get_payload(a);
		size_t vlen = v->rtvia_family == AF_INET ? 4 : 16;

		if ((v->rtvia_family == AF_INET || v->rtvia_family == AF_INET6) &&
		    mnl_attr_get_payload_len(a) >= sizeof(*v) + vlen) {
			r->gw_family = v->rtvia_family;
			memcpy(r->gw, v->rtvia_addr, vlen);
		}
	}
}

static int add_route(struct scan *s, const struct defroute *r)
{
	if (grow_for_one((void **)&s->routes, s->n_routes, &s->cap_routes, sizeof(*s->routes), 8)) {
		s->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	s->routes[s->n_routes++] = *r;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct scan *s = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *mp = NULL;
	struct defroute r = { .family = rtm->rtm_family };
	uint32_t table = rtm->rtm_table;

	if (rtm->rtm_dst_len || rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		int t = mnl_attr_get_type(a);

		if (t == RTA_TABLE && !mnl_attr_validate(a, MNL_TYPE_U32))
			table = mnl_attr_get_u32(a);
		else if (t == RTA_OIF && !mnl_attr_validate(a, MNL_TYPE_U32))
			r.oif = mnl_attr_get_u32(a);
		else if (t == RTA_PRIORITY && !mnl_attr_validate(a, MNL_TYPE_U32))
			r.metric = mnl_attr_get_u32(a);
		else if (t == RTA_MULTIPATH)
			mp = a;
		else
			gw_attr(a, r.family, &r);
	}
	if (table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	if (!mp)
		return r.oif ? add_route(s, &r) : MNL_CB_OK;
	/* Several next hops: one route per device, its first next hop there. */
	for (const struct rtnexthop *nh = mnl_attr_get_payload(mp);
	     (const char *)nh + sizeof(*nh) <= (const char *)mnl_attr_get_payload(mp) +
						mnl_attr_get_payload_len(mp) &&
	     nh->rtnh_len >= sizeof(*nh);
	     nh = (const void *)((const char *)nh + RTNH_ALIGN(nh->rtnh_len))) {
		struct defroute h = { .family = r.family, .oif = (uint32_t)nh->rtnh_ifindex,
				      .metric = r.metric };

		for (const struct nlattr *na = (const void *)RTNH_DATA(nh);
		     (const char *)na + sizeof(*na) <= (const char *)nh + nh->rtnh_len &&
		     na->nla_len >= sizeof(*na);
		     na = (const void *)((const char *)na + MNL_ALIGN(na->nla_len)))
			gw_attr(na, r.family, &h);
		if (add_route(s, &h) != MNL_CB_OK)
			return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* One dump into s: the addresses of both families, or the main table's routes of
 * family through oif. The kernel filters the routes by table and device when the
 * socket asks for strict checking (own_addr_want does): meshgw's thousands of
 * routes through the WireGuard device are not sent. route_cb filters again (a
 * kernel that ignores the request sends them all). */
static int dump(struct nl_sock *nl, uint16_t type, uint8_t family, uint32_t oif, struct scan *s)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int ret;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (type == RTM_GETADDR) {
		struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

		ifa->ifa_family = family;
	} else {
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

		rtm->rtm_family = family;
		rtm->rtm_table = RT_TABLE_MAIN;
		mnl_attr_put_u32(nlh, RTA_OIF, oif);
	}
	s->mark_addrs = s->n_addrs;
	s->mark_routes = s->n_routes;
	ret = nl_dump(nl, nlh, type == RTM_GETADDR ? addr_cb : route_cb, s,
		      type == RTM_GETADDR ? "list addresses" : "list routes", scan_reset);
	return ret ? ret : s->err;
}

/* Does a peer accept src from this site (its mesh address, an egress range, the
 * mesh Network)? Such addresses go through the tunnel as they are. */
static bool mesh_source(const struct mg_config *c, const struct own_addr *o)
{
	struct prefix p = { .family = o->key.family, .len = o->key.family == AF_INET ? 32 : 128 };

	memcpy(p.addr, o->key.addr, sizeof(p.addr));
	if (prefix_contains_addr(&c->mesh.network, &p) ||
	    prefix_contains_addr(&c->self->address, &p))
		return true;
	for (size_t i = 0; i < c->self->n_egress; i++)
		if (prefix_contains_addr(&c->self->egress[i], &p))
			return true;
	return false;
}

/* An uplink's next hop given in the local file (`UplinkInterface = X via Y`),
 * for an IPv4 address on it: the way out of an uplink whose default route is not
 * in the main table (an LTE backup that policy routing alone uses). */
static bool uplink_via(const struct mg_config *c, const char *ifname, struct own_addr *o)
{
	for (size_t u = 0; u < c->local.n_uplinks; u++) {
		const struct mg_uplink *up = &c->local.uplinks[u];

		if (!up->has_via || o->key.family != AF_INET || strcmp(up->name, ifname))
			continue;
		o->route.nh_family = AF_INET;
		memset(o->route.nh, 0, sizeof(o->route.nh));
		memcpy(o->route.nh, &up->via, 4);
		return true;
	}
	return false;
}

/* The way out of o's device: its default route with the lowest metric, else the
 * next hop the local file gives its uplink. A route without a gateway serves only
 * a layer-3 device (on Ethernet, the neighbour would be each destination itself). */
static bool way_out(struct nl_sock *nl, const struct mg_config *c, const struct scan *s,
		    struct own_addr *o)
{
	const struct defroute *best = NULL;
	char name[IF_NAMESIZE];
	struct rtnl_link link;

	for (size_t i = 0; i < s->n_routes; i++) {
		const struct defroute *r = &s->routes[i];

		if (r->family == o->key.family && r->oif == o->route.ifindex &&
		    (!best || r->metric < best->metric))
			best = r;
	}
	if (!best)
		return if_indextoname(o->route.ifindex, name) && uplink_via(c, name, o);
	if (best->gw_family) {
		o->route.nh_family = best->gw_family;
		memcpy(o->route.nh, best->gw, sizeof(o->route.nh));
		return true;
	}
	return if_indextoname(o->route.ifindex, name) && !rtnl_link_get(nl, name, &link) &&
	       link.type != ARPHRD_ETHER && link.type != ARPHRD_LOOPBACK;
}

int own_addr_want(struct nl_sock *nl, const struct mg_config *c, unsigned int wg_ifindex,
		  struct own_addr **out, size_t *n)
{
	struct scan s = { 0 };
	size_t keep = 0, n_cand;
	int one = 1, ret;

	*out = NULL;
	*n = 0;
	if (c->self->exit)
		return 0;
	mnl_socket_setsockopt(nl->nl, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	ret = dump(nl, RTM_GETADDR, AF_UNSPEC, 0, &s);
	/* The candidates, then the default routes of their devices (each device
	 * and family once). */
	for (size_t i = 0; !ret && i < s.n_addrs; i++) {
		struct own_addr *o = &s.addrs[i];
		bool seen = false;

		if (o->route.ifindex == wg_ifindex || mesh_source(c, o))
			continue;
		for (size_t j = 0; j < keep && !seen; j++)
			seen = s.addrs[j].route.ifindex == o->route.ifindex &&
			       s.addrs[j].key.family == o->key.family;
		if (!seen)
			ret = dump(nl, RTM_GETROUTE, o->key.family, o->route.ifindex, &s);
		s.addrs[keep++] = *o;
	}
	n_cand = keep;
	keep = 0;
	for (size_t i = 0; !ret && i < n_cand; i++) {
		struct own_addr o = s.addrs[i];

		if (!way_out(nl, c, &s, &o))
			continue;
		if (keep == MG_MAX_OWN_ADDRS)
			break;		/* (a gateway with more addresses keeps the first) */
		s.addrs[keep++] = o;
	}
	free(s.routes);
	if (ret || !keep) {
		free(s.addrs);
		return ret;
	}
	*out = s.addrs;
	*n = keep;
	return 0;
}

int dp_sync_own_addr(int map_fd, const struct mg_config *c, unsigned int wg_ifindex)
{
	struct mg_own_key k, next, *prev = NULL;
	struct own_addr *want = NULL;
	struct nl_sock nl;
	size_t n = 0;
	int ret;

	if (map_fd < 0)
		return 0;	/* a data plane from before this map */
	ret = nl_open(&nl, NETLINK_ROUTE);
	if (ret)
		return ret;
	ret = own_addr_want(&nl, c, wg_ifindex, &want, &n);
	nl_close(&nl);
	if (ret)
		return ret;
	/* Gone first (the map is small, a full walk each time), then the rest. */
	while (!bpf_map_get_next_key(map_fd, prev, &next)) {
		bool wanted = false;

		for (size_t i = 0; i < n && !wanted; i++)
			wanted = !memcmp(&want[i].key, &next, sizeof(next));
		if (!wanted && bpf_map_delete_elem(map_fd, &next) && errno != ENOENT) {
			ret = -errno;
			break;
		}
		if (wanted) {
			k = next;
			prev = &k;
		}
	}
	for (size_t i = 0; !ret && i < n; i++) {
		struct mg_own_route have;

		if (!bpf_map_lookup_elem(map_fd, &want[i].key, &have) &&
		    !memcmp(&have, &want[i].route, sizeof(have)))
			continue;
		if (bpf_map_update_elem(map_fd, &want[i].key, &want[i].route, BPF_ANY))
			ret = -errno;
	}
	free(want);
	return ret;
}
