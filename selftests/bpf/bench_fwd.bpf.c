// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Benchmark reference: the bare minimum of an XDP router (IPv4 only):
 * bpf_fib_lookup, TTL and checksum, MACs, bpf_redirect. meshgw's fast path is
 * measured against it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "lib/fib.h"
#include "lib/net.h"
#include "lib/ttl.h"

SEC("xdp")
int bench_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct bpf_fib_lookup fib = {};

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ttl <= 1)
		return XDP_PASS;
	fib_set_ip(&fib, MG_AF_INET, ip, end, bpf_ntohs(ip->tot_len));
	fib.ifindex = ctx->ingress_ifindex;
	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (!ttl_dec_at(data, end, sizeof(*eth), MG_AF_INET))
		return XDP_PASS;
	eth = data;
	__builtin_memcpy(eth->h_dest, fib.dmac, 6);
	__builtin_memcpy(eth->h_source, fib.smac, 6);
	return bpf_redirect(fib.ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
