// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/log.h"
#include "lib/sockaddr.h"
#include "wg/wg_uapi.h"

static int uapi_connect(const char *ifname, bool quiet)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, ret;

	snprintf(sun.sun_path, sizeof(sun.sun_path), WG_UAPI_DIR "/%s.sock", ifname);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		if (!quiet)
			pr_err("%s: cannot connect to %s: %s", ifname, sun.sun_path, strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

bool wg_uapi_running(const char *ifname)
{
	int fd = uapi_connect(ifname, true);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int wg_uapi_start(const char *ifname, pid_t *pid)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int status;
	pid_t p;

	mkdir(WG_UAPI_DIR, 0755);
	p = fork();
	if (p < 0)
		return -errno;
	if (p == 0) {
		int fd = open("/dev/null", O_RDWR);

		setsid();
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);	/* else wireguard-go keeps it for its lifetime */
		}
		execlp("wireguard-go", "wireguard-go", "-f", ifname, (char *)NULL);
		_exit(127);
	}
	/* wireguard-go creates the TUN device, then the socket: wait up to 10 s. */
	for (int i = 0; i < 500; i++) {
		if (wg_uapi_running(ifname)) {
			*pid = p;
			return 0;
		}
		if (waitpid(p, &status, WNOHANG) == p) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
				pr_err("%s: cannot run wireguard-go (is it installed? apt install wireguard-go)",
				       ifname);
			else
				pr_err("%s: wireguard-go exited before opening its socket (status %d)",
				       ifname, status);
			return -ECHILD;
		}
		nanosleep(&ts, NULL);
	}
	pr_err("%s: wireguard-go did not open " WG_UAPI_DIR "/%s.sock within 10 s", ifname, ifname);
	kill(p, SIGTERM);
	waitpid(p, &status, 0);
	return -ETIMEDOUT;
}

static bool pid_is_wireguard_go(pid_t pid)
{
	char path[64], comm[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return !strncmp(comm, "wireguard-go", 12);
}

/* Is pid the `wireguard-go -f ifname` that wg_uapi_start ran? Its command line
 * says so, not only its name: another interface's wireguard-go is left alone. */
static bool pid_is_wireguard_go_for(pid_t pid, const char *ifname)
{
	char path[64], cmd[256], want[256];
	size_t n, len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(cmd, 1, sizeof(cmd), f);
	fclose(f);
	/* "wireguard-go\0-f\0IFNAME\0", as execlp gave it */
	len = (size_t)snprintf(want, sizeof(want), "wireguard-go%c-f%c%s", 0, 0, ifname) + 1;
	return n == len && !memcmp(cmd, want, len);
}

/* Waits up to 2 s (100 looks, 20 ms apart) for wireguard-go pid to exit,
 * sending it SIGTERM at look term_at. */
static void wait_gone(pid_t pid, int term_at)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < 100 && pid_is_wireguard_go(pid); i++) {
		if (i == term_at)
			kill(pid, SIGTERM);
		waitpid(pid, NULL, WNOHANG);
		nanosleep(&ts, NULL);
	}
}

bool wg_uapi_terminate(pid_t pid, const char *ifname)
{
	if (pid <= 0 || !pid_is_wireguard_go_for(pid, ifname))
		return false;
	wait_gone(pid, 0);
	return true;
}

void wg_uapi_stop(pid_t pid)
{
	if (pid > 0)
		wait_gone(pid, 50);	/* its TUN deleted, it exits by itself */
}

/* Sends req on fd. */
static int uapi_send(int fd, const char *ifname, const char *req, size_t len)
{
	while (len) {
		ssize_t w = send(fd, req, len, MSG_NOSIGNAL);

		if (w < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			pr_err("%s: write to UAPI socket: %s", ifname, strerror(err));
			return -err;
		}
		req += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Reads the reply on fd up to the blank line that ends it. */
static int uapi_read(int fd, char **reply)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *b = realloc(buf, cap * 2);

			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int ret = -errno;

			free(buf);
			return ret;
		}
		n += (size_t)r;
		buf[n] = 0;
		if (r == 0 || (n >= 2 && !strcmp(buf + n - 2, "\n\n")))
			break;
	}
	*reply = buf;
	return 0;
}

/* Sends req and reads the reply. */
static int uapi_talk(const char *ifname, const char *req, size_t len, char **reply)
{
	int fd = uapi_connect(ifname, false), ret;

	if (fd < 0)
		return fd;
	ret = uapi_send(fd, ifname, req, len);
	if (!ret)
		ret = uapi_read(fd, reply);
	close(fd);
	return ret;
}

/* The reply's errno= line: 0, -N, or -EBADMSG when there is none. */
static int reply_errno(const char *text)
{
	const char *e = strstr(text, "errno=");

	if (!e || (e != text && e[-1] != '\n'))
		return -EBADMSG;
	return -abs(atoi(e + 6));
}

static int parse_endpoint(const char *v, union wg_sockaddr *ep)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(v, ':');
	size_t hl;
	long port;
	char *end;

	if (!colon)
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -EINVAL;
	hl = (size_t)(colon - v);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, v, hl);
	host[hl] = 0;
	memset(ep, 0, sizeof(*ep));
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		ep->in6.sin6_family = AF_INET6;
		ep->in6.sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &ep->in6.sin6_addr) == 1 ? 0 : -EINVAL;
	}
	ep->in.sin_family = AF_INET;
	ep->in.sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &ep->in.sin_addr) == 1 ? 0 : -EINVAL;
}

/* A get reply is parsed a line at a time as it arrives: at 4,096 peers it is
 * 1.7 MB, and a copy of it whole (and another to parse) was ~1,300 pages of
 * fresh memory, each a page fault that costs ~10 us in a VM. */
struct reply_parse {
	struct wg_device *d;
	struct wg_peer *p;	/* the peer the lines are about */
	int ret;
	bool done;		/* its errno= line seen */
};

/* One line, without its newline (changed in place). */
static void parse_line(struct reply_parse *rp, char *line)
{
	char *v = strchr(line, '=');
	struct wg_peer *p = rp->p;
	struct prefix pfx;
	int ret = 0;

	if (!v) {
		rp->ret = -EBADMSG;
		rp->done = true;
		return;
	}
	*v++ = 0;
	if (!strcmp(line, "errno")) {
		rp->ret = -abs(atoi(v));
		rp->done = true;
		return;
	} else if (!strcmp(line, "private_key")) {
		ret = key_from_hex(rp->d->private_key, v);
	} else if (!strcmp(line, "listen_port")) {
		rp->d->listen_port = (uint16_t)atoi(v);
	} else if (!strcmp(line, "fwmark")) {
		rp->d->fwmark = (uint32_t)strtoul(v, NULL, 10);
	} else if (!strcmp(line, "public_key")) {
		rp->p = wg_device_add_peer(rp->d);
		ret = rp->p ? key_from_hex(rp->p->public_key, v) : -ENOMEM;
	} else if (!p) {
		return;		/* a device key this version does not know */
	} else if (!strcmp(line, "preshared_key")) {
		ret = key_from_hex(p->preshared_key, v);
	} else if (!strcmp(line, "endpoint")) {
		ret = parse_endpoint(v, &p->endpoint);
	} else if (!strcmp(line, "persistent_keepalive_interval")) {
		p->keepalive = (uint16_t)atoi(v);
	} else if (!strcmp(line, "allowed_ip")) {
		ret = prefix_parse(&pfx, v, false);
		if (!ret)
			ret = wg_peer_add_allowed(p, &pfx);
	} else if (!strcmp(line, "last_handshake_time_sec")) {
		p->last_handshake_sec = strtoll(v, NULL, 10);
	} else if (!strcmp(line, "last_handshake_time_nsec")) {
		p->last_handshake_nsec = strtoll(v, NULL, 10);
	} else if (!strcmp(line, "rx_bytes")) {
		p->rx_bytes = strtoull(v, NULL, 10);
	} else if (!strcmp(line, "tx_bytes")) {
		p->tx_bytes = strtoull(v, NULL, 10);
	}
	if (ret) {
		rp->ret = ret == -ENOMEM ? ret : -EBADMSG;
		rp->done = true;
	}
}

/* Parses the complete lines of buf[0, n), each changed in place; a blank line
 * ends the reply. Returns how many bytes were used (a partial last line is not). */
static size_t parse_lines(struct reply_parse *rp, char *buf, size_t n)
{
	size_t at = 0;

	while (!rp->done) {
		char *nl = memchr(buf + at, '\n', n - at);

		if (!nl)
			break;
		*nl = 0;
		if (nl == buf + at)
			rp->done = true;	/* the blank line */
		else
			parse_line(rp, buf + at);
		at = (size_t)(nl - buf) + 1;
	}
	return at;
}

int wg_uapi_parse(const char *text, struct wg_device *d)
{
	struct reply_parse rp = { .d = d };
	size_t len = strlen(text);
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\n';	/* a last line without its newline is one too */
	parse_lines(&rp, copy, len + 1);
	key_wipe(copy, len + 1);
	free(copy);
	return rp.ret;
}

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *s = realloc(b->s, b->cap * 2);

		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap *= 2;
	}
}

static bool prefix_ok(const struct prefix *a)
{
	return (a->family == AF_INET && a->len <= 32) || (a->family == AF_INET6 && a->len <= 128);
}

int wg_uapi_format(const struct wg_device *d, char **text, size_t *len)
{
	struct sbuf b = { .cap = 4096 };
	char hex[2 * WG_KEY_LEN + 1], pfx[PREFIX_STR_MAX], ep[INET6_ADDRSTRLEN + 10];

	/* Validate everything first: a bad line would leave a half-applied change. */
	for (size_t i = 0; i < d->n_peers; i++) {
		const struct wg_peer *p = &d->peers[i];

		if (p->flags & WG_PEER_SET_ENDPOINT && p->endpoint.sa.sa_family != AF_INET &&
		    p->endpoint.sa.sa_family != AF_INET6)
			return -EINVAL;
		for (size_t j = 0; j < p->n_allowed; j++)
			if (!prefix_ok(&p->allowed[j]))
				return -EINVAL;
	}
	b.s = malloc(b.cap);
	if (!b.s)
		return -ENOMEM;
	b.s[0] = 0;
	sb_printf(&b, "set=1\n");
	/* Device keys must come before the first public_key. */
	if (d->flags & WG_DEV_SET_PRIVATE_KEY) {
		key_to_hex(hex, d->private_key);
		sb_printf(&b, "private_key=%s\n", hex);
	}
	if (d->flags & WG_DEV_SET_LISTEN_PORT)
		sb_printf(&b, "listen_port=%u\n", d->listen_port);
	if (d->flags & WG_DEV_SET_FWMARK)
		sb_printf(&b, "fwmark=%u\n", d->fwmark);
	if (d->flags & WG_DEV_REPLACE_PEERS)
		sb_printf(&b, "replace_peers=true\n");
	for (size_t i = 0; i < d->n_peers; i++) {
		const struct wg_peer *p = &d->peers[i];

		key_to_hex(hex, p->public_key);
		sb_printf(&b, "public_key=%s\n", hex);
		if (p->flags & WG_PEER_REMOVE) {
			sb_printf(&b, "remove=true\n");
			continue;
		}
		if (p->flags & WG_PEER_SET_PSK) {
			key_to_hex(hex, p->preshared_key);
			sb_printf(&b, "preshared_key=%s\n", hex);
		}
		if (p->flags & WG_PEER_SET_ENDPOINT)
			sb_printf(&b, "endpoint=%s\n", sockaddr_fmt(&p->endpoint.sa, ep, sizeof(ep)));
		if (p->flags & WG_PEER_SET_KEEPALIVE)
			sb_printf(&b, "persistent_keepalive_interval=%u\n", p->keepalive);
		if (p->flags & WG_PEER_REPLACE_ALLOWEDIPS)
			sb_printf(&b, "replace_allowed_ips=true\n");
		for (size_t j = 0; j < p->n_allowed; j++)
			sb_printf(&b, "allowed_ip=%s\n", prefix_str(&p->allowed[j], pfx, sizeof(pfx)));
	}
	sb_printf(&b, "\n");
	key_wipe(hex, sizeof(hex));
	if (b.oom) {
		key_wipe(b.s, b.len);
		free(b.s);
		return -ENOMEM;
	}
	*text = b.s;
	*len = b.len;
	return 0;
}

/* Reads a get's reply on fd into d, parsing as it comes, in one buffer of 64 KiB
 * (a line longer than that is no reply of wireguard-go's). */
static int get_read(int fd, const char *ifname, struct wg_device *d)
{
	struct reply_parse rp = { .d = d };
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	int ret = 0;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", ifname);
	if (!buf)
		return -ENOMEM;
	while (!rp.done) {
		ssize_t r = read(fd, buf + n, cap - n);
		size_t used;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (r == 0) {
			ret = -EBADMSG;	/* closed before the blank line that ends it */
			break;
		}
		n += (size_t)r;
		used = parse_lines(&rp, buf, n);
		memmove(buf, buf + used, n - used);
		n -= used;
		if (n == cap) {
			ret = -EBADMSG;
			break;
		}
	}
	if (!ret)
		ret = rp.ret;
	key_wipe(buf, cap);	/* the private key went through it */
	free(buf);
	if (ret)
		pr_err("%s: wireguard-go get failed: %s", ifname, strerror(-ret));
	return ret;
}

int wg_uapi_get_begin(const char *ifname)
{
	int fd = uapi_connect(ifname, true), ret;

	if (fd < 0)
		return fd;
	ret = uapi_send(fd, ifname, "get=1\n\n", 7);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int wg_uapi_get_finish(int fd, const char *ifname, struct wg_device *d)
{
	int ret = get_read(fd, ifname, d);

	close(fd);
	return ret;
}

int wg_uapi_get(const char *ifname, struct wg_device *d)
{
	int fd = uapi_connect(ifname, false), ret;

	if (fd < 0)
		return fd;
	ret = uapi_send(fd, ifname, "get=1\n\n", 7);
	if (!ret)
		ret = get_read(fd, ifname, d);
	close(fd);
	return ret;
}

int wg_uapi_set(const char *ifname, const struct wg_device *change)
{
	char *text = NULL, *reply = NULL;
	size_t len;
	int ret = wg_uapi_format(change, &text, &len);

	if (ret) {
		pr_err("%s: refusing to send an invalid change to wireguard-go: %s", ifname,
		       strerror(-ret));
		return ret;
	}
	ret = uapi_talk(ifname, text, len, &reply);
	key_wipe(text, len);
	free(text);
	if (ret)
		return ret;
	ret = reply_errno(reply);
	free(reply);
	if (ret)
		pr_err("%s: wireguard-go rejected the configuration: %s", ifname, strerror(-ret));
	return ret;
}
