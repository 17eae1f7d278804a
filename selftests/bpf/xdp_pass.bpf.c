// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Baseline for benchmarks and the "foreign XDP program" test: XDP_PASS, nothing else. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
