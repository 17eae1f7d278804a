/* SPDX-License-Identifier: GPL-2.0-only */
/* When a peer next needs the daemon (issue 17): the decisions of failover.c are
 * functions of the clock, and calling them for every peer every tick was most of
 * the daemon's idle CPU. fo_next_due says until when calling them again changes
 * nothing, so the daemon can leave a peer alone until then. */
#pragma once
#include <stdint.h>
#include "failover/failover.h"

/* For a peer the daemon has just handled at `now` (replies read, the probes that
 * were due sent, fo_decide called and its move carried out): a time before which,
 * with no new input (counters, replies, roaming, a move, fo_path_down),
 * - fo_probe_due is false for every endpoint,
 * - fo_reply_read never returns FO_READ_ALWAYS,
 * - fo_decide returns p->active and leaves *p exactly as it is.
 * Early is allowed (a call then changes nothing and the caller asks again), late
 * is not: it is the earliest time at which any clock comparison in those
 * functions can change its answer. <= now: due now (at the next tick). */
uint64_t fo_next_due(const struct fo_peer *p, const struct fo_settings *s, uint64_t now);
