/* SPDX-License-Identifier: GPL-2.0-only */
/* Filling the route maps of the BPF tests and benchmarks the way the loader
 * does (same key, filter and table functions), one "a.b.c.d/n" or "x::/n" at a
 * time, then test_routes_commit. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane/dataplane.h"
#include "dataplane/dp_dir4.h"
#include "dataplane/dp_fill.h"
#include "lib/prefix.h"

struct test_routes {
	int fd4, fd6;				/* mg_routes4, mg_routes6 */
	uint32_t filter[MG_ROUTE_FILTER_LEN];	/* to write into mg_route_filter */
	struct dp_route4 *v4;			/* the IPv4 routes so far, for the tables */
	size_t n4, cap4;
};

static int test_route_add(struct test_routes *t, const char *cidr, uint32_t peer, uint32_t kind)
{
	struct mg_route r = { .peer = peer, .kind = kind };
	struct prefix p;
	int rc;

	if (prefix_parse(&p, cidr, false))
		return -1;
	if (p.family == AF_INET) {
		struct mg_lpm4_key k;

		if (t->n4 == t->cap4) {
			void *n = realloc(t->v4, (t->cap4 = t->cap4 ? 2 * t->cap4 : 64) * sizeof(*t->v4));

			if (!n)
				return -1;
			t->v4 = n;
		}
		t->v4[t->n4++] = (struct dp_route4){
			.addr = (uint32_t)p.addr[0] << 24 | p.addr[1] << 16 | p.addr[2] << 8 | p.addr[3],
			.len = p.len, .route = r };
		dp_lpm4_key(&k, &p);
		rc = bpf_map_update_elem(t->fd4, &k, &r, BPF_ANY);
	} else {
		struct mg_lpm6_key k;

		dp_lpm6_key(&k, &p);
		rc = bpf_map_update_elem(t->fd6, &k, &r, BPF_ANY);
	}
	if (rc)
		fprintf(stderr, "# route %s: map update failed\n", cidr);
	else
		dp_route_filter_add(t->filter, &p);
	return rc;
}

static uint32_t test_route_mask(uint32_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

/* By prefix, then latest added first (the index is in route.peer's place
 * meanwhile: see test_routes_commit). */
static int test_route_cmp(const void *a, const void *b)
{
	const struct dp_route4 *x = a, *y = b;
	uint32_t mx = x->addr & test_route_mask(x->len), my = y->addr & test_route_mask(y->len);

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (mx != my)
		return mx < my ? -1 : 1;
	return x->route.peer > y->route.peer ? -1 : x->route.peer < y->route.peer;
}

/* The filter and the IPv4 tables of obj's maps, from the routes added (a later
 * route of the same prefix wins, as in the trie). 0 or -errno. */
static int test_routes_commit(struct test_routes *t, const struct bpf_object *obj)
{
	int err = dp_route_filter_write(bpf_object__find_map_fd_by_name(obj, "mg_route_filter"),
					t->filter);
	struct dp_route4 *s = calloc(t->n4 + 1, sizeof(*s)), *u = calloc(t->n4 + 1, sizeof(*u));
	size_t n = 0;

	if (!err && (!s || !u))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < t->n4; i++) {
		s[i] = t->v4[i];
		s[i].route.peer = (uint32_t)i;
	}
	if (!err)
		qsort(s, t->n4, sizeof(*s), test_route_cmp);
	for (size_t i = 0; !err && i < t->n4; i++) {
		if (n && u[n - 1].len == s[i].len &&
		    !((u[n - 1].addr ^ s[i].addr) & test_route_mask(s[i].len)))
			continue;
		u[n] = s[i];
		u[n++].route = t->v4[s[i].route.peer].route;
	}
	if (!err)
		err = dp_routes4_sync(t->fd4, bpf_object__find_map_fd_by_name(obj, "mg_dir4_l1"),
				      bpf_object__find_map_fd_by_name(obj, "mg_dir4_l2"),
				      bpf_object__find_map_fd_by_name(obj, "mg_route_leaf"), u, n, NULL);
	free(s);
	free(u);
	return err;
}
