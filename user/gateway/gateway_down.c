// SPDX-License-Identifier: GPL-2.0-only
/* gateway_down: removes what the state file says `up` created, and only meshgw's
 * routes (rtm_protocol RTPROT_MESHGW). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include "dataplane/dataplane.h"
#include "gateway/gateway.h"
#include "gateway/exit_nat.h"
#include "gateway/state.h"
#include "gateway/steer.h"
#include "lib/log.h"
#include "lib/rtnl.h"
#include "wg/wg_uapi.h"

static int first_err(int err, int ret)
{
	return err ? err : ret;
}

/* The link is not meshgw's: take off only our routes and our address. */
static int strip_link(struct nl_sock *rt, const char *ifname, const struct rtnl_link *link,
		      const struct mg_state *st)
{
	struct prefix *routes = NULL;
	size_t n = 0;
	int err = 0;

	if (!rtnl_route_list(rt, link->ifindex, RTPROT_MESHGW, &routes, &n))
		for (size_t i = 0; i < n; i++)
			err = first_err(err, rtnl_route_del(rt, ifname, link->ifindex, &routes[i],
							    RTPROT_MESHGW));
	free(routes);
	if (st && st->added_address)
		rtnl_addr_del(rt, ifname, link->ifindex, &st->address);
	pr_info("%s: meshgw's routes%s removed; the link itself was not created by meshgw",
		ifname, st && st->added_address ? " and address" : "");
	return err;
}

static int gateway_down_locked(const struct mg_local *l)
{
	const char *wg = l->wg_if;
	struct mg_state st;
	struct nl_sock rt;
	struct rtnl_link link;
	bool have_link, have_state;
	int ret, err = 0;

	ret = state_load(wg, &st);
	if (ret && ret != -ENOENT)
		return ret;
	have_state = !ret;
	ret = nl_open(&rt, NETLINK_ROUTE);
	if (ret)
		return ret;
	ret = rtnl_link_get(&rt, wg, &link);
	if (ret && ret != -ENODEV) {
		nl_close(&rt);
		return ret;
	}
	have_link = !ret;
	/* The tunnel stops first: a link down sends nothing (kernel WireGuard and
	 * wireguard-go close their sockets). What follows takes longer, and on the
	 * old master of a pair (keepalived's notify) every packet sent meanwhile
	 * would pull the other sites to this box. Only a link meshgw created. */
	if (have_link && have_state && st.created_link && (link.flags & IFF_UP))
		rtnl_link_updown(&rt, wg, link.ifindex, false);
	/* The BPF data plane comes off next: it steers into the link. dataplane_down
	 * unpins every map of PinPath, the daemon's mg_failover too. */
	err = dataplane_down(l);
	if (have_link && have_state && st.created_link) {
		err = first_err(err, rtnl_link_del(&rt, wg));
		if (st.backend == MG_BACKEND_USERSPACE)
			wg_uapi_stop(st.wg_pid);
		if (!err)
			pr_info("%s: removed", wg);
	} else if (have_link) {
		err = first_err(err, strip_link(&rt, wg, &link, have_state ? &st : NULL));
	} else if (have_state && st.created_link && st.backend == MG_BACKEND_USERSPACE &&
		   wg_uapi_terminate(st.wg_pid, wg)) {
		/* The link is in no namespace this process sees, while the wireguard-go
		 * `up` started for it runs: its namespace was deleted (a container
		 * removed), and wireguard-go keeps it alive, tunnel and handshakes
		 * with the other sites included. */
		pr_info("%s: not in this network namespace (deleted with its own?); the "
			"wireguard-go that `meshgw up` started for it (pid %d) is stopped", wg,
			(int)st.wg_pid);
	}
	/* Several uplinks: meshgw's table and the rule that leads to it. */
	if (have_state && st.steer_table) {
		err = first_err(err, steer_down(&rt, st.steer_mark, st.steer_table, st.steer_rule));
		if (!err)
			pr_info("%s: meshgw's routes in table %u%s removed", wg, st.steer_table,
				st.steer_rule ? " and its fwmark rule" : "");
	}
	if (!have_state) {
		pr_info("%s: no state recorded in " MG_STATE_DIR "; nothing else to undo", wg);
	} else {
		err = first_err(err, state_sysctls_restore(&st, NULL));
		if (st.exit_nat)
			err = first_err(err, exit_nat_remove(wg));
		/* Last: from then on a running daemon brings nothing back, and stops. */
		if (!err)
			state_remove(wg);
	}
	nl_close(&rt);
	return err;
}

int gateway_down(const struct mg_local *l)
{
	int ret, lock = state_lock(l->wg_if);

	if (lock < 0)
		return lock;
	ret = gateway_down_locked(l);
	if (ret)
		state_unlock(lock);
	else
		state_unlock_remove(lock, l->wg_if);
	return ret;
}
