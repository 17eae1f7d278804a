/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading an IP header of either family, after the caller has found where it
 * starts (l3) and which family it is. Nothing here touches a map or the packet's
 * contents. Where the caller knows the family at compile time (xdp_lan has one
 * body for both, specialised by inlining) each helper becomes straight-line
 * code for that family; where it does not (TC reads skb->protocol) the branch
 * is taken at run time. */
#pragma once
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include "net.h"

/* 6.1's verifier forgets that a byte swap yields 16 bits and then refuses packet
 * pointer arithmetic with the result; clang drops a plain "& 0xffff" as
 * redundant, so hide the value from it first. */
static __always_inline __u32 bounded16(__u32 v)
{
	asm volatile("" : "+r"(v));
	return v & 0xffff;
}

/* The fixed header (IPv4 without options, IPv6 without extensions) lies in
 * [l3, end): its fields can be read. */
static __always_inline bool ip_hdr_in(__u8 family, const void *l3, const void *end)
{
	if (family == MG_AF_INET)
		return (const void *)((const struct iphdr *)l3 + 1) <= end;
	return (const void *)((const struct ipv6hdr *)l3 + 1) <= end;
}

/* ip_hdr_in, and the version field agrees with the family the link layer
 * (EtherType, skb->protocol) announced. */
static __always_inline bool ip_hdr_ok(__u8 family, const void *l3, const void *end)
{
	if (!ip_hdr_in(family, l3, end))
		return false;
	if (family == MG_AF_INET)
		return ((const struct iphdr *)l3)->version == 4;
	return ((const struct ipv6hdr *)l3)->version == 6;
}

/* The family of the header at l3 by its version nibble, for a device without a
 * link header to say it (the WireGuard device); 0 when neither, or when the
 * fixed header is not all in [l3, end). */
static __always_inline __u8 ip_family_at(const void *l3, const void *end)
{
	const __u8 *v = l3;

	if ((const void *)(v + 1) > end)
		return 0;
	if ((*v >> 4) == 4 && ip_hdr_in(MG_AF_INET, l3, end))
		return MG_AF_INET;
	if ((*v >> 4) == 6 && ip_hdr_in(MG_AF_INET6, l3, end))
		return MG_AF_INET6;
	return 0;
}

/* The packet's length per its header, header included (at most 65,575 for
 * IPv6: the fixed header is not counted in its payload length). */
static __always_inline __u32 ip_tot(__u8 family, const void *l3)
{
	if (family == MG_AF_INET)
		return bounded16(bpf_ntohs(((const struct iphdr *)l3)->tot_len));
	return sizeof(struct ipv6hdr) + bounded16(bpf_ntohs(((const struct ipv6hdr *)l3)->payload_len));
}

/* Header length (IPv4 options included; IPv6 extension headers count as
 * payload) and total length; false when the two do not fit together. */
static __always_inline bool ip_lens(__u8 family, const void *l3, __u32 *hlen, __u32 *tot)
{
	*tot = ip_tot(family, l3);
	if (family == MG_AF_INET) {
		*hlen = ((const struct iphdr *)l3)->ihl * 4;
		return *hlen >= sizeof(struct iphdr) && *tot >= *hlen;
	}
	*hlen = sizeof(struct ipv6hdr);
	return true;
}

/* A piece of a fragmented IPv4 packet (IPv6 fragments carry an extension
 * header: their next header is not a transport protocol). */
static __always_inline bool ip4_frag(const struct iphdr *ip)
{
	return ip->frag_off & bpf_htons(IP_MF | IP_OFFSET);
}

/* The UDP header of an unfragmented UDP packet whose IP header is hlen long
 * (not yet bounds-checked), NULL for anything else. */
static __always_inline struct udphdr *ip_udp(__u8 family, void *l3, __u32 hlen)
{
	if (family == MG_AF_INET) {
		struct iphdr *ip = l3;

		if (ip->protocol != IPPROTO_UDP || ip4_frag(ip))
			return NULL;
		return l3 + (hlen & 0x3c);	/* the mask keeps the verifier's bounds */
	}
	if (((struct ipv6hdr *)l3)->nexthdr != IPPROTO_UDP)
		return NULL;
	return l3 + sizeof(struct ipv6hdr);
}

static __always_inline bool ip6_linklocal(const struct in6_addr *a)
{
	return a->in6_u.u6_addr8[0] == 0xfe && (a->in6_u.u6_addr8[1] & 0xc0) == 0x80;
}

static __always_inline bool ip6_multicast(const struct in6_addr *a)
{
	return a->in6_u.u6_addr8[0] == 0xff;
}

/* Could a program route this packet itself, with no more than a route lookup and
 * a TTL decrement? Not with IPv4 options or fragments, IPv6 hop-by-hop options
 * (every router must read them), fragments, multicast or link-local addresses:
 * those are the kernel's business. The TTL is checked apart (ttl.h). */
static __always_inline bool ip_plain(__u8 family, const void *l3)
{
	if (family == MG_AF_INET) {
		const struct iphdr *ip = l3;

		return ip->ihl == 5 && !ip4_frag(ip);
	}
	const struct ipv6hdr *ip6 = l3;
	__u8 nh = ip6->nexthdr;

	return nh != NEXTHDR_HOP && nh != NEXTHDR_FRAGMENT && !ip6_multicast(&ip6->daddr) &&
	       !ip6_linklocal(&ip6->saddr) && !ip6_linklocal(&ip6->daddr);
}

/* Endpoint keys (mg_ep_key, mg_probe_key) hold IPv4 as ::ffff:a.b.c.d. */
static __always_inline void v4_mapped(__u8 out[16], __be32 a)
{
	__builtin_memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	__builtin_memcpy(out + 12, &a, 4);
}

/* The source address as an endpoint key holds it. */
static __always_inline void ip_src16(__u8 family, const void *l3, __u8 out[16])
{
	if (family == MG_AF_INET)
		v4_mapped(out, ((const struct iphdr *)l3)->saddr);
	else
		__builtin_memcpy(out, ((const struct ipv6hdr *)l3)->saddr.in6_u.u6_addr8, 16);
}
