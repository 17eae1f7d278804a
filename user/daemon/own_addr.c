// SPDX-License-Identifier: GPL-2.0-only
/* The gateway's own non-mesh addresses (mg_own_addr, dataplane/dp_own_addr.h)
 * follow the kernel: an uplink that DHCP gives a new address, or a new default
 * route, would otherwise leave the replies from that address going into the
 * tunnel until the next `up`. So does the list of all its IPv4 addresses
 * (mg_local4, dataplane/dp_local4.h), whose packets the fast paths never
 * forward. rtnetlink tells the daemon of every address change and route change;
 * only addresses and default routes matter, and the maps are made equal to what
 * the kernel says then (a few dumps, rare). Events lost (ENOBUFS) mean the same. */
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include "daemon/internal.h"
#include "dataplane/dp_local4.h"
#include "dataplane/dp_own_addr.h"
#include "lib/log.h"
#include "lib/nl.h"

int own_addr_watch_start(struct daemon *d)
{
	struct mnl_socket *nl;

	if (d->own_ev)
		return 0;
	nl = nl_events_open(RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
			    RTMGRP_IPV6_ROUTE);
	if (!nl)
		return -errno;
	d->own_ev = nl;
	/* Subscribed before the look: a change from now on is seen. (`up` filled
	 * the map; what changed in between is caught here.) */
	own_addr_sync(d);
	return 0;
}

int own_addr_watch_fd(const struct daemon *d)
{
	return d->own_ev ? mnl_socket_get_fd(d->own_ev) : -1;
}

void own_addr_watch_stop(struct daemon *d)
{
	if (!d->own_ev)
		return;
	mnl_socket_close(d->own_ev);
	d->own_ev = NULL;
}

void own_addr_sync(struct daemon *d)
{
	int ret = dp_sync_own_addr(d->maps.fd.own_addr, &d->cfg,
				   if_nametoindex(d->cfg.local.wg_if));

	if (ret)
		pr_warn("cannot follow this box's addresses for the replies from them "
			"(mg_own_addr): %s", strerror(-ret));
	ret = dp_sync_local4(d->maps.fd.local4);
	if (ret)
		pr_warn("cannot follow this box's IPv4 addresses for the fast paths' source "
			"check (mg_local4): %s", strerror(-ret));
}

/* An address, or a default route of the main table (the way out of an address's
 * device)? meshgw's own routes into the tunnel come by the thousand at an `up`
 * and do not matter here. */
static bool relevant(const struct nlmsghdr *nlh)
{
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type == RTM_NEWADDR || nlh->nlmsg_type == RTM_DELADDR)
		return true;
	if ((nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE) ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return false;
	rtm = mnl_nlmsg_get_payload(nlh);
	return !rtm->rtm_dst_len || rtm->rtm_type == RTN_LOCAL;	/* (local: mg_local4) */
}

void own_addr_watch_event(struct daemon *d)
{
	char buf[8192];	/* MNL_SOCKET_BUFFER_SIZE at most */
	bool sync = false;
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(d->own_ev, buf, sizeof(buf));
		if (n < 0 && errno == ENOBUFS) {
			sync = true;	/* events lost: look again */
			continue;
		}
		if (n <= 0)
			break;
		for (const struct nlmsghdr *nlh = (const void *)buf; mnl_nlmsg_ok(nlh, (int)n);
		     nlh = mnl_nlmsg_next(nlh, (int *)&n))
			sync |= relevant(nlh);
	}
	if (sync)
		own_addr_sync(d);
}
