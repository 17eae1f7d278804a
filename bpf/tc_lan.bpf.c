// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TC ingress on the gateway's NICs (the LAN NIC and the uplink). It works on every
 * kind of device (a bridge, a VLAN, a container's veth, a layer-3 uplink without
 * Ethernet header), so it does here whatever XDP cannot do on this NIC:
 *
 *   mesh-bound (dst in a remote range)  -> into the WireGuard device (bpf_redirect),
 *                                          counted per peer unless XDP counted it
 *   UDP to our WireGuard port           -> counted per source unless XDP did;
 *                                          probe requests answered (redirect to egress)
 *   probe reply to the probe ports      -> recorded in mg_probes and mg_probe_ring, dropped
 *   bound for the internet exit         -> into the WireGuard device (bpf_redirect),
 *                                          counted per exit peer (mg_exit_stats)
 *   other forwarded traffic             -> fast path: bpf_fib_lookup + bpf_redirect to
 *                                          a NIC of ours (Ethernet or layer 3, from
 *                                          either), while netfilter has no say in
 *                                          forwarding (MG_IF_FWD)
 *   anything else                       -> TC_ACT_UNSPEC (the filters after ours,
 *                                          then the kernel)
 *
 * While netfilter acts on forwarded traffic (no MG_IF_FWD) only the UDP and the
 * exit stay here: the kernel forwards the rest, mesh traffic included, through
 * the user's rules, and tc_wg counts the mesh traffic as it enters the tunnel.
 * Where the kernel forwards nothing that comes in by this NIC (its forwarding
 * sysctls: MG_IF_NOFWD4/6) nothing is steered either: the kernel drops it.
 *
 * Packets the kernel must answer take its path: too big for the next device
 * (ICMP "fragmentation needed" / "packet too big", so path MTU discovery works)
 * and TTL <= 1 (ICMP "time exceeded", so traceroute works). A TTL / hop limit is
 * decremented for every packet forwarded here, since the kernel's forwarding
 * path is skipped. The kernel has already moved any VLAN tag into skb metadata. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/net.h"
#include "lib/exit.h"
#include "lib/fib.h"
#include "lib/source.h"
#include "lib/maps.h"
#include "lib/obj_id.h"
#include "lib/parse.h"
#include "lib/probe.h"
#include "lib/ttl.h"

volatile const __u32 wg_ifindex = 0;	/* the WireGuard device; 0 = steering off */

/* skb->data and data_end, loaded where they are asked for: clang may otherwise
 * merge loads on two paths into one load at a computed context offset, which
 * the verifier refuses. */
static __always_inline void *skb_data(struct __sk_buff *skb)
{
	void *p = (void *)(long)skb->data;

	asm volatile("" : "+r"(p));
	return p;
}

static __always_inline void *skb_end(struct __sk_buff *skb)
{
	void *p = (void *)(long)skb->data_end;

	asm volatile("" : "+r"(p));
	return p;
}

/* The UDP header behind l3 when the datagram is for one of our ports, else NULL.
 * UDP is read only behind an IPv4 header without options. */
static __always_inline struct udphdr *udp_to_us(__u8 family, void *l3, void *end)
{
	struct udphdr *udp = NULL;

	if (family == MG_AF_INET6 || ((struct iphdr *)l3)->ihl == 5)
		udp = ip_udp(family, l3, sizeof(struct iphdr));
	return udp && (void *)(udp + 1) <= end && our_port(udp) ? udp : NULL;
}

/* Headers the program reads: IPv6 + UDP + a probe, from the link header on. */
#define TC_PULL_LEN (sizeof(struct ipv6hdr) + sizeof(struct udphdr) + sizeof(struct mg_probe))

static __always_inline int ok(__u32 len)
{
	stat_add(MG_STAT_TC_LAN_OK, len);
	return TC_ACT_UNSPEC;
}

/* The kernel's checks of the source (lib/source.h), counted where they fail. */
static __always_inline bool src_ok(struct __sk_buff *skb, __u32 in_flags, __u8 family, void *l3,
				   __u32 len)
{
	enum mg_src why = src_check(skb, in_flags, skb->ifindex, family, l3);

	if (why != MG_SRC_OK)
		stat_add(why == MG_SRC_MARTIAN ? MG_STAT_TC_MARTIAN : MG_STAT_TC_RPF, len);
	return why == MG_SRC_OK;
}

/* Into the WireGuard device, when it fits (the wg device has no link header:
 * compare the IP packet; GSO packets are checked per segment by the helper). */
static __always_inline int steer(struct __sk_buff *skb, void *l3, __u8 family, __u32 off)
{
	__u32 mtu = 0;
	long rc;

	if (!wg_ifindex)
		return ok(skb->len);
	if (ttl_expiring(family, l3))
		return ok(skb->len);
	/* The check reads no packet data: l3 is still valid after it. */
	rc = bpf_check_mtu(skb, wg_ifindex, &mtu, -(__s32)off, 0);
	if (rc)
		return ok(skb->len);
	ttl_dec(family, l3);
	stat_add(MG_STAT_TC_LAN_REDIRECT, skb->len);
	return bpf_redirect(wg_ifindex, 0);
}

/* A probe request answered from TC: the reply goes out of the NIC it came in by
 * (redirect to its egress, which every device can do, unlike XDP_TX). */
static __always_inline int probe_answer(struct __sk_buff *skb, void *l3, __u8 family,
					struct udphdr *udp, __u32 off)
{
	void *data = skb_data(skb), *end = skb_end(skb);
	struct mg_probe *p = (void *)(udp + 1);
	__u32 csum_off = off + (family == MG_AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr)) +
			 offsetof(struct udphdr, check);
	__u16 req, full;

	if ((void *)(p + 1) > end)
		return ok(skb->len);
	if (off) {
		if (data + sizeof(struct ethhdr) > end)
			return ok(skb->len);
		swap_macs(data);
	}
	req = udp->check;
	probe_to_reply(l3, family, udp, p);
	/* A request from a local sender (a veth, a tap) is CHECKSUM_PARTIAL, and
	 * the reply stays so (bpf_csum_level cannot change that): whoever sends it
	 * on (the NIC, or skb_checksum_help when the NIC does not offload) sums the
	 * datagram on top of what the field holds, which must then be the
	 * pseudo-header sum, and the swap leaves that as the request had it. A full
	 * checksum there comes out wrong (UdpInCsumErrors at the prober). Only the
	 * kernel knows ip_summed, and bpf_l4_csum_replace changes the field except
	 * on CHECKSUM_PARTIAL: put the request's value back and have it updated
	 * from ~req to ~full, which yields full on any other skb. */
	full = udp->check;
	udp->check = req;
	bpf_l4_csum_replace(skb, csum_off, (__u16)~req, (__u16)~full,
			    BPF_F_MARK_MANGLED_0 | sizeof(__u16));
	/* A CHECKSUM_UNNECESSARY verdict of the NIC no longer holds. */
	bpf_csum_level(skb, BPF_CSUM_LEVEL_RESET);
	stat_add(MG_STAT_TC_PROBE_ANSWERED, skb->len);
	return bpf_redirect(skb->ifindex, 0);
}

/* Forwarded to a layer-3 NIC: the IP packet goes as it is (bpf_redirect strips
 * the Ethernet header in front of it, if any: off), so the MTU is checked for the
 * IP packet, GSO packets per segment by the helper. */
static __always_inline int to_l3(struct __sk_buff *skb, __u8 family, __u32 off, __u32 ifindex)
{
	void *data, *end;
	__u32 mtu = 0;

	if (bpf_check_mtu(skb, ifindex, &mtu, -(__s32)off, 0))
		return ok(skb->len);
	data = skb_data(skb);
	end = skb_end(skb);
	if (!ttl_dec_at(data, end, off, family))
		return ok(skb->len);
	stat_add(MG_STAT_TC_FWD, skb->len);
	return bpf_redirect(ifindex, 0);
}

/* Exit traffic (exit_for returned x) into the WireGuard device, where the active exit
 * peer's AllowedIPs 0.0.0.0/0 and ::/0 pick it (cryptokey routing). Not for the
 * gateway itself (a LAN host talking to one of its addresses: the routing table
 * says local) and not with TTL <= 1 (the kernel answers "time exceeded"). Unlike
 * mesh traffic, a packet larger than the tunnel's MTU is steered all the same:
 * the kernel's route for it is the local internet, and the exit must not leak;
 * WireGuard encrypts it whole and the outer UDP datagram is fragmented. */
static __always_inline int exit_steer(struct __sk_buff *skb, __u8 family, __u32 off,
				      struct mg_exit *x)
{
	struct bpf_fib_lookup fib = { .ifindex = skb->ifindex };
	void *data = skb_data(skb), *end = skb_end(skb), *l3 = data + off;
	struct mg_exit_stats *es;
	__u32 len = skb->len;
	long rc;

	if (!wg_ifindex || !ip_hdr_in(family, l3, end) || ttl_expiring(family, l3))
		return ok(len);
	fib_set_ip(&fib, family, l3, end, 0);
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_NOT_FWDED)
		return ok(len);
	/* Packet pointers do not survive the helper call: found again. x points
	 * into the map: on and peer are read as they are now (the daemon may have
	 * turned the exit off or moved it meanwhile), without matching the prefixes
	 * again. */
	data = skb_data(skb);
	end = skb_end(skb);
	l3 = data + off;
	if (!ip_hdr_in(family, l3, end) || !x->on)
		return ok(len);
	/* IP bytes (no link header), as the replies are counted on the wg device. */
	es = exit_stats(x->peer);
	if (es) {
		es->tx_packets++;
		es->tx_bytes += len - off;
	}
	ttl_dec(family, l3);
	stat_add(MG_STAT_TC_EXIT, len);
	return bpf_redirect(wg_ifindex, 0);
}

/* The fast path for traffic that is neither mesh-bound nor ours: a route lookup
 * and a redirect to one of meshgw's NICs, skipping the stack's forwarding path;
 * whatever the kernel must finish (no neighbour yet, MTU, options, fragments,
 * TTL) is left to it. From a layer-3 NIC (off 0: a tun, PPP or raw-IP uplink)
 * to an Ethernet one, an Ethernet header is put in front first, as the
 * kernel's neighbour output would. */
static __always_inline int tc_forward(struct __sk_buff *skb, __u8 family, __u32 off, __u32 in_flags)
{
	void *data = skb_data(skb), *end = skb_end(skb);
	struct bpf_fib_lookup fib = { .ifindex = skb->ifindex };
	void *l3 = data + off;
	struct ethhdr *eth;
	__u32 len = skb->len, flags = 0;
	long rc;

	if (!ip_hdr_in(family, l3, end) || !ip_plain(family, l3) || ttl_expiring(family, l3))
		return ok(len);
	if (!src_ok(skb, in_flags, family, l3, len))
		return TC_ACT_UNSPEC;
	/* GSO packets: tot_len 0 makes the helper check each segment. */
	fib_set_ip(&fib, family, l3, end, skb->gso_size ? 0 : ip_tot(family, l3));
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH || rc == BPF_FIB_LKUP_RET_SUCCESS) {
		flags = iface_flags(fib.ifindex);
		/* To a layer-3 uplink of ours (tun, PPP, raw IP): it has no
		 * neighbours (the kernel keys a point-to-point device's one
		 * neighbour by 0.0.0.0, so the helper finds none) and needs no
		 * MACs. Kernels before 6.3 report the ingress NIC on NO_NEIGH,
		 * which is never MG_IF_L3 here: the kernel forwards. */
		if ((flags & (MG_IF_FWD | MG_IF_L3)) == (MG_IF_FWD | MG_IF_L3))
			return to_l3(skb, family, off, fib.ifindex);
	}
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return ok(len);
	/* Only to a NIC meshgw knows, that has an Ethernet header, and while
	 * netfilter does not act on forwarded traffic (MG_IF_FWD). */
	if ((flags & (MG_IF_FWD | MG_IF_L3)) != MG_IF_FWD)
		return ok(len);
	/* From a layer-3 NIC: room for the Ethernet header (the helper keeps
	 * the network header where it is and marks the new bytes as the MAC
	 * header; it fails only when it cannot make room: nothing changed). */
	if (!off && bpf_skb_change_head(skb, ETH_HLEN, 0))
		return ok(len);
	data = skb_data(skb);
	end = skb_end(skb);
	if (!ttl_dec_at(data, end, ETH_HLEN, family))
		return ok(len);
	eth = data;
	__builtin_memcpy(eth->h_dest, fib.dmac, 6);
	__builtin_memcpy(eth->h_source, fib.smac, 6);
	eth->h_proto = bpf_htons(family == MG_AF_INET ? ETH_P_IP : ETH_P_IPV6);
	stat_add(MG_STAT_TC_FWD, len);
	return bpf_redirect(fib.ifindex, 0);
}

SEC("tc")
int mg_tc_lan(struct __sk_buff *skb)
{
	__u32 flags = iface_flags(skb->ifindex);
	__u32 off = flags & MG_IF_L3 ? 0 : ETH_HLEN;
	bool count = !(flags & MG_IF_XDP);	/* XDP did not see (count) it */
	__u32 len = skb->len, want = off + TC_PULL_LEN < len ? off + TC_PULL_LEN : len;
	void *data, *end, *l3;
	struct udphdr *udp = NULL;
	struct mg_route *r;
	__u8 family, src16[16];

	/* Frames for another host's MAC (flooded, promiscuous) are the kernel's to
	 * drop; tagged frames belong to the VLAN device, which sees them next. */
	if (skb->pkt_type != PACKET_HOST || skb->vlan_present)
		return ok(len);
	if (skb->protocol == bpf_htons(ETH_P_IP))
		family = MG_AF_INET;
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		family = MG_AF_INET6;
	else
		return ok(len);
	data = skb_data(skb);
	end = skb_end(skb);
	/* Headers not all in the linear part: pull them (a helper call per packet
	 * otherwise, measurable on a short packet, which is whole already). */
	if (data + want > end)
		bpf_skb_pull_data(skb, want);
	data = skb_data(skb);
	end = skb_end(skb);
	l3 = data + off;

	if (!ip_hdr_ok(family, l3, end))
		return ok(len);
	/* Netfilter or IPsec acts on forwarded traffic, or another tool's TC
	 * filters wait behind us on this NIC (no MG_IF_FWD): the kernel forwards
	 * everything, mesh traffic included, through the user's rules, and tc_wg
	 * counts what enters the tunnel. Left here: the
	 * UDP of WireGuard and the probes, and steering to the internet exit. */
	if (!(flags & MG_IF_FWD)) {
		udp = udp_to_us(family, l3, end);
		if (!udp && !exit_active())
			return ok(len);
	}
	r = route_lookup_ip(family, l3, false);
	if (r && r->kind == MG_ROUTE_REMOTE) {
		/* (Forwarding off on this NIC: the kernel drops it, uncounted.) */
		if (!(flags & MG_IF_FWD) || fwd_off(flags, family))
			return ok(len);
		if (count) {
			struct mg_peer_stats *ps = peer_stats(r->peer);

			if (ps) {
				ps->lan_packets++;
				ps->lan_bytes += len;
			}
			stat_add(MG_STAT_TC_MESH, len);
		}
		/* (Counted: a packet the kernel then forwards is counted nowhere else.) */
		if (!src_ok(skb, flags, family, l3, len))
			return TC_ACT_UNSPEC;
		return steer(skb, l3, family, off);
	}

	if (flags & MG_IF_FWD)
		udp = udp_to_us(family, l3, end);	/* (not read before the steering) */
	if (udp) {
		ip_src16(family, l3, src16);
		switch (udp_classify(skb, skb->ifindex, udp, end, family, l3, src16)) {
		case MG_UDP_WG:
			if (count) {
				ep_count(src16, family, bpf_ntohs(udp->source), len);
				stat_add(MG_STAT_TC_WG, len);
			}
			return ok(len);
		case MG_UDP_PROBE_BAD:
			stat_add(MG_STAT_TC_PROBE_BAD, len);
			return TC_ACT_SHOT;
		case MG_UDP_PROBE_REQ:
			/* Only here when XDP could not answer it: never counted twice. */
			return probe_answer(skb, l3, family, udp, off);
		case MG_UDP_PROBE_REPLY:
			if ((void *)(udp + 1) + sizeof(struct mg_probe) > end)
				return ok(len);
			if (!probe_record(src16, family, bpf_ntohs(udp->source), (void *)(udp + 1)))
				stat_add(MG_STAT_TC_PROBE_UNQUEUED, len);
			stat_add(MG_STAT_TC_PROBE_REPLY, len);
			return TC_ACT_SHOT;
		}
	}
	/* udp_classify may have called a helper: the header is read again there. */
	if (!r) {
		struct mg_exit *x;

		data = skb_data(skb);
		end = skb_end(skb);
		l3 = data + off;
		if (ip_hdr_in(family, l3, end) && !fwd_off(flags, family) && (x = exit_for(family, l3)))
			return exit_steer(skb, family, off, x);
	}
	if (!(flags & MG_IF_FWD))
		return ok(len);		/* (an exit not taken) */
	return tc_forward(skb, family, off, flags);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
