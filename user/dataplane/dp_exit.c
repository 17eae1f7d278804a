// SPDX-License-Identifier: GPL-2.0-only
/* Filling and switching the data plane's internet exit; see dp_exit.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "dataplane/dp_exit.h"
#include "dataplane/dp_fill.h"
#include "lib/log.h"

struct exit_want {
	struct mg_exit4_key k4[MG_MAX_EXIT_ENTRIES];
	__u32 v4[MG_MAX_EXIT_ENTRIES];
	struct mg_exit6_key k6[MG_MAX_EXIT_ENTRIES];
	__u32 v6[MG_MAX_EXIT_ENTRIES];
	size_t n4, n6;
};

static void want(struct exit_want *w, __u8 side, const struct prefix *p, __u32 take)
{
	unsigned int bytes = p->family == AF_INET ? 4 : 16;
	__u8 *addr;

	if (p->family == AF_INET) {
		struct mg_exit4_key *k = &w->k4[w->n4];

		if (w->n4 >= MG_MAX_EXIT_ENTRIES)
			return;
		memset(k, 0, sizeof(*k));
		k->prefixlen = 8 + p->len;
		k->side = side;
		addr = k->addr;
		w->v4[w->n4++] = take;
	} else {
		struct mg_exit6_key *k = &w->k6[w->n6];

		if (w->n6 >= MG_MAX_EXIT_ENTRIES)
			return;
		memset(k, 0, sizeof(*k));
		k->prefixlen = 8 + p->len;
		k->side = side;
		addr = k->addr;
		w->v6[w->n6++] = take;
	}
	/* host bits cleared: equal ranges compare equal */
	for (unsigned int i = 0, bits = p->len; i < bytes; i++, bits = bits >= 8 ? bits - 8 : 0)
		addr[i] = p->addr[i] & (bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits));
}

/* Makes the trie fd hold exactly keys[0..n) -> vals: the lists are short (a few
 * dozen entries), so everything is read, stale keys deleted, the rest written. */
static int trie_sync(int fd, const char *name, const void *keys, const __u32 *vals, size_t n,
		     size_t ksize)
{
	__u8 key[32], next[32];
	void *prev = NULL;
	int err = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		bool keep = false;

		for (size_t i = 0; i < n && !keep; i++)
			keep = !memcmp((const __u8 *)keys + i * ksize, next, ksize);
		memcpy(key, next, ksize);
		if (!keep && bpf_map_delete_elem(fd, key) == 0)
			prev = NULL;	/* the walk restarts after a delete */
		else
			prev = key;
	}
	for (size_t i = 0; i < n && !err; i++)
		if (bpf_map_update_elem(fd, (const __u8 *)keys + i * ksize, &vals[i], BPF_ANY)) {
			err = -errno;
			pr_err("Failed to update map %s: %s", name, strerror(errno));
		}
	return err;
}

int dp_sync_exit(const struct dp_fds *m, const struct mg_config *c, const uint32_t *idx)
{
	const struct mg_local *l = &c->local;
	struct exit_want *w = calloc(1, sizeof(*w));
	struct mg_exit x = { 0 }, old;
	__u32 zero = 0;
	int err;

	if (!w)
		return -ENOMEM;
	/* The daemon's move counts survive an `up` (a reload runs one). */
	if (!bpf_map_lookup_elem(m->exit, &zero, &old))
		memcpy(x.moves, old.moves, sizeof(x.moves));
	if (l->n_exit_via) {
		static const struct prefix any4 = { .family = AF_INET }, any6 = { .family = AF_INET6 };
		const struct mg_site *via = mesh_find_site(&c->mesh, l->exit_via[0]);

		if (l->exit_sources.n)
			for (size_t i = 0; i < l->exit_sources.n; i++)
				want(w, MG_EXIT_SRC, &l->exit_sources.p[i], 1);
		else
			for (size_t i = 0; i < c->self->n_egress; i++)
				want(w, MG_EXIT_SRC, &c->self->egress[i], 1);
		if (l->exit_destinations.n) {
			for (size_t i = 0; i < l->exit_destinations.n; i++)
				want(w, MG_EXIT_DST, &l->exit_destinations.p[i], 1);
		} else {
			/* Everything but the mesh: the sites' ranges never get here
			 * (a mesh route matched first), the rest of the Network would. */
			want(w, MG_EXIT_DST, &any4, 1);
			want(w, MG_EXIT_DST, &any6, 1);
			want(w, MG_EXIT_DST, &c->mesh.network, 0);
		}
		x.peer = idx[via - c->mesh.sites];
		x.on = 1;
	}
	err = trie_sync(m->exit4, MG_MAP_NAME(exit4), w->k4, w->v4, w->n4, sizeof(w->k4[0]));
	if (!err)
		err = trie_sync(m->exit6, MG_MAP_NAME(exit6), w->k6, w->v6, w->n6, sizeof(w->k6[0]));
	if (!err && bpf_map_update_elem(m->exit, &zero, &x, BPF_ANY)) {
		err = -errno;
		pr_err("Failed to update map %s: %s", MG_MAP_NAME(exit), strerror(errno));
	}
	free(w);
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
