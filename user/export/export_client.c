// SPDX-License-Identifier: GPL-2.0-only
/* meshgw export -f wg-quick CLIENT: the wg-quick(8) file of a roaming client (a
 * laptop; the phone app takes the same file, or its QR code). The client is a
 * member of the mesh: one [Peer] per site gateway with that site's mesh address and
 * egress ranges, so it reaches every site directly, not through a hub. It has no
 * ListenPort (any port: the gateways learn it from its handshakes) and keeps the
 * path open through its own NAT with a keepalive. */
#include <errno.h>
#include <stdio.h>
#include "export/export.h"

int export_client(FILE *out, const struct mg_mesh *m, const struct mg_client *client,
		  const struct export_opts *o)
{
	struct export_ctx x = { .out = out, .m = m, .client = client, .o = o };
	/* A roaming client is behind a NAT nearly always: it keeps the mapping open
	 * even when the mesh turned its own keepalive off (sites with public
	 * addresses need none). */
	uint16_t keepalive = m->keepalive ? m->keepalive : MG_DEFAULT_KEEPALIVE;
	char buf[256], a[PREFIX_STR_MAX];

	fprintf(out, "# WireGuard configuration of client %s, from the meshgw mesh file %s.\n",
		client->name, m->path);
	fprintf(out, "# Save as /etc/wireguard/%s.conf (mode 0600), then: wg-quick up %s\n",
		o->ifname, o->ifname);
	if (!o->private_key)
		fprintf(out, "# FILL IN the PrivateKey line below (meshgw export -k KEYFILE does it).\n");
	if (!o->mesh_secret)
		fprintf(out, "# No PresharedKey lines: if the meshgw sites use a MeshSecretFile, export with -s FILE.\n");
	fprintf(out, "\n[Interface]\n");
	/* Host prefixes: the client routes only what its peers' AllowedIPs name. */
	fprintf(out, "Address = ");
	for (size_t i = 0; i < client->n_address; i++)
		fprintf(out, "%s%s", i ? ", " : "", prefix_str(&client->address[i], a, sizeof(a)));
	fputc('\n', out);
	fprintf(out, "MTU = %u\n", m->mtu);
	/* Its resolvers: with an Exit site, one there (or a public one, whose queries
	 * take the exit too) keeps the client's lookups off the local network's. */
	for (size_t i = 0; i < client->n_dns; i++)
		fprintf(out, "%s%s%s", i ? ", " : "DNS = ", prefix_addr_str(&client->dns[i], a, sizeof(a)),
			i + 1 == client->n_dns ? "\n" : "");
	export_private_key(&x, buf, sizeof(buf));
	fprintf(out, "PrivateKey = %s\n", buf);
	key_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < m->n_sites; i++)
		/* A site without an Endpoint stays a peer all the same: its ranges
		 * stay in the tunnel (dropped there) rather than leak to the client's
		 * default route. */
		export_wg_peer(&x, &m->sites[i], keepalive, "a roaming client cannot reach it");
	return fflush(out) || ferror(out) ? -EIO : 0;
}
