// SPDX-License-Identifier: GPL-2.0-only
/* meshgw export -f FORMAT [-c MESH] [-k KEYFILE] [-s MESHSECRETFILE] [-i IFNAME] SITE:
 * the configuration of SITE for a box running plain WireGuard. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "cmd/commands.h"
#include "config/config.h"
#include "export/export.h"

#define EXPORT_USAGE "-f wg-quick|openwrt|routeros [-c MESH] [-k KEYFILE] [-s MESHSECRETFILE] [-i IFNAME] SITE"

static int usage(FILE *f, int ret)
{
	fprintf(f, "Usage: meshgw export " EXPORT_USAGE "\n"
		   "  -f  output format\n"
		   "  -c  mesh file (default " MG_DEFAULT_MESH_PATH ")\n"
		   "  -k  SITE's private key file (mode 0600); without it a placeholder is printed\n"
		   "  -s  the mesh secret file: adds each pair's preshared key\n"
		   "  -i  interface name on the target (default " EXPORT_DEFAULT_IF ")\n");
	return ret;
}

static void list_sites(const struct mg_mesh *m)
{
	for (size_t i = 0; i < m->n_sites; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", m->sites[i].name);
	fputc('\n', stderr);
}

/* A key file read with key_read_file (must be private); 0 or -errno, message printed. */
static int read_key(uint8_t key[WG_KEY_LEN], const char *path, const char *what)
{
	char err[PATH_MAX + 256];
	int ret = key_read_file(key, path, true, err, sizeof(err));

	if (ret)
		fprintf(stderr, "meshgw: %s: %s\n", what, err);
	return ret;
}

int cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mesh_path = MG_DEFAULT_MESH_PATH, *key_path = NULL, *secret_path = NULL;
	struct export_opts o = { .ifname = EXPORT_DEFAULT_IF };
	uint8_t priv[WG_KEY_LEN], secret[WG_KEY_LEN], pub[WG_KEY_LEN];
	struct mg_errors e = { .out = stderr };
	const struct mg_site *site;
	bool have_format = false;
	struct mg_mesh m;
	int c, ret = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:c:k:s:i:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (export_format_parse(optarg, &o.format)) {
				fprintf(stderr, "meshgw export: unknown format '%s'\n", optarg);
				return usage(stderr, 1);
			}
			have_format = true;
			break;
		case 'c':
			mesh_path = optarg;
			break;
		case 'k':
			key_path = optarg;
			break;
		case 's':
			secret_path = optarg;
			break;
		case 'i':
			o.ifname = optarg;
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 1);
		}
	}
	if (!have_format || optind != argc - 1)
		return usage(stderr, 1);
	if (!export_ifname_valid(o.format, o.ifname)) {
		fprintf(stderr, "meshgw export: '%s' is not a valid %s interface name\n", o.ifname,
			export_format_name(o.format));
		return 1;
	}

	if (mesh_load(&m, mesh_path, &e)) {
		fprintf(stderr, "meshgw: %s: %d problem%s found\n", mesh_path, e.count,
			e.count == 1 ? "" : "s");
		goto out;
	}
	site = mesh_find_site(&m, argv[optind]);
	if (!site) {
		fprintf(stderr, "meshgw: %s: no site '%s'; the sites are: ", mesh_path, argv[optind]);
		list_sites(&m);
		goto out;
	}
	if (key_path) {
		if (read_key(priv, key_path, "-k"))
			goto out;
		if (key_public_from_private(pub, priv) || memcmp(pub, site->public_key, WG_KEY_LEN)) {
			fprintf(stderr, "meshgw: -k %s: the key does not match the PublicKey of site %s (%s:%d)\n",
				key_path, site->name, mesh_path, site->public_key_line);
			goto out;
		}
		o.private_key = priv;
	}
	if (secret_path) {
		if (read_key(secret, secret_path, "-s"))
			goto out;
		o.mesh_secret = secret;
	}
	if (export_site(stdout, &m, site, &o)) {
		perror("meshgw: stdout");
		goto out;
	}
	ret = 0;
out:
	key_wipe(priv, sizeof(priv));
	key_wipe(secret, sizeof(secret));
	mesh_free(&m);
	return ret;
}
