/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Maps shared by every meshgw BPF object. Each object declares them all; the
 * loader pins them by name under PinPath so the objects (and re-runs of
 * `meshgw up`) share one copy and counters survive program reloads. */
#pragma once
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.h"
#include "meshgw_bpf.h"
#include "meshgw_probe.h"

/* Remote (and own) egress ranges and mesh addresses -> peer index, per family. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MG_MAX_ROUTES);
	__type(key, struct mg_lpm4_key);
	__type(value, struct mg_route);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_routes4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MG_MAX_ROUTES);
	__type(key, struct mg_lpm6_key);
	__type(value, struct mg_route);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_routes6 SEC(".maps");

/* Which first octets/bytes any route can match (see MG_ROUTE_FILTER_LEN). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MG_ROUTE_FILTER_LEN);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_route_filter SEC(".maps");

/* IPv4 routes by table (see MG_DIR4_CHUNKS): a cell per /16, then per /24 in
 * the chunks, and the routes the cells name. Mappable: the loader writes each
 * cell with one aligned store. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct mg_dir4_cells);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_dir4_l1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, MG_DIR4_CHUNKS);
	__type(key, __u32);
	__type(value, struct mg_dir4_cells);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_dir4_l2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, MG_ROUTE_LEAVES);
	__type(key, __u32);
	__type(value, struct mg_route);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_route_leaf SEC(".maps");

/* Per-peer packet/byte/drop counters, per CPU; userspace sums. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MG_MAX_PEERS);
	__type(key, __u32);
	__type(value, struct mg_peer_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_peer_stats SEC(".maps");

/* Peer index -> site name, so a bpftool dump is readable without meshgw.
 * Mappable: `up`, the daemon and show scan its 16,384 slots in memory for the
 * few used ones (a batch lookup copied them all, ~13 % of a no-op `up`). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MG_MAX_PEERS);
	__type(key, __u32);
	__type(value, struct mg_peer_info);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_peer_info SEC(".maps");

/* Totals per program verdict (enum mg_stat), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MG_STAT__MAX);
	__type(key, __u32);
	__type(value, struct mg_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_stats SEC(".maps");

/* UDP to our WireGuard port per source address; LRU: sources are untrusted. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MG_MAX_ENDPOINTS);
	__type(key, struct mg_ep_key);
	__type(value, struct mg_ep_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_ep_stats SEC(".maps");

/* Endpoint addresses of mesh sites (filled by userspace) -> peer index: only
 * these get probe replies. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MG_MAX_KNOWN_EPS);
	__type(key, struct mg_ep_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_known_eps SEC(".maps");

/* Probe replies received, per (source address, source port). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MG_MAX_ENDPOINTS);
	__type(key, struct mg_probe_key);
	__type(value, struct mg_probe_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_probes SEC(".maps");

/* Every probe reply recorded in mg_probes, in arrival order, for the daemon
 * (struct mg_probe_event). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MG_PROBE_RING_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_probe_ring SEC(".maps");

/* The mesh tag probes must carry (one entry, written by userspace). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mg_tag);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_mesh_tag SEC(".maps");

/* The loader's record of its TC attachments (enum mg_attach_slot); BPF never
 * touches it, it lives here to be pinned and dumped with the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MG_SLOT__MAX);
	__type(key, __u32);
	__type(value, struct mg_attach);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_attach SEC(".maps");

/* How each NIC is handled (MG_IF_*), keyed by ifindex; see meshgw_bpf.h. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MG_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct mg_iface);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_ifaces SEC(".maps");

/* mg_ifaces' flags by ifindex % MG_IF_SLOTS (struct mg_if_slot, meshgw_bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MG_IF_SLOTS);
	__type(key, __u32);
	__type(value, struct mg_if_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_if_slots SEC(".maps");

/* The active internet exit (one entry, struct mg_exit; see meshgw_bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mg_exit);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_exit SEC(".maps");

/* Exit sources and destinations per family (side-first keys), value 1 = take. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MG_MAX_EXIT_ENTRIES);
	__type(key, struct mg_exit4_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_exit4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MG_MAX_EXIT_ENTRIES);
	__type(key, struct mg_exit6_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_exit6 SEC(".maps");

/* Exit traffic per peer, per CPU (struct mg_exit_stats). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MG_MAX_PEERS);
	__type(key, __u32);
	__type(value, struct mg_exit_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_exit_stats SEC(".maps");

/* The gateway's own non-mesh addresses and their way out (see meshgw_bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MG_MAX_OWN_ADDRS);
	__type(key, struct mg_own_key);
	__type(value, struct mg_own_route);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_own_addr SEC(".maps");

/* This box's IPv4 addresses (meshgw_bpf.h): sources the kernel never forwards. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mg_local4);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_local4 SEC(".maps");

/* MG_IF_* of ifindex; 0 for a device meshgw does not know. From its slot of
 * mg_if_slots (an inlined array lookup); mg_ifaces only when the slot is
 * shared with another NIC of ours. */
static __always_inline __u32 iface_flags(__u32 ifindex)
{
	__u32 k = ifindex & (MG_IF_SLOTS - 1);
	struct mg_if_slot *s = bpf_map_lookup_elem(&mg_if_slots, &k);
	struct mg_iface *i;

	if (!s)
		return 0;
	if (s->ifindex == ifindex)
		return s->flags;
	if (!(s->flags & MG_IF_SLOT_SHARED))
		return 0;
	i = bpf_map_lookup_elem(&mg_ifaces, &ifindex);
	return i ? i->flags : 0;
}

/* Is a one of this box's IPv4 addresses (mg_local4, meshgw_bpf.h)? 1 yes, 0 no,
 * -1 when the list cannot say (more addresses than it holds). A bloom filter
 * answers most "no"s with one test; then the short list, compared in turn. */
static __always_inline int local4_listed(__be32 a)
{
	__u32 zero = 0, n;
	const struct mg_local4 *l = bpf_map_lookup_elem(&mg_local4, &zero);

	if (!l || !(l->bloom & (1ULL << MG_LOCAL4_BIT(a))))
		return 0;
	n = l->n;
	if (n > MG_LOCAL4_MAX)
		return -1;
	for (__u32 i = 0; i < MG_LOCAL4_MAX; i++) {
		if (i >= n)
			break;
		if (l->addr[i] == a)
			return 1;
	}
	return 0;
}

/* Does the kernel forward nothing of family that comes in by a NIC with these
 * flags (forwarding off there)? Then meshgw's programs steer none of it either. */
static __always_inline bool fwd_off(__u32 flags, __u8 family)
{
	return flags & (family == MG_AF_INET ? MG_IF_NOFWD4 : MG_IF_NOFWD6);
}

static __always_inline void stat_add(__u32 idx, __u64 bytes)
{
	struct mg_counter *c = bpf_map_lookup_elem(&mg_stats, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline struct mg_peer_stats *peer_stats(__u32 peer)
{
	return bpf_map_lookup_elem(&mg_peer_stats, &peer);
}

/* The routes of an address, NULL when none. IPv6: a route filter entry of zero
 * (no route starts with the address's first byte: most internet traffic) skips
 * the trie walk: an array lookup, inlined by the verifier. */
static __always_inline bool route_filter_pass(__u32 idx)
{
	__u32 *f = bpf_map_lookup_elem(&mg_route_filter, &idx);

	return f && *f;
}

/* The trie walk alone (IPv4): where a table cell sends the lookup. */
static __always_inline struct mg_route *route_trie4(__be32 addr)
{
	struct mg_lpm4_key k = { .prefixlen = 32 };

	__builtin_memcpy(k.addr, &addr, 4);
	return bpf_map_lookup_elem(&mg_routes4, &k);
}

/* One cell of a table, read once: the loader may be rewriting it. */
static __always_inline __u32 dir4_cell(const struct mg_dir4_cells *t, __u32 i)
{
	return *(volatile const __u32 *)&t->cell[i & (MG_DIR4_CELLS - 1)];
}

/* IPv4: the /16 cell, the /24 cell of its chunk when it has one, the trie only
 * where a prefix longer than /24 (or a /16 without a chunk) asks for it. Two
 * array lookups, inlined, for almost every address. */
static __always_inline struct mg_route *route_lookup4(__be32 addr)
{
	__u32 a = bpf_ntohl(addr), k = a >> 24, cell;
	struct mg_dir4_cells *t = bpf_map_lookup_elem(&mg_dir4_l1, &k);
	struct mg_route *r;

	if (!t)
		return NULL;
	cell = dir4_cell(t, a >> 16);
	if ((cell & MG_DIR4_CHUNK) && cell != MG_DIR4_TRIE) {
		k = cell & ~MG_DIR4_CHUNK;
		t = bpf_map_lookup_elem(&mg_dir4_l2, &k);
		if (!t)
			return NULL;
		cell = dir4_cell(t, a >> 8);
	}
	if (cell == MG_DIR4_TRIE)
		return route_trie4(addr);
	k = cell - 1;		/* MG_DIR4_NONE: 0xffffffff, no such leaf */
	r = bpf_map_lookup_elem(&mg_route_leaf, &k);
	/* Keeps clang from merging this call with the trie's into one call site of
	 * two maps, which the verifier cannot inline: a helper call (~15 ns) for
	 * every packet instead of an array index. */
	asm volatile("" : "+r"(r));
	return r;
}

static __always_inline struct mg_route *route_lookup6(const __u8 *addr)
{
	struct mg_lpm6_key k = { .prefixlen = 128 };

	if (!route_filter_pass(256 + addr[0]))
		return NULL;
	__builtin_memcpy(k.addr, addr, 16);
	return bpf_map_lookup_elem(&mg_routes6, &k);
}

/* The routes of an IP header's destination, or of its source (by_src). */
static __always_inline struct mg_route *route_lookup_ip(__u8 family, const void *l3, bool by_src)
{
	if (family == MG_AF_INET) {
		const struct iphdr *ip = l3;

		return route_lookup4(by_src ? ip->saddr : ip->daddr);
	}
	const struct ipv6hdr *ip6 = l3;

	return route_lookup6(by_src ? ip6->saddr.in6_u.u6_addr8 : ip6->daddr.in6_u.u6_addr8);
}
