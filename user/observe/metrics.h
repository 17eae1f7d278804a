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

/* Renders s. 0 or -ENOMEM. */
int metrics_render(const struct status *s, struct mbuf *out);
/* status_gather + metrics_render: *text is malloc'ed (NUL-terminated), *len
 * excludes the NUL. 0 or -errno. The daemon's provider for GET /metrics. */
int metrics_collect(const struct mg_config *c, char **text, size_t *len);
/* The same as an http_metrics_provider: ctx is the daemon's struct mg_config
 * (read at every scrape, so a SIGHUP reload is picked up). One scrape costs one
 * status_gather: a few hundred map lookups and one WireGuard get for a small
 * mesh, done inline in the daemon's loop. */
int metrics_http_provider(void *ctx, char **body, size_t *len);
