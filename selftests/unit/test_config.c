// SPDX-License-Identifier: GPL-2.0-only
/* Configuration parser and validation: the example meshes, syntax variants, and one
 * case per validation error, each asserting the exact "file:line: message" and that
 * conflicts name both offenders. Then config_load against real files (key file
 * modes, key mismatch, local site missing) and a 1000-site mesh for speed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "tap.h"
#include "config/config.h"

#define K1 "vKvkxNPhWuOP/dqdASJMikzon5z6NrepfNuV4BtQmUg="
#define K2 "T/ch48Tb4geCwDLDWA+0W7OTn6U4xrTjm32HhZc6gHM="
#define K3 "mK7dd3vCHOs5Rs5i6hlaAPEFgVMzx8Y7i9uYoTXz3Qg="

/* ---- helpers ---------------------------------------------------------------------- */

struct result {
	char *out;	/* everything reported, one problem per line */
	int count;
	int ret;
};

static struct result run_mesh_len(const char *txt, size_t len, struct mg_mesh *keep)
{
	struct result r = { 0 };
	size_t outlen;
	FILE *f = open_memstream(&r.out, &outlen);
	struct mg_errors e = { .out = f };
	struct mg_mesh m;
	int r1 = mesh_parse(&m, "mesh.conf", txt, len, &e);
	int r2 = mesh_validate(&m, &e);

	fclose(f);
	r.count = e.count;
	r.ret = r1 ? r1 : r2;
	if (keep)
		*keep = m;
	else
		mesh_free(&m);
	return r;
}

static struct result run_mesh(const char *txt, struct mg_mesh *keep)
{
	return run_mesh_len(txt, strlen(txt), keep);
}

static struct result run_local(const char *txt, struct mg_local *l)
{
	struct result r = { 0 };
	size_t outlen;
	FILE *f = open_memstream(&r.out, &outlen);
	struct mg_errors e = { .out = f };

	r.ret = local_parse(l, "local.conf", txt, strlen(txt), &e);
	fclose(f);
	r.count = e.count;
	return r;
}

/* true when want is one whole line of out */
static bool has_line(const char *out, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, want, n) && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static void show(const struct result *r)
{
	char *copy = strdup(r->out ? r->out : ""), *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		tap_diag("  reported: %s", l);
	free(copy);
}

/* Expects exactly n problems, among them each of the given lines. */
static void expect(const char *name, struct result r, int n, const char *const *lines)
{
	bool good = is_int(r.count, n, name) & (r.ret == (n ? -EINVAL : 0));

	for (; lines && *lines; lines++)
		good &= ok(has_line(r.out, *lines), "%s: reports '%s'", name, *lines);
	if (!good)
		show(&r);
	free(r.out);
}

#define EXPECT(name, txt, n, ...) \
	expect(name, run_mesh(txt, NULL), n, (const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_LOCAL(name, txt, n, ...) do { struct mg_local _l; \
	expect(name, run_local(txt, &_l), n, (const char *const[]){ __VA_ARGS__, NULL }); } while (0)

/* The base mesh: each test changes a line or two. Line numbers matter. */
#define MESH_HDR \
	"[Mesh]\n"			/* 1 */ \
	"Network = 10.0.0.0/24\n"	/* 2 */ \
	"ListenPort = 51820\n"		/* 3 */ \
	"\n"				/* 4 */
#define SITE_A \
	"[Site a]\n"			/* 5 */ \
	"Address = 10.0.0.1\n"		/* 6 */ \
	"PublicKey = " K1 "\n"		/* 7 */ \
	"Endpoint = 192.0.2.1:51820\n"	/* 8 */ \
	"Egress = 192.168.0.0/16\n"	/* 9 */ \
	"\n"				/* 10 */

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		perror(path);
	fchmod(fd, mode);
	close(fd);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, (1 << 16) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char *t = slurp(from);

	write_file(to, t, mode);
	free(t);
}

/* ---- success cases ------------------------------------------------------------------ */

static void test_examples(const char *src)
{
	struct mg_errors e = { .out = stderr };
	struct mg_mesh m;
	char path[PATH_MAX];
	const struct mg_site *s;
	char buf[PREFIX_STR_MAX];

	snprintf(path, sizeof(path), "%s/examples/three-sites/mesh.conf", src);
	is_int(mesh_load(&m, path, &e), 0, "three-site example mesh loads");
	is_int(m.n_sites, 3, "three sites");
	is_str(prefix_str(&m.network, buf, sizeof(buf)), "192.168.254.0/24", "mesh network");
	is_int(m.listen_port, 55555, "ListenPort 55555");
	s = mesh_find_site(&m, "site2");
	ok(s && s->n_egress == 1 && s->n_endpoints == 2, "site2: one egress, two endpoints");
	if (s)
		is_str(prefix_str(&s->egress[0], buf, sizeof(buf)), "192.168.1.0/24", "site2 egress");
	s = mesh_find_site(&m, "site1");
	ok(s && s->n_endpoints == 2 && !s->endpoints[1].is_literal &&
	   !strcmp(s->endpoints[1].host, "site1-isp2.example.net") &&
	   s->endpoints[0].is_literal && s->endpoints[0].port == 55555,
	   "site1: literal endpoint first, host name second, in file order");
	ok(!mesh_find_site(&m, "site4"), "unknown site not found");
	ok(mesh_find_site(&m, "SITE3") == &m.sites[2], "site names match without case");
	mesh_free(&m);

	snprintf(path, sizeof(path), "%s/examples/two-sites/mesh.conf", src);
	is_int(mesh_load(&m, path, &e), 0, "London/Madrid example mesh loads");
	is_int(m.listen_port, 50501, "ListenPort 50501");
	is_int(m.keepalive, MG_DEFAULT_KEEPALIVE, "PersistentKeepalive defaults to 25");
	is_int(m.mtu, MG_DEFAULT_MTU, "MTU defaults to 1420");
	s = mesh_find_site(&m, "madrid");
	ok(s && s->address.family == AF_INET && s->address.len == 32, "madrid address is a /32");
	mesh_free(&m);
}

static void test_syntax_variants(void)
{
	struct mg_mesh m;
	struct result r;
	char buf[PREFIX_STR_MAX];

	r = run_mesh("\xef\xbb\xbf# a byte order mark, then a comment\r\n"
		     "  [mesh]   # lower case section\r\n"
		     "network=fd00:1::/64\r\n"
		     "LISTENPORT   =\t51820   # trailing comment\r\n"
		     "persistentkeepalive = off\n"
		     "Mtu = 1380\n"
		     "[SITE a]\n"
		     "address = fd00:1::1\n"
		     "publickey = " K1 "\n"
		     "endpoint = [2001:db8::1]:51820\n"
		     "Endpoint = gw-a.example.com:443, 192.0.2.1:1\n"
		     "Egress = 2001:db8:a::/48, 2001:db8:aa::/48\n"
		     "Egress = 0.0.0.0/1\n"
		     "[Site b]\n"
		     "Address = fd00:1::2\n"
		     "PublicKey = " K2 "\n"
		     "Endpoint = [::ffff:100.64.0.9]:65535\n"
		     "Egress = 2001:db8:b::/48\n"
		     "Egress = 128.0.0.0/1   # the other half of IPv4\n"
		     "Egress = ::ffff:0:0/96\n", &m);
	is_int(r.count, 0, "IPv6 mesh, BOM, comments, CRLF, any case, lists: no problem");
	if (r.count)
		show(&r);
	free(r.out);
	is_int(m.keepalive, 0, "PersistentKeepalive = off is 0");
	is_int(m.mtu, 1380, "MTU parsed");
	is_int(m.n_sites, 2, "two sites");
	if (m.n_sites == 2) {
		const struct mg_site *a = &m.sites[0];

		is_int(a->n_endpoints, 3, "comma list gives three endpoints");
		is_str(a->endpoints[0].host, "2001:db8::1", "bracketed IPv6 endpoint without brackets");
		ok(a->endpoints[0].is_literal && a->endpoints[0].port == 51820, "IPv6 endpoint literal + port");
		ok(!a->endpoints[1].is_literal && a->endpoints[1].port == 443, "host name endpoint");
		is_int(a->n_egress, 3, "three egress ranges");
		is_str(prefix_str(&a->egress[1], buf, sizeof(buf)), "2001:db8:aa::/48", "IPv6 egress, second of a list");
		is_int(a->egress_lines[2], 13, "egress line recorded");
		is_int(a->endpoints[2].line, 11, "endpoint line recorded");
	}
	mesh_free(&m);
}

/* ---- every validation error ----------------------------------------------------------- */

static void test_errors(void)
{
	EXPECT("overlap between sites",
	       MESH_HDR SITE_A
	       "[Site b]\n"			/* 11 */
	       "Address = 10.0.0.2\n"		/* 12 */
	       "PublicKey = " K2 "\n"		/* 13 */
	       "Endpoint = 192.0.2.2:51820\n"	/* 14 */
	       "Egress = 192.168.1.0/24\n",	/* 15 */
	       1, "mesh.conf:15: Egress 192.168.1.0/24 of site b overlaps Egress 192.168.0.0/16 of site a (mesh.conf:9)");

	EXPECT("overlap reported at the later line even when the wider range comes last",
	       MESH_HDR
	       "[Site a]\n"			/* 5 */
	       "Address = 10.0.0.1\n"
	       "PublicKey = " K1 "\n"
	       "Endpoint = 192.0.2.1:51820\n"
	       "Egress = 172.16.5.0/24\n"	/* 9 */
	       "[Site b]\n"			/* 10 */
	       "Address = 10.0.0.2\n"
	       "PublicKey = " K2 "\n"
	       "Endpoint = 192.0.2.2:51820\n"
	       "Egress = 172.16.0.0/12\n",	/* 14 */
	       1, "mesh.conf:14: Egress 172.16.0.0/12 of site b overlaps Egress 172.16.5.0/24 of site a (mesh.conf:9)");

	EXPECT("overlap within one site",
	       MESH_HDR SITE_A
	       "Egress = 192.168.7.0/24\n",	/* 11 */
	       1, "mesh.conf:11: Egress 192.168.7.0/24 of site a overlaps Egress 192.168.0.0/16 of site a (mesh.conf:9)");

	EXPECT("same range in two sites",
	       MESH_HDR SITE_A
	       "[Site b]\n"			/* 11 */
	       "Address = 10.0.0.2\n"
	       "PublicKey = " K2 "\n"
	       "Endpoint = 192.0.2.2:51820\n"
	       "Egress = 192.168.0.0/16\n",	/* 15 */
	       1, "mesh.conf:15: Egress 192.168.0.0/16 of site b overlaps Egress 192.168.0.0/16 of site a (mesh.conf:9)");

	/* Looked up per prefix length (config_validate.c): each range that holds
	 * the endpoint is named, by site and range, whatever the lengths' order. */
	EXPECT("endpoint inside three ranges of two sites, one IPv4-mapped",
	       MESH_HDR SITE_A
	       "[Site b]\n"			/* 11 */
	       "Address = 10.0.0.2\n"
	       "PublicKey = " K2 "\n"
	       "Endpoint = 198.51.100.1:51820\n"
	       "Egress = 172.16.5.4/30\n"	/* 15 */
	       "Egress = 172.16.0.0/12\n"	/* 16 */
	       "[Site c]\n"			/* 17 */
	       "Address = 10.0.0.3\n"
	       "PublicKey = " K3 "\n"
	       "Endpoint = [::ffff:172.16.5.6]:51820\n"	/* 20 */
	       "Egress = 172.16.5.0/24\n",	/* 21 */
	       5,
	       "mesh.conf:20: Endpoint [::ffff:172.16.5.6]:51820 of site c is inside Egress 172.16.5.4/30 of site b (mesh.conf:15): the other sites route that range into the tunnel, WireGuard's own packets with it; publish an address outside the mesh (the router's, port-forwarded)",
	       "mesh.conf:20: Endpoint [::ffff:172.16.5.6]:51820 of site c is inside Egress 172.16.0.0/12 of site b (mesh.conf:16): the other sites route that range into the tunnel, WireGuard's own packets with it; publish an address outside the mesh (the router's, port-forwarded)",
	       "mesh.conf:20: Endpoint [::ffff:172.16.5.6]:51820 of site c is inside Egress 172.16.5.0/24 of site c (mesh.conf:21): the other sites route that range into the tunnel, WireGuard's own packets with it; publish an address outside the mesh (the router's, port-forwarded)",
	       "mesh.conf:21: Egress 172.16.5.0/24 of site c overlaps Egress 172.16.0.0/12 of site b (mesh.conf:16)",
	       "mesh.conf:21: Egress 172.16.5.0/24 of site c overlaps Egress 172.16.5.4/30 of site b (mesh.conf:15)");

	EXPECT("egress inside the mesh network (partial) and containing it (whole)",
	       MESH_HDR SITE_A
	       "Egress = 10.0.0.128/25\n"	/* 11 */
	       "[Site b]\n"			/* 12 */
	       "Address = 10.0.0.2\n"
	       "PublicKey = " K2 "\n"
	       "Endpoint = 192.0.2.2:51820\n"
	       "Egress = 10.0.0.0/8\n",		/* 16 */
	       2,
	       "mesh.conf:11: Egress 10.0.0.128/25 of site a overlaps the mesh Network 10.0.0.0/24 (mesh.conf:2)",
	       "mesh.conf:16: Egress 10.0.0.0/8 of site b overlaps the mesh Network 10.0.0.0/24 (mesh.conf:2)");

	EXPECT("egress equal to the mesh network, Network given after the sites",
	       SITE_A				/* 1..6 */
	       "[Mesh]\n"			/* 7 */
	       "Network = 192.168.0.0/16\n"	/* 8 */
	       "ListenPort = 1\n",
	       2, "mesh.conf:5: Egress 192.168.0.0/16 of site a overlaps the mesh Network 192.168.0.0/16 (mesh.conf:8)",
	       "mesh.conf:2: Address 10.0.0.1 of site a is outside the mesh Network 192.168.0.0/16 (mesh.conf:8)");

	EXPECT("IPv4 and IPv6 never overlap",
	       MESH_HDR SITE_A
	       "Egress = ::/0\n"
	       "Egress = ::ffff:192.168.0.0/112\n",
	       1, "mesh.conf:12: Egress ::ffff:192.168.0.0/112 of site a overlaps Egress ::/0 of site a (mesh.conf:11)");

	EXPECT("address outside the mesh network",
	       MESH_HDR
	       "[Site a]\n"
	       "Address = 10.0.1.1\n"		/* 6 */
	       "PublicKey = " K1 "\n"
	       "Endpoint = 192.0.2.1:51820\n",
	       1, "mesh.conf:6: Address 10.0.1.1 of site a is outside the mesh Network 10.0.0.0/24 (mesh.conf:2)");

	EXPECT("IPv6 address in an IPv4 mesh",
	       MESH_HDR
	       "[Site a]\n"
	       "Address = fd00::1\n"		/* 6 */
	       "PublicKey = " K1 "\n"
	       "Endpoint = 192.0.2.1:51820\n",
	       1, "mesh.conf:6: Address fd00::1 of site a is outside the mesh Network 10.0.0.0/24 (mesh.conf:2)");

	EXPECT("network and broadcast addresses",
	       MESH_HDR
	       "[Site a]\n"
	       "Address = 10.0.0.0\n"		/* 6 */
	       "PublicKey = " K1 "\n"
	       "Endpoint = 192.0.2.1:51820\n"
	       "[Site b]\n"
	       "Address = 10.0.0.255\n"		/* 10 */
	       "PublicKey = " K2 "\n"
	       "Endpoint = 192.0.2.2:51820\n",
	       2, "mesh.conf:6: Address 10.0.0.0 of site a is the network address of the mesh Network 10.0.0.0/24 (mesh.conf:2)",
	       "mesh.conf:10: Address 10.0.0.255 of site b is the broadcast address of the mesh Network 10.0.0.0/24 (mesh.conf:2)");

	EXPECT("duplicate address",
	       MESH_HDR SITE_A
	       "[Site b]\n"
	       "Address = 10.0.0.1\n"		/* 12 */
	       "PublicKey = " K2 "\n"
	       "Endpoint = 192.0.2.2:51820\n",
	       1, "mesh.conf:12: Address 10.0.0.1 of site b is also the Address of site a (mesh.conf:6)");

	EXPECT("duplicate site name (case-insensitive)",
	       MESH_HDR SITE_A
	       "[Site A]\n"			/* 11 */
	       "Address = 10.0.0.2\n"
	       "PublicKey = " K2 "\n"
	       "Endpoint = 192.0.2.2:51820\n",
	       1, "mesh.conf:11: duplicate site name A (also [Site a] at mesh.conf:5)");

	EXPECT("duplicate public key",
	       MESH_HDR SITE_A
	       "[Site b]\n"
	       "Address = 10.0.0.2\n"
	       "PublicKey = " K1 "\n"		/* 13 */
	       "Endpoint = 192.0.2.2:51820\n",
	       1, "mesh.conf:13: PublicKey " K1 " of site b is also the PublicKey of site a (mesh.conf:7)");

	EXPECT("malformed keys",
	       MESH_HDR
	       "[Site a]\n"
	       "Address = 10.0.0.1\n"
	       "PublicKey = not-a-key\n"	/* 7 */
	       "Endpoint = 192.0.2.1:51820\n"
	       "[Site b]\n"
	       "Address = 10.0.0.2\n"
	       "PublicKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" /* 11 */
	       "Endpoint = 192.0.2.2:51820\n",
	       2, "mesh.conf:7: PublicKey of site a is not a base64 WireGuard key (44 characters ending in '=')",
	       "mesh.conf:11: PublicKey of site b is all zeros");

	EXPECT("bad ports",
	       "[Mesh]\n"
	       "Network = 10.0.0.0/24\n"
	       "ListenPort = 0\n"		/* 3 */
	       "[Site a]\n"
	       "Address = 10.0.0.1\n"
	       "PublicKey = " K1 "\n"
	       "Endpoint = 192.0.2.1:65536\n"	/* 7 */
	       "Endpoint = 192.0.2.1:0\n"	/* 8 */
	       "Endpoint = 192.0.2.1:+80\n"	/* 9 */
	       "Endpoint = 192.0.2.1:\n",	/* 10 */
	       5, "mesh.conf:3: ListenPort '0' is not a port (1 to 65535)",
	       "mesh.conf:7: Endpoint '192.0.2.1:65536' of site a: port must be a number from 1 to 65535",
	       "mesh.conf:8: Endpoint '192.0.2.1:0' of site a: port must be a number from 1 to 65535",
	       "mesh.conf:9: Endpoint '192.0.2.1:+80' of site a: port must be a number from 1 to 65535",
	       "mesh.conf:10: Endpoint '192.0.2.1:' of site a: port must be a number from 1 to 65535");

	EXPECT("ListenPort too large",
	       "[Mesh]\nNetwork = 10.0.0.0/24\nListenPort = 65536\n"
	       "[Site a]\nAddress = 10.0.0.1\nPublicKey = " K1 "\nEndpoint = h:1\n",
	       1, "mesh.conf:3: ListenPort '65536' is not a port (1 to 65535)");

	EXPECT("malformed endpoints",
	       MESH_HDR
	       "[Site a]\n"
	       "Address = 10.0.0.1\n"
	       "PublicKey = " K1 "\n"
	       "Endpoint = 192.0.2.1\n"		/* 8 */
	       "Endpoint = 2001:db8::1:51820\n"	/* 9 */
	       "Endpoint = [2001:db8::1:51820\n"	/* 10 */
	       "Endpoint = [192.0.2.1]:51820\n"	/* 11 */
	       "Endpoint = 300.1.2.3:51820\n"	/* 12 */
	       "Endpoint = -bad-.example:51820\n"	/* 13 */
	       "Endpoint = a..b:51820\n"		/* 14 */
	       "Endpoint = :51820\n"		/* 15 */
	       "Endpoint = [2001:db8::1]51820\n",	/* 16 */
	       9, "mesh.conf:8: Endpoint '192.0.2.1' of site a: missing ':PORT'",
	       "mesh.conf:9: Endpoint '2001:db8::1:51820' of site a: an IPv6 address must be written in brackets: [ADDRESS]:PORT",
	       "mesh.conf:10: Endpoint '[2001:db8::1:51820' of site a: missing ']' after the IPv6 address",
	       "mesh.conf:11: Endpoint '[192.0.2.1]:51820' of site a: not an IPv6 address inside [ ]",
	       "mesh.conf:12: Endpoint '300.1.2.3:51820' of site a: not a valid IPv4 address",
	       "mesh.conf:13: Endpoint '-bad-.example:51820' of site a: not a valid IPv4 address or host name",
	       "mesh.conf:14: Endpoint 'a..b:51820' of site a: not a valid IPv4 address or host name",
	       "mesh.conf:15: Endpoint ':51820' of site a: missing host",
	       "mesh.conf:16: Endpoint '[2001:db8::1]51820' of site a: expected ':PORT' after ']'");

	EXPECT("duplicate endpoints, in one site and across sites",
	       MESH_HDR SITE_A
	       "Endpoint = 192.0.2.1:51820\n"	/* 11 */
	       "[Site b]\n"
	       "Address = 10.0.0.2\n"
	       "PublicKey = " K2 "\n"
	       "Endpoint = [2001:DB8:0::1]:1\n"	/* 15 */
	       "Endpoint = [2001:db8::1]:1\n"	/* 16 */
	       "Endpoint = GW.Example.org:7\n"	/* 17 */
	       "Endpoint = gw.example.ORG:7\n"	/* 18 */
	       "Endpoint = gw.example.org:8\n"	/* 19: another port */
	       "Endpoint = 192.0.2.1:51821\n",	/* 20: another port */
	       3, "mesh.conf:11: Endpoint 192.0.2.1:51820 of site a is also an Endpoint of site a (mesh.conf:8)",
	       "mesh.conf:16: Endpoint [2001:db8::1]:1 of site b is also an Endpoint of site b (mesh.conf:15)",
	       "mesh.conf:18: Endpoint gw.example.ORG:7 of site b is also an Endpoint of site b (mesh.conf:17)");

	EXPECT("two sites without an endpoint",
	       MESH_HDR
	       "[Site a]\n"			/* 5 */
	       "Address = 10.0.0.1\n"
	       "PublicKey = " K1 "\n"
	       "[Site b]\n"			/* 8 */
	       "Address = 10.0.0.2\n"
	       "PublicKey = " K2 "\n",
	       1, "mesh.conf:8: site b has no Endpoint, nor has site a (mesh.conf:5): two sites without an Endpoint cannot reach each other");

	EXPECT("malformed prefixes",
	       "[Mesh]\n"
	       "Network = 10.0.0.0\n"		/* 2 */
	       "ListenPort = 1\n"
	       "[Site a]\n"
	       "Address = 10.0.0.1/24\n"	/* 5 */
	       "PublicKey = " K1 "\n"
	       "Endpoint = h:1\n"
	       "Egress = 192.168.0.0/33\n"	/* 8 */
	       "Egress = garbage\n"		/* 9 */
	       "Egress = 192.168.0.0\n"		/* 10 */
	       "Egress = 192.168.0.0/-1\n"	/* 11 */
	       "Egress = fd00::/129\n"		/* 12 */
	       "Address = 10.0.0.1\n",		/* 13: duplicate */
	       8, "mesh.conf:2: Network '10.0.0.0' is not a prefix (ADDRESS/LENGTH)",
	       "mesh.conf:5: Address '10.0.0.1/24' of site a must be a bare address: the prefix length comes from the mesh Network",
	       "mesh.conf:8: Egress '192.168.0.0/33' of site a is not a prefix (ADDRESS/LENGTH)",
	       "mesh.conf:9: Egress 'garbage' of site a is not a prefix (ADDRESS/LENGTH)",
	       "mesh.conf:10: Egress '192.168.0.0' of site a is not a prefix (ADDRESS/LENGTH)",
	       "mesh.conf:11: Egress '192.168.0.0/-1' of site a is not a prefix (ADDRESS/LENGTH)",
	       "mesh.conf:12: Egress 'fd00::/129' of site a is not a prefix (ADDRESS/LENGTH)",
	       "mesh.conf:13: duplicate Address (first at mesh.conf:5)");

	EXPECT("host bits set",
	       "[Mesh]\n"
	       "Network = 10.0.0.1/24\n"	/* 2 */
	       "ListenPort = 1\n"
	       "[Site a]\n"
	       "Address = 10.0.0.1\n"
	       "PublicKey = " K1 "\n"
	       "Endpoint = h:1\n"
	       "Egress = 192.168.1.1/24\n"	/* 8 */
	       "Egress = 2001:db8::1/64\n",	/* 9 */
	       3, "mesh.conf:2: Network 10.0.0.1/24 has host bits set (did you mean 10.0.0.0/24?)",
	       "mesh.conf:8: Egress 192.168.1.1/24 of site a has host bits set (did you mean 192.168.1.0/24?)",
	       "mesh.conf:9: Egress 2001:db8::1/64 of site a has host bits set (did you mean 2001:db8::/64?)");

	EXPECT("missing required keys, reported at the section header",
	       "[Mesh]\n"			/* 1 */
	       "PersistentKeepalive = 10\n"
	       "[Site a]\n"			/* 3 */
	       "Endpoint = h:1\n"
	       "[Site b]\n"			/* 5 */
	       "Address = 10.0.0.2\n",
	       5, "mesh.conf:1: [Mesh] has no Network", "mesh.conf:1: [Mesh] has no ListenPort",
	       "mesh.conf:3: [Site a] has no Address", "mesh.conf:3: [Site a] has no PublicKey",
	       "mesh.conf:5: [Site b] has no PublicKey");

	EXPECT("no sections at all", "", 2, "mesh.conf:1: no [Mesh] section",
	       "mesh.conf:1: no [Site NAME] section");

	EXPECT("unknown sections and keys",
	       MESH_HDR
	       "Foo = 1\n"			/* 5 */
	       "[Site a]\n"			/* 6 */
	       "Address = 10.0.0.1\n"
	       "PublicKey = " K1 "\n"
	       "Endpoint = h:1\n"
	       "AllowedIPs = 10.9.0.0/16\n"	/* 10 */
	       "[Peer]\n"			/* 11 */
	       "Ignored = because the section is unknown\n"
	       "[Local]\n"			/* 13 */
	       "[Site]\n"			/* 14 */
	       "[Site bad/name]\n"		/* 15 */
	       "[Site x\n"			/* 16 */
	       "Address = 1.2.3.4\n",		/* ignored: header broken */
	       7, "mesh.conf:5: unknown key 'Foo' in [Mesh]",
	       "mesh.conf:10: unknown key 'AllowedIPs' in [Site a]",
	       "mesh.conf:11: unknown section [Peer]",
	       "mesh.conf:13: [Local] belongs in the local file (-l), not in the mesh file",
	       "mesh.conf:14: [Site] needs a name: [Site NAME]",
	       "mesh.conf:15: invalid site name 'bad/name': 1 to 31 letters, digits, '_', '.' or '-'",
	       "mesh.conf:16: malformed section header: expected [Name] alone on the line");

	EXPECT("duplicate non-repeatable keys and sections",
	       MESH_HDR
	       "listenport = 51821\n"		/* 5 */
	       "[Site a]\n"
	       "Address = 10.0.0.1\n"
	       "PublicKey = " K1 "\n"		/* 8 */
	       "PublicKey = " K2 "\n"		/* 9 */
	       "Endpoint = h:1\n"
	       "[Mesh]\n",			/* 11 */
	       3, "mesh.conf:5: duplicate ListenPort (first at mesh.conf:3)",
	       "mesh.conf:9: duplicate PublicKey (first at mesh.conf:8)",
	       "mesh.conf:11: duplicate [Mesh] section (first at mesh.conf:1)");

	EXPECT("trailing junk after values",
	       "[Mesh]\n"
	       "Network = 10.0.0.0/24 extra\n"	/* 2 */
	       "ListenPort = 51820 x\n"		/* 3 */
	       "MTU = 1400 bytes\n"		/* 4 */
	       "[Site a]\n"
	       "Address = 10.0.0.1 junk\n"	/* 6 */
	       "PublicKey = " K1 " junk\n"	/* 7 */
	       "Endpoint = h:1 h:2\n",		/* 8 */
	       6, "mesh.conf:2: Network: unexpected 'extra' after '10.0.0.0/24'",
	       "mesh.conf:3: ListenPort: unexpected 'x' after '51820'",
	       "mesh.conf:4: MTU: unexpected 'bytes' after '1400'",
	       "mesh.conf:6: Address: unexpected 'junk' after '10.0.0.1'",
	       "mesh.conf:7: PublicKey: unexpected 'junk' after '" K1 "'",
	       "mesh.conf:8: Endpoint: unexpected 'h:2' after 'h:1'");

	EXPECT("syntax errors: no '=', no key, no value, key outside sections, bad numbers",
	       "Network = 10.0.0.0/24\n"	/* 1 */
	       "[Mesh]\n"			/* 2 */
	       "Network = 10.0.0.0/24\n"
	       "ListenPort = 51820\n"
	       "just some words\n"		/* 5 */
	       "= 5\n"				/* 6 */
	       "MTU =\n"			/* 7 */
	       "MTU = 1279\n"			/* 8 */
	       "PersistentKeepalive = -1\n"	/* 9 */
	       "[Site a]\n"
	       "Address = 10.0.0.1\n"
	       "PublicKey = " K1 "\n"
	       "Endpoint = h:1\n"
	       "Egress = 192.168.0.0/24,,192.168.1.0/24\n", /* 14 */
	       7, "mesh.conf:1: Network outside of any section",
	       "mesh.conf:5: expected 'Key = Value' or '[Section]', got 'just some words'",
	       "mesh.conf:6: missing key name before '='",
	       "mesh.conf:7: MTU has no value",
	       "mesh.conf:8: MTU '1279' is not a number from 1280 to 65535",
	       "mesh.conf:9: PersistentKeepalive '-1' is not 'off' or 0 to 65535 seconds",
	       "mesh.conf:14: Egress: empty item in '192.168.0.0/24,,192.168.1.0/24'");

	/* Overlong lines and NUL bytes are reported, never crash, and parsing goes on. */
	{
		size_t n = 6000;
		char *big = malloc(n + 200);
		struct result r;

		strcpy(big, "[Mesh]\nNetwork = 10.0.0.0/24\n# ");
		memset(big + strlen(big), 'x', 5000);
		strcpy(big + strlen("[Mesh]\nNetwork = 10.0.0.0/24\n# ") + 5000,
		       "\nListenPort = 1\n[Site a]\nAddress = 10.0.0.1\nPublicKey = " K1 "\nEndpoint = h:1\n");
		expect("line longer than 4096 characters", run_mesh(big, NULL), 1,
		       (const char *const[]){ "mesh.conf:3: line is longer than 4096 characters", NULL });
		free(big);

		static const char nul[] = "[Mesh]\nNetwork = 10.0.0.0/24\nListenPort = 1\n"
					  "Foo\0Bar = 1\n[Site a]\nAddress = 10.0.0.1\n"
					  "PublicKey = " K1 "\nEndpoint = h:1\n";
		r = run_mesh_len(nul, sizeof(nul) - 1, NULL);
		expect("NUL byte", r, 1,
		       (const char *const[]){ "mesh.conf:4: line contains a NUL byte (not a text file?)", NULL });
	}

	/* Five unrelated problems: all five reported in one pass, in line order. */
	{
		struct result r = run_mesh("[Mesh]\n"
					   "Network = 10.0.0.0/24\n"
					   "ListenPort = 99999\n"		/* 3 */
					   "[Site a]\n"
					   "Address = 10.0.0.1\n"
					   "PublicKey = " K1 "\n"
					   "Endpoint = 192.0.2.1:1\n"
					   "Egress = 192.168.0.0/24\n"	/* 8 */
					   "Colour = blue\n"			/* 9 */
					   "[Site b]\n"
					   "Address = 10.0.9.2\n"		/* 11 */
					   "PublicKey = " K1 "\n"		/* 12 */
					   "Endpoint = 192.0.2.2:1\n"
					   "Egress = 192.168.0.128/25\n",	/* 14 */
					   NULL);
		const char *p3 = strstr(r.out, "mesh.conf:3:"), *p9 = strstr(r.out, "mesh.conf:9:");
		const char *p11 = strstr(r.out, "mesh.conf:11:"), *p12 = strstr(r.out, "mesh.conf:12:");
		const char *p14 = strstr(r.out, "mesh.conf:14:");

		ok(p3 && p9 && p11 && p12 && p14 && p3 < p9 && p11 < p12 && p12 < p14,
		   "five problems: each reported, validation problems in line order");
		expect("a file with five problems reports five", r, 5, NULL);
	}
}

/* ---- the local file --------------------------------------------------------------------- */

static void test_local(void)
{
	struct mg_local l;
	struct result r;

	r = run_local("[local]\n"
		      "site = site1\n"
		      "PrivateKeyFile = keys/site1.key\n"
		      "LanInterface = eth0\n"
		      "MeshSecretFile = /etc/meshgw/mesh secret.key   # spaces allowed in paths\n"
		      "Backend = Userspace\n"
		      "FastPath = TC\n"
		      "TcHook = cls_bpf\n"
		      "FwMark = 0x1F\n", &l);
	is_int(r.count, 0, "minimal local file parses");
	if (r.count)
		show(&r);
	free(r.out);
	is_str(l.site, "site1", "Site");
	is_str(l.private_key_file, "keys/site1.key", "relative key path without a directory in the file name");
	is_str(l.mesh_secret_file, "/etc/meshgw/mesh secret.key", "absolute path kept, spaces too");
	is_str(l.wg_if, "wg0", "WireGuardInterface defaults to wg0");
	is_str(l.uplink_if, "", "no UplinkInterface: one-armed");
	is_str(l.pin_path, "/sys/fs/bpf/meshgw/wg0", "PinPath defaults to /sys/fs/bpf/meshgw/<wg>");
	is_int(l.backend, MG_BACKEND_USERSPACE, "Backend case-insensitive");
	is_int(l.fwmark, 0x1f, "FwMark hex");
	is_int(l.fast_path, MG_FAST_TC, "FastPath");
	is_int(l.tc_hook, MG_TC_CLS_BPF, "TcHook");
	is_str(backend_name(l.backend), "userspace", "backend_name");
	is_int(l.private_key_file_line, 3, "PrivateKeyFile line recorded");

	{
		struct mg_errors e = { 0 };
		const char *t = "[Local]\nSite = a\nPrivateKeyFile = a.key\nLanInterface = lan0\n"
				"UplinkInterface = wan0\nWireGuardInterface = mesh0\nMetrics = [::1]:10586\n"
				"FwMark = 4294967295\n";

		is_int(local_parse(&l, "/etc/meshgw/local.conf", t, strlen(t), &e), 0, "full local file");
		is_str(l.private_key_file, "/etc/meshgw/a.key", "relative path taken from the local file's directory");
		is_str(l.pin_path, "/sys/fs/bpf/meshgw/mesh0", "PinPath follows WireGuardInterface");
		is_str(l.metrics, "[::1]:10586", "Metrics");
		ok(l.fwmark == 4294967295u, "FwMark decimal, 32 bits");
	}

	EXPECT_LOCAL("local: missing required keys",
		     "[Local]\nUplinkInterface = eth1\n", 3,
		     "local.conf:1: [Local] has no Site", "local.conf:1: [Local] has no PrivateKeyFile",
		     "local.conf:1: [Local] has no LanInterface");
	EXPECT_LOCAL("local: no [Local] section", "# nothing\n", 1, "local.conf:1: no [Local] section");
	EXPECT_LOCAL("local: bad values",
		     "[Local]\n"
		     "Site = a b\n"				/* 2 */
		     "PrivateKeyFile = k\n"
		     "LanInterface = averyveryverylongname\n"	/* 4 */
		     "UplinkInterface = eth/1\n"		/* 5 */
		     "WireGuardInterface = ..\n"		/* 6 */
		     "Backend = bpf\n"				/* 7 */
		     "Metrics = localhost:10586\n"		/* 8 */
		     "PinPath = relative/dir\n"			/* 9 */
		     "FwMark = 0x123456789\n"			/* 10 */
		     "Colour = red\n"				/* 11 */
		     "FastPath = generic\n"			/* 12 */
		     "TcHook = clsact\n"			/* 13 */
		     "[Site a]\n"				/* 14 */
		     "PrivateKeyFile = other\n",		/* ignored */
		     12,
		     "local.conf:2: Site: unexpected 'b' after 'a'",
		     "local.conf:4: LanInterface 'averyveryverylongname' is not a valid interface name (1 to 15 characters, no '/', ':' or spaces)",
		     "local.conf:5: UplinkInterface 'eth/1' is not a valid interface name (1 to 15 characters, no '/', ':' or spaces)",
		     "local.conf:6: WireGuardInterface '..' is not a valid interface name (1 to 15 characters, no '/', ':' or spaces)",
		     "local.conf:7: Backend 'bpf' is not one of auto, kernel, userspace",
		     "local.conf:8: Metrics 'localhost:10586' is not ADDRESS:PORT (e.g. 127.0.0.1:10586 or [::1]:10586)",
		     "local.conf:9: PinPath 'relative/dir' must be an absolute path",
		     "local.conf:10: FwMark '0x123456789' is not 'off', a decimal or a 0x hex 32-bit number",
		     "local.conf:11: unknown key 'Colour' in [Local]",
		     "local.conf:12: FastPath 'generic' is not one of auto, xdp, tc",
		     "local.conf:13: TcHook 'clsact' is not one of auto, tcx, cls_bpf",
		     "local.conf:14: [Site] belongs in the mesh file (-c), not in the local file");
	EXPECT_LOCAL("local: duplicates and clashing interfaces",
		     "[Local]\nSite = a\nPrivateKeyFile = k\nLanInterface = eth0\n"
		     "UplinkInterface = eth0\n"			/* 5 */
		     "WireGuardInterface = eth0\n"		/* 6 */
		     "site = b\n"				/* 7 */
		     "[Local]\n",				/* 8 */
		     4,
		     "local.conf:5: UplinkInterface is the same as LanInterface (local.conf:4): leave it out for a one-armed gateway",
		     "local.conf:6: WireGuardInterface eth0 is also the LanInterface",
		     "local.conf:7: duplicate Site (first at local.conf:2)",
		     "local.conf:8: duplicate [Local] section (first at local.conf:1)");
}

/* Several uplinks on the gateway itself: UplinkInterface repeated, with next hops. */
static void test_local_uplinks(void)
{
	struct mg_local l;
	struct result r;
	char via[INET_ADDRSTRLEN];

	r = run_local("[Local]\nSite = a\nPrivateKeyFile = k\nLanInterface = lan0\n"
		      "UplinkInterface = wan0\n", &l);
	is_int(r.count, 0, "one uplink parses");
	free(r.out);
	is_int((int)l.n_uplinks, 1, "one uplink: one entry");
	is_str(l.uplink_if, "wan0", "one uplink: UplinkInterface as before");
	ok(!local_multi_uplink(&l) && l.fwmark == 0 && l.steer_table == 0,
	   "one uplink: no fwmark, no table (nothing changes)");

	r = run_local("[Local]\nSite = a\nPrivateKeyFile = k\nLanInterface = lan0\n"
		      "UplinkInterface = wan1 via 198.18.11.1\n"
		      "UplinkInterface = wwan0\n", &l);
	is_int(r.count, 0, "two uplinks parse");
	if (r.count)
		show(&r);
	free(r.out);
	is_int((int)l.n_uplinks, 2, "two uplinks");
	is_str(l.uplink_if, "wan1", "UplinkInterface (the data plane's) is the first one");
	is_str(l.uplinks[1].name, "wwan0", "preference order kept");
	ok(l.uplinks[0].has_via && !l.uplinks[1].has_via, "next hop only where given");
	is_str(inet_ntop(AF_INET, &l.uplinks[0].via, via, sizeof(via)), "198.18.11.1", "next hop");
	is_int(l.uplinks[1].line, 6, "line of each uplink recorded");
	ok(l.fwmark == MG_DEFAULT_STEER_MARK, "several uplinks: FwMark defaults to 0x6d670000");
	ok(l.steer_table == MG_DEFAULT_STEER_TABLE, "several uplinks: RoutingTable defaults to 28007");

	r = run_local("[Local]\nSite = a\nPrivateKeyFile = k\nLanInterface = lan0\n"
		      "UplinkInterface = wan1\nUplinkInterface = wan2\n"
		      "FwMark = 0x4000\nRoutingTable = 100\n", &l);
	is_int(r.count, 0, "FwMark and RoutingTable set");
	free(r.out);
	ok(l.fwmark == 0x4000 && l.steer_table == 100, "FwMark and RoutingTable as given");

	EXPECT_LOCAL("local: bad uplinks",
		     "[Local]\nSite = a\nPrivateKeyFile = k\nLanInterface = lan0\n"
		     "UplinkInterface = wan1\n"			/* 5 */
		     "UplinkInterface = wan1 via 10.0.0.1\n"		/* 6 */
		     "UplinkInterface = wan2 via fe80::1\n"		/* 7 */
		     "UplinkInterface = wan3 by 10.0.0.1\n"		/* 8 */
		     "UplinkInterface = wan4 via 10.0.0.1 x\n"	/* 9 */
		     "UplinkInterface = lan0\n"			/* 10 */
		     "FwMark = off\n"					/* 11 */
		     "RoutingTable = 254\n",				/* 12 */
		     7,
		     "local.conf:6: UplinkInterface wan1 is named twice (first at local.conf:5)",
		     "local.conf:7: UplinkInterface wan2: next hop 'fe80::1' is not an IPv4 address",
		     "local.conf:8: UplinkInterface 'wan3 by 10.0.0.1' is not 'NAME' or 'NAME via ADDRESS' (e.g. eth1 via 198.18.11.1)",
		     "local.conf:9: UplinkInterface 'wan4 via 10.0.0.1 x' is not 'NAME' or 'NAME via ADDRESS' (e.g. eth1 via 198.18.11.1)",
		     "local.conf:12: RoutingTable '254' is not a table number (1-4294967295, not 253-255: the kernel's default, main and local)",
		     "local.conf:10: UplinkInterface is the same as LanInterface (local.conf:4): leave it out for a one-armed gateway",
		     "local.conf:11: FwMark off: with several UplinkInterface (local.conf:5), WireGuard's packets need a mark to be steered onto their path");
	EXPECT_LOCAL("local: at most 8 uplinks",
		     "[Local]\nSite = a\nPrivateKeyFile = k\nLanInterface = lan0\n"
		     "UplinkInterface = u1\nUplinkInterface = u2\nUplinkInterface = u3\n"
		     "UplinkInterface = u4\nUplinkInterface = u5\nUplinkInterface = u6\n"
		     "UplinkInterface = u7\nUplinkInterface = u8\nUplinkInterface = u9\n", 1,
		     "local.conf:13: UplinkInterface u9: at most 8 uplinks");
	EXPECT_LOCAL("local: WireGuardInterface is a second uplink",
		     "[Local]\nSite = a\nPrivateKeyFile = k\nLanInterface = lan0\n"
		     "UplinkInterface = wan1\nUplinkInterface = wg0\n", 1,
		     "local.conf:1: WireGuardInterface wg0 is also the UplinkInterface");
}

/* ---- config_load on real files ---------------------------------------------------------- */

static int load(const char *dir, const char *mesh, const char *local, struct result *r,
		struct mg_config *c)
{
	char mp[PATH_MAX], lp[PATH_MAX];
	size_t outlen;
	FILE *f = open_memstream(&r->out, &outlen);
	struct mg_errors e = { .out = f };

	snprintf(mp, sizeof(mp), "%s/%s", dir, mesh);
	snprintf(lp, sizeof(lp), "%s/%s", dir, local);
	r->ret = config_load(c, mp, lp, &e);
	fclose(f);
	r->count = e.count;
	return r->ret;
}

static void test_load(const char *src)
{
	char dir[] = "/tmp/meshgw-test-config-XXXXXX", p[512], q[512], want[PATH_MAX * 2];
	static const char *const files[] = { "mesh.conf", "site1.local.conf", "site1-EXAMPLE.key",
					     "site2-EXAMPLE.key", "mesh-secret-EXAMPLE.key" };
	struct mg_config c;
	struct result r = { 0 };

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/examples/three-sites/%s", src, files[i]);
		snprintf(q, sizeof(q), "%s/%s", dir, files[i]);
		copy_file(p, q, strstr(files[i], ".key") ? 0600 : 0644);
	}

	is_int(load(dir, "mesh.conf", "site1.local.conf", &r, &c), 0, "config_load: example site1");
	if (r.count)
		show(&r);
	ok(c.self && !strcmp(c.self->name, "site1"), "config_load sets self");
	is_str(c.local.private_key_file, (snprintf(want, sizeof(want), "%s/site1-EXAMPLE.key", dir), want),
	       "key path relative to the local file");
	config_free(&c);
	free(r.out);

	/* 0644 key file: refused, with the fix in the message */
	snprintf(p, sizeof(p), "%s/site1-EXAMPLE.key", dir);
	chmod(p, 0644);
	load(dir, "mesh.conf", "site1.local.conf", &r, &c);
	snprintf(want, sizeof(want),
		 "%s/site1.local.conf:6: PrivateKeyFile: %s: key file is accessible by group or others (mode 0644); fix with: chmod 600 %s",
		 dir, p, p);
	ok(r.ret == -EINVAL && r.count == 1 && has_line(r.out, want) && !c.self,
	   "private key file with mode 0644 refused, saying how to fix it");
	if (r.count != 1)
		show(&r);
	config_free(&c);
	free(r.out);
	chmod(p, 0600);

	/* the key of another site */
	snprintf(q, sizeof(q), "%s/wrong.local.conf", dir);
	write_file(q, "[Local]\nSite = site1\nPrivateKeyFile = site2-EXAMPLE.key\nLanInterface = eth0\n", 0644);
	load(dir, "mesh.conf", "wrong.local.conf", &r, &c);
	snprintf(want, sizeof(want),
		 "%s/wrong.local.conf:3: the key in %s/site2-EXAMPLE.key has public key " K2
		 ", but site site1 has PublicKey " K1 " (%s/mesh.conf:",
		 dir, dir, dir);
	ok(r.count == 1 && strstr(r.out, want), "private key of another site: both keys named");
	if (r.count != 1 || !strstr(r.out, want))
		show(&r);
	config_free(&c);
	free(r.out);

	/* a site that is not in the mesh, a missing key file, a bad mesh secret */
	write_file(p, "not a key\n", 0600);
	snprintf(q, sizeof(q), "%s/bad.local.conf", dir);
	write_file(q, "[Local]\nSite = site9\nPrivateKeyFile = missing.key\nLanInterface = eth0\n"
		      "MeshSecretFile = site1-EXAMPLE.key\n", 0644);
	load(dir, "mesh.conf", "bad.local.conf", &r, &c);
	snprintf(want, sizeof(want), "%s/bad.local.conf:2: Site site9 is not a [Site] of the mesh file %s/mesh.conf",
		 dir, dir);
	ok(has_line(r.out, want), "local Site not in the mesh file");
	snprintf(want, sizeof(want), "%s/bad.local.conf:3: PrivateKeyFile: %s/missing.key: No such file or directory",
		 dir, dir);
	ok(has_line(r.out, want), "missing private key file");
	snprintf(want, sizeof(want),
		 "%s/bad.local.conf:5: MeshSecretFile: %s: not a base64 WireGuard key (44 characters ending in '=')",
		 dir, p);
	ok(has_line(r.out, want), "malformed mesh secret");
	is_int(r.count, 3, "three problems in one pass");
	if (r.count != 3)
		show(&r);
	config_free(&c);
	free(r.out);

	/* missing files */
	load(dir, "nope.conf", "nope.local.conf", &r, &c);
	ok(r.ret == -ENOENT && r.count == 2, "missing files: -ENOENT, both reported");
	config_free(&c);
	free(r.out);

	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	if (system(p))
		tap_diag("cleanup of %s failed", dir);
}

/* ---- a large mesh ------------------------------------------------------------------------- */

static void test_large(void)
{
	size_t cap = 1 << 20, n = 0, nsites = 1000;
	char *t = malloc(cap);
	struct timespec a, b;
	struct mg_errors e = { 0 };
	struct mg_mesh m;
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN];
	double ms;
	int ret;

	n += snprintf(t + n, cap - n, "[Mesh]\nNetwork = 100.64.0.0/16\nListenPort = 51820\n");
	for (size_t i = 0; i < nsites; i++) {
		key_generate_private(priv);
		key_public_from_private(pub, priv);
		key_to_base64(b64, pub);
		n += snprintf(t + n, cap - n,
			      "[Site s%zu]\nAddress = 100.64.%zu.%zu\nPublicKey = %s\n"
			      "Endpoint = 198.51.%zu.%zu:51820\nEndpoint = gw%zu.example.net:51820\n"
			      "Egress = 10.%zu.%zu.0/24\nEgress = 10.%zu.%zu.0/24\nEgress = 172.%zu.%zu.0/24\n"
			      "Egress = fd%02zx:%zx::/48\n",
			      i, i / 250, i % 250 + 1, b64, i / 250, i % 250 + 1, i, i / 250, i % 250,
			      i / 250 + 100, i % 250, 16 + i / 250, i % 250, i % 256, i);
	}
	/* CPU time: the bound is for the algorithm, not for make check's other tests. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	ret = mesh_parse(&m, "big.conf", t, n, &e);
	if (!ret)
		ret = mesh_validate(&m, &e);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	ok(ret == 0 && e.count == 0 && m.n_sites == nsites, "1000 sites x 4 egress: valid");
	tap_diag("parse + validate of 1000 sites, 4000 egress ranges, %zu bytes: %.2f ms", n, ms);
	ok(ms < 200, "1000-site mesh checked in under 200 ms of CPU (%.1f ms)", ms);
	mesh_free(&m);

	/* one overlap hidden among them is still found, exactly once */
	n += snprintf(t + n, cap - n, "[Site late]\nAddress = 100.64.200.1\nPublicKey = " K1 "\n"
		      "Endpoint = h:1\nEgress = 10.3.0.0/16\n");
	e.count = 0;
	mesh_parse(&m, "big.conf", t, n, &e);
	mesh_validate(&m, &e);
	/* 10.3.0.0/16 contains 250 /24s: each reported once, against it */
	is_int(e.count, 250, "a /16 over 250 sites' /24s: 250 overlaps");
	mesh_free(&m);
	free(t);
}

/* ---- a repeated problem is one line with a count ---------------------------------------- */

static void test_repeats(void)
{
	struct result r = { 0 };
	size_t outlen;
	FILE *f = open_memstream(&r.out, &outlen);
	struct mg_errors e = { .out = f };

	for (int i = 0; i < 64512; i++)
		mg_error(&e, "mesh.conf", 1025 + i, "site %s has more than %d Egress ranges", "b", 1024);
	mg_error(&e, "mesh.conf", 70000, "other");
	mg_error(&e, "mesh.conf", 70001, "other");
	mg_error(&e, "local.conf", 3, "other");
	mg_error(&e, "mesh.conf", 70002, "another");
	mg_errors_flush(&e);
	mg_errors_flush(&e);	/* nothing held: prints nothing */
	fclose(f);
	is_int(e.count, 64516, "every repeat is counted");
	is_str(r.out, "mesh.conf:1025: site b has more than 1024 Egress ranges (and 64,511 more like it)\n"
		      "mesh.conf:70000: other (and 1 more like it)\n"
		      "local.conf:3: other\n"
		      "mesh.conf:70002: another\n",
	       "64,512 identical problems: one line with the count; another file or message starts anew");
	free(r.out);
}

int main(void)
{
	const char *src = getenv("MESHGW_SRCDIR") ? getenv("MESHGW_SRCDIR") : ".";

	if (sodium_init() < 0)
		return 1;
	test_examples(src);
	test_syntax_variants();
	test_errors();
	test_local();
	test_local_uplinks();
	test_load(src);
	test_large();
	test_repeats();
	return tap_done();
}
