// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* No programs: this object only declares the failover daemon's state map, so the
 * map carries BTF and `bpftool map dump` prints named fields. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "meshgw_state.h"

/* peer site name → active endpoint, per-endpoint health, failover counts */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MG_STATE_MAX_PEERS);
	__type(key, struct mg_site_key);
	__type(value, struct mg_peer_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mg_failover SEC(".maps");

char LICENSE[] SEC("license") = "Dual BSD/GPL";
