// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's watchers, once a second: the NICs the data plane runs on (gone,
 * there again, a new MAC), the WireGuard interface (gone: brought back while `meshgw up`'s state is
 * recorded; the state gone: `meshgw down` took the gateway, the daemon stops),
 * and the NICs the fast path may transmit into. */
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include "daemon/internal.h"
#include "dataplane/dataplane.h"
#include "dataplane/dp_tc.h"
#include "gateway/gateway.h"
#include "gateway/state.h"
#include "lib/log.h"

/* The NICs the data plane runs on (dataplane_nic_name), as they were when it was
 * attached: their index (0: none configured, or not there) and MAC (all zero:
 * none, or not Ethernet). */
void remember_ifaces(struct daemon *d)
{
	memset(d->if_mac, 0, sizeof(d->if_mac));
	memset(d->if_index, 0, sizeof(d->if_index));
	for (int i = 0; i < DATAPLANE_NICS; i++) {
		const char *name = dataplane_nic_name(&d->cfg, i);

		if (!name[0])
			continue;
		d->if_index[i] = if_nametoindex(name);
		dataplane_if_mac(name, d->if_mac[i]);
	}
}

/* `meshgw down` removes up's state (/run/meshgw/<wg>.state) last, after the data
 * plane, mg_failover and the link it created: from then on the daemon brings
 * nothing back, and stops. */
void stop_taken_down(struct daemon *d)
{
	pr_info("%s was taken down by `meshgw down`: stopping", d->cfg.local.wg_if);
	d->stop = true;
}

/* gateway_reapply from the daemon: when `meshgw down` took the gateway away
 * meanwhile, the daemon stops; else the NICs are remembered as they are now.
 * -1 when it failed (the caller says so and tries again later), else 0. */
static int reapply(struct daemon *d)
{
	int ret = gateway_reapply(&d->cfg);

	if (ret > 0)
		stop_taken_down(d);
	else if (!ret)
		remember_ifaces(d);
	return ret < 0 ? -1 : 0;
}

/* The data plane follows the NICs it runs on. XDP handles only frames addressed
 * to the MAC it was given at load time, so a changed address (set by hand, a
 * bond moving to another slave) on the LAN NIC or the first uplink needs the
 * program loaded again. A NIC deleted and created again (ifupdown does that to a
 * bridge) lost meshgw's programs with its old index, and an uplink that comes up
 * later (a modem's wwan0 or ppp0 once connected) has none yet: they are attached
 * once it is there. -1 when a reload failed (the caller tries again
 * later), else 0. */
int check_ifaces(struct daemon *d)
{
	for (int i = 0; i < DATAPLANE_NICS; i++) {
		const char *name = dataplane_nic_name(&d->cfg, i);
		unsigned int idx;
		uint8_t mac[6];
		int ret;

		if (!name[0])
			continue;
		idx = if_nametoindex(name);
		if (!idx && !d->if_index[i])
			continue;
		if (!idx) {
			pr_warn("%s is gone, and meshgw's programs on it; attaching them again when "
				"it is there", name);
			/* The LAN NIC is required: `up` would fail until it is back.
			 * An uplink is let go of now (its mg_ifaces entry and TC slot;
			 * remember_ifaces then forgets it): `up` works without it. */
			if (i == 0) {
				d->if_index[i] = 0;
				continue;
			}
		} else if (idx != d->if_index[i])
			pr_info("%s is there (index %u): attaching the data plane to it", name, idx);
		else if (i < MG_XDP_IFACES && !dataplane_if_mac(name, mac) && memcmp(mac, d->if_mac[i], 6))
			pr_info("%s: MAC address now %02x:%02x:%02x:%02x:%02x:%02x: reloading the XDP "
				"program", name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		else
			continue;
		ret = reapply(d);
		if (ret)
			pr_err("%s: reloading the data plane failed; trying again in %llu s", name,
			       (unsigned long long)(IFACES_RETRY_NS / (1000 * MS)));
		return ret;
	}
	return 0;
}

/* The WireGuard interface gone under the daemon: if `meshgw up`'s state is still
 * recorded, wireguard-go exited or someone deleted the link, and the gateway is
 * to be brought up again. Without the state, link or not, `meshgw down` took the
 * gateway down: the daemon stops with it. 1 when the interface was missing at two
 * checks in a row and the state is recorded: the loop then reads the signals
 * already sent and calls restore_wireguard. Else 0. */
int wireguard_gone(struct daemon *d)
{
	const char *wg = d->cfg.local.wg_if;
	struct mg_state st;

	/* Checked first: a link meshgw did not create outlives `down` (which takes
	 * only meshgw's routes and address off it). */
	if (state_load(wg, &st) == -ENOENT) {
		stop_taken_down(d);
		return 0;
	}
	if (if_nametoindex(wg)) {
		d->wg_missing = false;
		return 0;
	}
	/* Missing at two checks in a row: whoever is tearing the gateway down with
	 * signals (wireguard-go and meshgw together) has reached the daemon by then. */
	if (!d->wg_missing) {
		d->wg_missing = true;
		return 0;
	}
	d->wg_missing = false;
	return 1;
}

/* Brings the gateway up again (link, peers, routes, the TC programs on it).
 * -1 when that failed (the caller tries again later), else 0. */
int restore_wireguard(struct daemon *d)
{
	const char *wg = d->cfg.local.wg_if;
	int ret;

	ret = gateway_restore(&d->cfg);
	if (ret == -ENOENT) {
		stop_taken_down(d);
		return 0;
	}
	if (ret < 0) {
		pr_err("%s: bringing the gateway up again failed; trying again in %llu s", wg,
		       (unsigned long long)(IFACES_RETRY_NS / (1000 * MS)));
		return -1;
	}
	if (ret > 0) {
		remember_ifaces(d);
		d->next_exit_check_ns = 0;	/* `up` put the first ExitVia back: check now */
	}
	return 0;
}

/* Which NICs XDP may transmit into, as they come and go (dataplane/dp_iface.c). */
void watch_fast_path(struct daemon *d)
{
	struct dp_tc_others o;

	if (d->maps.fd.ifaces >= 0)
		dp_iface_watch(d->maps.fd.ifaces, d->maps.fd.if_slots, &d->fast_path);
	/* Netfilter started or stopped acting on forwarded traffic: the LAN NIC
	 * gets its program back, or is left to the kernel (dp_iface_lan_kernel).
	 * A failed attempt is made again at the next look. */
	if ((d->fast_path.fwd_changed || d->lan_reapply) && dataplane_lan_kernel_allowed(&d->cfg)) {
		d->lan_reapply = reapply(d) < 0;
		if (d->lan_reapply)
			pr_err("%s: applying the data plane again failed; trying again in a second",
			       d->cfg.local.lan_if);
		if (d->stop)
			return;
	}
	/* Other tools' filters on the WireGuard device's ingress, as on a NIC's. */
	if (d->maps.fd.attach >= 0 && dp_tc_wg_filters(d->maps.fd.attach, &o) > 0) {
		if (o.ingress)
			pr_warn("%s: %s " DP_WG_FILTERS_TEXT, d->cfg.local.wg_if, o.what);
		else
			pr_info("%s: no TC filter of another tool on its ingress now: what comes "
				"out of the tunnel takes the fast path again", d->cfg.local.wg_if);
	}
}
