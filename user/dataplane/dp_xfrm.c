// SPDX-License-Identifier: GPL-2.0-only
/* Do IPsec policies act on traffic this box forwards? A policy-based IPsec
 * tunnel (strongSwan, libreswan: `ip xfrm policy` with a template) makes the
 * kernel encrypt what it forwards to the far network, and drop what its policies
 * block; the fast paths hand a packet to its next device with no route of the
 * kernel's attached, so no policy is looked up: they would send in clear what
 * must go encrypted. So the fast paths run only while no xfrm policy for
 * forwarded or outgoing traffic exists (of any action: an "allow" one is part of
 * such a set-up) and the default policies for both accept. Route-based IPsec
 * (an xfrm or vti interface) needs nothing: a route into that interface is not
 * to a NIC of meshgw's. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include "dataplane/dp_xfrm.h"
#include "lib/nl.h"

struct policy_scan {
	bool found;
	struct xfrm_userpolicy_info first;
};

static int policy_cb(const struct nlmsghdr *nlh, void *data)
{
	struct policy_scan *sc = data;
	const struct xfrm_userpolicy_info *p = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY || mnl_nlmsg_get_payload_len(nlh) < sizeof(*p))
		return MNL_CB_OK;
	if (!sc->found && (p->dir == XFRM_POLICY_OUT || p->dir == XFRM_POLICY_FWD)) {
		sc->found = true;
		sc->first = *p;
	}
	return MNL_CB_OK;
}

static void policy_reset(void *data)
{
	((struct policy_scan *)data)->found = false;
}

static void policy_name(char *what, size_t len, const struct xfrm_userpolicy_info *p)
{
	char s[INET6_ADDRSTRLEN] = "?", d[INET6_ADDRSTRLEN] = "?";
	int af = p->sel.family == AF_INET6 ? AF_INET6 : AF_INET;

	inet_ntop(af, &p->sel.saddr, s, sizeof(s));
	inet_ntop(af, &p->sel.daddr, d, sizeof(d));
	snprintf(what, len, "IPsec policy src %s/%u dst %s/%u dir %s (action %s)", s, p->sel.prefixlen_s, d,
		 p->sel.prefixlen_d, p->dir == XFRM_POLICY_FWD ? "fwd" : "out",
		 p->action == XFRM_POLICY_BLOCK ? "block" : "allow");
}

static int default_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == XFRM_MSG_GETDEFAULT &&
	    mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct xfrm_userpolicy_default))
		memcpy(data, mnl_nlmsg_get_payload(nlh), sizeof(struct xfrm_userpolicy_default));
	return MNL_CB_OK;
}

int dp_xfrm_forwarding(char *what, size_t len)
{
	static int absent = -1;	/* no xfrm netlink in this kernel: asked once */
	char buf[256] = { 0 };
	struct nlmsghdr *nlh;
	struct policy_scan sc = { 0 };
	struct xfrm_userpolicy_default def = { 0 };
	struct nl_sock s;
	int err;

	if (absent < 0) {
		int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM);

		absent = fd < 0;
		if (fd >= 0)
			close(fd);
	}
	if (absent)
		return 0;
	if ((err = nl_open(&s, NETLINK_XFRM)))
		return err;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_GETPOLICY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct xfrm_userpolicy_info));
	err = nl_dump(&s, nlh, policy_cb, &sc, "IPsec policies", policy_reset);
	if (!err && !sc.found) {
		/* The defaults (Linux 5.17+; older kernels accept everything a policy
		 * does not match). */
		memset(buf, 0, sizeof(buf));
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = XFRM_MSG_GETDEFAULT;
		nlh->nlmsg_flags = NLM_F_REQUEST;
		mnl_nlmsg_put_extra_header(nlh, sizeof(def));
		if (nl_talk(&s, nlh, default_cb, &def, "IPsec default policies", EINVAL, NULL))
			memset(&def, 0, sizeof(def));
	}
	nl_close(&s);
	if (err)
		return err;
	if (sc.found) {
		policy_name(what, len, &sc.first);
		return 1;
	}
	if (def.fwd == XFRM_USERPOLICY_BLOCK || def.out == XFRM_USERPOLICY_BLOCK) {
		snprintf(what, len, "the IPsec default policy (block, for %s traffic)",
			 def.fwd == XFRM_USERPOLICY_BLOCK ? "forwarded" : "outgoing");
		return 1;
	}
	return 0;
}
