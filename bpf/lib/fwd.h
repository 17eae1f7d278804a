/* What a program that forwards a packet itself owes the network, since the
 * kernel's forwarding path (which would do it) is skipped: one less TTL / hop
 * limit. Callers leave packets with TTL <= 1 to the kernel, which answers them
 * with ICMP "time exceeded". */
#pragma once
#include "vmlinux.h"
#include "csum.h"

static __always_inline void ip4_ttl_dec(struct iphdr *ip)
{
	__u16 old = *(__u16 *)&ip->ttl, new;	/* ttl and protocol: one checksum word */

	ip->ttl--;
	new = *(__u16 *)&ip->ttl;
	ip->check = csum_replace2(ip->check, old, new);
}

static __always_inline void ip6_hop_dec(struct ipv6hdr *ip6)
{
	ip6->hop_limit--;
}
