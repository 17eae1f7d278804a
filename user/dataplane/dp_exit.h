/* SPDX-License-Identifier: GPL-2.0-only */
/* The data plane's internet exit (DESIGN.md "Internet exit through another site"):
 * which LAN traffic takes it (mg_exit4/6), through which peer, and whether any
 * (mg_exit), and what took it (mg_exit_stats). */
#pragma once
#include <stdbool.h>
#include "config/config.h"
#include "dataplane/dp_maps.h"

/* Fills mg_exit4/6 from the local file's exit keys (defaults: this site's egress
 * ranges as sources; 0.0.0.0/0 and ::/0 but the mesh Network as destinations) and
 * makes the first ExitVia site the active exit, as `up` configures WireGuard; no
 * ExitVia: the tries are emptied and the exit is off. idx as dp_assign_peers
 * made it. 0 or -errno. */
int dp_sync_exit(const struct dp_fds *m, const struct mg_config *c, const uint32_t *idx);

/* The daemon's switch: exit through peer slot `peer`, or none (on false), counting
 * a move for reason `move` (enum mg_exit_move; -1: none, putting its choice back).
 * 0 or -errno. */
int dp_exit_set(const struct dp_maps *m, __u32 peer, bool on, int move);
/* 0 with *x filled, -ENOENT when the map is not there (an older data plane). */
int dp_exit_get(const struct dp_maps *m, struct mg_exit *x);
/* Summed over CPUs. 0 or -errno (-ENOENT: no such map). */
int dp_exit_stats(const struct dp_maps *m, __u32 peer, struct mg_exit_stats *out);
