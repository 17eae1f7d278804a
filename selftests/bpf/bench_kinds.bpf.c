// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Programs of selftests/bench/kinds.sh (loaded by selftests/helpers/bench_kinds):
 *
 * kinds_gen       run with BPF_F_TEST_XDP_LIVE_FRAMES on an interface of the LAN
 *                 host: rewrites each live frame from a template and returns
 *                 XDP_PASS, so the frames enter the host's own stack, which sends
 *                 them to the gateway as any host does (dev_queue_xmit). Nothing
 *                 on the gateway's side needs NAPI for them.
 * kinds_sink_xdp  an "internet host" that counts the benchmark's frames (IPv4
 * kinds_sink_tc   UDP to port 9) and drops them; everything else (the tunnel's
 *                 WireGuard traffic shares the interface) passes. The TC one works
 *                 on any device, with or without an Ethernet header (a tun). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/net.h"
#include "gen.h"
#include "sink.h"

#define SINK_PORT 9

SEC("xdp")
int kinds_gen(struct xdp_md *ctx)
{
	return gen_frame(ctx, XDP_PASS);
}

static __always_inline bool sink_take(const struct iphdr *ip, const struct udphdr *udp)
{
	if (ip->ihl != 5 || ip->protocol != IPPROTO_UDP || udp->dest != bpf_htons(SINK_PORT))
		return false;
	sink_inc();
	return true;
}

SEC("xdp")
int kinds_sink_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + ETH_HLEN;
	struct udphdr *udp = data + ETH_HLEN + sizeof(*ip);

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	return sink_take(ip, udp) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int kinds_sink_tc(struct __sk_buff *skb)
{
	struct {
		struct iphdr ip;
		struct udphdr udp;
	} h;

	if (skb->protocol != bpf_htons(ETH_P_IP) ||
	    bpf_skb_load_bytes_relative(skb, 0, &h, sizeof(h), BPF_HDR_START_NET))
		return TC_ACT_OK;
	return sink_take(&h.ip, &h.udp) ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
