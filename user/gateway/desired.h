/* SPDX-License-Identifier: GPL-2.0-only */
/* The state `up` converges to, built entirely from the configuration (and the key
 * files, and DNS) before anything on the system is touched. */
#pragma once
#include "config/config.h"
#include "wg/wg_device.h"

struct desired {
	struct wg_device wg;		/* private key, port, fwmark, one peer per remote site
				 * and per roaming client */
	struct prefix address;		/* our mesh address, prefix length of the mesh network */
	struct prefix *routes;		/* mesh network + every remote site's egress, via wg */
	size_t n_routes;
	uint32_t mtu;
};

/* 0, or -errno with the problem printed (unreadable key file, a private key that
 * does not match the site's PublicKey, ...). */
int desired_build(const struct mg_config *c, struct desired *d);
void desired_free(struct desired *d);
/* The AllowedIPs of site s's peer: its mesh address and egress ranges, and with
 * exit 0.0.0.0/0 and ::/0 (the active internet exit). 0 or -ENOMEM. */
int desired_site_allowed(const struct mg_site *s, bool exit, struct wg_peer *p);
