// SPDX-License-Identifier: GPL-2.0-only
/* meshgw check: validate both files and list every problem. */
#include <stdio.h>
#include "cmd/commands.h"
#include "config/config.h"

int cmd_check(int argc, char **argv)
{
	struct cli_opts o;
	struct mg_config c;
	int ret;

	if (!cli_load(argc, argv, false, &o, &c, &ret))
		return ret;
	printf("%s, %s: OK: site %s, %zu sites in the mesh\n", o.mesh_path, o.local_path,
	       c.self->name, c.mesh.n_sites);
	config_free(&c);
	return 0;
}
