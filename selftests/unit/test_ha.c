// SPDX-License-Identifier: GPL-2.0-only
/* Two gateways at one site: HaAddress in the local file (values and errors with
 * file:line), the role `meshgw show` derives from the box's addresses (master,
 * standby, partial, and its text), and mesh_same, `check --ha`'s comparison of the
 * two boxes' mesh files (what may differ, what may not, the first difference), and
 * what meshgw run's guard does with the WireGuard link for each role. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "config/config.h"
#include "observe/ha_role.h"

static const char head[] = "[Local]\nSite = b\nPrivateKeyFile = k\nLanInterface = lan0\n";

/* local_parse of head + extra: the problems reported, in *out (caller frees). */
static int parse(const char *extra, struct mg_local *l, char **out)
{
	char txt[1024];
	size_t len;
	FILE *f = open_memstream(out, &len);
	struct mg_errors e = { .out = f };

	snprintf(txt, sizeof(txt), "%s%s", head, extra);
	local_parse(l, "local.conf", txt, strlen(txt), &e);
	fclose(f);
	return e.count;
}

static void expect_local_error(const char *extra, const char *want)
{
	struct mg_local l;
	char *out = NULL;
	int n = parse(extra, &l, &out);

	ok(n == 1 && !strncmp(out, want, strlen(want)) && out[strlen(want)] == '\n',
	   "'%.*s': %s", (int)strcspn(extra, "\n"), extra, want);
	if (n != 1 || strncmp(out, want, strlen(want)))
		tap_diag("  reported (%d): %s", n, out);
	free(out);
}

static void test_ha_address(void)
{
	struct mg_local l;
	char *out = NULL, a[PREFIX_STR_MAX];

	is_int(parse("HaAddress = 10.2.0.1 ,203.0.113.2,  fd02::1\n", &l, &out), 0,
	       "HaAddress: three addresses, IPv4 and IPv6, spaces around commas");
	free(out);
	is_int(l.n_ha_addr, 3, "  three kept");
	is_str(prefix_addr_str(&l.ha_addr[0], a, sizeof(a)), "10.2.0.1", "  the first");
	is_str(prefix_addr_str(&l.ha_addr[2], a, sizeof(a)), "fd02::1", "  the IPv6 one");
	is_int(l.ha_addr_line, 5, "  its line");
	is_int(parse("", &l, &out), 0, "no HaAddress: fine");
	free(out);
	is_int(l.n_ha_addr, 0, "  not part of a pair");

	expect_local_error("HaAddress = 10.2.0.1/24\n",
			   "local.conf:5: HaAddress '10.2.0.1/24' must be a bare address, without /length");
	expect_local_error("HaAddress = 10.2.0.1, gateway\n",
			   "local.conf:5: HaAddress 'gateway' is not an IPv4 or IPv6 address");
	expect_local_error("HaAddress = 10.2.0.1, 10.2.0.1\n",
			   "local.conf:5: HaAddress 10.2.0.1 is named twice");
	expect_local_error("HaAddress = 10.2.0.1,,10.2.0.2\n",
			   "local.conf:5: HaAddress: empty item in '10.2.0.1,,10.2.0.2'");
	expect_local_error("HaAddress = 1.0.0.1,1.0.0.2,1.0.0.3,1.0.0.4,1.0.0.5,1.0.0.6,1.0.0.7,1.0.0.8,1.0.0.9\n",
			   "local.conf:5: HaAddress: more than 8 addresses");
	expect_local_error("HaAddress = 10.2.0.1\nHaAddress = 10.2.0.2\n",
			   "local.conf:6: duplicate HaAddress (first at local.conf:5)");
}

static struct ha_if_addr box(const char *ifname, const char *addr)
{
	struct ha_if_addr a = { 0 };

	snprintf(a.ifname, sizeof(a.ifname), "%s", ifname);
	prefix_parse(&a.addr, addr, true);
	return a;
}

static void test_role(void)
{
	struct mg_local l;
	struct ha_role r;
	char *out = NULL, t[1024];
	struct ha_if_addr master[] = { box("lo", "127.0.0.1"), box("lan0", "10.2.0.11"),
				       box("lan0", "10.2.0.1"), box("up0", "203.0.113.2") };
	struct ha_if_addr half[] = { box("lan0", "10.2.0.1"), box("up0", "203.0.113.3") };

	parse("HaAddress = 10.2.0.1, 203.0.113.2\n", &l, &out);
	free(out);
	ha_role_from(&l, master, 4, &r);
	is_int(r.kind, HA_MASTER, "both VRRP addresses held: master");
	ha_role_text(&r, t, sizeof(t));
	is_str(t, "master (holds VRRP addresses 10.2.0.1 on lan0, 203.0.113.2 on up0)", "  its text");
	is_str(ha_role_name(r.kind), "master", "  its JSON name");
	ha_role_from(&l, master, 2, &r);
	is_int(r.kind, HA_STANDBY, "only the box's own addresses: standby");
	ha_role_text(&r, t, sizeof(t));
	is_str(t, "standby (VRRP addresses 10.2.0.1, 203.0.113.2 not held)", "  its text");
	ha_role_from(&l, half, 2, &r);
	is_int(r.kind, HA_PARTIAL, "one of two: partial (203.0.113.3 is not 203.0.113.2)");
	ha_role_text(&r, t, sizeof(t));
	ok(!strncmp(t, "neither master nor standby: holds 10.2.0.1 on lan0, not 203.0.113.2 (",
		     strlen("neither master nor standby: holds 10.2.0.1 on lan0, not 203.0.113.2 (")),
	   "  its text names what is held and what is not: %s", t);
	parse("HaAddress = 10.2.0.1\n", &l, &out);
	free(out);
	ha_role_from(&l, master, 4, &r);
	ha_role_text(&r, t, sizeof(t));
	is_str(t, "master (holds VRRP address 10.2.0.1 on lan0)", "one address: singular");
	parse("", &l, &out);
	free(out);
	ha_role_from(&l, master, 4, &r);
	is_int(r.kind, HA_NONE, "no HaAddress: no role, whatever the box holds");
	ok(!ha_role_name(r.kind), "  and no JSON name");
}

static char dir[] = "/tmp/meshgw-test-ha.XXXXXX";

static const char *file(const char *name, const char *txt)
{
	static char paths[16][PATH_MAX];	/* one per call: a test keeps several */
	static int k;
	char *p = paths[k++ % 16];
	FILE *f;

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(txt, f);
		fclose(f);
	}
	return p;
}

/* mesh_same(a, b): its status and what it reported, in *out. */
static int same(const char *a, const char *b, char **out)
{
	size_t len;
	FILE *f = open_memstream(out, &len);
	struct mg_errors e = { .out = f };
	int ret = mesh_same(a, b, &e);

	fclose(f);
	return ret;
}

static void test_same(void)
{
	static const char mesh[] =
		"[Mesh]\nNetwork = 192.168.254.0/24\nListenPort = 51820\n\n"
		"[Site a]\nAddress = 192.168.254.1\nEndpoint = 203.0.113.1:51820, 198.51.100.1:51820\n"
		"[Site b]\nAddress = 192.168.254.2\n";
	char *out = NULL, want[2 * PATH_MAX];
	const char *a, *b;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	a = file("a.conf", mesh);
	b = file("b.conf", "# the copy on box 2\n[mesh]\n  network   =   192.168.254.0/24  # comment\n"
		 "LISTENPORT = 51820\n[Site a]\naddress = 192.168.254.1\n"
		 "Endpoint = 203.0.113.1:51820 ,198.51.100.1:51820\n\n\n[SITE b]\nAddress = 192.168.254.2\n");
	is_int(same(a, b, &out), 0, "comments, blank lines, spacing, the case of keys: the same");
	is_str(out, "", "  nothing reported");
	free(out);

	b = file("b.conf", "[Mesh]\nNetwork = 192.168.254.0/24\nListenPort = 51821\n");
	is_int(same(a, b, &out), -EINVAL, "another ListenPort: differs");
	snprintf(want, sizeof(want), "%s:3: 'listenport = 51820' here, 'listenport = 51821' in %s:3: the two boxes of a pair need the same mesh file\n", a, b);
	is_str(out, want, "  the first difference, at both lines");
	free(out);

	b = file("b.conf", "[Mesh]\nNetwork = 192.168.254.0/24\nListenPort = 51820\n\n"
		 "[Site a]\nAddress = 192.168.254.1\nEndpoint = 203.0.113.1:51820, 198.51.100.1:51820\n");
	is_int(same(a, b, &out), -EINVAL, "a site missing in the other: differs");
	snprintf(want, sizeof(want), "%s:8: '[site b]' is not in %s, which ends before it: the two boxes of a pair need the same mesh file\n", a, b);
	is_str(out, want, "  said at this file's line");
	free(out);
	is_int(same(b, a, &out), -EINVAL, "  the other way round");
	snprintf(want, sizeof(want), "%s:8: '[site b]' is not in %s, which ends before it: the two boxes of a pair need the same mesh file\n", a, b);
	is_str(out, want, "  said at the other file's line");
	free(out);

	b = file("b.conf", "[Mesh]\nNetwork = 192.168.254.0/24\nListenPort = 51820\n\n"
		 "[Site A]\nAddress = 192.168.254.1\nEndpoint = 203.0.113.1:51820, 198.51.100.1:51820\n"
		 "[Site b]\nAddress = 192.168.254.2\n");
	is_int(same(a, b, &out), -EINVAL, "a site name's case differs: differs (names label metrics)");
	free(out);

	is_int(same(a, "/nonexistent/mesh.conf", &out), -ENOENT, "the other file missing: -ENOENT");
	ok(strstr(out, "/nonexistent/mesh.conf:") && strstr(out, "cannot open"), "  said: %s", out);
	free(out);
	unlink(file("a.conf", ""));
	unlink(file("b.conf", ""));
	rmdir(dir);
}

/* meshgw run's guard: the link follows the role; a master leaves alone a link
 * someone else took down. */
static void test_link_action(void)
{
	is_int(ha_link_action(HA_NONE, true, false), HA_LINK_KEEP, "not a pair, link up: kept");
	is_int(ha_link_action(HA_NONE, false, true), HA_LINK_KEEP, "not a pair, link down: kept");
	is_int(ha_link_action(HA_STANDBY, true, false), HA_LINK_DOWN, "standby, link up: down");
	is_int(ha_link_action(HA_PARTIAL, true, false), HA_LINK_DOWN,
	       "partial (an address left), link up: down");
	is_int(ha_link_action(HA_STANDBY, false, true), HA_LINK_KEEP, "standby, link down: kept");
	is_int(ha_link_action(HA_MASTER, false, true), HA_LINK_UP,
	       "master again, link held down by the guard: up");
	is_int(ha_link_action(HA_MASTER, false, false), HA_LINK_KEEP,
	       "master, link down by someone else: kept");
	is_int(ha_link_action(HA_MASTER, true, false), HA_LINK_KEEP, "master, link up: kept");
}

int main(void)
{
	test_ha_address();
	test_role();
	test_same();
	test_link_action();
	return tap_done();
}
