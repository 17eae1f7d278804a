/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Failover probe wire format, shared by the daemon (sender) and the XDP program
 * (answers requests with XDP_TX, records replies in the endpoint map).
 *
 * A probe is one UDP datagram whose payload is exactly struct mg_probe. Its first
 * four bytes overlay WireGuard's little-endian message type (1..4 followed by three
 * zero bytes), so the magics below can never be mistaken for WireGuard traffic. */
#pragma once
#ifdef __bpf__
#include "vmlinux.h"
#else
#include <linux/types.h>
#endif

#define MG_PROBE_REQUEST 0x5250474dU	/* "MGPR" read as little-endian bytes */
#define MG_PROBE_REPLY   0x5050474dU	/* "MGPP" */
#define MG_PROBE_TAG_LEN 16
/* Probes to a site's endpoint i leave from ProbePort + i. A site's router DNATs
 * every one of its endpoints to the same gateway port, so probes from one source
 * port to two of them would share a reply tuple there and one would be dropped as
 * a conntrack clash. */
#define MG_PROBE_PORTS 8

struct mg_probe {
	__u32 magic;			/* MG_PROBE_REQUEST or MG_PROBE_REPLY, little-endian */
	__u32 seq;			/* echoed */
	__u64 tx_ns;			/* sender's CLOCK_MONOTONIC (bpf_ktime_get_ns), echoed */
	__u8 tag[MG_PROBE_TAG_LEN];	/* mesh tag: keyed hash of the mesh's keys, echoed */
};

_Static_assert(sizeof(struct mg_probe) == 32, "probe wire format is 32 bytes");
