/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to the daemon (the files of daemon/): its state, its rhythm, and what
 * each file does for the loop in daemon.c. Not for other modules. */
#pragma once
#include <stdbool.h>
#include "config/config.h"
#include "config/resolve.h"
#include "dataplane/dataplane.h"
#include "dataplane/dp_iface.h"
#include "dataplane/dp_maps.h"
#include "failover/failover.h"
#include "failover/fo_exit.h"
#include "failover/probe_batch.h"
#include "gateway/steer.h"
#include "lib/clock.h"
#include "lib/timerq.h"
#include "observe/metrics.h"
#include "wg/wg_backend.h"
#include "meshgw_probe.h"

#define TICK_NS (10 * MS)		/* decisions and probe scheduling: the grid
					 * of ticks, each run only when due (sched.c) */
#define COUNTERS_NS (50 * MS)		/* data-plane counters */
#define PUBLISH_NS (250 * MS)		/* mg_failover records for show/metrics */
#define WGSYNC_NS (1000 * MS)		/* WireGuard's own endpoint (roaming) */
#define IFACES_NS (1000 * MS)		/* the wg device and the NICs XDP runs on... */
#define IFACES_RETRY_NS (30000 * MS)	/* ...and after a failed reload for one */
#define RESOLVE_NS (30000 * MS)		/* hostnames re-resolved this often... */
#define RESOLVE_TROUBLE_NS (2000 * MS)	/* ...and this often while a peer is in trouble */

struct daemon_peer {
	const struct mg_site *site;
	struct fo_peer fo;
	struct sockaddr_storage addr[FO_MAX_ENDPOINTS];	/* resolved candidates */
	struct resolve_req res[FO_MAX_ENDPOINTS];
	uint64_t last_resolve_ns;
	uint64_t next_resolve_ns;			/* 0 = look up now */
	enum fo_ep_state logged_state[FO_MAX_ENDPOINTS];	/* last state logged */
	bool roam_seen;					/* WireGuard is on a non-candidate */
	int dp_index;					/* slot in mg_peer_info, -1 = none */
	/* Candidate i of fo is a path: the site's endpoint path_ep[i] through our
	 * uplink path_uplink[i], in (uplink, endpoint) preference order. With one
	 * uplink, path i is endpoint i through it (paths.c). */
	uint8_t path_ep[FO_MAX_ENDPOINTS];
	uint8_t path_uplink[FO_MAX_ENDPOINTS];
	unsigned int n_site_ep;				/* the site's endpoints used */
	unsigned int decided;				/* this tick's decision (actions.c) */
	enum fo_reason decided_why;
	/* uplink_fail.c: until when a path through uplink u is down while its
	 * endpoint answers through another uplink (0: none) */
	uint64_t down_until[MG_MAX_UPLINKS];
};

/* sched.c: when each peer is next due, and this tick's due peers */
struct sched {
	struct timerq q;		/* peer n's next due time */
	uint64_t *due;			/* bitmap: handled this tick */
	uint64_t *awaits;		/* bitmap: an endpoint awaits a reply */
	uint64_t *dirty;		/* bitmap: handled since the last publish */
	size_t publish_next;		/* publish.c's refresh cursor */
	size_t words;			/* of each bitmap */
	uint64_t tick0, tick_ns;	/* the grid's origin; the tick being run */
	uint64_t armed;			/* the tick the timerfd is set to */
	bool in_tick;
};

struct daemon {
	struct mg_config cfg;
	const char *mesh_path, *local_path;
	const struct wg_backend *be;
	struct fo_settings fo;
	struct dp_maps maps;
	uint8_t tag[MG_PROBE_TAG_LEN];
	int epfd, timerfd, sigfd, state_fd;
	int probe_fd[MG_PROBE_PORTS];		/* endpoint i's probes leave from ProbePort + i */
	struct probe_batch probes;		/* this tick's, sent together (actions.c) */
	struct daemon_peer *peers;
	size_t n_peers;
	size_t n_peers_no_dp;			/* of them, without a data-plane slot */
	uint64_t next_counters_ns, next_publish_ns, next_wgsync_ns, next_ifaces_ns;
	uint8_t if_mac[DATAPLANE_NICS][6];	/* LAN, uplinks: what XDP was given */
	unsigned int if_index[DATAPLANE_NICS];	/* their index then; 0 = gone */
	struct dp_iface_watch fast_path;	/* which NICs XDP may transmit into */
	bool wg_missing;			/* the wg device was missing at the last check */
	bool lan_reapply;			/* netfilter's change still to be applied (watch.c) */
	struct http_metrics *http;		/* GET /metrics, NULL = Metrics not set */
	struct metrics_daemon minfo;		/* what it serves besides the gateway's */
	struct fo_exit exit;			/* the internet exit (exit.c)... */
	char exit_via[FO_MAX_EXITS][MG_NAME_MAX];	/* ...for this ExitVia list */
	size_t n_exit_via;
	uint64_t next_exit_check_ns;
	/* several uplinks (paths.c): the uplinks as last looked up, meshgw's table,
	 * and each uplink's probe sockets (path (u, e) probes from uplink_fd[u][e % 8]) */
	struct steer steer;
	struct nl_sock steer_nl;
	bool steer_on;
	int uplink_fd[MG_MAX_UPLINKS][MG_PROBE_PORTS];
	bool uplink_dead[MG_MAX_UPLINKS];
	uint64_t uplink_reply_ns[MG_MAX_UPLINKS];	/* newest reply through each... */
	size_t uplink_n_down[MG_MAX_UPLINKS];		/* ...peers with a down_until there */
	bool uplinks_stale;				/* those from every peer again */
	uint64_t next_steer_ns;
	/* two gateways at one site (ha_guard.c): the address events, a socket to set
	 * the link, and whether the guard took the link down */
	struct mnl_socket *ha_ev;
	struct nl_sock ha_nl;
	bool ha_held_down;
	/* the gateway's own non-mesh addresses (own_addr.c): address and route events */
	struct mnl_socket *own_ev;
	struct sched sched;
	/* mg_probe_ring (inputs.c): its records predate this map opening (dropped
	 * unread, mg_probes read whole instead); the watched endpoints that map its
	 * records to peers could not be set up (mg_probes read as before) */
	bool probe_ring_stale, watch_failed;
	bool stop;
};

/* Endpoint i of peer n, as dp_maps reports it back. */
#define EP_ID(n, i) ((__u32)((n) * FO_MAX_ENDPOINTS + (i)))

/* peers.c: the peer list */
int peers_start(struct daemon *d, const struct daemon_peer *old, size_t n_old);
void peers_free(struct daemon_peer *peers, size_t n);
void peers_watch_endpoints(struct daemon *d);
/* publish.c: the peers' records into mg_failover for show and metrics */
void peers_publish(struct daemon *d, uint64_t now);

/* inputs.c: what the daemon reads */
void read_counters(struct daemon *d, uint64_t now);
void read_probe_replies(struct daemon *d, uint64_t now);
void drain_probe_socket(struct daemon *d, int fd);
void follow_wireguard(struct daemon *d, bool at_start);

/* actions.c: what it does for each peer */
void act_on_peers(struct daemon *d, uint64_t now);
int daemon_set_endpoint(struct daemon *d, struct daemon_peer *p, unsigned int i);

/* exit.c: the internet exit through another site, moved like an endpoint */
void exit_tick(struct daemon *d, uint64_t now);
/* paths.c: several uplinks (one uplink: every function is the identity or a no-op) */
unsigned int paths_layout(const struct daemon *d, struct daemon_peer *p);
int paths_start(struct daemon *d);
void paths_stop(struct daemon *d);
void paths_refresh(struct daemon *d, uint64_t now);
int path_probe_fd(const struct daemon *d, const struct daemon_peer *p, unsigned int i);
int path_uplink_of_fd(const struct daemon *d, int fd);
bool path_reply_in_map(const struct daemon *d, const struct daemon_peer *p, unsigned int i);
int path_choose(struct daemon *d, const struct daemon_peer *p, unsigned int i);
char *path_str(const struct daemon *d, const struct daemon_peer *p, unsigned int i, char *buf,
	       size_t len);
void switch_to(struct daemon *d, struct daemon_peer *p, unsigned int to, enum fo_reason why,
	       uint64_t now);

/* uplink_fail.c: several uplinks, one of ours dead (one uplink: no-ops) */
void paths_forget(struct daemon *d);	/* a new peer list: everything again */
void paths_uplink_failure(struct daemon *d, uint64_t now);
uint64_t paths_next_due(const struct daemon *d);
bool path_uplink_dead(const struct daemon *d, const struct daemon_peer *p, unsigned int i);

/* ha_guard.c: with HaAddress, the WireGuard link is up only on the VRRP master */
int ha_guard_start(struct daemon *d);
int ha_guard_fd(const struct daemon *d);
void ha_guard_event(struct daemon *d);
void ha_guard_check(struct daemon *d);
void ha_guard_stop(struct daemon *d);
/* own_addr.c: mg_own_addr follows the box's addresses and default routes */
int own_addr_watch_start(struct daemon *d);
int own_addr_watch_fd(const struct daemon *d);
void own_addr_watch_event(struct daemon *d);
void own_addr_watch_stop(struct daemon *d);
void own_addr_sync(struct daemon *d);
/* sched.c: which peers a tick handles (issue 17) */
int sched_reset(struct daemon *d);
void sched_free(struct sched *s);
void sched_touch(struct daemon *d, size_t n);	/* an input changed peer n */
void sched_tick_start(struct daemon *d, uint64_t now);
void sched_collect(struct daemon *d, uint64_t now);
size_t sched_next(const struct daemon *d, size_t n);	/* next due peer >= n */
/* next peer >= n that is due, or awaits a reply when `awaiting` */
size_t sched_next_read(const struct daemon *d, size_t n, bool awaiting);
size_t sched_next_dirty(const struct daemon *d, size_t n);	/* next dirty peer >= n */
void sched_clean(struct daemon *d);			/* no peer dirty */
void sched_done(struct daemon *d, uint64_t now, bool all_next);
void sched_tick_end(struct daemon *d);
int sched_arm(struct daemon *d);		/* the timerfd to the next tick due */
uint64_t exit_next_due(const struct daemon *d);	/* exit.c */

/* watch.c: the watchers */
void remember_ifaces(struct daemon *d);
void stop_taken_down(struct daemon *d);
int check_ifaces(struct daemon *d);
int wireguard_gone(struct daemon *d);
int restore_wireguard(struct daemon *d);
void watch_fast_path(struct daemon *d);
