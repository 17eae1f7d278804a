// SPDX-License-Identifier: GPL-2.0-only
/* meshgw export -f FORMAT [-c MESH] [-k KEYFILE] [-s MESHSECRETFILE] [-i IFNAME]
 * [-o FILE.png] NAME: the configuration of site NAME for a box running plain
 * WireGuard, or of roaming client NAME (wg-quick, or as a QR code). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "config/config.h"
#include "export/export.h"

#define EXPORT_USAGE "-f wg-quick|openwrt|routeros|qr [-c MESH] [-k KEYFILE] [-s MESHSECRETFILE] [-i IFNAME] [-o FILE.png] SITE|CLIENT"

static int usage(FILE *f, int ret)
{
	fprintf(f, "Usage: meshgw export " EXPORT_USAGE "\n"
		   "  -f  output format; a client exports as wg-quick or qr (the wg-quick file as a\n"
		   "      QR code for the WireGuard phone app)\n"
		   "  -c  mesh file (default " MG_DEFAULT_MESH_PATH ")\n"
		   "  -k  the site's or client's private key file (mode 0600); without it a\n"
		   "      placeholder is printed (qr needs it)\n"
		   "  -s  the mesh secret file: adds each pair's preshared key\n"
		   "  -i  interface name on the target (default " EXPORT_DEFAULT_IF ")\n"
		   "  -o  with -f qr: write the QR code as a PNG picture (mode 0600) instead\n");
	return ret;
}

static void list_sites(const struct mg_mesh *m)
{
	for (size_t i = 0; i < m->n_sites; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", m->sites[i].name);
	if (m->n_clients)
		fprintf(stderr, "; the clients: ");
	for (size_t i = 0; i < m->n_clients; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", m->clients[i].name);
	fputc('\n', stderr);
}

/* The wg-quick text of site or client, rendered as a QR code. */
static int export_as_qr(const struct mg_mesh *m, const struct mg_site *site,
			const struct mg_client *client, const struct export_opts *o,
			const char *png)
{
	struct export_opts wq = *o;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret;

	if (!f)
		return -ENOMEM;
	wq.format = EXPORT_WG_QUICK;
	ret = site ? export_site(f, m, site, &wq) : export_client(f, m, client, &wq);
	if (fclose(f) && !ret)
		ret = -ENOMEM;
	if (!ret)
		ret = export_qr(stdout, text, png);
	if (ret == -E2BIG)
		fprintf(stderr, "meshgw export: the configuration (%zu bytes) is too long for a QR code\n",
			len);
	else if (ret)
		fprintf(stderr, "meshgw export: %s: %s\n", png ? png : "stdout", strerror(-ret));
	/* The text holds the private key. */
	if (text)
		key_wipe(text, len);
	free(text);
	return ret;
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
	const char *png_path = NULL;
	const struct mg_client *client = NULL;
	const uint8_t *want_pub;
	struct export_opts o = { .ifname = EXPORT_DEFAULT_IF };
	uint8_t priv[WG_KEY_LEN], secret[WG_KEY_LEN], pub[WG_KEY_LEN];
	struct mg_errors e = { .out = stderr };
	const struct mg_site *site;
	bool have_format = false;
	struct mg_mesh m;
	int c, ret = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:c:k:s:i:o:h", longopts, NULL)) != -1) {
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
		case 'o':
			png_path = optarg;
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 1);
		}
	}
	if (!have_format || optind != argc - 1)
		return usage(stderr, 1);
	if (png_path && o.format != EXPORT_QR) {
		fprintf(stderr, "meshgw export: -o writes a QR code picture: only with -f qr\n");
		return 1;
	}
	if (o.format == EXPORT_QR && !key_path) {
		fprintf(stderr, "meshgw export: -f qr needs the private key (-k KEYFILE): the phone "
			"takes the configuration as scanned, a placeholder cannot be filled in\n");
		return 1;
	}
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
	if (!site)
		client = mesh_find_client(&m, argv[optind]);
	if (!site && !client) {
		fprintf(stderr, "meshgw: %s: no site or client '%s'; the sites are: ", mesh_path,
			argv[optind]);
		list_sites(&m);
		goto out;
	}
	if (client && o.format != EXPORT_WG_QUICK && o.format != EXPORT_QR) {
		fprintf(stderr, "meshgw export: %s is a client: it exports as wg-quick or qr, not %s\n",
			client->name, export_format_name(o.format));
		goto out;
	}
	if (key_path) {
		want_pub = site ? site->public_key : client->public_key;
		if (read_key(priv, key_path, "-k"))
			goto out;
		if (key_public_from_private(pub, priv) || memcmp(pub, want_pub, WG_KEY_LEN)) {
			fprintf(stderr, "meshgw: -k %s: the key does not match the PublicKey of %s %s (%s:%d)\n",
				key_path, site ? "site" : "client", site ? site->name : client->name,
				mesh_path, site ? site->public_key_line : client->public_key_line);
			goto out;
		}
		o.private_key = priv;
	}
	if (secret_path) {
		if (read_key(secret, secret_path, "-s"))
			goto out;
		o.mesh_secret = secret;
	}
	if (o.format == EXPORT_QR) {
		if (export_as_qr(&m, site, client, &o, png_path))
			goto out;
	} else if (site ? export_site(stdout, &m, site, &o) : export_client(stdout, &m, client, &o)) {
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
