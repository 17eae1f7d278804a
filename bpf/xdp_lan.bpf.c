// SPDX-License-Identifier: GPL-2.0
/* XDP on the gateway's LAN NIC (and uplink NIC of a two-armed gateway).
 *
 *   mesh-bound (dst in a remote range)  -> count per peer, XDP_PASS (tc_lan steers it)
 *   UDP to our WireGuard port           -> count per source address, XDP_PASS;
 *                                          meshgw probe requests answered (XDP_TX) or dropped
 *   UDP probe reply to the probe port   -> recorded in mg_probes, XDP_DROP
 *   anything else forwarded             -> bpf_fib_lookup fast path (XDP_TX / XDP_REDIRECT),
 *                                          whatever it cannot finish goes to the kernel
 * Verdict totals in mg_stats. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/net.h"
#include "lib/csum.h"
#include "lib/fwd.h"
#include "lib/maps.h"

/* Runtime settings, written by the loader before load (host byte order; 0 = off). */
volatile const __u16 wg_port = 0;	/* our WireGuard listen port */
volatile const __u16 probe_port = 0;	/* the first of the daemon's MG_PROBE_PORTS ports */
/* The interfaces this program is attached to and their MAC addresses. */
volatile const __u32 own_ifindex[MG_XDP_IFACES] = {};
volatile const __u8 own_mac[MG_XDP_IFACES][6] = {};

/* 6.1's verifier forgets that a byte swap yields 16 bits and then refuses packet
 * pointer arithmetic with the result; clang drops a plain "& 0xffff" as
 * redundant, so hide the value from it first. */
static __always_inline __u32 bounded16(__u32 v)
{
	asm volatile("" : "+r"(v));
	return v & 0xffff;
}

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

static __always_inline bool tag_ok(const struct mg_probe *p)
{
	__u32 zero = 0;
	struct mg_tag *t = bpf_map_lookup_elem(&mg_mesh_tag, &zero);
	__u64 a[2], b[2];

	if (!t)
		return false;
	__builtin_memcpy(a, p->tag, 16);
	__builtin_memcpy(b, t->tag, 16);
	/* An all-zero tag means "not configured": answer nobody. */
	if (!(b[0] | b[1]))
		return false;
	return a[0] == b[0] && a[1] == b[1];
}

static __always_inline void ep_count(const __u8 *src16, __u8 family, __u16 sport, __u64 len)
{
	struct mg_ep_key k = { .family = family };
	struct mg_ep_stats *s;
	__u64 now = bpf_ktime_get_ns();

	__builtin_memcpy(k.addr, src16, 16);
	s = bpf_map_lookup_elem(&mg_ep_stats, &k);
	if (!s) {
		struct mg_ep_stats init = {
			.packets = 1, .bytes = len, .last_seen_ns = now, .last_sport = sport,
		};

		if (!bpf_map_update_elem(&mg_ep_stats, &k, &init, BPF_NOEXIST))
			return;
		s = bpf_map_lookup_elem(&mg_ep_stats, &k);	/* lost a race: add to it */
		if (!s)
			return;
	}
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, len);
	s->last_seen_ns = now;
	s->last_sport = sport;
}

static __always_inline void probe_record(const __u8 *src16, __u8 family, __u16 sport,
					 const struct mg_probe *p)
{
	struct mg_probe_key k = { .family = family, .port = sport };
	struct mg_probe_stats *s;
	__u64 now = bpf_ktime_get_ns();
	__u64 tx = p->tx_ns;
	__u64 rtt = tx && tx <= now ? now - tx : 0;
	__u32 seq = p->seq;

	__builtin_memcpy(k.addr, src16, 16);
	s = bpf_map_lookup_elem(&mg_probes, &k);
	if (!s) {
		struct mg_probe_stats init = {
			.replies = 1, .last_seq = seq, .last_rx_ns = now, .last_rtt_ns = rtt,
		};

		bpf_map_update_elem(&mg_probes, &k, &init, BPF_ANY);
		return;
	}
	__sync_fetch_and_add(&s->replies, 1);
	s->last_seq = seq;
	s->last_rx_ns = now;
	s->last_rtt_ns = rtt;
}

static __always_inline bool known_endpoint(const __u8 *src16, __u8 family)
{
	struct mg_ep_key k = { .family = family };

	__builtin_memcpy(k.addr, src16, 16);
	return bpf_map_lookup_elem(&mg_known_eps, &k) != NULL;
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[6];

	__builtin_memcpy(tmp, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, tmp, 6);
}

/* Turns a validated request into its reply in place: ports swapped and the magic
 * changed (the caller has swapped the addresses). The UDP checksum is computed
 * whole, not updated: a request from a sender that offloads checksums may still
 * carry only the pseudo-header sum (a veth delivers it so), and a reply updated
 * from that would be dropped by the prober's kernel as corrupt. 40 bytes, and
 * only for probes. */
static __always_inline void probe_to_reply(struct udphdr *udp, struct mg_probe *p, void *l3,
					   bool v4)
{
	__be16 port = udp->source;
	void *addrs = v4 ? (void *)&((struct iphdr *)l3)->saddr : (void *)&((struct ipv6hdr *)l3)->saddr;
	__u64 sum;

	udp->source = udp->dest;
	udp->dest = port;
	p->magic = MG_PROBE_REPLY;
	if (v4 && !udp->check)
		return;		/* IPv4 without UDP checksum stays without */
	udp->check = 0;
	sum = (__u32)bpf_csum_diff(NULL, 0, (__be32 *)udp, sizeof(*udp) + sizeof(*p), 0);
	/* pseudo header: both addresses (adjacent in either header), protocol, length */
	sum += (__u32)bpf_csum_diff(NULL, 0, addrs, v4 ? 8 : 32, 0);
	sum += bpf_htons(IPPROTO_UDP) + udp->len;
	udp->check = ~csum_fold64(sum);
	if (!udp->check)
		udp->check = 0xffff;
}

/* Is the destination one of the gateway's own addresses? UDP to our ports that
 * the gateway merely routes (a LAN host talking to some other WireGuard server
 * on 51820) is neither counted nor answered: it takes the fast path. */
static __always_inline bool dst_local(struct xdp_md *ctx, __u8 family, void *l3)
{
	struct bpf_fib_lookup fib = { .family = family, .ifindex = ctx->ingress_ifindex };
	long rc;

	if (family == MG_AF_INET) {
		struct iphdr *ip = l3;

		fib.ipv4_src = ip->saddr;
		fib.ipv4_dst = ip->daddr;
	} else {
		struct ipv6hdr *ip6 = l3;

		__builtin_memcpy(fib.ipv6_src, &ip6->saddr, 16);
		__builtin_memcpy(fib.ipv6_dst, &ip6->daddr, 16);
	}
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	/* NOT_FWDED: a local (or broadcast) destination. FWD_DISABLED: a host that
	 * forwards nothing is sent only what is its own. */
	return rc == BPF_FIB_LKUP_RET_NOT_FWDED || rc == BPF_FIB_LKUP_RET_FWD_DISABLED;
}

static __always_inline bool to_wg_port(__u16 dport)
{
	return wg_port && dport == wg_port;
}

static __always_inline bool to_probe_port(__u16 dport)
{
	return probe_port && dport >= probe_port && dport - probe_port < MG_PROBE_PORTS;
}

/* Checked before anything else is done for UDP: most is not for us. */
static __always_inline bool our_port(const struct udphdr *udp)
{
	__u16 dport = bpf_ntohs(udp->dest);

	return to_wg_port(dport) || to_probe_port(dport);
}

/* UDP to one of our ports (our_port said so). Returns -1 when
 * the caller should go on (not for us). */
static __always_inline int udp_local(struct xdp_md *ctx, struct ethhdr *eth, struct udphdr *udp,
				     const __u8 *src16, __u8 family, void *l3, __u64 len)
{
	void *end = (void *)(long)ctx->data_end;
	struct mg_probe *p = (void *)(udp + 1);
	__u16 dport = bpf_ntohs(udp->dest), sport = bpf_ntohs(udp->source);
	__u16 ulen = bpf_ntohs(udp->len);
	bool is_probe_len = ulen == sizeof(*udp) + sizeof(*p);

	if (!dst_local(ctx, family, l3))
		return -1;
	if (to_wg_port(dport)) {
		/* A probe request overlays WireGuard's message type with its magic. */
		if ((void *)&p->seq <= end && p->magic == MG_PROBE_REQUEST) {
			if (!is_probe_len || (void *)(p + 1) > end || !tag_ok(p) ||
			    !known_endpoint(src16, family))
				return verdict(XDP_DROP, MG_STAT_XDP_PROBE_BAD, len);
			swap_macs(eth);
			if (family == MG_AF_INET) {
				struct iphdr *ip = l3;
				__be32 a = ip->saddr;
				__u16 oldw = *(__u16 *)&ip->ttl, neww;

				ip->saddr = ip->daddr;
				ip->daddr = a;
				ip->ttl = MG_PROBE_TTL;
				neww = *(__u16 *)&ip->ttl;
				ip->check = csum_replace2(ip->check, oldw, neww);
				probe_to_reply(udp, p, l3, true);
			} else {
				struct ipv6hdr *ip6 = l3;
				struct in6_addr a = ip6->saddr;

				ip6->saddr = ip6->daddr;
				ip6->daddr = a;
				ip6->hop_limit = MG_PROBE_TTL;
				probe_to_reply(udp, p, l3, false);
			}
			return verdict(XDP_TX, MG_STAT_XDP_PROBE_ANSWERED, len);
		}
		ep_count(src16, family, sport, len);
		return verdict(XDP_PASS, MG_STAT_XDP_WG, len);
	}
	if (is_probe_len && (void *)(p + 1) <= end &&
	    p->magic == MG_PROBE_REPLY && tag_ok(p)) {
		probe_record(src16, family, sport, p);
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

/* The fast path's second half, for both families (the header fields of fib are
 * filled): route lookup, one TTL / hop limit less, new MACs, out. What the kernel
 * must finish goes to it. Only untagged frames get here: the IP header is at
 * ETH_HLEN. */
static __always_inline int fib_forward(struct xdp_md *ctx, struct bpf_fib_lookup *fib, __u64 len)
{
	void *data, *end;
	struct ethhdr *eth;
	int rc = bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);

	/* NOT_FWDED: for the gateway itself (local, broadcast). The rest (no
	 * neighbour, MTU, unreachable, forwarding off) the kernel finishes. */
	if (rc == BPF_FIB_LKUP_RET_NOT_FWDED)
		return verdict(XDP_PASS, MG_STAT_XDP_PASS, len);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return verdict(XDP_PASS, MG_STAT_XDP_SLOW, len);

	/* Packet pointers are not trusted across the helper call: re-derive. */
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if (fib->family == MG_AF_INET) {
		struct iphdr *ip = data + ETH_HLEN;

		if ((void *)(ip + 1) > end)
			return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, len);
		ip4_ttl_dec(ip);
	} else {
		struct ipv6hdr *ip6 = data + ETH_HLEN;

		if ((void *)(ip6 + 1) > end)
			return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, len);
		ip6_hop_dec(ip6);
	}
	__builtin_memcpy(eth->h_dest, fib->dmac, 6);
	__builtin_memcpy(eth->h_source, fib->smac, 6);
	if (fib->ifindex == ctx->ingress_ifindex)
		return verdict(XDP_TX, MG_STAT_XDP_FWD_TX, len);
	stat_add(MG_STAT_XDP_FWD_REDIRECT, len);
	return bpf_redirect(fib->ifindex, 0);
}

static __always_inline int handle_v4(struct xdp_md *ctx, __u32 off, bool vlan)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 len = end - data;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + off;
	struct bpf_fib_lookup fib = {};
	struct mg_route *r;
	__u8 src16[16];
	bool frag, multi = false;
	__u32 ihl, tot;
	int rc;

	if ((void *)(ip + 1) > end)
		return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, frame_len(ctx));
	ihl = ip->ihl * 4;
	tot = bounded16(bpf_ntohs(ip->tot_len));
	if (ip->version != 4 || ihl < sizeof(*ip) || tot < ihl)
		return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, frame_len(ctx));
	if (data + off + tot > end) {
		/* Longer than the first buffer: multi-buffer, or cut short. */
		len = frame_len(ctx);
		if (off + tot > len)
			return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, len);
		multi = true;
	}
	r = route_lookup4(ip->daddr);
	if (r && r->kind == MG_ROUTE_REMOTE)
		return mesh_bound(r, len);

	frag = ip->frag_off & bpf_htons(IP_MF | IP_OFFSET);
	if (ip->protocol == IPPROTO_UDP && !frag) {
		struct udphdr *udp = (void *)ip + (ihl & 0x3c);

		if ((void *)(udp + 1) <= end && our_port(udp) &&
		    bpf_ntohs(udp->len) >= sizeof(*udp) && bpf_ntohs(udp->len) <= tot - ihl) {
			v4_mapped(src16, ip->saddr);
			rc = udp_local(ctx, eth, udp, src16, MG_AF_INET, ip, len);
			if (rc >= 0)
				return rc;
		}
	}

	/* The fast path handles the plain case only; VLAN sub-interfaces route via
	 * another ifindex that XDP cannot redirect to, and a multi-buffer frame
	 * would be dropped by a target device that cannot send one. */
	if (vlan || multi || ihl != sizeof(*ip) || frag || ip->ttl <= 1)
		return verdict(XDP_PASS, MG_STAT_XDP_SLOW, len);

	fib.family = MG_AF_INET;
	fib.tos = ip->tos;
	fib.l4_protocol = ip->protocol;
	fib.tot_len = tot;		/* lets the helper check the egress MTU */
	fib.ipv4_src = ip->saddr;
	fib.ipv4_dst = ip->daddr;
	fib.ifindex = ctx->ingress_ifindex;
	return fib_forward(ctx, &fib, len);
}

static __always_inline int handle_v6(struct xdp_md *ctx, __u32 off, bool vlan)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 len = end - data;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = data + off;
	struct bpf_fib_lookup fib = {};
	struct mg_route *r;
	bool multi = false;
	__u32 plen;
	__u8 nh;
	int rc;

	if ((void *)(ip6 + 1) > end)
		return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, frame_len(ctx));
	plen = bounded16(bpf_ntohs(ip6->payload_len));
	if (ip6->version != 6)
		return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, frame_len(ctx));
	if ((void *)(ip6 + 1) + plen > end) {
		/* Longer than the first buffer: multi-buffer, or cut short. */
		len = frame_len(ctx);
		if (off + sizeof(*ip6) + plen > len)
			return verdict(XDP_PASS, MG_STAT_XDP_MALFORMED, len);
		multi = true;
	}
	r = route_lookup6(ip6->daddr.in6_u.u6_addr8);
	if (r && r->kind == MG_ROUTE_REMOTE)
		return mesh_bound(r, len);

	nh = ip6->nexthdr;
	if (nh == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip6 + 1);

		if ((void *)(udp + 1) <= end && our_port(udp) &&
		    bpf_ntohs(udp->len) >= sizeof(*udp) && bpf_ntohs(udp->len) <= plen) {
			__u8 src16[16];

			__builtin_memcpy(src16, ip6->saddr.in6_u.u6_addr8, 16);
			rc = udp_local(ctx, eth, udp, src16, MG_AF_INET6, ip6, len);
			if (rc >= 0)
				return rc;
		}
	}

	if (ip6->daddr.in6_u.u6_addr8[0] == 0xff)	/* multicast: not routed */
		return verdict(XDP_PASS, MG_STAT_XDP_PASS, len);
	/* Hop-by-hop options must be seen by every router; fragments and link-local
	 * addresses are the kernel's business. */
	if (vlan || multi || nh == NEXTHDR_HOP || nh == NEXTHDR_FRAGMENT || ip6->hop_limit <= 1 ||
	    (ip6->saddr.in6_u.u6_addr8[0] == 0xfe && (ip6->saddr.in6_u.u6_addr8[1] & 0xc0) == 0x80) ||
	    (ip6->daddr.in6_u.u6_addr8[0] == 0xfe && (ip6->daddr.in6_u.u6_addr8[1] & 0xc0) == 0x80))
		return verdict(XDP_PASS, MG_STAT_XDP_SLOW, len);

	fib.family = MG_AF_INET6;
	fib.flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0FFFFFFF);
	fib.l4_protocol = nh;
	fib.tot_len = sizeof(*ip6) + plen;
	__builtin_memcpy(fib.ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(fib.ipv6_dst, &ip6->daddr, 16);
	fib.ifindex = ctx->ingress_ifindex;
	return fib_forward(ctx, &fib, len);
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
		return handle_v4(ctx, off, vlan);
	if (proto == bpf_htons(ETH_P_IPV6))
		return handle_v6(ctx, off, vlan);
	return verdict(XDP_PASS, MG_STAT_XDP_PASS, frame_len(ctx));
}

char LICENSE[] SEC("license") = "GPL";	/* bpf_fib_lookup is GPL-only */
