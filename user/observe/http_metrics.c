// SPDX-License-Identifier: GPL-2.0-only
/* GET /metrics for the daemon: a tiny HTTP/1.x responder, non-blocking and
 * bounded in connections, request size and time (see http_metrics.h). */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <zlib.h>
#include "lib/log.h"
#include "observe/http_metrics.h"

#define LISTENER_TAG UINT64_MAX
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum conn_state { CONN_FREE, CONN_READING, CONN_WRITING };

struct conn {
	enum conn_state state;
	int fd;
	uint64_t deadline_ns;
	char *in;			/* max_request bytes + NUL */
	size_t in_len;
	char *out;			/* head + body */
	size_t out_len, out_off;
};

struct http_metrics {
	int epfd, lfd, port;
	struct http_metrics_opts o;
	http_metrics_provider fn;
	void *ctx;
	struct conn *conns;
	unsigned int n_open;
};

/* --- listening ------------------------------------------------------------------------- */

int http_metrics_listen(const char *addr_port)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	char host[256], *port;
	struct addrinfo *ai = NULL;
	int fd, ret, one = 1;

	if (snprintf(host, sizeof(host), "%s", addr_port) >= (int)sizeof(host))
		return -EINVAL;
	port = strrchr(host, ':');
	if (!port || !port[1]) {
		pr_err("metrics address %s: expected ADDR:PORT", addr_port);
		return -EINVAL;
	}
	*port++ = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']') {
			pr_err("metrics address %s: unbalanced brackets", addr_port);
			return -EINVAL;
		}
		host[n - 1] = '\0';
		memmove(host, host + 1, n - 1);
	}
	ret = getaddrinfo(host[0] && strcmp(host, "*") ? host : NULL, port, &hints, &ai);
	if (ret) {
		pr_err("metrics address %s: %s", addr_port, gai_strerror(ret));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
		ret = -errno;
		pr_err("metrics: cannot listen on %s: %s", addr_port, strerror(errno));
		close(fd);
		goto out;
	}
	ret = fd;
out:
	freeaddrinfo(ai);
	return ret;
}

static int ep_set(struct http_metrics *s, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(s->epfd, op, fd, &ev) ? -errno : 0;
}

struct http_metrics *http_metrics_open(const char *addr_port, const struct http_metrics_opts *opts,
				       http_metrics_provider fn, void *ctx, int *err)
{
	struct http_metrics *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	*err = -ENOMEM;
	if (!s)
		return NULL;
	s->epfd = s->lfd = -1;
	if (opts)
		s->o = *opts;
	if (!s->o.max_conns)
		s->o.max_conns = HTTP_METRICS_MAX_CONNS;
	if (!s->o.max_request)
		s->o.max_request = HTTP_METRICS_MAX_REQUEST;
	if (!s->o.timeout_ms)
		s->o.timeout_ms = HTTP_METRICS_TIMEOUT_MS;
	s->fn = fn;
	s->ctx = ctx;
	s->conns = calloc(s->o.max_conns, sizeof(*s->conns));
	if (!s->conns)
		goto fail;
	for (unsigned int i = 0; i < s->o.max_conns; i++)
		s->conns[i].fd = -1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		*err = -errno;
		goto fail;
	}
	s->lfd = http_metrics_listen(addr_port);
	if (s->lfd < 0) {
		*err = s->lfd;
		goto fail;
	}
	if (!getsockname(s->lfd, (struct sockaddr *)&ss, &sl))
		s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	*err = ep_set(s, EPOLL_CTL_ADD, s->lfd, EPOLLIN, LISTENER_TAG);
	if (*err)
		goto fail;
	*err = 0;
	return s;
fail:
	http_metrics_close(s);
	return NULL;
}

int http_metrics_fd(const struct http_metrics *s) { return s->epfd; }
int http_metrics_port(const struct http_metrics *s) { return s->port; }
unsigned int http_metrics_conns(const struct http_metrics *s) { return s->n_open; }

static void conn_close(struct http_metrics *s, struct conn *c)
{
	if (c->state == CONN_FREE)
		return;
	close(c->fd);		/* also removes it from the epoll set */
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	s->n_open--;
}

void http_metrics_close(struct http_metrics *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; s->conns && i < s->o.max_conns; i++)
		conn_close(s, &s->conns[i]);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->conns);
	free(s);
}

/* --- responses --------------------------------------------------------------------------- */

static int gzip_body(const char *in, size_t len, char **out, size_t *out_len)
{
	z_stream z = { 0 };
	size_t cap;
	int ret;

	/* 15 + 16: the gzip wrapper instead of zlib's own. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, len) + 32;
	*out = malloc(cap);
	if (!*out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)*out;
	z.avail_out = (uInt)cap;
	ret = deflate(&z, Z_FINISH);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	if (ret != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -EIO;
	}
	return 0;
}

/* Head (+ body unless head_only) into c->out. */
static int respond(struct conn *c, int code, const char *reason, const char *extra,
		   const char *body, size_t len, bool gzip, bool head_only)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s"
		     "Connection: close\r\n\r\n",
		     code, reason, code == 200 ? CONTENT_TYPE : "text/plain; charset=utf-8", len,
		     gzip ? "Content-Encoding: gzip\r\n" : "", extra ? extra : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -EINVAL;
	if (head_only)
		len = 0;
	c->out = malloc((size_t)n + len);
	if (!c->out)
		return -ENOMEM;
	memcpy(c->out, head, (size_t)n);
	if (len)
		memcpy(c->out + n, body, len);
	c->out_len = (size_t)n + len;
	c->out_off = 0;
	return 0;
}

static int respond_text(struct conn *c, int code, const char *reason, const char *extra)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", code, reason);

	return respond(c, code, reason, extra, body, (size_t)n, false, false);
}

/* Does an Accept-Encoding value accept gzip? "gzip", "x-gzip", "gzip;q=0.5", "*";
 * q=0 refuses it. */
static bool accepts_gzip(const char *v)
{
	while (*v) {
		const char *end = strchr(v, ',');
		size_t seg = end ? (size_t)(end - v) : strlen(v), n = seg;
		char tok[64], *semi, *name, *q;

		if (n >= sizeof(tok))
			n = sizeof(tok) - 1;
		memcpy(tok, v, n);
		tok[n] = '\0';
		v += seg + (end ? 1 : 0);
		semi = strchr(tok, ';');
		if (semi)
			*semi++ = '\0';
		name = tok;
		while (*name == ' ' || *name == '\t')
			name++;
		for (char *e = name + strlen(name); e > name && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if (strcasecmp(name, "gzip") && strcasecmp(name, "x-gzip") && strcmp(name, "*"))
			continue;
		q = semi ? strcasestr(semi, "q=") : NULL;
		if (q && strtod(q + 2, NULL) <= 0)
			continue;
		return true;
	}
	return false;
}

static bool is_tchar(char ch)
{
	return isalnum((unsigned char)ch) || strchr("!#$%&'*+-.^_`|~", ch);
}

/* c->in holds a complete head (NUL-terminated). Builds the response. */
static int handle_request(struct http_metrics *s, struct conn *c)
{
	char *line = c->in, *eol, *sp1, *sp2, *target, *version, *qm;
	bool gzip = false, head_only;
	char *body = NULL, *z = NULL;
	size_t len = 0, zlen = 0;
	int ret;

	eol = strchr(line, '\n');
	if (!eol)
		return respond_text(c, 400, "Bad Request", NULL);
	*eol = '\0';
	if (eol > line && eol[-1] == '\r')
		eol[-1] = '\0';
	sp1 = strchr(line, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || sp1 == line || strchr(sp2 + 1, ' '))
		return respond_text(c, 400, "Bad Request", NULL);
	*sp1 = *sp2 = '\0';
	target = sp1 + 1;
	version = sp2 + 1;
	for (char *p = line; *p; p++)
		if (!is_tchar(*p))
			return respond_text(c, 400, "Bad Request", NULL);
	if (strncmp(version, "HTTP/1.", 7) || !isdigit((unsigned char)version[7]) || version[8] ||
	    target[0] != '/')
		return respond_text(c, 400, "Bad Request", NULL);
	for (char *p = target; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return respond_text(c, 400, "Bad Request", NULL);

	/* Headers: only Accept-Encoding matters; each must look like "Name: value". */
	for (char *h = eol + 1; *h && *h != '\r' && *h != '\n';) {
		char *next = strchr(h, '\n'), *colon;

		if (!next)
			break;
		*next = '\0';
		if (next > h && next[-1] == '\r')
			next[-1] = '\0';
		colon = strchr(h, ':');
		if (!colon || colon == h)
			return respond_text(c, 400, "Bad Request", NULL);
		for (char *p = h; p < colon; p++)
			if (!is_tchar(*p))
				return respond_text(c, 400, "Bad Request", NULL);
		*colon = '\0';
		if (!strcasecmp(h, "Accept-Encoding"))
			gzip |= accepts_gzip(colon + 1);
		h = next + 1;
	}

	head_only = !strcmp(line, "HEAD");
	if (strcmp(line, "GET") && !head_only)
		return respond_text(c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
	qm = strchr(target, '?');
	if (qm)
		*qm = '\0';
	if (strcmp(target, "/metrics"))
		return respond_text(c, 404, "Not Found", NULL);

	ret = s->fn(s->ctx, &body, &len);
	if (ret) {
		pr_warn("metrics: cannot build the response: %s", strerror(-ret));
		return respond_text(c, 500, "Internal Server Error", NULL);
	}
	if (gzip && gzip_body(body, len, &z, &zlen) == 0) {
		ret = respond(c, 200, "OK", "Vary: Accept-Encoding\r\n", z, zlen, true, head_only);
		free(z);
	} else {
		ret = respond(c, 200, "OK", "Vary: Accept-Encoding\r\n", body, len, false, head_only);
	}
	free(body);
	return ret;
}

/* --- connections ------------------------------------------------------------------------ */

/* Writes what the socket takes; closes when all is sent. */
static void conn_write(struct http_metrics *s, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;		/* resumes on EPOLLOUT */
		if (n <= 0) {
			conn_close(s, c);
			return;
		}
		c->out_off += (size_t)n;
	}
	shutdown(c->fd, SHUT_WR);
	conn_close(s, c);
}

static void start_writing(struct http_metrics *s, struct conn *c, uint64_t tag)
{
	c->state = CONN_WRITING;
	if (ep_set(s, EPOLL_CTL_MOD, c->fd, EPOLLOUT, tag)) {
		conn_close(s, c);
		return;
	}
	conn_write(s, c);
}

static char *head_end(char *buf)
{
	char *a = strstr(buf, "\r\n\r\n"), *b = strstr(buf, "\n\n");

	if (a && (!b || a < b))
		return a + 4;
	return b ? b + 2 : NULL;
}

static void conn_read(struct http_metrics *s, struct conn *c, uint64_t tag)
{
	for (;;) {
		size_t room = s->o.max_request - c->in_len;
		ssize_t n;
		char *end;

		if (!room) {
			/* Head larger than allowed: answer and hang up. */
			if (respond_text(c, 431, "Request Header Fields Too Large", NULL))
				conn_close(s, c);
			else
				start_writing(s, c, tag);
			return;
		}
		n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_close(s, c);	/* client went away (or error) */
			return;
		}
		if (memchr(c->in + c->in_len, '\0', (size_t)n)) {
			c->in_len += (size_t)n;
			c->in[c->in_len] = '\0';
			if (respond_text(c, 400, "Bad Request", NULL))
				conn_close(s, c);
			else
				start_writing(s, c, tag);
			return;
		}
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		end = head_end(c->in);
		if (end) {
			*end = '\0';	/* a body, if any, is ignored */
			if (handle_request(s, c))
				conn_close(s, c);
			else
				start_writing(s, c, tag);
			return;
		}
	}
}

static void accept_all(struct http_metrics *s, uint64_t now_ns)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
				   "Connection: close\r\n\r\n";

	/* Bounded per call, so a flood cannot hold the daemon here. */
	for (int k = 0; k < 64; k++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c = NULL;
		unsigned int i;

		if (fd < 0)
			return;		/* EAGAIN, or an aborted connection: next time */
		for (i = 0; i < s->o.max_conns; i++)
			if (s->conns[i].state == CONN_FREE) {
				c = &s->conns[i];
				break;
			}
		if (!c) {
			char scratch[512];

			/* Whatever request already arrived is read first: closing with
			 * unread data would reset the connection before the 503 is read. */
			while (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0)
				;
			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			shutdown(fd, SHUT_WR);
			close(fd);
			continue;
		}
		c->in = malloc(s->o.max_request + 1);
		if (!c->in || ep_set(s, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, i)) {
			free(c->in);
			c->in = NULL;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = CONN_READING;
		c->in_len = 0;
		c->deadline_ns = now_ns + (uint64_t)s->o.timeout_ms * 1000000ULL;
		s->n_open++;
	}
}

void http_metrics_on_ready(struct http_metrics *s, uint64_t now_ns)
{
	struct epoll_event ev[32];
	int n = epoll_wait(s->epfd, ev, 32, 0);

	for (int i = 0; i < n; i++) {
		uint64_t tag = ev[i].data.u64;
		struct conn *c;

		if (tag == LISTENER_TAG) {
			accept_all(s, now_ns);
			continue;
		}
		if (tag >= s->o.max_conns)
			continue;
		c = &s->conns[tag];
		if (c->state == CONN_READING)
			conn_read(s, c, tag);
		else if (c->state == CONN_WRITING)
			conn_write(s, c);
	}
	http_metrics_tick(s, now_ns);
}

void http_metrics_tick(struct http_metrics *s, uint64_t now_ns)
{
	for (unsigned int i = 0; i < s->o.max_conns; i++)
		if (s->conns[i].state != CONN_FREE && now_ns >= s->conns[i].deadline_ns)
			conn_close(s, &s->conns[i]);
}
