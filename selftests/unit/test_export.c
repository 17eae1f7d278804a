// SPDX-License-Identifier: GPL-2.0-only
/* meshgw export: golden output of a small mesh in each format (IPv6 and hostname
 * endpoints, a site without endpoints, two egress ranges), the private key from -k
 * instead of the placeholder, -s PSKs equal to psk_derive in both directions, and
 * the command's bad inputs (exit 1 and a message naming the problem). */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tap.h"
#include "cmd/commands.h"
#include "config/config.h"
#include "export/export.h"
#include "wg/psk.h"

static const char mesh_text[] =
	"[Mesh]\n"
	"Network = 10.99.0.0/24\n"
	"ListenPort = 51820\n"
	"MTU = 1380\n"
	"\n"
	"[Site alpha]\n"
	"Address = 10.99.0.1\n"
	"PublicKey = vKvkxNPhWuOP/dqdASJMikzon5z6NrepfNuV4BtQmUg=\n"
	"Endpoint = 192.0.2.1:51820\n"
	"Endpoint = alpha-isp2.example.net:51821\n"
	"Egress = 10.1.0.0/24\n"
	"Egress = 10.11.0.0/16\n"
	"\n"
	"[Site beta]\n"
	"Address = 10.99.0.2\n"
	"PublicKey = T/ch48Tb4geCwDLDWA+0W7OTn6U4xrTjm32HhZc6gHM=\n"
	"Endpoint = [2001:db8::2]:51820\n"
	"Egress = 10.2.0.0/24\n"
	"\n"
	"[Site gamma]\n"
	"Address = 10.99.0.3\n"
	"PublicKey = mK7dd3vCHOs5Rs5i6hlaAPEFgVMzx8Y7i9uYoTXz3Qg=\n";

/* The published example keys of examples/three-sites (site1 = alpha, site2 = beta). */
#define ALPHA_PRIV "cIoEayKRb+kJjBiKmvnx/MBRY9MLoSMLlUvKDz24IX8="
#define BETA_PRIV  "QIb0NxTSLK5yCJf6wSnB0TMMhUyIXUthJqN25vLp91w="
#define SECRET     "3zAzqYvtE9syOTNxCwy9z3moCQzXzD34uY3ZkM7gVq8="

static const char golden_wgquick_alpha[] =
	"# WireGuard configuration of site alpha, from the meshgw mesh file mesh.conf.\n"
	"# Save as /etc/wireguard/meshgw.conf (mode 0600), then: wg-quick up meshgw\n"
	"# FILL IN the PrivateKey line below (meshgw export -k KEYFILE does it).\n"
	"# No PresharedKey lines: if the meshgw sites use a MeshSecretFile, export with -s FILE.\n"
	"# The other sites reach this site's LAN through the tunnel: 10.1.0.0/24, 10.11.0.0/16\n"
	"# so this box must forward (sysctl net.ipv4.ip_forward=1) and be the LAN's route to the mesh.\n"
	"\n"
	"[Interface]\n"
	"Address = 10.99.0.1/24\n"
	"ListenPort = 51820\n"
	"MTU = 1380\n"
	"PrivateKey = <contents of the private key file of alpha>\n"
	"\n"
	"[Peer]\n"
	"# beta\n"
	"PublicKey = T/ch48Tb4geCwDLDWA+0W7OTn6U4xrTjm32HhZc6gHM=\n"
	"Endpoint = [2001:db8::2]:51820\n"
	"AllowedIPs = 10.99.0.2/32, 10.2.0.0/24\n"
	"PersistentKeepalive = 25\n"
	"\n"
	"[Peer]\n"
	"# gamma\n"
	"PublicKey = mK7dd3vCHOs5Rs5i6hlaAPEFgVMzx8Y7i9uYoTXz3Qg=\n"
	"# gamma has no Endpoint: it connects to this site\n"
	"AllowedIPs = 10.99.0.3/32\n"
	"PersistentKeepalive = 25\n";

static const char golden_openwrt_alpha[] =
	"#!/bin/sh\n"
	"# OpenWrt configuration of site alpha, from the meshgw mesh file mesh.conf.\n"
	"# Run on the router (packages wireguard-tools and kmod-wireguard): sh THIS-FILE\n"
	"# It sets interface 'meshgw' and its peers in /etc/config/network, zone 'meshgw' and\n"
	"# the rule for UDP port 51820 in /etc/config/firewall, and reloads both; running it\n"
	"# again replaces them.\n"
	"# FILL IN private_key below (meshgw export -k KEYFILE does it).\n"
	"# No preshared_key options: if the meshgw sites use a MeshSecretFile, export with -s FILE.\n"
	"set -e\n"
	"\n"
	"uci -q delete network.meshgw || true\n"
	"while uci -q delete network.@wireguard_meshgw[0]; do :; done\n"
	"uci set network.meshgw=interface\n"
	"uci set network.meshgw.proto='wireguard'\n"
	"uci set network.meshgw.private_key='<contents of the private key file of alpha>'\n"
	"uci set network.meshgw.listen_port='51820'\n"
	"uci set network.meshgw.mtu='1380'\n"
	"uci add_list network.meshgw.addresses='10.99.0.1/24'\n"
	"\n"
	"# peer beta\n"
	"uci add network wireguard_meshgw >/dev/null\n"
	"uci set network.@wireguard_meshgw[-1].description='beta'\n"
	"uci set network.@wireguard_meshgw[-1].public_key='T/ch48Tb4geCwDLDWA+0W7OTn6U4xrTjm32HhZc6gHM='\n"
	"uci set network.@wireguard_meshgw[-1].endpoint_host='2001:db8::2'\n"
	"uci set network.@wireguard_meshgw[-1].endpoint_port='51820'\n"
	"uci set network.@wireguard_meshgw[-1].persistent_keepalive='25'\n"
	"uci set network.@wireguard_meshgw[-1].route_allowed_ips='1'\n"
	"uci add_list network.@wireguard_meshgw[-1].allowed_ips='10.99.0.2/32'\n"
	"uci add_list network.@wireguard_meshgw[-1].allowed_ips='10.2.0.0/24'\n"
	"\n"
	"# peer gamma\n"
	"uci add network wireguard_meshgw >/dev/null\n"
	"uci set network.@wireguard_meshgw[-1].description='gamma'\n"
	"uci set network.@wireguard_meshgw[-1].public_key='mK7dd3vCHOs5Rs5i6hlaAPEFgVMzx8Y7i9uYoTXz3Qg='\n"
	"# gamma has no Endpoint: it connects to this site\n"
	"uci set network.@wireguard_meshgw[-1].persistent_keepalive='25'\n"
	"uci set network.@wireguard_meshgw[-1].route_allowed_ips='1'\n"
	"uci add_list network.@wireguard_meshgw[-1].allowed_ips='10.99.0.3/32'\n"
	"\n"
	"# firewall: zone meshgw, forwarding to and from lan, UDP 51820 accepted from wan\n"
	"uci -q delete firewall.meshgw || true\n"
	"uci set firewall.meshgw=zone\n"
	"uci set firewall.meshgw.name='meshgw'\n"
	"uci set firewall.meshgw.input='ACCEPT'\n"
	"uci set firewall.meshgw.output='ACCEPT'\n"
	"uci set firewall.meshgw.forward='REJECT'\n"
	"uci add_list firewall.meshgw.network='meshgw'\n"
	"uci -q delete firewall.meshgw_from_lan || true\n"
	"uci set firewall.meshgw_from_lan=forwarding\n"
	"uci set firewall.meshgw_from_lan.src='lan'\n"
	"uci set firewall.meshgw_from_lan.dest='meshgw'\n"
	"uci -q delete firewall.meshgw_to_lan || true\n"
	"uci set firewall.meshgw_to_lan=forwarding\n"
	"uci set firewall.meshgw_to_lan.src='meshgw'\n"
	"uci set firewall.meshgw_to_lan.dest='lan'\n"
	"uci -q delete firewall.meshgw_port || true\n"
	"uci set firewall.meshgw_port=rule\n"
	"uci set firewall.meshgw_port.name='Allow-meshgw-WireGuard'\n"
	"uci set firewall.meshgw_port.src='wan'\n"
	"uci set firewall.meshgw_port.proto='udp'\n"
	"uci set firewall.meshgw_port.dest_port='51820'\n"
	"uci set firewall.meshgw_port.target='ACCEPT'\n"
	"\n"
	"uci commit network\n"
	"uci commit firewall\n"
	"/etc/init.d/network reload\n"
	"/etc/init.d/firewall reload\n";

static const char golden_routeros_alpha[] =
	"# RouterOS v7 configuration of site alpha, from the meshgw mesh file mesh.conf.\n"
	"# Paste into a terminal, or upload and run: /import file-name=meshgw.rsc\n"
	"# Firewall: UDP port 51820 accepted first in the input chain; meshgw joins the\n"
	"# interface list LAN (the default configuration's), so the LAN's rules apply to it.\n"
	"# FILL IN private-key below (meshgw export -k KEYFILE does it).\n"
	"# No preshared-key: if the meshgw sites use a MeshSecretFile, export with -s FILE.\n"
	"/interface wireguard add name=meshgw listen-port=51820 mtu=1380 private-key=\"<contents of the private key file of alpha>\" comment=\"meshgw site alpha\"\n"
	"/ip address add address=10.99.0.1/24 interface=meshgw\n"
	"/interface list member add list=LAN interface=meshgw comment=\"meshgw\"\n"
	":if ([:len [/ip firewall filter find]] = 0) do={/ip firewall filter add chain=input action=accept protocol=udp dst-port=51820 comment=\"meshgw: WireGuard from the mesh sites\"} else={/ip firewall filter add chain=input action=accept protocol=udp dst-port=51820 comment=\"meshgw: WireGuard from the mesh sites\" place-before=[:pick [/ip firewall filter find] 0]}\n"
	":if ([:len [/ipv6 firewall filter find]] = 0) do={/ipv6 firewall filter add chain=input action=accept protocol=udp dst-port=51820 comment=\"meshgw: WireGuard from the mesh sites\"} else={/ipv6 firewall filter add chain=input action=accept protocol=udp dst-port=51820 comment=\"meshgw: WireGuard from the mesh sites\" place-before=[:pick [/ipv6 firewall filter find] 0]}\n"
	"/interface wireguard peers add interface=meshgw comment=\"beta\" public-key=\"T/ch48Tb4geCwDLDWA+0W7OTn6U4xrTjm32HhZc6gHM=\" endpoint-address=2001:db8::2 endpoint-port=51820 allowed-address=10.99.0.2/32,10.2.0.0/24 persistent-keepalive=25s\n"
	"/ip route add dst-address=10.2.0.0/24 gateway=meshgw comment=\"meshgw site beta\"\n"
	"/interface wireguard peers add interface=meshgw comment=\"gamma\" public-key=\"mK7dd3vCHOs5Rs5i6hlaAPEFgVMzx8Y7i9uYoTXz3Qg=\" allowed-address=10.99.0.3/32 persistent-keepalive=25s\n";

static const char golden_wgquick_beta[] =
	"# WireGuard configuration of site beta, from the meshgw mesh file mesh.conf.\n"
	"# Save as /etc/wireguard/meshgw.conf (mode 0600), then: wg-quick up meshgw\n"
	"# FILL IN the PrivateKey line below (meshgw export -k KEYFILE does it).\n"
	"# No PresharedKey lines: if the meshgw sites use a MeshSecretFile, export with -s FILE.\n"
	"# The other sites reach this site's LAN through the tunnel: 10.2.0.0/24\n"
	"# so this box must forward (sysctl net.ipv4.ip_forward=1) and be the LAN's route to the mesh.\n"
	"\n"
	"[Interface]\n"
	"Address = 10.99.0.2/24\n"
	"ListenPort = 51820\n"
	"MTU = 1380\n"
	"PrivateKey = <contents of the private key file of beta>\n"
	"\n"
	"[Peer]\n"
	"# alpha\n"
	"PublicKey = vKvkxNPhWuOP/dqdASJMikzon5z6NrepfNuV4BtQmUg=\n"
	"Endpoint = 192.0.2.1:51820\n"
	"# other endpoints of alpha, in preference order: alpha-isp2.example.net:51821\n"
	"# (plain WireGuard uses one: switch with `wg set meshgw peer KEY endpoint HOST:PORT`)\n"
	"AllowedIPs = 10.99.0.1/32, 10.1.0.0/24, 10.11.0.0/16\n"
	"PersistentKeepalive = 25\n"
	"\n"
	"[Peer]\n"
	"# gamma\n"
	"PublicKey = mK7dd3vCHOs5Rs5i6hlaAPEFgVMzx8Y7i9uYoTXz3Qg=\n"
	"# gamma has no Endpoint: it connects to this site\n"
	"AllowedIPs = 10.99.0.3/32\n"
	"PersistentKeepalive = 25\n";

static char *export_str(const struct mg_mesh *m, const char *site, const struct export_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct mg_site *s = mesh_find_site(m, site);

	if (!f || !s || export_site(f, m, s, o)) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

static void is_text(const char *got, const char *want, const char *name)
{
	if (tap_ok(got && !strcmp(got, want), "%s", name))
		return;
	tap_diag("got:\n%s", got ? got : "(null)");
}

/* The value after "KEY = " on the n-th line starting with it (0-based), or "". */
static const char *line_value(const char *text, const char *key, int n, char *out, size_t len)
{
	size_t kl = strlen(key);

	out[0] = '\0';
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) || strncmp(p + kl, " = ", 3))
			continue;
		if (n-- == 0) {
			size_t l = strcspn(p + kl + 3, "\n");

			snprintf(out, len, "%.*s", (int)(l < len ? l : len - 1), p + kl + 3);
			break;
		}
	}
	return out;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		tap_diag("cannot write %s", path);
	if (fd >= 0) {
		fchmod(fd, mode);
		close(fd);
	}
}

/* Runs cmd_export with stdout and stderr captured into files; returns its status. */
static int run_export(const char *dir, char **out, char **err, ...)
{
	char *argv[16] = { "export" }, path[512];
	int argc = 1, ret, so, se, fo, fe;
	va_list ap;

	va_start(ap, err);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	snprintf(path, sizeof(path), "%s/stdout", dir);
	fo = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	snprintf(path, sizeof(path), "%s/stderr", dir);
	fe = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	so = dup(1);
	se = dup(2);
	dup2(fo, 1);
	dup2(fe, 2);
	ret = cmd_export(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	for (int i = 0; i < 2; i++) {
		int fd = i ? fe : fo;
		off_t n = lseek(fd, 0, SEEK_END);
		char *b = calloc(1, (size_t)n + 1);

		if (b && pread(fd, b, (size_t)n, 0) != n)
			b[0] = '\0';
		*(i ? err : out) = b;
		close(fd);
	}
	return ret;
}

static void cmd_fails(const char *dir, const char *name, const char *msg, char *a1, char *a2,
		      char *a3, char *a4, char *a5, char *a6, char *a7)
{
	char *out, *err;
	int ret = run_export(dir, &out, &err, a1, a2, a3, a4, a5, a6, a7, NULL);

	if (!tap_ok(ret == 1 && out && !out[0] && err && strstr(err, msg), "%s", name))
		tap_diag("exit %d, stdout '%s', stderr '%s' (want '%s')", ret, out ? out : "",
			 err ? err : "", msg);
	free(out);
	free(err);
}

int main(void)
{
	struct mg_errors e = { .out = stderr };
	struct export_opts o = { .format = EXPORT_WG_QUICK, .ifname = "meshgw" };
	uint8_t priv[WG_KEY_LEN], secret[WG_KEY_LEN], psk[WG_KEY_LEN];
	char dir[] = "/tmp/test_export.XXXXXX", path[512], key_path[300], secret_path[300];
	char mesh_path[300], other_key[300], open_key[300], v[128], want[WG_KEY_B64_LEN];
	const struct mg_site *a, *b, *g;
	char *s, *s2, *out, *err;
	struct mg_mesh m;
	enum export_format f;

	if (sodium_init() < 0)
		return 1;
	if (!ok(mesh_parse(&m, "mesh.conf", mesh_text, sizeof(mesh_text) - 1, &e) == 0 &&
		mesh_validate(&m, &e) == 0, "test mesh parses and validates"))
		return tap_done();
	a = mesh_find_site(&m, "alpha");
	b = mesh_find_site(&m, "beta");
	g = mesh_find_site(&m, "gamma");

	/* --- format names ----------------------------------------------------------- */
	ok(!export_format_parse("wg-quick", &f) && f == EXPORT_WG_QUICK, "format wg-quick");
	ok(!export_format_parse("openwrt", &f) && f == EXPORT_OPENWRT, "format openwrt");
	ok(!export_format_parse("routeros", &f) && f == EXPORT_ROUTEROS, "format routeros");
	ok(export_format_parse("WG-QUICK", &f) == -EINVAL, "format names are exact");
	ok(export_format_parse("", &f) == -EINVAL, "empty format rejected");
	ok(export_ifname_valid(EXPORT_OPENWRT, "mesh_gw") && !export_ifname_valid(EXPORT_OPENWRT, "mesh-gw"),
	   "OpenWrt interface names are UCI section names");
	ok(!export_ifname_valid(EXPORT_WG_QUICK, "a234567890123456"), "interface name over 15 chars rejected");
	ok(!export_ifname_valid(EXPORT_ROUTEROS, "a b") && !export_ifname_valid(EXPORT_WG_QUICK, "a/b"),
	   "interface names with spaces or '/' rejected");

	/* --- golden outputs --------------------------------------------------------- */
	s = export_str(&m, "alpha", &o);
	is_text(s, golden_wgquick_alpha, "wg-quick, site alpha (IPv6 endpoint, peer without endpoint)");
	free(s);
	s = export_str(&m, "beta", &o);
	is_text(s, golden_wgquick_beta, "wg-quick, site beta (hostname endpoint kept, in a comment)");
	free(s);
	o.format = EXPORT_OPENWRT;
	s = export_str(&m, "alpha", &o);
	is_text(s, golden_openwrt_alpha, "openwrt, site alpha");
	free(s);
	o.format = EXPORT_ROUTEROS;
	s = export_str(&m, "alpha", &o);
	is_text(s, golden_routeros_alpha, "routeros, site alpha");
	free(s);

	/* --- the mesh's settings flow through ---------------------------------------- */
	o.format = EXPORT_WG_QUICK;
	m.keepalive = 0;
	s = export_str(&m, "alpha", &o);
	ok(s && !strstr(s, "PersistentKeepalive"), "keepalive off: no PersistentKeepalive line");
	free(s);
	o.format = EXPORT_OPENWRT;
	s = export_str(&m, "alpha", &o);
	ok(s && !strstr(s, "persistent_keepalive"), "keepalive off: no persistent_keepalive (openwrt)");
	free(s);
	m.keepalive = 25;
	o.format = EXPORT_WG_QUICK;
	o.ifname = "mesh0";
	s = export_str(&m, "beta", &o);
	ok(s && strstr(s, "/etc/wireguard/mesh0.conf") && strstr(s, "wg set mesh0 peer"),
	   "-i names the wg-quick file and interface");
	free(s);
	o.format = EXPORT_ROUTEROS;
	s = export_str(&m, "beta", &o);
	ok(s && strstr(s, "add name=mesh0 ") && strstr(s, "peers add interface=mesh0 ") &&
	   strstr(s, "gateway=mesh0 "), "-i names the RouterOS interface everywhere");
	free(s);
	o.ifname = "meshgw";

	/* --- a peer's other endpoints: listed, with the command that moves to one ----- */
	o.format = EXPORT_OPENWRT;
	s = export_str(&m, "beta", &o);
	ok(s && strstr(s, "\n# other endpoints of alpha, in preference order: alpha-isp2.example.net:51821\n"
			 "# (OpenWrt takes one endpoint per peer; to move: uci set network.@wireguard_meshgw[0]"
			 ".endpoint_host=HOST; uci commit network; ifup meshgw)\n"),
	   "openwrt: alpha's second endpoint in a comment, with the uci command (peer index 0)");
	free(s);
	s = export_str(&m, "gamma", &o);
	ok(s && strstr(s, "\n# (OpenWrt takes one endpoint per peer; to move: uci set network.@wireguard_meshgw[0]"),
	   "openwrt: the index is the peer's place among the peers (alpha first for gamma)");
	free(s);
	o.format = EXPORT_ROUTEROS;
	s = export_str(&m, "beta", &o);
	ok(s && strstr(s, "\n# other endpoints of alpha, in preference order: alpha-isp2.example.net:51821\n"
			 "# (RouterOS takes one endpoint per peer; to move: /interface wireguard peers set "
			 "[find comment=\"alpha\"] endpoint-address=HOST endpoint-port=PORT)\n"),
	   "routeros: alpha's second endpoint in a comment, with the command");
	free(s);
	ok(!export_ifname_valid(EXPORT_OPENWRT, "meshgw_site2") && export_ifname_valid(EXPORT_OPENWRT, "meshgw_sit2"),
	   "OpenWrt interface names at most 11 characters (the firewall zone's limit)");

	/* --- private key: placeholder vs -k ------------------------------------------ */
	o.format = EXPORT_WG_QUICK;
	key_from_base64(priv, ALPHA_PRIV);
	o.private_key = priv;
	s = export_str(&m, "alpha", &o);
	is_str(line_value(s ? s : "", "PrivateKey", 0, v, sizeof(v)), ALPHA_PRIV,
	       "with the key: PrivateKey is the key");
	ok(s && !strstr(s, "<contents") && !strstr(s, "FILL IN"), "  and no placeholder or FILL IN note");
	free(s);
	o.format = EXPORT_OPENWRT;
	s = export_str(&m, "alpha", &o);
	ok(s && strstr(s, "\nuci set network.meshgw.private_key='" ALPHA_PRIV "'\n"), "with the key: openwrt private_key");
	free(s);
	o.format = EXPORT_ROUTEROS;
	s = export_str(&m, "alpha", &o);
	ok(s && strstr(s, " private-key=\"" ALPHA_PRIV "\" "), "with the key: routeros private-key");
	free(s);
	o.private_key = NULL;

	/* --- PSKs: both directions equal psk_derive ----------------------------------- */
	key_from_base64(secret, SECRET);
	o.mesh_secret = secret;
	o.format = EXPORT_WG_QUICK;
	s = export_str(&m, "alpha", &o);
	s2 = export_str(&m, "beta", &o);
	psk_derive(psk, secret, a->public_key, b->public_key);
	key_to_base64(want, psk);
	is_str(line_value(s ? s : "", "PresharedKey", 0, v, sizeof(v)), want,
	       "alpha's PSK for beta = psk_derive(secret, alpha, beta)");
	psk_derive(psk, secret, b->public_key, a->public_key);
	key_to_base64(want, psk);
	is_str(line_value(s2 ? s2 : "", "PresharedKey", 0, v, sizeof(v)), want,
	       "beta's PSK for alpha = psk_derive(secret, beta, alpha)");
	psk_derive(psk, secret, a->public_key, g->public_key);
	key_to_base64(want, psk);
	is_str(line_value(s ? s : "", "PresharedKey", 1, v, sizeof(v)), want,
	       "alpha's PSK for gamma = psk_derive(secret, alpha, gamma)");
	ok(strcmp(line_value(s ? s : "", "PresharedKey", 0, v, sizeof(v)),
		  line_value(s ? s : "", "PresharedKey", 1, path, sizeof(path))),
	   "  and differs from the PSK for beta");
	ok(s && !strstr(s, "No PresharedKey"), "  no 'export with -s' note");
	free(s);
	free(s2);
	o.format = EXPORT_OPENWRT;
	s = export_str(&m, "gamma", &o);
	psk_derive(psk, secret, g->public_key, b->public_key);
	key_to_base64(want, psk);
	snprintf(path, sizeof(path), "\nuci set network.@wireguard_meshgw[-1].preshared_key='%s'\n", want);
	ok(s && strstr(s, path), "openwrt: gamma's preshared_key for beta");
	free(s);
	o.format = EXPORT_ROUTEROS;
	s = export_str(&m, "beta", &o);
	snprintf(path, sizeof(path), " preshared-key=\"%s\" ", want);
	ok(s && strstr(s, path), "routeros: beta's preshared-key for gamma (the same key)");
	free(s);
	o.mesh_secret = NULL;
	mesh_free(&m);

	/* --- an IPv6 mesh ---------------------------------------------------------------- */
	{
		static const char mesh6[] =
			"[Mesh]\nNetwork = fd00:99::/64\nListenPort = 51820\n"
			"[Site alpha]\nAddress = fd00:99::1\n"
			"PublicKey = vKvkxNPhWuOP/dqdASJMikzon5z6NrepfNuV4BtQmUg=\n"
			"Endpoint = [2001:db8::1]:51820\nEgress = fd01::/48\nEgress = 10.1.0.0/24\n"
			"[Site beta]\nAddress = fd00:99::2\n"
			"PublicKey = T/ch48Tb4geCwDLDWA+0W7OTn6U4xrTjm32HhZc6gHM=\n";
		struct export_opts o6 = { .format = EXPORT_WG_QUICK, .ifname = "meshgw" };

		ok(!mesh_parse(&m, "mesh6.conf", mesh6, sizeof(mesh6) - 1, &e) && !mesh_validate(&m, &e),
		   "IPv6 mesh parses");
		s = export_str(&m, "beta", &o6);
		is_str(line_value(s ? s : "", "Address", 0, v, sizeof(v)), "fd00:99::2/64",
		       "IPv6: wg-quick Address with the mesh prefix length");
		is_str(line_value(s ? s : "", "AllowedIPs", 0, v, sizeof(v)), "fd00:99::1/128, fd01::/48, 10.1.0.0/24",
		       "IPv6: AllowedIPs /128 + both families of egress");
		is_str(line_value(s ? s : "", "Endpoint", 0, v, sizeof(v)), "[2001:db8::1]:51820",
		       "IPv6: endpoint in brackets");
		free(s);
		o6.format = EXPORT_ROUTEROS;
		s = export_str(&m, "beta", &o6);
		ok(s && strstr(s, "\n/ipv6 address add address=fd00:99::2/64 interface=meshgw advertise=no\n") &&
		   strstr(s, "\n/ipv6 route add dst-address=fd01::/48 gateway=meshgw ") &&
		   strstr(s, "\n/ip route add dst-address=10.1.0.0/24 gateway=meshgw ") &&
		   strstr(s, " endpoint-address=2001:db8::1 endpoint-port=51820 "),
		   "IPv6: RouterOS /ipv6 address (no RA) and routes per family");
		free(s);
		o6.format = EXPORT_OPENWRT;
		s = export_str(&m, "beta", &o6);
		ok(s && strstr(s, "\nuci set network.@wireguard_meshgw[-1].endpoint_host='2001:db8::1'\n") &&
		   strstr(s, "\nuci add_list network.meshgw.addresses='fd00:99::2/64'\n"),
		   "IPv6: OpenWrt endpoint_host without brackets");
		free(s);
		mesh_free(&m);
	}

	/* --- the command --------------------------------------------------------------- */
	if (!mkdtemp(dir))
		return tap_done();
	snprintf(mesh_path, sizeof(mesh_path), "%s/mesh.conf", dir);
	snprintf(key_path, sizeof(key_path), "%s/alpha.key", dir);
	snprintf(other_key, sizeof(other_key), "%s/beta.key", dir);
	snprintf(open_key, sizeof(open_key), "%s/open.key", dir);
	snprintf(secret_path, sizeof(secret_path), "%s/secret", dir);
	write_file(mesh_path, mesh_text, 0644);
	write_file(key_path, ALPHA_PRIV "\n", 0600);
	write_file(other_key, BETA_PRIV "\n", 0600);
	write_file(open_key, ALPHA_PRIV "\n", 0644);
	write_file(secret_path, SECRET "\n", 0600);

	is_int(run_export(dir, &out, &err, "-f", "wg-quick", "-c", mesh_path, "-k", key_path,
			  "-s", secret_path, "ALPHA", NULL), 0, "meshgw export -k -s (site name in any case): exit 0");
	is_str(line_value(out ? out : "", "PrivateKey", 0, v, sizeof(v)), ALPHA_PRIV, "  private key from -k");
	ok(out && strstr(out, "PresharedKey = ") && err && !err[0], "  PSKs from -s, nothing on stderr");
	free(out);
	free(err);
	is_int(run_export(dir, &out, &err, "-f", "routeros", "-c", mesh_path, "gamma", NULL), 0,
	       "meshgw export -f routeros without keys: exit 0");
	ok(out && strstr(out, "FILL IN"), "  with the placeholder note");
	free(out);
	free(err);

	cmd_fails(dir, "unknown format: usage, exit 1", "unknown format 'wireguard'",
		  "-f", "wireguard", "-c", mesh_path, "alpha", NULL, NULL);
	cmd_fails(dir, "no -f: usage", "Usage: meshgw export", "-c", mesh_path, "alpha", NULL, NULL,
		  NULL, NULL);
	cmd_fails(dir, "no SITE: usage", "Usage: meshgw export", "-f", "openwrt", "-c", mesh_path, NULL,
		  NULL, NULL);
	cmd_fails(dir, "two SITEs: usage", "Usage: meshgw export", "-f", "openwrt", "-c", mesh_path,
		  "alpha", "beta", NULL);
	snprintf(path, sizeof(path), "%s: no site or client 'delta'; the sites are: alpha, beta, gamma", mesh_path);
	cmd_fails(dir, "unknown site: names the file and lists the sites", path, "-f", "wg-quick", "-c",
		  mesh_path, "delta", NULL, NULL);
	snprintf(path, sizeof(path), "%s/nope.conf", dir);
	cmd_fails(dir, "missing mesh file: named", path, "-f", "wg-quick", "-c", path, "alpha", NULL, NULL);
	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	write_file(path, "[Mesh]\nNetwork = 10.99.0.0/24\nListenPort = 0\n[Site x]\nAddress = 10.99.0.1\n", 0644);
	cmd_fails(dir, "invalid mesh file: file:line", "bad.conf:3:", "-f", "wg-quick", "-c", path,
		  "x", NULL, NULL);
	cmd_fails(dir, "-k of another site: refused", "does not match the PublicKey of site alpha",
		  "-f", "wg-quick", "-c", mesh_path, "-k", other_key, "alpha");
	cmd_fails(dir, "-k readable by others: refused", "chmod 600", "-f", "wg-quick", "-c", mesh_path,
		  "-k", open_key, "alpha");
	snprintf(path, sizeof(path), "%s/none.key", dir);
	cmd_fails(dir, "-s missing: named", path, "-f", "wg-quick", "-c", mesh_path, "-s", path, "alpha");
	cmd_fails(dir, "-s with a malformed key: refused", "-s:", "-f", "wg-quick", "-c", mesh_path,
		  "-s", mesh_path, "alpha");
	cmd_fails(dir, "-i not a UCI name for openwrt", "not a valid openwrt interface name", "-f",
		  "openwrt", "-i", "mesh-gw", "-c", mesh_path, "alpha");
	cmd_fails(dir, "unknown option: usage", "Usage: meshgw export", "-x", "-f", "wg-quick", "-c",
		  mesh_path, "alpha", NULL);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path))
		tap_diag("could not remove %s", dir);
	return tap_done();
}
