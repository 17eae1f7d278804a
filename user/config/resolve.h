/* SPDX-License-Identifier: GPL-2.0-only */
/* Endpoint name resolution that never blocks the daemon's event loop
 * (getaddrinfo_a), plus the blocking form `up` uses. Literal addresses never
 * touch DNS. */
#pragma once
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "config/config.h"

int resolve_now(const struct mg_endpoint *ep, struct sockaddr_storage *out);	/* 0 or -EHOSTUNREACH/-EINVAL */

struct resolve_req {
	struct gaicb cb;
	struct addrinfo hints;
	char port[8];
	bool busy;
};
/* Starts a lookup (no-op while one is running). 0 or -errno. */
int resolve_start(struct resolve_req *r, const struct mg_endpoint *ep);
/* 1 = done (*out filled), 0 = still running or idle, <0 = failed (-EAI_* negated). */
int resolve_poll(struct resolve_req *r, struct sockaddr_storage *out);
void resolve_cancel(struct resolve_req *r);
