// SPDX-License-Identifier: GPL-2.0
/* TC on the WireGuard device. The device is layer 3: packets start at the IP
 * header (l3_off = 0; the unit tests, whose test runs always carry an Ethernet
 * header, set 14). Family comes from the version nibble, not skb->protocol.
 *   egress:  count cleartext tx per peer (LPM on destination)
 *   ingress: count decrypted rx per peer (LPM on source) and deliver packets for
 *            this site's own ranges to the LAN with bpf_redirect_neigh, when the
 *            routing table agrees they leave by the LAN NIC (not for the gateway
 *            itself, not elsewhere). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/net.h"
#include "lib/maps.h"

volatile const __u32 lan_ifindex = 0;	/* LAN NIC for redirect_neigh; 0 = off */
volatile const __u32 l3_off = 0;	/* bytes before the IP header */

/* Finds src and dst as 16-byte (mapped) addresses and fills the lookup keys of
 * fib (may be NULL). Returns the family, or -1 when not IP. */
static __always_inline int addrs(struct __sk_buff *skb, __u8 src[16], __u8 dst[16],
				 struct bpf_fib_lookup *fib)
{
	__u32 off = l3_off & 0xff;
	void *data, *end;
	__u8 *v;

	if (bpf_skb_pull_data(skb, off + sizeof(struct ipv6hdr)) &&
	    bpf_skb_pull_data(skb, off + sizeof(struct iphdr)))
		return -1;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	v = data + off;
	if ((void *)(v + 1) > end)
		return -1;
	if ((*v >> 4) == 4) {
		struct iphdr *ip = (void *)v;

		if ((void *)(ip + 1) > end)
			return -1;
		v4_mapped(src, ip->saddr);
		v4_mapped(dst, ip->daddr);
		if (fib) {
			fib->family = MG_AF_INET;
			fib->tos = ip->tos;
			fib->l4_protocol = ip->protocol;
			fib->ipv4_src = ip->saddr;
			fib->ipv4_dst = ip->daddr;
		}
		return MG_AF_INET;
	}
	if ((*v >> 4) == 6) {
		struct ipv6hdr *ip6 = (void *)v;

		if ((void *)(ip6 + 1) > end)
			return -1;
		__builtin_memcpy(src, &ip6->saddr, 16);
		__builtin_memcpy(dst, &ip6->daddr, 16);
		if (fib) {
			fib->family = MG_AF_INET6;
			fib->l4_protocol = ip6->nexthdr;
			__builtin_memcpy(fib->ipv6_src, &ip6->saddr, 16);
			__builtin_memcpy(fib->ipv6_dst, &ip6->daddr, 16);
		}
		return MG_AF_INET6;
	}
	return -1;
}

SEC("tc")
int mg_tc_wg_egress(struct __sk_buff *skb)
{
	__u8 src[16], dst[16];
	struct mg_route *r;
	struct mg_peer_stats *ps;

	if (addrs(skb, src, dst, NULL) < 0)
		goto ok;
	r = route_lookup(dst);
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

SEC("tc")
int mg_tc_wg_ingress(struct __sk_buff *skb)
{
	__u8 src[16], dst[16];
	struct mg_route *r;
	struct mg_peer_stats *ps = NULL;
	struct bpf_fib_lookup fib = {};
	__u32 len = skb->len;

	if (addrs(skb, src, dst, &fib) < 0)
		goto ok;
	r = route_lookup(src);
	if (r && r->kind == MG_ROUTE_REMOTE) {
		ps = peer_stats(r->peer);
		if (ps) {
			ps->rx_packets++;
			ps->rx_bytes += len;
		}
		stat_add(MG_STAT_TC_WG_RX, len);
	}
	r = route_lookup(dst);
	if (r && r->kind == MG_ROUTE_SELF && lan_ifindex) {
		long rc;

		/* No neighbour yet is fine: redirect_neigh resolves it. */
		fib.ifindex = skb->ifindex;
		rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
		if ((rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) ||
		    fib.ifindex != lan_ifindex)
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
