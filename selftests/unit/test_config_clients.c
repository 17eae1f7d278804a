// SPDX-License-Identifier: GPL-2.0-only
/* [Client NAME] sections of the mesh file: what is parsed, and each validation
 * error with its exact "file:line: message" (duplicates across sites and clients,
 * keys, addresses outside the Network or taken, Exit refused for now). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "tap.h"
#include "config/config.h"

#define K1 "vKvkxNPhWuOP/dqdASJMikzon5z6NrepfNuV4BtQmUg="
#define K2 "T/ch48Tb4geCwDLDWA+0W7OTn6U4xrTjm32HhZc6gHM="
#define K3 "mK7dd3vCHOs5Rs5i6hlaAPEFgVMzx8Y7i9uYoTXz3Qg="
#define K4 "BbDxLCmtLbsq2/0jgZVbXxuekkSoSZ6xwuZbJNnaUkk="

struct result {
	char *out;
	int count;
	int ret;
};

static struct result run_mesh(const char *txt, struct mg_mesh *keep)
{
	struct result r = { 0 };
	size_t outlen;
	FILE *f = open_memstream(&r.out, &outlen);
	struct mg_errors e = { .out = f };
	struct mg_mesh m;
	int r1 = mesh_parse(&m, "mesh.conf", txt, strlen(txt), &e);
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

static bool has_line(const char *out, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, want, n) && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static void expect(const char *name, struct result r, int n, const char *const *lines)
{
	bool good = is_int(r.count, n, name) & (r.ret == (n ? -EINVAL : 0));

	for (; lines && *lines; lines++)
		good &= ok(has_line(r.out, *lines), "%s: reports '%s'", name, *lines);
	if (!good)
		tap_diag("reported:\n%s", r.out ? r.out : "");
	free(r.out);
}

#define EXPECT(name, txt, n, ...) \
	expect(name, run_mesh(txt, NULL), n, (const char *const[]){ __VA_ARGS__, NULL })

/* Line numbers matter: each case appends a [Client] at line 15. */
#define BASE \
	"[Mesh]\n"			/* 1 */ \
	"Network = 10.0.0.0/24\n"	/* 2 */ \
	"ListenPort = 51820\n"		/* 3 */ \
	"\n"				/* 4 */ \
	"[Site a]\n"			/* 5 */ \
	"Address = 10.0.0.1\n"		/* 6 */ \
	"PublicKey = " K1 "\n"		/* 7 */ \
	"Endpoint = 192.0.2.1:51820\n"	/* 8 */ \
	"Egress = 192.168.0.0/16\n"	/* 9 */ \
	"\n"				/* 10 */ \
	"[Site b]\n"			/* 11 */ \
	"Address = 10.0.0.2\n"		/* 12 */ \
	"PublicKey = " K2 "\n"		/* 13 */ \
	"\n"				/* 14 */

static void test_parsed(void)
{
	struct mg_mesh m;
	struct result r = run_mesh(BASE
				   "[Client laptop]\n"		/* 15 */
				   "Address = 10.0.0.50\n"	/* 16 */
				   "PublicKey = " K3 "\n"	/* 17 */
				   "[client Phone]\n"		/* 18 */
				   "address = 10.0.0.51\n"
				   "publickey = " K4 "\n", &m);
	const struct mg_client *c;
	char a[PREFIX_STR_MAX];

	is_int(r.count, 0, "two clients: no problem");
	if (r.count)
		tap_diag("%s", r.out);
	free(r.out);
	is_int(m.n_clients, 2, "two clients parsed");
	is_int(m.n_sites, 2, "  the sites unchanged");
	c = mesh_find_client(&m, "LAPTOP");
	ok(c && c->line == 15, "mesh_find_client ignores case; header line 15");
	ok(c && c->n_address == 1 && !strcmp(prefix_addr_str(&c->address[0], a, sizeof(a)), "10.0.0.50"),
	   "  address 10.0.0.50");
	ok(c && c->address[0].len == 32, "  a host prefix (/32)");
	ok(!mesh_find_site(&m, "laptop"), "a client is not a site");
	ok(mesh_find_client(&m, "phone") == &m.clients[1], "section keyword and keys case-insensitive");
	mesh_free(&m);
	ok(!m.clients && !m.n_clients, "mesh_free releases the clients");
}

static void test_errors(void)
{
	EXPECT("client with the name of a site",
	       BASE "[Client A]\nAddress = 10.0.0.50\nPublicKey = " K3 "\n", 1,
	       "mesh.conf:15: duplicate name A: [Client A] and [Site a] (mesh.conf:5)");
	EXPECT("two clients with one name",
	       BASE "[Client x]\nAddress = 10.0.0.50\nPublicKey = " K3 "\n"
	       "[Client X]\nAddress = 10.0.0.51\nPublicKey = " K4 "\n", 1,
	       "mesh.conf:18: duplicate client name X (also [Client x] at mesh.conf:15)");
	EXPECT("client key of a site",
	       BASE "[Client x]\nAddress = 10.0.0.50\nPublicKey = " K2 "\n", 1,
	       "mesh.conf:17: PublicKey " K2 " of client x is also the PublicKey of site b (mesh.conf:13)");
	EXPECT("two clients with one key",
	       BASE "[Client x]\nAddress = 10.0.0.50\nPublicKey = " K3 "\n"
	       "[Client y]\nAddress = 10.0.0.51\nPublicKey = " K3 "\n", 1,
	       "mesh.conf:20: PublicKey " K3 " of client y is also the PublicKey of client x (mesh.conf:17)");
	EXPECT("address outside the Network",
	       BASE "[Client x]\nAddress = 10.0.1.50\nPublicKey = " K3 "\n", 1,
	       "mesh.conf:16: Address 10.0.1.50 of client x is outside the mesh Network 10.0.0.0/24 (mesh.conf:2)");
	EXPECT("IPv6 address in an IPv4 Network",
	       BASE "[Client x]\nAddress = 10.0.0.50, fd00::50\nPublicKey = " K3 "\n", 1,
	       "mesh.conf:16: Address fd00::50 of client x is outside the mesh Network 10.0.0.0/24 (mesh.conf:2)");
	EXPECT("broadcast address",
	       BASE "[Client x]\nAddress = 10.0.0.255\nPublicKey = " K3 "\n", 1,
	       "mesh.conf:16: Address 10.0.0.255 of client x is the broadcast address of the mesh Network 10.0.0.0/24 (mesh.conf:2)");
	EXPECT("address of a site",
	       BASE "[Client x]\nAddress = 10.0.0.2\nPublicKey = " K3 "\n", 1,
	       "mesh.conf:16: Address 10.0.0.2 of client x is also the Address of site b (mesh.conf:12)");
	EXPECT("address of another client",
	       BASE "[Client x]\nAddress = 10.0.0.50\nPublicKey = " K3 "\n"
	       "[Client y]\nAddress = 10.0.0.50\nPublicKey = " K4 "\n", 1,
	       "mesh.conf:19: Address 10.0.0.50 of client y is also the Address of client x (mesh.conf:16)");
	EXPECT("two IPv4 addresses",
	       BASE "[Client x]\nAddress = 10.0.0.50, 10.0.0.51\nPublicKey = " K3 "\n", 1,
	       "mesh.conf:16: client x has two IPv4 addresses: one of each family at most");
	EXPECT("address with a prefix length, and not an address",
	       BASE "[Client x]\nAddress = 10.0.0.50/24\nPublicKey = " K3 "\n"
	       "[Client y]\nAddress = laptop\nPublicKey = " K4 "\n", 2,
	       "mesh.conf:16: Address '10.0.0.50/24' of client x must be a bare address: the prefix length comes from the mesh Network",
	       "mesh.conf:19: Address 'laptop' of client y is not an IPv4 or IPv6 address");
	EXPECT("bad key, zero key",
	       BASE "[Client x]\nAddress = 10.0.0.50\nPublicKey = nope\n"
	       "[Client y]\nAddress = 10.0.0.51\nPublicKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", 2,
	       "mesh.conf:17: PublicKey of client x is not a base64 WireGuard key (44 characters ending in '=')",
	       "mesh.conf:20: PublicKey of client y is all zeros");
	EXPECT("missing keys at the header",
	       BASE "[Client x]\n", 2,
	       "mesh.conf:15: [Client x] has no Address",
	       "mesh.conf:15: [Client x] has no PublicKey");
	EXPECT("no name, bad name",
	       BASE "[Client]\nAddress = 10.0.0.50\n[Client a/b]\n", 2,
	       "mesh.conf:15: [Client] needs a name: [Client NAME]",
	       "mesh.conf:17: invalid client name 'a/b': 1 to 31 letters, digits, '_', '.' or '-'");
	EXPECT("Exit: a site that is no exit, an unknown site, twice",
	       BASE "[Client x]\nAddress = 10.0.0.50\nPublicKey = " K3 "\nExit = a\n"
	       "[Client y]\nAddress = 10.0.0.51\nPublicKey = " K4 "\nExit = paris\nExit = a\n", 3,
	       "mesh.conf:18: Exit a of client x: site a does not offer its internet (no 'Exit = yes' in [Site a], mesh.conf:5)",
	       "mesh.conf:22: Exit paris of client y is not a [Site]",
	       "mesh.conf:23: duplicate Exit (first at mesh.conf:22)");
	EXPECT("DNS: not an address, too many, twice",
	       BASE "[Client x]\nAddress = 10.0.0.50\nPublicKey = " K3 "\nDNS = dns.example\n"
	       "[Client y]\nAddress = 10.0.0.51\nPublicKey = " K4 "\nDNS = 1.1.1.1, 1.0.0.1, 9.9.9.9, 8.8.8.8, ::1\nDNS = 1.1.1.1\n", 3,
	       "mesh.conf:18: DNS 'dns.example' of client x is not an IPv4 or IPv6 address",
	       "mesh.conf:22: client y has more than 4 DNS servers",
	       "mesh.conf:23: duplicate DNS (first at mesh.conf:22)");
	EXPECT("Endpoint and unknown keys",
	       BASE "[Client x]\nAddress = 10.0.0.50\nPublicKey = " K3 "\nEndpoint = 1.2.3.4:5\nEgress = 1.0.0.0/8\n", 2,
	       "mesh.conf:18: a client has no Endpoint (it roams; the gateways learn where it is when it connects)",
	       "mesh.conf:19: unknown key 'Egress' in [Client x]");
	EXPECT("empty items in Address",
	       BASE "[Client x]\nAddress = 10.0.0.50,,\nPublicKey = " K3 "\n"
	       "[Client y]\nAddress = 10.0.0.51, \nPublicKey = " K4 "\n", 2,
	       "mesh.conf:16: Address: empty item in '10.0.0.50,,'",
	       "mesh.conf:19: Address: empty item in '10.0.0.51,'");
	EXPECT("duplicate Address",
	       BASE "[Client x]\nAddress = 10.0.0.50\nAddress = 10.0.0.51\nPublicKey = " K3 "\n", 1,
	       "mesh.conf:17: duplicate Address (first at mesh.conf:16)");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_parsed();
	test_errors();
	return tap_done();
}
