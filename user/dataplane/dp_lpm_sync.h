/* SPDX-License-Identifier: GPL-2.0-only */
/* An LPM trie brought to a wanted set of entries, by diff (entries already right
 * are not touched, their values not rewritten), in an order that never answers
 * an address with anything but its old or its new longest match. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "dataplane/dp_dir4.h"

/* One entry: an LPM key (its first 4 bytes the prefix length, host order) of at
 * most 20 bytes (an IPv6 key) and a value of at most 12. Small on purpose: a
 * sync holds three arrays of every route (wanted, held, sorting), and at 16,384
 * routes each page of them is a page fault. */
struct dp_kv {
	uint8_t key[20];
	uint8_t val[12];
};
_Static_assert(sizeof(struct mg_lpm6_key) <= sizeof(((struct dp_kv *)0)->key), "an LPM key fits");
_Static_assert(sizeof(struct mg_route) <= sizeof(((struct dp_kv *)0)->val), "a route fits");

/* Makes the trie fd (named name in messages) hold exactly want[0..n) (keys ksize
 * bytes, values vsize bytes; want is sorted in place). Order: new and changed
 * entries longest prefix first, then between(ctx) when given (it may fail the
 * sync: its -errno is returned, and nothing stale is deleted), then stale
 * entries shortest prefix first. Why that order is safe: while the upserts run,
 * an address whose new longest match is already written finds it (nothing
 * longer that is new can be missing: those went first) or finds its old match;
 * while the deletes run, a stale entry is still there only if every stale one
 * longer than it is. The order needs room for the old and the new entries at
 * once: when the trie's max_entries has none, stale entries go first (with a
 * warning: a moving route is missed for a moment). hook (tests) sees every
 * single write. 0 or -errno. */
int dp_lpm_sync(int fd, const char *name, struct dp_kv *want, size_t n, size_t ksize,
		size_t vsize, int (*between)(void *ctx), void *ctx, const struct dp_sync_hook *hook);
