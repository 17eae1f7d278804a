// SPDX-License-Identifier: GPL-2.0-only
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cmd/commands.h"
#include "config/config.h"
#include "lib/log.h"

int cli_parse(int argc, char **argv, struct cli_opts *o, bool allow_json, const char *usage)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->mesh_path = MG_DEFAULT_MESH_PATH;
	o->local_path = MG_DEFAULT_LOCAL_PATH;
	o->json = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, allow_json ? "+c:l:jvh" : "+c:l:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->mesh_path = optarg;
			break;
		case 'l':
			o->local_path = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'v':
			log_verbosity = LOG_DEBUG;
			break;
		case 'h':
			printf("Usage: meshgw %s %s\n", argv[0], usage);
			return -2;
		default:
			fprintf(stderr, "Usage: meshgw %s %s\n", argv[0], usage);
			return -1;
		}
	}
	return optind;
}

bool cli_args(int argc, char **argv, bool allow_json, struct cli_opts *o, int *status)
{
	const char *usage = allow_json ? "[-j] [-c MESH] [-l LOCAL]" : "[-c MESH] [-l LOCAL]";
	int idx = cli_parse(argc, argv, o, allow_json, usage);

	if (idx >= 0 && idx != argc) {
		fprintf(stderr, "Usage: meshgw %s %s\n", argv[0], usage);
		idx = -1;
	}
	if (idx < 0) {
		*status = idx == -2 ? 0 : 1;
		return false;
	}
	return true;
}

bool cli_config(const struct cli_opts *o, struct mg_config *c, int *status)
{
	struct mg_errors e = { .out = stderr };
	int ret = config_load(c, o->mesh_path, o->local_path, &e);

	if ((!ret || ret == -EINVAL) && config_check_uplinks(&c->local, &e))
		ret = -EINVAL;
	if (ret) {
		fprintf(stderr, "meshgw: %d problem%s found in %s and %s; nothing was changed\n", e.count,
			e.count == 1 ? "" : "s", o->mesh_path, o->local_path);
		config_free(c);
		*status = 1;
		return false;
	}
	return true;
}

bool cli_load(int argc, char **argv, bool allow_json, struct cli_opts *o, struct mg_config *c,
	      int *status)
{
	return cli_args(argc, argv, allow_json, o, status) && cli_config(o, c, status);
}
