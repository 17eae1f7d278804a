/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* UDP to the gateway's own ports, for XDP (xdp_lan) and TC (tc_lan) alike: the
 * WireGuard port (counted per source address; meshgw probe requests answered) and
 * the daemon's probe ports (probe replies recorded). XDP does this where it runs
 * and can transmit; TC does it on every other NIC (a bridge, a VLAN, a container's
 * veth, a layer-3 uplink), so probes work on every kind of interface. Everything
 * here works on a packet already bounds-checked by the caller, whatever the
 * program type. */
#pragma once
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.h"
#include "csum.h"
#include "fib.h"
#include "maps.h"
#include "ttl.h"

/* Runtime settings, written by the loader before load (host byte order; 0 = off). */
volatile const __u16 wg_port = 0;	/* our WireGuard listen port */
volatile const __u16 probe_port = 0;	/* the first of the daemon's MG_PROBE_PORTS ports */

enum mg_udp_kind {
	MG_UDP_OTHER = 0,	/* not for one of our ports on one of our addresses */
	MG_UDP_WG,		/* WireGuard (or anything else) to our listen port: count */
	MG_UDP_PROBE_REQ,	/* a valid probe request: answer it */
	MG_UDP_PROBE_BAD,	/* a probe request we must not answer: drop */
	MG_UDP_PROBE_REPLY,	/* a reply to our probe: record and drop */
};

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

static __always_inline bool known_endpoint(const __u8 *src16, __u8 family)
{
	struct mg_ep_key k = { .family = family };

	__builtin_memcpy(k.addr, src16, 16);
	return bpf_map_lookup_elem(&mg_known_eps, &k) != NULL;
}

static __always_inline void ep_count(const __u8 *src16, __u8 family, __u16 sport, __u64 len)
{
	struct mg_ep_key k = { .family = family };
	struct mg_ep_stats *s;
	/* Every WireGuard packet passes here: the coarse clock, a read of the
	 * timekeeper's last tick, costs nothing next to a clocksource read
	 * (25-40 ns a packet on this machine's paravirtual clock). */
	__u64 now = bpf_ktime_get_coarse_ns();

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

/* Records a reply in mg_probes and queues it for the daemon (mg_probe_ring):
 * false when the queue was full, which the caller counts (*_PROBE_UNQUEUED) so
 * the daemon knows to read mg_probes whole. The map is written first: whatever
 * the daemon learns from the count, the record is already there. */
static __always_inline bool probe_record(const __u8 *src16, __u8 family, __u16 sport,
					 const struct mg_probe *p)
{
	struct mg_probe_key k = { .family = family, .port = sport };
	struct mg_probe_stats *s;
	struct mg_probe_event *ev;
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
	} else {
		__sync_fetch_and_add(&s->replies, 1);
		s->last_seq = seq;
		s->last_rx_ns = now;
		s->last_rtt_ns = rtt;
	}
	ev = bpf_ringbuf_reserve(&mg_probe_ring, sizeof(*ev), 0);
	if (!ev)
		return false;
	__builtin_memcpy(ev->addr, src16, 16);
	ev->family = family;
	ev->pad = 0;
	ev->port = sport;
	ev->seq = seq;
	ev->rx_ns = now;
	ev->rtt_ns = rtt;
	bpf_ringbuf_submit(ev, 0);
	return true;
}

/* Is the destination one of the gateway's own addresses? UDP to our ports that
 * the gateway merely routes (a LAN host talking to some other WireGuard server
 * on 51820) is neither counted nor answered. ctx: an xdp_md or an __sk_buff. */
static __always_inline bool dst_local(void *ctx, __u32 ifindex, __u8 family, void *l3)
{
	struct bpf_fib_lookup fib = { .ifindex = ifindex };
	long rc;

	/* One of this box's IPv4 addresses: local, no route lookup needed (every
	 * WireGuard packet asks). Else the routing table says. */
	if (family == MG_AF_INET && local4_listed(((struct iphdr *)l3)->daddr) == 1)
		return true;
	fib_set_addrs(&fib, family, l3);
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	/* NOT_FWDED: a local (or broadcast) destination. FWD_DISABLED: a host that
	 * forwards nothing is sent only what is its own. */
	return rc == BPF_FIB_LKUP_RET_NOT_FWDED || rc == BPF_FIB_LKUP_RET_FWD_DISABLED;
}

/* What UDP datagram udp (header in bounds, to one of our ports: our_port) is.
 * The probe payload is read only when in bounds before end. */
static __always_inline int udp_classify(void *ctx, __u32 ifindex, struct udphdr *udp, void *end,
					__u8 family, void *l3, const __u8 *src16)
{
	struct mg_probe *p = (void *)(udp + 1);
	__u16 dport = bpf_ntohs(udp->dest);
	bool is_probe_len = bpf_ntohs(udp->len) == sizeof(*udp) + sizeof(*p);

	if (!dst_local(ctx, ifindex, family, l3))
		return MG_UDP_OTHER;
	if (to_wg_port(dport)) {
		/* A probe request overlays WireGuard's message type with its magic. */
		if ((void *)&p->seq > end || p->magic != MG_PROBE_REQUEST)
			return MG_UDP_WG;
		if (!is_probe_len || (void *)(p + 1) > end || !tag_ok(p) ||
		    !known_endpoint(src16, family))
			return MG_UDP_PROBE_BAD;
		return MG_UDP_PROBE_REQ;
	}
	if (is_probe_len && (void *)(p + 1) <= end && p->magic == MG_PROBE_REPLY && tag_ok(p))
		return MG_UDP_PROBE_REPLY;
	return MG_UDP_OTHER;
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[6];

	__builtin_memcpy(tmp, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, tmp, 6);
}

/* Turns a validated request (udp_classify said MG_UDP_PROBE_REQ) into its reply
 * in place: addresses and ports swapped, a fresh TTL, the magic changed. The UDP
 * checksum is computed whole, not updated: a request from a sender that offloads
 * checksums may still carry only the pseudo-header sum (a veth delivers it so),
 * and a reply updated from that would be dropped by the prober's kernel as
 * corrupt. 40 bytes, and only for probes. The caller swaps the MACs, if any. */
static __always_inline void probe_to_reply(void *l3, __u8 family, struct udphdr *udp,
					   struct mg_probe *p)
{
	__be16 port = udp->source;
	void *addrs;
	__u64 sum;

	if (family == MG_AF_INET) {
		struct iphdr *ip = l3;
		__be32 a = ip->saddr;

		ip->saddr = ip->daddr;
		ip->daddr = a;		/* the IP checksum does not change with the order */
		addrs = &ip->saddr;
	} else {
		struct ipv6hdr *ip6 = l3;
		struct in6_addr a = ip6->saddr;

		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		addrs = &ip6->saddr;
	}
	ttl_set(family, l3, MG_PROBE_TTL);
	udp->source = udp->dest;
	udp->dest = port;
	p->magic = MG_PROBE_REPLY;
	if (family == MG_AF_INET && !udp->check)
		return;		/* IPv4 without UDP checksum stays without */
	udp->check = 0;
	sum = (__u32)bpf_csum_diff(NULL, 0, (__be32 *)udp, sizeof(*udp) + sizeof(*p), 0);
	/* pseudo header: both addresses (adjacent in either header), protocol, length */
	sum += (__u32)bpf_csum_diff(NULL, 0, addrs, family == MG_AF_INET ? 8 : 32, 0);
	sum += bpf_htons(IPPROTO_UDP) + udp->len;
	udp->check = ~csum_fold64(sum);
	if (!udp->check)
		udp->check = 0xffff;
}
