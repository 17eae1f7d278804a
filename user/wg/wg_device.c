// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wg/wg_device.h"

struct wg_peer *wg_device_add_peer(struct wg_device *d)
{
	if (d->n_peers == d->cap_peers) {
		size_t cap = d->cap_peers ? 2 * d->cap_peers : 16;
		struct wg_peer *p = realloc(d->peers, cap * sizeof(*p));

		if (!p)
			return NULL;
		d->peers = p;
		d->cap_peers = cap;
	}
	memset(&d->peers[d->n_peers], 0, sizeof(d->peers[0]));
	return &d->peers[d->n_peers++];
}

int wg_peer_add_allowed(struct wg_peer *p, const struct prefix *pfx)
{
	if (p->n_allowed == p->cap_allowed) {
		size_t cap = p->cap_allowed ? 2 * p->cap_allowed : 4;	/* a mesh address and a few ranges */
		struct prefix *a = realloc(p->allowed, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		p->allowed = a;
		p->cap_allowed = cap;
	}
	p->allowed[p->n_allowed++] = *pfx;
	return 0;
}

/* qsort_r / the lookup: positions compared by their peers' keys */
static int by_key_cmp(const void *a, const void *b, void *peers)
{
	const struct wg_peer *p = peers;

	return memcmp(p[*(const uint32_t *)a].public_key, p[*(const uint32_t *)b].public_key,
		      WG_KEY_LEN);
}

static int index_build(struct wg_device *d)
{
	uint32_t *v = realloc(d->by_key, (d->n_peers + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_peers; i++)
		v[i] = (uint32_t)i;
	qsort_r(v, d->n_peers, sizeof(*v), by_key_cmp, d->peers);
	d->by_key = v;
	d->n_by_key = d->n_peers;
	return 0;
}

struct wg_peer *wg_device_find_peer(struct wg_device *d, const uint8_t key[WG_KEY_LEN])
{
	size_t lo = 0, hi;

	if (d->n_by_key != d->n_peers && index_build(d)) {
		for (size_t i = 0; i < d->n_peers; i++)	/* no memory: the slow way */
			if (!memcmp(d->peers[i].public_key, key, WG_KEY_LEN))
				return &d->peers[i];
		return NULL;
	}
	hi = d->n_by_key;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(d->peers[d->by_key[mid]].public_key, key, WG_KEY_LEN);

		if (!c)
			return &d->peers[d->by_key[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void wg_device_free(struct wg_device *d)
{
	for (size_t i = 0; i < d->n_peers; i++) {
		key_wipe(d->peers[i].preshared_key, WG_KEY_LEN);
		free(d->peers[i].allowed);
	}
	free(d->peers);
	free(d->by_key);
	key_wipe(d->private_key, WG_KEY_LEN);
	d->peers = NULL;
	d->by_key = NULL;
	d->n_peers = d->cap_peers = d->n_by_key = 0;
}
