/* SPDX-License-Identifier: GPL-2.0-only */
/* rtnetlink for steering WireGuard's own packets when the gateway has several
 * uplinks: the fwmark rule, the host routes to remote endpoints in meshgw's own
 * table (next hop, source address, metric), and what the main table says about an
 * uplink (its default route, its IPv4 address). IPv4 only. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/nl.h"

/* A /32 route in a table, protocol RTPROT_MESHGW. has_gw false: a device route
 * (a point-to-point uplink). */
struct steer_route {
	struct in_addr dst;
	uint32_t oif;
	bool has_gw;
	struct in_addr gw;
	struct in_addr src;		/* 0 = none */
	uint32_t metric;
};

/* meshgw's /32 routes (protocol RTPROT_MESHGW) in table. *out is malloc'd. 0 or -errno. */
int steer_route_list(struct nl_sock *s, uint32_t table, struct steer_route **out, size_t *n);
/* Adds, or replaces the route with the same destination and metric (IPv4 replaces
 * by destination, TOS and priority: one message, no moment without a route). With
 * replace_only, a missing route is not added: -ENOENT. */
int steer_route_set(struct nl_sock *s, uint32_t table, const struct steer_route *r,
		    bool replace_only);
int steer_route_del(struct nl_sock *s, uint32_t table, const struct steer_route *r);

/* The rule `priority PRIO fwmark MARK lookup TABLE` (IPv4). add: 0, or -EEXIST
 * (quietly) when that very rule is there already. del: 0 or -ENOENT (quietly). */
int steer_rule_add(struct nl_sock *s, uint32_t mark, uint32_t table, uint32_t prio);
int steer_rule_del(struct nl_sock *s, uint32_t mark, uint32_t table, uint32_t prio);

/* The neighbour entry of the next hop gw on ifindex, when it is INCOMPLETE
 * (being resolved: the packets sent that way wait in its queue), deleted, which
 * frees what waits there. Other states (a reachable, stale or permanent entry:
 * nothing waits, or the user's own) are left alone. 1 (deleted), 0 (nothing to
 * delete) or -errno. */
int steer_neigh_release(struct nl_sock *s, uint32_t ifindex, struct in_addr gw);

/* The next hop of the main table's IPv4 default route out of ifindex (the one
 * with the lowest metric): 0 with *gw set, 0 with *has_gw false for a route with
 * no gateway (point-to-point), -ENOENT when there is none, or -errno. */
int steer_default_via(struct nl_sock *s, uint32_t ifindex, bool *has_gw, struct in_addr *gw);
/* An IPv4 address of ifindex: the first one, or with contains non-NULL the first
 * whose subnet holds contains (is it on-link?). 0, -ENOENT (none) or -errno. */
int steer_if_addr4(struct nl_sock *s, uint32_t ifindex, const struct in_addr *contains,
		   struct in_addr *addr);
