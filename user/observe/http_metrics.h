/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's GET /metrics endpoint (`Metrics = ADDR:PORT` in the local file).
 *
 * Built to be harmless inside a single-threaded daemon that also moves the data
 * path's failover decisions:
 * - nothing blocks: the listening socket and every connection are non-blocking,
 *   partial writes resume on EPOLLOUT;
 * - bounded: at most max_conns connections (extra ones get a 503 written
 *   best-effort and are closed at once), a request head of at most max_request
 *   bytes (else 431 and close), timeout_ms per connection from accept to the last
 *   byte written (then closed, whatever state it is in);
 * - one request per connection (Connection: close); only GET (and HEAD) of
 *   /metrics: 404 for other paths, 405 for other methods, 400 for anything that is
 *   not an HTTP/1.x request line;
 * - gzip (zlib, gzip wrapper) when Accept-Encoding names gzip with q > 0.
 *
 * Wiring into the daemon's epoll loop: the server owns an epoll fd of its own
 * holding the listener and the connections. Add http_metrics_fd() to the
 * daemon's epoll set with EPOLLIN (an epoll fd is readable while any of its fds
 * has an event, level-triggered); when it fires call http_metrics_on_ready(),
 * which handles what is ready without waiting. Call http_metrics_tick() from the
 * daemon's periodic timer (every <= 250 ms) to drop slow clients. Both take
 * CLOCK_MONOTONIC nanoseconds. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define HTTP_METRICS_MAX_CONNS   16
#define HTTP_METRICS_MAX_REQUEST 4096
#define HTTP_METRICS_TIMEOUT_MS  2000

/* Produces the exposition text: *body malloc'ed (the server frees it). 0 or
 * -errno (answered with 500). The daemon's is metrics_http_provider (observe/metrics.h). */
typedef int (*http_metrics_provider)(void *ctx, char **body, size_t *len);

struct http_metrics_opts {
	unsigned int max_conns;		/* 0 = HTTP_METRICS_MAX_CONNS */
	size_t max_request;		/* 0 = HTTP_METRICS_MAX_REQUEST */
	unsigned int timeout_ms;	/* 0 = HTTP_METRICS_TIMEOUT_MS */
};

struct http_metrics;

/* A non-blocking listening TCP socket on "a.b.c.d:port", "[v6]:port",
 * "host:port" or ":port" (all addresses). fd or -errno (message printed). */
int http_metrics_listen(const char *addr_port);

/* Listens on addr_port; opts may be NULL. NULL with *err = -errno on failure. */
struct http_metrics *http_metrics_open(const char *addr_port, const struct http_metrics_opts *opts,
				       http_metrics_provider fn, void *ctx, int *err);
int http_metrics_fd(const struct http_metrics *s);		/* for the daemon's epoll */
int http_metrics_port(const struct http_metrics *s);		/* bound port (":0" in tests) */
void http_metrics_on_ready(struct http_metrics *s, uint64_t now_ns);
void http_metrics_tick(struct http_metrics *s, uint64_t now_ns);
unsigned int http_metrics_conns(const struct http_metrics *s);	/* open connections */
void http_metrics_close(struct http_metrics *s);
