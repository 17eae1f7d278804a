// SPDX-License-Identifier: GPL-2.0
/* TC ingress on the LAN NIC: packets for another site (dst in a remote range of
 * mg_routes) go straight into the WireGuard device with bpf_redirect, skipping
 * the routing slow path (as cilium steers into its wg device). The rest: TC_ACT_OK.
 * Packets too big for the wg device also take the kernel's path, which answers
 * with ICMP "fragmentation needed" / "packet too big" so path MTU discovery works.
 * The kernel has already moved any VLAN tag into skb metadata here. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/net.h"
#include "lib/maps.h"

volatile const __u32 wg_ifindex = 0;	/* the WireGuard device; 0 = steering off */

SEC("tc")
int mg_tc_lan(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct mg_route *r = NULL;
	__u8 dst16[16];

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + ETH_HLEN;

		if ((void *)(ip + 1) > end)
			goto ok;
		v4_mapped(dst16, ip->daddr);
		r = route_lookup(dst16);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + ETH_HLEN;

		if ((void *)(ip6 + 1) > end)
			goto ok;
		r = route_lookup(ip6->daddr.in6_u.u6_addr8);
	}
	if (r && r->kind == MG_ROUTE_REMOTE && wg_ifindex) {
		__u32 mtu = 0;
		long rc;

		/* The wg device has no link header: compare the IP packet (GSO
		 * packets are checked per segment by the helper). */
		if (bpf_check_mtu(skb, wg_ifindex, &mtu, -ETH_HLEN, 0))
			goto ok;
		rc = bpf_redirect(wg_ifindex, 0);

		if (rc == TC_ACT_REDIRECT) {
			stat_add(MG_STAT_TC_LAN_REDIRECT, skb->len);
			return rc;
		}
		struct mg_peer_stats *ps = peer_stats(r->peer);

		if (ps)
			ps->drops[MG_DROP_REDIRECT]++;
	}
ok:
	stat_add(MG_STAT_TC_LAN_OK, skb->len);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
