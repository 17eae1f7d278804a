// SPDX-License-Identifier: GPL-2.0-only
/* Checks across the whole mesh file: the mesh network against site addresses, every
 * kind of duplicate, and overlapping egress ranges. Each check sorts once and
 * compares neighbours, so a 1000-site mesh is checked in a few milliseconds.
 * Problems are collected, then reported in line order, naming both offenders. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config/config.h"
#include "config/config_issues.h"
#include "meshgw_bpf.h"

/* A site may fill a route trie alone, not more. */
_Static_assert(MG_MAX_SITE_EGRESS <= MG_MAX_ROUTES, "one site's egress ranges fit a route trie");

void issue(struct issues *is, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	is->count++;
	if (is->n == is->cap) {
		size_t cap = is->cap ? is->cap * 2 : 16;
		struct issue *nv = realloc(is->v, sizeof(*nv) * cap);

		if (!nv)
			goto now;
		is->v = nv;
		is->cap = cap;
	}
	is->v[is->n].msg = strdup(msg);
	if (!is->v[is->n].msg)
		goto now;
	is->v[is->n].line = line;
	is->v[is->n].seq = is->n;
	is->n++;
	return;
now:
	/* out of memory: report unordered rather than lose the problem */
	mg_error(is->e, is->path, line, "%s", msg);
}

static int cmp_issue(const void *a, const void *b)
{
	const struct issue *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void issues_flush(struct issues *is)
{
	if (is->n)
		qsort(is->v, is->n, sizeof(*is->v), cmp_issue);
	for (size_t i = 0; i < is->n; i++) {
		mg_error(is->e, is->path, is->v[i].line, "%s", is->v[i].msg);
		free(is->v[i].msg);
	}
	mg_errors_flush(is->e);
	free(is->v);
	is->v = NULL;
	is->n = is->cap = 0;
}

/* ---- addresses against the mesh network ------------------------------------------ */

static void check_addresses(const struct mg_mesh *m, struct issues *is)
{
	char a[PREFIX_STR_MAX], n[PREFIX_STR_MAX];
	const struct prefix *net = &m->network;

	if (!net->family)
		return;		/* missing or malformed: reported by the parser */
	prefix_str(net, n, sizeof(n));
	for (size_t i = 0; i < m->n_sites; i++) {
		const struct mg_site *s = &m->sites[i];
		struct prefix host;
		unsigned int bits = net->family == AF_INET ? 32 : 128;
		bool all0 = true, all1 = true;

		if (!s->address.family)
			continue;
		prefix_addr_str(&s->address, a, sizeof(a));
		if (!prefix_contains_addr(net, &s->address)) {
			issue(is, s->address_line,
			      "Address %s of site %s is outside the mesh Network %s (%s:%d)", a,
			      s->name, n, m->path, m->network_line);
			continue;
		}
		/* IPv4 network and broadcast addresses cannot be a host's address. */
		if (net->family != AF_INET || net->len > 30)
			continue;
		host = s->address;
		for (unsigned int b = net->len; b < bits; b++) {
			bool set = host.addr[b / 8] & (0x80 >> (b % 8));

			all0 &= !set;
			all1 &= set;
		}
		if (all0 || all1)
			issue(is, s->address_line,
			      "Address %s of site %s is the %s address of the mesh Network %s (%s:%d)",
			      a, s->name, all0 ? "network" : "broadcast", n, m->path,
			      m->network_line);
	}
}

/* ---- duplicates: sort site indices by a key, report each repeat ------------------- */

static int cmp_name(const void *a, const void *b, void *mesh)
{
	const struct mg_site *x = &((const struct mg_mesh *)mesh)->sites[*(const size_t *)a];
	const struct mg_site *y = &((const struct mg_mesh *)mesh)->sites[*(const size_t *)b];
	int c = strcasecmp(x->name, y->name);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int cmp_addr(const void *a, const void *b, void *mesh)
{
	const struct mg_site *x = &((const struct mg_mesh *)mesh)->sites[*(const size_t *)a];
	const struct mg_site *y = &((const struct mg_mesh *)mesh)->sites[*(const size_t *)b];
	int c = (x->address.family > y->address.family) - (x->address.family < y->address.family);

	if (!c)
		c = memcmp(x->address.addr, y->address.addr, sizeof(x->address.addr));
	return c ? c : (x->address_line > y->address_line) - (x->address_line < y->address_line);
}

static int cmp_key(const void *a, const void *b, void *mesh)
{
	const struct mg_site *x = &((const struct mg_mesh *)mesh)->sites[*(const size_t *)a];
	const struct mg_site *y = &((const struct mg_mesh *)mesh)->sites[*(const size_t *)b];
	int c = memcmp(x->public_key, y->public_key, WG_KEY_LEN);

	return c ? c : (x->public_key_line > y->public_key_line) -
		       (x->public_key_line < y->public_key_line);
}

static void check_duplicates(const struct mg_mesh *m, struct issues *is, size_t *idx)
{
	char a[PREFIX_STR_MAX], k[WG_KEY_B64_LEN];
	size_t n, first;

	for (size_t i = 0; i < m->n_sites; i++)
		idx[i] = i;
	qsort_r(idx, m->n_sites, sizeof(*idx), cmp_name, (void *)m);
	for (size_t i = 1, f = 0; i < m->n_sites; i++) {
		const struct mg_site *s = &m->sites[idx[i]], *o = &m->sites[idx[f]];

		if (strcasecmp(s->name, o->name)) {
			f = i;
			continue;
		}
		issue(is, s->line, "duplicate site name %s (also [Site %s] at %s:%d)", s->name,
		      o->name, m->path, o->line);
	}

	n = 0;
	for (size_t i = 0; i < m->n_sites; i++)
		if (m->sites[i].address.family)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_addr, (void *)m);
	for (size_t i = 1, f = 0; i < n; i++) {
		const struct mg_site *s = &m->sites[idx[i]], *o = &m->sites[idx[f]];

		if (!prefix_equal(&s->address, &o->address)) {
			f = i;
			continue;
		}
		issue(is, s->address_line, "Address %s of site %s is also the Address of site %s (%s:%d)",
		      prefix_addr_str(&s->address, a, sizeof(a)), s->name, o->name, m->path,
		      o->address_line);
	}

	n = 0;
	for (size_t i = 0; i < m->n_sites; i++)
		if (!key_is_zero(m->sites[i].public_key))
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_key, (void *)m);
	for (size_t i = 1, f = 0; i < n; i++) {
		const struct mg_site *s = &m->sites[idx[i]], *o = &m->sites[idx[f]];

		if (memcmp(s->public_key, o->public_key, WG_KEY_LEN)) {
			f = i;
			continue;
		}
		key_to_base64(k, s->public_key);
		issue(is, s->public_key_line,
		      "PublicKey %s of site %s is also the PublicKey of site %s (%s:%d)", k, s->name,
		      o->name, m->path, o->public_key_line);
	}

	/* Two sites that only dial out can never reach each other. */
	first = m->n_sites;
	for (size_t i = 0; i < m->n_sites; i++) {
		const struct mg_site *s = &m->sites[i];

		if (s->n_endpoints)
			continue;
		if (first == m->n_sites) {
			first = i;
			continue;
		}
		issue(is, s->line,
		      "site %s has no Endpoint, nor has site %s (%s:%d): two sites without an Endpoint cannot reach each other",
		      s->name, m->sites[first].name, m->path, m->sites[first].line);
	}
}

/* ---- endpoints: the same address:port given twice --------------------------------- */

/* An endpoint by value: a literal by its address ("::1" == "0::1"), a name
 * without case. Small (no copy of the host): 4,096 sites' endpoints were 1.2 MB of
 * 300-byte keys, sorted by copying them. */
struct ep_ref {
	const char *name;	/* a hostname, or a literal inet_pton refuses (a scope) */
	uint8_t family;		/* of a literal; 0 for a name */
	uint8_t addr[16];
	uint16_t port;
	uint32_t site, ep;
	int line;
};

static int ep_value_cmp(const struct ep_ref *x, const struct ep_ref *y)
{
	int c = (x->family > y->family) - (x->family < y->family);

	if (!c && x->family)
		c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (!c && !x->family)
		c = strcasecmp(x->name, y->name);
	return c ? c : (x->port > y->port) - (x->port < y->port);
}

static int cmp_ep(const void *a, const void *b)
{
	const struct ep_ref *x = a, *y = b;
	int c = ep_value_cmp(x, y);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static void check_endpoints(const struct mg_mesh *m, struct issues *is)
{
	struct ep_ref *v;
	size_t n = 0, total = 0;

	for (size_t i = 0; i < m->n_sites; i++)
		total += m->sites[i].n_endpoints;
	if (total < 2)
		return;
	v = calloc(total, sizeof(*v));
	if (!v) {
		issue(is, 0, "out of memory checking endpoints");
		return;
	}
	for (size_t i = 0; i < m->n_sites; i++) {
		for (size_t j = 0; j < m->sites[i].n_endpoints; j++) {
			const struct mg_endpoint *ep = &m->sites[i].endpoints[j];
			int af = strchr(ep->host, ':') ? AF_INET6 : AF_INET;

			if (ep->is_literal && inet_pton(af, ep->host, v[n].addr) == 1)
				v[n].family = (uint8_t)af;
			else
				v[n].name = ep->host;
			v[n].port = ep->port;
			v[n].site = (uint32_t)i;
			v[n].ep = (uint32_t)j;
			v[n].line = ep->line;
			n++;
		}
	}
	qsort(v, n, sizeof(*v), cmp_ep);
	for (size_t i = 1, f = 0; i < n; i++) {
		const struct mg_site *s = &m->sites[v[i].site], *o = &m->sites[v[f].site];
		const struct mg_endpoint *ep = &s->endpoints[v[i].ep];
		bool v6 = ep->is_literal && strchr(ep->host, ':');

		if (ep_value_cmp(&v[i], &v[f])) {
			f = i;
			continue;
		}
		issue(is, v[i].line, "Endpoint %s%s%s:%u of site %s is also an Endpoint of site %s (%s:%d)",
		      v6 ? "[" : "", ep->host, v6 ? "]" : "", ep->port, s->name, o->name, m->path,
		      v[f].line);
	}
	free(v);
}

/* An endpoint inside a mesh range: a gateway that routes that range into its
 * WireGuard device would send WireGuard's own packets to the endpoint into the
 * tunnel they carry (a site reached at its LAN address must publish its router's
 * public address, port-forwarded, instead). Site Y's egress range is routed into
 * the tunnel by every site but Y, and X never sends to its own endpoint: an
 * endpoint of X inside Y's range is harmful when X is Y (and there is another
 * site) or a third site exists. An IPv4-mapped IPv6 endpoint is IPv4 on the wire.
 * Every range is sorted by (family, length, network) once; an endpoint is then
 * looked up at each length that occurs, not compared with every range (a mesh of
 * 4,096 sites has 12,288 ranges). */
struct range_ref {
	struct prefix p;	/* host bits cleared */
	size_t site, r;
};

static void mask_to(struct prefix *p, unsigned int len)
{
	for (unsigned int i = 0; i < sizeof(p->addr); i++) {
		unsigned int keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;

		p->addr[i] &= (uint8_t)(0xff00 >> keep);
	}
	p->len = (uint8_t)len;
}

static int cmp_range(const void *a, const void *b)
{
	const struct prefix *x = &((const struct range_ref *)a)->p, *y = &((const struct range_ref *)b)->p;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/* In the order the check used to name them: by site, then by range. */
static int cmp_site_range(const void *a, const void *b)
{
	const struct range_ref *x = a, *y = b;

	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	return x->r < y->r ? -1 : x->r > y->r;
}

static void endpoint_inside(const struct mg_mesh *m, struct issues *is, size_t i,
			    const struct mg_endpoint *ep, const struct range_ref *v, size_t n,
			    const bool *lens, struct range_ref *hits)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	bool v6 = strchr(ep->host, ':');
	struct prefix a;
	char net[PREFIX_STR_MAX];
	size_t nhits = 0;

	if (!ep->is_literal || prefix_parse(&a, ep->host, true) || m->n_sites < 2)
		return;
	if (a.family == AF_INET6 && !memcmp(a.addr, mapped, 12)) {
		memmove(a.addr, a.addr + 12, 4);
		memset(a.addr + 4, 0, 12);
		a.family = AF_INET;
		a.len = 32;
	}
	if (prefix_contains_addr(&m->network, &a)) {
		issue(is, ep->line, "Endpoint %s%s%s:%u of site %s is inside the mesh Network %s "
		      "(%s:%d): WireGuard's own packets would be routed into the tunnel",
		      v6 ? "[" : "", ep->host, v6 ? "]" : "", ep->port, m->sites[i].name,
		      prefix_str(&m->network, net, sizeof(net)), m->path, m->network_line);
		return;
	}
	for (unsigned int len = 0; len <= (a.family == AF_INET ? 32u : 128u); len++) {
		struct range_ref key = { .p = a };
		const struct range_ref *f;

		if (!lens[(a.family == AF_INET ? 0 : 129) + len])
			continue;
		mask_to(&key.p, len);
		f = bsearch(&key, v, n, sizeof(*v), cmp_range);
		if (!f)
			continue;
		while (f > v && !cmp_range(f - 1, &key))
			f--;
		for (; f < v + n && !cmp_range(f, &key); f++)
			/* only i would route it, and i never sends to itself */
			if (f->site == i || m->n_sites >= 3)
				hits[nhits++] = *f;
	}
	qsort(hits, nhits, sizeof(*hits), cmp_site_range);
	for (size_t h = 0; h < nhits; h++) {
		const struct mg_site *k = &m->sites[hits[h].site];

		issue(is, ep->line, "Endpoint %s%s%s:%u of site %s is inside Egress %s of "
		      "site %s (%s:%d): the other sites route that range into the "
		      "tunnel, WireGuard's own packets with it; publish an address "
		      "outside the mesh (the router's, port-forwarded)",
		      v6 ? "[" : "", ep->host, v6 ? "]" : "", ep->port, m->sites[i].name,
		      prefix_str(&k->egress[hits[h].r], net, sizeof(net)), k->name, m->path,
		      k->egress_lines[hits[h].r]);
	}
}

static void check_endpoints_outside(const struct mg_mesh *m, struct issues *is)
{
	bool lens[129 + 129] = { false };	/* IPv4 lengths 0..32, then IPv6 0..128 */
	struct range_ref *v, *hits;
	size_t n = 0;

	for (size_t k = 0; k < m->n_sites; k++)
		n += m->sites[k].n_egress;
	v = calloc(n + 1, sizeof(*v));
	hits = calloc(n + 1, sizeof(*hits));
	if (!v || !hits) {
		issue(is, 0, "out of memory checking endpoints against egress ranges");
		goto out;
	}
	n = 0;
	for (size_t k = 0; k < m->n_sites; k++)
		for (size_t r = 0; r < m->sites[k].n_egress; r++) {
			const struct prefix *p = &m->sites[k].egress[r];

			if (p->family != AF_INET && p->family != AF_INET6)
				continue;
			v[n] = (struct range_ref){ .p = *p, .site = k, .r = r };
			mask_to(&v[n].p, p->len);
			lens[(p->family == AF_INET ? 0 : 129) + p->len] = true;
			n++;
		}
	qsort(v, n, sizeof(*v), cmp_range);
	for (size_t i = 0; i < m->n_sites; i++)
		for (size_t j = 0; j < m->sites[i].n_endpoints; j++)
			endpoint_inside(m, is, i, &m->sites[i].endpoints[j], v, n, lens, hits);
out:
	free(v);
	free(hits);
}

/* ---- overlapping networks ---------------------------------------------------------- */

struct net_ref {
	struct prefix p;	/* host bits cleared */
	const struct prefix *orig;
	ssize_t site;		/* -1 = the mesh Network */
	int line;
};

static int cmp_net(const void *a, const void *b)
{
	const struct net_ref *x = a, *y = b;
	int c = (x->p.family > y->p.family) - (x->p.family < y->p.family);

	if (!c)
		c = memcmp(x->p.addr, y->p.addr, sizeof(x->p.addr));
	if (!c)
		c = (x->p.len > y->p.len) - (x->p.len < y->p.len);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static void describe(const struct mg_mesh *m, const struct net_ref *r, char *buf, size_t len)
{
	char p[PREFIX_STR_MAX];

	prefix_str(r->orig, p, sizeof(p));
	if (r->site < 0)
		snprintf(buf, len, "the mesh Network %s", p);
	else
		snprintf(buf, len, "Egress %s of site %s", p, m->sites[r->site].name);
}

static void report_overlap(const struct mg_mesh *m, struct issues *is, const struct net_ref *a,
			   const struct net_ref *b)
{
	char da[128], db[128];

	/* Reported at the egress range that comes later in the file (never at the
	 * Network line), naming the other one with its line. */
	if (b->site < 0 || (a->site >= 0 && a->line > b->line)) {
		const struct net_ref *t = a;

		a = b;
		b = t;
	}
	describe(m, a, da, sizeof(da));
	describe(m, b, db, sizeof(db));
	issue(is, b->line, "%s overlaps %s (%s:%d)", db, da, m->path, a->line);
}

/* Aligned prefixes either nest or are disjoint. Sorted by (address, length), a
 * prefix's containers come before it, so a stack of the open containers finds
 * every overlapping prefix in O(n log n); each is reported once, against the
 * innermost range that contains it. */
static void check_overlaps(const struct mg_mesh *m, struct issues *is)
{
	struct net_ref *v, **stack;
	size_t n = 0, total = 1, depth = 0;

	for (size_t i = 0; i < m->n_sites; i++)
		total += m->sites[i].n_egress;
	v = calloc(total, sizeof(*v));
	stack = calloc(total, sizeof(*stack));
	if (!v || !stack) {
		issue(is, 0, "out of memory checking for overlapping networks");
		goto out;
	}
	if (m->network.family) {
		v[n].orig = &m->network;
		v[n].site = -1;
		v[n].line = m->network_line;
		n++;
	}
	for (size_t i = 0; i < m->n_sites; i++) {
		for (size_t j = 0; j < m->sites[i].n_egress; j++) {
			v[n].orig = &m->sites[i].egress[j];
			v[n].site = (ssize_t)i;
			v[n].line = m->sites[i].egress_lines[j];
			n++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		v[i].p = *v[i].orig;
		for (unsigned int b = v[i].p.len; b < 128; b++)
			v[i].p.addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	}
	qsort(v, n, sizeof(*v), cmp_net);
	for (size_t i = 0; i < n; i++) {
		while (depth && !prefix_overlap(&stack[depth - 1]->p, &v[i].p))
			depth--;
		if (depth)
			report_overlap(m, is, stack[depth - 1], &v[i]);
		stack[depth++] = &v[i];
	}
out:
	free(v);
	free(stack);
}

/* ---- what the data plane holds ------------------------------------------------------ */

/* Every gateway's route trie of a family (mg_routes4, mg_routes6) holds every
 * site's egress ranges of that family and the other sites' mesh addresses
 * (dp_sync_routes): the same number at every site, give or take its own address.
 * Counted here so that `meshgw check` refuses a file that `up` could not load. */
static void check_route_capacity(const struct mg_mesh *m, struct issues *is)
{
	static const int fam[2] = { AF_INET, AF_INET6 };

	for (int f = 0; f < 2; f++) {
		size_t routes = 0, addrs = 0;
		int line = 0;

		for (size_t i = 0; i < m->n_sites; i++) {
			const struct mg_site *s = &m->sites[i];

			addrs += s->address.family == fam[f];
			for (size_t j = 0; j < s->n_egress; j++)
				if (s->egress[j].family == fam[f] &&
				    ++routes + addrs > MG_MAX_ROUTES + (addrs > 0) && !line)
					line = s->egress_lines[j];
		}
		/* every gateway routes every client's address to its peer */
		for (size_t i = 0; i < m->n_clients; i++)
			for (size_t j = 0; j < m->clients[i].n_address; j++)
				addrs += m->clients[i].address[j].family == fam[f];
		/* a gateway leaves its own address out */
		if (routes + addrs - (addrs > 0) > MG_MAX_ROUTES)
			issue(is, line, "%zu IPv%d Egress ranges and %zu mesh addresses: the data plane "
			      "holds at most %d IPv%d routes (mesh addresses and egress ranges of all "
			      "sites, client addresses) at each gateway", routes, f ? 6 : 4, addrs, MG_MAX_ROUTES,
			      f ? 6 : 4);
	}
}

int mesh_validate(const struct mg_mesh *m, struct mg_errors *e)
{
	struct issues is = { .path = m->path, .e = e };
	size_t *idx = NULL;
	int ret;

	check_addresses(m, &is);
	if (m->n_sites) {
		idx = calloc(m->n_sites, sizeof(*idx));
		if (idx)
			check_duplicates(m, &is, idx);
		else
			issue(&is, 0, "out of memory checking for duplicates");
		free(idx);
	}
	check_endpoints(m, &is);
	check_overlaps(m, &is);
	check_endpoints_outside(m, &is);
	check_clients(m, &is);
	check_route_capacity(m, &is);
	ret = is.count ? -EINVAL : 0;
	issues_flush(&is);
	return ret;
}
