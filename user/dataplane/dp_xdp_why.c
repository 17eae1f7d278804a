// SPDX-License-Identifier: GPL-2.0-only
/* An XDP link is made by the bpf() syscall, which returns only an errno; the
 * driver's reason for a refusal ("MTU too large to enable XDP", "XDP expects
 * number of rx queues not less than peer tx queues", "disable GRO_HW first")
 * reaches userspace only as a netlink extended ACK. So the same attachment is
 * asked once more through rtnetlink (IFLA_XDP, native mode, only where no
 * program is attached), which the driver refuses the same way and explains.
 * Only on the failure path: one request more for a NIC that stays TC only. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include "lib/nl.h"
#include "dataplane/dp_xdp_why.h"

/* The extended ACK of dev_xdp_attach (net/core/dev.c) for a driver without
 * ndo_bpf, the same on every kernel since 5.x. */
#define NO_NATIVE "does not support XDP in native mode"

static int set_xdp(struct nl_sock *s, int ifindex, int fd, int expected_fd, uint32_t flags)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct nlattr *x;

	nlh->nlmsg_type = RTM_SETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	x = mnl_attr_nest_start(nlh, IFLA_XDP);
	mnl_attr_put_u32(nlh, IFLA_XDP_FD, (uint32_t)fd);
	mnl_attr_put_u32(nlh, IFLA_XDP_FLAGS, flags);
	if (expected_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_XDP_EXPECTED_FD, (uint32_t)expected_fd);
	mnl_attr_nest_end(nlh, x);
	return nl_talk(s, nlh, NULL, NULL, "XDP", NL_QUIET_ANY, NULL);
}

int dp_xdp_why(int ifindex, int prog_fd, char *why, size_t len)
{
	struct nl_sock s;
	int err;

	why[0] = '\0';
	if ((err = nl_open(&s, NETLINK_ROUTE)))
		return err;
	/* UPDATE_IF_NOEXIST: never over a program someone attached meanwhile. */
	err = set_xdp(&s, ifindex, prog_fd, -1, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST);
	snprintf(why, len, "%s", s.err_msg);
	/* Taken this time: off again, and only if it is still ours. */
	if (!err)
		set_xdp(&s, ifindex, -1, prog_fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE);
	nl_close(&s);
	return err;
}

bool dp_xdp_why_no_native(const char *why)
{
	return strstr(why, NO_NATIVE) != NULL;
}
