// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* XDP on the gateway's LAN NIC (and uplink NIC of a two-armed gateway).
 *
 *   mesh-bound (dst in a remote range)  -> count per peer, XDP_PASS (tc_lan steers it)
 *   UDP to our WireGuard port           -> count per source address, XDP_PASS;
 *                                          meshgw probe requests answered (XDP_TX) or dropped
 *   UDP probe reply to the probe port   -> recorded in mg_probes and queued in mg_probe_ring, XDP_DROP
 *   bound for the internet exit         -> XDP_PASS (tc_lan steers and counts it)
 *   anything else forwarded             -> bpf_fib_lookup fast path (XDP_TX / XDP_REDIRECT),
 *                                          whatever it cannot finish goes to TC / the kernel
 * Only NICs whose mg_ifaces entry has MG_IF_XMIT are transmitted into (XDP_REDIRECT;
 * XDP_TX needs MG_IF_TX too): the loader sets it where the kernel says the device
 * can take XDP frames, and xdp_fallback clears it when the kernel reports a failure.
 * Loaded only where the driver runs XDP natively; see user/dataplane/dp_iface.c.
 * Verdict totals in mg_stats. */
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

/* The interfaces this program is attached to and their MAC addresses. */
volatile const __u32 own_ifindex[MG_XDP_IFACES] = {};
volatile const __u8 own_mac[MG_XDP_IFACES][6] = {};

/* Is the frame addressed to the gateway's MAC? A NIC also sees unicast frames for
 * other hosts (a switch flooding an unknown destination, promiscuous mode, a
 * veth); the kernel drops those (PACKET_OTHERHOST) and so must we: forwarding
 * or counting them would duplicate another host's traffic. An interface the
 * loader did not name (or whose MAC it could not read) matches nothing, which
 * leaves all its traffic to the kernel. */
static __always_inline bool for_us(const struct ethhdr *eth, __u32 ifindex)
{
	__u32 d4 = *(__u32 *)eth->h_dest;
	__u16 d2 = *(__u16 *)(eth->h_dest + 4);

	for (int i = 0; i < MG_XDP_IFACES; i++)
		if (own_ifindex[i] == ifindex && own_ifindex[i] &&
		    *(volatile __u32 *)own_mac[i] == d4 && *(volatile __u16 *)(own_mac[i] + 4) == d2)
			return true;
	return false;
}

/* The frame's whole length. A multi-buffer frame (jumbo, on a NIC whose MTU is
 * larger than a page; the program is loaded with xdp.frags so such NICs accept
 * it) has only its first part between data and data_end: the rest is in
 * fragments, which only this helper counts. A helper call, so the hot paths
 * use data_end - data when the IP header says the packet fits in it. */
static __always_inline __u64 frame_len(struct xdp_md *ctx)
{
	return bpf_xdp_get_buff_len(ctx);
}

static __always_inline int verdict(int act, __u32 stat, __u64 len)
{
	stat_add(stat, len);
	return act;
}

/* UDP to one of our ports (our_port said so). Returns -1 when the caller
 * should go on (not for us). A probe request is answered with XDP_TX only where
 * the kernel can transmit XDP frames on this NIC; elsewhere it goes up
 * untouched and tc_lan answers it (the TC path works on every device). */
static __always_inline int udp_local(struct xdp_md *ctx, struct ethhdr *eth, struct udphdr *udp,
				     const __u8 *src16, __u8 family, void *l3, __u64 len)
{
	void *end = (void *)(long)ctx->data_end;

	switch (udp_classify(ctx, ctx->ingress_ifindex, udp, end, family, l3, src16)) {
	case MG_UDP_WG:
		ep_count(src16, family, bpf_ntohs(udp->source), len);
		return verdict(XDP_PASS, MG_STAT_XDP_WG, len);
	case MG_UDP_PROBE_BAD:
		return verdict(XDP_DROP, MG_STAT_XDP_PROBE_BAD, len);
	case MG_UDP_PROBE_REQ:
		if ((iface_flags(ctx->ingress_ifindex) & (MG_IF_XMIT | MG_IF_TX)) !=
		    (MG_IF_XMIT | MG_IF_TX))
			return verdict(XDP_PASS, MG_STAT_XDP_NO_XMIT, len);
		if ((void *)(udp + 1) + sizeof(struct mg_probe) > end)
			return -1;	/* checked by udp_classify; again for the verifier */
		swap_macs(eth);
		probe_to_reply(l3, family, udp, (void *)(udp + 1));
		return verdict(XDP_TX, MG_STAT_XDP_PROBE_ANSWERED, len);
	case MG_UDP_PROBE_REPLY:
		if ((void *)(udp + 1) + sizeof(struct mg_probe) > end)
			return -1;
		if (!probe_record(src16, family, bpf_ntohs(udp->source), (void *)(udp + 1)))
			stat_add(MG_STAT_XDP_PROBE_UNQUEUED, len);
		return verdict(XDP_DROP, MG_STAT_XDP_PROBE_REPLY, len);
	}
	return -1;
}

static __always_inline int mesh_bound(const struct mg_route *r, __u64 len)
{
	struct mg_peer_stats *ps = peer_stats(r->peer);

	if (ps) {
		ps->lan_packets++;
		ps->lan_bytes += len;
	}
	return verdict(XDP_PASS, MG_STAT_XDP_MESH, len);
}

/* The fast path's second half: route lookup, one TTL / hop limit less, new
 * MACs, out. What the kernel must finish goes to it. Only untagged frames get
 * here: the IP header (l3, tot bytes long) is at ETH_HLEN. The question is
 * built here, not in the caller, so that the paths that never ask it do not
 * pay for zeroing it. */
static __always_inline int fib_forward(struct xdp_md *ctx, void *l3, __u8 family, __u32 tot,
				       __u64 len)
{
	struct bpf_fib_lookup fib = { .ifindex = ctx->ingress_ifindex };
	__u32 in_flags = iface_flags(ctx->ingress_ifindex), flags, need;
	void *data, *end;
	struct ethhdr *eth;
	int rc;

	/* Netfilter or IPsec acts on forwarded traffic, or TC filters of another
	 * tool wait on this NIC's ingress (no MG_IF_FWD): the kernel forwards, and a
	 * route lookup here would be paid twice. */
	if (!(in_flags & MG_IF_FWD))
		return verdict(XDP_PASS, MG_STAT_XDP_NO_XMIT, len);
	switch (src_check(ctx, in_flags, ctx->ingress_ifindex, family, l3)) {
	case MG_SRC_MARTIAN:
		return verdict(XDP_PASS, MG_STAT_XDP_MARTIAN, len);
	case MG_SRC_RPF:
		return verdict(XDP_PASS, MG_STAT_XDP_RPF, len);
	case MG_SRC_OK:
		break;
	}
	fib_set_ip(&fib, family, l3, (void *)(long)ctx->data_end, tot);	/* tot: the helper checks the egress MTU */
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);

	/* NOT_FWDED: for the gateway itself (local, broadcast). The rest (no
	 * neighbour, MTU, unreachable, forwarding off) the kernel finishes. */
	if (rc == BPF_FIB_LKUP_RET_NOT_FWDED)
		return verdict(XDP_PASS, MG_STAT_XDP_PASS, len);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return verdict(XDP_PASS, MG_STAT_XDP_SLOW, len);

	/* A device that cannot transmit XDP frames would drop it: TC forwards it.
	 * Without MG_IF_FWD netfilter must see it: the kernel forwards it. Back out
	 * of the ingress (XDP_TX) its flags are at hand already. */
	if (fib.ifindex == ctx->ingress_ifindex) {
		flags = in_flags;
		need = MG_IF_XMIT | MG_IF_FWD | MG_IF_TX;
	} else {
		flags = iface_flags(fib.ifindex);
		need = MG_IF_XMIT | MG_IF_FWD;
	}
	if ((flags & need) != need)
		return verdict(XDP_PASS, MG_STAT_XDP_NO_XMIT, len);
	/* Packet pointers are not trusted across the helper call: re-derive. */
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (!ttl_dec_at(data, end, ETH_HLEN, family))
		return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, len);
	eth = data;
	__builtin_memcpy(eth->h_dest, fib.dmac, 6);
	__builtin_memcpy(eth->h_source, fib.smac, 6);
	if (fib.ifindex == ctx->ingress_ifindex)
		return verdict(XDP_TX, MG_STAT_XDP_FWD_TX, len);
	stat_add(MG_STAT_XDP_FWD_REDIRECT, len);
	return bpf_redirect(fib.ifindex, 0);
}

/* One IP packet of family (a constant: inlining makes one body per family) at
 * off, behind an Ethernet header and maybe a VLAN tag: the verdict flow. */
static __always_inline int handle_ip(struct xdp_md *ctx, __u32 off, bool vlan, __u8 family)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	void *l3 = data + off;
	__u64 len = end - data;
	struct udphdr *udp;
	struct mg_route *r;
	bool multi = false;
	__u32 hlen, tot;

	if (!ip_hdr_ok(family, l3, end) || !ip_lens(family, l3, &hlen, &tot))
		return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, frame_len(ctx));
	if (l3 + tot > end) {
		/* Longer than the first buffer: multi-buffer, or cut short. */
		len = frame_len(ctx);
		if (off + tot > len)
			return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, len);
		multi = true;
	}
	r = route_lookup_ip(family, l3, false);
	if (r && r->kind == MG_ROUTE_REMOTE) {
		__u32 in_flags = iface_flags(ctx->ingress_ifindex);

		/* Forwarding off on this NIC: the kernel drops it, uncounted. */
		if (fwd_off(in_flags, family))
			return verdict(XDP_PASS, MG_STAT_XDP_PASS, len);
		/* Netfilter or IPsec acts, or another tool's TC filters wait on this
		 * NIC (no MG_IF_FWD), or no TC program follows (MG_IF_KERNEL): the
		 * kernel forwards it, through the user's rules, and tc_wg counts what
		 * enters the tunnel (a packet a rule drops is not sent). */
		if ((in_flags & (MG_IF_FWD | MG_IF_KERNEL)) != MG_IF_FWD)
			return verdict(XDP_PASS, MG_STAT_XDP_NO_XMIT, len);
		return mesh_bound(r, len);
	}

	udp = ip_udp(family, l3, hlen);
	if (udp && (void *)(udp + 1) <= end && our_port(udp) &&
	    bpf_ntohs(udp->len) >= sizeof(*udp) && bpf_ntohs(udp->len) <= tot - hlen) {
		__u8 src16[16];
		int rc;

		ip_src16(family, l3, src16);
		rc = udp_local(ctx, data, udp, src16, family, l3, len);
		if (rc >= 0)
			return rc;
	}

	if (family == MG_AF_INET6 && ip6_multicast(&((struct ipv6hdr *)l3)->daddr))
		return verdict(XDP_PASS, MG_STAT_XDP_PASS, len);	/* not routed */
	/* Exit traffic must reach the WireGuard device, which XDP cannot redirect
	 * into: TC does it (and counts it there, once). Our own ranges (SELF) are
	 * never exit destinations. */
	if (!r && exit_for(family, l3))
		return verdict(XDP_PASS, MG_STAT_XDP_EXIT, len);
	/* The fast path handles the plain case only; VLAN sub-interfaces route via
	 * another ifindex that XDP cannot redirect to, and a multi-buffer frame
	 * would be dropped by a target device that cannot send one. */
	if (vlan || multi || !ip_plain(family, l3) || ttl_expiring(family, l3))
		return verdict(XDP_PASS, MG_STAT_XDP_SLOW, len);
	return fib_forward(ctx, l3, family, tot, len);
}

/* xdp.frags: NICs with an MTU above a page (jumbo frames) accept only programs
 * that handle multi-buffer frames. */
SEC("xdp.frags")
int mg_xdp_lan(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	bool vlan = false;
	__be16 proto;

	if ((void *)(eth + 1) > end)
		return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, frame_len(ctx));
	if (!for_us(eth, ctx->ingress_ifindex))	/* also multicast and broadcast */
		return verdict(XDP_PASS, MG_STAT_XDP_PASS, frame_len(ctx));
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct mg_vlan *vh = data + off;

		if ((void *)(vh + 1) > end)
			return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, frame_len(ctx));
		proto = vh->proto;
		off += sizeof(*vh);
		vlan = true;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return handle_ip(ctx, off, vlan, MG_AF_INET);
	if (proto == bpf_htons(ETH_P_IPV6))
		return handle_ip(ctx, off, vlan, MG_AF_INET6);
	return verdict(XDP_PASS, MG_STAT_XDP_PASS, frame_len(ctx));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";	/* bpf_fib_lookup is GPL-only */
