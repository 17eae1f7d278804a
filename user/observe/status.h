/* SPDX-License-Identifier: GPL-2.0-only */
/* Everything `show`, `metrics` and the daemon's GET /metrics report about a
 * gateway, gathered in one pass from what is running: the data plane's pinned
 * maps, the failover daemon's mg_failover records and the WireGuard device.
 * Any of the three may be missing; the flags say which were found. Never holds
 * keys. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "config/config.h"
#include "dataplane/dp_maps.h"
#include "meshgw_bpf.h"
#include "meshgw_state.h"

struct status_endpoint {
	char name[MG_HOST_MAX + 10];		/* as configured: "host:port" / "[v6]:port" */
	bool have_addr;				/* resolved (daemon record or literal) */
	struct sockaddr_storage addr;
	bool have_fo;				/* from the daemon's record */
	struct mg_endpoint_state fo;
	bool have_rx;				/* mg_ep_stats entry for this address */
	struct mg_ep_stats rx;			/* WireGuard UDP received from the address */
	bool is_wg_endpoint;			/* WireGuard currently sends to this one */
	/* Several uplinks: this entry is a path (config.h, mg_path_endpoints): the
	 * site's endpoint ep_index through our uplink uplink_index, named uplink.
	 * One uplink: ep_index is the entry's index, uplink is "". */
	unsigned int ep_index, uplink_index;
	char uplink[IF_NAMESIZE];
};

struct status_peer {
	char site[MG_NAME_MAX];			/* the site's name, or the client's */
	bool client;				/* a roaming client: no endpoints, no failover */
	int dp_index;				/* slot in mg_peer_info, -1 = none */
	bool have_dp;
	struct mg_peer_stats dp;		/* summed over CPUs */
	bool have_wg;				/* the peer exists on the WireGuard device */
	int64_t handshake_sec;			/* unix time, 0 = never */
	int64_t handshake_nsec;
	uint64_t wg_rx_bytes, wg_tx_bytes;
	bool wg_have_endpoint;
	struct sockaddr_storage wg_endpoint;
	bool have_fo;
	struct mg_peer_state fo;		/* endpoints[] copied into eps[] */
	int active;				/* index into eps, -1 = unknown */
	size_t n_eps;
	struct status_endpoint eps[MG_STATE_MAX_ENDPOINTS];
};

/* An ExitVia site of the local file (internet exit through another site). */
struct status_exit {
	char site[MG_NAME_MAX];
	bool active;				/* internet traffic exits through it now */
	bool have_dp;
	struct mg_exit_stats dp;		/* what took the exit through it, summed */
};

struct status {
	char self[MG_NAME_MAX];
	bool self_exit;				/* this site has Exit = yes */
	bool have_exit_map;			/* mg_exit pinned: active flags are known */
	__u64 exit_moves[MG_EXIT_MOVE__MAX];	/* the daemon's exit moves by reason */
	size_t n_exits;
	struct status_exit exits[MG_MAX_EXIT_VIA];
	char wg_if[IF_NAMESIZE];
	char pin_path[PATH_MAX];
	bool have_maps;				/* mg_peer_stats + mg_peer_info pinned */
	bool have_stats;			/* mg_stats pinned */
	struct mg_counter stats[MG_STAT__MAX];
	int n_ifaces;				/* NICs in mg_ifaces: how each is handled */
	struct dp_iface_entry ifaces[MG_MAX_IFACES];
	bool have_fo_map;			/* mg_failover pinned (the daemon ran) */
	bool daemon_fresh;			/* some record written in the last 1 s */
	uint64_t fo_updated_ns;			/* newest record's updated_ns */
	bool have_wg;				/* the WireGuard device answered */
	const char *wg_backend;			/* "kernel" / "userspace" / NULL */
	char wg_error[96];			/* why not, when !have_wg */
	uint64_t mono_ns;			/* CLOCK_MONOTONIC when gathered */
	int64_t real_ns;			/* CLOCK_REALTIME when gathered */
	size_t n_peers;
	struct status_peer *peers;		/* the mesh's other sites, then its clients,
						 * file order */
};

/* Gathers; 0 (see the flags for what was found) or -ENOMEM. Quiet: errors of
 * the pieces that are absent land in wg_error / the flags, not on stderr. */
int status_gather(const struct mg_config *c, struct status *s);
void status_free(struct status *s);

/* The label of a drop reason (include/meshgw_stats.h), NULL for unused slots. The
 * counters' names: dp_stat_desc (dataplane/dp_maps.h). */
const char *status_drop_name(unsigned int reason);
const char *status_health_name(unsigned int health);	/* "unknown" / "up" / "down" */
/* Monotonic timestamps of the maps converted to unix time (ns) with the clocks
 * sampled at gather time; 0 stays 0. */
int64_t status_mono_to_real(const struct status *s, uint64_t mono_ns);
