/* SPDX-License-Identifier: GPL-2.0-only */
/* One function per subcommand; main.c dispatches through its table. */
#pragma once
#include <stdbool.h>

int cmd_genkey(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_genpsk(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_metrics(int argc, char **argv);

/* Options shared by the config-reading subcommands: -c MESH, -l LOCAL, and -j when
 * allow_json. Returns the index of the first positional argument, or -1 after
 * printing a usage error. */
struct cli_opts {
	const char *mesh_path;
	const char *local_path;
	bool json;
};
int cli_parse(int argc, char **argv, struct cli_opts *o, bool allow_json, const char *usage);
/* cli_parse for the subcommands that take no other argument. true with o filled;
 * false when the command must end with *status (0 after --help, 1 after a usage
 * error, printed). */
bool cli_args(int argc, char **argv, bool allow_json, struct cli_opts *o, int *status);

struct mg_config;
/* The common start of the config-reading subcommands: -c/-l (and -j when
 * allow_json), no other argument, then config_load with every problem printed.
 * true with c loaded; false when the command must end with *status (0 after
 * --help, 1 on a usage or configuration error; c is then already freed). */
bool cli_load(int argc, char **argv, bool allow_json, struct cli_opts *o, struct mg_config *c,
	      int *status);
/* cli_load's second half: the files o names. */
bool cli_config(const struct cli_opts *o, struct mg_config *c, int *status);
