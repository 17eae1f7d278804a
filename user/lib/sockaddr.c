// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "lib/sockaddr.h"

bool sockaddr_same(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) &&
		       a6->sin6_scope_id == b6->sin6_scope_id;
	return true;
}

char *sockaddr_fmt(const struct sockaddr *a, char *buf, size_t len)
{
	const struct sockaddr_in *a4 = (const void *)a;
	const struct sockaddr_in6 *a6 = (const void *)a;
	char ip[INET6_ADDRSTRLEN];

	if (a->sa_family == AF_INET)
		snprintf(buf, len, "%s:%u", inet_ntop(AF_INET, &a4->sin_addr, ip, sizeof(ip)),
			 ntohs(a4->sin_port));
	else if (a->sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", inet_ntop(AF_INET6, &a6->sin6_addr, ip, sizeof(ip)),
			 ntohs(a6->sin6_port));
	else
		snprintf(buf, len, "(none)");
	return buf;
}

bool sockaddr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return a->ss_family && sockaddr_same((const struct sockaddr *)a, (const struct sockaddr *)b);
}

char *sockaddr_str(const struct sockaddr_storage *sa, char *buf, size_t len)
{
	return sockaddr_fmt((const struct sockaddr *)sa, buf, len);
}
