// SPDX-License-Identifier: GPL-2.0-only
/* meshgw export -f openwrt: a shell script of uci(1) commands to run on the router
 * as it is: the interface in OpenWrt's wireguard protocol handler (proto
 * 'wireguard', one 'wireguard_<if>' section per peer; route_allowed_ips makes netifd
 * add the routes), a firewall zone for it forwarding to and from 'lan', and a rule
 * accepting the WireGuard port from 'wan'. Two files (network, firewall) take it,
 * which a block of config sections to append could not do. Named sections are
 * deleted first and the peers replaced whole, so running it again changes nothing.
 * OpenWrt's peer section holds one endpoint: the others are listed in a comment,
 * with the command that moves to one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "export/export.h"

/* uci set/add_list PATH.option='value' on the peer section added last. */
#define PEER "network.@wireguard_%s[-1]"

static void peer(const struct export_ctx *x, const struct mg_site *s, size_t index)
{
	const char *i = x->o->ifname;
	char key[WG_KEY_B64_LEN], p[PREFIX_STR_MAX], more[1024];

	fprintf(x->out, "\n# peer %s\n", s->name);
	fprintf(x->out, "uci add network wireguard_%s >/dev/null\n", i);
	fprintf(x->out, "uci set " PEER ".description='%s'\n", i, s->name);
	key_to_base64(key, s->public_key);
	fprintf(x->out, "uci set " PEER ".public_key='%s'\n", i, key);
	if (export_psk(x, s, key)) {
		fprintf(x->out, "uci set " PEER ".preshared_key='%s'\n", i, key);
		key_wipe(key, sizeof(key));
	}
	if (s->n_endpoints) {
		/* endpoint_host takes IPv6 literals without brackets */
		fprintf(x->out, "uci set " PEER ".endpoint_host='%s'\n", i, s->endpoints[0].host);
		fprintf(x->out, "uci set " PEER ".endpoint_port='%u'\n", i, s->endpoints[0].port);
		export_other_endpoints(s, more, sizeof(more));
		if (more[0])
			fprintf(x->out, "# %s\n# (OpenWrt takes one endpoint per peer; to move: uci set "
				"network.@wireguard_%s[%zu].endpoint_host=HOST; uci commit network; ifup %s)\n",
				more, i, index, i);
	} else {
		fprintf(x->out, "# %s has no Endpoint: it connects to this site\n", s->name);
	}
	if (x->m->keepalive)
		fprintf(x->out, "uci set " PEER ".persistent_keepalive='%u'\n", i, x->m->keepalive);
	fprintf(x->out, "uci set " PEER ".route_allowed_ips='1'\n", i);
	fprintf(x->out, "uci add_list " PEER ".allowed_ips='%s'\n", i,
		prefix_str(&s->address, p, sizeof(p)));
	for (size_t e = 0; e < s->n_egress; e++)
		fprintf(x->out, "uci add_list " PEER ".allowed_ips='%s'\n", i,
			prefix_str(&s->egress[e], p, sizeof(p)));
}

/* Forwarding section <if>_<name> from zone src to zone dest (replaced if present). */
static void forwarding(const struct export_ctx *x, const char *name, const char *src, const char *dest)
{
	const char *i = x->o->ifname;

	fprintf(x->out, "uci -q delete firewall.%s_%s || true\n", i, name);
	fprintf(x->out, "uci set firewall.%s_%s=forwarding\n", i, name);
	fprintf(x->out, "uci set firewall.%s_%s.src='%s'\n", i, name, src);
	fprintf(x->out, "uci set firewall.%s_%s.dest='%s'\n", i, name, dest);
}

/* Zone <if> (input from the other sites accepted, as from the LAN: they are the
 * mesh's LANs), forwardings lan <-> <if>, and the WireGuard port open on wan. */
static void firewall(const struct export_ctx *x)
{
	const char *i = x->o->ifname;

	fprintf(x->out, "\n# firewall: zone %s, forwarding to and from lan, UDP %u accepted from wan\n",
		i, x->m->listen_port);
	fprintf(x->out, "uci -q delete firewall.%s || true\n", i);
	fprintf(x->out, "uci set firewall.%s=zone\n", i);
	fprintf(x->out, "uci set firewall.%s.name='%s'\n", i, i);
	fprintf(x->out, "uci set firewall.%s.input='ACCEPT'\n", i);
	fprintf(x->out, "uci set firewall.%s.output='ACCEPT'\n", i);
	fprintf(x->out, "uci set firewall.%s.forward='REJECT'\n", i);
	fprintf(x->out, "uci add_list firewall.%s.network='%s'\n", i, i);
	forwarding(x, "from_lan", "lan", i);
	forwarding(x, "to_lan", i, "lan");
	fprintf(x->out, "uci -q delete firewall.%s_port || true\n", i);
	fprintf(x->out, "uci set firewall.%s_port=rule\n", i);
	fprintf(x->out, "uci set firewall.%s_port.name='Allow-%s-WireGuard'\n", i, i);
	fprintf(x->out, "uci set firewall.%s_port.src='wan'\n", i);
	fprintf(x->out, "uci set firewall.%s_port.proto='udp'\n", i);
	fprintf(x->out, "uci set firewall.%s_port.dest_port='%u'\n", i, x->m->listen_port);
	fprintf(x->out, "uci set firewall.%s_port.target='ACCEPT'\n", i);
}

int export_openwrt(const struct export_ctx *x)
{
	const char *i = x->o->ifname;
	char buf[256];
	size_t n = 0;

	fprintf(x->out, "#!/bin/sh\n");
	fprintf(x->out, "# OpenWrt configuration of site %s, from the meshgw mesh file %s.\n",
		x->site->name, x->m->path);
	fprintf(x->out, "# Run on the router (packages wireguard-tools and kmod-wireguard): sh THIS-FILE\n"
			"# It sets interface '%s' and its peers in /etc/config/network, zone '%s' and\n"
			"# the rule for UDP port %u in /etc/config/firewall, and reloads both; running it\n"
			"# again replaces them.\n", i, i, x->m->listen_port);
	if (!x->o->private_key)
		fprintf(x->out, "# FILL IN private_key below (meshgw export -k KEYFILE does it).\n");
	if (!x->o->mesh_secret)
		fprintf(x->out, "# No preshared_key options: if the meshgw sites use a MeshSecretFile, export with -s FILE.\n");
	fprintf(x->out, "set -e\n");
	fprintf(x->out, "\nuci -q delete network.%s || true\n", i);
	fprintf(x->out, "while uci -q delete network.@wireguard_%s[0]; do :; done\n", i);
	fprintf(x->out, "uci set network.%s=interface\n", i);
	fprintf(x->out, "uci set network.%s.proto='wireguard'\n", i);
	export_private_key(x, buf, sizeof(buf));
	fprintf(x->out, "uci set network.%s.private_key='%s'\n", i, buf);
	key_wipe(buf, sizeof(buf));
	fprintf(x->out, "uci set network.%s.listen_port='%u'\n", i, x->m->listen_port);
	fprintf(x->out, "uci set network.%s.mtu='%u'\n", i, x->m->mtu);
	export_interface_address(x, buf, sizeof(buf));
	fprintf(x->out, "uci add_list network.%s.addresses='%s'\n", i, buf);
	for (size_t s = 0; s < x->m->n_sites; s++)
		if (&x->m->sites[s] != x->site)
			peer(x, &x->m->sites[s], n++);
	firewall(x);
	fprintf(x->out, "\nuci commit network\nuci commit firewall\n");
	fprintf(x->out, "/etc/init.d/network reload\n/etc/init.d/firewall reload\n");
	return ferror(x->out) ? -EIO : 0;
}
