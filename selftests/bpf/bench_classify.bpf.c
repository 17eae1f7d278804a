// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Benchmark only: IPv4 "is this destination mesh-bound, and to which peer",
 * one program per way of asking, side by side on the same maps (bpf_bench
 * testrun, "classification alone"). Each answers XDP_PASS for a remote route,
 * XDP_TX for one of our own, XDP_DROP for none, so the bench checks every way
 * gives the same answer as the loader's reference before timing it.
 *
 *   cls_trie   first-octet filter, then the LPM trie (meshgw before the tables)
 *   cls_dir    the tables mg_dir4_l1 / l2 (route_lookup4, what meshgw runs now)
 *   cls_f16    a /16 bitmap in front of the trie (a finer pre-filter)
 *   cls_cache  a /32 cache (LRU hash, an LRU list per CPU) in front of the trie: the hit
 *   cls_miss   the same cache, missed every time (the address changes each run):
 *              lookup, trie walk and insert, what a new flow pays
 * Also a test helper: cls_dir stores its answer in `got` for the exactness test. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/maps.h"

/* Bit per /16 that any IPv4 route covers (filled by the bench). */
struct f16 {
	__u64 bits[1024];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct f16);
} cls_f16_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);	/* an LRU list per CPU: no shared lock */
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct mg_route);
} cls_cache_map SEC(".maps");

/* cls_miss's own: its made-up keys must not answer cls_cache. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);	/* an LRU list per CPU: no shared lock */
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct mg_route);
} cls_miss_map SEC(".maps");

struct mg_route got;	/* cls_dir's last answer, kind 0 = none */
__u32 miss_seq;

static __always_inline int answer(const struct mg_route *r)
{
	if (!r || !r->kind)
		return XDP_DROP;
	return r->kind == MG_ROUTE_REMOTE ? XDP_PASS : XDP_TX;
}

/* The destination of an untagged IPv4 frame, 0 when it is none. */
static __always_inline __be32 dst4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	return ip->daddr;
}

SEC("xdp")
int cls_trie(struct xdp_md *ctx)
{
	__be32 d = dst4(ctx);

	if (!route_filter_pass(bpf_ntohl(d) >> 24))
		return answer(NULL);
	return answer(route_trie4(d));
}

SEC("xdp")
int cls_dir(struct xdp_md *ctx)
{
	struct mg_route *r = route_lookup4(dst4(ctx));
	struct mg_route none = {};

	got = r ? *r : none;
	return answer(r);
}

SEC("xdp")
int cls_f16(struct xdp_md *ctx)
{
	__be32 d = dst4(ctx);
	__u32 zero = 0, h = bpf_ntohl(d) >> 16;
	struct f16 *f = bpf_map_lookup_elem(&cls_f16_map, &zero);

	if (!f || !(f->bits[(h >> 6) & 1023] & (1ull << (h & 63))))
		return answer(NULL);
	return answer(route_trie4(d));
}

static __always_inline struct mg_route *cached(void *cache, __be32 d, __u32 key)
{
	struct mg_route *r = bpf_map_lookup_elem(cache, &key), none = {};

	if (r)
		return r;
	r = route_trie4(d);
	bpf_map_update_elem(cache, &key, r ? r : &none, BPF_ANY);
	return r;
}

SEC("xdp")
int cls_cache(struct xdp_md *ctx)
{
	__be32 d = dst4(ctx);

	return answer(cached(&cls_cache_map, d, d));
}

SEC("xdp")
int cls_miss(struct xdp_md *ctx)
{
	__be32 d = dst4(ctx);

	/* A key never seen: the trie is still asked about d itself. */
	return answer(cached(&cls_miss_map, d, d ^ ++miss_seq));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
