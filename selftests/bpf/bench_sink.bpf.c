// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Benchmark sink: counts frames per CPU and drops them. */
#include "sink.h"

SEC("xdp")
int bench_sink(struct xdp_md *ctx)
{
	sink_inc();
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
