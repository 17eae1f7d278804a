// SPDX-License-Identifier: GPL-2.0-only
/* The IPv4 route tables (user/dataplane/dp_dir4.c, bpf/lib/maps.h route_lookup4)
 * against a reference longest-prefix match computed here:
 *   - exactness: 262,144 random prefixes (a full trie: every length, clustered so
 *     that some /16s get chunks and the rest, past MG_DIR4_CHUNKS, fall back to the
 *     trie), 200,000 addresses read back through the mapped tables, and a sample
 *     through the BPF program itself (tc_wg egress counts the peer it finds);
 *   - the update order: old routes to new ones, the answer for every watched
 *     address checked after each single write (a cell, a trie entry) to be the
 *     old answer or the new one, never anything else; chunks never change owner
 *     within one sync; a second sync of the same routes writes nothing. */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tap.h"
#include "test_bpf_pkt.h"
#include "dataplane/dp_dir4.h"
#include "dataplane/dp_lpm_sync.h"
#include "tc_wg.skel.h"

#define TC_ACT_UNSPEC (-1)	/* how meshgw's programs hand a packet on (bpf/lib/net.h) */

static unsigned int seed = 17;
static int ncpus;

static uint32_t rnd(void)
{
	return (uint32_t)rand_r(&seed) << 16 ^ (uint32_t)rand_r(&seed);
}

static uint32_t mask(uint32_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

/* Routes sorted by (len, masked addr) for the reference lookup; unique prefixes. */
static int route_cmp(const void *a, const void *b)
{
	const struct dp_route4 *x = a, *y = b;
	uint32_t mx = x->addr & mask(x->len), my = y->addr & mask(y->len);

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return mx < my ? -1 : mx > my;
}

static size_t uniq(struct dp_route4 *r, size_t n)
{
	size_t k = 0;

	qsort(r, n, sizeof(*r), route_cmp);
	for (size_t i = 0; i < n; i++)
		if (!k || route_cmp(&r[k - 1], &r[i]))
			r[k++] = r[i];
	return k;
}

/* The reference: the longest of sorted routes r[0..n) containing addr, kind 0
 * when none. A binary search per length, longest first. */
static struct mg_route ref(const struct dp_route4 *r, size_t n, uint32_t addr)
{
	struct mg_route none = { 0 };

	for (int len = 32; len >= 0; len--) {
		struct dp_route4 k = { .addr = addr & mask(len), .len = len };
		const struct dp_route4 *f = bsearch(&k, r, n, sizeof(*r), route_cmp);

		if (f)
			return f->route;
	}
	return none;
}

static bool same(struct mg_route a, struct mg_route b)
{
	return a.kind == b.kind && (!a.kind || a.peer == b.peer);
}

/* n random routes in `spread` consecutive networks of length net_len from net:
 * lengths weighted to the /16../32 a mesh has, none shorter than net_len. */
static void gen(struct dp_route4 *r, size_t n, uint32_t net, uint32_t net_len, uint32_t spread)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t len = rnd() % 8 ? 16 + rnd() % 17 : rnd() % 16;
		uint32_t base = ((net >> (32 - net_len)) + rnd() % spread) << (32 - net_len);

		if (len < net_len)
			len = net_len;
		r[i].addr = base | (rnd() & ~mask(net_len));
		r[i].len = len;
		r[i].route.peer = rnd() % 1000;
		r[i].route.kind = rnd() % 4 ? MG_ROUTE_REMOTE : MG_ROUTE_SELF;
	}
}

/* An address near the routes: one of them with random host bits, or anywhere. */
static uint32_t near(const struct dp_route4 *r, size_t n)
{
	const struct dp_route4 *e = &r[rnd() % n];

	return rnd() % 8 ? (e->addr & mask(e->len)) | (rnd() & ~mask(e->len)) : rnd();
}

struct maps {
	int trie, l1, l2, leaf;
};

/* Peer p's tx_packets summed over CPUs. */
static uint64_t tx_of(int fd, uint32_t p)
{
	struct mg_peer_stats v[ncpus];
	uint64_t t = 0;

	if (bpf_map_lookup_elem(fd, &p, v))
		return UINT64_MAX;
	for (int i = 0; i < ncpus; i++)
		t += v[i].tx_packets;
	return t;
}

/* 200,000 addresses through the mapped tables, a sample through tc_wg egress
 * (counts tx for the peer of a remote route, nothing for our own or none). */
static void exactness(struct tc_wg_bpf *wg, const struct maps *m)
{
	size_t cap = MG_MAX_ROUTES, n;
	struct dp_route4 *r = calloc(cap, sizeof(*r));
	struct dp_dir4_maps t;
	int chunked = 0, trie = 0, bad = 0, bad_bpf = 0, sampled = 0;

	/* 64 first octets (64.0.0.0/2): 16,384 /16s, more than the chunks;
	 * duplicates dropped, then topped up until the trie is full. */
	n = 0;
	while (n < cap) {
		gen(r + n, cap - n, 64u << 24, 8, 64);
		n = uniq(r, cap);
	}
	/* The trie still holds the last generation of update_order: no room for
	 * old and new at once, so this also takes the stale-first way. */
	if (!ok(!dp_routes4_sync(m->trie, m->l1, m->l2, m->leaf, r, n, NULL),
		"%zu IPv4 routes written (trie full: MG_MAX_ROUTES = %d)", n, MG_MAX_ROUTES) ||
	    !ok(!dp_dir4_map(&t, m->l1, m->l2, m->leaf), "tables mapped")) {
		free(r);
		return;
	}
	for (int h = 0; h < 65536; h++) {
		chunked += (t.l1[h] & MG_DIR4_CHUNK) && t.l1[h] != MG_DIR4_TRIE;
		trie += t.l1[h] == MG_DIR4_TRIE;
	}
	/* The eight chunks update_order's routes held are let go by this sync and
	 * taken again only by a later one. */
	ok(chunked >= MG_DIR4_CHUNKS - 8 && trie > 0,
	   "every chunk taken (%d of %d; the 8 let go by this sync wait for the next), "
	   "%d /16s left to the trie", chunked, MG_DIR4_CHUNKS, trie);
	for (int i = 0; i < 200000; i++) {
		uint32_t a = near(r, n);

		if (!same(dp_dir4_lookup(&t, m->trie, a), ref(r, n, a)) && bad++ < 5)
			tap_diag("0x%08x: tables say peer %u kind %u, reference peer %u kind %u", a,
				 dp_dir4_lookup(&t, m->trie, a).peer, dp_dir4_lookup(&t, m->trie, a).kind,
				 ref(r, n, a).peer, ref(r, n, a).kind);
	}
	ok(!bad, "200,000 addresses: the tables answer as the reference longest match (%d differ)", bad);
	dp_dir4_unmap(&t);

	for (int i = 0; i < 3000; i++) {
		uint32_t a = near(r, n), ps = bpf_map__fd(wg->maps.mg_peer_stats);
		struct mg_route want = ref(r, n, a);
		char dst[INET_ADDRSTRLEN];
		struct in_addr ia = { .s_addr = htonl(a) };
		uint8_t in[512];
		struct pkt_spec s = { .family = 4, .src = "192.0.2.1", .dst = dst, .proto = 17,
				      .sport = 1, .dport = 2, .pl = PL_RAW, .pl_len = 18 };
		struct __sk_buff ctx = { .ifindex = 1 };
		size_t len;
		uint64_t before;

		inet_ntop(AF_INET, &ia, dst, sizeof(dst));
		len = pkt_build(in, &s);
		{
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len,
				    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

			before = want.kind == MG_ROUTE_REMOTE ? tx_of(ps, want.peer) : 0;
			if (bpf_prog_test_run_opts(bpf_program__fd(wg->progs.mg_tc_wg_egress), &o) ||
			    o.retval != (__u32)TC_ACT_UNSPEC) {
				bad_bpf++;
				continue;
			}
		}
		sampled++;
		if (want.kind == MG_ROUTE_REMOTE && tx_of(ps, want.peer) != before + 1 && bad_bpf++ < 5)
			tap_diag("%s: the program did not count peer %u", dst, want.peer);
	}
	ok(!bad_bpf && sampled == 3000,
	   "3,000 addresses through the BPF program: each remote one counted for its peer (%d wrong)",
	   bad_bpf);
	free(r);
}

/* The update-order check: after every single write, each watched address is
 * answered with its old route or its new one. */
struct watch {
	const struct maps *m;
	struct dp_dir4_maps t;
	const struct dp_route4 *o, *nw;
	size_t no, nn;
	uint32_t addr[256];
	int steps, wrong;
};

static void step(void *ctx)
{
	struct watch *w = ctx;

	w->steps++;
	for (size_t i = 0; i < sizeof(w->addr) / sizeof(w->addr[0]); i++) {
		uint32_t a = w->addr[i];
		struct mg_route got = dp_dir4_lookup(&w->t, w->m->trie, a);

		if (!same(got, ref(w->o, w->no, a)) && !same(got, ref(w->nw, w->nn, a)) &&
		    w->wrong++ < 5)
			tap_diag("step %d, 0x%08x: peer %u kind %u is neither the old nor the new route",
				 w->steps, a, got.peer, got.kind);
	}
}

/* Which /16 points at each chunk (-1: none), from the mapped l1. */
static void owners(const struct dp_dir4_maps *t, int32_t *own)
{
	for (int c = 0; c < MG_DIR4_CHUNKS; c++)
		own[c] = -1;
	for (int h = 0; h < 65536; h++)
		if ((t->l1[h] & MG_DIR4_CHUNK) && t->l1[h] != MG_DIR4_TRIE)
			own[t->l1[h] & ~MG_DIR4_CHUNK] = h;
}

static void update_order(const struct maps *m)
{
	static struct dp_route4 gens[4][250];
	static int32_t own0[MG_DIR4_CHUNKS], own1[MG_DIR4_CHUNKS];
	size_t n[4];
	struct watch w = { .m = m };
	struct dp_sync_hook hook = { .step = step, .ctx = &w };
	int moved = 0, err;

	/* Four generations in 10.0.0.0/12: each puts its longer prefixes into 4 of
	 * the 16 /16s and a few /12../15 over them, so prefixes come, go and change
	 * peer, /16s gain and lose chunks (taken, kept, let go, taken again) and
	 * cells turn to and from the trie. */
	for (int g = 0; g < 4; g++) {
		uint32_t pick[4];

		for (int i = 0; i < 4; i++)
			pick[i] = rnd() % 16;
		for (int i = 0; i < 250; i++)
			gen(&gens[g][i], 1, 0x0a000000 | pick[rnd() % 4] << 16, 16, 1);
		for (int i = 0; i < 12; i++)
			gen(&gens[g][i], 1, 0x0a000000, 12, 1), gens[g][i].len = 12 + rnd() % 4;
		n[g] = uniq(gens[g], 250);
	}
	if (!ok(!dp_routes4_sync(m->trie, m->l1, m->l2, m->leaf, gens[0], n[0], NULL) &&
		!dp_dir4_map(&w.t, m->l1, m->l2, m->leaf), "first generation written"))
		return;
	for (int g = 1; g < 4; g++) {
		w.o = gens[g - 1], w.no = n[g - 1];
		w.nw = gens[g], w.nn = n[g];
		for (size_t i = 0; i < sizeof(w.addr) / sizeof(w.addr[0]); i++)
			w.addr[i] = i % 2 ? near(w.o, w.no) : near(w.nw, w.nn);
		w.steps = w.wrong = 0;
		owners(&w.t, own0);
		err = dp_routes4_sync(m->trie, m->l1, m->l2, m->leaf, w.nw, w.nn, &hook);
		ok(!err && !w.wrong && w.steps > 0,
		   "generation %d: %d single writes, after each every one of 256 addresses has its old "
		   "or its new route (%d not)", g, w.steps, w.wrong);
		owners(&w.t, own1);
		for (int c = 0; c < MG_DIR4_CHUNKS; c++)
			moved += own0[c] >= 0 && own1[c] >= 0 && own0[c] != own1[c];
		w.steps = w.wrong = 0;
		w.o = w.nw, w.no = w.nn;
		step(&w);	/* and the end state is the new routes' */
		ok(!w.wrong, "generation %d: every address has its new route", g);
		w.steps = 0;
		err = dp_routes4_sync(m->trie, m->l1, m->l2, m->leaf, w.nw, w.nn, &hook);
		ok(!err && w.steps == 0, "generation %d written again: no write at all (%d)", g, w.steps);
	}
	ok(!moved, "no chunk went from one /16 to another within a sync (%d did)", moved);
	dp_dir4_unmap(&w.t);
}

static void count_step(void *ctx)
{
	++*(int *)ctx;
}

/* mg_routes6 (20-byte keys) through dp_lpm_sync: 3,000 random prefixes /16 to
 * /128, then a third removed, a third with another route, new ones added: the
 * trie holds exactly the wanted set, written with one write per difference, and
 * the same set again writes nothing. */
static void lpm6_sync(int fd)
{
	enum { N = 3000 };
	static struct dp_kv gen[2][N], back;
	size_t n[2] = { 0, 0 };
	int steps = 0, want_steps = 0, wrong = 0, held = 0;
	struct dp_sync_hook hook = { count_step, &steps };
	struct mg_lpm6_key k, next;
	void *prev = NULL;

	for (int g = 0; g < 2; g++)
		for (size_t i = 0; i < N; i++) {
			/* unique: the first 16 bits say which (generation, i) */
			struct mg_lpm6_key key = { .prefixlen = 16 + rnd() % 113,
						   .addr = { (uint8_t)((g * N + i) >> 8), (uint8_t)(g * N + i) } };
			struct mg_route r = { .peer = rnd() % 64, .kind = MG_ROUTE_REMOTE };

			if (g == 1 && i % 3 == 0) {
				gen[1][n[1]++] = gen[0][i];	/* kept */
				continue;
			}
			if (g == 1 && i % 3 == 1) {	/* kept, another route */
				memcpy(gen[1][n[1]].key, gen[0][i].key, sizeof(key));
				memcpy(gen[1][n[1]++].val, &r, sizeof(r));
				want_steps++;
				continue;
			}
			for (unsigned int b = 16; b < 128; b++)	/* no host bits: as the trie keeps them */
				if (b < key.prefixlen && rnd() & 1)
					key.addr[b / 8] |= (uint8_t)(0x80 >> (b % 8));
			memcpy(gen[g][n[g]].key, &key, sizeof(key));
			memcpy(gen[g][n[g]++].val, &r, sizeof(r));
			want_steps += g == 1 ? 2 : 0;	/* (g 1) one removed from gen 0, one added */
		}
	ok(!dp_lpm_sync(fd, "mg_routes6", gen[0], n[0], sizeof(struct mg_lpm6_key),
			sizeof(struct mg_route), NULL, NULL, NULL), "IPv6: %zu prefixes written", n[0]);
	steps = 0;
	ok(!dp_lpm_sync(fd, "mg_routes6", gen[1], n[1], sizeof(struct mg_lpm6_key),
			sizeof(struct mg_route), NULL, NULL, &hook), "IPv6: a third kept, a third changed, a third replaced");
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct mg_route v;
		bool found = false;

		held++;
		memcpy(&k, &next, sizeof(k));
		prev = &k;
		memcpy(back.key, &k, sizeof(k));
		for (size_t i = 0; i < n[1] && !found; i++)
			found = !memcmp(gen[1][i].key, back.key, sizeof(k)) &&
				!bpf_map_lookup_elem(fd, &k, &v) && !memcmp(gen[1][i].val, &v, sizeof(v));
		wrong += !found;
	}
	ok(!wrong && held == (int)n[1], "IPv6: the trie holds exactly the wanted set (%d held, %zu wanted, %d wrong)",
	   held, n[1], wrong);
	ok(steps > 0 && steps <= want_steps, "IPv6: one write per difference (%d writes, %d at most)",
	   steps, want_steps);
	steps = 0;
	ok(!dp_lpm_sync(fd, "mg_routes6", gen[1], n[1], sizeof(struct mg_lpm6_key),
			sizeof(struct mg_route), NULL, NULL, &hook) && steps == 0,
	   "IPv6: the same set again writes nothing (%d)", steps);
	ok(!dp_lpm_sync(fd, "mg_routes6", NULL, 0, sizeof(struct mg_lpm6_key),
			sizeof(struct mg_route), NULL, NULL, NULL) &&
	   bpf_map_get_next_key(fd, NULL, &next) == -ENOENT, "IPv6: all removed");
}

int main(void)
{
	struct tc_wg_bpf *wg;
	struct bpf_map *mp;
	struct maps m;

	if (geteuid())
		tap_skip_all("BPF_PROG_TEST_RUN needs root");
	ncpus = libbpf_num_possible_cpus();
	if (unshare(CLONE_NEWNET) || system("ip link set lo up"))
		tap_skip_all("cannot make a network namespace");
	wg = tc_wg_bpf__open();
	if (!ok(wg, "open tc_wg"))
		return tap_done();
	bpf_object__for_each_map(mp, wg->obj)
		bpf_map__set_pin_path(mp, NULL);
	wg->rodata->lan_ifindex = 1;
	wg->rodata->l3_off = 14;
	if (!ok(!tc_wg_bpf__load(wg), "load tc_wg"))
		return tap_done();
	m.trie = bpf_map__fd(wg->maps.mg_routes4);
	m.l1 = bpf_map__fd(wg->maps.mg_dir4_l1);
	m.l2 = bpf_map__fd(wg->maps.mg_dir4_l2);
	m.leaf = bpf_map__fd(wg->maps.mg_route_leaf);
	update_order(&m);
	exactness(wg, &m);
	lpm6_sync(bpf_map__fd(wg->maps.mg_routes6));
	{
		struct dp_route4 bad[2] = {
			{ .addr = 0x0b000000, .len = 8, .route = { .peer = 1, .kind = MG_ROUTE_REMOTE } },
			{ .addr = 0x0c000000, .len = 8, .route = { .peer = MG_MAX_PEERS, .kind = MG_ROUTE_REMOTE } },
		};
		struct mg_lpm4_key k = { .prefixlen = 8, .addr = { 11 } };
		struct mg_route v;

		ok(dp_routes4_sync(m.trie, m.l1, m.l2, m.leaf, bad, 2, NULL) == -EINVAL &&
		   bpf_map_lookup_elem(m.trie, &k, &v) && errno == ENOENT,
		   "a route with no leaf (peer %d): -EINVAL, and not even its good neighbour written",
		   MG_MAX_PEERS);
	}
	ok(!dp_routes4_sync(m.trie, m.l1, m.l2, m.leaf, NULL, 0, NULL), "all routes removed");
	{
		struct dp_dir4_maps t;
		int left = 0;
		struct mg_lpm4_key k;

		if (!dp_dir4_map(&t, m.l1, m.l2, m.leaf)) {
			for (int h = 0; h < 65536; h++)
				left += t.l1[h] != MG_DIR4_NONE;
			dp_dir4_unmap(&t);
		}
		ok(!left && bpf_map_get_next_key(m.trie, NULL, &k) == -ENOENT,
		   "no /16 cell and no trie entry left (%d cells)", left);
	}
	tc_wg_bpf__destroy(wg);
	return tap_done();
}
