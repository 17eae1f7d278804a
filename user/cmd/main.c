// SPDX-License-Identifier: GPL-2.0-only
/* meshgw: site-to-site mesh VPN gateway. Subcommands in the style of wg(8). */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "cmd/commands.h"
#include "lib/log.h"
#include "observe/metrics.h"	/* MESHGW_VERSION, also meshgw_build_info's */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
} commands[] = {
	{ "genkey", cmd_genkey, "", "Generates a new private key and writes it to stdout" },
	{ "pubkey", cmd_pubkey, "", "Reads a private key from stdin and writes its public key" },
	{ "genpsk", cmd_genpsk, "", "Generates a new preshared key (or mesh secret)" },
	{ "check", cmd_check, "[-c MESH] [-l LOCAL] [--ha OTHER_MESH]", "Validates the configuration, listing every problem" },
	{ "up", cmd_up, "[-c MESH] [-l LOCAL]", "Brings the gateway to the configured state (idempotent)" },
	{ "down", cmd_down, "[-c MESH] [-l LOCAL]", "Removes exactly what up created" },
	{ "export", cmd_export, "-f FORMAT [-c MESH] [-k KEY] [-s SECRET] [-i IFNAME] [-o PNG] NAME", "Writes site NAME's configuration for plain WireGuard (wg-quick, openwrt, routeros), or client NAME's (wg-quick, qr)" },
	{ "run", cmd_run, "[-c MESH] [-l LOCAL]", "Runs the gateway: up, then endpoint failover; SIGHUP reloads" },
	{ "show", cmd_show, "[-j] [-c MESH] [-l LOCAL]", "Shows peers, endpoints, health, counters and failovers" },
	{ "metrics", cmd_metrics, "[-c MESH] [-l LOCAL]", "Prints the Prometheus metrics (text exposition format)" },
};

/* The command list's columns: name, arguments, and the help from HELP_COL on (a
 * command whose arguments reach it has its help on the next line), wrapped at
 * word boundaries to end by LINE_MAX_COL. cli_options.t.sh checks the layout. */
#define ARGS_WIDTH 28
#define HELP_COL (2 + 8 + 1 + ARGS_WIDTH + 1)
#define LINE_MAX_COL 100	/* wg(8)'s lines are as long */

static void usage_line(FILE *f, const char *name, const char *args, const char *help)
{
	int col;

	if (strlen(args) > ARGS_WIDTH) {
		fprintf(f, "  %-8s %s\n", name, args);
		col = 0;
	} else {
		col = fprintf(f, "  %-8s %-*s ", name, ARGS_WIDTH, args);
	}
	while (*help) {
		size_t n = strlen(help), room = LINE_MAX_COL - HELP_COL;

		if (n > room) {	/* the last space that fits; a longer word goes whole */
			n = room;
			while (n && help[n] != ' ')
				n--;
			if (!n)
				n = strcspn(help, " ");
		}
		fprintf(f, "%*s%.*s\n", HELP_COL - col, "", (int)n, help);
		col = 0;
		help += n;
		help += strspn(help, " ");
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: meshgw [-v] <command> [<args>]\n       meshgw --version\n\n"
		   "Available commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		usage_line(f, commands[i].name, commands[i].args, commands[i].help);
	fprintf(f, "\n-c and -l default to /etc/meshgw/mesh.conf and /etc/meshgw/local.conf.\n"
		   "-v (before the command, or among its options) logs debug messages too.\n"
		   "You may pass `--help' to any command for its usage.\n");
}

int main(int argc, char **argv)
{
	log_setup();
	if (sodium_init() < 0) {
		pr_err("libsodium failed to initialise");
		return 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("meshgw %s\n", MESHGW_VERSION);
		return 0;
	}
	/* -v (or --verbose) before the command; the commands accept it among their
	 * options too (cli.c), so `meshgw run -v` in a unit's ExecStart works. */
	while (argc >= 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose"))) {
		log_verbosity = LOG_DEBUG;
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "Invalid subcommand: `%s'\n", argv[1]);
	usage(stderr);
	return 1;
}
