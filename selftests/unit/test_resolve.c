// SPDX-License-Identifier: GPL-2.0-only
/* Endpoint resolution: literals (never DNS), names from /etc/hosts, async form. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "config/resolve.h"
#include "lib/sockaddr.h"

static struct mg_endpoint ep(const char *host, uint16_t port, bool literal)
{
	struct mg_endpoint e = { .port = port, .is_literal = literal };

	e.host = strdup(host);	/* endpoint_free */
	return e;
}

int main(void)
{
	struct sockaddr_storage a, b;
	struct mg_endpoint e = { 0 };
	char buf[64];
	int ret = 0;

	endpoint_free(&e);
	e = ep("203.0.113.10", 55555, true);
	ok(!resolve_now(&e, &a), "IPv4 literal resolves");
	is_str(sockaddr_str(&a, buf, sizeof(buf)), "203.0.113.10:55555", "IPv4 endpoint printed");
	endpoint_free(&e);
	e = ep("2001:db8::1", 51820, true);
	ok(!resolve_now(&e, &b), "IPv6 literal resolves");
	is_str(sockaddr_str(&b, buf, sizeof(buf)), "[2001:db8::1]:51820", "IPv6 endpoint printed");
	ok(!sockaddr_equal(&a, &b), "different endpoints differ");
	ok(sockaddr_equal(&a, &a), "an endpoint equals itself");
	endpoint_free(&e);
	e = ep("999.1.1.1", 1, true);
	ok(resolve_now(&e, &a) < 0, "bad literal fails without DNS");
	endpoint_free(&e);
	e = ep("localhost", 4242, false);
	ok(!resolve_now(&e, &a), "name from /etc/hosts resolves");
	ok(a.ss_family == AF_INET, "IPv4 preferred when a name has both families");

	struct resolve_req r = { 0 };

	endpoint_free(&e);
	e = ep("localhost", 4343, false);
	ok(!resolve_start(&r, &e), "async lookup starts");
	for (int i = 0; i < 500 && (ret = resolve_poll(&r, &b)) == 0; i++)
		usleep(10000);
	is_int(ret, 1, "async lookup completes");
	is_str(sockaddr_str(&b, buf, sizeof(buf)), "127.0.0.1:4343", "async result");
	is_int(resolve_poll(&r, &b), 0, "idle request polls as nothing to report");
	endpoint_free(&e);
	e = ep("::1", 7, true);
	ok(!resolve_start(&r, &e), "async literal");
	for (int i = 0; i < 500 && (ret = resolve_poll(&r, &b)) == 0; i++)
		usleep(10000);
	is_int(ret, 1, "async literal completes");
	resolve_cancel(&r);
	ok(!r.busy, "cancel on an idle request is harmless");
	endpoint_free(&e);
	return tap_done();
}
