// SPDX-License-Identifier: GPL-2.0-only
/* meshgw up: the gateway to the configured state (gateway/gateway_up.c). */
#include "cmd/commands.h"
#include "config/config.h"
#include "gateway/gateway.h"

int cmd_up(int argc, char **argv)
{
	struct mg_config c;
	struct cli_opts o;
	int ret;

	if (!cli_load(argc, argv, false, &o, &c, &ret))
		return ret;
	/* A second `up` while `meshgw run` manages endpoints must not undo its choice. */
	ret = gateway_up(&c, true);
	config_free(&c);
	return ret ? 1 : 0;
}
