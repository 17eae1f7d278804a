// SPDX-License-Identifier: GPL-2.0-only
/* Filling the data plane's pinned maps from the configuration, by diff: add
 * what is missing, delete what is stale, leave the rest (and its counters). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane/dataplane.h"
#include "dataplane/dp_dir4.h"
#include "dataplane/dp_fill.h"
#include "dataplane/dp_lpm_sync.h"
#include "dataplane/dp_maps.h"
#include "dataplane/dp_read.h"
#include "lib/log.h"

/* A site's peer index is its slot in mg_peer_info and mg_peer_stats, and its
 * name is as long as a slot holds. */
_Static_assert(MG_MAX_SITES <= MG_MAX_PEERS, "every site of a mesh file has a peer slot");
_Static_assert(MG_NAME_MAX == MG_PEER_NAME_LEN, "a site name fits mg_peer_info, unchanged");

int dataplane_ep_key(struct mg_ep_key *k, const char *addr)
{
	memset(k, 0, sizeof(*k));
	if (inet_pton(AF_INET6, addr, k->addr) == 1) {
		k->family = AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, addr, k->addr + 12) == 1) {
		k->addr[10] = k->addr[11] = 0xff;
		k->family = AF_INET;
		return 0;
	}
	return -EINVAL;
}

/* Prefix -> trie key, host bits cleared so equal ranges compare equal. */
static void masked_copy(uint8_t *dst, const uint8_t *src, unsigned int bytes, unsigned int bits)
{
	for (unsigned int i = 0; i < bytes; i++, bits = bits >= 8 ? bits - 8 : 0)
		dst[i] = src[i] & (bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits));
}

void dp_lpm4_key(struct mg_lpm4_key *k, const struct prefix *p)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = p->len;
	masked_copy(k->addr, p->addr, 4, p->len);
}

void dp_lpm6_key(struct mg_lpm6_key *k, const struct prefix *p)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = p->len;
	masked_copy(k->addr, p->addr, 16, p->len);
}

/* Counts the first octets (IPv4, 0..255) or bytes (IPv6, 256..511) that
 * addresses in p can start with. */
void dp_route_filter_add(uint32_t f[MG_ROUTE_FILTER_LEN], const struct prefix *p)
{
	unsigned int len = p->len >= 8 ? 8 : p->len;
	unsigned int base = p->family == AF_INET ? 0 : 256;
	uint8_t first = p->addr[0] & (uint8_t)(0xff00 >> len);

	for (unsigned int i = 0; i < 1u << (8 - len); i++)
		f[base + first + i]++;
}

int dp_route_filter_write(int fd, const uint32_t f[MG_ROUTE_FILTER_LEN])
{
	uint32_t have[MG_ROUTE_FILTER_LEN];
	void *keys, *vals;
	long n = dp_map_read_all(fd, sizeof(uint32_t), sizeof(uint32_t), &keys, &vals);
	bool known = n == MG_ROUTE_FILTER_LEN;

	/* One batch lookup instead of one per slot, where the kernel has it. */
	for (long i = 0; known && i < n; i++) {
		uint32_t k = ((uint32_t *)keys)[i];

		if (k >= MG_ROUTE_FILTER_LEN)
			known = false;
		else
			have[k] = ((uint32_t *)vals)[i];
	}
	free(keys);
	free(vals);
	for (uint32_t i = 0; i < MG_ROUTE_FILTER_LEN; i++) {
		uint32_t cur;

		if (known ? have[i] == f[i] : !bpf_map_lookup_elem(fd, &i, &cur) && cur == f[i])
			continue;
		if (bpf_map_update_elem(fd, &i, &f[i], BPF_ANY)) {
			pr_err("Failed to update map %s: %s", MG_MAP_NAME(route_filter), strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int slot_cmp(const void *a, const void *b)
{
	return strncmp(((const struct dp_peer_slot *)a)->name, ((const struct dp_peer_slot *)b)->name,
		       MG_PEER_NAME_LEN);
}

/* Peer i of the mesh as the data plane names it: the sites, then the roaming
 * clients (names are unique across both: config_client.c). */
static const char *peer_name(const struct mg_mesh *mesh, size_t i)
{
	return i < mesh->n_sites ? mesh->sites[i].name : mesh->clients[i - mesh->n_sites].name;
}

#define BIT(b, n) ((b)[(n) / 64] & (1ULL << ((n) % 64)))
#define SET(b, n) ((b)[(n) / 64] |= 1ULL << ((n) % 64))
#define CLR(b, n) ((b)[(n) / 64] &= ~(1ULL << ((n) % 64)))

/* Gives every site and client a stable index: a peer keeps the slot it had (its
 * counters with it), new ones take free slots, removed ones' slots are cleared.
 * Only the used slots are read, and which slots are used or kept is a bitmap:
 * arrays of all 16,384 slots were most of this function's time in a no-op `up`
 * (memory to clear and fault in). */
int dp_assign_peers(const struct dp_fds *m, const struct mg_mesh *mesh, uint32_t *idx)
{
	static const struct mg_peer_info none;
	uint64_t used[MG_MAX_PEERS / 64] = { 0 }, keep[MG_MAX_PEERS / 64] = { 0 };
	struct dp_peer_slot *have = NULL;
	size_t next_free = 0;
	long nhave = 0;
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct mg_peer_stats *zero = ncpu > 0 ? calloc(ncpu, sizeof(*zero)) : NULL;
	size_t npeers = mesh->n_sites + mesh->n_clients;

	if (!zero) {
		err = -ENOMEM;
		goto out;
	}
	if (npeers > MG_MAX_PEERS) {
		pr_err("%zu sites and clients: the data plane holds at most %d", npeers, MG_MAX_PEERS);
		err = -E2BIG;
		goto out;
	}
	nhave = dp_peer_slots(m->peer_info, &have);
	if (nhave < 0) {
		err = (int)nhave;
		pr_err("Failed to read map %s: %s", MG_MAP_NAME(peer_info), strerror(-err));
		goto out;
	}
	for (long h = 0; h < nhave; h++)
		SET(used, have[h].index);
	qsort(have, (size_t)nhave, sizeof(*have), slot_cmp);
	for (size_t s = 0; s < npeers; s++) {
		struct dp_peer_slot k = { 0 }, *f;

		snprintf(k.name, sizeof(k.name), "%s", peer_name(mesh, s));
		f = bsearch(&k, have, (size_t)nhave, sizeof(*have), slot_cmp);
		idx[s] = f ? f->index : UINT32_MAX;
		if (f)
			SET(keep, f->index);
	}
	/* Clear removed sites first so their slots can be reused. */
	for (uint32_t i = 0; i < MG_MAX_PEERS; i++) {
		if (!BIT(used, i) || BIT(keep, i))
			continue;
		CLR(used, i);
		if (bpf_map_update_elem(m->peer_info, &i, &none, BPF_ANY) ||
		    bpf_map_update_elem(m->peer_stats, &i, zero, BPF_ANY)) {
			err = -errno;
			pr_err("Failed to clear peer slot %u: %s", i, strerror(errno));
			goto out;
		}
	}
	for (size_t s = 0; s < npeers; s++) {
		struct mg_peer_info pi = { 0 };

		if (idx[s] != UINT32_MAX)
			continue;
		while (next_free < MG_MAX_PEERS && (BIT(used, next_free) || BIT(keep, next_free)))
			next_free++;
		if (next_free == MG_MAX_PEERS) {
			err = -ENOSPC;
			pr_err("No free peer slot in map %s", MG_MAP_NAME(peer_info));
			goto out;
		}
		idx[s] = next_free;
		SET(keep, next_free);
		snprintf(pi.name, sizeof(pi.name), "%s", peer_name(mesh, s));
		/* A fresh slot starts from zero whatever an older run left. */
		if (bpf_map_update_elem(m->peer_stats, &idx[s], zero, BPF_ANY) ||
		    bpf_map_update_elem(m->peer_info, &idx[s], &pi, BPF_ANY)) {
			err = -errno;
			pr_err("Failed to write peer slot %u: %s", idx[s], strerror(errno));
			goto out;
		}
	}
out:
	free(have);
	free(zero);
	return err;
}

/* What the route maps should hold. */
struct route_set {
	struct dp_route4 *v4;
	struct dp_kv *v6;
	size_t n4, n6;
};

static void route_want(struct route_set *w, uint32_t *filter, const struct prefix *p,
		       const struct mg_route *r)
{
	if (p->family == AF_INET) {
		struct dp_route4 *e = &w->v4[w->n4++];

		e->addr = (uint32_t)p->addr[0] << 24 | p->addr[1] << 16 | p->addr[2] << 8 | p->addr[3];
		e->len = p->len;
		e->route = *r;
	} else {
		struct dp_kv *e = &w->v6[w->n6++];

		dp_lpm6_key((struct mg_lpm6_key *)e->key, p);
		memcpy(e->val, r, sizeof(*r));
	}
	dp_route_filter_add(filter, p);
}

/* Remote sites' mesh addresses and egress ranges and the clients' addresses
 * (REMOTE), our own egress ranges (SELF). Our own mesh address is not in the
 * trie: it is the wg device's, delivered locally. */
int dp_sync_routes(const struct dp_fds *m, const struct mg_config *c, const uint32_t *idx)
{
	const struct mg_mesh *mesh = &c->mesh;
	uint32_t filter[MG_ROUTE_FILTER_LEN] = { 0 };
	struct route_set w = { 0 };
	size_t cap = 1;
	int err = -ENOMEM;

	for (size_t s = 0; s < mesh->n_sites; s++)
		cap += 1 + mesh->sites[s].n_egress;
	cap += MG_MAX_CLIENT_ADDRS * mesh->n_clients;
	w.v4 = calloc(cap, sizeof(*w.v4));
	w.v6 = calloc(cap, sizeof(*w.v6));
	if (!w.v4 || !w.v6)
		goto out;
	for (size_t s = 0; s < mesh->n_sites; s++) {
		const struct mg_site *site = &mesh->sites[s];
		bool self = site == c->self;
		struct mg_route r = { .peer = idx[s], .kind = self ? MG_ROUTE_SELF : MG_ROUTE_REMOTE };

		if (!self && site->address.family)
			route_want(&w, filter, &site->address, &r);
		for (size_t e = 0; e < site->n_egress; e++)
			route_want(&w, filter, &site->egress[e], &r);
	}
	for (size_t k = 0; k < mesh->n_clients; k++) {
		const struct mg_client *cl = &mesh->clients[k];
		struct mg_route r = { .peer = idx[mesh->n_sites + k], .kind = MG_ROUTE_REMOTE };

		for (size_t a = 0; a < cl->n_address; a++)
			route_want(&w, filter, &cl->address[a], &r);
	}
	/* Filter first (IPv6 consults it): a route being added is never skipped (a
	 * stale one may be, a moment before it goes). Each family then in the order
	 * of dp_routes4_sync / dp_lpm_sync. */
	err = dp_route_filter_write(m->route_filter, filter);
	if (!err)
		err = dp_routes4_sync(m->routes4, m->dir4_l1, m->dir4_l2, m->route_leaf, w.v4, w.n4,
				      NULL);
	if (!err)
		err = dp_lpm_sync(m->routes6, MG_MAP_NAME(routes6), w.v6, w.n6,
				  sizeof(struct mg_lpm6_key), sizeof(struct mg_route), NULL, NULL, NULL);
out:
	free(w.v4);
	free(w.v6);
	return err;
}

/* `up` adds the literal endpoints and removes only entries of sites that are gone:
 * the daemon adds resolved hostnames to the same map, and a re-run of `up` must not
 * make the gateway stop answering them. */
static int ep_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct dp_known_ep *)a)->key, &((const struct dp_known_ep *)b)->key,
		      sizeof(struct mg_ep_key));
}

int dp_merge_known_eps(int fd, const struct dp_known_ep *eps, size_t n, const uint32_t *idx,
		       size_t nsites)
{
	struct dp_known_ep *have = NULL;
	struct mg_ep_key key, next;
	size_t nhave = 0, cap = 0;
	bool *live = calloc(MG_MAX_PEERS, sizeof(*live));
	void *keys = NULL, *vals = NULL, *prev = NULL;
	long nread;
	int err = 0;

	if (!live)
		return -ENOMEM;
	for (size_t s = 0; s < nsites; s++)
		if (idx[s] < MG_MAX_PEERS)
			live[idx[s]] = true;
	/* What the map holds: in batches, or (no batch lookups here) walked. */
	nread = dp_map_read_all(fd, sizeof(struct mg_ep_key), sizeof(uint32_t), &keys, &vals);
	if (nread >= 0) {
		have = calloc((size_t)nread + 1, sizeof(*have));
		for (long i = 0; have && i < nread; i++) {
			memcpy(&have[i].key, (char *)keys + i * sizeof(struct mg_ep_key), sizeof(have[i].key));
			memcpy(&have[i].peer, (char *)vals + i * sizeof(uint32_t), sizeof(have[i].peer));
		}
		nhave = have ? (size_t)nread : 0;
	} else if (nread == -EOPNOTSUPP) {
		while (!bpf_map_get_next_key(fd, prev, &next)) {
			if (nhave == cap) {
				void *t = realloc(have, (cap = cap ? 2 * cap : 64) * sizeof(*have));

				if (!t) {
					err = -ENOMEM;
					goto out;
				}
				have = t;
			}
			have[nhave].key = next;
			if (bpf_map_lookup_elem(fd, &next, &have[nhave].peer))
				have[nhave].peer = UINT32_MAX;
			nhave++;
			key = next;
			prev = &key;
		}
	} else {
		err = (int)nread;
		goto out;
	}
	if (nread >= 0 && !have) {
		err = -ENOMEM;
		goto out;
	}
	/* Entries of peers that are gone (whoever added them: up or the daemon). */
	for (size_t i = 0; i < nhave; i++)
		if (have[i].peer >= MG_MAX_PEERS || !live[have[i].peer])
			bpf_map_delete_elem(fd, &have[i].key);
	qsort(have, nhave, sizeof(*have), ep_cmp);
	for (size_t i = 0; i < n && !err; i++) {
		const struct dp_known_ep *h = bsearch(&eps[i], have, nhave, sizeof(*have), ep_cmp);

		if (h && h->peer == eps[i].peer)
			continue;	/* already there */
		if (bpf_map_update_elem(fd, &eps[i].key, &eps[i].peer, BPF_ANY)) {
			err = -errno;
			pr_err("Failed to update map %s: %s", MG_MAP_NAME(known_eps), strerror(errno));
		}
	}
out:
	free(have);
	free(keys);
	free(vals);
	free(live);
	return err;
}

/* Literal endpoints of the other sites; hostnames are added by the daemon once
 * resolved (dp_known_ep_add). */
int dp_known_from_config(const struct mg_config *c, const uint32_t *idx,
			 struct dp_known_ep **out, size_t *n)
{
	size_t cap = 0, k = 0;
	struct dp_known_ep *eps;

	for (size_t s = 0; s < c->mesh.n_sites; s++)
		cap += c->mesh.sites[s].n_endpoints;
	eps = calloc(cap ? cap : 1, sizeof(*eps));
	if (!eps)
		return -ENOMEM;
	for (size_t s = 0; s < c->mesh.n_sites; s++) {
		const struct mg_site *site = &c->mesh.sites[s];

		if (site == c->self)
			continue;
		for (size_t e = 0; e < site->n_endpoints; e++) {
			if (!site->endpoints[e].is_literal ||
			    dataplane_ep_key(&eps[k].key, site->endpoints[e].host))
				continue;
			eps[k++].peer = idx[s];
		}
	}
	*out = eps;
	*n = k;
	return 0;
}
