// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's watchers, once a second: the NICs XDP runs on (gone, back, a new
 * MAC), the WireGuard interface (gone: brought back while `meshgw up`'s state is
 * recorded; the state gone: `meshgw down` took the gateway, the daemon stops),
 * and the NICs the fast path may transmit into. */
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include "daemon/internal.h"
#include "dataplane/dataplane.h"
#include "gateway/gateway.h"
#include "gateway/state.h"
#include "lib/log.h"

/* The interfaces XDP runs on, as they were when the programs were loaded: their
 * index (0: none configured, or gone) and MAC (all zero: none, or not Ethernet). */
void remember_ifaces(struct daemon *d)
{
	const char *ifs[MG_XDP_IFACES] = { d->cfg.local.lan_if, d->cfg.local.uplink_if };

	memset(d->if_mac, 0, sizeof(d->if_mac));
	memset(d->if_index, 0, sizeof(d->if_index));
	for (int i = 0; i < MG_XDP_IFACES; i++) {
		if (!ifs[i][0])
			continue;
		d->if_index[i] = if_nametoindex(ifs[i]);
		dataplane_if_mac(ifs[i], d->if_mac[i]);
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

/* The data plane follows the NICs it runs on. XDP handles only frames addressed
 * to the MAC it was given at load time, so a changed address (set by hand, a
 * bond moving to another slave) needs the program loaded again. A NIC deleted
 * and created again (ifupdown does that to a bridge) lost the XDP program and
 * the TC filter with its old index: they are attached again once it is back.
 * -1 when a reload failed (the caller tries again later), else 0. */
int check_ifaces(struct daemon *d)
{
	const char *ifs[MG_XDP_IFACES] = { d->cfg.local.lan_if, d->cfg.local.uplink_if };

	for (int i = 0; i < MG_XDP_IFACES; i++) {
		unsigned int idx;
		uint8_t mac[6];
		int ret;

		if (!ifs[i][0])
			continue;
		idx = if_nametoindex(ifs[i]);
		if (!idx) {
			if (d->if_index[i])
				pr_warn("%s is gone, and meshgw's XDP program and TC filter with it; "
					"attaching them again when it is back", ifs[i]);
			d->if_index[i] = 0;
			continue;
		}
		if (idx != d->if_index[i])
			pr_info("%s is back (index %u): attaching the data plane again", ifs[i], idx);
		else if (!dataplane_if_mac(ifs[i], mac) && memcmp(mac, d->if_mac[i], 6))
			pr_info("%s: MAC address now %02x:%02x:%02x:%02x:%02x:%02x: reloading the XDP "
				"program", ifs[i], mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		else
			continue;
		ret = gateway_reapply(&d->cfg);
		if (ret > 0) {
			stop_taken_down(d);
			return 0;
		}
		if (ret) {
			pr_err("%s: reloading the data plane failed; trying again in %llu s", ifs[i],
			       (unsigned long long)(IFACES_RETRY_NS / (1000 * MS)));
			return -1;
		}
		remember_ifaces(d);
		return 0;
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
	if (d->maps.fd.ifaces >= 0)
		dp_iface_watch(d->maps.fd.ifaces, d->maps.fd.if_slots, &d->fast_path);
}
