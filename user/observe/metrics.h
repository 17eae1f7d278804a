/* SPDX-License-Identifier: GPL-2.0-only */
/* The Prometheus text exposition (format 0.0.4) of a gateway, built into a
 * memory buffer so `meshgw metrics` prints it and the daemon's HTTP server
 * (http_metrics.h) sends it. Every family has HELP and TYPE lines; counters end
 * in _total; units are seconds and bytes; labels are only site, endpoint (the
 * candidate's index) and small fixed enums (reason, verdict). Never keys. */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include "config/config.h"
#include "lib/mbuf.h"
#include "observe/status.h"

#ifndef MESHGW_VERSION
#define MESHGW_VERSION "0.1.0"
#endif

/* What only the running daemon knows (`meshgw metrics` from a shell does not):
 * the configuration it serves and how its last load went. */
struct metrics_daemon {
	const struct mg_config *cfg;	/* read at every scrape: a reload is picked up */
	bool reload_ok;			/* the last load (start or SIGHUP) was applied */
	int64_t reload_success_ns;	/* CLOCK_REALTIME of the last applied one */
};

/* Renders s. 0 or -ENOMEM. */
int metrics_render(const struct status *s, struct mbuf *out);
/* meshgw_config_last_reload_successful and ..._success_timestamp_seconds. 0 or -ENOMEM. */
int metrics_render_reload(const struct metrics_daemon *d, struct mbuf *out);
/* status_gather + metrics_render: *text is malloc'ed (NUL-terminated), *len
 * excludes the NUL. 0 or -errno. */
int metrics_collect(const struct mg_config *c, char **text, size_t *len);
/* The daemon's provider for GET /metrics (an http_metrics_provider): ctx is its
 * struct metrics_daemon; metrics_collect's text, then metrics_render_reload's.
 * One scrape costs one status_gather: a few hundred map lookups and one
 * WireGuard get for a small mesh, done inline in the daemon's loop. */
int metrics_http_provider(void *ctx, char **body, size_t *len);
