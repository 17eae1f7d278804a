/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Every map meshgw pins under PinPath, each named once. The maps themselves are
 * declared in bpf/lib/maps.h (the data plane's, in every object) and
 * bpf/mg_failover.bpf.c (the daemon's); libbpf pins each by its variable name.
 * Userspace generates from these lists the fds it holds (struct dp_fds), the
 * skeleton maps it takes them from (a name missing there does not compile), the
 * pins it opens and the pins `meshgw down` removes. selftests/unit/test_map_list.c
 * checks the other direction: every map the objects pin is listed here.
 *
 * X(name): the map mg_<name>, pinned as PinPath/mg_<name>. */
#pragma once

#define MG_DP_MAPS(X) \
	X(routes4) X(routes6) X(route_filter) X(dir4_l1) X(dir4_l2) X(route_leaf) \
	X(peer_stats) X(peer_info) X(stats) \
	X(ep_stats) X(known_eps) X(probes) X(probe_ring) X(mesh_tag) X(attach) X(ifaces) X(if_slots) \
	X(exit) X(exit4) X(exit6) X(exit_stats) X(own_addr) X(local4)

/* Written by the failover daemon only (meshgw_state.h); read by show and metrics. */
#define MG_DAEMON_MAPS(X) X(failover)

#define MG_PINNED_MAPS(X) MG_DP_MAPS(X) MG_DAEMON_MAPS(X)

/* MG_MAP_ID_<name>: only so that MG_MAP_NAME checks its argument. */
enum mg_map_id {
#define MG_MAP_ID(name) MG_MAP_ID_##name,
	MG_PINNED_MAPS(MG_MAP_ID)
#undef MG_MAP_ID
	MG_MAP__COUNT,
};

/* The pin name of a listed map, "mg_<name>"; a name not in the lists does not
 * compile. A const char *, not a literal: join paths with "%s/%s". */
#define MG_MAP_NAME(name) ((void)MG_MAP_ID_##name, "mg_" #name)
