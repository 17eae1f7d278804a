// SPDX-License-Identifier: GPL-2.0-only
/* The internet exit, moved like an endpoint (failover/fo_exit.c decides): an
 * ExitVia site is reachable while its active endpoint is not down or another one
 * answers probes; when none is, the internet goes out by this site's own uplink.
 * A move rewrites the ExitVia peers' AllowedIPs (0.0.0.0/0 and ::/0 on the chosen
 * one only) and the data plane's mg_exit: turned off before WireGuard loses the
 * route, pointed at a peer only once WireGuard has it, so no packet is steered to
 * a peer that would drop it. `up` (by hand, a reload, a restored wireguard-go)
 * configures the first ExitVia site again: the data plane is compared every second
 * and the daemon's choice applied again when they differ. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "daemon/internal.h"
#include "dataplane/dp_exit.h"
#include "gateway/desired.h"
#include "lib/log.h"

#define EXIT_CHECK_NS (1000 * MS)

_Static_assert(MG_MAX_EXIT_VIA == FO_MAX_EXITS, "every ExitVia site has a place in struct fo_exit");

static const struct daemon_peer *peer_of(const struct daemon *d, const char *site)
{
	for (size_t n = 0; n < d->n_peers; n++)
		if (!strcasecmp(d->peers[n].site->name, site))
			return &d->peers[n];
	return NULL;
}

/* A site without endpoints (it connects to us) cannot be judged: reachable. */
static bool reachable(const struct daemon_peer *p)
{
	if (!p)
		return false;
	if (!p->fo.n_ep || p->fo.ep[p->fo.active].state != FO_EP_DOWN)
		return true;
	for (unsigned int i = 0; i < p->fo.n_ep; i++)
		if (p->fo.ep[i].state == FO_EP_UP)
			return true;
	return false;
}

static const char *name_of(const struct daemon *d, int i)
{
	return i == FO_EXIT_LOCAL ? "(local internet)" : d->exit_via[i];
}

/* Exit through ExitVia site `to`, or none (FO_EXIT_LOCAL), counting a move for
 * `move` (enum mg_exit_move, -1 none) in mg_exit. 0 or -errno. */
static int apply(struct daemon *d, int to, int move)
{
	struct wg_device change = { 0 };
	int ret = 0, idx = -ENOENT;

	if (to != FO_EXIT_LOCAL && d->maps.fd.exit >= 0) {
		idx = dp_peer_index(&d->maps, d->exit_via[to]);
		if (idx < 0)
			return idx;
	}
	if (to == FO_EXIT_LOCAL && d->maps.fd.exit >= 0)
		ret = dp_exit_set(&d->maps, 0, false, move);
	snprintf(change.name, sizeof(change.name), "%s", d->cfg.local.wg_if);
	for (size_t i = 0; !ret && i < d->n_exit_via; i++) {
		const struct mg_site *s = mesh_find_site(&d->cfg.mesh, d->exit_via[i]);
		struct wg_peer *p;

		if (!s)
			continue;
		p = wg_device_add_peer(&change);
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		memcpy(p->public_key, s->public_key, WG_KEY_LEN);
		p->flags = WG_PEER_REPLACE_ALLOWEDIPS;
		ret = desired_site_allowed(s, (int)i == to, p);
	}
	if (!ret)
		ret = d->be->set(d->cfg.local.wg_if, &change);
	wg_device_free(&change);
	if (!ret && to != FO_EXIT_LOCAL && idx >= 0)
		ret = dp_exit_set(&d->maps, (__u32)idx, true, move);
	return ret;
}

/* The exit list changed (start, reload): decisions start again from what `up`
 * configured, the first ExitVia site. */
static void exit_reset(struct daemon *d, uint64_t now)
{
	const struct mg_local *l = &d->cfg.local;

	d->n_exit_via = l->n_exit_via > FO_MAX_EXITS ? FO_MAX_EXITS : l->n_exit_via;
	memset(d->exit_via, 0, sizeof(d->exit_via));
	for (size_t i = 0; i < d->n_exit_via; i++)
		snprintf(d->exit_via[i], sizeof(d->exit_via[i]), "%s", l->exit_via[i]);
	fo_exit_init(&d->exit, (unsigned int)d->n_exit_via, now);
	d->next_exit_check_ns = now + EXIT_CHECK_NS;
	if (d->n_exit_via)
		pr_info("exit: internet traffic exits through site %s (ExitVia: %zu site%s)",
			d->exit_via[0], d->n_exit_via, d->n_exit_via == 1 ? "" : "s");
}

static bool same_list(const struct daemon *d)
{
	const struct mg_local *l = &d->cfg.local;

	if (l->n_exit_via != d->n_exit_via)
		return false;
	for (size_t i = 0; i < d->n_exit_via; i++)
		if (strcasecmp(l->exit_via[i], d->exit_via[i]))
			return false;
	return true;
}

/* Does the data plane still say what the daemon chose? */
static bool dataplane_agrees(struct daemon *d)
{
	struct mg_exit x;
	int idx;

	if (dp_exit_get(&d->maps, &x))
		return true;	/* no map to compare with */
	if (d->exit.active == FO_EXIT_LOCAL)
		return !x.on;
	idx = dp_peer_index(&d->maps, d->exit_via[d->exit.active]);
	return idx < 0 || (x.on && x.peer == (__u32)idx);
}

void exit_tick(struct daemon *d, uint64_t now)
{
	bool r[FO_MAX_EXITS] = { 0 };
	enum fo_exit_reason why;
	int from, to, ret;

	if (!same_list(d) || (!d->exit.n && d->n_exit_via))
		exit_reset(d, now);
	if (!d->n_exit_via)
		return;
	for (size_t i = 0; i < d->n_exit_via; i++)
		r[i] = reachable(peer_of(d, d->exit_via[i]));
	from = d->exit.active;
	to = fo_exit_decide(&d->exit, r, d->fo.holddown_ms, now, &why);
	if (to == from) {
		if (now < d->next_exit_check_ns)
			return;
		d->next_exit_check_ns = now + EXIT_CHECK_NS;
		if (dataplane_agrees(d))
			return;
		pr_info("exit: the data plane was reset (by `meshgw up`?): exit through %s again",
			name_of(d, from));
		if ((ret = apply(d, from, -1)))
			pr_err("exit: applying %s again failed: %s", name_of(d, from), strerror(-ret));
		return;
	}
	ret = apply(d, to, why == FO_EXIT_UNREACHABLE ? MG_EXIT_MOVE_UNREACHABLE : MG_EXIT_MOVE_BACK);
	if (ret) {
		pr_err("exit: moving from %s to %s failed: %s (trying again)", name_of(d, from),
		       name_of(d, to), strerror(-ret));
		return;
	}
	fo_exit_switched(&d->exit, to, why);
	if (why == FO_EXIT_UNREACHABLE && to == FO_EXIT_LOCAL)
		pr_warn("exit: site %s unreachable (no endpoint answers probes) and no other ExitVia site answers: internet traffic now leaves by this site's own uplink",
			name_of(d, from));
	else if (why == FO_EXIT_UNREACHABLE)
		pr_warn("exit: site %s unreachable (no endpoint answers probes): internet traffic now exits through site %s",
			name_of(d, from), name_of(d, to));
	else
		pr_info("exit: site %s reachable again for the hold-down (%u ms): internet traffic exits through it again (was: %s)",
			name_of(d, to), d->fo.holddown_ms, name_of(d, from));
}

/* When exit_tick next has something to do without a peer changing: the check of
 * the data plane, or a more preferred exit's hold-down ending (fo_exit_decide
 * compares only those with the clock). Peers change only in a tick, which runs
 * exit_tick too. */
uint64_t exit_next_due(const struct daemon *d)
{
	const struct fo_exit *x = &d->exit;
	uint64_t due = d->n_exit_via ? d->next_exit_check_ns : UINT64_MAX;
	unsigned int better = x->active == FO_EXIT_LOCAL ? x->n : (unsigned int)x->active;

	for (unsigned int i = 0; d->n_exit_via && i < better && i < x->n; i++) {
		uint64_t t = x->reachable_since_ns[i] + (uint64_t)d->fo.holddown_ms * MS;

		if (x->reachable[i] && t < due)
			due = t;
	}
	return due;
}
