// SPDX-License-Identifier: GPL-2.0-only
/* gateway_up: validates and builds the whole desired state first, then converges
 * the system to it by diffing against what the kernel (or wireguard-go) reports,
 * so a second `up` sends nothing. gateway_restore and gateway_reapply are the
 * daemon's ways back to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include "config/config.h"
#include "config/resolve.h"
#include "dataplane/dataplane.h"
#include "failover/probe.h"
#include "gateway/desired.h"
#include "gateway/exit_nat.h"
#include "gateway/gateway.h"
#include "gateway/state.h"
#include "gateway/steer.h"
#include "lib/log.h"
#include "lib/rtnl.h"
#include "lib/sockaddr.h"
#include "lib/sysctl.h"
#include "observe/ha_role.h"
#include "wg/wg_backend.h"
#include "wg/wg_reconcile.h"
#include "wg/wg_uapi.h"

/* What a run changed on a link it did not create, put back when a later step
 * fails (up_undo): a refused route must not leave the new peer in WireGuard. */
struct up_undo {
	struct wg_device wg;		/* WireGuard before this run changed it */
	bool wg_changed;
	struct prefix addr_added, addr_removed;	/* family 0: none */
	uint32_t mtu;			/* the MTU before, when this run changed it; else 0 */
	bool brought_up;		/* this run set the link up */
	struct prefix *routes_added, *routes_removed;
	size_t n_routes_added, n_routes_removed;
};

struct up_ctx {
	const struct mg_config *c;
	const char *ifname;
	const struct wg_backend *be;
	struct nl_sock rt;
	struct desired want;
	struct mg_state st;
	struct rtnl_link link;
	bool created_now;	/* the link was created by this run: delete it on failure */
	bool had_state;		/* a state file existed before this run: prev */
	struct mg_state prev;
	pid_t started_pid;
	bool keep;		/* keep_endpoints: the daemon's choices stay */
	bool hold;		/* a pair's box off the master: the link stays down */
	struct wg_device have;	/* WireGuard as keep_current_endpoints read it ... */
	bool have_read;		/* ... for apply_wg: one read of 1,000 peers, not two */
	int wg_early;		/* wireguard-go's answer to a get sent early, or -1 */
	struct up_undo undo;	/* what this run changed on a link it did not create */
	bool state_saved;	/* this run wrote the state file: a failure puts prev back */
	bool exit_applied;	/* this run set the exit masquerade (or removed it) */
	char *exit_saved;	/* ... and the table before it did (exit_nat_save), or NULL */
};

/* WireGuard as it is: the early get's answer when there is one (wireguard-go),
 * else asked now. */
static int wg_read(struct up_ctx *u, struct wg_device *d)
{
	int fd = u->wg_early;

	u->wg_early = -1;
	if (fd >= 0 && u->be->kind == MG_BACKEND_USERSPACE)
		return wg_uapi_get_finish(fd, u->ifname, d);
	if (fd >= 0)
		close(fd);
	return u->be->get(u->ifname, d);
}

/* --- links ----------------------------------------------------------------------- */

static int ensure_link(struct up_ctx *u)
{
	int ret = rtnl_link_get(&u->rt, u->ifname, &u->link);

	if (ret && ret != -ENODEV)
		return ret;
	if (!ret) {
		if (u->be->kind == MG_BACKEND_KERNEL && strcmp(u->link.kind, "wireguard")) {
			pr_err("%s exists and is not a WireGuard link (kind \"%s\"); refusing to touch it",
			       u->ifname, u->link.kind);
			return -EEXIST;
		}
		if (u->be->kind == MG_BACKEND_USERSPACE && !wg_uapi_running(u->ifname)) {
			pr_err("%s exists but no wireguard-go answers on " WG_UAPI_DIR "/%s.sock; "
			       "refusing to touch it", u->ifname, u->ifname);
			return -EEXIST;
		}
		return 0;
	}
	if (u->be->kind == MG_BACKEND_KERNEL) {
		ret = rtnl_link_add_wireguard(&u->rt, u->ifname);
		if (ret == -EOPNOTSUPP)
			pr_err("this kernel cannot create WireGuard links; set `Backend = userspace` in %s",
			       u->c->local.path);
	} else {
		ret = wg_uapi_start(u->ifname, &u->started_pid);
	}
	if (ret)
		return ret;
	u->created_now = true;
	u->st.created_link = true;
	u->st.wg_pid = u->started_pid;
	pr_info("%s: created (%s WireGuard)", u->ifname, backend_name(u->be->kind));
	/* Recorded at once: if this run dies before the end, `down` still knows the
	 * link (and the wireguard-go process) are meshgw's. */
	ret = state_save(u->ifname, &u->st);
	if (ret)
		return ret;
	return rtnl_link_get(&u->rt, u->ifname, &u->link);
}

/* --- WireGuard ------------------------------------------------------------------- */

/* WireGuard as before, from what it is now. */
static void wg_put_back(struct up_ctx *u, struct wg_device *before)
{
	struct wg_device now = { 0 }, undo = { 0 };

	if (!u->be->get(u->ifname, &now) && wg_diff(before, &now, &undo) > 0) {
		if (u->be->set(u->ifname, &undo))
			pr_err("%s: could not restore the previous WireGuard configuration", u->ifname);
		else
			pr_info("%s: previous WireGuard configuration restored", u->ifname);
	}
	wg_device_free(&now);
	wg_device_free(&undo);
}

static int apply_wg(struct up_ctx *u)
{
	struct wg_device have = { 0 }, change = { 0 };
	int n, ret = 0;

	/* Read a moment ago, under the same lock, with nothing changed since. */
	if (u->have_read) {
		have = u->have;
		memset(&u->have, 0, sizeof(u->have));
		u->have_read = false;
	} else {
		ret = wg_read(u, &have);
	}
	if (ret)
		goto out;
	n = wg_diff(&u->want.wg, &have, &change);
	if (n < 0) {
		ret = n;
		goto out;
	}
	if (!n) {
		pr_debug("%s: WireGuard configuration already as wanted", u->ifname);
		goto out;
	}
	ret = u->be->set(u->ifname, &change);
	if (!ret) {
		pr_info("%s: WireGuard configuration updated (%d change%s)", u->ifname, n,
			n == 1 ? "" : "s");
		if (!u->created_now) {	/* kept for up_undo */
			u->undo.wg = have;
			u->undo.wg_changed = true;
			memset(&have, 0, sizeof(have));
		}
		goto out;
	}
	/* A split request may have been applied in part: put back what was there. */
	if (!u->created_now)
		wg_put_back(u, &have);
out:
	wg_device_free(&have);
	wg_device_free(&change);
	return ret;
}

/* --- address and routes ----------------------------------------------------------- */

static int apply_address(struct up_ctx *u)
{
	struct prefix *addrs = NULL;
	size_t n = 0;
	bool present = false;
	int ret;

	ret = rtnl_addr_list(&u->rt, u->link.ifindex, &addrs, &n);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++)
		present |= prefix_equal(&addrs[i], &u->want.address);
	/* An address an earlier `up` added and the mesh file no longer wants. */
	if (u->st.added_address && !prefix_equal(&u->st.address, &u->want.address)) {
		for (size_t i = 0; i < n; i++)
			if (prefix_equal(&addrs[i], &u->st.address) &&
			    !rtnl_addr_del(&u->rt, u->ifname, u->link.ifindex, &u->st.address))
				u->undo.addr_removed = u->st.address;
		u->st.added_address = false;
	}
	free(addrs);
	if (present)
		return 0;
	ret = rtnl_addr_add(&u->rt, u->ifname, u->link.ifindex, &u->want.address, true);
	if (!ret) {
		u->st.added_address = true;
		u->st.address = u->want.address;
		u->undo.addr_added = u->want.address;
	}
	return ret;
}

static int apply_routes(struct up_ctx *u)
{
	struct prefix *have = NULL, *added;
	bool *want_held = NULL, *have_wanted = NULL;
	size_t n = 0, n_added = 0;
	int ret;

	ret = rtnl_route_list(&u->rt, u->link.ifindex, RTPROT_MESHGW, &have, &n);
	if (ret)
		return ret;
	/* Both sorted, compared in one walk (16,384 routes at 4,096 sites). */
	wg_prefixes_sort(have, n);
	wg_prefixes_sort(u->want.routes, u->want.n_routes);
	added = calloc(u->want.n_routes + 1, sizeof(*added));
	want_held = malloc(u->want.n_routes + 1);
	have_wanted = malloc(n + 1);
	if (!added || !want_held || !have_wanted) {
		ret = -ENOMEM;
		goto out;
	}
	wg_prefixes_match(u->want.routes, u->want.n_routes, have, n, want_held, have_wanted);
	for (size_t i = 0; i < u->want.n_routes && !ret; i++) {
		if (want_held[i])
			continue;
		ret = rtnl_route_add(&u->rt, u->ifname, u->link.ifindex, &u->want.routes[i],
				     RTPROT_MESHGW);
		if (!ret)
			added[n_added++] = u->want.routes[i];
	}
	if (ret) {
		/* Leave the routes as they were before this run. */
		for (size_t i = 0; i < n_added; i++)
			rtnl_route_del(&u->rt, u->ifname, u->link.ifindex, &added[i], RTPROT_MESHGW);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!have_wanted[i] &&
		    !rtnl_route_del(&u->rt, u->ifname, u->link.ifindex, &have[i], RTPROT_MESHGW))
			have[u->undo.n_routes_removed++] = have[i];	/* (in place: i >= that count) */
	if (n_added)
		pr_info("%s: %zu route%s added", u->ifname, n_added, n_added == 1 ? "" : "s");
	/* For up_undo; the link's own routes go with it when this run created it. */
	u->undo.routes_added = added;
	u->undo.n_routes_added = n_added;
	u->undo.routes_removed = have;
	free(want_held);
	free(have_wanted);
	return 0;
out:
	free(added);
	free(have);
	free(want_held);
	free(have_wanted);
	return ret;
}

/* --- several uplinks: WireGuard's packets steered by meshgw's table ------------------ */

static int apply_steering(struct up_ctx *u)
{
	const struct mg_local *l = &u->c->local;
	bool multi = local_multi_uplink(l), added = false, started;
	int ret;

	/* What an earlier `up` steered with other settings, or with several uplinks
	 * when there is one now, comes off first. */
	if (u->st.steer_table && (!multi || u->st.steer_table != l->steer_table ||
				  u->st.steer_mark != l->fwmark)) {
		ret = steer_down(&u->rt, u->st.steer_mark, u->st.steer_table, u->st.steer_rule);
		if (ret)
			return ret;
		u->st.steer_table = u->st.steer_mark = 0;
		u->st.steer_rule = false;
	}
	if (!multi)
		return 0;
	started = !u->st.steer_table;
	u->st.steer_table = l->steer_table;
	u->st.steer_mark = l->fwmark;
	ret = steer_up(&u->rt, u->c, u->keep, &added);
	u->st.steer_rule |= added;
	if (ret && started) {
		/* Nothing of this run's steering stays behind a failed `up`. */
		steer_down(&u->rt, l->fwmark, l->steer_table, added);
		u->st.steer_table = u->st.steer_mark = 0;
		u->st.steer_rule = false;
	}
	return ret;
}

/* --- sysctls ----------------------------------------------------------------------- */

static int set_sysctl(struct mg_state *st, const char *path, const char *value, bool optional)
{
	char cur[64];
	int i, ret = sysctl_read(path, cur, sizeof(cur));

	if (ret == -ENOENT && optional)
		return 0;	/* e.g. IPv6 disabled */
	if (ret) {
		pr_err("cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	if (!strcmp(cur, value))
		return 0;
	ret = sysctl_write(path, value);
	if (ret)
		return ret;
	/* Remember the value before the first `up` only. */
	for (i = 0; i < st->n_sysctl; i++)
		if (!strcmp(st->sysctl[i].path, path))
			break;
	if (i == st->n_sysctl && i < MG_STATE_SYSCTLS) {
		snprintf(st->sysctl[i].path, sizeof(st->sysctl[i].path), "%s", path);
		snprintf(st->sysctl[i].old, sizeof(st->sysctl[i].old), "%s", cur);
		st->n_sysctl++;
	}
	if (i < MG_STATE_SYSCTLS)
		snprintf(st->sysctl[i].set, sizeof(st->sysctl[i].set), "%s", value);
	return 0;
}

static int apply_sysctls(struct up_ctx *u)
{
	char path[128];
	int ret;

	ret = set_sysctl(&u->st, "/proc/sys/net/ipv4/ip_forward", "1", false);
	if (!ret)
		ret = set_sysctl(&u->st, "/proc/sys/net/ipv6/conf/all/forwarding", "1", true);
	/* A one-armed gateway must not tell LAN hosts to bypass it: the effective
	 * send_redirects is conf.all OR conf.<if>, so both go to 0. */
	if (!ret)
		ret = set_sysctl(&u->st, "/proc/sys/net/ipv4/conf/all/send_redirects", "0", false);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/send_redirects", u->c->local.lan_if);
	if (!ret)
		ret = set_sysctl(&u->st, path, "0", false);
	return ret;
}

/* --- BPF data plane ----------------------------------------------------------------- */

static int apply_dataplane(struct up_ctx *u)
{
	uint8_t tag[MG_PROBE_TAG_LEN];
	struct dp_settings s = { .probe_port = probe_port_of(u->c), .mesh_tag = tag };
	int ret = probe_tag_for_config(u->c, tag);

	if (!ret)
		ret = dataplane_up(u->c, &s);
	return ret;
}

/* --- up ------------------------------------------------------------------------------- */

/* Everything that can be checked without changing anything. */
static int up_prepare(struct up_ctx *u)
{
	struct rtnl_link lan;
	int ret;

	ret = desired_build(u->c, &u->want);
	if (ret)
		return ret;
	ret = nl_open(&u->rt, NETLINK_ROUTE);
	if (ret)
		return ret;
	ret = rtnl_link_get(&u->rt, u->c->local.lan_if, &lan);
	if (ret == -ENODEV)
		pr_err("%s: LanInterface %s does not exist", u->c->local.path, u->c->local.lan_if);
	if (!ret)
		ret = dataplane_check(u->c);
	if (ret)
		return ret;
	ret = wg_backend_choose(u->c->local.backend, u->c->local.path, &u->be);
	if (ret)
		return ret;
	ret = state_load(u->ifname, &u->st);
	u->had_state = !ret;
	if (ret == -ENOENT) {
		memset(&u->st, 0, sizeof(u->st));
		ret = 0;
	}
	if (ret)
		return ret;
	u->prev = u->st;
	if (u->st.created_link && u->st.backend != u->be->kind &&
	    rtnl_link_get(&u->rt, u->ifname, &u->link) == 0) {
		pr_err("%s was created by `meshgw up` with the %s backend; run `meshgw down` before "
		       "switching to %s", u->ifname, backend_name(u->st.backend),
		       backend_name(u->be->kind));
		return -EBUSY;
	}
	u->st.backend = u->be->kind;
	return 0;
}

/* A box of a pair (HaAddress) has its WireGuard link up only while it is the VRRP
 * master: a standby that sent would be roamed to by the other sites, and WireGuard
 * would go on sending from the address it first used. Everything else is set up,
 * but the routes through the link (the kernel takes no route through a link that
 * is down, and removes them when it goes down): `meshgw run` (daemon/ha_guard.c)
 * applies the configuration again when the box becomes the master. */
static bool ha_hold(const struct up_ctx *u)
{
	struct ha_role r;
	char t[512];

	if (!u->c->local.n_ha_addr)
		return false;
	if (ha_role_get(&u->c->local, &r) || r.kind == HA_MASTER)
		return false;	/* (addresses unreadable: getifaddrs failed; `up` goes on) */
	ha_role_text(&r, t, sizeof(t));
	pr_warn("%s: link left down, no routes through it: %s; only the VRRP master runs the "
		"tunnel", u->ifname, t);
	return true;
}

static int up_apply(struct up_ctx *u)
{
	int ret;

	u->hold = ha_hold(u);
	/* Held: no endpoint either. wireguard-go sends (a keepalive's handshake) on a
	 * link that was never up, and the peer would roam to this box's own address. */
	for (size_t i = 0; u->hold && i < u->want.wg.n_peers; i++)
		memset(&u->want.wg.peers[i].endpoint, 0, sizeof(u->want.wg.peers[i].endpoint));
	ret = ensure_link(u);
	if (!ret)
		ret = apply_wg(u);
	if (!ret)
		ret = apply_address(u);
	if (!ret && u->hold && (u->link.flags & IFF_UP))
		ret = rtnl_link_updown(&u->rt, u->ifname, u->link.ifindex, false);
	if (!ret && (u->link.mtu != u->want.mtu || (!u->hold && !(u->link.flags & IFF_UP)))) {
		ret = rtnl_link_set(&u->rt, u->ifname, u->link.ifindex,
				    u->link.mtu != u->want.mtu ? u->want.mtu : 0, !u->hold);
		if (!ret) {
			u->undo.mtu = u->link.mtu != u->want.mtu ? u->link.mtu : 0;
			u->undo.brought_up = !u->hold && !(u->link.flags & IFF_UP);
		}
	}
	if (!ret && !u->hold)
		ret = apply_routes(u);
	if (!ret)
		ret = apply_steering(u);
	if (!ret)
		ret = apply_sysctls(u);
	if (!ret && (u->c->self->exit || u->st.exit_nat)) {
		u->exit_saved = exit_nat_save(u->ifname);
		ret = exit_nat_apply(u->c, &u->st.exit_nat);
		u->exit_applied = !ret;
	}
	if (!ret)
		ret = state_save(u->ifname, &u->st);
	u->state_saved = !ret;
	/* The BPF data plane last: it needs the link, and steers into it. Nothing
	 * may fail after it has written its maps: up_undo puts WireGuard and the
	 * routes back, and maps left steering new ranges to peers WireGuard then no
	 * longer has would drop that traffic. */
	if (!ret)
		ret = apply_dataplane(u);
	return ret;
}

/* With keep_endpoints: a peer already on one of its site's candidate endpoints
 * stays there (the failover daemon chose it); only new peers, and peers on an
 * address that is no candidate, get the first endpoint. */
static void keep_current_endpoints(struct up_ctx *u)
{
	struct wg_device have = { 0 };

	if (wg_read(u, &have))
		return;
	u->have = have;		/* apply_wg diffs against it */
	u->have_read = true;
	/* Site by site, each looked up by key (a loop of peers within a loop of
	 * sites was 16 million key comparisons at 4,096 sites). */
	for (size_t s = 0; s < u->c->mesh.n_sites; s++) {
		const struct mg_site *site = &u->c->mesh.sites[s];
		struct wg_peer *w = site == u->c->self ? NULL :
				    wg_device_find_peer(&u->want.wg, site->public_key);
		struct wg_peer *h = w ? wg_device_find_peer(&u->have, site->public_key) : NULL;

		if (!h || !h->endpoint.sa.sa_family)
			continue;
		for (size_t e = 0; e < site->n_endpoints; e++) {
			struct sockaddr_storage cand, cur = { 0 };

			memcpy(&cur, &h->endpoint, sizeof(h->endpoint));
			if (!resolve_now(&site->endpoints[e], &cand) && sockaddr_equal(&cand, &cur)) {
				memset(&w->endpoint, 0, sizeof(w->endpoint));	/* leave it */
				break;
			}
		}
	}
}

/* A failed `up` on a link it did not create: what it changed there goes back,
 * the newest first. Its steering and sysctls put themselves back. The data plane
 * comes last and, on a running gateway, writes its maps after its attachments:
 * when one of those fails the maps are as they were; only a failure while
 * writing them leaves what was written, by diff, which the next `up` reconciles. */
static void up_undo(struct up_ctx *u)
{
	struct up_undo *x = &u->undo;
	uint32_t ifi = u->link.ifindex;

	if (!x->wg_changed && !x->addr_added.family && !x->addr_removed.family && !x->mtu &&
	    !x->brought_up && !x->n_routes_added && !x->n_routes_removed)
		return;
	for (size_t i = 0; i < x->n_routes_added; i++)
		rtnl_route_del(&u->rt, u->ifname, ifi, &x->routes_added[i], RTPROT_MESHGW);
	for (size_t i = 0; i < x->n_routes_removed; i++)
		rtnl_route_add(&u->rt, u->ifname, ifi, &x->routes_removed[i], RTPROT_MESHGW);
	if (x->brought_up)
		rtnl_link_updown(&u->rt, u->ifname, ifi, false);
	if (x->mtu)
		rtnl_link_set(&u->rt, u->ifname, ifi, x->mtu, false);
	if (x->addr_added.family)
		rtnl_addr_del(&u->rt, u->ifname, ifi, &x->addr_added);
	if (x->addr_removed.family)
		rtnl_addr_add(&u->rt, u->ifname, ifi, &x->addr_removed, true);
	if (x->wg_changed)
		wg_put_back(u, &x->wg);
	pr_err("%s: what this run had changed is put back", u->ifname);
}

static void up_undo_free(struct up_undo *x)
{
	wg_device_free(&x->wg);
	free(x->routes_added);
	free(x->routes_removed);
}

/* gateway_up with the interface's lock already held; wg_early: a get sent early
 * (wg_uapi_get_begin) whose answer this reads, or -1. */
static int gateway_up_locked(const struct mg_config *c, bool keep_endpoints, int wg_early)
{
	struct up_ctx u = { .wg_early = wg_early };
	int ret;

	u.c = c;
	u.ifname = c->local.wg_if;
	u.keep = keep_endpoints;
	ret = up_prepare(&u);
	if (ret) {
		pr_err("nothing was changed");
		goto out;
	}
	if (keep_endpoints && rtnl_link_get(&u.rt, u.ifname, &u.link) == 0)
		keep_current_endpoints(&u);
	ret = up_apply(&u);
	/* What this run changed and no earlier `up` recorded goes back (the state
	 * saved below, or none, no longer says it: `down` could not). */
	if (ret)
		state_sysctls_restore(&u.st, u.had_state ? &u.prev : NULL);
	/* The exit masquerade as it was: the table this run replaced or removed is
	 * put back, one it added goes (one it could not read stays as it is now). */
	if (ret && u.exit_applied) {
		if (u.exit_saved)
			exit_nat_restore(u.ifname, u.exit_saved);
		else if (u.st.exit_nat && !u.prev.exit_nat)
			exit_nat_remove(u.ifname);
	}
	if (ret && !u.created_now)
		up_undo(&u);
	if (ret && u.created_now) {
		pr_err("%s: removing the link this run created", u.ifname);
		rtnl_link_del(&u.rt, u.ifname);
		wg_uapi_stop(u.started_pid);
	}
	if (ret && (u.state_saved || u.created_now)) {
		if (u.had_state)
			state_save(u.ifname, &u.prev);
		else
			state_remove(u.ifname);
	}
	if (!ret)
		pr_info("%s: up (site %s, %zu peer%s)", u.ifname, c->self->name, u.want.wg.n_peers,
			u.want.wg.n_peers == 1 ? "" : "s");
out:
	if (u.wg_early >= 0)
		close(u.wg_early);	/* not read: nothing needed WireGuard as it was */
	if (u.have_read)
		wg_device_free(&u.have);
	up_undo_free(&u.undo);
	free(u.exit_saved);
	desired_free(&u.want);
	nl_close(&u.rt);
	return ret;
}

/* The interface's lock released; when no state is recorded (a first `up` that
 * failed or never began), its lock file goes too, as after `down`. */
static void up_unlock(int lock, const char *wg_if)
{
	if (state_load(wg_if, &(struct mg_state){ 0 }) == -ENOENT)
		state_unlock_remove(lock, wg_if);
	else
		state_unlock(lock);
}

/* Ends what gateway_up_early began (or, with no lock, gateway_up itself). */
static int up_end(const struct mg_config *c, bool keep_endpoints, int lock, int wg_early)
{
	int ret;

	if (lock < 0) {
		if (wg_early >= 0)
			close(wg_early);
		pr_err("nothing was changed");
		return lock;
	}
	ret = gateway_up_locked(c, keep_endpoints, wg_early);
	if (ret)
		up_unlock(lock, c->local.wg_if);
	else
		state_unlock(lock);	/* (state saved) */
	return ret;
}

int gateway_up(const struct mg_config *c, bool keep_endpoints)
{
	return up_end(c, keep_endpoints, state_lock(c->local.wg_if), -1);
}

void gateway_up_early(const char *wg_if, struct gateway_early *e)
{
	snprintf(e->wg_if, sizeof(e->wg_if), "%s", wg_if);
	e->lock = state_lock(wg_if);
	/* Under the lock, so that no other `up` or `down` changes it after the read. */
	e->wg = e->lock >= 0 ? wg_uapi_get_begin(wg_if) : -1;
}

int gateway_up_finish(const struct mg_config *c, bool keep_endpoints, struct gateway_early *e)
{
	int lock = e->lock, wg = e->wg;

	e->lock = e->wg = -1;
	if (strcmp(e->wg_if, c->local.wg_if)) {
		/* The local file changed between the two reads: start over. */
		if (wg >= 0)
			close(wg);
		state_unlock(lock);
		return gateway_up(c, keep_endpoints);
	}
	return up_end(c, keep_endpoints, lock, wg);
}

void gateway_early_cancel(struct gateway_early *e)
{
	if (e->wg >= 0)
		close(e->wg);
	if (e->lock >= 0)
		up_unlock(e->lock, e->wg_if);	/* (a first `up` with a bad file) */
	e->lock = e->wg = -1;
}

int gateway_restore(const struct mg_config *c)
{
	const char *wg = c->local.wg_if;
	struct mg_state st;
	int ret, lock = state_lock_if_up(wg);

	if (lock < 0)
		return lock;	/* -ENOENT: nothing recorded, as from state_load */
	/* Decided under the lock: a `meshgw down` or `up` running now finishes first. */
	ret = state_load(wg, &st);
	if (ret != -ENOENT && if_nametoindex(wg)) {
		ret = 0;
	} else if (!ret) {
		pr_warn("%s is gone, but `meshgw up` recorded it (wireguard-go exited, or the link "
			"was deleted): bringing the gateway up again", wg);
		ret = gateway_up_locked(c, true, -1);
		if (!ret)
			ret = 1;
	}
	state_unlock(lock);
	return ret;
}

int gateway_reapply(const struct mg_config *c)
{
	struct mg_state st;
	int ret, lock = state_lock_if_up(c->local.wg_if);

	if (lock == -ENOENT)
		return 1;
	if (lock < 0)
		return lock;
	/* Decided under the lock: a `meshgw down` running now finishes first. */
	ret = state_load(c->local.wg_if, &st);
	if (ret == -ENOENT)
		ret = 1;
	else if (!ret)
		ret = gateway_up_locked(c, true, -1);
	state_unlock(lock);
	return ret;
}
