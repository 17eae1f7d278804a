// SPDX-License-Identifier: GPL-2.0-only
/* The exit site masquerades exit traffic, and only exit traffic, behind the address
 * of the interface it leaves by (its uplink):
 *
 *   table inet meshgw_exit_wg0 {
 *     set exit_src4 { type ipv4_addr; flags interval; elements = { <others' ranges> } }
 *     set mesh4     { type ipv4_addr; flags interval; elements = { <every mesh range> } }
 *     chain postrouting { type nat hook postrouting priority srcnat;
 *       ip saddr @exit_src4 ip daddr != @mesh4 masquerade   (and the same for IPv6) }
 *   }
 *
 * Exit traffic is told apart by its addresses, not by the interface it came in by
 * (postrouting knows no input interface): from another site's range or the mesh
 * Network (a roaming client) to anything outside the mesh. Mesh traffic (to a mesh
 * range) is never translated, nor is this site's own LAN (its router's business).
 * libnftables takes the whole table as text in one transaction: the old table goes
 * and the new one comes in one step. Its rules sit on the postrouting hook only for
 * traffic the XDP and TC fast paths never forward (they forward LAN traffic, and
 * from the tunnel only to this site's own ranges), so dp_netfilter.c leaves this
 * table out of its question. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gateway/exit_nat.h"
#include "gateway/nft_lib.h"
#include "lib/log.h"

void exit_nat_table(const char *wg_if, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, MG_EXIT_NAT_PREFIX "%s", wg_if);

	for (size_t i = sizeof(MG_EXIT_NAT_PREFIX) - 1; i < n && i < len; i++)
		if (!isalnum((unsigned char)buf[i]) && buf[i] != '_')
			buf[i] = '_';
}

/* "elements = { a, b }" of the prefixes of family in v (nothing when none). */
static void elements(FILE *f, const struct prefix *v, size_t n, int family)
{
	char p[PREFIX_STR_MAX];
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		if (v[i].family != family)
			continue;
		fprintf(f, "%s%s", first ? " elements = { " : ", ", prefix_str(&v[i], p, sizeof(p)));
		first = false;
	}
	if (!first)
		fprintf(f, " };");
}

/* Every site's egress ranges and the Network (mesh), and those of every site but
 * this one and the Network (sources of exit traffic). */
static int ranges(const struct mg_config *c, struct prefix **mesh, size_t *n_mesh,
		  struct prefix **src, size_t *n_src)
{
	size_t cap = 1;

	for (size_t i = 0; i < c->mesh.n_sites; i++)
		cap += c->mesh.sites[i].n_egress;
	*mesh = calloc(cap, sizeof(**mesh));
	*src = calloc(cap, sizeof(**src));
	if (!*mesh || !*src)
		return -ENOMEM;
	*n_mesh = *n_src = 0;
	(*mesh)[(*n_mesh)++] = c->mesh.network;
	(*src)[(*n_src)++] = c->mesh.network;
	for (size_t i = 0; i < c->mesh.n_sites; i++) {
		const struct mg_site *s = &c->mesh.sites[i];

		for (size_t j = 0; j < s->n_egress; j++) {
			(*mesh)[(*n_mesh)++] = s->egress[j];
			if (s != c->self)
				(*src)[(*n_src)++] = s->egress[j];
		}
	}
	return 0;
}

/* A context whose output and errors are buffered (not printed), or NULL. */
static struct nft_ctx *context(const struct nft_lib *nl)
{
	struct nft_ctx *nft = nl ? nl->ctx_new(NFT_CTX_DEFAULT) : NULL;

	if (nft) {
		nl->ctx_buffer_output(nft);
		nl->ctx_buffer_error(nft);
	}
	return nft;
}

static int run(const char *cmd)
{
	const struct nft_lib *nl = nft_lib();
	struct nft_ctx *nft = context(nl);
	int ret;

	if (!nft)
		return nl ? -ENOMEM : -ENOENT;
	ret = nl->run_cmd_from_buffer(nft, cmd);
	if (ret) {
		const char *err = nl->ctx_get_error_buffer(nft);

		pr_err("nftables refused meshgw's exit table: %s", err && *err ? err : "(no reason given)");
		ret = -EINVAL;
	}
	nl->ctx_free(nft);
	return ret;
}

int exit_nat_apply(const struct mg_config *c, bool *added)
{
	struct prefix *mesh = NULL, *src = NULL;
	size_t n_mesh, n_src, len = 0;
	char table[64], *cmd = NULL;
	FILE *f;
	int ret;

	exit_nat_table(c->local.wg_if, table, sizeof(table));
	if (!c->self->exit) {
		ret = exit_nat_remove(c->local.wg_if);
		if (!ret)
			*added = false;
		return ret;
	}
	ret = ranges(c, &mesh, &n_mesh, &src, &n_src);
	f = ret ? NULL : open_memstream(&cmd, &len);
	if (!f) {
		free(mesh);
		free(src);
		return -ENOMEM;
	}
	/* "add" then "delete": the table goes whether it was there or not. */
	fprintf(f, "add table inet %s\ndelete table inet %s\n", table, table);
	fprintf(f, "table inet %s {\n", table);
	fprintf(f, "  set exit_src4 { type ipv4_addr; flags interval;");
	elements(f, src, n_src, AF_INET);
	fprintf(f, " }\n  set mesh4 { type ipv4_addr; flags interval;");
	elements(f, mesh, n_mesh, AF_INET);
	fprintf(f, " }\n  set exit_src6 { type ipv6_addr; flags interval;");
	elements(f, src, n_src, AF_INET6);
	fprintf(f, " }\n  set mesh6 { type ipv6_addr; flags interval;");
	elements(f, mesh, n_mesh, AF_INET6);
	fprintf(f, " }\n  chain postrouting {\n"
		   "    type nat hook postrouting priority srcnat; policy accept;\n"
		   "    ip saddr @exit_src4 ip daddr != @mesh4 masquerade\n"
		   "    ip6 saddr @exit_src6 ip6 daddr != @mesh6 masquerade\n"
		   "  }\n}\n");
	ret = fclose(f) ? -errno : 0;
	if (!ret)
		ret = run(cmd);
	if (!ret) {
		*added = true;
		pr_info("%s: exit site: traffic of the other sites and clients to the internet is masqueraded (nftables table inet %s)",
			c->local.wg_if, table);
	}
	free(cmd);
	free(mesh);
	free(src);
	return ret;
}

char *exit_nat_save(const char *wg_if)
{
	const struct nft_lib *nl = nft_lib();
	struct nft_ctx *nft = context(nl);
	char table[64], cmd[256], *saved = NULL;
	const char *out;

	if (!nft)
		return NULL;
	exit_nat_table(wg_if, table, sizeof(table));
	snprintf(cmd, sizeof(cmd), "list table inet %s", table);
	if (!nl->run_cmd_from_buffer(nft, cmd) && (out = nl->ctx_get_output_buffer(nft)) && *out)
		saved = strdup(out);
	nl->ctx_free(nft);
	return saved;
}

int exit_nat_restore(const char *wg_if, const char *saved)
{
	char table[64], *cmd = NULL;
	int ret;

	exit_nat_table(wg_if, table, sizeof(table));
	/* "add" then "delete": whatever is there goes, in the same transaction. */
	if (asprintf(&cmd, "add table inet %s\ndelete table inet %s\n%s", table, table, saved) < 0)
		return -ENOMEM;
	ret = run(cmd);
	if (!ret)
		pr_info("%s: nftables table inet %s put back as it was", wg_if, table);
	free(cmd);
	return ret;
}

int exit_nat_remove(const char *wg_if)
{
	const struct nft_lib *nl = nft_lib();
	struct nft_ctx *nft = context(nl);
	char table[64], cmd[256];
	int ret;

	if (!nft)
		return nl ? -ENOMEM : -ENOENT;
	exit_nat_table(wg_if, table, sizeof(table));
	/* Listing first: deleting a table that is not there would be an error. */
	snprintf(cmd, sizeof(cmd), "list table inet %s", table);
	if (nl->run_cmd_from_buffer(nft, cmd)) {
		nl->ctx_free(nft);
		return 0;
	}
	nl->ctx_free(nft);
	snprintf(cmd, sizeof(cmd), "delete table inet %s", table);
	ret = run(cmd);
	if (!ret)
		pr_info("%s: nftables table inet %s removed", wg_if, table);
	return ret;
}
