/* SPDX-License-Identifier: GPL-2.0-only */
/* The gateway's own addresses that no peer accepts as a source, and the way out
 * each has without meshgw (mg_own_addr, see include/meshgw_bpf.h): tc_wg's egress
 * sends the gateway's replies from them there instead of into the tunnel. */
#pragma once
#include <stddef.h>
#include "config/config.h"
#include "lib/nl.h"
#include "meshgw_bpf.h"

struct own_addr {
	struct mg_own_key key;
	struct mg_own_route route;
};

/* What the kernel says now: every global address on a device other than the
 * WireGuard one (wg_ifindex) and loopback, outside this site's mesh address,
 * egress ranges and the mesh Network, whose device has a default route in the
 * main table for its family (the one with the lowest metric: its gateway; a
 * layer-3 device needs none), or that is an uplink the local file gives a next hop
 * (`via`, IPv4). None on an exit site. *out is malloc'd (NULL when
 * none). 0 or -errno. */
int own_addr_want(struct nl_sock *s, const struct mg_config *c, unsigned int wg_ifindex,
		  struct own_addr **out, size_t *n);

/* mg_own_addr made equal to own_addr_want's answer (entries added, changed and
 * removed; unchanged ones left alone). 0 or -errno. */
int dp_sync_own_addr(int map_fd, const struct mg_config *c, unsigned int wg_ifindex);
