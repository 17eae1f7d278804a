/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's end of mg_probe_ring: the probe replies the data plane recorded,
 * each once, in arrival order, read from shared memory without a syscall
 * (issue 17: looking up each probed endpoint in mg_probes was ~40 % of the
 * daemon's CPU at 4,096 sites). mg_probes stays the record of truth: when a
 * reply found the ring full, dp_probe_ring_overflowed says so and the caller
 * reads mg_probes whole. */
#pragma once
#include "dataplane/dp_maps.h"

/* Calls fn for every reply queued since the last call, or drops them unread
 * when fn is NULL (records older than the caller's state). The number of
 * replies, or -errno (-ENOENT: no mg_probe_ring pinned, an older data plane). */
int dp_probe_ring_drain(struct dp_maps *m, void (*fn)(const struct mg_probe_event *ev, void *ctx),
			void *ctx);

/* Has a reply been left out of the ring (it was full) since the previous call,
 * or the one before? 1 yes, 0 no, -errno when it cannot tell. The first call
 * after dp_maps_open says 1. Two reads of per-CPU counts (*_PROBE_UNQUEUED),
 * each counted after the reply was written to mg_probes; "the one before" as
 * in dp_probes_recorded: a weakly ordered CPU may show the count first. */
int dp_probe_ring_overflowed(struct dp_maps *m);

/* Frees what dp_probe_ring_drain set up (dp_maps_close calls it). */
void dp_probe_ring_close(struct dp_maps *m);
