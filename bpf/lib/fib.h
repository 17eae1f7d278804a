/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* bpf_fib_lookup's question, filled from an IP header of either family. The
 * lookup itself stays with the caller: what a result means (forward, leave to
 * the kernel, local) differs from one program to the next. ifindex (the
 * ingress device, for policy routing) is set by the caller too. */
#pragma once
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include "net.h"
#include "parse.h"

/* Family and the two addresses: enough to ask where a packet would go. */
static __always_inline void fib_set_addrs(struct bpf_fib_lookup *fib, __u8 family, const void *l3)
{
	fib->family = family;
	if (family == MG_AF_INET) {
		const struct iphdr *ip = l3;

		fib->ipv4_src = ip->saddr;
		fib->ipv4_dst = ip->daddr;
	} else {
		const struct ipv6hdr *ip6 = l3;

		__builtin_memcpy(fib->ipv6_src, &ip6->saddr, 16);
		__builtin_memcpy(fib->ipv6_dst, &ip6->daddr, 16);
	}
}

/* The transport ports, where the kernel's flow dissector finds them (TCP, UDP,
 * UDP-Lite, SCTP, DCCP; not in a fragment): what rules that match ports (`ip
 * rule ... dport 443 lookup 100`) and multipath routes hashed by layer 4
 * (fib_multipath_hash_policy 1) see of a forwarded packet. Left 0 otherwise, as
 * the kernel's are. */
static __always_inline void fib_set_ports(struct bpf_fib_lookup *fib, __u8 family, const void *l3,
					  const void *end)
{
	const struct iphdr *ip = l3;
	const __be16 *ports;
	__u8 proto;

	if (family == MG_AF_INET) {
		if (ip4_frag(ip))
			return;
		proto = ip->protocol;
		ports = l3 + (ip->ihl & 0xf) * 4;
	} else {
		proto = ((const struct ipv6hdr *)l3)->nexthdr;	/* a fragment header: none */
		ports = l3 + sizeof(struct ipv6hdr);
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_UDPLITE &&
	    proto != IPPROTO_SCTP && proto != IPPROTO_DCCP)
		return;
	if ((const void *)(ports + 2) > end)
		return;
	fib->sport = ports[0];
	fib->dport = ports[1];
}

/* Everything the kernel's own route lookup for a forwarded packet would use:
 * the addresses, TOS / traffic class and flow label (policy routing, multipath
 * hashing), the protocol and the ports. tot_len is the packet's IP length for
 * the helper to check the egress MTU against (BPF_FIB_LKUP_RET_FRAG_NEEDED), or
 * 0 for no check (GSO packets, whose segments the kernel checks, or a caller
 * that only asks for the route). end: where the packet data ends. */
static __always_inline void fib_set_ip(struct bpf_fib_lookup *fib, __u8 family, const void *l3,
				       const void *end, __u16 tot_len)
{
	const struct iphdr *ip = l3;
	const struct ipv6hdr *ip6 = l3;

	fib_set_addrs(fib, family, l3);
	fib->tot_len = tot_len;
	if (family == MG_AF_INET) {
		fib->tos = ip->tos;
		fib->l4_protocol = ip->protocol;
	} else {
		fib->flowinfo = *(const __be32 *)ip6 & bpf_htonl(0x0FFFFFFF);
		fib->l4_protocol = ip6->nexthdr;
	}
	fib_set_ports(fib, family, l3, end);
}
