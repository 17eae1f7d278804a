/* meshgw run: up, then stay as the site's failover daemon (user/daemon/). */
#include <stdio.h>
#include "cmd/commands.h"
#include "daemon/daemon.h"

int cmd_run(int argc, char **argv)
{
	struct cli_opts o;
	int idx;

	idx = cli_parse(argc, argv, &o, false, "[-c MESH] [-l LOCAL]");
	if (idx < 0)
		return idx == -2 ? 0 : 1;
	if (idx != argc) {
		fprintf(stderr, "Usage: meshgw run [-c MESH] [-l LOCAL]\n");
		return 1;
	}
	/* Lines, not blocks: the log is read live (journal, a terminal, a test). */
	setvbuf(stderr, NULL, _IOLBF, 0);
	return daemon_run(o.mesh_path, o.local_path);
}
