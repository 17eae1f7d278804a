// SPDX-License-Identifier: GPL-2.0-only
/* meshgw run: up, then stay as the site's failover daemon (user/daemon/). */
#include <stdio.h>
#include "cmd/commands.h"
#include "daemon/daemon.h"

int cmd_run(int argc, char **argv)
{
	struct cli_opts o;
	int ret;

	if (!cli_args(argc, argv, false, &o, &ret))
		return ret;
	/* Lines, not blocks: the log is read live (journal, a terminal, a test). */
	setvbuf(stderr, NULL, _IOLBF, 0);
	return daemon_run(o.mesh_path, o.local_path);
}
