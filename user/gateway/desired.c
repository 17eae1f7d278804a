// SPDX-License-Identifier: GPL-2.0-only
/* The desired state: one WireGuard peer per other site (its endpoint, mesh address
 * and egress ranges) and per roaming client, the mesh address and routes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config/resolve.h"
#include "gateway/desired.h"
#include "lib/log.h"
#include "wg/psk.h"

static struct prefix host_prefix(const struct prefix *addr)
{
	struct prefix p = *addr;

	p.len = p.family == AF_INET ? 32 : 128;
	return p;
}

static int add_route(struct desired *d, const struct prefix *p)
{
	struct prefix *r = realloc(d->routes, (d->n_routes + 1) * sizeof(*r));

	if (!r)
		return -ENOMEM;
	d->routes = r;
	d->routes[d->n_routes++] = *p;
	return 0;
}

/* The first endpoint that resolves, in preference order; failover moves it later. */
static void peer_endpoint(const struct mg_site *s, struct wg_peer *p)
{
	for (size_t i = 0; i < s->n_endpoints; i++) {
		struct sockaddr_storage ss;

		if (resolve_now(&s->endpoints[i], &ss)) {
			pr_warn("site %s: cannot resolve endpoint %s:%u, trying the next one",
				s->name, s->endpoints[i].host, s->endpoints[i].port);
			continue;
		}
		memcpy(&p->endpoint, &ss, ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
								   : sizeof(struct sockaddr_in6));
		p->flags |= WG_PEER_SET_ENDPOINT;
		return;
	}
	if (s->n_endpoints)
		pr_warn("site %s: no endpoint resolves; waiting for it to connect to us", s->name);
}

/* Roaming clients: peers with no endpoint (WireGuard learns it from the client's
 * first handshake and follows it) and no keepalive (the client behind its NAT
 * keeps the path open; a gateway would only send into a left-behind address).
 * Their addresses are inside the mesh Network, whose route already leads into
 * the device. */
static int add_clients(const struct mg_config *c, struct desired *d, const uint8_t *secret)
{
	for (size_t i = 0; i < c->mesh.n_clients; i++) {
		const struct mg_client *cl = &c->mesh.clients[i];
		struct wg_peer *p = wg_device_add_peer(&d->wg);
		int ret = 0;

		if (!p)
			return -ENOMEM;
		memcpy(p->public_key, cl->public_key, WG_KEY_LEN);
		p->flags = WG_PEER_SET_PSK | WG_PEER_SET_KEEPALIVE;
		if (secret)
			psk_derive(p->preshared_key, secret, c->self->public_key, cl->public_key);
		p->keepalive = 0;
		for (size_t j = 0; !ret && j < cl->n_address; j++) {
			struct prefix host = host_prefix(&cl->address[j]);

			ret = wg_peer_add_allowed(p, &host);
		}
		if (ret)
			return ret;
	}
	return 0;
}

int desired_site_allowed(const struct mg_site *s, bool exit, struct wg_peer *p)
{
	/* No kernel route goes with these two: the gateway's own traffic keeps the
	 * main table's default route; only what tc_lan redirects takes the exit. */
	static const struct prefix any4 = { .family = AF_INET }, any6 = { .family = AF_INET6 };
	struct prefix host = host_prefix(&s->address);
	int ret = wg_peer_add_allowed(p, &host);

	for (size_t j = 0; !ret && j < s->n_egress; j++)
		ret = wg_peer_add_allowed(p, &s->egress[j]);
	if (!ret && exit)
		ret = wg_peer_add_allowed(p, &any4);
	if (!ret && exit)
		ret = wg_peer_add_allowed(p, &any6);
	return ret;
}

int desired_build(const struct mg_config *c, struct desired *d)
{
	const struct mg_site *self = c->self;
	uint8_t pub[WG_KEY_LEN], secret[WG_KEY_LEN];
	bool have_secret = false;
	char err[256];
	int ret;

	memset(d, 0, sizeof(*d));
	snprintf(d->wg.name, sizeof(d->wg.name), "%s", c->local.wg_if);
	ret = key_read_file(d->wg.private_key, c->local.private_key_file, true, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	if (key_public_from_private(pub, d->wg.private_key) ||
	    memcmp(pub, self->public_key, WG_KEY_LEN)) {
		pr_err("%s: this private key does not match the PublicKey of site %s in %s",
		       c->local.private_key_file, self->name, c->mesh.path);
		ret = -EINVAL;
		goto fail;
	}
	if (c->local.mesh_secret_file[0]) {
		ret = key_read_file(secret, c->local.mesh_secret_file, true, err, sizeof(err));
		if (ret) {
			pr_err("%s", err);
			goto fail;
		}
		have_secret = true;
	}
	d->wg.flags = WG_DEV_SET_PRIVATE_KEY | WG_DEV_SET_LISTEN_PORT | WG_DEV_SET_FWMARK;
	d->wg.listen_port = c->mesh.listen_port;
	d->wg.fwmark = c->local.fwmark;
	d->mtu = c->mesh.mtu ? c->mesh.mtu : MG_DEFAULT_MTU;
	d->address = self->address;
	d->address.len = c->mesh.network.len;
	ret = add_route(d, &c->mesh.network);
	if (ret)
		goto fail;

	for (size_t i = 0; i < c->mesh.n_sites; i++) {
		const struct mg_site *s = &c->mesh.sites[i];
		struct wg_peer *p;

		if (s == self)
			continue;
		p = wg_device_add_peer(&d->wg);
		if (!p) {
			ret = -ENOMEM;
			goto fail;
		}
		memcpy(p->public_key, s->public_key, WG_KEY_LEN);
		p->flags = WG_PEER_SET_PSK | WG_PEER_SET_KEEPALIVE;
		if (have_secret)
			psk_derive(p->preshared_key, secret, self->public_key, s->public_key);
		p->keepalive = c->mesh.keepalive;
		peer_endpoint(s, p);
		/* `up` sends the internet through the first ExitVia site; the daemon
		 * moves it (daemon/exit.c) with the same list. */
		ret = desired_site_allowed(s, c->local.n_exit_via &&
					   !strcasecmp(c->local.exit_via[0], s->name), p);
		for (size_t j = 0; !ret && j < s->n_egress; j++)
			ret = add_route(d, &s->egress[j]);
		if (ret)
			goto fail;
	}
	ret = add_clients(c, d, have_secret ? secret : NULL);
	if (ret)
		goto fail;
	key_wipe(secret, sizeof(secret));
	return 0;
fail:
	key_wipe(secret, sizeof(secret));
	desired_free(d);
	return ret;
}

void desired_free(struct desired *d)
{
	wg_device_free(&d->wg);
	free(d->routes);
	d->routes = NULL;
	d->n_routes = 0;
}
