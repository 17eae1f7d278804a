// SPDX-License-Identifier: GPL-2.0-only
/* Two gateways at one site: `meshgw run` keeps its WireGuard link down while the
 * box does not hold every VRRP address (HaAddress). keepalived takes the addresses
 * off, then runs its notify, which stops meshgw: in between (tens of ms to
 * seconds), and for good when keepalived dies without running it, the old master
 * would go on sending from its own address, and the other sites would roam to it
 * and away from the new master. The kernel tells the daemon at once (rtnetlink's
 * address groups): the link goes down in the same turn of the loop (the kernel
 * takes the routes through it away), and once the box holds every address again
 * up's code brings it back with its routes. Checked once a second as well. */
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include "daemon/internal.h"
#include "gateway/gateway.h"
#include "lib/log.h"
#include "lib/rtnl.h"
#include "observe/ha_role.h"

int ha_guard_start(struct daemon *d)
{
	struct mnl_socket *nl;
	int ret;

	if (!d->cfg.local.n_ha_addr || d->ha_ev)
		return 0;
	nl = nl_events_open(RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR);
	if (!nl)
		return -errno;
	ret = nl_open(&d->ha_nl, NETLINK_ROUTE);
	if (ret) {
		mnl_socket_close(nl);
		return ret;
	}
	d->ha_ev = nl;
	/* Subscribed before the first look: an address that leaves from now on is seen. */
	ha_guard_check(d);
	return 0;
}

int ha_guard_fd(const struct daemon *d)
{
	return d->ha_ev ? mnl_socket_get_fd(d->ha_ev) : -1;
}

void ha_guard_stop(struct daemon *d)
{
	if (!d->ha_ev)
		return;
	mnl_socket_close(d->ha_ev);
	nl_close(&d->ha_nl);
	d->ha_ev = NULL;
}

void ha_guard_check(struct daemon *d)
{
	const char *wg = d->cfg.local.wg_if;
	struct rtnl_link link;
	struct ha_role r;
	char t[512];
	enum ha_link_act act;
	int ret;

	if (!d->ha_ev)
		return;
	ret = ha_role_get(&d->cfg.local, &r);
	if (ret) {
		pr_warn("cannot read this box's addresses (HaAddress): %s", strerror(-ret));
		return;
	}
	ret = rtnl_link_get(&d->ha_nl, wg, &link);
	if (ret)
		return;		/* no link: nothing sends; wireguard_gone() handles it */
	act = ha_link_action(r.kind, link.flags & IFF_UP, d->ha_held_down);
	ha_role_text(&r, t, sizeof(t));
	if (act == HA_LINK_DOWN) {
		if (rtnl_link_updown(&d->ha_nl, wg, link.ifindex, false))
			return;	/* nl_talk said why; the next event or second tries again */
		pr_warn("%s: link down: %s; only the VRRP master runs the tunnel", wg, t);
	} else if (act == HA_LINK_UP) {
		/* up's code: the link, and the routes through it that went with it */
		pr_info("%s: bringing the link up: %s", wg, t);
		ret = gateway_reapply(&d->cfg);
		if (ret > 0) {
			stop_taken_down(d);
			return;
		}
		if (ret)
			return;	/* gateway_up said why; the next event or second tries again */
		remember_ifaces(d);
	}
	/* Off the master the link is down because of the role (here, or `up` left
	 * it down): up once the box is the master. On the master, a link down is
	 * someone's choice. (No HaAddress since a reload: nothing is held.) */
	d->ha_held_down = r.kind != HA_MASTER && r.kind != HA_NONE;
}

void ha_guard_event(struct daemon *d)
{
	char buf[8192];	/* MNL_SOCKET_BUFFER_SIZE at most */
	ssize_t n;

	/* What changed does not matter: the role is read again from all addresses.
	 * ENOBUFS (events lost) needs nothing more than that either. */
	do
		n = mnl_socket_recvfrom(d->ha_ev, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == ENOBUFS));
	ha_guard_check(d);
}
