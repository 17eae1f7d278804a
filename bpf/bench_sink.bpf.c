// SPDX-License-Identifier: GPL-2.0
/* Benchmark sink: counts frames per CPU and drops them. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* Frames received, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sink_count SEC(".maps");

SEC("xdp")
int bench_sink(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&sink_count, &zero);

	if (c)
		(*c)++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
