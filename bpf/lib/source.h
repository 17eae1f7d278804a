/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the kernel checks of a forwarded packet's source before it forwards it,
 * asked by the fast paths before they forward or steer one: a packet that fails
 * is handed to the kernel, which drops it (or, where a check here cannot judge,
 * decides). Never forward what the kernel would not. */
#pragma once
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include "net.h"
#include "maps.h"
#include "meshgw_bpf.h"

/* A source the kernel never forwards from (ip_route_input_slow's martian
 * sources; ip6_forward's "security critical" check): IPv4 0/8, 127/8 (also with
 * route_localnet, which the kernel then decides), multicast, 255.255.255.255;
 * IPv6 ::, ::1, multicast, link-local. l3's header is known to be whole. */
static __always_inline bool src_martian(__u8 family, const void *l3)
{
	if (family == MG_AF_INET) {
		__u32 s = bpf_ntohl(((const struct iphdr *)l3)->saddr);
		__u8 first = s >> 24;

		return first == 0 || first == 127 || (first & 0xf0) == 0xe0 || s == 0xffffffff;
	} else {
		const __u32 *a = (const __u32 *)&((const struct ipv6hdr *)l3)->saddr;
		__u32 w0 = bpf_ntohl(a[0]);

		if ((w0 >> 24) == 0xff || (w0 & 0xffc00000) == 0xfe800000)
			return true;	/* multicast, link-local */
		return !w0 && !a[1] && !a[2] && (!a[3] || a[3] == bpf_htonl(1));	/* ::, ::1 */
	}
}

/* The kernel's reverse-path filter (rp_filter), asked before a fast path forwards
 * or steers an IPv4 packet that came in by ingress, whose flags in_flags are
 * (MG_IF_RPF_*, meshgw_bpf.h). As the kernel's check (fib_validate_source): a
 * lookup of the source from the loopback device; strict wants the route out of
 * the ingress, loose any unicast route. False when the kernel would drop the
 * packet, or when this lookup cannot say (a multipath route, a neighbour not
 * resolved on kernels before 6.3): the caller leaves it to the kernel, which
 * decides. IPv6 has no rp_filter (netfilter's rpfilter is seen as netfilter). */
static __always_inline bool rpf_ok(void *ctx, __u32 in_flags, __u32 ingress, __u8 family,
				   const void *l3)
{
	const struct iphdr *ip = l3;
	struct bpf_fib_lookup fib = { .family = MG_AF_INET, .ifindex = 1 /* lo */ };
	long rc;

	if (!(in_flags & MG_IF_RPF) || family != MG_AF_INET)
		return true;
	fib.ipv4_dst = ip->saddr;
	fib.ipv4_src = ip->daddr;
	fib.tos = ip->tos;
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return false;
	return !(in_flags & MG_IF_RPF_STRICT) || fib.ifindex == ingress;
}

/* Is saddr one of this box's IPv4 addresses? The kernel drops a forwarded
 * packet from one (fib_validate_source: with rp_filter off it is a martian
 * source unless accept_local; with it on, rpf_ok's lookup finds the source
 * local). mg_local4 says (lib/maps.h); when it holds too few, the routing table
 * does (a source routed locally, or as broadcast, is left to the kernel, which
 * decides). */
static __always_inline bool src_local4(void *ctx, __be32 saddr)
{
	struct bpf_fib_lookup fib = { .family = MG_AF_INET, .ifindex = 1 /* lo */ };
	int listed = local4_listed(saddr);

	if (listed >= 0)
		return listed;
	fib.ipv4_dst = saddr;
	return bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) == BPF_FIB_LKUP_RET_NOT_FWDED;
}

enum mg_src { MG_SRC_OK, MG_SRC_MARTIAN, MG_SRC_RPF };

/* The checks, the cheap ones first: MG_SRC_OK, or why the kernel must judge (a
 * martian source, this box's own address among them; rp_filter). */
static __always_inline enum mg_src src_check(void *ctx, __u32 in_flags, __u32 ingress, __u8 family,
					     const void *l3)
{
	if (src_martian(family, l3))
		return MG_SRC_MARTIAN;
	/* (With rp_filter on, rpf_ok finds an own address local.) */
	if (family == MG_AF_INET && !(in_flags & MG_IF_RPF) &&
	    src_local4(ctx, ((const struct iphdr *)l3)->saddr))
		return MG_SRC_MARTIAN;
	return rpf_ok(ctx, in_flags, ingress, family, l3) ? MG_SRC_OK : MG_SRC_RPF;
}
