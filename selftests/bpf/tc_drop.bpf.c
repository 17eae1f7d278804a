// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Another tool's TC filter, for the tests: a user's ACL on a NIC's ingress that
 * drops IPv4 ICMP echo requests and hands everything else on; section "tc/l3"
 * for a device without Ethernet header (the WireGuard device), whose packets
 * start at the IP header. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/net.h"

SEC("tc")
int tc_drop_pings(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__u8 *icmp = (void *)(ip + 1);

	if ((void *)(icmp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != 1)
		return TC_ACT_UNSPEC;
	return *icmp == 8 ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

SEC("tc/l3")
int tc_drop_pings_l3(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;
	__u8 *icmp = (void *)(ip + 1);

	if ((void *)(icmp + 1) > end || ip->version != 4 || ip->ihl != 5 || ip->protocol != 1)
		return TC_ACT_UNSPEC;
	return *icmp == 8 ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
