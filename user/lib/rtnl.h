/* SPDX-License-Identifier: GPL-2.0-only */
/* rtnetlink over libmnl: the WireGuard link, its address and meshgw's routes. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/nl.h"
#include "lib/prefix.h"

/* rtm_protocol of every route meshgw installs, so reconciliation and `down`
 * recognise their own routes and leave everyone else's alone. 0x6d ('m') is not
 * in /etc/iproute2/rt_protos. */
#define RTPROT_MESHGW 0x6d

struct rtnl_link {
	uint32_t ifindex;
	uint32_t mtu;
	uint32_t flags;		/* IFF_* */
	uint16_t type;		/* ARPHRD_*: ARPHRD_ETHER, ARPHRD_NONE (raw IP, tun), ... */
	char kind[16];		/* IFLA_INFO_KIND: "wireguard", "tun", "" */
};

/* 0, -ENODEV when there is no such link, or -errno. */
int rtnl_link_get(struct nl_sock *s, const char *name, struct rtnl_link *l);
/* Creates a link of kind "wireguard". -EOPNOTSUPP when the kernel lacks it. */
int rtnl_link_add_wireguard(struct nl_sock *s, const char *name);
int rtnl_link_del(struct nl_sock *s, const char *name);
/* Sets the MTU (if mtu) and brings the link up. */
int rtnl_link_set(struct nl_sock *s, const char *name, uint32_t ifindex, uint32_t mtu, bool up);
/* Sets the link administratively up or down (IFF_UP), nothing else. */
int rtnl_link_updown(struct nl_sock *s, const char *name, uint32_t ifindex, bool up);

/* The box's own address in an RTM_NEWADDR message (IFA_LOCAL; IFA_ADDRESS when
 * there is none, as IFA_ADDRESS is the far end's on a point-to-point link): its
 * 4 or 16 bytes, by the message's family, or NULL. */
const void *rtnl_ifa_own(const struct nlmsghdr *nlh);
/* An address: p holds the address (host bits set) and the prefix length. */
int rtnl_addr_list(struct nl_sock *s, uint32_t ifindex, struct prefix **out, size_t *n);
/* With noprefixroute the kernel adds no route for the prefix (meshgw adds its own,
 * tagged). quiet_exist: -EEXIST returned without a message. */
int rtnl_addr_add(struct nl_sock *s, const char *ifname, uint32_t ifindex,
		  const struct prefix *p, bool noprefixroute);
int rtnl_addr_del(struct nl_sock *s, const char *ifname, uint32_t ifindex,
		  const struct prefix *p);

/* Routes in the main table with protocol proto via ifindex (0 = any link). */
int rtnl_route_list(struct nl_sock *s, uint32_t ifindex, uint8_t proto,
		    struct prefix **out, size_t *n);
int rtnl_route_add(struct nl_sock *s, const char *ifname, uint32_t ifindex,
		   const struct prefix *dst, uint8_t proto);
int rtnl_route_del(struct nl_sock *s, const char *ifname, uint32_t ifindex,
		   const struct prefix *dst, uint8_t proto);
