/* SPDX-License-Identifier: GPL-2.0-only */
/* The mesh routes (mesh network and the other sites' egress ranges, into the
 * WireGuard link) live in meshgw's table MeshTable, reached by policy rules, so
 * that what the gateway sends from an address of its own that is not in its
 * site's allowed IPs (its mesh address, its egress ranges) routes as it did
 * before meshgw: the other sites' WireGuard would drop it (its source is not in
 * this site's allowed IPs), e.g. a reply from the uplink's public address to a
 * remote LAN host that reached it over the internet. Per family with mesh routes:
 *
 *   990: from A goto 992    for each such address A of the gateway (uplinks, ...)
 *   990: to R goto 992      for each subnet R of the gateway's addresses that lies
 *                           inside a mesh range (an uplink behind an ISP box
 *                           numbered like another site's LAN): R's own route wins,
 *                           as the longest match let it in the main table
 *   991: lookup MeshTable   everything else: forwarded packets, the gateway's own
 *                           from the mesh address or a LAN address, and its
 *                           unbound sockets (source 0 until the route picks one:
 *                           the WireGuard link's, the mesh address)
 *   992: nop                the target of the gotos; the rules after it (mwan3's,
 *                           the main table) apply as before
 *
 * Every rule has protocol RTPROT_MESHGW: `down` takes off exactly these. The A
 * and R rules follow the addresses: `up` sets them, `meshgw run` checks every second
 * (a DHCP lease renumbering an uplink, a VRRP address coming and going). */
#pragma once
#include <stdint.h>
#include "config/config.h"
#include "lib/nl.h"

#define MG_MESH_SKIP_PRIORITY 990u
#define MG_MESH_RULE_PRIORITY 991u
#define MG_MESH_END_PRIORITY  992u

/* Bit 0: IPv4 mesh routes, bit 1: IPv6 (the mesh network, the other sites'
 * egress ranges). */
unsigned int mesh_families(const struct mg_config *c);
/* Brings meshgw's rules to those of table and families (0: none) for the
 * addresses the gateway has now. Returns how many rules it added or deleted, or
 * -errno (message printed). */
int mesh_rules_sync(struct nl_sock *s, const struct mg_config *c, uint32_t table,
		    unsigned int families);
/* Deletes meshgw's rules (protocol RTPROT_MESHGW at the three priorities). 0 or
 * the first -errno. */
int mesh_rules_down(struct nl_sock *s);
