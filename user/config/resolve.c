// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "config/resolve.h"

static void fill_hints(struct addrinfo *h, const struct mg_endpoint *ep)
{
	memset(h, 0, sizeof(*h));
	h->ai_family = AF_UNSPEC;
	h->ai_socktype = SOCK_DGRAM;
	h->ai_protocol = IPPROTO_UDP;
	h->ai_flags = ep->is_literal ? AI_NUMERICHOST | AI_NUMERICSERV : AI_NUMERICSERV;
}

/* Prefer IPv4 when a name has both: the sites' routers forward an IPv4 port. */
static int pick(const struct addrinfo *res, struct sockaddr_storage *out)
{
	const struct addrinfo *best = NULL;

	for (const struct addrinfo *a = res; a; a = a->ai_next) {
		if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
			continue;
		if (!best || (a->ai_family == AF_INET && best->ai_family != AF_INET))
			best = a;
	}
	if (!best)
		return -EHOSTUNREACH;
	memset(out, 0, sizeof(*out));
	memcpy(out, best->ai_addr, best->ai_addrlen);
	return 0;
}

int resolve_now(const struct mg_endpoint *ep, struct sockaddr_storage *out)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int ret;

	fill_hints(&hints, ep);
	snprintf(port, sizeof(port), "%u", ep->port);
	if (getaddrinfo(ep->host, port, &hints, &res))
		return -EHOSTUNREACH;
	ret = pick(res, out);
	freeaddrinfo(res);
	return ret;
}

int resolve_start(struct resolve_req *r, const struct mg_endpoint *ep)
{
	struct gaicb *list[1] = { &r->cb };
	int ret;

	if (r->busy)
		return 0;
	memset(&r->cb, 0, sizeof(r->cb));
	fill_hints(&r->hints, ep);
	snprintf(r->port, sizeof(r->port), "%u", ep->port);
	r->cb.ar_name = ep->host;	/* the config outlives the request */
	r->cb.ar_service = r->port;
	r->cb.ar_request = &r->hints;
	ret = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (ret)
		return ret == EAI_SYSTEM ? -errno : -EAGAIN;
	r->busy = true;
	return 0;
}

int resolve_poll(struct resolve_req *r, struct sockaddr_storage *out)
{
	int ret;

	if (!r->busy)
		return 0;
	ret = gai_error(&r->cb);
	if (ret == EAI_INPROGRESS)
		return 0;
	r->busy = false;
	if (ret) {
		if (r->cb.ar_result)
			freeaddrinfo(r->cb.ar_result);
		return ret < 0 ? ret : -ret;
	}
	ret = pick(r->cb.ar_result, out);
	freeaddrinfo(r->cb.ar_result);
	r->cb.ar_result = NULL;
	return ret ? ret : 1;
}

void resolve_cancel(struct resolve_req *r)
{
	if (!r->busy)
		return;
	if (gai_cancel(&r->cb) == EAI_NOTCANCELED) {
		/* Still running in glibc's thread: wait so the buffers stay valid. */
		const struct gaicb *list[1] = { &r->cb };

		gai_suspend(list, 1, NULL);
	}
	if (gai_error(&r->cb) == 0 && r->cb.ar_result)
		freeaddrinfo(r->cb.ar_result);
	r->busy = false;
}
