/* SPDX-License-Identifier: GPL-2.0-only */
/* Endpoint addresses: IPv4 or IPv6 with a port, as struct sockaddr (WireGuard's
 * device model) or struct sockaddr_storage (resolved, the daemon). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Same family, address and port (and IPv6 scope). Two addresses of another
 * family (0: none) are the same. */
bool sockaddr_same(const struct sockaddr *a, const struct sockaddr *b);
/* "1.2.3.4:5" / "[::1]:5" / "(none)". Returns buf. */
char *sockaddr_fmt(const struct sockaddr *a, char *buf, size_t len);

/* The same for struct sockaddr_storage, where an unset address equals nothing. */
bool sockaddr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* "a.b.c.d:port" / "[v6]:port" */
char *sockaddr_str(const struct sockaddr_storage *sa, char *buf, size_t len);
