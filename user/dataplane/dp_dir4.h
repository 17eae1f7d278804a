/* SPDX-License-Identifier: GPL-2.0-only */
/* IPv4 routes as the programs classify them: the tables mg_dir4_l1 / mg_dir4_l2
 * (see MG_DIR4_CHUNKS in meshgw_bpf.h) in front of the trie mg_routes4, built
 * from the list of routes and brought to it without a moment in which a packet
 * gets a verdict that is neither the old routes' nor the new ones'. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "meshgw_bpf.h"

/* One IPv4 route: addr in host order (host bits may be set), len 0..32. */
struct dp_route4 {
	uint32_t addr;
	uint32_t len;
	struct mg_route route;
};

/* Tests watch every single write of a sync through this (NULL in the loader):
 * step is called after each cell store and each trie update or delete. */
struct dp_sync_hook {
	void (*step)(void *ctx);
	void *ctx;
};

/* The cell naming route r (1 + its leaf), or MG_DIR4_NONE when r's peer or kind
 * has no leaf. */
uint32_t dp_dir4_leaf_cell(const struct mg_route *r);

/* The three table maps mapped into this process. 0 or -errno (-EINVAL when a
 * map's size is not this build's). */
struct dp_dir4_maps {
	uint32_t *l1;			/* 65536 cells: [a >> 16] */
	uint32_t *l2;			/* MG_DIR4_CHUNKS * 256 cells: [chunk * 256 + (a >> 8 & 255)] */
	struct mg_route *leaf;		/* MG_ROUTE_LEAVES */
};
int dp_dir4_map(struct dp_dir4_maps *t, int l1_fd, int l2_fd, int leaf_fd);
void dp_dir4_unmap(struct dp_dir4_maps *t);

/* The IPv4 routes of the whole data plane: the trie routes4 and the tables hold
 * exactly r[0..n) afterwards. Order (each step leaves every address answered by
 * the old routes or the new ones, never anything else):
 *   1. trie: new and changed entries, longest prefix first;
 *   2. the leaves (fixed contents), then the chunks newly taken, filled whole
 *      before anything points at them, then the cells of chunks kept, then the
 *      /16 cells; a chunk let go is reused only by a later sync, so a packet that
 *      read the old /16 cell a moment before still finds the old contents there;
 *   3. trie: stale entries, shortest prefix first.
 * 0 or -errno. */
int dp_routes4_sync(int trie_fd, int l1_fd, int l2_fd, int leaf_fd, const struct dp_route4 *r,
		    size_t n, const struct dp_sync_hook *hook);

/* What the programs' route_lookup4 answers for addr (host order) from the mapped
 * tables, with the trie asked where a cell says so: the leaf's route, or kind 0
 * (no route). For tests. */
struct mg_route dp_dir4_lookup(const struct dp_dir4_maps *t, int trie_fd, uint32_t addr);
