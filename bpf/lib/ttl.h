/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* TTL / hop limit, for programs that forward a packet themselves (the kernel's
 * forwarding path, which would do it, is skipped) and for the probe reply, which
 * starts afresh. Callers leave packets with TTL <= 1 to the kernel, which answers
 * them with ICMP "time exceeded" (traceroute works). family is a compile-time
 * constant where the caller knows it, so each family's code is straight-line. */
#pragma once
#include "vmlinux.h"
#include "net.h"
#include "csum.h"

/* TTL / hop limit 0 or 1: the packet dies here, the kernel must answer it. */
static __always_inline bool ttl_expiring(__u8 family, const void *l3)
{
	if (family == MG_AF_INET)
		return ((const struct iphdr *)l3)->ttl <= 1;
	return ((const struct ipv6hdr *)l3)->hop_limit <= 1;
}

/* IPv4 carries the TTL in its header checksum (ttl and protocol: one 16-bit
 * word, updated incrementally); IPv6 has no header checksum. The new word is
 * made in a register and stored whole: storing the TTL byte and then loading the
 * word over it stalls the CPU's store forwarding (~5 ns a packet measured, a
 * tenth of the XDP fast path). */
static __always_inline void ttl_set(__u8 family, void *l3, __u8 ttl)
{
	if (family == MG_AF_INET) {
		struct iphdr *ip = l3;
		union {
			__u16 word;
			__u8 byte[2];	/* ttl, protocol */
		} w = { .word = *(__u16 *)&ip->ttl };
		__u16 old = w.word;

		w.byte[0] = ttl;
		*(__u16 *)&ip->ttl = w.word;
		ip->check = csum_replace2(ip->check, old, w.word);
	} else {
		((struct ipv6hdr *)l3)->hop_limit = ttl;
	}
}

static __always_inline void ttl_dec(__u8 family, void *l3)
{
	if (family == MG_AF_INET)
		ttl_set(family, l3, ((struct iphdr *)l3)->ttl - 1);
	else
		((struct ipv6hdr *)l3)->hop_limit--;
}

/* ttl_dec on the IP header at off, for callers whose packet pointers a helper
 * call (bpf_fib_lookup) invalidated: found again and bounds-checked. False when
 * the header is not in [data, end). */
static __always_inline bool ttl_dec_at(void *data, void *end, __u32 off, __u8 family)
{
	if (family == MG_AF_INET) {
		struct iphdr *ip = data + off;

		if ((void *)(ip + 1) > end)
			return false;
		ttl_dec(MG_AF_INET, ip);
	} else {
		struct ipv6hdr *ip6 = data + off;

		if ((void *)(ip6 + 1) > end)
			return false;
		ttl_dec(MG_AF_INET6, ip6);
	}
	return true;
}
