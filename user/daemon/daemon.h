/* meshgw run: the site's daemon. One thread, one epoll loop: a 10 ms timerfd
 * drives probes and failover decisions, a signalfd takes SIGHUP (reload) and
 * SIGTERM/SIGINT (exit, leaving the data path up). */
#pragma once
#include <stdbool.h>
#include "config/config.h"
#include "dataplane/dp_iface.h"
#include "meshgw_probe.h"
#include "dataplane/dp_maps.h"
#include "failover/failover.h"
#include "config/resolve.h"
#include "wg/wg_backend.h"

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
	struct daemon_peer *peers;
	size_t n_peers;
	uint64_t next_counters_ns, next_publish_ns, next_wgsync_ns, next_ifaces_ns;
	uint8_t if_mac[MG_XDP_IFACES][6];	/* LAN, uplink: what XDP was given */
	unsigned int if_index[MG_XDP_IFACES];	/* their index then; 0 = gone */
	struct dp_iface_watch fast_path;	/* which NICs XDP may transmit into */
	bool wg_missing;			/* the wg device was missing at the last check */
	struct http_metrics *http;		/* GET /metrics, NULL = Metrics not set */
	bool stop;
};

/* Brings the gateway up and runs until SIGTERM/SIGINT. Returns the exit code. */
int daemon_run(const char *mesh_path, const char *local_path);
