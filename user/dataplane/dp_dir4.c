// SPDX-License-Identifier: GPL-2.0-only
/* The IPv4 route tables (dp_dir4.h): built from the route list by painting
 * prefixes shortest first (a longer one overwrites the cells it covers), written
 * cell by cell through mmap where they differ, in an order that never points at
 * a cell not yet written. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "dataplane/dp_dir4.h"
#include "dataplane/dp_lpm_sync.h"
#include "lib/log.h"

#define L1_CELLS (256 * MG_DIR4_CELLS)
#define L2_CELLS (MG_DIR4_CHUNKS * MG_DIR4_CELLS)

uint32_t dp_dir4_leaf_cell(const struct mg_route *r)
{
	if (r->peer >= MG_MAX_PEERS || (r->kind != MG_ROUTE_REMOTE && r->kind != MG_ROUTE_SELF))
		return MG_DIR4_NONE;
	return 1 + 2 * r->peer + (r->kind == MG_ROUTE_SELF);
}

/* fd mapped whole, after checking it is the array this build declares. */
static void *map_one(int fd, uint32_t value_size, uint32_t entries)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	void *p;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return NULL;
	if (info.type != BPF_MAP_TYPE_ARRAY || info.value_size != value_size ||
	    info.max_entries != entries || !(info.map_flags & BPF_F_MMAPABLE)) {
		pr_err("Map %s is not the table this meshgw declares (value %u bytes x %u, "
		       "mappable): `meshgw down` removes the old one", info.name, info.value_size,
		       info.max_entries);
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, (size_t)value_size * entries, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		pr_err("Failed to map %s: %s", info.name, strerror(errno));
		return NULL;
	}
	return p;
}

int dp_dir4_map(struct dp_dir4_maps *t, int l1_fd, int l2_fd, int leaf_fd)
{
	memset(t, 0, sizeof(*t));
	t->l1 = map_one(l1_fd, sizeof(struct mg_dir4_cells), 256);
	t->l2 = t->l1 ? map_one(l2_fd, sizeof(struct mg_dir4_cells), MG_DIR4_CHUNKS) : NULL;
	t->leaf = t->l2 ? map_one(leaf_fd, sizeof(struct mg_route), MG_ROUTE_LEAVES) : NULL;
	if (!t->leaf) {
		int err = errno ? -errno : -EINVAL;

		dp_dir4_unmap(t);
		return err;
	}
	return 0;
}

void dp_dir4_unmap(struct dp_dir4_maps *t)
{
	if (t->l1)
		munmap(t->l1, sizeof(uint32_t) * L1_CELLS);
	if (t->l2)
		munmap(t->l2, sizeof(uint32_t) * L2_CELLS);
	if (t->leaf)
		munmap(t->leaf, sizeof(struct mg_route) * MG_ROUTE_LEAVES);
	memset(t, 0, sizeof(*t));
}

/* One cell written whole (the programs read it with one load); release, so the
 * cells of a chunk are visible before the /16 cell that points at it. */
static void cell_set(uint32_t *c, uint32_t v, const struct dp_sync_hook *hook)
{
	if (*c == v)
		return;
	__atomic_store_n(c, v, __ATOMIC_RELEASE);
	if (hook && hook->step)
		hook->step(hook->ctx);
}

static uint32_t mask(uint32_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

/* The wanted tables: want1 (65536 /16 cells) and the chunks of want2 that
 * chunk_of names, chunk_of[/16] = its chunk or -1. A /16 that had a chunk keeps
 * it; others take chunks nobody used when the sync began (fresh); when none
 * is left the /16 asks the trie. r is ordered by length (by_len). used
 * (MG_DIR4_CHUNKS) and deep (65536) are zeroed scratch. */
static void build(const struct dp_dir4_maps *t, const struct dp_route4 *r, const size_t *by_len,
		  size_t n, uint32_t *want1, uint32_t *want2, int32_t *chunk_of, bool *fresh,
		  bool *used, bool *deep)
{
	uint32_t next = 0;

	/* The /16 cells: prefixes up to /16, shortest first. */
	for (size_t j = 0; j < n; j++) {
		const struct dp_route4 *e = &r[by_len[j]];
		uint32_t first, count;

		if (e->len > 16) {
			deep[e->addr >> 16] = true;
			continue;
		}
		first = (e->addr & mask(e->len)) >> 16;
		count = 1u << (16 - e->len);
		for (uint32_t i = 0; i < count; i++)
			want1[first + i] = dp_dir4_leaf_cell(&e->route);
	}
	/* Chunks: kept where a /16 has one, fresh (unused at the start) otherwise. */
	for (uint32_t h = 0; h < L1_CELLS; h++) {
		uint32_t c = t->l1[h];

		chunk_of[h] = -1;
		if ((c & MG_DIR4_CHUNK) && c != MG_DIR4_TRIE && (c & ~MG_DIR4_CHUNK) < MG_DIR4_CHUNKS)
			used[c & ~MG_DIR4_CHUNK] = true;
	}
	for (uint32_t h = 0; h < L1_CELLS; h++) {
		uint32_t c = t->l1[h];

		if (deep[h] && (c & MG_DIR4_CHUNK) && c != MG_DIR4_TRIE &&
		    (c & ~MG_DIR4_CHUNK) < MG_DIR4_CHUNKS)
			chunk_of[h] = (int32_t)(c & ~MG_DIR4_CHUNK);
	}
	for (uint32_t h = 0; h < L1_CELLS; h++) {
		if (!deep[h] || chunk_of[h] >= 0)
			continue;
		while (next < MG_DIR4_CHUNKS && used[next])
			next++;
		if (next == MG_DIR4_CHUNKS)
			break;
		chunk_of[h] = (int32_t)next;
		fresh[next] = true;
		used[next++] = true;
	}
	/* Each chunk starts as its /16 cell, then prefixes /17../24 shortest first;
	 * a /24 holding a longer prefix asks the trie. */
	for (uint32_t h = 0; h < L1_CELLS; h++)
		if (chunk_of[h] >= 0)
			for (uint32_t i = 0; i < MG_DIR4_CELLS; i++)
				want2[(uint32_t)chunk_of[h] * MG_DIR4_CELLS + i] = want1[h];
	for (size_t j = 0; j < n; j++) {
		const struct dp_route4 *e = &r[by_len[j]];
		uint32_t a = e->addr & mask(e->len), h = a >> 16, first, count, cell;

		if (e->len <= 16 || chunk_of[h] < 0)
			continue;
		first = (uint32_t)chunk_of[h] * MG_DIR4_CELLS + ((a >> 8) & 255);
		count = e->len <= 24 ? 1u << (24 - e->len) : 1;
		cell = e->len <= 24 ? dp_dir4_leaf_cell(&e->route) : MG_DIR4_TRIE;
		for (uint32_t i = 0; i < count; i++)
			want2[first + i] = cell;
	}
	for (uint32_t h = 0; h < L1_CELLS; h++)
		if (deep[h])
			want1[h] = chunk_of[h] >= 0 ? MG_DIR4_CHUNK | (uint32_t)chunk_of[h] : MG_DIR4_TRIE;
}

struct tables_job {
	const struct dp_dir4_maps *t;
	const struct dp_route4 *r;
	size_t n;
	const struct dp_sync_hook *hook;
};

/* Step 2 of dp_routes4_sync: between the trie's upserts and its deletes. */
static int tables_write(void *ctx)
{
	const struct tables_job *j = ctx;
	const struct dp_dir4_maps *t = j->t;
	uint32_t *want1 = calloc(L1_CELLS, sizeof(*want1));
	uint32_t *want2 = calloc(L2_CELLS, sizeof(*want2));
	int32_t *chunk_of = calloc(L1_CELLS, sizeof(*chunk_of));
	bool *fresh = calloc(MG_DIR4_CHUNKS, sizeof(*fresh));
	bool *used = calloc(MG_DIR4_CHUNKS, sizeof(*used)), *deep = calloc(L1_CELLS, sizeof(*deep));
	size_t *ord = malloc((j->n + 1) * sizeof(*ord)), count[34] = { 0 };
	int err = 0;

	if (!want1 || !want2 || !chunk_of || !fresh || !used || !deep || !ord) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < j->n; i++)	/* lengths checked by dp_routes4_sync */
		count[j->r[i].len + 1]++;
	for (int l = 1; l <= 33; l++)
		count[l] += count[l - 1];
	for (size_t i = 0; i < j->n; i++)
		ord[count[j->r[i].len]++] = i;
	build(t, j->r, ord, j->n, want1, want2, chunk_of, fresh, used, deep);
	/* The leaves first: their contents never change, a cell may name any. */
	for (uint32_t i = 0; i < MG_ROUTE_LEAVES; i++) {
		struct mg_route l = { .peer = i / 2, .kind = i & 1 ? MG_ROUTE_SELF : MG_ROUTE_REMOTE };

		if (memcmp(&t->leaf[i], &l, sizeof(l)))
			memcpy(&t->leaf[i], &l, sizeof(l));
	}
	/* Fresh chunks whole (nothing points at them yet), then kept ones cell by
	 * cell, then the /16 cells. */
	for (uint32_t c = 0; c < MG_DIR4_CHUNKS; c++)
		if (fresh[c])
			for (uint32_t i = 0; i < MG_DIR4_CELLS; i++)
				cell_set(&t->l2[c * MG_DIR4_CELLS + i], want2[c * MG_DIR4_CELLS + i], j->hook);
	for (uint32_t h = 0; h < L1_CELLS; h++)
		if (chunk_of[h] >= 0 && !fresh[chunk_of[h]])
			for (uint32_t i = 0; i < MG_DIR4_CELLS; i++) {
				uint32_t k = (uint32_t)chunk_of[h] * MG_DIR4_CELLS + i;

				cell_set(&t->l2[k], want2[k], j->hook);
			}
	for (uint32_t h = 0; h < L1_CELLS; h++)
		cell_set(&t->l1[h], want1[h], j->hook);
out:
	free(want1);
	free(want2);
	free(chunk_of);
	free(fresh);
	free(used);
	free(deep);
	free(ord);
	return err;
}

int dp_routes4_sync(int trie_fd, int l1_fd, int l2_fd, int leaf_fd, const struct dp_route4 *r,
		    size_t n, const struct dp_sync_hook *hook)
{
	struct dp_kv *want = calloc(n + 1, sizeof(*want));
	struct dp_dir4_maps t;
	struct tables_job job = { .t = &t, .r = r, .n = n, .hook = hook };
	int err;

	if (!want)
		return -ENOMEM;
	/* Checked before anything is written: no half-applied routes. */
	for (size_t i = 0; i < n; i++) {
		if (r[i].len > 32 || !dp_dir4_leaf_cell(&r[i].route)) {
			pr_err("IPv4 route 0x%08x/%u (peer %u, kind %u): not a route the tables hold",
			       r[i].addr, r[i].len, r[i].route.peer, r[i].route.kind);
			free(want);
			return -EINVAL;
		}
	}
	if ((err = dp_dir4_map(&t, l1_fd, l2_fd, leaf_fd))) {
		free(want);
		return err;
	}
	for (size_t i = 0; i < n; i++) {
		struct mg_lpm4_key k = { .prefixlen = r[i].len };
		uint32_t a = htonl(r[i].addr & mask(r[i].len));

		memcpy(k.addr, &a, 4);
		memcpy(want[i].key, &k, sizeof(k));
		memcpy(want[i].val, &r[i].route, sizeof(r[i].route));
	}
	err = dp_lpm_sync(trie_fd, "mg_routes4", want, n, sizeof(struct mg_lpm4_key),
			  sizeof(struct mg_route), tables_write, &job, hook);
	dp_dir4_unmap(&t);
	free(want);
	return err;
}

struct mg_route dp_dir4_lookup(const struct dp_dir4_maps *t, int trie_fd, uint32_t addr)
{
	struct mg_route none = { 0 }, r;
	uint32_t cell = __atomic_load_n(&t->l1[addr >> 16], __ATOMIC_ACQUIRE);

	if ((cell & MG_DIR4_CHUNK) && cell != MG_DIR4_TRIE) {
		if ((cell & ~MG_DIR4_CHUNK) >= MG_DIR4_CHUNKS)
			return none;
		cell = __atomic_load_n(&t->l2[(cell & ~MG_DIR4_CHUNK) * MG_DIR4_CELLS +
					      ((addr >> 8) & 255)], __ATOMIC_ACQUIRE);
	}
	if (cell == MG_DIR4_TRIE) {
		struct mg_lpm4_key k = { .prefixlen = 32 };
		uint32_t a = htonl(addr);

		memcpy(k.addr, &a, 4);
		return bpf_map_lookup_elem(trie_fd, &k, &r) ? none : r;
	}
	if (cell == MG_DIR4_NONE || cell - 1 >= MG_ROUTE_LEAVES)
		return none;
	return t->leaf[cell - 1];
}
