/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The failover daemon's decisions, published in a pinned map so `meshgw show`,
 * `meshgw metrics` and `bpftool map dump` read the same record. Written only by
 * userspace; no BPF program touches it. Fixed-width fields, explicit padding. */
#pragma once
#ifdef __bpf__
#include "vmlinux.h"
#else
#include <linux/types.h>
#endif

#define MG_STATE_MAX_PEERS 4096	/* < MG_MAX_PEERS: why in user/failover/fo_state.c */
#define MG_STATE_MAX_ENDPOINTS 8
#define MG_SITE_NAME_LEN 32	/* = MG_PEER_NAME_LEN (asserted in fo_state.c) */

/* enum fo_reason in user/failover/failover.h, in this order */
#define MG_FAILOVER_REASONS 8

enum mg_endpoint_health { MG_EP_UNKNOWN = 0, MG_EP_UP = 1, MG_EP_DOWN = 2 };

struct mg_endpoint_state {
	__u8 addr[16];		/* IPv4 as ::ffff:a.b.c.d; all zero = unresolved */
	__u16 port;		/* host byte order */
	__u8 health;		/* enum mg_endpoint_health */
	__u8 pad0;
	__u32 loss_permille;	/* over the last 64 probes */
	__u64 rtt_ns;		/* last probe round trip */
	__u64 probes_sent;
	__u64 probe_replies;
	__u64 last_reply_ns;	/* CLOCK_MONOTONIC, 0 = never */
};

struct mg_peer_state {
	__u32 active;		/* index into endpoints[] */
	__u32 n_endpoints;
	__u32 meshgw_peer;	/* 1 when it answers probes (runs meshgw) */
	__u32 last_reason;	/* reason of the last change */
	__u64 last_change_ns;	/* CLOCK_MONOTONIC of the last change, 0 = never */
	__u64 updated_ns;	/* when the daemon last wrote this record */
	__u64 failovers[MG_FAILOVER_REASONS];	/* changes, by reason */
	struct mg_endpoint_state endpoints[MG_STATE_MAX_ENDPOINTS];
};

struct mg_site_key {
	char name[MG_SITE_NAME_LEN];	/* zero-padded */
};

_Static_assert(sizeof(struct mg_endpoint_state) == 56, "endpoint state layout");
_Static_assert(sizeof(struct mg_peer_state) == 32 + 64 + 8 * 56, "peer state layout");
