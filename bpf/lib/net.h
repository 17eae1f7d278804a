/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Protocol constants that vmlinux.h (types only, no macros) does not carry. */
#pragma once

#define MG_AF_INET	2
#define MG_AF_INET6	10
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define ETH_HLEN	14
#define NEXTHDR_HOP	0
#define NEXTHDR_FRAGMENT 44
#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF
#define TC_ACT_OK	0
/* What meshgw's TC programs return where they hand a packet on: the next
 * program on the hook, then the kernel. On a tcx hook TC_ACT_OK would also skip
 * every cls_bpf filter (a user's own), which run after the tcx programs; as a
 * cls_bpf filter it lets the filters after ours run, as they did before. */
#define TC_ACT_UNSPEC	(-1)
#define TC_ACT_SHOT	2
#define TC_ACT_REDIRECT	7
#define MG_PROBE_TTL	64
#define PACKET_HOST	0

struct mg_vlan {
	__be16 tci;
	__be16 proto;
};
