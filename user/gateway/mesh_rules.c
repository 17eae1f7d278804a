// SPDX-License-Identifier: GPL-2.0-only
/* meshgw's policy rules in front of MeshTable: see mesh_rules.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fib_rules.h>
#include "gateway/mesh_rules.h"
#include "lib/log.h"
#include "lib/rtnl.h"
#include "lib/rtnl_rule.h"

static unsigned int fam_bit(uint8_t family)
{
	return family == AF_INET ? 1u : family == AF_INET6 ? 2u : 0u;
}

unsigned int mesh_families(const struct mg_config *c)
{
	unsigned int f = fam_bit(c->mesh.network.family);

	for (size_t i = 0; i < c->mesh.n_sites; i++) {
		const struct mg_site *s = &c->mesh.sites[i];

		if (s == c->self)
			continue;
		for (size_t e = 0; e < s->n_egress && f != 3; e++)
			f |= fam_bit(s->egress[e].family);
	}
	return f;
}

/* Loopback and IPv6 link-local sources never reach a remote LAN: no rule. */
static bool never_routed(const struct prefix *a)
{
	static const uint8_t lo6[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return a->addr[0] == 127;
	return !memcmp(a->addr, lo6, 16) || (a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80);
}

/* In this site's allowed IPs at the other sites: its mesh address, its egress. */
static bool allowed(const struct mg_config *c, const struct prefix *a)
{
	struct prefix host = *a;

	host.len = a->family == AF_INET ? 32 : 128;
	if (prefix_equal(&c->self->address, &host))
		return true;
	for (size_t e = 0; e < c->self->n_egress; e++)
		if (prefix_contains_addr(&c->self->egress[e], &host))
			return true;
	return false;
}

/* A mesh route's prefix (the mesh network, another site's egress range) that
 * holds all of subnet r: the route the kernel's longest match preferred r's
 * own to while both were in the main table. */
static const struct prefix *mesh_holding(const struct mg_config *c, const struct prefix *r)
{
	if (r->len >= c->mesh.network.len && prefix_contains_addr(&c->mesh.network, r))
		return &c->mesh.network;
	for (size_t i = 0; i < c->mesh.n_sites; i++) {
		const struct mg_site *s = &c->mesh.sites[i];

		if (s == c->self)
			continue;
		for (size_t e = 0; e < s->n_egress; e++)
			if (r->len >= s->egress[e].len && prefix_contains_addr(&s->egress[e], r))
				return &s->egress[e];
	}
	return NULL;
}

static void clear_host_bits(struct prefix *p)
{
	unsigned int bits = p->family == AF_INET ? 32 : 128;

	for (unsigned int i = p->len; i < bits; i++)
		p->addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

struct rules {
	struct rtnl_rule *v;
	size_t n, cap;
};

static int push(struct rules *w, const struct rtnl_rule *r)
{
	for (size_t i = 0; i < w->n; i++)
		if (rtnl_rule_equal(&w->v[i], r))
			return 0;	/* an address on two interfaces */
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;
		struct rtnl_rule *v = realloc(w->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n++] = *r;
	return 0;
}

static bool ours(const struct rtnl_rule *r)
{
	return r->prio >= MG_MESH_SKIP_PRIORITY && r->prio <= MG_MESH_END_PRIORITY;
}

/* The rules wanted now, the nop first (the gotos' target), the gotos last. */
static int wanted(struct nl_sock *s, const struct mg_config *c, uint32_t table,
		  unsigned int families, struct rules *w)
{
	struct prefix *addrs = NULL;
	size_t n = 0;
	int ret = 0;

	if (!families)
		return 0;
	for (unsigned int k = 0; k < 2 && !ret; k++) {
		uint8_t family = k ? AF_INET6 : AF_INET;
		struct rtnl_rule end = { .family = family, .action = FR_ACT_NOP,
					 .proto = RTPROT_MESHGW, .prio = MG_MESH_END_PRIORITY };
		struct rtnl_rule look = { .family = family, .action = FR_ACT_TO_TBL,
					  .proto = RTPROT_MESHGW, .prio = MG_MESH_RULE_PRIORITY,
					  .table = table };

		if (!(families & fam_bit(family)))
			continue;
		ret = push(w, &end);
		if (!ret)
			ret = push(w, &look);
	}
	if (!ret)
		ret = rtnl_addr_list(s, 0, &addrs, &n);
	for (size_t i = 0; i < n && !ret; i++) {
		struct rtnl_rule skip = { .family = addrs[i].family, .action = FR_ACT_GOTO,
					  .proto = RTPROT_MESHGW, .prio = MG_MESH_SKIP_PRIORITY,
					  .target = MG_MESH_END_PRIORITY };

		if (!(families & fam_bit(addrs[i].family)) || never_routed(&addrs[i]) ||
		    allowed(c, &addrs[i]))
			continue;
		skip.src_len = addrs[i].family == AF_INET ? 32 : 128;
		memcpy(skip.src, addrs[i].addr, 16);
		ret = push(w, &skip);
	}
	/* The subnet of an address of the gateway's inside a mesh range (an uplink
	 * behind an ISP box whose LAN is numbered like another site's): its own
	 * route stays first, as the longest match kept it in the main table. Not
	 * the WireGuard link's (the mesh address, whose subnet is the mesh). */
	for (size_t i = 0; i < n && !ret; i++) {
		struct rtnl_rule to = { .family = addrs[i].family, .action = FR_ACT_GOTO,
					.proto = RTPROT_MESHGW, .prio = MG_MESH_SKIP_PRIORITY,
					.target = MG_MESH_END_PRIORITY };
		struct prefix r = addrs[i];

		clear_host_bits(&r);
		if (!(families & fam_bit(r.family)) || never_routed(&addrs[i]) ||
		    r.len == (r.family == AF_INET ? 32 : 128) ||
		    prefix_contains_addr(&c->mesh.network, &addrs[i]) || !mesh_holding(c, &r))
			continue;
		to.dst_len = r.len;
		memcpy(to.dst, r.addr, 16);
		ret = push(w, &to);
	}
	free(addrs);
	return ret;
}

static bool in(const struct rtnl_rule *r, const struct rtnl_rule *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rtnl_rule_equal(r, &v[i]))
			return true;
	return false;
}

int mesh_rules_sync(struct nl_sock *s, const struct mg_config *c, uint32_t table,
		    unsigned int families)
{
	struct rules w = { 0 };
	struct rtnl_rule *have = NULL;
	size_t n = 0;
	int ret, changed = 0;
	char rs[128];

	ret = wanted(s, c, table, families, &w);
	if (!ret)
		ret = rtnl_rule_list(s, RTPROT_MESHGW, &have, &n);
	for (size_t i = 0; i < w.n && !ret; i++) {
		if (in(&w.v[i], have, n))
			continue;
		ret = rtnl_rule_add(s, &w.v[i]);
		if (ret == -EEXIST)	/* the same rule without our protocol: someone's */
			ret = 0;
		else if (!ret) {
			changed++;
			pr_debug("rule added: %s", rtnl_rule_str(&w.v[i], rs, sizeof(rs)));
		}
	}
	/* The gotos first, then what they jump to. */
	for (size_t i = 0; i < n && !ret; i++) {
		if (!ours(&have[i]) || in(&have[i], w.v, w.n) || have[i].action != FR_ACT_GOTO)
			continue;
		ret = rtnl_rule_del(s, &have[i]);
		if (ret == -ENOENT)
			ret = 0;
		else if (!ret) {
			changed++;
			pr_debug("rule deleted: %s", rtnl_rule_str(&have[i], rs, sizeof(rs)));
		}
	}
	for (size_t i = 0; i < n && !ret; i++) {
		if (!ours(&have[i]) || in(&have[i], w.v, w.n) || have[i].action == FR_ACT_GOTO)
			continue;
		ret = rtnl_rule_del(s, &have[i]);
		if (ret == -ENOENT)
			ret = 0;
		else if (!ret)
			changed++;
	}
	free(have);
	free(w.v);
	return ret ? ret : changed;
}

int mesh_rules_down(struct nl_sock *s)
{
	struct rtnl_rule *have = NULL;
	size_t n = 0;
	int ret = rtnl_rule_list(s, RTPROT_MESHGW, &have, &n), err = 0;

	if (ret)
		return ret;
	/* The gotos first: none is left jumping to a rule already gone. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if (!ours(&have[i]) || (have[i].action == FR_ACT_GOTO) != !pass)
				continue;
			ret = rtnl_rule_del(s, &have[i]);
			if (ret && ret != -ENOENT && !err)
				err = ret;
		}
	free(have);
	return err;
}
