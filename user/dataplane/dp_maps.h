/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading (and, for the daemon, updating) the data plane's pinned maps by name
 * under PinPath, so any process — the daemon, `show`, `metrics` — sees the same
 * numbers `bpftool map dump pinned` shows. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "meshgw_bpf.h"
#include "meshgw_maps.h"

/* An fd per data-plane map (include/meshgw_maps.h), the loader's (from the
 * skeleton) and the readers' (from the pins) alike. */
struct dp_fds {
#define DP_FD(name) int name;
	MG_DP_MAPS(DP_FD)
#undef DP_FD
};

struct dp_reader;
struct ring_buffer;

/* A sum of mg_stats counters as dp_stats_moved last read it. */
struct dp_stats_watch {
	__u64 seen;		/* the sum at the last call */
	__u8 state;		/* 0 never read, 1 unchanged, 2 had moved */
};

struct dp_maps {
	struct dp_fds fd;	/* -1 = absent */
	int ncpus;
	struct dp_reader *rd;	/* batch buffers, watched endpoints, peer table; NULL until used */
	struct dp_stats_watch replies;	/* dp_probes_recorded() */
	struct dp_stats_watch traffic;	/* dp_traffic_moved() */
	struct ring_buffer *probe_rb;	/* dp_probe_ring.c's; NULL until drained */
	void *probe_sink;
	struct dp_stats_watch unqueued;	/* dp_probe_ring_overflowed() */
};

/* Did the packets of the counters which[0..n) (summed over CPUs) move since the
 * last call with w? 1 also for one more call after a move: each is a plain
 * per-CPU increment after what it counts was written (a record, a peer's
 * counters), which a weakly ordered CPU may show first; a call later it is not.
 * 1 on the first call, 0 when unchanged, -errno when a counter cannot be read
 * (and the next call counts as a first). */
int dp_stats_moved(struct dp_maps *m, struct dp_stats_watch *w, const enum mg_stat *which, size_t n);

/* The name of counter s (include/meshgw_stats.h) as `show -j` and the test
 * helpers print it ("xdp_wireguard"), its metric family and label (xdp,
 * wireguard) and what it counts. */
struct dp_stat_desc {
	const char *name, *prog, *verdict, *help;
};
extern const struct dp_stat_desc dp_stat_desc[MG_STAT__MAX];

/* A struct dp_maps with nothing open (every fd -1), for a dp_maps_close that may
 * come before any dp_maps_open: `struct dp_maps m = DP_MAPS_NONE;`. */
#define DP_FD_NONE(name) .name = -1,
#define DP_MAPS_NONE { .fd = { MG_DP_MAPS(DP_FD_NONE) } }

/* Opens what is pinned under pin_path. 0 when the core maps are there, -ENOENT
 * when the data plane is not up. */
int dp_maps_open(struct dp_maps *m, const char *pin_path);
void dp_maps_close(struct dp_maps *m);

/* Index of a site in mg_peer_info, or -ENOENT (or another -errno). The map is
 * read into a sorted table at the first call after dp_maps_open; later calls
 * check their hit with one lookup and read the map again on a miss. */
int dp_peer_index(struct dp_maps *m, const char *site);
/* A used slot of mg_peer_info. */
struct dp_peer_slot {
	char name[MG_PEER_NAME_LEN];	/* as in the map: NUL-padded */
	__u32 index;
};
/* The used slots of mg_peer_info, in slot order, into *out (malloc'd, the
 * caller frees it): read in place from the mapped array, or else by one batch
 * lookup of every slot, or a lookup per slot on a kernel without batch lookups
 * of arrays (before 5.6). The one reader of that map: dp_peer_index and the
 * loader use it. Their number, or -errno. */
long dp_peer_slots(int fd, struct dp_peer_slot **out);
/* Sum over CPUs. 0 or -errno. */
int dp_peer_stats(const struct dp_maps *m, __u32 peer, struct mg_peer_stats *out);
int dp_stat(const struct dp_maps *m, enum mg_stat s, struct mg_counter *out);
/* The NICs of mg_ifaces (how each is handled, see dp_iface.h), sorted by name:
 * the number read (at most max), or -errno. */
struct dp_iface_entry {
	__u32 ifindex;
	struct mg_iface v;
};
int dp_ifaces(const struct dp_maps *m, struct dp_iface_entry *out, int max);

/* An endpoint's address as the maps key it (IPv4 mapped), and its port in host order. */
void dp_ep_key(struct mg_ep_key *k, const struct sockaddr_storage *sa);
__u16 dp_sa_port(const struct sockaddr_storage *sa);
int dp_ep_stats(const struct dp_maps *m, const struct sockaddr_storage *sa, struct mg_ep_stats *out);
int dp_probe_stats(const struct dp_maps *m, const struct sockaddr_storage *sa,
		   struct mg_probe_stats *out);
/* Lets the XDP program answer probes from this address (a re-resolved endpoint). */
int dp_known_ep_add(const struct dp_maps *m, const struct sockaddr_storage *sa, __u32 peer);

/* The daemon reads every peer's counters every 50 ms: one batch lookup per map
 * (bpf_map_lookup_batch) instead of a syscall per peer and per endpoint. */

/* mg_peer_stats of peers [0, n), summed over CPUs; *out stays valid until the
 * next call or dp_maps_close. 0 or -errno. */
int dp_peer_stats_range(struct dp_maps *m, __u32 n, const struct mg_peer_stats **out);

/* The endpoints dp_ep_stats_each reports, under the caller's ids: reset with
 * room for n (0 or -ENOMEM), then add each (AF_UNSPEC ones are skipped). */
int dp_watch_reset(struct dp_maps *m, size_t n);
void dp_watch_add(struct dp_maps *m, const struct sockaddr_storage *sa, __u32 id);

/* Calls fn for every watched endpoint at address k (of any port). */
void dp_watch_find(const struct dp_maps *m, const struct mg_ep_key *k,
		   void (*fn)(__u32 id, void *ctx), void *ctx);

/* Reads all of mg_ep_stats and calls fn for every watched endpoint whose address
 * has an entry (once per endpoint: two endpoints on one address both get it).
 * 0, or -errno (-EINVAL: dp_watch_reset was never called). */
int dp_ep_stats_each(struct dp_maps *m,
		     void (*fn)(__u32 id, const struct mg_ep_stats *es, void *ctx), void *ctx);

/* Has the data plane recorded a probe reply since the previous call, or the one
 * before? Two reads of per-CPU counts of replies (MG_STAT_XDP_PROBE_REPLY and
 * MG_STAT_TC_PROBE_REPLY, each counted after the record is written). true when
 * it cannot tell. */
bool dp_probes_recorded(struct dp_maps *m);

/* Can a per-peer counter the daemon watches have moved since the previous call,
 * or the one before? Every increment of mg_peer_stats' rx/tx packets and of
 * mg_ep_stats is followed by one of MG_STAT_TC_WG_TX, MG_STAT_TC_WG_RX,
 * MG_STAT_XDP_WG or MG_STAT_TC_WG: when their sum stands still, so do those.
 * Four reads of per-CPU counts instead of reading every peer's. true when it
 * cannot tell. */
bool dp_traffic_moved(struct dp_maps *m);
