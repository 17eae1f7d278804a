/* Reading (and, for the daemon, updating) the data plane's pinned maps by name
 * under PinPath, so any process — the daemon, `show`, `metrics` — sees the same
 * numbers `bpftool map dump pinned` shows. */
#pragma once
#include <stdbool.h>
#include <sys/socket.h>
#include "meshgw_bpf.h"

struct dp_maps {
	int peer_stats, peer_info, stats, ep_stats, known_eps, probes;	/* -1 = absent */
	int ncpus;
};

/* Opens what is pinned under pin_path. 0 when the core maps are there, -ENOENT
 * when the data plane is not up. */
int dp_maps_open(struct dp_maps *m, const char *pin_path);
void dp_maps_close(struct dp_maps *m);

/* Index of a site in mg_peer_info, or -ENOENT. */
int dp_peer_index(const struct dp_maps *m, const char *site);
/* Sum over CPUs. 0 or -errno. */
int dp_peer_stats(const struct dp_maps *m, __u32 peer, struct mg_peer_stats *out);
int dp_stat(const struct dp_maps *m, enum mg_stat s, struct mg_counter *out);

/* An endpoint's address as the maps key it (IPv4 mapped), and its port in host order. */
void dp_ep_key(struct mg_ep_key *k, const struct sockaddr_storage *sa);
__u16 dp_sa_port(const struct sockaddr_storage *sa);
int dp_ep_stats(const struct dp_maps *m, const struct sockaddr_storage *sa, struct mg_ep_stats *out);
int dp_probe_stats(const struct dp_maps *m, const struct sockaddr_storage *sa,
		   struct mg_probe_stats *out);
/* Lets the XDP program answer probes from this address (a re-resolved endpoint). */
int dp_known_ep_add(const struct dp_maps *m, const struct sockaddr_storage *sa, __u32 peer);
