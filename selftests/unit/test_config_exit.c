// SPDX-License-Identifier: GPL-2.0-only
/* The internet exit keys: Exit = yes in a [Site], ExitVia / ExitSources /
 * ExitDestinations in [Local]. Values parsed in order; every rule of `meshgw check`
 * (an ExitVia that is no exit, this site, unknown; sources outside this site's
 * egress; destinations on mesh ranges) rejected with the exact file:line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "tap.h"
#include "config/config.h"

static char dir[] = "/tmp/meshgw-cfgexit-XXXXXX", mesh[128], local[128], key[128];

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* The mesh: london (this site, two LAN ranges), madrid (Exit = yes), paris (no exit). */
static void write_mesh(const char *pub)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "[Mesh]\n"				/* 1 */
		 "Network = 10.0.0.0/24\n"		/* 2 */
		 "ListenPort = 51820\n"			/* 3 */
		 "[Site london]\n"			/* 4 */
		 "Address = 10.0.0.1\n"			/* 5 */
		 "PublicKey = %s\n"			/* 6 */
		 "Egress = 192.168.1.0/24, fd01::/64\n"	/* 7 */
		 "Egress = 172.16.0.0/16\n"		/* 8 */
		 "[Site madrid]\n"			/* 9 */
		 "Address = 10.0.0.2\n"			/* 10 */
		 "PublicKey = T/ch48Tb4geCwDLDWA+0W7OTn6U4xrTjm32HhZc6gHM=\n"	/* 11 */
		 "Endpoint = 192.0.2.2:51820\n"		/* 12 */
		 "Egress = 192.168.2.0/24\n"		/* 13 */
		 "Exit = yes\n"				/* 14 */
		 "[Site paris]\n"			/* 15 */
		 "Address = 10.0.0.3\n"			/* 16 */
		 "PublicKey = mK7dd3vCHOs5Rs5i6hlaAPEFgVMzx8Y7i9uYoTXz3Qg=\n"	/* 17 */
		 "Endpoint = 192.0.2.3:51820\n"		/* 18 */
		 "Egress = 192.168.3.0/24\n"		/* 19 */
		 "Exit = no\n",				/* 20 */
		 pub);
	write_file(mesh, text, 0644);
}

/* config_load with the local file's [Local] header, Site, key and LAN (lines 1-4)
 * followed by extra; the problems reported, in errs. */
static int load(const char *extra, struct mg_config *c, char *errs, size_t len)
{
	char text[2048];
	FILE *f;
	struct mg_errors e = { 0 };
	int ret;

	snprintf(text, sizeof(text), "[Local]\nSite = london\nPrivateKeyFile = a.key\n"
		 "LanInterface = eth0\n%s", extra);
	write_file(local, text, 0644);
	errs[0] = '\0';
	f = fmemopen(errs, len, "w");
	e.out = f;
	ret = config_load(c, mesh, local, &e);
	fclose(f);
	return ret ? -e.count : 0;
}

/* errs holds "<local>:LINE: msg" as one of its lines. */
static bool reports(const char *errs, const char *path, int line, const char *msg)
{
	char want[1024];

	snprintf(want, sizeof(want), "%s:%d: %s\n", path, line, msg);
	return strstr(errs, want) != NULL;
}

static void good(void)
{
	struct mg_config c;
	char errs[4096];
	int ret = load("ExitVia = madrid\n"
		       "ExitSources = 192.168.1.128/25, fd01::/64\n"
		       "ExitSources = 172.16.5.0/24\n"
		       "ExitDestinations = 203.0.113.0/24\n"
		       "ExitDestinations = 2001:db8::/32\n", &c, errs, sizeof(errs));

	ok(!ret, "ExitVia madrid with sources and destinations: valid%s%s", *errs ? ": " : "", errs);
	if (ret)
		return;
	ok(mesh_find_site(&c.mesh, "madrid")->exit && !mesh_find_site(&c.mesh, "paris")->exit,
	   "Exit = yes / no parsed");
	is_int((int)c.local.n_exit_via, 1, "one ExitVia");
	is_str(c.local.exit_via[0], "madrid", "  madrid");
	is_int((int)c.local.exit_sources.n, 3, "three ExitSources over two lines");
	is_int(c.local.exit_sources.line[2], 7, "  the third from line 7");
	is_int((int)c.local.exit_destinations.n, 2, "two ExitDestinations");
	is_int(c.local.exit_destinations.p[1].family, AF_INET6, "  the second IPv6");
	config_free(&c);

	ret = load("", &c, errs, sizeof(errs));
	ok(!ret && !c.local.n_exit_via, "no exit keys: no exit");
	config_free(&c);
}

static void bad(void)
{
	struct mg_config c;
	char errs[8192];
	int n;

	n = load("ExitVia = paris\n"			/* 5: not an exit */
		 "ExitVia = london, rome\n"		/* 6: this site, unknown */
		 "ExitVia = Madrid\n"			/* 7: fine (names are case-insensitive) */
		 "ExitVia = madrid\n"			/* 8: duplicate */
		 "ExitSources = 192.168.2.0/24\n"	/* 9: madrid's range */
		 "ExitSources = 192.168.0.0/16\n"	/* 10: wider than london's /24 */
		 "ExitSources = 172.16.1.0/24\n"	/* 11: fine */
		 "ExitDestinations = 10.0.0.0/8\n"	/* 12: covers the mesh Network */
		 "ExitDestinations = 192.168.3.128/25\n"	/* 13: inside paris's range */
		 "ExitDestinations = 198.51.100.0/24\n"	/* 14: fine */
		 "ExitDestinations = 198.51.100.1/24\n"	/* 15: host bits */
		 "ExitVia = a/b\n",			/* 16 */
		 &c, errs, sizeof(errs));
	config_free(&c);
	is_int(n, -10, "ten problems");
	ok(strstr(errs, ":5: ExitVia paris: site paris does not offer its internet (no 'Exit = yes' in [Site paris], ") &&
	   strstr(errs, "/mesh.conf:15)\n"), "an ExitVia site that is no exit, naming its section with file:line");
	ok(reports(errs, local, 6, "ExitVia london is this site itself: traffic already leaves by its own internet"),
	   "ExitVia this site");
	ok(strstr(errs, ":6: ExitVia rome is not a [Site] of the mesh file "), "ExitVia an unknown site");
	ok(strstr(errs, ":8: duplicate ExitVia madrid (first at "), "ExitVia twice");
	ok(strstr(errs, ":9: ExitSources 192.168.2.0/24 is not inside an Egress range of this site london ("),
	   "a source in another site's range");
	ok(strstr(errs, ":10: ExitSources 192.168.0.0/16 is not inside an Egress range of this site london ("),
	   "a source wider than this site's range");
	ok(strstr(errs, ":12: ExitDestinations 10.0.0.0/8 overlaps the mesh Network 10.0.0.0/24 ("),
	   "a destination over the mesh Network");
	ok(strstr(errs, ":13: ExitDestinations 192.168.3.128/25 overlaps Egress 192.168.3.0/24 of site paris (") &&
	   strstr(errs, "/mesh.conf:19): mesh traffic never takes the exit"),
	   "a destination inside a site's range, naming it");
	ok(reports(errs, local, 15, "ExitDestinations 198.51.100.1/24 has host bits set"), "host bits");
	ok(reports(errs, local, 16, "ExitVia 'a/b' is not a site name (1 to 31 letters, digits, '_', '.' or '-')"),
	   "a bad site name");
	if (n != -10)
		tap_diag("reported:\n%s", errs);

	n = load("ExitSources = 192.168.1.0/24\nExitDestinations = 198.51.100.0/24\n", &c, errs,
		 sizeof(errs));
	config_free(&c);
	ok(n == -2 && reports(errs, local, 5, "ExitSources without ExitVia: name the exit site first") &&
	   reports(errs, local, 6, "ExitDestinations without ExitVia: name the exit site first"),
	   "sources and destinations without ExitVia");
	if (n != -2)
		tap_diag("reported:\n%s", errs);
}

/* Exit in a [Site] takes yes or no only. */
static void site_exit_value(void)
{
	const char *txt = "[Mesh]\nNetwork = 10.0.0.0/24\nListenPort = 1\n[Site a]\nAddress = 10.0.0.1\n"
			  "PublicKey = T/ch48Tb4geCwDLDWA+0W7OTn6U4xrTjm32HhZc6gHM=\nExit = maybe\nExit = yes\n";
	char errs[1024] = "";
	FILE *f = fmemopen(errs, sizeof(errs), "w");
	struct mg_errors e = { .out = f };
	struct mg_mesh m;

	mesh_parse(&m, "m.conf", txt, strlen(txt), &e);
	fclose(f);
	mesh_free(&m);
	ok(e.count == 2 && strstr(errs, "m.conf:7: Exit 'maybe' of site a is not yes or no\n") &&
	   strstr(errs, "m.conf:8: duplicate Exit (first at m.conf:7)\n"), "Exit = maybe, then twice: refused with file:line");
}

int main(void)
{
	char text[128], b64[WG_KEY_B64_LEN];
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];

	if (sodium_init() < 0 || !mkdtemp(dir))
		return 1;
	snprintf(mesh, sizeof(mesh), "%s/mesh.conf", dir);
	snprintf(local, sizeof(local), "%s/local.conf", dir);
	snprintf(key, sizeof(key), "%s/a.key", dir);
	key_generate_private(priv);
	key_public_from_private(pub, priv);
	key_to_base64(b64, priv);
	snprintf(text, sizeof(text), "%s\n", b64);
	write_file(key, text, 0600);
	key_to_base64(b64, pub);
	write_mesh(b64);

	good();
	bad();
	site_exit_value();

	unlink(mesh);
	unlink(local);
	unlink(key);
	rmdir(dir);
	return tap_done();
}
