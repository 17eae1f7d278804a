// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Benchmark traffic generator (gen.h): the frames go out with XDP_TX. */
#include "gen.h"

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	return gen_frame(ctx, XDP_TX);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
