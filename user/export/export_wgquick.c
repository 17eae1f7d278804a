// SPDX-License-Identifier: GPL-2.0-only
/* meshgw export -f wg-quick: a wg-quick(8) file. wg-quick adds the routes for every
 * peer's AllowedIPs itself, so the egress ranges only need to be listed there. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "export/export.h"

static void egress_comment(const struct export_ctx *x)
{
	char p[PREFIX_STR_MAX];

	if (!x->site->n_egress)
		return;
	fprintf(x->out, "# The other sites reach this site's LAN through the tunnel:");
	for (size_t i = 0; i < x->site->n_egress; i++)
		fprintf(x->out, "%s %s", i ? "," : "", prefix_str(&x->site->egress[i], p, sizeof(p)));
	fprintf(x->out, "\n# so this box must forward (sysctl net.ipv4.ip_forward=1) and be the LAN's route to the mesh.\n");
}

void export_wg_peer(const struct export_ctx *x, const struct mg_site *s, uint16_t keepalive,
		    const char *no_endpoint)
{
	char key[WG_KEY_B64_LEN], ep[MG_HOST_MAX + 16], p[PREFIX_STR_MAX], more[1024];

	fprintf(x->out, "\n[Peer]\n# %s\n", s->name);
	key_to_base64(key, s->public_key);
	fprintf(x->out, "PublicKey = %s\n", key);
	if (export_psk(x, s, key)) {
		fprintf(x->out, "PresharedKey = %s\n", key);
		key_wipe(key, sizeof(key));
	}
	if (s->n_endpoints) {
		export_endpoint_str(&s->endpoints[0], ep, sizeof(ep));
		fprintf(x->out, "Endpoint = %s\n", ep);
		export_other_endpoints(s, more, sizeof(more));
		if (more[0])
			fprintf(x->out, "# %s\n# (plain WireGuard uses one: switch with `wg set %s peer KEY endpoint HOST:PORT`)\n",
				more, x->o->ifname);
	} else {
		fprintf(x->out, "# %s has no Endpoint: %s\n", s->name, no_endpoint);
	}
	fprintf(x->out, "AllowedIPs = %s", prefix_str(&s->address, p, sizeof(p)));
	for (size_t i = 0; i < s->n_egress; i++)
		fprintf(x->out, ", %s", prefix_str(&s->egress[i], p, sizeof(p)));
	/* A client's Exit site (an exit site: checked) takes its internet traffic too;
	 * the site masquerades it behind its own address. */
	if (x->client && x->client->exit[0] && !strcasecmp(x->client->exit, s->name))
		fprintf(x->out, ", 0.0.0.0/0, ::/0");
	fputc('\n', x->out);
	if (keepalive)
		fprintf(x->out, "PersistentKeepalive = %u\n", keepalive);
}

int export_wg_quick(const struct export_ctx *x)
{
	char buf[256];

	fprintf(x->out, "# WireGuard configuration of site %s, from the meshgw mesh file %s.\n",
		x->site->name, x->m->path);
	fprintf(x->out, "# Save as /etc/wireguard/%s.conf (mode 0600), then: wg-quick up %s\n",
		x->o->ifname, x->o->ifname);
	if (!x->o->private_key)
		fprintf(x->out, "# FILL IN the PrivateKey line below (meshgw export -k KEYFILE does it).\n");
	if (!x->o->mesh_secret)
		fprintf(x->out, "# No PresharedKey lines: if the meshgw sites use a MeshSecretFile, export with -s FILE.\n");
	egress_comment(x);
	fprintf(x->out, "\n[Interface]\n");
	export_interface_address(x, buf, sizeof(buf));
	fprintf(x->out, "Address = %s\n", buf);
	fprintf(x->out, "ListenPort = %u\n", x->m->listen_port);
	fprintf(x->out, "MTU = %u\n", x->m->mtu);
	export_private_key(x, buf, sizeof(buf));
	fprintf(x->out, "PrivateKey = %s\n", buf);
	key_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < x->m->n_sites; i++)
		if (&x->m->sites[i] != x->site)
			export_wg_peer(x, &x->m->sites[i], x->m->keepalive, "it connects to this site");
	return ferror(x->out) ? -EIO : 0;
}
