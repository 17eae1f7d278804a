// SPDX-License-Identifier: GPL-2.0-only
/* This box's IPv4 addresses for the fast paths' source check; see dp_local4.h.
 * The kernel's own check (inet_lookup_ifaddr_rcu) compares the source with every
 * IPv4 address of the network namespace, whatever its scope or device: so does
 * this list; a local route that is no address (AnyIP) makes the programs ask
 * the routing table instead, as the kernel then does. One value written whole:
 * a program reading it meanwhile may see a mix of the old and the new list for
 * that packet, as the kernel's own list changes under a packet in flight. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include "dataplane/dp_local4.h"
#include "lib/nl.h"
#include "lib/rtnl.h"
#include "meshgw_bpf.h"

struct scan {
	struct mg_local4 v;
	__u32 seen;		/* every address, also those past the list's end */
	bool other_local;	/* a local route that is no address of ours */
};

static void scan_reset(void *data)
{
	memset(data, 0, sizeof(struct scan));
}

static void routes_reset(void *data)
{
	((struct scan *)data)->other_local = false;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const void *own = rtnl_ifa_own(nlh);
	struct scan *s = data;

	if (ifa->ifa_family != AF_INET || !own)
		return MNL_CB_OK;
	if (s->seen < MG_LOCAL4_MAX) {
		memcpy(&s->v.addr[s->seen], own, 4);
		s->v.bloom |= 1ULL << MG_LOCAL4_BIT(s->v.addr[s->seen]);
	}
	s->seen++;
	return MNL_CB_OK;
}

/* A route of type local in the local table that is not one of the addresses
 * (AnyIP: `ip route add local 192.0.2.0/24 dev lo`): the kernel then judges
 * sources by a route lookup (fib_validate_source's full check), and so must the
 * programs. */
static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct scan *s = data;
	__be32 dst = 0;
	bool listed = false;

	if (rtm->rtm_family != AF_INET || rtm->rtm_type != RTN_LOCAL)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm))
		if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_get_payload_len(a) == 4)
			memcpy(&dst, mnl_attr_get_payload(a), 4);
	/* 127/8 (lo's own local route): martian sources, never forwarded anyway */
	if ((ntohl(dst) >> 24) == 127)
		return MNL_CB_OK;
	if (rtm->rtm_dst_len != 32) {
		s->other_local = true;
		return MNL_CB_OK;
	}
	for (__u32 i = 0; i < s->seen && i < MG_LOCAL4_MAX; i++)
		listed |= s->v.addr[i] == dst;
	if (!listed)
		s->other_local = true;
	return MNL_CB_OK;
}

static int dump(struct nl_sock *nl, uint16_t type, struct scan *s)
{
	char buf[64] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (type == RTM_GETADDR) {
		struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

		ifa->ifa_family = AF_INET;
		return nl_dump(nl, nlh, addr_cb, s, "list IPv4 addresses", scan_reset);
	}
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	/* The kernel sends the local table alone (strict checking); one that
	 * sends all tables: route_cb counts only routes of type local, which a
	 * VRF's own local table has too (then the routing table is asked:
	 * exact, slower). */
	rtm->rtm_table = RT_TABLE_LOCAL;
	return nl_dump(nl, nlh, route_cb, s, "list local routes", routes_reset);
}

int dp_sync_local4(int map_fd)
{
	struct scan s = { 0 };
	struct nl_sock nl;
	__u32 zero = 0;
	int one = 1, ret;

	if (map_fd < 0)
		return 0;
	if ((ret = nl_open(&nl, NETLINK_ROUTE)))
		return ret;
	mnl_socket_setsockopt(nl.nl, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	ret = dump(&nl, RTM_GETADDR, &s);
	if (!ret)
		ret = dump(&nl, RTM_GETROUTE, &s);
	nl_close(&nl);
	if (ret)
		return ret;
	if (s.seen > MG_LOCAL4_MAX || s.other_local) {
		s.v.n = MG_LOCAL4_MAX + 1;
		s.v.bloom = ~0ULL;	/* every source asks the routing table */
	} else {
		s.v.n = s.seen;
	}
	return bpf_map_update_elem(map_fd, &zero, &s.v, BPF_ANY) ? -errno : 0;
}
