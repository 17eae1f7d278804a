// SPDX-License-Identifier: GPL-2.0-only
/* LPM trie diff with a safe order of writes (dp_lpm_sync.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "dataplane/dp_lpm_sync.h"
#include "dataplane/dp_read.h"
#include "lib/log.h"

static size_t g_ksize;

static int kv_cmp(const void *a, const void *b)
{
	return memcmp(((const struct dp_kv *)a)->key, ((const struct dp_kv *)b)->key, g_ksize);
}

static uint32_t plen(const uint8_t *key)
{
	uint32_t n;

	memcpy(&n, key, sizeof(n));
	return n;
}

static void step(const struct dp_sync_hook *hook)
{
	if (hook && hook->step)
		hook->step(hook->ctx);
}

/* v[0..n) in kv_cmp's order (memcmp of the first ksize key bytes): a byte-wise
 * radix sort, last byte first, skipping bytes every key shares (a prefix
 * length's upper three). qsort with a comparator was ~3 ms per 16,384 routes.
 * 0 or -ENOMEM. */
static int kv_sort(struct dp_kv *v, size_t n, size_t ksize)
{
	struct dp_kv *tmp = n > 1 ? malloc(n * sizeof(*tmp)) : NULL, *from = v, *to = tmp;

	if (n > 1 && !tmp)
		return -ENOMEM;
	for (size_t b = ksize; n > 1 && b-- > 0;) {
		size_t count[257] = { 0 };

		for (size_t i = 0; i < n; i++)
			count[from[i].key[b] + 1]++;
		if (count[from[0].key[b] + 1] == n)
			continue;	/* the same byte in every key */
		for (int c = 1; c <= 256; c++)
			count[c] += count[c - 1];
		for (size_t i = 0; i < n; i++)
			to[count[from[i].key[b]]++] = from[i];
		from = to;
		to = from == v ? tmp : v;
	}
	if (from != v)
		memcpy(v, from, n * sizeof(*v));
	free(tmp);
	return 0;
}

/* sel[0..n) (indices into v) ordered by prefix length, longest first (desc) or
 * shortest first, in place; a counting sort over the lengths an LPM key can have
 * (0..255 for these tries). 0 or -ENOMEM. */
static int by_len(const struct dp_kv *v, size_t *sel, size_t n, bool desc)
{
	size_t *tmp = malloc((n + 1) * sizeof(*tmp)), count[257] = { 0 };

	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		count[(plen(v[sel[i]].key) & 255) + 1]++;
	for (int l = 1; l <= 256; l++)
		count[l] += count[l - 1];
	for (size_t i = 0; i < n; i++) {
		size_t pos = count[plen(v[sel[i]].key) & 255]++;

		tmp[desc ? n - 1 - pos : pos] = sel[i];
	}
	memcpy(sel, tmp, n * sizeof(*sel));
	free(tmp);
	return 0;
}

/* What the trie holds now, sorted: in batches, or walked (kernels before 5.6). */
static long read_have(int fd, size_t ksize, size_t vsize, struct dp_kv **out)
{
	void *keys = NULL, *vals = NULL;
	long n = dp_map_read_all(fd, ksize, vsize, &keys, &vals);
	struct dp_kv *have = NULL;

	if (n == -EOPNOTSUPP) {
		uint8_t key[sizeof((*out)->key)], next[sizeof((*out)->key)];
		size_t cap = 64;
		void *prev = NULL;

		n = 0;
		have = malloc(cap * sizeof(*have));
		while (have && !bpf_map_get_next_key(fd, prev, next)) {
			if ((size_t)n == cap) {
				void *t = realloc(have, (cap *= 2) * sizeof(*have));

				if (!t) {
					free(have);
					have = NULL;
					break;
				}
				have = t;
			}
			memcpy(have[n].key, next, ksize);
			if (bpf_map_lookup_elem(fd, next, have[n].val))
				memset(have[n].val, 0xff, vsize);	/* gone meanwhile: rewritten */
			n++;
			memcpy(key, next, ksize);
			prev = key;
		}
		if (!have)
			n = -ENOMEM;
	} else if (n >= 0) {
		have = calloc((size_t)n + 1, sizeof(*have));
		for (long i = 0; have && i < n; i++) {
			memcpy(have[i].key, (char *)keys + i * ksize, ksize);
			memcpy(have[i].val, (char *)vals + i * vsize, vsize);
		}
		if (!have)
			n = -ENOMEM;
	}
	free(keys);
	free(vals);
	if (n < 0) {
		free(have);
		return n;
	}
	if (kv_sort(have, (size_t)n, ksize)) {
		free(have);
		return -ENOMEM;
	}
	*out = have;
	return n;
}

static uint32_t max_entries(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? UINT32_MAX : info.max_entries;
}

/* Deletes what have[0..nhave) holds and want does not, shortest prefix first
 * (none left to delete when called again). stale: scratch for nhave indices. */
static int delete_stale(int fd, const char *name, const struct dp_kv *want, size_t n,
			const struct dp_kv *have, size_t nhave, size_t *stale,
			const struct dp_sync_hook *hook)
{
	size_t nstale = 0;
	int err = 0;

	/* Both sorted: one walk (was a binary search each). */
	for (size_t i = 0, w = 0; i < nhave; i++) {
		int c = 1;

		while (w < n && (c = kv_cmp(&want[w], &have[i])) < 0)
			w++;
		if (w == n || c)
			stale[nstale++] = i;
	}
	if ((err = by_len(have, stale, nstale, false)))
		return err;
	for (size_t j = 0; !err && j < nstale; j++) {
		if (bpf_map_delete_elem(fd, have[stale[j]].key) && errno != ENOENT) {
			err = -errno;
			pr_err("Failed to delete a stale entry of map %s: %s", name, strerror(errno));
		}
		step(hook);
	}
	return err;
}

int dp_lpm_sync(int fd, const char *name, struct dp_kv *want, size_t n, size_t ksize,
		size_t vsize, int (*between)(void *ctx), void *ctx, const struct dp_sync_hook *hook)
{
	struct dp_kv *have = NULL;
	size_t *put = NULL, *stale = NULL, nput = 0;
	bool stale_gone = false;
	long nhave;
	int err;

	if (ksize > sizeof(want->key) || vsize > sizeof(want->val))
		return -EINVAL;
	g_ksize = ksize;
	if ((err = kv_sort(want, n, ksize)))
		return err;
	nhave = read_have(fd, ksize, vsize, &have);
	if (nhave < 0) {
		pr_err("Failed to read map %s: %s", name, strerror((int)-nhave));
		return (int)nhave;
	}
	put = malloc((n + 1) * sizeof(*put));
	stale = malloc(((size_t)nhave + 1) * sizeof(*stale));
	err = put && stale ? 0 : -ENOMEM;
	/* Upserts: the wanted entries missing or with another value (both sorted:
	 * one walk). */
	for (size_t i = 0, h = 0; !err && i < n; i++) {
		int c = 1;

		while (h < (size_t)nhave && (c = kv_cmp(&have[h], &want[i])) < 0)
			h++;
		if (h == (size_t)nhave || c || memcmp(have[h].val, want[i].val, vsize))
			put[nput++] = i;
	}
	if (!err)
		err = by_len(want, put, nput, true);
	/* The safe order holds old and new entries at once for a moment: when the
	 * trie has no room for that, stale entries go first (the order before it),
	 * and a packet may meanwhile miss a route that is moving. */
	if (!err && (size_t)nhave + nput > max_entries(fd)) {
		size_t nnew = 0;

		for (size_t j = 0; j < nput; j++)
			nnew += !bsearch(&want[put[j]], have, (size_t)nhave, sizeof(*have), kv_cmp);
		if ((size_t)nhave + nnew > max_entries(fd)) {
			pr_warn("Map %s: %ld entries held and %zu new exceed its %u: stale entries are "
				"removed first, a moment without them", name, nhave, nnew, max_entries(fd));
			err = delete_stale(fd, name, want, n, have, (size_t)nhave, stale, hook);
			stale_gone = true;
		}
	}
	for (size_t j = 0; !err && j < nput; j++) {
		if (bpf_map_update_elem(fd, want[put[j]].key, want[put[j]].val, BPF_ANY)) {
			err = -errno;
			pr_err("Failed to update map %s: %s", name, strerror(errno));
		}
		step(hook);
	}
	if (!err && between)
		err = between(ctx);
	if (!err && !stale_gone)
		err = delete_stale(fd, name, want, n, have, (size_t)nhave, stale, hook);
	free(put);
	free(stale);
	free(have);
	return err;
}
