/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* bpf_fib_lookup's question, filled from an IP header of either family. The
 * lookup itself stays with the caller: what a result means (forward, leave to
 * the kernel, local) differs from one program to the next. ifindex (the
 * ingress device, for policy routing) is set by the caller too. */
#pragma once
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include "net.h"

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

/* Everything the kernel's own route lookup for a forwarded packet would use:
 * the addresses, TOS / traffic class and flow label (policy routing, multipath
 * hashing) and the protocol. tot_len is the packet's IP length for the helper
 * to check the egress MTU against (BPF_FIB_LKUP_RET_FRAG_NEEDED), or 0 for no
 * check (GSO packets, whose segments the kernel checks, or a caller that only
 * asks for the route). */
static __always_inline void fib_set_ip(struct bpf_fib_lookup *fib, __u8 family, const void *l3,
				       __u16 tot_len)
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
}

