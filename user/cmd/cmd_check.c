// SPDX-License-Identifier: GPL-2.0-only
/* meshgw check: validate both files and list every problem. */
#include <stdio.h>
#include "cmd/commands.h"
#include "config/config.h"
#include "lib/log.h"

int cmd_check(int argc, char **argv)
{
	struct cli_opts o;
	struct mg_config c;
	int ret;

	if (!cli_load(argc, argv, false, &o, &c, &ret))
		return ret;
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
	config_free(&c);
	return 0;
}
