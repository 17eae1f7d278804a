/* meshgw check: validate both files and list every problem. */
#include <stdio.h>
#include "commands.h"
#include "config.h"

int cmd_check(int argc, char **argv)
{
	struct cli_opts o;
	struct mg_config c;
	struct mg_errors e = { .out = stderr };
	int idx, ret;

	idx = cli_parse(argc, argv, &o, false, "[-c MESH] [-l LOCAL]");
	if (idx < 0)
		return idx == -2 ? 0 : 1;
	if (idx != argc) {
		fprintf(stderr, "Usage: meshgw check [-c MESH] [-l LOCAL]\n");
		return 1;
	}
	ret = config_load(&c, o.mesh_path, o.local_path, &e);
	if (!ret)
		printf("%s, %s: OK: site %s, %zu sites in the mesh\n", o.mesh_path, o.local_path,
		       c.self->name, c.mesh.n_sites);
	else
		fprintf(stderr, "meshgw: %d problem%s found\n", e.count, e.count == 1 ? "" : "s");
	config_free(&c);
	return ret ? 1 : 0;
}
