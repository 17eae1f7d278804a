/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to the loader (dataplane.c, dp_fill.c): map fds and the diff fillers. */
#pragma once
#include <stdint.h>
#include "config/config.h"
#include "dataplane/dataplane.h"
#include "dataplane/dp_maps.h"

/* An address allowed to get probe replies (mg_known_eps): 16-byte key (IPv4
 * mapped), valued with the owning peer's slot in mg_peer_info. */
struct dp_known_ep {
	struct mg_ep_key key;
	uint32_t peer;
};

int dp_route_filter_write(int fd, const uint32_t f[MG_ROUTE_FILTER_LEN]);
/* idx[s] = peer slot of mesh->sites[s], idx[n_sites + k] that of mesh->clients[k]. */
int dp_assign_peers(const struct dp_fds *m, const struct mg_mesh *mesh, uint32_t *idx);
int dp_sync_routes(const struct dp_fds *m, const struct mg_config *c, const uint32_t *idx);
int dp_merge_known_eps(int fd, const struct dp_known_ep *eps, size_t n, const uint32_t *idx,
		       size_t nsites);
int dp_known_from_config(const struct mg_config *c, const uint32_t *idx,
			 struct dp_known_ep **out, size_t *n);
