/* SPDX-License-Identifier: GPL-2.0-only */
/* Two gateways at one site: is this box the VRRP master? keepalived puts the VRRP
 * addresses (the local file's HaAddress) on the master's interfaces and takes them
 * off the others, so the role is read from the box's own addresses; meshgw takes
 * no part in the election. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include "config/config.h"

enum ha_role_kind {
	HA_NONE,	/* no HaAddress: not part of a pair */
	HA_MASTER,	/* holds every VRRP address */
	HA_STANDBY,	/* holds none */
	HA_PARTIAL,	/* some: keepalived mid-switch, or an address keepalived does not hold */
};

struct ha_role {
	enum ha_role_kind kind;
	size_t n;				/* = local's n_ha_addr */
	struct prefix addr[MG_MAX_HA_ADDRS];	/* the local file's order */
	char ifname[MG_MAX_HA_ADDRS][IF_NAMESIZE];	/* where each is held; "" = not held */
};

/* One address of the box, as getifaddrs lists it. */
struct ha_if_addr {
	char ifname[IF_NAMESIZE];
	struct prefix addr;			/* host prefix */
};

/* The role from the box's addresses (pure: tested without a network). */
void ha_role_from(const struct mg_local *l, const struct ha_if_addr *have, size_t n_have,
		  struct ha_role *r);
/* This network namespace's addresses, at most max (HA_BOX_ADDRS_MAX is plenty for a
 * gateway), into out[0..*n). 0 or -errno. */
#define HA_BOX_ADDRS_MAX 1024
int ha_box_addrs(struct ha_if_addr *out, size_t max, size_t *n);
/* The role from this network namespace's addresses. 0 or -errno. */
int ha_role_get(const struct mg_local *l, struct ha_role *r);
/* What `meshgw run` does with its WireGuard link, given the role (the daemon's HA
 * guard, daemon/ha_guard.c): only the master may send, so any other role takes the
 * link down (a box that lost a VRRP address and still sent would reach the other
 * sites from its own address, and they would roam to it); the master brings it
 * back up, but only when the daemon took it down (an admin's `ip link set down`
 * is left alone). */
enum ha_link_act { HA_LINK_KEEP, HA_LINK_DOWN, HA_LINK_UP };
enum ha_link_act ha_link_action(enum ha_role_kind role, bool link_up, bool held_down);
/* "master", "standby", "partial" (NULL for HA_NONE): the JSON role. */
const char *ha_role_name(enum ha_role_kind k);
/* The text line's content after "ha: ", e.g. "master (holds VRRP address 10.2.0.1
 * on lan0)". */
void ha_role_text(const struct ha_role *r, char *buf, size_t len);
