// SPDX-License-Identifier: GPL-2.0-only
/* meshgw export -f routeros: RouterOS v7 commands (WireGuard exists from v7 on), to
 * paste or /import as they are. RouterOS does not route a peer's allowed-address by
 * itself: one /ip route per egress range; the other sites' mesh addresses are on
 * the connected mesh network. The firewall of RouterOS's default configuration
 * drops input from outside the interface list LAN: the WireGuard port is accepted
 * ahead of that (IPv4 and IPv6), and the tunnel joins LAN, so the other sites are
 * treated as the LAN is. A peer holds one endpoint: the others are listed in a
 * comment, with the command that moves to one. */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include "export/export.h"

static const char *ipcmd(const struct prefix *p)
{
	return p->family == AF_INET6 ? "/ipv6" : "/ip";
}

static void peer(const struct export_ctx *x, const struct mg_site *s)
{
	char key[WG_KEY_B64_LEN], p[PREFIX_STR_MAX], more[1024];

	key_to_base64(key, s->public_key);
	fprintf(x->out, "/interface wireguard peers add interface=%s comment=\"%s\" public-key=\"%s\"",
		x->o->ifname, s->name, key);
	if (export_psk(x, s, key)) {
		fprintf(x->out, " preshared-key=\"%s\"", key);
		key_wipe(key, sizeof(key));
	}
	if (s->n_endpoints)
		fprintf(x->out, " endpoint-address=%s endpoint-port=%u", s->endpoints[0].host,
			s->endpoints[0].port);
	fprintf(x->out, " allowed-address=%s", prefix_str(&s->address, p, sizeof(p)));
	for (size_t i = 0; i < s->n_egress; i++)
		fprintf(x->out, ",%s", prefix_str(&s->egress[i], p, sizeof(p)));
	if (x->m->keepalive)
		fprintf(x->out, " persistent-keepalive=%us", x->m->keepalive);
	fputc('\n', x->out);
	export_other_endpoints(s, more, sizeof(more));
	if (more[0])
		fprintf(x->out, "# %s\n# (RouterOS takes one endpoint per peer; to move: /interface wireguard "
			"peers set [find comment=\"%s\"] endpoint-address=HOST endpoint-port=PORT)\n",
			more, s->name);
	for (size_t i = 0; i < s->n_egress; i++)
		fprintf(x->out, "%s route add dst-address=%s gateway=%s comment=\"meshgw site %s\"\n",
			ipcmd(&s->egress[i]), prefix_str(&s->egress[i], p, sizeof(p)), x->o->ifname,
			s->name);
}

/* An input rule accepting the WireGuard port, placed first: after the default
 * configuration's "drop all not coming from LAN" it would never match. An empty
 * filter table has no first rule to place it before. */
static void accept_port(const struct export_ctx *x, const char *ip)
{
	char rule[256];

	snprintf(rule, sizeof(rule), "%s firewall filter add chain=input action=accept protocol=udp "
		 "dst-port=%u comment=\"meshgw: WireGuard from the mesh sites\"", ip, x->m->listen_port);
	fprintf(x->out, ":if ([:len [%s firewall filter find]] = 0) do={%s} else={%s place-before=[:pick [%s firewall filter find] 0]}\n",
		ip, rule, rule, ip);
}

int export_routeros(const struct export_ctx *x)
{
	char buf[256];

	fprintf(x->out, "# RouterOS v7 configuration of site %s, from the meshgw mesh file %s.\n",
		x->site->name, x->m->path);
	fprintf(x->out, "# Paste into a terminal, or upload and run: /import file-name=meshgw.rsc\n");
	fprintf(x->out, "# Firewall: UDP port %u accepted first in the input chain; %s joins the\n"
			"# interface list LAN (the default configuration's), so the LAN's rules apply to it.\n",
		x->m->listen_port, x->o->ifname);
	if (!x->o->private_key)
		fprintf(x->out, "# FILL IN private-key below (meshgw export -k KEYFILE does it).\n");
	if (!x->o->mesh_secret)
		fprintf(x->out, "# No preshared-key: if the meshgw sites use a MeshSecretFile, export with -s FILE.\n");
	export_private_key(x, buf, sizeof(buf));
	fprintf(x->out, "/interface wireguard add name=%s listen-port=%u mtu=%u private-key=\"%s\" comment=\"meshgw site %s\"\n",
		x->o->ifname, x->m->listen_port, x->m->mtu, buf, x->site->name);
	key_wipe(buf, sizeof(buf));
	export_interface_address(x, buf, sizeof(buf));
	/* IPv6: no router advertisements on the tunnel */
	fprintf(x->out, "%s address add address=%s interface=%s%s\n", ipcmd(&x->site->address), buf,
		x->o->ifname, x->site->address.family == AF_INET6 ? " advertise=no" : "");
	fprintf(x->out, "/interface list member add list=LAN interface=%s comment=\"meshgw\"\n",
		x->o->ifname);
	accept_port(x, "/ip");
	accept_port(x, "/ipv6");
	for (size_t i = 0; i < x->m->n_sites; i++)
		if (&x->m->sites[i] != x->site)
			peer(x, &x->m->sites[i]);
	return ferror(x->out) ? -EIO : 0;
}
