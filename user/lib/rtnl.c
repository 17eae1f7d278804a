// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include "lib/log.h"
#include "lib/rtnl.h"

static struct nlmsghdr *start(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rtnl_link *l = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *b;

	l->ifindex = (uint32_t)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->type = ifi->ifi_type;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		if (mnl_attr_get_type(a) == IFLA_MTU && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->mtu = mnl_attr_get_u32(a);
		if (mnl_attr_get_type(a) != IFLA_LINKINFO)
			continue;
		mnl_attr_for_each_nested(b, a)
			if (mnl_attr_get_type(b) == IFLA_INFO_KIND &&
			    mnl_attr_validate(b, MNL_TYPE_STRING) == 0)
				snprintf(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(b));
	}
	return MNL_CB_OK;
}

int rtnl_link_get(struct nl_sock *s, const char *name, struct rtnl_link *l)
{
	char buf[512] = { 0 }, what[IF_NAMESIZE + 16];
	struct nlmsghdr *nlh = start(buf, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	memset(l, 0, sizeof(*l));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	snprintf(what, sizeof(what), "link %s", name);
	return nl_talk(s, nlh, link_cb, l, what, ENODEV, NULL);
}

int rtnl_link_add_wireguard(struct nl_sock *s, const char *name)
{
	char buf[512] = { 0 }, what[IF_NAMESIZE + 32];
	struct nlmsghdr *nlh = start(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *info;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
	mnl_attr_nest_end(nlh, info);
	snprintf(what, sizeof(what), "create WireGuard link %s", name);
	return nl_talk(s, nlh, NULL, NULL, what, 0, NULL);
}

int rtnl_link_del(struct nl_sock *s, const char *name)
{
	char buf[512] = { 0 }, what[IF_NAMESIZE + 16];
	struct nlmsghdr *nlh = start(buf, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	snprintf(what, sizeof(what), "delete link %s", name);
	return nl_talk(s, nlh, NULL, NULL, what, 0, NULL);
}

int rtnl_link_set(struct nl_sock *s, const char *name, uint32_t ifindex, uint32_t mtu, bool up)
{
	char buf[512] = { 0 }, what[IF_NAMESIZE + 16];
	struct nlmsghdr *nlh = start(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	if (up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	snprintf(what, sizeof(what), "set up link %s", name);
	return nl_talk(s, nlh, NULL, NULL, what, 0, NULL);
}

int rtnl_link_updown(struct nl_sock *s, const char *name, uint32_t ifindex, bool up)
{
	char buf[512] = { 0 }, what[IF_NAMESIZE + 24];
	struct nlmsghdr *nlh = start(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = up ? IFF_UP : 0;
	ifi->ifi_change = IFF_UP;
	snprintf(what, sizeof(what), "set link %s %s", name, up ? "up" : "down");
	return nl_talk(s, nlh, NULL, NULL, what, 0, NULL);
}

struct plist {
	uint32_t ifindex;
	uint8_t proto;
	struct prefix *v;
	size_t n, cap;
	size_t n0;		/* entries kept when a dump starts over */
	int err;
};

/* nl_dump's reset: forget what an interrupted attempt added. */
static void plist_restart(void *data)
{
	struct plist *l = data;

	l->n = l->n0;
}

static void plist_add(struct plist *l, const struct prefix *p)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct prefix *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->err = -ENOMEM;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *p;
}

const void *rtnl_ifa_own(const struct nlmsghdr *nlh)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
	const struct nlattr *a, *local = NULL, *addr = NULL;

	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return NULL;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_payload_len(a) != alen)
			continue;
		if (mnl_attr_get_type(a) == IFA_LOCAL)
			local = a;
		else if (mnl_attr_get_type(a) == IFA_ADDRESS)
			addr = a;
	}
	if (!local)
		local = addr;
	return local ? mnl_attr_get_payload(local) : NULL;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct plist *l = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct prefix p = { .family = ifa->ifa_family, .len = ifa->ifa_prefixlen };
	const void *own = rtnl_ifa_own(nlh);

	if (ifa->ifa_index != l->ifindex || !own)
		return MNL_CB_OK;
	memcpy(p.addr, own, p.family == AF_INET ? 4 : 16);
	plist_add(l, &p);
	return MNL_CB_OK;
}

int rtnl_addr_list(struct nl_sock *s, uint32_t ifindex, struct prefix **out, size_t *n)
{
	char buf[512] = { 0 };
	struct nlmsghdr *nlh = start(buf, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct plist l = { .ifindex = ifindex };
	int ret;

	ifa->ifa_family = AF_UNSPEC;
	ret = nl_dump(s, nlh, addr_cb, &l, "list addresses", plist_restart);
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

static int addr_req(struct nl_sock *s, uint16_t type, uint16_t flags, const char *ifname,
		    uint32_t ifindex, const struct prefix *p, bool noprefixroute)
{
	char buf[512] = { 0 }, what[IF_NAMESIZE + 80], ps[PREFIX_STR_MAX];
	struct nlmsghdr *nlh = start(buf, type, flags);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t alen = p->family == AF_INET ? 4 : 16;

	ifa->ifa_family = p->family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_LOCAL, alen, p->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, p->addr);
	if (noprefixroute)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NOPREFIXROUTE);
	snprintf(what, sizeof(what), "%s address %s on %s", type == RTM_NEWADDR ? "add" : "delete",
		 prefix_str(p, ps, sizeof(ps)), ifname);
	return nl_talk(s, nlh, NULL, NULL, what, 0, NULL);
}

int rtnl_addr_add(struct nl_sock *s, const char *ifname, uint32_t ifindex,
		  const struct prefix *p, bool noprefixroute)
{
	return addr_req(s, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifname, ifindex, p, noprefixroute);
}

int rtnl_addr_del(struct nl_sock *s, const char *ifname, uint32_t ifindex, const struct prefix *p)
{
	return addr_req(s, RTM_DELADDR, 0, ifname, ifindex, p, false);
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct plist *l = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct prefix p = { .family = rtm->rtm_family, .len = rtm->rtm_dst_len };
	uint32_t table = rtm->rtm_table, oif = 0;

	if (rtm->rtm_protocol != l->proto || (p.family != AF_INET && p.family != AF_INET6))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		size_t alen = p.family == AF_INET ? 4 : 16;

		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				table = mnl_attr_get_u32(a);
			break;
		case RTA_OIF:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				oif = mnl_attr_get_u32(a);
			break;
		case RTA_DST:
			if (mnl_attr_get_payload_len(a) == alen)
				memcpy(p.addr, mnl_attr_get_payload(a), alen);
			break;
		}
	}
	if (table != RT_TABLE_MAIN || (l->ifindex && oif != l->ifindex))
		return MNL_CB_OK;
	plist_add(l, &p);
	return MNL_CB_OK;
}

int rtnl_route_list(struct nl_sock *s, uint32_t ifindex, uint8_t proto,
		    struct prefix **out, size_t *n)
{
	struct plist l = { .ifindex = ifindex, .proto = proto };
	static const uint8_t families[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < sizeof(families); i++) {
		char buf[512] = { 0 };
		struct nlmsghdr *nlh = start(buf, RTM_GETROUTE, NLM_F_DUMP);
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		int ret;

		rtm->rtm_family = families[i];
		/* An interrupted dump may have skipped or repeated routes: start over
		 * from what the previous families gave. */
		l.n0 = l.n;
		ret = nl_dump(s, nlh, route_cb, &l, "list routes", plist_restart);
		if (!ret)
			ret = l.err;
		if (ret) {
			free(l.v);
			return ret;
		}
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

static int route_req(struct nl_sock *s, uint16_t type, uint16_t flags, const char *ifname,
		     uint32_t ifindex, const struct prefix *dst, uint8_t proto)
{
	char buf[512] = { 0 }, what[IF_NAMESIZE + 80], ps[PREFIX_STR_MAX];
	struct nlmsghdr *nlh = start(buf, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = dst->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = proto;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, dst->family == AF_INET ? 4 : 16, dst->addr);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	snprintf(what, sizeof(what), "%s route %s dev %s", type == RTM_NEWROUTE ? "add" : "delete",
		 prefix_str(dst, ps, sizeof(ps)), ifname);
	return nl_talk(s, nlh, NULL, NULL, what, 0, NULL);
}

int rtnl_route_add(struct nl_sock *s, const char *ifname, uint32_t ifindex,
		   const struct prefix *dst, uint8_t proto)
{
	return route_req(s, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifname, ifindex, dst, proto);
}

int rtnl_route_del(struct nl_sock *s, const char *ifname, uint32_t ifindex,
		   const struct prefix *dst, uint8_t proto)
{
	return route_req(s, RTM_DELROUTE, 0, ifname, ifindex, dst, proto);
}
