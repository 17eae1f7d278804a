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
		size_t cap = p->cap_allowed ? 2 * p->cap_allowed : 8;
		struct prefix *a = realloc(p->allowed, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		p->allowed = a;
		p->cap_allowed = cap;
	}
	p->allowed[p->n_allowed++] = *pfx;
	return 0;
}

struct wg_peer *wg_device_find_peer(const struct wg_device *d, const uint8_t key[WG_KEY_LEN])
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (!memcmp(d->peers[i].public_key, key, WG_KEY_LEN))
			return &d->peers[i];
	return NULL;
}

void wg_device_free(struct wg_device *d)
{
	for (size_t i = 0; i < d->n_peers; i++) {
		key_wipe(d->peers[i].preshared_key, WG_KEY_LEN);
		free(d->peers[i].allowed);
	}
	free(d->peers);
	key_wipe(d->private_key, WG_KEY_LEN);
	d->peers = NULL;
	d->n_peers = d->cap_peers = 0;
}
