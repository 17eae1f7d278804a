// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's GET /metrics server, run standalone in a child process with a
 * fixed-text provider; this process plays the clients over loopback. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <zlib.h>
#include "observe/http_metrics.h"
#include "tap.h"

static const char TEXT[] = "# HELP meshgw_test A test.\n# TYPE meshgw_test gauge\nmeshgw_test 1\n";

struct body { size_t size; int fail; };

static int provider(void *ctx, char **body, size_t *len)
{
	const struct body *b = ctx;

	if (b->fail)
		return -EIO;
	if (!b->size) {
		*body = strdup(TEXT);
		*len = strlen(TEXT);
		return *body ? 0 : -ENOMEM;
	}
	*body = malloc(b->size);
	if (!*body)
		return -ENOMEM;
	for (size_t i = 0; i < b->size; i++)
		(*body)[i] = (char)('a' + i % 26);
	*len = b->size;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Runs a server in a child: the same loop the daemon runs (its epoll holds our fd). */
static pid_t serve(const struct http_metrics_opts *o, struct body *b, int *port)
{
	int err;
	struct http_metrics *s = http_metrics_open("127.0.0.1:0", o, provider, b, &err);
	pid_t pid;

	if (!s) {
		tap_diag("http_metrics_open: %s", strerror(-err));
		exit(1);
	}
	*port = http_metrics_port(s);
	pid = fork();
	if (pid == 0) {
		int ep = epoll_create1(0);
		struct epoll_event ev = { .events = EPOLLIN };

		epoll_ctl(ep, EPOLL_CTL_ADD, http_metrics_fd(s), &ev);
		for (;;) {
			int n = epoll_wait(ep, &ev, 1, 50);	/* the daemon's timer, coarser */

			if (n > 0)
				http_metrics_on_ready(s, now_ns());
			http_metrics_tick(s, now_ns());
		}
	}
	http_metrics_close(s);	/* the child has its own copies */
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static int client(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k <= 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Reads to EOF. Length, or -errno (e.g. -ECONNRESET, -EAGAIN on the 5 s timeout). */
static ssize_t read_all(int fd, char **out)
{
	size_t cap = 65536, len = 0;
	char *b = malloc(cap + 1);

	for (;;) {
		ssize_t k;

		if (len == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
		}
		k = recv(fd, b + len, cap - len, 0);
		if (k < 0) {
			int e = errno;

			b[len] = '\0';
			*out = b;
			return -e;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	b[len] = '\0';
	*out = b;
	return (ssize_t)len;
}

struct resp {
	ssize_t len;		/* <0: -errno */
	int code;
	char *raw, *body;
	size_t body_len;
};

static void resp_free(struct resp *r) { free(r->raw); memset(r, 0, sizeof(*r)); }

static void parse(struct resp *r)
{
	char *sep;

	r->code = 0;
	if (r->len <= 0 || sscanf(r->raw, "HTTP/1.1 %d ", &r->code) != 1)
		return;
	sep = strstr(r->raw, "\r\n\r\n");
	if (sep) {
		r->body = sep + 4;
		r->body_len = (size_t)r->len - (size_t)(r->body - r->raw);
	}
}

static struct resp exchange(int port, const char *req, size_t n)
{
	struct resp r = { 0 };
	int fd = client(port);

	if (fd < 0) {
		r.len = fd;
		return r;
	}
	if (send_all(fd, req, n) == 0 || 1)
		r.len = read_all(fd, &r.raw);
	close(fd);
	parse(&r);
	return r;
}

static struct resp get(int port, const char *req)
{
	return exchange(port, req, strlen(req));
}

static const char *header(const struct resp *r, const char *name, char *buf, size_t len)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\r\n%s: ", name);
	p = r->raw ? strstr(r->raw, pat) : NULL;
	if (!p || (r->body && p > r->body))
		return NULL;
	p += strlen(pat);
	e = strstr(p, "\r\n");
	snprintf(buf, len, "%.*s", (int)(e - p), p);
	return buf;
}

static int inflate_gzip(const char *in, size_t len, char *out, size_t cap, size_t *out_len)
{
	z_stream z = { 0 };
	int ret;

	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	ret = inflate(&z, Z_FINISH);
	*out_len = cap - z.avail_out;
	inflateEnd(&z);
	return ret == Z_STREAM_END ? 0 : -1;
}

static void test_basic(int port)
{
	char h[128], buf[4096];
	struct resp r;
	size_t n;

	r = get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n");
	is_int(r.code, 200, "GET /metrics: 200");
	ok(r.body && r.body_len == strlen(TEXT) && !memcmp(r.body, TEXT, r.body_len), "  body is the provider's text");
	is_str(header(&r, "Content-Type", h, sizeof(h)), "text/plain; version=0.0.4; charset=utf-8",
	       "  Content-Type of the text exposition format");
	snprintf(buf, sizeof(buf), "%zu", strlen(TEXT));
	is_str(header(&r, "Content-Length", h, sizeof(h)), buf, "  Content-Length");
	is_str(header(&r, "Connection", h, sizeof(h)), "close", "  Connection: close");
	ok(!header(&r, "Content-Encoding", h, sizeof(h)), "  not compressed when not asked");
	resp_free(&r);

	r = get(port, "GET /metrics?name[]=x HTTP/1.0\n\n");
	is_int(r.code, 200, "HTTP/1.0, bare LF line ends, query string: 200");
	resp_free(&r);

	r = get(port, "HEAD /metrics HTTP/1.1\r\n\r\n");
	is_int(r.code, 200, "HEAD /metrics: 200");
	ok(r.body && r.body_len == 0, "  without a body");
	resp_free(&r);

	r = get(port, "GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n");
	is_int(r.code, 200, "Accept-Encoding: gzip: 200");
	is_str(header(&r, "Content-Encoding", h, sizeof(h)), "gzip", "  Content-Encoding: gzip");
	ok(r.body && r.body_len > 10 && (unsigned char)r.body[0] == 0x1f &&
	   (unsigned char)r.body[1] == 0x8b, "  gzip magic");
	ok(r.body && !inflate_gzip(r.body, r.body_len, buf, sizeof(buf), &n) && n == strlen(TEXT) &&
	   !memcmp(buf, TEXT, n), "  inflates to the provider's text");
	resp_free(&r);

	r = get(port, "GET /metrics HTTP/1.1\r\naccept-encoding: deflate, GZIP;q=0.5\r\n\r\n");
	is_str(header(&r, "Content-Encoding", h, sizeof(h)), "gzip", "lower-case header, gzip;q=0.5 in a list: gzip");
	resp_free(&r);
	r = get(port, "GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip;q=0, identity\r\n\r\n");
	ok(r.code == 200 && !header(&r, "Content-Encoding", h, sizeof(h)), "gzip;q=0: not compressed");
	resp_free(&r);
	r = get(port, "GET /metrics HTTP/1.1\r\nAccept-Encoding: gzipped, br\r\n\r\n");
	ok(r.code == 200 && !header(&r, "Content-Encoding", h, sizeof(h)), "'gzipped' is not gzip");
	resp_free(&r);
}

static void test_errors(int port)
{
	static const struct { const char *req; int code; const char *what; } cases[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 404, "GET /: 404" },
		{ "GET /metricsx HTTP/1.1\r\n\r\n", 404, "GET /metricsx: 404" },
		{ "GET /metrics/ HTTP/1.1\r\n\r\n", 404, "GET /metrics/: 404" },
		{ "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405, "POST: 405" },
		{ "DELETE /metrics HTTP/1.1\r\n\r\n", 405, "DELETE: 405" },
		{ "get /metrics HTTP/1.1\r\n\r\n", 405, "lower-case get: 405 (methods are case-sensitive)" },
		{ "garbage\r\n\r\n", 400, "one word: 400" },
		{ "GET /metrics\r\n\r\n", 400, "HTTP/0.9 style: 400" },
		{ "GET /metrics HTTP/2.0\r\n\r\n", 400, "HTTP/2.0: 400" },
		{ "GET /metrics HTTP/1.1 extra\r\n\r\n", 400, "four words: 400" },
		{ "GET  /metrics HTTP/1.1\r\n\r\n", 400, "double space: 400" },
		{ "GET metrics HTTP/1.1\r\n\r\n", 400, "target without /: 400" },
		{ "G(T /metrics HTTP/1.1\r\n\r\n", 400, "bad method character: 400" },
		{ "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", 400, "header without a colon: 400" },
		{ "GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n", 400, "empty header name: 400" },
		{ "GET /met\x01rics HTTP/1.1\r\n\r\n", 400, "control character in the target: 400" },
		{ "\r\n\r\n", 400, "empty request: 400" },
	};
	char h[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct resp r = get(port, cases[i].req);

		if (!is_int(r.code, cases[i].code, cases[i].what))
			tap_diag("  response: %.80s", r.raw ? r.raw : "(none)");
		resp_free(&r);
	}
	{
		struct resp r = get(port, "POST /metrics HTTP/1.1\r\n\r\n");

		is_str(header(&r, "Allow", h, sizeof(h)), "GET, HEAD", "405 says Allow: GET, HEAD");
		resp_free(&r);
	}
	{
		static const char nul[] = "GET /metrics HTTP/1.1\r\nX: a\0b\r\n\r\n";
		struct resp r = exchange(port, nul, sizeof(nul) - 1);

		is_int(r.code, 400, "NUL byte in the head: 400");
		resp_free(&r);
	}
}

static void test_oversize(int port)
{
	char *big = malloc(20000);
	uint64_t t0;
	struct resp r;
	int fd;

	/* A head that never ends within 4 KiB: 431 (or a reset), and hung up. */
	strcpy(big, "GET /metrics HTTP/1.1\r\n");
	for (size_t n = strlen(big); n < 8000; n = strlen(big))
		strcat(big, "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	t0 = now_ns();
	fd = client(port);
	send_all(fd, big, strlen(big));
	r.len = read_all(fd, &r.raw);
	close(fd);
	parse(&r);
	ok(r.code == 431 || r.len == -ECONNRESET, "8 KB request head: 431 or reset (got %d, len %zd)",
	   r.code, r.len);
	ok(now_ns() - t0 < 1000000000ULL, "  connection closed at once, not at the timeout");
	resp_free(&r);

	/* Exactly at the limit with the terminator inside: still served. */
	strcpy(big, "GET /metrics HTTP/1.1\r\nX: ");
	while (strlen(big) < 4096 - 4)
		strcat(big, "a");
	strcat(big, "\r\n\r\n");
	r = get(port, big);
	is_int(r.code, 200, "a head of exactly 4096 bytes is served");
	resp_free(&r);
	free(big);
}

static void test_slow_clients(int port)
{
	struct resp r;
	uint64_t t0, t1;
	char *raw;
	ssize_t n;
	int idle;

	/* A request in pieces. */
	idle = client(port);
	send_all(idle, "GET /met", 8);
	usleep(100000);
	send_all(idle, "rics HTTP/1.1\r\n", 15);
	usleep(100000);
	send_all(idle, "\r\n", 2);
	r.len = read_all(idle, &r.raw);
	close(idle);
	parse(&r);
	is_int(r.code, 200, "request sent in three pieces: 200");
	resp_free(&r);

	/* A client that sends nothing: others are served meanwhile; it is dropped
	 * after the 2 s timeout. */
	t0 = now_ns();
	idle = client(port);
	usleep(200000);
	t1 = now_ns();
	r = get(port, "GET /metrics HTTP/1.1\r\n\r\n");
	is_int(r.code, 200, "another client is served while one idles");
	ok(now_ns() - t1 < 500000000ULL, "  promptly (%.0f ms)", (double)(now_ns() - t1) / 1e6);
	resp_free(&r);
	n = read_all(idle, &raw);
	t1 = now_ns();
	ok(n == 0, "the idle client is hung up on (EOF, got %zd)", n);
	ok(t1 - t0 >= 1900000000ULL && t1 - t0 < 3500000000ULL, "  after the 2 s timeout (%.2f s)",
	   (double)(t1 - t0) / 1e9);
	free(raw);
	close(idle);

	/* A client that sends half a request and stalls: same. */
	t0 = now_ns();
	idle = client(port);
	send_all(idle, "GET /metrics HTTP/1.1\r\nHost:", 28);
	n = read_all(idle, &raw);
	t1 = now_ns();
	ok(n == 0 && t1 - t0 >= 1900000000ULL && t1 - t0 < 3500000000ULL,
	   "half a request, then silence: hung up after %.2f s", (double)(t1 - t0) / 1e9);
	free(raw);
	close(idle);
}

static void test_limits(int port)
{
	int idle[16], extra, got200 = 0, got503 = 0, reset = 0, other = 0;
	uint64_t t0;
	struct resp r;
	char *raw;
	ssize_t n;

	for (int i = 0; i < 16; i++)
		idle[i] = client(port);
	/* Accepted in order: the 17th finds every slot taken. */
	extra = client(port);
	send_all(extra, "GET /metrics HTTP/1.1\r\n\r\n", 25);
	t0 = now_ns();
	n = read_all(extra, &raw);
	/* 503, or a reset when the request arrived after the server hung up. */
	ok((n > 0 && !strncmp(raw, "HTTP/1.1 503 ", 13)) || n == -ECONNRESET,
	   "17th connection while 16 idle: refused (%s)", n > 0 ? "503" : strerror((int)-n));
	ok(now_ns() - t0 < 1000000000ULL, "  at once");
	free(raw);
	close(extra);
	for (int i = 0; i < 16; i++)
		close(idle[i]);
	for (int tries = 0; tries < 50; tries++) {
		r = get(port, "GET /metrics HTTP/1.1\r\n\r\n");
		got200 = r.code == 200;
		resp_free(&r);
		if (got200)
			break;
		usleep(20000);
	}
	ok(got200, "slots freed when those clients leave: 200 again");

	/* 40 clients at once, each with a request: every one answered. */
	{
		int fds[40];

		got200 = 0;
		for (int i = 0; i < 40; i++) {
			fds[i] = client(port);
			send_all(fds[i], "GET /metrics HTTP/1.1\r\n\r\n", 25);
		}
		for (int i = 0; i < 40; i++) {
			struct resp x = { 0 };

			x.len = read_all(fds[i], &x.raw);
			parse(&x);
			got200 += x.code == 200;
			got503 += x.code == 503;
			reset += x.len == -ECONNRESET;
			other += x.code != 200 && x.code != 503 && x.len != -ECONNRESET;
			if (x.code != 200 && x.code != 503 && x.len != -ECONNRESET)
				tap_diag("  client %d: len %zd %.40s", i, x.len, x.raw ? x.raw : "");
			resp_free(&x);
			close(fds[i]);
		}
		ok(got200 >= 16 && other == 0,
		   "40 clients at once: %d served, %d told 503, %d reset, %d other", got200, got503,
		   reset, other);
	}
}

static void test_big_body(void)
{
	struct body b = { .size = 4u << 20 };
	int port, fds[8], good = 0;
	pid_t pid = serve(NULL, &b, &port);

	/* 8 readers of 4 MiB each: the server's sends are partial and resume on EPOLLOUT. */
	for (int i = 0; i < 8; i++) {
		fds[i] = client(port);
		send_all(fds[i], "GET /metrics HTTP/1.1\r\n\r\n", 25);
	}
	usleep(100000);
	for (int i = 0; i < 8; i++) {
		struct resp r = { 0 };

		r.len = read_all(fds[i], &r.raw);
		parse(&r);
		good += r.code == 200 && r.body_len == b.size && r.body[0] == 'a' &&
			r.body[b.size - 1] == (char)('a' + (b.size - 1) % 26);
		resp_free(&r);
		close(fds[i]);
	}
	is_int(good, 8, "8 concurrent 4 MiB responses, all complete (partial writes)");
	{
		struct resp r = get(port, "GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n");
		char *buf = malloc(b.size + 1);
		size_t n = 0;

		ok(r.code == 200 && r.body_len < b.size / 10 &&
		   !inflate_gzip(r.body, r.body_len, buf, b.size + 1, &n) && n == b.size,
		   "4 MiB gzipped to %zu bytes and inflated back", r.body_len);
		free(buf);
		resp_free(&r);
	}
	stop(pid);
}

static void test_provider_fails(void)
{
	struct body b = { .fail = 1 };
	int port;
	pid_t pid = serve(NULL, &b, &port);
	struct resp r = get(port, "GET /metrics HTTP/1.1\r\n\r\n");

	is_int(r.code, 500, "provider error: 500");
	resp_free(&r);
	stop(pid);
}

static void test_open_errors(void)
{
	static const char *const bad[] = { "127.0.0.1", "127.0.0.1:", "127.0.0.1:http", "[::1:80",
					   "1.2.3.4.5:80", "256.0.0.1:80" };
	int err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct http_metrics *s = http_metrics_open(bad[i], NULL, provider, NULL, &err);

		ok(!s && err < 0, "open(\"%s\") fails (%s)", bad[i], strerror(-err));
		http_metrics_close(s);
	}
	{
		struct http_metrics *a = http_metrics_open("127.0.0.1:0", NULL, provider, NULL, &err);
		char addr[32];
		struct http_metrics *b2;

		snprintf(addr, sizeof(addr), "127.0.0.1:%d", a ? http_metrics_port(a) : 1);
		b2 = http_metrics_open(addr, NULL, provider, NULL, &err);
		ok(a && !b2 && err == -EADDRINUSE, "a port in use: -EADDRINUSE");
		http_metrics_close(a);
		http_metrics_close(b2);
	}
	{
		struct http_metrics *s = http_metrics_open("[::1]:0", NULL, provider, NULL, &err);

		ok(s || err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT, "[::1]:0 listens (IPv6)");
		http_metrics_close(s);
	}
}

/* Random heads (seeded): every one is answered with a known status or hung up
 * on, and the server keeps serving. */
static void test_random(int port)
{
	static const char *const pieces[] = { "GET", "HEAD", "POST", " ", "  ", "/metrics", "/",
		"?", "HTTP/1.1", "HTTP/1.0", "HTTP/9", "\r\n", "\n", ":", "Accept-Encoding",
		"gzip", ";q=0", ",", "\x00", "\xff", "\t", "a", "\r", "%00" };
	unsigned int seed = 12345, known = 0, closed = 0, other = 0;
	struct resp r;

	for (int i = 0; i < 300; i++) {
		char req[512];
		size_t n = 0;
		int k = 1 + (int)(rand_r(&seed) % 12);

		for (int j = 0; j < k; j++) {
			const char *p = pieces[rand_r(&seed) % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t l = p[0] ? strlen(p) : 1;	/* "\x00" is one NUL byte */

			memcpy(req + n, p, l);
			n += l;
		}
		memcpy(req + n, "\r\n\r\n", 4);
		n += 4;
		r = exchange(port, req, n);
		if (r.code == 200 || r.code == 400 || r.code == 404 || r.code == 405 || r.code == 431)
			known++;
		else if (r.len == 0 || r.len == -ECONNRESET)
			closed++;
		else
			other++;
		resp_free(&r);
	}
	ok(other == 0, "300 random requests: %u answered with a known status, %u hung up, %u other",
	   known, closed, other);
	r = get(port, "GET /metrics HTTP/1.1\r\n\r\n");
	is_int(r.code, 200, "  and the server still serves");
	resp_free(&r);
}

int main(void)
{
	struct body b = { 0 };
	int port;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	test_open_errors();
	pid = serve(NULL, &b, &port);
	test_basic(port);
	test_errors(port);
	test_oversize(port);
	test_slow_clients(port);
	test_limits(port);
	test_random(port);
	stop(pid);
	test_big_body();
	test_provider_fails();
	return tap_done();
}
