// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TC on the WireGuard device. The device is layer 3: packets start at the IP
 * header (l3_off = 0; the unit tests, whose test runs always carry an Ethernet
 * header, set 14). Family comes from the version nibble, not skb->protocol.
 *   egress:  the gateway's own packets from a non-mesh address out of that
 *            address's device (own_reply_out); count cleartext tx per peer
 *            (LPM on destination; no mesh route: internet exit traffic,
 *            counted for the active exit peer); what the
 *            kernel forwarded in from a NIC where no program of meshgw counted
 *            it (a LAN NIC without tc_lan, MG_IF_KERNEL; any NIC while netfilter
 *            acts), counted as that peer's LAN traffic too, as tc_lan would have
 *   ingress: count decrypted rx per peer (LPM on source; a source no mesh route
 *            has, to one of our exit sources, is a reply through the active exit:
 *            counted in mg_exit_stats) and deliver packets for
 *            this site's own ranges to the LAN with bpf_redirect_neigh, when the
 *            routing table agrees they leave by the LAN NIC (not for the gateway
 *            itself, not elsewhere), one TTL / hop limit less, and netfilter has
 *            no say in forwarding (MG_IF_FWD on the LAN NIC: else the kernel
 *            forwards them, through the user's rules), nor another tool's
 *            filters after this program (MG_ATTACH_FILTERS_AFTER). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/net.h"
#include "lib/exit.h"
#include "lib/fib.h"
#include "lib/maps.h"
#include "lib/obj_id.h"
#include "lib/parse.h"
#include "lib/ttl.h"

volatile const __u32 lan_ifindex = 0;	/* LAN NIC for redirect_neigh; 0 = off */
volatile const __u32 l3_off = 0;	/* bytes before the IP header */
volatile const __u32 lan_ether = 1;	/* the LAN NIC takes Ethernet frames (0: layer 3) */

/* The IP header at l3_off, pulled into the linear area only when it is not
 * there already (a helper call per packet otherwise, and on a cloned skb a
 * copy of its head); NULL when not IPv4 or IPv6 (family from the version
 * nibble). */
static __always_inline void *ip_header(struct __sk_buff *skb, __u8 *family)
{
	__u32 off = l3_off & 0xff;
	void *l3;

	if ((void *)(long)skb->data + off + sizeof(struct ipv6hdr) > (void *)(long)skb->data_end &&
	    bpf_skb_pull_data(skb, off + sizeof(struct ipv6hdr)) &&
	    bpf_skb_pull_data(skb, off + sizeof(struct iphdr)))
		return NULL;
	l3 = (void *)(long)skb->data + off;
	*family = ip_family_at(l3, (void *)(long)skb->data_end);
	return *family ? l3 : NULL;
}

/* A packet the kernel forwarded here, counted as the peer's LAN traffic when no
 * program of meshgw counted it where it came in: XDP and tc_lan count where the
 * NIC forwards (MG_IF_FWD) and tc_lan runs (not MG_IF_KERNEL, the LAN NIC left
 * to the kernel); a NIC of no program, or one whose netfilter acts (XDP too
 * hands its mesh traffic on uncounted there: the user's rules may drop it), is
 * counted here, as tc_lan would have: one packet, its bytes with the link header.
 * skb_iif says where it came in (0 for the gateway's own packets), except in the
 * fragments the kernel cut an IPv4 packet into for the tunnel's MTU: new skbs
 * without skb_iif, so a fragment without one and without a socket (the gateway's
 * own fragments have theirs) is taken as forwarded from the LAN. A fragmented
 * packet counts once (its first fragment) with all its bytes (the others add
 * their payload). */
static __always_inline void lan_count(struct __sk_buff *skb, struct mg_peer_stats *ps,
				      __u8 family, void *l3)
{
	__u32 len = skb->len - (l3_off & 0xff);	/* the IP packet */
	__u32 in = skb->ingress_ifindex, flags;
	bool frag = false, first = true;
	const struct iphdr *ip = l3;

	if (family == MG_AF_INET) {
		frag = ip4_frag(ip);
		first = !(ip->frag_off & bpf_htons(IP_OFFSET));
	}
	if (!in) {
		if (!frag || skb->sk)
			return;		/* the gateway's own */
		in = lan_ifindex;
	} else if (in == skb->ifindex) {
		return;			/* from another peer (a client): not a LAN's */
	}
	flags = iface_flags(in);
	if ((flags & (MG_IF_FWD | MG_IF_KERNEL)) == MG_IF_FWD)
		return;		/* counted where it came in */
	if (first) {
		len += flags & MG_IF_L3 ? 0 : ETH_HLEN;
		ps->lan_packets++;
	} else {
		len -= ip->ihl * 4;
	}
	ps->lan_bytes += len;
	stat_add(MG_STAT_TC_MESH, len);
}

/* The gateway's own packet from one of its non-mesh addresses (mg_own_addr): the
 * far peer would drop it (no allowed IP holds its source), so it leaves as it
 * would without meshgw, by the default route of the device holding the address.
 * TC_ACT_REDIRECT, or -1 for the tunnel (not such a packet). */
static __always_inline long own_reply_out(struct __sk_buff *skb, __u8 family, void *l3)
{
	struct bpf_redir_neigh nh = {};
	struct mg_own_key k = { .family = family };
	struct mg_own_route *o;
	__u32 len = skb->len;

	if (family == MG_AF_INET)
		__builtin_memcpy(k.addr, &((struct iphdr *)l3)->saddr, 4);
	else
		__builtin_memcpy(k.addr, &((struct ipv6hdr *)l3)->saddr, 16);
	o = bpf_map_lookup_elem(&mg_own_addr, &k);
	if (!o)
		return -1;
	if (!o->nh_family) {	/* a layer-3 device: the packet as it is */
		stat_add(MG_STAT_TC_WG_OWN, len);
		return bpf_redirect(o->ifindex, 0);
	}
	/* The gateway is given, not looked up: with the packet's source set, the
	 * kernel's IPv6 lookup would prefer meshgw's route over the device's. */
	nh.nh_family = o->nh_family;
	__builtin_memcpy(nh.ipv6_nh, o->nh, 16);
	/* redirect_neigh wants an Ethernet header to replace (see the ingress);
	 * without room for one the packet takes the tunnel, counted there. */
	if (!l3_off && bpf_skb_change_head(skb, ETH_HLEN, 0))
		return -1;
	stat_add(MG_STAT_TC_WG_OWN, len);
	return bpf_redirect_neigh(o->ifindex, &nh, sizeof(nh), 0);
}

SEC("tc")
int mg_tc_wg_egress(struct __sk_buff *skb)
{
	struct mg_peer_stats *ps;
	struct mg_route *r;
	__u8 family;
	void *l3 = ip_header(skb, &family);

	if (!l3)
		goto ok;
	/* Only the gateway's own packets have no input device: forwarded ones pay
	 * for nothing here. */
	if (!skb->ingress_ifindex) {
		long rc = own_reply_out(skb, family, l3);

		if (rc >= 0)
			return rc;
		l3 = ip_header(skb, &family);	/* (pointers do not survive a helper) */
		if (!l3)
			goto ok;
	}
	r = route_lookup_ip(family, l3, false);
	if (!r) {
		/* Without a mesh route: what tc_lan steered to the internet exit
		 * (the kernel routes only the mesh into the device; an address of
		 * the Network that no peer has also lands here). WireGuard sends
		 * it to the exit peer, whose counters the failover daemon watches. */
		struct mg_exit *x = exit_active();

		if (!x)
			goto ok;
		ps = peer_stats(x->peer);
	} else if (r->kind != MG_ROUTE_REMOTE) {
		goto ok;
	} else {
		ps = peer_stats(r->peer);
		if (ps)
			lan_count(skb, ps, family, l3);
	}
	if (ps) {
		ps->tx_packets++;
		ps->tx_bytes += skb->len;
	}
	stat_add(MG_STAT_TC_WG_TX, skb->len);
	return TC_ACT_UNSPEC;
ok:
	stat_add(MG_STAT_TC_WG_OK, skb->len);
	return TC_ACT_UNSPEC;
}

/* Does the packet leave by the LAN NIC? fib holds the answer: the next hop, and
 * its MAC when the neighbour is known (BPF_FIB_LKUP_RET_SUCCESS). Only the route
 * is asked: tot_len 0, no MTU check. */
static __always_inline long routed_to_lan(struct __sk_buff *skb, __u8 family, void *l3,
					  struct bpf_fib_lookup *fib)
{
	long rc;

	fib->ifindex = skb->ifindex;
	fib_set_ip(fib, family, l3, (void *)(long)skb->data_end, 0);
	rc = bpf_fib_lookup(skb, fib, sizeof(*fib), 0);
	if ((rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH) &&
	    fib->ifindex == lan_ifindex)
		return rc;
	return -1;
}

/* Out of the LAN NIC, as the kernel would forward it: the neighbour known, its
 * MAC goes in at once and the packet straight to the NIC; else redirect_neigh
 * resolves the next hop the lookup gave (no second route lookup either way).
 * A layer-3 LAN NIC takes the packet without an Ethernet header. */
static __always_inline long lan_out(struct __sk_buff *skb, __u8 family, long rc,
				    const struct bpf_fib_lookup *fib)
{
	struct bpf_redir_neigh nh = { .nh_family = fib->family };
	struct ethhdr *eth;

	if (!lan_ether)
		return bpf_redirect(lan_ifindex, 0);
	/* An empty Ethernet header in front of the layer-3 packet, filled here or
	 * replaced by redirect_neigh (which drops skbs without one). */
	if (!l3_off && bpf_skb_change_head(skb, ETH_HLEN, 0))
		return -1;
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		eth = (void *)(long)skb->data;
		if ((void *)(eth + 1) > (void *)(long)skb->data_end)
			return -1;
		__builtin_memcpy(eth->h_dest, fib->dmac, 6);
		__builtin_memcpy(eth->h_source, fib->smac, 6);
		eth->h_proto = bpf_htons(family == MG_AF_INET ? ETH_P_IP : ETH_P_IPV6);
		return bpf_redirect(lan_ifindex, 0);
	}
	__builtin_memcpy(nh.ipv6_nh, fib->ipv6_dst, 16);	/* ipv4_nh shares its start */
	return bpf_redirect_neigh(lan_ifindex, &nh, sizeof(nh), 0);
}

/* Filters of another tool wait behind this program on the device's ingress
 * (MG_ATTACH_FILTERS_AFTER): a redirect to the LAN would pass them by, so the
 * kernel forwards, through them. */
static __always_inline bool filters_after(void)
{
	__u32 slot = MG_SLOT_TC_WG_INGRESS;
	struct mg_attach *a = bpf_map_lookup_elem(&mg_attach, &slot);

	return a && (a->flags & MG_ATTACH_FILTERS_AFTER);
}

SEC("tc")
int mg_tc_wg_ingress(struct __sk_buff *skb)
{
	struct mg_peer_stats *ps = NULL;
	struct mg_route *r;
	__u32 len = skb->len;
	__u8 family;
	void *l3 = ip_header(skb, &family);

	if (!l3)
		goto ok;
	r = route_lookup_ip(family, l3, true);
	if (r && r->kind == MG_ROUTE_REMOTE) {
		ps = peer_stats(r->peer);
		if (ps) {
			ps->rx_packets++;
			ps->rx_bytes += len;
		}
		stat_add(MG_STAT_TC_WG_RX, len);
	} else if (!r) {
		/* The reply's source is the exit's destination, its destination
		 * the exit's source: the same lists, crossed. */
		struct mg_exit *x = exit_active();

		if (x && exit_reply(family, l3)) {
			struct mg_exit_stats *es = exit_stats(x->peer);

			if (es) {
				es->rx_packets++;
				es->rx_bytes += len - (l3_off & 0xff);	/* IP bytes */
			}
			/* Received from the exit peer: its rx too (the daemon's
			 * passive signal sees exit traffic answered). */
			ps = peer_stats(x->peer);
			if (ps) {
				ps->rx_packets++;
				ps->rx_bytes += len;
			}
			stat_add(MG_STAT_TC_WG_RX, len);
		}
	}
	r = route_lookup_ip(family, l3, false);
	if (r && r->kind == MG_ROUTE_SELF && lan_ifindex && (iface_flags(lan_ifindex) & MG_IF_FWD) &&
	    !filters_after()) {
		struct bpf_fib_lookup fib = {};
		long rc;

		/* TTL <= 1: the kernel sends ICMP "time exceeded". Packet pointers
		 * do not survive the fib lookup: the header is found again. */
		if (ttl_expiring(family, l3))
			goto out;
		rc = routed_to_lan(skb, family, l3, &fib);
		if (rc < 0 || !ttl_dec_at((void *)(long)skb->data, (void *)(long)skb->data_end,
					  l3_off & 0xff, family))
			goto out;
		rc = lan_out(skb, family, rc, &fib);
		if (rc == TC_ACT_REDIRECT) {
			stat_add(MG_STAT_TC_WG_RX_REDIRECT, len);
			return rc;
		}
		if (ps)
			ps->drops[MG_DROP_REDIRECT]++;
	}
out:
	if (ps)
		return TC_ACT_UNSPEC;
ok:
	stat_add(MG_STAT_TC_WG_OK, len);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
