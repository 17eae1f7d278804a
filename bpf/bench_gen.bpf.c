// SPDX-License-Identifier: GPL-2.0
/* Benchmark traffic generator, run with BPF_F_TEST_XDP_LIVE_FRAMES: rewrites the
 * headers of each live frame from a template (the gateway under test modified
 * the recycled page last time round) and sends it out with XDP_TX. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define GEN_HDR 42	/* Ethernet + IPv4 + UDP */

/* In .bss, not .rodata: clang 14 folds a memcpy from a volatile const array
 * into stores of zeros (NOTES.md). */
__u8 tmpl[64];

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (data + GEN_HDR > end)
		return XDP_DROP;
	__builtin_memcpy(data, tmpl, GEN_HDR);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
