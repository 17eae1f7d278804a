// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include "lib/prefix.h"
#include "lib/rtnl.h"
#include "lib/rtnl_steer.h"

static struct nlmsghdr *start(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

/* One IPv4 route message, parsed. */
struct route4 {
	uint8_t proto, type, dst_len;
	uint32_t table;
	struct steer_route r;
};

static void route4_parse(const struct nlmsghdr *nlh, struct route4 *o)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	memset(o, 0, sizeof(*o));
	o->proto = rtm->rtm_protocol;
	o->type = rtm->rtm_type;
	o->dst_len = rtm->rtm_dst_len;
	o->table = rtm->rtm_table;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		int t = mnl_attr_get_type(a);

		if (t == RTA_TABLE && !mnl_attr_validate(a, MNL_TYPE_U32))
			o->table = mnl_attr_get_u32(a);
		else if (t == RTA_OIF && !mnl_attr_validate(a, MNL_TYPE_U32))
			o->r.oif = mnl_attr_get_u32(a);
		else if (t == RTA_PRIORITY && !mnl_attr_validate(a, MNL_TYPE_U32))
			o->r.metric = mnl_attr_get_u32(a);
		else if (mnl_attr_get_payload_len(a) != 4)
			continue;
		else if (t == RTA_DST)
			memcpy(&o->r.dst, mnl_attr_get_payload(a), 4);
		else if (t == RTA_GATEWAY) {
			memcpy(&o->r.gw, mnl_attr_get_payload(a), 4);
			o->r.has_gw = true;
		} else if (t == RTA_PREFSRC)
			memcpy(&o->r.src, mnl_attr_get_payload(a), 4);
	}
}

static int dump_routes4(struct nl_sock *s, nl_cb_t cb, void *data, void (*reset)(void *))
{
	char buf[512] = { 0 };
	struct nlmsghdr *nlh = start(buf, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	return nl_dump(s, nlh, cb, data, "list routes", reset);
}

struct rlist {
	uint32_t table;
	struct steer_route *v;
	size_t n, cap;
	int err;
};

static void rlist_reset(void *data)
{
	((struct rlist *)data)->n = 0;
}

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rlist *l = data;
	struct route4 o;

	route4_parse(nlh, &o);
	if (o.proto != RTPROT_MESHGW || o.table != l->table || o.dst_len != 32)
		return MNL_CB_OK;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct steer_route *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->err = -ENOMEM;
			return MNL_CB_OK;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = o.r;
	return MNL_CB_OK;
}

int steer_route_list(struct nl_sock *s, uint32_t table, struct steer_route **out, size_t *n)
{
	struct rlist l = { .table = table };
	int ret = dump_routes4(s, list_cb, &l, rlist_reset);

	if (!ret)
		ret = l.err;
	if (ret) {
		free(l.v);
		return ret;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

static int route_req(struct nl_sock *s, uint16_t type, uint16_t flags, uint32_t table,
		     const struct steer_route *r)
{
	char buf[512] = { 0 }, what[160], d[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	struct nlmsghdr *nlh = start(buf, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_MESHGW;
	rtm->rtm_scope = r->has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	mnl_attr_put(nlh, RTA_DST, 4, &r->dst);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	if (type == RTM_NEWROUTE) {
		mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
		if (r->has_gw)
			mnl_attr_put(nlh, RTA_GATEWAY, 4, &r->gw);
		if (r->src.s_addr)
			mnl_attr_put(nlh, RTA_PREFSRC, 4, &r->src);
	}
	inet_ntop(AF_INET, &r->dst, d, sizeof(d));
	inet_ntop(AF_INET, &r->gw, g, sizeof(g));
	snprintf(what, sizeof(what), "%s route %s%s%s dev #%u metric %u table %u",
		 type == RTM_NEWROUTE ? "set" : "delete", d, r->has_gw ? " via " : "",
		 r->has_gw ? g : "", r->oif, r->metric, table);
	return nl_talk(s, nlh, NULL, NULL, what, type == RTM_DELROUTE ? ESRCH : 0, NULL);
}

int steer_route_set(struct nl_sock *s, uint32_t table, const struct steer_route *r,
		    bool replace_only)
{
	return route_req(s, RTM_NEWROUTE, NLM_F_REPLACE | (replace_only ? 0 : NLM_F_CREATE), table, r);
}

int steer_route_del(struct nl_sock *s, uint32_t table, const struct steer_route *r)
{
	return route_req(s, RTM_DELROUTE, 0, table, r);
}

static int rule_req(struct nl_sock *s, uint16_t type, uint16_t flags, uint32_t mark,
		    uint32_t table, uint32_t prio)
{
	char buf[512] = { 0 }, what[128];
	struct nlmsghdr *nlh = start(buf, type, flags);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));

	frh->family = AF_INET;
	frh->action = FR_ACT_TO_TBL;
	frh->table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	mnl_attr_put_u32(nlh, FRA_FWMARK, mark);
	mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffffu);
	snprintf(what, sizeof(what), "%s rule priority %u fwmark 0x%x lookup %u",
		 type == RTM_NEWRULE ? "add" : "delete", prio, mark, table);
	return nl_talk(s, nlh, NULL, NULL, what, type == RTM_NEWRULE ? EEXIST : ENOENT, NULL);
}

int steer_rule_add(struct nl_sock *s, uint32_t mark, uint32_t table, uint32_t prio)
{
	/* NLM_F_EXCL: the kernel answers -EEXIST for an identical rule, so a rule
	 * that was there before `up` is told apart from the one `up` adds. */
	return rule_req(s, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, mark, table, prio);
}

int steer_rule_del(struct nl_sock *s, uint32_t mark, uint32_t table, uint32_t prio)
{
	return rule_req(s, RTM_DELRULE, 0, mark, table, prio);
}

static int neigh_req(struct nl_sock *s, uint16_t type, uint32_t ifindex, struct in_addr gw,
		     nl_cb_t cb, void *data)
{
	char buf[256] = { 0 }, what[96], a[INET_ADDRSTRLEN];
	struct nlmsghdr *nlh = start(buf, type, 0);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = (int)ifindex;
	mnl_attr_put(nlh, NDA_DST, 4, &gw);
	snprintf(what, sizeof(what), "%s neighbour %s dev #%u",
		 type == RTM_GETNEIGH ? "get" : "delete", inet_ntop(AF_INET, &gw, a, sizeof(a)),
		 ifindex);
	return nl_talk(s, nlh, cb, data, what, ENOENT, NULL);
}

static int neigh_state_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWNEIGH)
		*(uint16_t *)data = ndm->ndm_state;
	return MNL_CB_OK;
}

int steer_neigh_release(struct nl_sock *s, uint32_t ifindex, struct in_addr gw)
{
	uint16_t state = 0;
	int ret = neigh_req(s, RTM_GETNEIGH, ifindex, gw, neigh_state_cb, &state);

	if (ret == -ENOENT)
		return 0;
	if (ret || state != NUD_INCOMPLETE)
		return ret;
	ret = neigh_req(s, RTM_DELNEIGH, ifindex, gw, NULL, NULL);
	return ret == -ENOENT ? 0 : ret ? ret : 1;
}

struct defroute {
	uint32_t ifindex;
	bool found, has_gw;
	struct in_addr gw;
	uint32_t metric;
};

static void defroute_reset(void *data)
{
	((struct defroute *)data)->found = false;
}

static int default_cb(const struct nlmsghdr *nlh, void *data)
{
	struct defroute *d = data;
	struct route4 o;

	route4_parse(nlh, &o);
	if (o.table != RT_TABLE_MAIN || o.dst_len || o.type != RTN_UNICAST ||
	    o.r.oif != d->ifindex || (d->found && o.r.metric >= d->metric))
		return MNL_CB_OK;
	d->found = true;
	d->has_gw = o.r.has_gw;
	d->gw = o.r.gw;
	d->metric = o.r.metric;
	return MNL_CB_OK;
}

int steer_default_via(struct nl_sock *s, uint32_t ifindex, bool *has_gw, struct in_addr *gw)
{
	struct defroute d = { .ifindex = ifindex };
	int ret = dump_routes4(s, default_cb, &d, defroute_reset);

	if (ret)
		return ret;
	if (!d.found)
		return -ENOENT;
	*has_gw = d.has_gw;
	*gw = d.gw;
	return 0;
}

int steer_if_addr4(struct nl_sock *s, uint32_t ifindex, const struct in_addr *contains,
		   struct in_addr *addr)
{
	struct prefix *v = NULL, want = { .family = AF_INET, .len = 32 };
	size_t n = 0;
	int ret = rtnl_addr_list(s, ifindex, &v, &n);

	if (ret)
		return ret;
	if (contains)
		memcpy(want.addr, contains, 4);
	ret = -ENOENT;
	for (size_t i = 0; i < n && ret; i++) {
		if (v[i].family != AF_INET || (contains && !prefix_contains_addr(&v[i], &want)))
			continue;
		memcpy(addr, v[i].addr, 4);
		ret = 0;
	}
	free(v);
	return ret;
}
