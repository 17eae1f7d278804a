/* SPDX-License-Identifier: GPL-2.0-only */
/* Filling the route tries of the BPF tests and benchmarks the way the loader
 * does (same key and filter functions), one "a.b.c.d/n" or "x::/n" at a time. */
#pragma once
#include <stdio.h>
#include <bpf/bpf.h>
#include "dataplane/dataplane.h"
#include "lib/prefix.h"

struct test_routes {
	int fd4, fd6;				/* mg_routes4, mg_routes6 */
	uint32_t filter[MG_ROUTE_FILTER_LEN];	/* to write into mg_route_filter */
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
