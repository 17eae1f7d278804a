// SPDX-License-Identifier: GPL-2.0-only
/* One pass over everything a gateway exposes about its peers: pinned data-plane
 * maps, the daemon's mg_failover records, and the WireGuard device. Read-only:
 * `show` and `metrics` never change anything and never touch DNS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include "config/resolve.h"
#include "dataplane/dp_exit.h"
#include "dataplane/dp_maps.h"
#include "failover/fo_state.h"
#include "lib/log.h"
#include "lib/sockaddr.h"
#include "observe/status.h"
#include "wg/wg_backend.h"

#define FRESH_NS (1000ULL * 1000 * 1000)	/* the daemon publishes every 250 ms */

const char *status_drop_name(unsigned int reason)
{
	static const char *const names[MG_DROP__USED] = {
#define DROP_NAME(e, label, help) [MG_DROP_##e] = #label,
		MG_DROPS(DROP_NAME)
#undef DROP_NAME
	};

	return reason < MG_DROP__USED ? names[reason] : NULL;
}

const char *status_health_name(unsigned int health)
{
	return health == MG_EP_UP ? "up" : health == MG_EP_DOWN ? "down" : "unknown";
}

int64_t status_mono_to_real(const struct status *s, uint64_t mono_ns)
{
	if (!mono_ns)
		return 0;
	return s->real_ns - ((int64_t)s->mono_ns - (int64_t)mono_ns);
}

static void endpoint_name(char *buf, size_t len, const struct mg_endpoint *ep)
{
	if (strchr(ep->host, ':'))
		snprintf(buf, len, "[%s]:%u", ep->host, ep->port);
	else
		snprintf(buf, len, "%s:%u", ep->host, ep->port);
}

static void addr_from_state(struct sockaddr_storage *ss, const struct mg_endpoint_state *e)
{
	static const __u8 v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	memset(ss, 0, sizeof(*ss));
	if (!memcmp(e->addr, v4mapped, sizeof(v4mapped))) {
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, &e->addr[12], 4);
		sin->sin_port = htons(e->port);
	} else {
		struct sockaddr_in6 *sin6 = (void *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, e->addr, 16);
		sin6->sin6_port = htons(e->port);
	}
}

static bool state_addr_set(const struct mg_endpoint_state *e)
{
	static const __u8 zero[16];

	return memcmp(e->addr, zero, sizeof(zero)) != 0;
}

/* Which ExitVia site the data plane exits through, and what went through each. */
static void gather_exits(struct status *s, struct dp_maps *m)
{
	struct mg_exit x;

	s->have_exit_map = !dp_exit_get(m, &x);
	if (s->have_exit_map)
		memcpy(s->exit_moves, x.moves, sizeof(s->exit_moves));
	for (size_t i = 0; i < s->n_exits; i++) {
		struct status_exit *e = &s->exits[i];
		int idx = dp_peer_index(m, e->site);

		if (idx < 0)
			continue;
		e->active = s->have_exit_map && x.on && x.peer == (__u32)idx;
		e->have_dp = !dp_exit_stats(m, (__u32)idx, &e->dp);
	}
}

static void gather_maps(struct status *s)
{
	struct dp_maps m;

	if (dp_maps_open(&m, s->pin_path))
		return;
	s->have_maps = true;
	for (size_t p = 0; p < s->n_peers; p++) {
		struct status_peer *sp = &s->peers[p];
		int idx = dp_peer_index(&m, sp->site);

		sp->dp_index = idx >= 0 ? idx : -1;
		if (sp->dp_index >= 0 && !dp_peer_stats(&m, (__u32)sp->dp_index, &sp->dp))
			sp->have_dp = true;
		for (size_t i = 0; i < sp->n_eps; i++) {
			struct status_endpoint *e = &sp->eps[i];

			/* The data plane counts on the first uplink only (it runs there). */
			if (e->have_addr && !(e->uplink[0] && e->uplink_index) && !dp_ep_stats(&m, &e->addr, &e->rx))
				e->have_rx = true;
		}
	}
	gather_exits(s, &m);
	s->n_ifaces = dp_ifaces(&m, s->ifaces, MG_MAX_IFACES);
	if (s->n_ifaces < 0)
		s->n_ifaces = 0;
	s->have_stats = m.fd.stats >= 0;
	for (int i = 0; s->have_stats && i < MG_STAT__MAX; i++)
		if (dp_stat(&m, (enum mg_stat)i, &s->stats[i]))
			s->have_stats = false;
	dp_maps_close(&m);
}

static void gather_failover(struct status *s)
{
	int fd = fo_state_open(s->pin_path);

	if (fd < 0)
		return;
	s->have_fo_map = true;
	for (size_t p = 0; p < s->n_peers; p++) {
		struct status_peer *sp = &s->peers[p];

		if (fo_state_read(fd, sp->site, &sp->fo))
			continue;
		sp->have_fo = true;
		if (sp->fo.updated_ns > s->fo_updated_ns)
			s->fo_updated_ns = sp->fo.updated_ns;
		if (sp->fo.active < sp->n_eps)
			sp->active = (int)sp->fo.active;
		for (size_t i = 0; i < sp->n_eps && i < sp->fo.n_endpoints; i++) {
			struct status_endpoint *e = &sp->eps[i];

			e->have_fo = true;
			e->fo = sp->fo.endpoints[i];
			/* The daemon's resolution is the current one (hostnames move). */
			if (state_addr_set(&e->fo)) {
				addr_from_state(&e->addr, &e->fo);
				e->have_addr = true;
			}
		}
	}
	close(fd);
	s->daemon_fresh = s->fo_updated_ns && s->mono_ns >= s->fo_updated_ns &&
			  s->mono_ns - s->fo_updated_ns < FRESH_NS;
}

static void gather_wg(const struct mg_config *c, struct status *s)
{
	const struct wg_backend *be;
	struct wg_device d = { 0 };
	int ret;

	/* The backend `up` and the daemon use for this configuration. */
	if (wg_backend_choose(c->local.backend, c->local.path, &be)) {
		snprintf(s->wg_error, sizeof(s->wg_error), "no kernel WireGuard (Backend = %s)",
			 backend_name(c->local.backend));
		return;
	}
	ret = be->get(s->wg_if, &d);
	if (ret) {
		snprintf(s->wg_error, sizeof(s->wg_error), "%s: %s", s->wg_if,
			 ret == -ENODEV ? "no such device" :
			 be->kind == MG_BACKEND_USERSPACE && (ret == -ENOENT || ret == -ECONNREFUSED) ?
			 "no wireguard-go socket" : strerror(-ret));
		wg_device_free(&d);
		return;
	}
	s->have_wg = true;
	s->wg_backend = backend_name(be->kind);
	for (size_t p = 0; p < s->n_peers; p++) {
		struct status_peer *sp = &s->peers[p];
		const struct mg_site *site = sp->client ? NULL : mesh_find_site(&c->mesh, sp->site);
		const struct mg_client *cl = sp->client ? mesh_find_client(&c->mesh, sp->site) : NULL;
		const uint8_t *key = site ? site->public_key : cl ? cl->public_key : NULL;
		struct wg_peer *wp = key ? wg_device_find_peer(&d, key) : NULL;

		if (!wp)
			continue;
		sp->have_wg = true;
		sp->handshake_sec = wp->last_handshake_sec;
		sp->handshake_nsec = wp->last_handshake_nsec;
		sp->wg_rx_bytes = wp->rx_bytes;
		sp->wg_tx_bytes = wp->tx_bytes;
		if (wp->endpoint.sa.sa_family == AF_INET || wp->endpoint.sa.sa_family == AF_INET6) {
			sp->wg_have_endpoint = true;
			memset(&sp->wg_endpoint, 0, sizeof(sp->wg_endpoint));
			memcpy(&sp->wg_endpoint, &wp->endpoint, sizeof(wp->endpoint));
		}
	}
	wg_device_free(&d);	/* wipes the keys */
}

int status_gather(const struct mg_config *c, struct status *s)
{
	int saved = log_verbosity;
	struct timespec ts;
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	snprintf(s->self, sizeof(s->self), "%s", c->self ? c->self->name : c->local.site);
	snprintf(s->wg_if, sizeof(s->wg_if), "%s", c->local.wg_if);
	s->self_exit = c->self && c->self->exit;
	s->n_exits = c->local.n_exit_via;
	for (size_t i = 0; i < s->n_exits; i++)
		snprintf(s->exits[i].site, sizeof(s->exits[i].site), "%s", c->local.exit_via[i]);
	if (c->local.pin_path[0])
		snprintf(s->pin_path, sizeof(s->pin_path), "%s", c->local.pin_path);
	else
		snprintf(s->pin_path, sizeof(s->pin_path), "%s/%s", MG_DEFAULT_PIN_ROOT, c->local.wg_if);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->mono_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->real_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;

	s->peers = calloc(c->mesh.n_sites + c->mesh.n_clients + 1, sizeof(*s->peers));
	if (!s->peers)
		return -ENOMEM;
	for (size_t i = 0; i < c->mesh.n_sites; i++) {
		const struct mg_site *site = &c->mesh.sites[i];
		struct status_peer *sp = &s->peers[n];

		if (site == c->self || !strcmp(site->name, s->self))
			continue;
		n++;
		snprintf(sp->site, sizeof(sp->site), "%s", site->name);
		sp->dp_index = -1;
		sp->active = -1;
		/* The daemon's candidates: endpoints, or with several uplinks paths. */
		unsigned int E = mg_path_endpoints(&c->local, site->n_endpoints, MG_STATE_MAX_ENDPOINTS);

		sp->n_eps = (size_t)E * mg_path_uplinks(&c->local);
		for (size_t i = 0; i < sp->n_eps; i++) {
			struct status_endpoint *ep = &sp->eps[i];
			unsigned int e = (unsigned int)(i % E);

			ep->ep_index = e;
			ep->uplink_index = (unsigned int)(i / E);
			if (local_multi_uplink(&c->local))
				snprintf(ep->uplink, sizeof(ep->uplink), "%s",
					 c->local.uplinks[ep->uplink_index].name);
			endpoint_name(ep->name, sizeof(ep->name), &site->endpoints[e]);
			/* Literals only: show and metrics never wait for DNS. */
			if (site->endpoints[e].is_literal &&
			    !resolve_now(&site->endpoints[e], &ep->addr))
				ep->have_addr = true;
		}
	}
	for (size_t i = 0; i < c->mesh.n_clients; i++) {
		struct status_peer *sp = &s->peers[n++];

		snprintf(sp->site, sizeof(sp->site), "%s", c->mesh.clients[i].name);
		sp->client = true;
		sp->dp_index = -1;
		sp->active = -1;
	}
	s->n_peers = n;

	/* The pieces that are not there are reported in the flags, not on stderr. */
	log_verbosity = -1;
	gather_failover(s);
	gather_maps(s);
	gather_wg(c, s);
	log_verbosity = saved;

	for (size_t p = 0; p < s->n_peers; p++) {
		struct status_peer *sp = &s->peers[p];

		for (size_t e = 0; sp->wg_have_endpoint && e < sp->n_eps; e++) {
			if (sp->eps[e].have_addr && sockaddr_equal(&sp->eps[e].addr, &sp->wg_endpoint)) {
				sp->eps[e].is_wg_endpoint = true;
				if (sp->active < 0)
					sp->active = (int)e;
			}
		}
	}
	return 0;
}

void status_free(struct status *s)
{
	free(s->peers);
	s->peers = NULL;
	s->n_peers = 0;
}
