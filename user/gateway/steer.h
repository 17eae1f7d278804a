/* SPDX-License-Identifier: GPL-2.0-only */
/* Steering WireGuard's own packets onto their path when the gateway has several
 * uplinks (DESIGN.md "Several uplinks on the gateway itself"). WireGuard marks its
 * packets with FwMark; the rule `fwmark FwMark lookup RoutingTable` sends them to
 * meshgw's table; there every remote endpoint address X has
 *   - metric 0:     X via <next hop> dev <chosen uplink> src <its address>
 *   - metric 1 + u: X via <next hop of u> dev <uplink u> src <its address>, per uplink
 * The metric-0 route carries WireGuard's packets (the path the daemon chose);
 * probes, bound to uplink u's device and address and carrying the mark, find the
 * first route out of their device: the metric-0 one when u is the chosen uplink,
 * else u's own. All routes are protocol RTPROT_MESHGW, so `down` takes off exactly
 * these. IPv4 endpoints only: IPv6 ones follow the main table. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include "config/config.h"
#include "lib/nl.h"

struct steer_uplink {
	const struct mg_uplink *cfg;
	uint32_t ifindex;		/* 0 = the interface does not exist */
	struct in_addr src;		/* its IPv4 address */
	bool has_gw;
	struct in_addr gw;		/* its next hop (has_gw), else a device route */
	bool ready;			/* ifindex, src and next hop known: routes possible */
};

struct steer {
	uint32_t mark, table;
	size_t n;
	struct steer_uplink up[MG_MAX_UPLINKS];
};

/* Looks each uplink of l up: ifindex, address, next hop (the configured one, or
 * the main table's default route out of it). Uplinks not ready are skipped by the
 * routes (and named at warn level when report). 0 or -errno (netlink). */
int steer_resolve(struct nl_sock *s, const struct mg_local *l, struct steer *st, bool report);

/* One endpoint address and the uplink of its path (-1: the route there stays on
 * the uplink it is on if that is ready, else the first ready uplink). */
struct steer_want {
	struct in_addr dst;
	int chosen;
};
/* Brings meshgw's table to the routes of w: adds or replaces what differs,
 * deletes meshgw's routes nobody wants. Sorts w. 0 or the first -errno. */
int steer_sync(struct nl_sock *s, const struct steer *st, struct steer_want *w, size_t n);
/* The path to dst is now through uplink u: its metric-0 route replaced (never
 * added: -ENOENT when it is missing, until the next steer_sync). */
int steer_choose(struct nl_sock *s, const struct steer *st, struct in_addr dst, unsigned int u);

/* For up: the rule (*added: this call added it) and the routes to every remote
 * site's IPv4 endpoints. keep: a route already on a ready uplink stays there (the
 * daemon chose it). 0 or -errno (message printed). */
int steer_up(struct nl_sock *s, const struct mg_config *c, bool keep, bool *added);
/* For down, and for an up that no longer has several uplinks: meshgw's routes in
 * table, and the rule when rule_added. 0 or the first -errno. */
int steer_down(struct nl_sock *s, uint32_t mark, uint32_t table, bool rule_added);
