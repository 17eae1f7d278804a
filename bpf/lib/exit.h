/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Internet exit through another site: is this packet one that takes it? Asked
 * only of packets no mesh route matched (the mesh never takes the exit), and
 * cheap when no exit is active: one array lookup, inlined by the verifier. */
#pragma once
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "net.h"
#include "maps.h"

static __always_inline bool exit_match4(__u8 side, __be32 addr)
{
	struct mg_exit4_key k = { .prefixlen = 8 + 32, .side = side };
	__u32 *take;

	__builtin_memcpy(k.addr, &addr, 4);
	take = bpf_map_lookup_elem(&mg_exit4, &k);
	return take && *take;
}

static __always_inline bool exit_match6(__u8 side, const __u8 *addr)
{
	struct mg_exit6_key k = { .prefixlen = 8 + 128, .side = side };
	__u32 *take;

	__builtin_memcpy(k.addr, addr, 16);
	take = bpf_map_lookup_elem(&mg_exit6, &k);
	return take && *take;
}

/* The internet exit while it is on, else NULL. */
static __always_inline struct mg_exit *exit_active(void)
{
	__u32 zero = 0;
	struct mg_exit *x = bpf_map_lookup_elem(&mg_exit, &zero);

	return x && x->on ? x : NULL;
}

/* The active exit when the IP header at l3 (a source among the exit sources, a
 * destination among the exit destinations) takes it; NULL otherwise. */
static __always_inline struct mg_exit *exit_for(__u8 family, const void *l3)
{
	struct mg_exit *x = exit_active();

	if (!x)
		return NULL;
	if (family == MG_AF_INET) {
		const struct iphdr *ip = l3;

		if (!exit_match4(MG_EXIT_SRC, ip->saddr) || !exit_match4(MG_EXIT_DST, ip->daddr))
			return NULL;
	} else {
		const struct ipv6hdr *ip6 = l3;

		if (!exit_match6(MG_EXIT_SRC, ip6->saddr.in6_u.u6_addr8) ||
		    !exit_match6(MG_EXIT_DST, ip6->daddr.in6_u.u6_addr8))
			return NULL;
	}
	return x;
}

/* A reply to exit traffic: from an exit destination to an exit source. */
static __always_inline bool exit_reply(__u8 family, const void *l3)
{
	if (family == MG_AF_INET) {
		const struct iphdr *ip = l3;

		return exit_match4(MG_EXIT_DST, ip->saddr) && exit_match4(MG_EXIT_SRC, ip->daddr);
	}
	const struct ipv6hdr *ip6 = l3;

	return exit_match6(MG_EXIT_DST, ip6->saddr.in6_u.u6_addr8) &&
	       exit_match6(MG_EXIT_SRC, ip6->daddr.in6_u.u6_addr8);
}

static __always_inline struct mg_exit_stats *exit_stats(__u32 peer)
{
	return bpf_map_lookup_elem(&mg_exit_stats, &peer);
}
