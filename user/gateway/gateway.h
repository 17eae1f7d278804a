/* SPDX-License-Identifier: GPL-2.0-only */
/* The engine: brings the gateway to the state the configuration describes and
 * back. `meshgw up`, `down` and `run` (the daemon) all go through these. */
#pragma once
#include <stdbool.h>
#include <net/if.h>
#include "config/config.h"

/* Converges WireGuard, link, address, routes, sysctls and the BPF data plane to c.
 * With keep_endpoints, a peer whose current endpoint is one of its site's
 * candidates keeps it (the daemon chose it); otherwise new peers and peers on an
 * unknown endpoint get the first candidate. 0 or -errno, previous state kept on
 * failure. */
int gateway_up(const struct mg_config *c, bool keep_endpoints);

/* gateway_up in two halves, for `meshgw up`: gateway_up_early takes the interface's
 * lock and, when wireguard-go runs it, asks it for its configuration, whose reply it
 * builds (at thousands of peers, tens of ms) while the caller reads the mesh file;
 * gateway_up_finish is gateway_up with that lock and that reply. A caller that
 * stops in between calls gateway_early_cancel. */
struct gateway_early {
	char wg_if[IF_NAMESIZE];
	int lock;			/* state_lock's fd, or -errno */
	int wg;				/* wg_uapi_get_begin's socket, or -1 */
};
void gateway_up_early(const char *wg_if, struct gateway_early *e);
int gateway_up_finish(const struct mg_config *c, bool keep_endpoints, struct gateway_early *e);
void gateway_early_cancel(struct gateway_early *e);

/* For `meshgw run`, when the WireGuard interface is missing: under the interface's
 * lock, brings the gateway up again if `meshgw up`'s state is still recorded
 * (wireguard-go exited, or someone deleted the link). 1 restored, 0 the interface
 * is there (nothing done), -ENOENT no state (`meshgw down` took it down, whether
 * or not the interface is still there), or -errno. */
int gateway_restore(const struct mg_config *c);

/* For `meshgw run` applying the configuration again while it runs (SIGHUP, a NIC
 * back or with a new MAC): gateway_up (keeping endpoints) under the interface's
 * lock, but only while `meshgw up`'s state is recorded. 1 when it is not (`meshgw
 * down` took the gateway down: nothing is brought back), else as gateway_up. */
int gateway_reapply(const struct mg_config *c);

/* Removes what `meshgw up` recorded it created (the data plane and the daemon's
 * mg_failover, the link or else only meshgw's routes and address on it, the
 * sysctls nobody changed since), under the interface's lock; the state record
 * goes last, once everything else came off. Needs only the local file. 0, or the
 * first -errno (what could be removed was). */
int gateway_down(const struct mg_local *l);
