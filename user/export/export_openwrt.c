// SPDX-License-Identifier: GPL-2.0-only
/* meshgw export -f openwrt: sections for /etc/config/network in the format of
 * OpenWrt's wireguard protocol handler (proto 'wireguard', one 'wireguard_<if>'
 * section per peer). route_allowed_ips makes netifd add the routes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "export/export.h"

static void peer(const struct export_ctx *x, const struct mg_site *s)
{
	char key[WG_KEY_B64_LEN], p[PREFIX_STR_MAX], more[1024];

	fprintf(x->out, "\nconfig wireguard_%s\n", x->o->ifname);
	fprintf(x->out, "\toption description '%s'\n", s->name);
	key_to_base64(key, s->public_key);
	fprintf(x->out, "\toption public_key '%s'\n", key);
	if (export_psk(x, s, key)) {
		fprintf(x->out, "\toption preshared_key '%s'\n", key);
		key_wipe(key, sizeof(key));
	}
	if (s->n_endpoints) {
		/* endpoint_host takes IPv6 literals without brackets */
		fprintf(x->out, "\toption endpoint_host '%s'\n", s->endpoints[0].host);
		fprintf(x->out, "\toption endpoint_port '%u'\n", s->endpoints[0].port);
		export_other_endpoints(s, more, sizeof(more));
		if (more[0])
			fprintf(x->out, "\t# %s\n", more);
	} else {
		fprintf(x->out, "\t# %s has no Endpoint: it connects to this site\n", s->name);
	}
	if (x->m->keepalive)
		fprintf(x->out, "\toption persistent_keepalive '%u'\n", x->m->keepalive);
	fprintf(x->out, "\toption route_allowed_ips '1'\n");
	fprintf(x->out, "\tlist allowed_ips '%s'\n", prefix_str(&s->address, p, sizeof(p)));
	for (size_t i = 0; i < s->n_egress; i++)
		fprintf(x->out, "\tlist allowed_ips '%s'\n", prefix_str(&s->egress[i], p, sizeof(p)));
}

int export_openwrt(const struct export_ctx *x)
{
	char buf[256];

	fprintf(x->out, "# OpenWrt network configuration of site %s, from the meshgw mesh file %s.\n",
		x->site->name, x->m->path);
	fprintf(x->out, "# Append to /etc/config/network (package wireguard-tools and kmod-wireguard),\n"
			"# then: /etc/init.d/network reload\n");
	fprintf(x->out, "# Firewall: put interface '%s' in a zone that forwards to and from 'lan',\n"
			"# and accept UDP port %u from the WAN.\n", x->o->ifname, x->m->listen_port);
	if (!x->o->private_key)
		fprintf(x->out, "# FILL IN private_key below (meshgw export -k KEYFILE does it).\n");
	if (!x->o->mesh_secret)
		fprintf(x->out, "# No preshared_key options: if the meshgw sites use a MeshSecretFile, export with -s FILE.\n");
	fprintf(x->out, "\nconfig interface '%s'\n", x->o->ifname);
	fprintf(x->out, "\toption proto 'wireguard'\n");
	export_private_key(x, buf, sizeof(buf));
	fprintf(x->out, "\toption private_key '%s'\n", buf);
	key_wipe(buf, sizeof(buf));
	fprintf(x->out, "\toption listen_port '%u'\n", x->m->listen_port);
	fprintf(x->out, "\toption mtu '%u'\n", x->m->mtu);
	export_interface_address(x, buf, sizeof(buf));
	fprintf(x->out, "\tlist addresses '%s'\n", buf);
	for (size_t i = 0; i < x->m->n_sites; i++)
		if (&x->m->sites[i] != x->site)
			peer(x, &x->m->sites[i]);
	return ferror(x->out) ? -EIO : 0;
}
