#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "dp_maps.h"

static int open_pin(const char *dir, const char *name)
{
	char path[PATH_MAX + 32];	/* PinPath + "/" + a map name */

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_get(path);
}

int dp_maps_open(struct dp_maps *m, const char *raw_pin_path)
{
	char pin_path[PATH_MAX];

	/* Where dataplane_up pinned them (the host's bpffs under ip netns exec). */
	if (dataplane_pin_resolve(raw_pin_path, pin_path, sizeof(pin_path)))
		snprintf(pin_path, sizeof(pin_path), "%s", raw_pin_path);
	m->peer_stats = open_pin(pin_path, MG_MAP_PEER_STATS);
	m->peer_info = open_pin(pin_path, MG_MAP_PEER_INFO);
	m->stats = open_pin(pin_path, MG_MAP_STATS);
	m->ep_stats = open_pin(pin_path, MG_MAP_EP_STATS);
	m->known_eps = open_pin(pin_path, MG_MAP_KNOWN_EPS);
	m->probes = open_pin(pin_path, MG_MAP_PROBES);
	m->ncpus = libbpf_num_possible_cpus();
	if (m->peer_stats < 0 || m->peer_info < 0 || m->ncpus <= 0) {
		dp_maps_close(m);
		return -ENOENT;
	}
	return 0;
}

void dp_maps_close(struct dp_maps *m)
{
	int *fds[] = { &m->peer_stats, &m->peer_info, &m->stats, &m->ep_stats, &m->known_eps,
		       &m->probes };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int dp_peer_index(const struct dp_maps *m, const char *site)
{
	struct mg_peer_info info;

	for (__u32 i = 0; i < MG_MAX_PEERS; i++) {
		if (bpf_map_lookup_elem(m->peer_info, &i, &info))
			return -errno;
		if (!strncmp(info.name, site, sizeof(info.name)))
			return (int)i;
	}
	return -ENOENT;
}

int dp_peer_stats(const struct dp_maps *m, __u32 peer, struct mg_peer_stats *out)
{
	struct mg_peer_stats *v = calloc(m->ncpus, sizeof(*v));
	int ret = 0;

	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(m->peer_stats, &peer, v)) {
		ret = -errno;
		goto out;
	}
	for (int c = 0; c < m->ncpus; c++) {
		out->rx_packets += v[c].rx_packets;
		out->rx_bytes += v[c].rx_bytes;
		out->tx_packets += v[c].tx_packets;
		out->tx_bytes += v[c].tx_bytes;
		out->lan_packets += v[c].lan_packets;
		out->lan_bytes += v[c].lan_bytes;
		for (int d = 0; d < MG_DROP__MAX; d++)
			out->drops[d] += v[c].drops[d];
	}
out:
	free(v);
	return ret;
}

int dp_stat(const struct dp_maps *m, enum mg_stat s, struct mg_counter *out)
{
	struct mg_counter *v = calloc(m->ncpus, sizeof(*v));
	__u32 key = s;
	int ret = 0;

	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (m->stats < 0 || bpf_map_lookup_elem(m->stats, &key, v))
		ret = m->stats < 0 ? -ENOENT : -errno;
	for (int c = 0; !ret && c < m->ncpus; c++) {
		out->packets += v[c].packets;
		out->bytes += v[c].bytes;
	}
	free(v);
	return ret;
}

void dp_ep_key(struct mg_ep_key *k, const struct sockaddr_storage *sa)
{
	memset(k, 0, sizeof(*k));
	k->family = (__u8)sa->ss_family;
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;

		k->addr[10] = k->addr[11] = 0xff;
		memcpy(&k->addr[12], &s->sin_addr, 4);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;

		memcpy(k->addr, &s->sin6_addr, 16);
	}
}

__u16 dp_sa_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

int dp_ep_stats(const struct dp_maps *m, const struct sockaddr_storage *sa, struct mg_ep_stats *out)
{
	struct mg_ep_key k;

	dp_ep_key(&k, sa);
	if (m->ep_stats < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(m->ep_stats, &k, out) ? -errno : 0;
}

int dp_probe_stats(const struct dp_maps *m, const struct sockaddr_storage *sa,
		   struct mg_probe_stats *out)
{
	struct mg_probe_key k;
	struct mg_ep_key ek;

	dp_ep_key(&ek, sa);
	memset(&k, 0, sizeof(k));
	memcpy(k.addr, ek.addr, sizeof(k.addr));
	k.family = ek.family;
	k.port = dp_sa_port(sa);
	if (m->probes < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(m->probes, &k, out) ? -errno : 0;
}

int dp_known_ep_add(const struct dp_maps *m, const struct sockaddr_storage *sa, __u32 peer)
{
	struct mg_ep_key k;

	dp_ep_key(&k, sa);
	if (m->known_eps < 0)
		return -ENOENT;
	return bpf_map_update_elem(m->known_eps, &k, &peer, BPF_ANY) ? -errno : 0;
}
