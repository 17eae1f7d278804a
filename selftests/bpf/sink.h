/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Benchmark sinks: frames received, counted per CPU; userspace sums. */
#pragma once
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sink_count SEC(".maps");

static __always_inline void sink_inc(void)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&sink_count, &zero);

	if (c)
		(*c)++;
}
