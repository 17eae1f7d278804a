// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/sockaddr.h"
#include "wg/wg_reconcile.h"

static int prefix_cmp(const void *a, const void *b)
{
	const struct prefix *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	if (x->len != y->len)
		return x->len - y->len;
	return memcmp(x->addr, y->addr, x->family == AF_INET ? 4 : 16);
}

void wg_prefixes_sort(struct prefix *v, size_t n)
{
	qsort(v, n, sizeof(*v), prefix_cmp);
}

void wg_prefixes_match(const struct prefix *a, size_t na, const struct prefix *b, size_t nb,
		       bool *a_in_b, bool *b_in_a)
{
	size_t i = 0, j = 0;

	memset(a_in_b, 0, na * sizeof(*a_in_b));
	memset(b_in_a, 0, nb * sizeof(*b_in_a));
	while (i < na && j < nb) {
		int c = prefix_cmp(&a[i], &b[j]);

		if (c > 0) {
			j++;
			continue;
		}
		if (!c)
			a_in_b[i] = b_in_a[j] = true;
		i++;	/* (a repeat in a meets the same b[j]) */
	}
	/* a repeat in b, stepped over: as its first */
	for (size_t k = 1; k < nb; k++)
		b_in_a[k] |= b_in_a[k - 1] && !prefix_cmp(&b[k], &b[k - 1]);
}

/* Peers sorted by public key, so the diff of 1,000 peers is not 1,000,000 memcmp. */
static int peer_ptr_cmp(const void *a, const void *b)
{
	const struct wg_peer *const *x = a, *const *y = b;

	return memcmp((*x)->public_key, (*y)->public_key, WG_KEY_LEN);
}

static const struct wg_peer **peer_index(const struct wg_device *d)
{
	const struct wg_peer **v = malloc((d->n_peers + 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < d->n_peers; i++)
		v[i] = &d->peers[i];
	qsort(v, d->n_peers, sizeof(*v), peer_ptr_cmp);
	return v;
}

static const struct wg_peer *peer_lookup(const struct wg_peer **idx, size_t n,
					  const uint8_t key[WG_KEY_LEN])
{
	struct wg_peer k;
	const struct wg_peer *kp = &k, *const *r;

	if (!n)
		return NULL;
	memcpy(k.public_key, key, WG_KEY_LEN);
	r = bsearch(&kp, idx, n, sizeof(*idx), peer_ptr_cmp);
	return r ? *r : NULL;
}

/* Same set of allowed IPs, whatever the order (the kernel reports trie order). */
static int allowed_equal(const struct wg_peer *a, const struct wg_peer *b, bool *eq)
{
	struct prefix *x, *y;

	*eq = false;
	if (a->n_allowed != b->n_allowed)
		return 0;
	if (!a->n_allowed) {
		*eq = true;
		return 0;
	}
	x = malloc(a->n_allowed * sizeof(*x));
	y = malloc(b->n_allowed * sizeof(*y));
	if (!x || !y) {
		free(x);
		free(y);
		return -ENOMEM;
	}
	memcpy(x, a->allowed, a->n_allowed * sizeof(*x));
	memcpy(y, b->allowed, b->n_allowed * sizeof(*y));
	wg_prefixes_sort(x, a->n_allowed);
	wg_prefixes_sort(y, b->n_allowed);
	*eq = true;
	for (size_t i = 0; i < a->n_allowed && *eq; i++)
		*eq = !prefix_cmp(&x[i], &y[i]);
	free(x);
	free(y);
	return 0;
}

static int copy_allowed(struct wg_peer *dst, const struct wg_peer *src)
{
	for (size_t i = 0; i < src->n_allowed; i++) {
		int ret = wg_peer_add_allowed(dst, &src->allowed[i]);

		if (ret)
			return ret;
	}
	return 0;
}

int wg_diff(const struct wg_device *want, const struct wg_device *have, struct wg_device *change)
{
	const struct wg_peer **want_idx = peer_index(want), **have_idx = peer_index(have);
	int n = 0, ret;

	memset(change, 0, sizeof(*change));
	if (!want_idx || !have_idx) {
		free(want_idx);
		free(have_idx);
		return -ENOMEM;
	}
	memcpy(change->name, want->name, sizeof(change->name));
	if (memcmp(want->private_key, have->private_key, WG_KEY_LEN)) {
		memcpy(change->private_key, want->private_key, WG_KEY_LEN);
		change->flags |= WG_DEV_SET_PRIVATE_KEY;
		n++;
	}
	if (want->listen_port != have->listen_port) {
		change->listen_port = want->listen_port;
		change->flags |= WG_DEV_SET_LISTEN_PORT;
		n++;
	}
	if (want->fwmark != have->fwmark) {
		change->fwmark = want->fwmark;
		change->flags |= WG_DEV_SET_FWMARK;
		n++;
	}
	for (size_t i = 0; i < have->n_peers; i++) {
		struct wg_peer *p;

		if (peer_lookup(want_idx, want->n_peers, have->peers[i].public_key))
			continue;
		p = wg_device_add_peer(change);
		if (!p)
			goto nomem;
		memcpy(p->public_key, have->peers[i].public_key, WG_KEY_LEN);
		p->flags = WG_PEER_REMOVE;
		n++;
	}
	for (size_t i = 0; i < want->n_peers; i++) {
		const struct wg_peer *w = &want->peers[i];
		const struct wg_peer *h = peer_lookup(have_idx, have->n_peers, w->public_key);
		uint32_t flags = 0;
		bool same_ips = false;
		struct wg_peer *p;

		if (h) {
			if (memcmp(w->preshared_key, h->preshared_key, WG_KEY_LEN))
				flags |= WG_PEER_SET_PSK;
			if (w->endpoint.sa.sa_family && !sockaddr_same(&w->endpoint.sa, &h->endpoint.sa))
				flags |= WG_PEER_SET_ENDPOINT;
			if (w->keepalive != h->keepalive)
				flags |= WG_PEER_SET_KEEPALIVE;
			ret = allowed_equal(w, h, &same_ips);
			if (ret)
				goto fail;
			if (!same_ips)
				flags |= WG_PEER_REPLACE_ALLOWEDIPS;
			if (!flags)
				continue;
		} else {
			flags = WG_PEER_REPLACE_ALLOWEDIPS | WG_PEER_SET_KEEPALIVE;
			if (!key_is_zero(w->preshared_key))
				flags |= WG_PEER_SET_PSK;
			if (w->endpoint.sa.sa_family)
				flags |= WG_PEER_SET_ENDPOINT;
		}
		p = wg_device_add_peer(change);
		if (!p)
			goto nomem;
		memcpy(p->public_key, w->public_key, WG_KEY_LEN);
		p->flags = flags;
		if (flags & WG_PEER_SET_PSK)
			memcpy(p->preshared_key, w->preshared_key, WG_KEY_LEN);
		p->endpoint = w->endpoint;
		p->keepalive = w->keepalive;
		if (flags & WG_PEER_REPLACE_ALLOWEDIPS) {
			ret = copy_allowed(p, w);
			if (ret)
				goto fail;
		}
		n++;
	}
	free(want_idx);
	free(have_idx);
	return n;
nomem:
	ret = -ENOMEM;
fail:
	free(want_idx);
	free(have_idx);
	wg_device_free(change);
	return ret;
}
