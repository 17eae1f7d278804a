// SPDX-License-Identifier: GPL-2.0-only
/* meshgw metrics: the Prometheus text exposition on stdout, the same text the
 * daemon serves on GET /metrics. Works with or without anything running: the
 * *_up gauges say what was found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "config/config.h"
#include "observe/metrics.h"

int cmd_metrics(int argc, char **argv)
{
	struct mg_config c;
	struct cli_opts o;
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (!cli_load(argc, argv, false, &o, &c, &ret))
		return ret;
	ret = metrics_collect(&c, &text, &len);
	config_free(&c);
	if (ret) {
		fprintf(stderr, "meshgw: cannot build the metrics: %s\n", strerror(-ret));
		return 1;
	}
	fwrite(text, 1, len, stdout);
	free(text);
	return fflush(stdout) || ferror(stdout) ? 1 : 0;
}
