// SPDX-License-Identifier: GPL-2.0-only
/* Filling and switching the data plane's internet exit; see dp_exit.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "dataplane/dp_exit.h"
#include "dataplane/dp_fill.h"
#include "lib/grow.h"
#include "lib/log.h"

/* The default sources are this site's egress ranges: all of them fit, with the
 * ExitDestinations and the three default destinations. */
_Static_assert(MG_MAX_SITE_EGRESS + MG_MAX_EXIT_PREFIXES + 3 <= MG_MAX_EXIT_ENTRIES,
	       "the exit tries hold every source and destination");

/* One entry of a trie as the loader wants it: the key (struct mg_exit4_key or
 * mg_exit6_key, zero-padded) and its value. */
struct exit_kv {
	__u8 key[sizeof(struct mg_exit6_key)];
	__u32 take;
};

struct exit_set {
	struct exit_kv *v;
	size_t n, cap;
};

static int kv_cmp(const void *a, const void *b)
{
	return memcmp(((const struct exit_kv *)a)->key, ((const struct exit_kv *)b)->key,
		      sizeof(((struct exit_kv *)0)->key));
}

static int want(struct exit_set *v4, struct exit_set *v6, __u8 side, const struct prefix *p,
		__u32 take)
{
	struct exit_set *set = p->family == AF_INET ? v4 : v6;
	unsigned int bytes = p->family == AF_INET ? 4 : 16;
	struct exit_kv *e;
	__u8 *addr;

	if (grow_for_one((void **)&set->v, set->n, &set->cap, sizeof(*set->v), 16))
		return -ENOMEM;
	e = &set->v[set->n++];
	memset(e, 0, sizeof(*e));
	e->take = take;
	if (p->family == AF_INET) {
		struct mg_exit4_key *k = (void *)e->key;

		k->prefixlen = 8 + p->len;
		k->side = side;
		addr = k->addr;
	} else {
		struct mg_exit6_key *k = (void *)e->key;

		k->prefixlen = 8 + p->len;
		k->side = side;
		addr = k->addr;
	}
	/* host bits cleared: equal ranges compare equal */
	for (unsigned int i = 0, bits = p->len; i < bytes; i++, bits = bits >= 8 ? bits - 8 : 0)
		addr[i] = p->addr[i] & (bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits));
	return 0;
}

/* Makes the trie fd hold exactly the set: stale keys collected first (deleting
 * while walking can restart the walk), then deleted, then the set written. The
 * default sources are all of this site's egress ranges, maybe many: sorted, and
 * looked up by bsearch. */
static int trie_sync(int fd, const char *name, struct exit_set *set)
{
	struct exit_kv probe = { 0 }, *stale = NULL;
	size_t nstale = 0, cap = 0;
	__u8 key[sizeof(probe.key)];
	void *prev = NULL;
	int err = 0;

	if (set->n)
		qsort(set->v, set->n, sizeof(*set->v), kv_cmp);
	while (!bpf_map_get_next_key(fd, prev, probe.key)) {
		if (!set->n || !bsearch(&probe, set->v, set->n, sizeof(*set->v), kv_cmp)) {
			if (nstale == cap) {
				struct exit_kv *t = realloc(stale, (cap = cap ? cap * 2 : 16) * sizeof(*t));

				if (!t) {
					free(stale);
					return -ENOMEM;
				}
				stale = t;
			}
			stale[nstale++] = probe;
		}
		memcpy(key, probe.key, sizeof(key));
		prev = key;
	}
	for (size_t i = 0; i < nstale; i++)
		bpf_map_delete_elem(fd, stale[i].key);
	free(stale);
	for (size_t i = 0; i < set->n && !err; i++)
		if (bpf_map_update_elem(fd, set->v[i].key, &set->v[i].take, BPF_ANY)) {
			err = -errno;
			pr_err("Failed to update map %s: %s", name, strerror(errno));
		}
	return err;
}

int dp_sync_exit(const struct dp_fds *m, const struct mg_config *c, const uint32_t *idx)
{
	const struct mg_local *l = &c->local;
	struct exit_set v4 = { 0 }, v6 = { 0 };
	struct mg_exit x = { 0 }, old;
	__u32 zero = 0;
	int err = 0;

	/* The daemon's move counts survive an `up` (a reload runs one). */
	if (!bpf_map_lookup_elem(m->exit, &zero, &old))
		memcpy(x.moves, old.moves, sizeof(x.moves));
	if (l->n_exit_via) {
		static const struct prefix any4 = { .family = AF_INET }, any6 = { .family = AF_INET6 };
		const struct mg_site *via = mesh_find_site(&c->mesh, l->exit_via[0]);

		if (l->exit_sources.n)
			for (size_t i = 0; !err && i < l->exit_sources.n; i++)
				err = want(&v4, &v6, MG_EXIT_SRC, &l->exit_sources.p[i], 1);
		else
			for (size_t i = 0; !err && i < c->self->n_egress; i++)
				err = want(&v4, &v6, MG_EXIT_SRC, &c->self->egress[i], 1);
		if (l->exit_destinations.n) {
			for (size_t i = 0; !err && i < l->exit_destinations.n; i++)
				err = want(&v4, &v6, MG_EXIT_DST, &l->exit_destinations.p[i], 1);
		} else if (!err) {
			/* Everything but the mesh: the sites' ranges never get here
			 * (a mesh route matched first), the rest of the Network would. */
			err = want(&v4, &v6, MG_EXIT_DST, &any4, 1);
			if (!err)
				err = want(&v4, &v6, MG_EXIT_DST, &any6, 1);
			if (!err)
				err = want(&v4, &v6, MG_EXIT_DST, &c->mesh.network, 0);
		}
		x.peer = idx[via - c->mesh.sites];
		x.on = 1;
	}
	if (!err)
		err = trie_sync(m->exit4, MG_MAP_NAME(exit4), &v4);
	if (!err)
		err = trie_sync(m->exit6, MG_MAP_NAME(exit6), &v6);
	if (!err && bpf_map_update_elem(m->exit, &zero, &x, BPF_ANY)) {
		err = -errno;
		pr_err("Failed to update map %s: %s", MG_MAP_NAME(exit), strerror(errno));
	}
	free(v4.v);
	free(v6.v);
	return err;
}

int dp_exit_set(const struct dp_maps *m, __u32 peer, bool on, int move)
{
	struct mg_exit x = { 0 };
	__u32 zero = 0;

	if (m->fd.exit < 0)
		return -ENOENT;
	bpf_map_lookup_elem(m->fd.exit, &zero, &x);	/* the counts, kept */
	x.peer = peer;
	x.on = on;
	if (move >= 0 && move < MG_EXIT_MOVE__MAX)
		x.moves[move]++;
	return bpf_map_update_elem(m->fd.exit, &zero, &x, BPF_ANY) ? -errno : 0;
}

int dp_exit_get(const struct dp_maps *m, struct mg_exit *x)
{
	__u32 zero = 0;

	if (m->fd.exit < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(m->fd.exit, &zero, x) ? -errno : 0;
}

int dp_exit_stats(const struct dp_maps *m, __u32 peer, struct mg_exit_stats *out)
{
	struct mg_exit_stats *v;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (m->fd.exit_stats < 0)
		return -ENOENT;
	v = calloc(m->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->fd.exit_stats, &peer, v))
		ret = -errno;
	for (int c = 0; !ret && c < m->ncpus; c++) {
		out->tx_packets += v[c].tx_packets;
		out->tx_bytes += v[c].tx_bytes;
		out->rx_packets += v[c].rx_packets;
		out->rx_bytes += v[c].rx_bytes;
	}
	free(v);
	return ret;
}
