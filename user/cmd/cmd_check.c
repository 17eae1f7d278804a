// SPDX-License-Identifier: GPL-2.0-only
/* meshgw check: validate both files and list every problem. --ha OTHER_MESH: the
 * mistakes of two gateways at one site (README "Two gateways at one site"). */
#include <errno.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "config/config.h"
#include "lib/log.h"
#include "lib/prefix.h"
#include "observe/ha_role.h"

#define CHECK_USAGE "[-c MESH] [-l LOCAL] [--ha OTHER_MESH]"

/* Where the pair's WireGuard port must lead: to a VRRP address. An Endpoint of this
 * site that is one of this box's own addresses but not a VRRP address (HaAddress)
 * would bring the other sites to this box alone, standby or not. What the site
 * router forwards is not in any file meshgw reads: said, not checked. */
static void check_endpoints(const struct mg_config *c, const struct ha_if_addr *have, size_t n,
			    struct mg_errors *e)
{
	const struct mg_local *l = &c->local;

	for (size_t i = 0; i < c->self->n_endpoints; i++) {
		const struct mg_endpoint *ep = &c->self->endpoints[i];
		struct prefix a;
		bool vrrp = false;

		if (!ep->is_literal || prefix_parse(&a, ep->host, true))
			continue;
		for (size_t k = 0; k < l->n_ha_addr; k++)
			vrrp |= prefix_equal(&a, &l->ha_addr[k]);
		if (vrrp)
			continue;
		for (size_t k = 0; k < n; k++)
			if (prefix_equal(&a, &have[k].addr)) {
				mg_error(e, c->mesh.path, ep->line,
					 "Endpoint %s%s%s:%u of site %s is this box's own address (on %s), not a VRRP address (HaAddress, %s:%d): the other sites would reach this box alone; give them the VRRP address, or forward the port to it",
					 a.family == AF_INET6 ? "[" : "", ep->host,
					 a.family == AF_INET6 ? "]" : "", ep->port, c->self->name, have[k].ifname, l->path, l->ha_addr_line);
				break;
			}
	}
	mg_errors_flush(e);
}

static int check_ha(const struct mg_config *c, const char *other)
{
	struct mg_errors e = { .out = stderr };
	struct ha_if_addr *have = NULL;
	char list[MG_MAX_HA_ADDRS * (PREFIX_STR_MAX + 2)] = "", a[PREFIX_STR_MAX];
	size_t n = 0, off = 0;
	int ret;

	if (!c->local.n_ha_addr)
		mg_error(&e, c->local.path, c->local.line,
			 "--ha: [Local] has no HaAddress: name the pair's VRRP addresses (keepalived's virtual_ipaddress)");
	mesh_same(c->mesh.path, other, &e);
	if (c->local.n_ha_addr) {
		have = calloc(HA_BOX_ADDRS_MAX, sizeof(*have));
		ret = have ? ha_box_addrs(have, HA_BOX_ADDRS_MAX, &n) : -ENOMEM;
		if (ret)
			fprintf(stderr, "meshgw: --ha: cannot list this box's addresses (%s): Endpoint not checked\n",
				strerror(-ret));
		else
			check_endpoints(c, have, n, &e);
		free(have);
	}
	mg_errors_flush(&e);
	if (e.count) {
		fprintf(stderr, "meshgw: --ha: %d problem%s with the pair\n", e.count, e.count == 1 ? "" : "s");
		return 1;
	}
	for (size_t k = 0; k < c->local.n_ha_addr; k++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", k ? ", " : "",
					prefix_addr_str(&c->local.ha_addr[k], a, sizeof(a)));
	printf("ha: %s and %s read the same; no Endpoint of site %s is this box's own address.\n"
	       "ha: not checked (in no file meshgw reads): that the site router forwards UDP %u to a VRRP address (%s)\n",
	       c->mesh.path, other, c->self->name, c->mesh.listen_port, list);
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct cli_opts o;
	struct mg_config c;
	const char *other = NULL;
	char **args;
	int ret, n = 0;

	/* --ha FILE (or --ha=FILE) is check's own option: taken out before the common
	 * ones are parsed. */
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args)
		return 1;
	for (int i = 0; i < argc; i++) {
		if (i && !strcmp(argv[i], "--ha")) {
			if (i + 1 == argc) {
				fprintf(stderr, "Usage: meshgw check %s\n", CHECK_USAGE);
				free(args);
				return 1;
			}
			other = argv[++i];
		} else if (i && !strncmp(argv[i], "--ha=", 5)) {
			other = argv[i] + 5;
		} else {
			args[n++] = argv[i];
		}
	}
	/* Usage errors and --help with check's own usage line; then the common load. */
	ret = cli_parse(n, args, &o, false, CHECK_USAGE);
	if (ret >= 0 && ret != n) {
		fprintf(stderr, "Usage: meshgw check %s\n", CHECK_USAGE);
		ret = -1;
	}
	if (ret == -2)		/* --help: cli_parse printed the usage line */
		printf("  -c MESH          the mesh file (default " MG_DEFAULT_MESH_PATH ")\n"
		       "  -l LOCAL         this gateway's local file (default " MG_DEFAULT_LOCAL_PATH ")\n"
		       "  --ha OTHER_MESH  two gateways at one site: the other box's mesh file, which\n"
		       "                   must be the same; needs HaAddress in LOCAL, and checks that\n"
		       "                   this site's Endpoint is a VRRP address, not the box's own\n");
	if (ret < 0) {
		free(args);
		return ret == -2 ? 0 : 1;
	}
	if (!cli_load(n, args, false, &o, &c, &ret)) {
		free(args);
		return ret;
	}
	free(args);
	/* -v: what was read, site by site (the lines `meshgw show` will have). */
	for (size_t i = 0; i < c.mesh.n_sites; i++) {
		const struct mg_site *s = &c.mesh.sites[i];

		pr_debug("site %s%s: %zu endpoint%s, %zu egress range%s", s->name,
			 s == c.self ? " (this gateway)" : "", s->n_endpoints,
			 s->n_endpoints == 1 ? "" : "s", s->n_egress, s->n_egress == 1 ? "" : "s");
	}
	for (size_t i = 0; i < c.mesh.n_clients; i++)
		pr_debug("client %s: %zu address%s", c.mesh.clients[i].name,
			 c.mesh.clients[i].n_address, c.mesh.clients[i].n_address == 1 ? "" : "es");
	printf("%s, %s: OK: site %s, %zu sites in the mesh", o.mesh_path, o.local_path,
	       c.self->name, c.mesh.n_sites);
	if (c.mesh.n_clients)
		printf(", %zu client%s", c.mesh.n_clients, c.mesh.n_clients == 1 ? "" : "s");
	putchar('\n');
	fflush(stdout);	/* before --ha's problems on stderr */
	ret = other ? check_ha(&c, other) : 0;
	config_free(&c);
	return ret;
}
