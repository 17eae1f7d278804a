// SPDX-License-Identifier: GPL-2.0
/* TC ingress on the LAN NIC: packets for another site (dst in a remote range of
 * mg_routes4/6) go straight into the WireGuard device with bpf_redirect, skipping
 * the routing slow path (as cilium steers into its wg device); the TTL / hop
 * limit is decremented here since the kernel's forwarding path is skipped. The
 * rest: TC_ACT_OK. Packets the kernel must answer take its path: too big for the
 * wg device (ICMP "fragmentation needed" / "packet too big", so path MTU
 * discovery works) and TTL <= 1 (ICMP "time exceeded", so traceroute works).
 * The kernel has already moved any VLAN tag into skb metadata here. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/net.h"
#include "lib/fwd.h"
#include "lib/maps.h"

volatile const __u32 wg_ifindex = 0;	/* the WireGuard device; 0 = steering off */

SEC("tc")
int mg_tc_lan(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + ETH_HLEN;
	struct ipv6hdr *ip6 = data + ETH_HLEN;
	struct mg_route *r;
	__u32 mtu = 0;

	/* Frames for another host's MAC (flooded, promiscuous) are the kernel's to
	 * drop, not ours to tunnel. */
	if (!wg_ifindex || skb->pkt_type != PACKET_HOST)
		goto ok;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if ((void *)(ip + 1) > end || ip->ttl <= 1)
			goto ok;
		r = route_lookup4(ip->daddr);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if ((void *)(ip6 + 1) > end || ip6->hop_limit <= 1)
			goto ok;
		r = route_lookup6(ip6->daddr.in6_u.u6_addr8);
	} else {
		goto ok;
	}
	if (!r || r->kind != MG_ROUTE_REMOTE)
		goto ok;
	/* The wg device has no link header: compare the IP packet (GSO packets are
	 * checked per segment by the helper). */
	if (bpf_check_mtu(skb, wg_ifindex, &mtu, -ETH_HLEN, 0))
		goto ok;
	/* Neither helper above touches the packet: ip/ip6 are still valid. The
	 * redirect itself happens after return and cannot fail here. */
	if (skb->protocol == bpf_htons(ETH_P_IP))
		ip4_ttl_dec(ip);
	else
		ip6_hop_dec(ip6);
	stat_add(MG_STAT_TC_LAN_REDIRECT, skb->len);
	return bpf_redirect(wg_ifindex, 0);
ok:
	stat_add(MG_STAT_TC_LAN_OK, skb->len);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
