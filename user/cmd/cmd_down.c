/* meshgw down: removes exactly what up created (gateway/gateway_down.c). */
#include <stdio.h>
#include "cmd/commands.h"
#include "config/config.h"
#include "gateway/gateway.h"

int cmd_down(int argc, char **argv)
{
	struct mg_errors e = { .out = stderr };
	struct mg_local l;
	struct cli_opts o;
	int idx;

	idx = cli_parse(argc, argv, &o, false, "[-c MESH] [-l LOCAL]");
	if (idx < 0)
		return idx == -2 ? 0 : 1;
	if (idx != argc) {
		fprintf(stderr, "Usage: meshgw down [-c MESH] [-l LOCAL]\n");
		return 1;
	}
	if (local_load(&l, o.local_path, &e))
		return 1;
	return gateway_down(&l) ? 1 : 0;
}
