// SPDX-License-Identifier: GPL-2.0-only
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
	int ret;

	if (!cli_args(argc, argv, false, &o, &ret))
		return ret;
	if (local_load(&l, o.local_path, &e))
		return 1;
	return gateway_down(&l) ? 1 : 0;
}
