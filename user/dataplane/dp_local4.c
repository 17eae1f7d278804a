// SPDX-License-Identifier: GPL-2.0-only
/* This box's IPv4 addresses for the fast paths' source check; see dp_local4.h.
 * The kernel's own check (inet_lookup_ifaddr_rcu) compares the source with every
 * IPv4 address of the network namespace, whatever its scope or device: so does
 * this list. One value written whole: a program reading it meanwhile may see a
 * mix of the old and the new list for that packet, as the kernel's own list
 * changes under a packet in flight. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include "dataplane/dp_local4.h"
#include "lib/nl.h"
#include "meshgw_bpf.h"

struct scan {
	struct mg_local4 v;
	__u32 seen;		/* every address, also those past the list's end */
};

static void scan_reset(void *data)
{
	memset(data, 0, sizeof(struct scan));
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *local = NULL, *addr = NULL;
	struct scan *s = data;

	if (ifa->ifa_family != AF_INET)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_payload_len(a) != 4)
			continue;
		if (mnl_attr_get_type(a) == IFA_LOCAL)
			local = a;
		else if (mnl_attr_get_type(a) == IFA_ADDRESS)
			addr = a;
	}
	/* IFA_LOCAL is the box's own (on a point-to-point link IFA_ADDRESS is the
	 * far end's); the kernel always sends it for IPv4. */
	if (!local)
		local = addr;
	if (!local)
		return MNL_CB_OK;
	if (s->seen < MG_LOCAL4_MAX) {
		memcpy(&s->v.addr[s->seen], mnl_attr_get_payload(local), 4);
		s->v.bloom |= 1ULL << MG_LOCAL4_BIT(s->v.addr[s->seen]);
	}
	s->seen++;
	return MNL_CB_OK;
}

int dp_sync_local4(int map_fd)
{
	char buf[64] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	struct scan s = { 0 };
	struct nl_sock nl;
	__u32 zero = 0;
	int ret;

	if (map_fd < 0)
		return 0;
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	if ((ret = nl_open(&nl, NETLINK_ROUTE)))
		return ret;
	ret = nl_dump(&nl, nlh, addr_cb, &s, "list IPv4 addresses", scan_reset);
	nl_close(&nl);
	if (ret)
		return ret;
	if (s.seen > MG_LOCAL4_MAX) {
		s.v.n = MG_LOCAL4_MAX + 1;
		s.v.bloom = ~0ULL;	/* every source asks the routing table */
	} else {
		s.v.n = s.seen;
	}
	return bpf_map_update_elem(map_fd, &zero, &s.v, BPF_ANY) ? -errno : 0;
}
