/* meshgw metrics: the Prometheus text exposition on stdout, the same text the
 * daemon serves on GET /metrics. Works with or without anything running: the
 * *_up gauges say what was found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "config.h"
#include "metrics.h"

#define USAGE "[-c MESH] [-l LOCAL]"

int cmd_metrics(int argc, char **argv)
{
	struct mg_errors e = { .out = stderr };
	struct mg_config c;
	struct cli_opts o;
	char *text = NULL;
	size_t len = 0;
	int idx, ret;

	idx = cli_parse(argc, argv, &o, false, USAGE);
	if (idx < 0)
		return idx == -2 ? 0 : 1;
	if (idx != argc) {
		fprintf(stderr, "Usage: meshgw metrics " USAGE "\n");
		return 1;
	}
	if (config_load(&c, o.mesh_path, o.local_path, &e)) {
		fprintf(stderr, "meshgw: %d problem%s in the configuration\n", e.count,
			e.count == 1 ? "" : "s");
		config_free(&c);
		return 1;
	}
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
