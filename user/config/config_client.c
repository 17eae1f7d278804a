// SPDX-License-Identifier: GPL-2.0-only
/* [Client NAME] sections of the mesh file (DESIGN.md "Roaming clients"): parsed
 * here, checked against the sites and each other. A client is a peer of every
 * gateway without an endpoint, so it needs a mesh address no site or other client
 * has, and a name and key no site or other client has (peer slots, metrics labels
 * and WireGuard peers are found by them). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_ini.h"
#include "config/config_issues.h"
#include "meshgw_bpf.h"

ssize_t client_open(struct mg_mesh *m, const struct ini_item *it, struct mg_errors *e)
{
	struct mg_client *c, *nc;

	if (!*it->arg) {
		mg_error(e, m->path, it->line, "[Client] needs a name: [Client NAME]");
		return -1;
	}
	if (!site_name_valid(it->arg)) {
		mg_error(e, m->path, it->line,
			 "invalid client name '%.64s': 1 to %d letters, digits, '_', '.' or '-'",
			 it->arg, MG_NAME_MAX - 1);
		return -1;
	}
	if (m->n_clients >= MG_MAX_PEERS) {
		mg_error(e, m->path, it->line, "too many clients (at most %d)", MG_MAX_PEERS);
		return -1;
	}
	if ((m->n_clients & (m->n_clients - 1)) == 0) {
		nc = realloc(m->clients, sizeof(*nc) * (m->n_clients ? m->n_clients * 2 : 1));
		if (!nc) {
			mg_error(e, m->path, it->line, "out of memory");
			return -1;
		}
		m->clients = nc;
	}
	c = &m->clients[m->n_clients];
	memset(c, 0, sizeof(*c));
	strcpy(c->name, it->arg);
	c->line = it->line;
	return (ssize_t)m->n_clients++;
}

struct client_items {
	struct mg_mesh *m;
	struct mg_client *c;
	struct mg_errors *e;
};

/* One item of a client's Address: a bare address, at most one per family. */
static void client_address(void *ctx, const struct ini_item *it, const char *w)
{
	struct client_items *x = ctx;
	struct mg_client *c = x->c;
	struct prefix p;

	if (strchr(w, '/')) {
		mg_error(x->e, x->m->path, it->line,
			 "Address '%.64s' of client %s must be a bare address: the prefix length comes from the mesh Network",
			 w, c->name);
		return;
	}
	if (prefix_parse(&p, w, true)) {
		mg_error(x->e, x->m->path, it->line,
			 "Address '%.64s' of client %s is not an IPv4 or IPv6 address", w, c->name);
		return;
	}
	for (size_t i = 0; i < c->n_address; i++)
		if (c->address[i].family == p.family) {
			mg_error(x->e, x->m->path, it->line,
				 "client %s has two IPv%d addresses: one of each family at most",
				 c->name, p.family == AF_INET ? 4 : 6);
			return;
		}
	c->address[c->n_address++] = p;
}

/* One item of a client's DNS: a resolver's address (wg-quick's DNS line). */
static void client_dns(void *ctx, const struct ini_item *it, const char *w)
{
	struct client_items *x = ctx;
	struct mg_client *c = x->c;
	struct prefix p;

	if (strchr(w, '/') || prefix_parse(&p, w, true)) {
		mg_error(x->e, x->m->path, it->line,
			 "DNS '%.64s' of client %s is not an IPv4 or IPv6 address", w, c->name);
		return;
	}
	if (c->n_dns >= MG_MAX_CLIENT_DNS) {
		mg_error(x->e, x->m->path, it->line, "client %s has more than %d DNS servers",
			 c->name, MG_MAX_CLIENT_DNS);
		return;
	}
	c->dns[c->n_dns++] = p;
}

void client_key(struct mg_mesh *m, size_t idx, const struct ini_item *it, struct mg_errors *e)
{
	struct mg_client *c = &m->clients[idx];
	const char *k = it->key, *v = it->value;

	if (!strcasecmp(k, "Address")) {
		if (c->address_line) {
			mg_error(e, m->path, it->line, "duplicate Address (first at %s:%d)", m->path,
				 c->address_line);
			return;
		}
		c->address_line = it->line;
		ini_each_item(e, m->path, it, "Address", client_address,
			      &(struct client_items){ m, c, e });
	} else if (!strcasecmp(k, "PublicKey")) {
		if (c->public_key_line) {
			mg_error(e, m->path, it->line, "duplicate PublicKey (first at %s:%d)", m->path,
				 c->public_key_line);
			return;
		}
		c->public_key_line = it->line;
		if (!ini_single_word(e, m->path, it->line, "PublicKey", v))
			return;
		if (key_from_base64(c->public_key, v)) {
			mg_error(e, m->path, it->line,
				 "PublicKey of client %s is not a base64 WireGuard key (44 characters ending in '=')",
				 c->name);
			memset(c->public_key, 0, sizeof(c->public_key));
		} else if (key_is_zero(c->public_key)) {
			mg_error(e, m->path, it->line, "PublicKey of client %s is all zeros", c->name);
		}
	} else if (!strcasecmp(k, "Exit")) {
		/* Checked against the sites once the whole file is read (check_clients). */
		if (c->exit_line) {
			mg_error(e, m->path, it->line, "duplicate Exit (first at %s:%d)", m->path,
				 c->exit_line);
			return;
		}
		c->exit_line = it->line;
		if (!ini_single_word(e, m->path, it->line, "Exit", v))
			return;
		if (!site_name_valid(v))
			mg_error(e, m->path, it->line,
				 "Exit '%.64s' of client %s is not a site name", v, c->name);
		else
			strcpy(c->exit, v);
	} else if (!strcasecmp(k, "DNS")) {
		if (c->dns_line) {
			mg_error(e, m->path, it->line, "duplicate DNS (first at %s:%d)", m->path,
				 c->dns_line);
			return;
		}
		c->dns_line = it->line;
		ini_each_item(e, m->path, it, "DNS", client_dns, &(struct client_items){ m, c, e });
	} else if (!strcasecmp(k, "Endpoint")) {
		mg_error(e, m->path, it->line,
			 "a client has no Endpoint (it roams; the gateways learn where it is when it connects)");
	} else {
		mg_error(e, m->path, it->line, "unknown key '%.64s' in [Client %s]", k, c->name);
	}
}

void client_finish(struct mg_mesh *m, size_t idx, struct mg_errors *e)
{
	const struct mg_client *c = &m->clients[idx];

	if (!c->address_line)
		mg_error(e, m->path, c->line, "[Client %s] has no Address", c->name);
	if (!c->public_key_line)
		mg_error(e, m->path, c->line, "[Client %s] has no PublicKey", c->name);
}

const struct mg_client *mesh_find_client(const struct mg_mesh *m, const char *name)
{
	for (size_t i = 0; i < m->n_clients; i++)
		if (!strcasecmp(m->clients[i].name, name))
			return &m->clients[i];
	return NULL;
}

/* ---- validation ------------------------------------------------------------------ */

/* The address inside the mesh Network, not its IPv4 network or broadcast address. */
static void check_in_network(const struct mg_mesh *m, struct issues *is, const struct mg_client *c,
			     const struct prefix *a)
{
	const struct prefix *net = &m->network;
	char as[PREFIX_STR_MAX], ns[PREFIX_STR_MAX];
	bool all0 = true, all1 = true;

	if (!net->family)
		return;		/* missing or malformed: reported by the parser */
	prefix_addr_str(a, as, sizeof(as));
	prefix_str(net, ns, sizeof(ns));
	if (!prefix_contains_addr(net, a)) {
		issue(is, c->address_line,
		      "Address %s of client %s is outside the mesh Network %s (%s:%d)", as, c->name,
		      ns, m->path, m->network_line);
		return;
	}
	if (net->family != AF_INET || net->len > 30)
		return;
	for (unsigned int b = net->len; b < 32; b++) {
		bool set = a->addr[b / 8] & (0x80 >> (b % 8));

		all0 &= !set;
		all1 &= set;
	}
	if (all0 || all1)
		issue(is, c->address_line,
		      "Address %s of client %s is the %s address of the mesh Network %s (%s:%d)", as,
		      c->name, all0 ? "network" : "broadcast", ns, m->path, m->network_line);
}

/* Against the sites (by lookup) and the clients before it in the file. Clients are
 * few (people's devices): O(clients x (sites + clients)) is milliseconds even at a
 * thousand of each. */
void check_clients(const struct mg_mesh *m, struct issues *is)
{
	char as[PREFIX_STR_MAX], k[WG_KEY_B64_LEN];

	if (m->n_sites + m->n_clients > MG_MAX_PEERS && m->n_clients)
		issue(is, m->clients[0].line,
		      "%zu sites and %zu clients: the data plane holds at most %d peers", m->n_sites,
		      m->n_clients, MG_MAX_PEERS);
	for (size_t i = 0; i < m->n_clients; i++) {
		const struct mg_client *c = &m->clients[i];
		const struct mg_site *s = mesh_find_site(m, c->name);
		bool zero_key = key_is_zero(c->public_key);

		if (s)
			issue(is, c->line, "duplicate name %s: [Client %s] and [Site %s] (%s:%d)",
			      c->name, c->name, s->name, m->path, s->line);
		if (c->exit[0]) {
			const struct mg_site *x = mesh_find_site(m, c->exit);

			if (!x)
				issue(is, c->exit_line, "Exit %s of client %s is not a [Site]", c->exit,
				      c->name);
			else if (!x->exit)
				issue(is, c->exit_line,
				      "Exit %s of client %s: site %s does not offer its internet (no 'Exit = yes' in [Site %s], %s:%d)",
				      c->exit, c->name, x->name, x->name, m->path, x->line);
		}
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(m->clients[j].name, c->name)) {
				issue(is, c->line, "duplicate client name %s (also [Client %s] at %s:%d)",
				      c->name, m->clients[j].name, m->path, m->clients[j].line);
				break;
			}
		key_to_base64(k, c->public_key);
		for (size_t j = 0; j < m->n_sites && !zero_key; j++)
			if (!memcmp(m->sites[j].public_key, c->public_key, WG_KEY_LEN))
				issue(is, c->public_key_line,
				      "PublicKey %s of client %s is also the PublicKey of site %s (%s:%d)",
				      k, c->name, m->sites[j].name, m->path, m->sites[j].public_key_line);
		for (size_t j = 0; j < i && !zero_key; j++)
			if (!memcmp(m->clients[j].public_key, c->public_key, WG_KEY_LEN))
				issue(is, c->public_key_line,
				      "PublicKey %s of client %s is also the PublicKey of client %s (%s:%d)",
				      k, c->name, m->clients[j].name, m->path,
				      m->clients[j].public_key_line);
		for (size_t a = 0; a < c->n_address; a++) {
			const struct prefix *p = &c->address[a];

			check_in_network(m, is, c, p);
			prefix_addr_str(p, as, sizeof(as));
			for (size_t j = 0; j < m->n_sites; j++)
				if (m->sites[j].address.family && prefix_equal(&m->sites[j].address, p))
					issue(is, c->address_line,
					      "Address %s of client %s is also the Address of site %s (%s:%d)",
					      as, c->name, m->sites[j].name, m->path,
					      m->sites[j].address_line);
			for (size_t j = 0; j < i; j++)
				for (size_t b = 0; b < m->clients[j].n_address; b++)
					if (prefix_equal(&m->clients[j].address[b], p))
						issue(is, c->address_line,
						      "Address %s of client %s is also the Address of client %s (%s:%d)",
						      as, c->name, m->clients[j].name, m->path,
						      m->clients[j].address_line);
		}
	}
}
