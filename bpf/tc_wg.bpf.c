// SPDX-License-Identifier: GPL-2.0
/* TC on the WireGuard device. The device is layer 3: packets start at the IP
 * header (l3_off = 0; the unit tests, whose test runs always carry an Ethernet
 * header, set 14). Family comes from the version nibble, not skb->protocol.
 *   egress:  count cleartext tx per peer (LPM on destination)
 *   ingress: count decrypted rx per peer (LPM on source) and deliver packets for
 *            this site's own ranges to the LAN with bpf_redirect_neigh, when the
 *            routing table agrees they leave by the LAN NIC (not for the gateway
 *            itself, not elsewhere), one TTL / hop limit less. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/net.h"
#include "lib/fwd.h"
#include "lib/maps.h"

volatile const __u32 lan_ifindex = 0;	/* LAN NIC for redirect_neigh; 0 = off */
volatile const __u32 l3_off = 0;	/* bytes before the IP header */

/* The IP header at l3_off, pulled into the linear area; NULL when not IPv4 or
 * IPv6 (family from the version nibble). */
static __always_inline void *ip_header(struct __sk_buff *skb, int *family)
{
	__u32 off = l3_off & 0xff;
	void *data, *end;
	__u8 *v;

	if (bpf_skb_pull_data(skb, off + sizeof(struct ipv6hdr)) &&
	    bpf_skb_pull_data(skb, off + sizeof(struct iphdr)))
		return NULL;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	v = data + off;
	if ((void *)(v + 1) > end)
		return NULL;
	if ((*v >> 4) == 4 && (void *)v + sizeof(struct iphdr) <= end) {
		*family = MG_AF_INET;
		return v;
	}
	if ((*v >> 4) == 6 && (void *)v + sizeof(struct ipv6hdr) <= end) {
		*family = MG_AF_INET6;
		return v;
	}
	return NULL;
}

static __always_inline struct mg_route *lookup(int family, void *l3, bool by_src)
{
	if (family == MG_AF_INET) {
		struct iphdr *ip = l3;

		return route_lookup4(by_src ? ip->saddr : ip->daddr);
	}
	struct ipv6hdr *ip6 = l3;

	return route_lookup6(by_src ? ip6->saddr.in6_u.u6_addr8 : ip6->daddr.in6_u.u6_addr8);
}

SEC("tc")
int mg_tc_wg_egress(struct __sk_buff *skb)
{
	struct mg_peer_stats *ps;
	struct mg_route *r;
	int family;
	void *l3 = ip_header(skb, &family);

	if (!l3)
		goto ok;
	r = lookup(family, l3, false);
	if (!r || r->kind != MG_ROUTE_REMOTE)
		goto ok;
	ps = peer_stats(r->peer);
	if (ps) {
		ps->tx_packets++;
		ps->tx_bytes += skb->len;
	}
	stat_add(MG_STAT_TC_WG_TX, skb->len);
	return TC_ACT_OK;
ok:
	stat_add(MG_STAT_TC_WG_OK, skb->len);
	return TC_ACT_OK;
}

/* Fills fib from the header and asks whether the packet leaves by the LAN NIC
 * (no neighbour yet is fine: redirect_neigh resolves it). */
static __always_inline bool routed_to_lan(struct __sk_buff *skb, int family, void *l3)
{
	struct bpf_fib_lookup fib = { .ifindex = skb->ifindex };
	long rc;

	if (family == MG_AF_INET) {
		struct iphdr *ip = l3;

		fib.family = MG_AF_INET;
		fib.tos = ip->tos;
		fib.l4_protocol = ip->protocol;
		fib.ipv4_src = ip->saddr;
		fib.ipv4_dst = ip->daddr;
	} else {
		struct ipv6hdr *ip6 = l3;

		fib.family = MG_AF_INET6;
		fib.l4_protocol = ip6->nexthdr;
		__builtin_memcpy(fib.ipv6_src, &ip6->saddr, 16);
		__builtin_memcpy(fib.ipv6_dst, &ip6->daddr, 16);
	}
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	return (rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH) &&
	       fib.ifindex == lan_ifindex;
}

/* Decrements the TTL / hop limit of the packet at l3_off (pointers do not survive
 * the fib lookup: find it again). False when the kernel must handle it (TTL <= 1
 * gets its ICMP "time exceeded" there). */
static __always_inline bool ttl_dec(struct __sk_buff *skb, int family)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	void *l3 = data + (l3_off & 0xff);

	if (family == MG_AF_INET) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > end || ip->ttl <= 1)
			return false;
		ip4_ttl_dec(ip);
		return true;
	}
	struct ipv6hdr *ip6 = l3;

	if ((void *)(ip6 + 1) > end || ip6->hop_limit <= 1)
		return false;
	ip6_hop_dec(ip6);
	return true;
}

SEC("tc")
int mg_tc_wg_ingress(struct __sk_buff *skb)
{
	struct mg_peer_stats *ps = NULL;
	struct mg_route *r;
	__u32 len = skb->len;
	int family;
	void *l3 = ip_header(skb, &family);

	if (!l3)
		goto ok;
	r = lookup(family, l3, true);
	if (r && r->kind == MG_ROUTE_REMOTE) {
		ps = peer_stats(r->peer);
		if (ps) {
			ps->rx_packets++;
			ps->rx_bytes += len;
		}
		stat_add(MG_STAT_TC_WG_RX, len);
	}
	r = lookup(family, l3, false);
	if (r && r->kind == MG_ROUTE_SELF && lan_ifindex) {
		long rc;

		if (!routed_to_lan(skb, family, l3) || !ttl_dec(skb, family))
			goto out;
		/* redirect_neigh pulls an Ethernet header (it drops skbs without
		 * one): give the layer-3 packet an empty one to be replaced. */
		if (!l3_off && bpf_skb_change_head(skb, ETH_HLEN, 0))
			goto out;
		rc = bpf_redirect_neigh(lan_ifindex, NULL, 0, 0);

		if (rc == TC_ACT_REDIRECT) {
			stat_add(MG_STAT_TC_WG_RX_REDIRECT, len);
			return rc;
		}
		if (ps)
			ps->drops[MG_DROP_REDIRECT]++;
	}
out:
	if (ps)
		return TC_ACT_OK;
ok:
	stat_add(MG_STAT_TC_WG_OK, len);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
