// SPDX-License-Identifier: GPL-2.0-only
/* The mesh file and the INI reader under both configuration files.
 * Syntax follows wg-quick: [Section], Key = Value, '#' starts a comment anywhere,
 * keys and section keywords are case-insensitive, Endpoint and Egress repeat. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "config/config.h"
#include "config/config_ini.h"
#include "lib/log.h"

/* n with a comma every three digits: "64,511". */
static void thousands(char *buf, size_t len, unsigned long n)
{
	char digits[32];
	size_t nd = (size_t)snprintf(digits, sizeof(digits), "%lu", n), o = 0;

	for (size_t i = 0; i < nd && o + 2 < len; i++) {
		if (i && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

void mg_errors_flush(struct mg_errors *e)
{
	const char *pfx;
	char more[32];

	if (!e || !e->out || !e->run_len)
		return;
	/* Each problem is an error line of its own in the journal (`meshgw run`). */
	pfx = e->out == stderr ? log_prio_prefix(LOG_ERR) : "";
	if (e->run_len == 1) {
		fprintf(e->out, "%s%s\n", pfx, e->run_line);
	} else {
		thousands(more, sizeof(more), (unsigned long)(e->run_len - 1));
		fprintf(e->out, "%s%s (and %s more like it)\n", pfx, e->run_line, more);
	}
	e->run_len = 0;
	e->run_file = NULL;
}

void mg_error(struct mg_errors *e, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	/* Always format, even without a sink: the fuzzer exercises the arguments. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!e)
		return;
	e->count++;
	if (!e->out)
		return;
	/* Values are quoted back from the file: keep control bytes off the terminal. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (e->run_len && !strcmp(file, e->run_file) && !strcmp(msg, e->run_msg)) {
		e->run_len++;
		return;
	}
	mg_errors_flush(e);
	e->run_file = file;
	e->run_len = 1;
	snprintf(e->run_msg, sizeof(e->run_msg), "%s", msg);
	if (line > 0)
		snprintf(e->run_line, sizeof(e->run_line), "%s:%d: %s", file, line, msg);
	else
		snprintf(e->run_line, sizeof(e->run_line), "%s: %s", file, msg);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static void ini_section(const char *path, int lineno, char *s, struct mg_errors *e,
			ini_cb cb, void *ctx)
{
	struct ini_item it = { .line = lineno, .is_section = true };
	char *end = strchr(s, ']'), *inner, *sp;

	if (!end || *trim(end + 1)) {
		mg_error(e, path, lineno, "malformed section header: expected [Name] alone on the line");
		cb(ctx, &it);
		return;
	}
	*end = '\0';
	inner = trim(s + 1);
	if (!*inner) {
		mg_error(e, path, lineno, "empty section header []");
		cb(ctx, &it);
		return;
	}
	sp = inner;
	while (*sp && !isspace((unsigned char)*sp))
		sp++;
	it.arg = "";
	if (*sp) {
		*sp = '\0';
		it.arg = trim(sp + 1);
	}
	it.section = inner;
	cb(ctx, &it);
}

void ini_parse(const char *path, const char *buf, size_t len, struct mg_errors *e,
	       ini_cb cb, void *ctx)
{
	char line[MG_LINE_MAX + 1];
	size_t pos = 0;
	int lineno = 0;

	/* A UTF-8 byte order mark, as some Windows editors write. */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		pos = 3;
	while (pos < len) {
		const char *start = buf + pos, *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		struct ini_item it;
		char *s, *eq, *hash;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n > MG_LINE_MAX) {
			mg_error(e, path, lineno, "line is longer than %d characters", MG_LINE_MAX);
			continue;
		}
		if (memchr(start, '\0', n)) {
			mg_error(e, path, lineno, "line contains a NUL byte (not a text file?)");
			continue;
		}
		memcpy(line, start, n);
		line[n] = '\0';
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = trim(line);
		if (!*s)
			continue;
		if (*s == '[') {
			ini_section(path, lineno, s, e, cb, ctx);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			mg_error(e, path, lineno, "expected 'Key = Value' or '[Section]', got '%.64s'", s);
			continue;
		}
		*eq = '\0';
		memset(&it, 0, sizeof(it));
		it.line = lineno;
		it.key = trim(s);
		it.value = trim(eq + 1);
		if (!*it.key) {
			mg_error(e, path, lineno, "missing key name before '='");
			continue;
		}
		if (!*it.value) {
			mg_error(e, path, lineno, "%.64s has no value", it.key);
			continue;
		}
		cb(ctx, &it);
	}
}

bool ini_single_word(struct mg_errors *e, const char *path, int line, const char *key,
		     const char *value)
{
	size_t n = strcspn(value, " \t\r\v\f");

	if (!value[n])
		return true;
	mg_error(e, path, line, "%s: unexpected '%.64s' after '%.*s'", key,
		 value + n + strspn(value + n, " \t\r\v\f"), (int)(n > 64 ? 64 : n), value);
	return false;
}

void ini_each_item(struct mg_errors *e, const char *path, const struct ini_item *it,
		   const char *key, void (*fn)(void *ctx, const struct ini_item *it, const char *item),
		   void *ctx)
{
	char tmp[MG_LINE_MAX + 1], *save = NULL, *tok;

	snprintf(tmp, sizeof(tmp), "%s", it->value);
	if (tmp[0] == ',' || tmp[strlen(tmp) - 1] == ',' || strstr(tmp, ",,")) {
		mg_error(e, path, it->line, "%s: empty item in '%.64s'", key, it->value);
		return;
	}
	for (tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *w = tok, *end;

		while (isspace((unsigned char)*w))
			w++;
		end = w + strlen(w);
		while (end > w && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (!*w) {
			mg_error(e, path, it->line, "%s: empty item in '%.64s'", key, it->value);
			continue;
		}
		if (ini_single_word(e, path, it->line, key, w))
			fn(ctx, it, w);
	}
}

int ini_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(s, no[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

int ini_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (!n || n > 10 || strspn(s, "0123456789") != n)
		return -EINVAL;
	for (; *s; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int config_read_file(const char *path, char **bufp, size_t *lenp, struct mg_errors *e)
{
	size_t cap = 4096, len = 0;
	struct stat st;
	char *buf = NULL;
	FILE *f;
	int ret = 0;

	*bufp = NULL;
	*lenp = 0;
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		mg_error(e, path, 0, "cannot open: %s", strerror(errno));
		mg_errors_flush(e);
		return ret;
	}
	/* A file's size read first: one buffer, not a doubling one (at 4,096 sites,
	 * 800 KB, that was twice the memory and ~250 more page faults); a pipe, or a
	 * file that grows meanwhile, still reads whole. */
	if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode) && st.st_size < MG_FILE_MAX)
		cap = (size_t)st.st_size + 1;	/* + 1: the read that sees the end fits */
	for (;;) {
		size_t n;

		if (len == cap || !buf) {
			char *nb;

			if (buf)
				cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				ret = -ENOMEM;
				mg_error(e, path, 0, "out of memory");
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len > MG_FILE_MAX) {
			ret = -EFBIG;
			mg_error(e, path, 0, "file is larger than %u MiB", MG_FILE_MAX >> 20);
			goto out;
		}
		if (n == 0) {
			if (ferror(f)) {
				ret = errno ? -errno : -EIO;
				mg_error(e, path, 0, "cannot read: %s", strerror(-ret));
				goto out;
			}
			break;
		}
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	mg_errors_flush(e);
	return ret;
}

/* ---- values ------------------------------------------------------------------- */

bool site_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < MG_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* RFC 1123 host names: dot-separated labels of letters, digits and '-' (and '_',
 * which real zones contain), no label empty or starting/ending with '-'. */
static bool hostname_valid(const char *h)
{
	size_t n = strlen(h);

	if (!n || n > 253)
		return false;
	while (*h) {
		size_t l = strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");

		if (l == 0 || l > 63 || h[0] == '-' || h[l - 1] == '-')
			return false;
		h += l;
		if (*h == '.') {
			h++;
			if (!*h)
				return false;	/* trailing dot */
		} else if (*h) {
			return false;
		}
	}
	return true;
}

int endpoint_parse(struct mg_endpoint *ep, const char *s, const char **why)
{
	char host[MG_HOST_MAX + 2];
	const char *colon, *hstart, *hend;
	unsigned long port;
	uint8_t tmp[16];
	size_t hlen;

	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		hstart = s + 1;
		hend = strchr(hstart, ']');
		if (!hend) {
			*why = "missing ']' after the IPv6 address";
			return -EINVAL;
		}
		if (hend[1] != ':') {
			*why = "expected ':PORT' after ']'";
			return -EINVAL;
		}
		colon = hend + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			*why = "missing ':PORT'";
			return -EINVAL;
		}
		hstart = s;
		hend = colon;
		if (memchr(s, ':', (size_t)(colon - s))) {
			*why = "an IPv6 address must be written in brackets: [ADDRESS]:PORT";
			return -EINVAL;
		}
	}
	hlen = (size_t)(hend - hstart);
	if (hlen == 0) {
		*why = "missing host";
		return -EINVAL;
	}
	if (hlen > MG_HOST_MAX) {
		*why = "host name longer than 253 characters";
		return -EINVAL;
	}
	memcpy(host, hstart, hlen);
	host[hlen] = '\0';
	if (ini_parse_uint(colon + 1, 65535, &port) || port == 0) {
		*why = "port must be a number from 1 to 65535";
		return -EINVAL;
	}
	if (s[0] == '[') {
		if (inet_pton(AF_INET6, host, tmp) != 1) {
			*why = "not an IPv6 address inside [ ]";
			return -EINVAL;
		}
		ep->is_literal = true;
	} else if (inet_pton(AF_INET, host, tmp) == 1) {
		ep->is_literal = true;
	} else if (strspn(host, "0123456789.") == hlen) {
		*why = "not a valid IPv4 address";
		return -EINVAL;
	} else if (!hostname_valid(host)) {
		*why = "not a valid IPv4 address or host name";
		return -EINVAL;
	}
	ep->host = strdup(host);
	if (!ep->host) {
		*why = "out of memory";
		return -ENOMEM;
	}
	ep->port = (uint16_t)port;
	return 0;
}

void endpoint_free(struct mg_endpoint *ep)
{
	free(ep->host);
	ep->host = NULL;
}

/* ---- the mesh file -------------------------------------------------------------- */

enum mesh_sec { SEC_NONE, SEC_MESH, SEC_SITE, SEC_CLIENT, SEC_IGNORE };

struct mesh_state {
	struct mg_mesh *m;
	struct mg_errors *e;
	enum mesh_sec sec;
	int mesh_line;			/* first [Mesh] header */
	int port_line, keepalive_line, mtu_line;
	size_t site;			/* index of the current [Site] */
	size_t client;			/* index of the current [Client] */
	size_t cap_sites;		/* m->sites has room for this many */
	int err;
};

static const char *P(const struct mesh_state *st)
{
	return st->m->path;
}

/* Required keys are reported missing at their section's header line. */
static void finish_section(struct mesh_state *st)
{
	struct mg_site *s;

	if (st->sec == SEC_CLIENT)
		client_finish(st->m, st->client, st->e);
	if (st->sec != SEC_SITE)
		return;
	s = &st->m->sites[st->site];
	if (!s->address_line)
		mg_error(st->e, P(st), s->line, "[Site %s] has no Address", s->name);
	if (!s->public_key_line)
		mg_error(st->e, P(st), s->line, "[Site %s] has no PublicKey", s->name);
}

static void open_site(struct mesh_state *st, const struct ini_item *it)
{
	struct mg_mesh *m = st->m;
	struct mg_site *s, *ns;

	if (!*it->arg) {
		mg_error(st->e, P(st), it->line, "[Site] needs a name: [Site NAME]");
		st->sec = SEC_IGNORE;
		return;
	}
	if (!site_name_valid(it->arg)) {
		mg_error(st->e, P(st), it->line,
			 "invalid site name '%.64s': 1 to %d letters, digits, '_', '.' or '-'",
			 it->arg, MG_NAME_MAX - 1);
		st->sec = SEC_IGNORE;
		return;
	}
	if (m->n_sites >= MG_MAX_SITES) {
		mg_error(st->e, P(st), it->line, "too many sites (at most %d)", MG_MAX_SITES);
		st->sec = SEC_IGNORE;
		return;
	}
	/* Sized by mesh_parse's count of sections; doubling past it. */
	if (m->n_sites == st->cap_sites) {
		size_t cap = st->cap_sites ? st->cap_sites * 2 : 1;

		ns = realloc(m->sites, sizeof(*ns) * cap);
		if (!ns) {
			mg_error(st->e, P(st), it->line, "out of memory");
			st->sec = SEC_IGNORE;
			return;
		}
		m->sites = ns;
		st->cap_sites = cap;
	}
	s = &m->sites[m->n_sites];
	memset(s, 0, sizeof(*s));
	strcpy(s->name, it->arg);
	s->line = it->line;
	st->site = m->n_sites++;
	st->sec = SEC_SITE;
}

static void on_section(struct mesh_state *st, const struct ini_item *it)
{
	finish_section(st);
	if (!it->section) {
		st->sec = SEC_IGNORE;
		return;
	}
	if (!strcasecmp(it->section, "Mesh")) {
		if (*it->arg) {
			mg_error(st->e, P(st), it->line, "[Mesh] takes no name");
		}
		if (st->mesh_line) {
			mg_error(st->e, P(st), it->line, "duplicate [Mesh] section (first at %s:%d)",
				 P(st), st->mesh_line);
			st->sec = SEC_IGNORE;
			return;
		}
		st->mesh_line = it->line;
		st->sec = SEC_MESH;
	} else if (!strcasecmp(it->section, "Site")) {
		open_site(st, it);
	} else if (!strcasecmp(it->section, "Client")) {
		ssize_t c = client_open(st->m, it, st->e);

		st->sec = c < 0 ? SEC_IGNORE : SEC_CLIENT;
		st->client = c < 0 ? 0 : (size_t)c;
	} else if (!strcasecmp(it->section, "Local")) {
		mg_error(st->e, P(st), it->line,
			 "[Local] belongs in the local file (-l), not in the mesh file");
		st->sec = SEC_IGNORE;
	} else {
		mg_error(st->e, P(st), it->line, "unknown section [%.64s]", it->section);
		st->sec = SEC_IGNORE;
	}
}

/* A non-repeatable key seen twice: name the first one. */
static bool once(struct mesh_state *st, int *seen, const struct ini_item *it, const char *key)
{
	if (*seen) {
		mg_error(st->e, P(st), it->line, "duplicate %s (first at %s:%d)", key, P(st), *seen);
		return false;
	}
	*seen = it->line;
	return true;
}

static void mesh_key(struct mesh_state *st, const struct ini_item *it)
{
	struct mg_mesh *m = st->m;
	const char *k = it->key, *v = it->value;
	unsigned long n;
	char buf[PREFIX_STR_MAX];

	if (!strcasecmp(k, "Network")) {
		if (!once(st, &m->network_line, it, "Network") ||
		    !ini_single_word(st->e, P(st), it->line, "Network", v))
			return;
		if (prefix_parse(&m->network, v, false)) {
			mg_error(st->e, P(st), it->line,
				 "Network '%.64s' is not a prefix (ADDRESS/LENGTH)", v);
			memset(&m->network, 0, sizeof(m->network));
		} else if (prefix_has_host_bits(&m->network)) {
			struct prefix p = m->network;

			for (unsigned int i = p.len; i < 128; i++)
				p.addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
			mg_error(st->e, P(st), it->line,
				 "Network %.64s has host bits set (did you mean %s?)", v,
				 prefix_str(&p, buf, sizeof(buf)));
		}
	} else if (!strcasecmp(k, "ListenPort")) {
		if (!once(st, &st->port_line, it, "ListenPort") ||
		    !ini_single_word(st->e, P(st), it->line, "ListenPort", v))
			return;
		if (ini_parse_uint(v, 65535, &n) || n == 0)
			mg_error(st->e, P(st), it->line,
				 "ListenPort '%.64s' is not a port (1 to 65535)", v);
		else
			m->listen_port = (uint16_t)n;
	} else if (!strcasecmp(k, "PersistentKeepalive")) {
		if (!once(st, &st->keepalive_line, it, "PersistentKeepalive") ||
		    !ini_single_word(st->e, P(st), it->line, "PersistentKeepalive", v))
			return;
		if (!strcasecmp(v, "off"))
			m->keepalive = 0;
		else if (ini_parse_uint(v, 65535, &n))
			mg_error(st->e, P(st), it->line,
				 "PersistentKeepalive '%.64s' is not 'off' or 0 to 65535 seconds", v);
		else
			m->keepalive = (uint16_t)n;
	} else if (!strcasecmp(k, "MTU")) {
		if (!once(st, &st->mtu_line, it, "MTU") ||
		    !ini_single_word(st->e, P(st), it->line, "MTU", v))
			return;
		if (ini_parse_uint(v, 65535, &n) || n < MG_MIN_MTU)
			mg_error(st->e, P(st), it->line, "MTU '%.64s' is not a number from %d to 65535",
				 v, MG_MIN_MTU);
		else
			m->mtu = (uint16_t)n;
	} else {
		mg_error(st->e, P(st), it->line, "unknown key '%.64s' in [Mesh]", k);
	}
}

static void site_endpoint(struct mesh_state *st, struct mg_site *s, const struct ini_item *it,
			  const char *v)
{
	struct mg_endpoint ep, *ne;
	const char *why = "";

	if (endpoint_parse(&ep, v, &why)) {
		mg_error(st->e, P(st), it->line, "Endpoint '%.80s' of site %s: %s", v, s->name, why);
		return;
	}
	if (s->n_endpoints >= MG_MAX_SITE_ENDPOINTS) {
		mg_error(st->e, P(st), it->line, "site %s has more than %d endpoints", s->name,
			 MG_MAX_SITE_ENDPOINTS);
		endpoint_free(&ep);
		return;
	}
	ne = realloc(s->endpoints, sizeof(*ne) * (s->n_endpoints + 1));
	if (!ne) {
		mg_error(st->e, P(st), it->line, "out of memory");
		endpoint_free(&ep);
		return;
	}
	s->endpoints = ne;
	ep.line = it->line;
	s->endpoints[s->n_endpoints++] = ep;
}

static void site_egress(struct mesh_state *st, struct mg_site *s, const struct ini_item *it,
			const char *v)
{
	struct prefix p, *np;
	int *nl;
	char buf[PREFIX_STR_MAX];

	if (prefix_parse(&p, v, false)) {
		mg_error(st->e, P(st), it->line,
			 "Egress '%.64s' of site %s is not a prefix (ADDRESS/LENGTH)", v, s->name);
		return;
	}
	if (prefix_has_host_bits(&p)) {
		struct prefix q = p;

		for (unsigned int i = q.len; i < 128; i++)
			q.addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		mg_error(st->e, P(st), it->line,
			 "Egress %.64s of site %s has host bits set (did you mean %s?)", v, s->name,
			 prefix_str(&q, buf, sizeof(buf)));
		/* kept, so that overlaps are still found */
	}
	if (s->n_egress >= MG_MAX_SITE_EGRESS) {
		mg_error(st->e, P(st), it->line, "site %s has more than %d Egress ranges", s->name,
			 MG_MAX_SITE_EGRESS);
		return;
	}
	if ((s->n_egress & (s->n_egress - 1)) == 0) {
		size_t cap = s->n_egress ? s->n_egress * 2 : 1;

		np = realloc(s->egress, sizeof(*np) * cap);
		if (!np)
			goto oom;
		s->egress = np;
		nl = realloc(s->egress_lines, sizeof(*nl) * cap);
		if (!nl)
			goto oom;
		s->egress_lines = nl;
	}
	s->egress[s->n_egress] = p;
	s->egress_lines[s->n_egress] = it->line;
	s->n_egress++;
	return;
oom:
	mg_error(st->e, P(st), it->line, "out of memory");
}

/* Applies fn to each comma-separated item of a repeatable key of site s. */
typedef void (*site_item_fn)(struct mesh_state *, struct mg_site *, const struct ini_item *,
			     const char *);
struct site_items {
	struct mesh_state *st;
	struct mg_site *s;
	site_item_fn fn;
};

static void site_item(void *ctx, const struct ini_item *it, const char *item)
{
	struct site_items *x = ctx;

	x->fn(x->st, x->s, it, item);
}

static void each_item(struct mesh_state *st, struct mg_site *s, const struct ini_item *it,
		      const char *key, site_item_fn fn)
{
	struct site_items x = { st, s, fn };

	ini_each_item(st->e, P(st), it, key, site_item, &x);
}

static void site_key(struct mesh_state *st, const struct ini_item *it)
{
	struct mg_site *s = &st->m->sites[st->site];
	const char *k = it->key, *v = it->value;

	if (!strcasecmp(k, "Address")) {
		if (!once(st, &s->address_line, it, "Address") ||
		    !ini_single_word(st->e, P(st), it->line, "Address", v))
			return;
		if (strchr(v, '/'))
			mg_error(st->e, P(st), it->line,
				 "Address '%.64s' of site %s must be a bare address: the prefix length comes from the mesh Network",
				 v, s->name);
		else if (prefix_parse(&s->address, v, true))
			mg_error(st->e, P(st), it->line,
				 "Address '%.64s' of site %s is not an IPv4 or IPv6 address", v, s->name);
		if (!s->address.len)
			memset(&s->address, 0, sizeof(s->address));
	} else if (!strcasecmp(k, "PublicKey")) {
		if (!once(st, &s->public_key_line, it, "PublicKey") ||
		    !ini_single_word(st->e, P(st), it->line, "PublicKey", v))
			return;
		if (key_from_base64(s->public_key, v)) {
			mg_error(st->e, P(st), it->line,
				 "PublicKey of site %s is not a base64 WireGuard key (44 characters ending in '=')",
				 s->name);
			memset(s->public_key, 0, sizeof(s->public_key));
		} else if (key_is_zero(s->public_key)) {
			mg_error(st->e, P(st), it->line, "PublicKey of site %s is all zeros", s->name);
		}
	} else if (!strcasecmp(k, "Endpoint")) {
		each_item(st, s, it, "Endpoint", site_endpoint);
	} else if (!strcasecmp(k, "Egress")) {
		each_item(st, s, it, "Egress", site_egress);
	} else if (!strcasecmp(k, "Exit")) {
		if (!once(st, &s->exit_line, it, "Exit") ||
		    !ini_single_word(st->e, P(st), it->line, "Exit", v))
			return;
		if (ini_parse_bool(v, &s->exit))
			mg_error(st->e, P(st), it->line, "Exit '%.64s' of site %s is not yes or no",
				 v, s->name);
	} else {
		mg_error(st->e, P(st), it->line, "unknown key '%.64s' in [Site %s]", k, s->name);
	}
}

static void mesh_cb(void *ctx, const struct ini_item *it)
{
	struct mesh_state *st = ctx;

	if (it->is_section) {
		on_section(st, it);
		return;
	}
	switch (st->sec) {
	case SEC_NONE:
		mg_error(st->e, P(st), it->line, "%.64s outside of any section", it->key);
		break;
	case SEC_MESH:
		mesh_key(st, it);
		break;
	case SEC_SITE:
		site_key(st, it);
		break;
	case SEC_CLIENT:
		client_key(st->m, st->client, it, st->e);
		break;
	case SEC_IGNORE:
		break;	/* the header was already reported */
	}
}

/* Room for as many sites as the file has section headers (a line starting with
 * '['; a few more than its sites): one array of the right size, not one doubled
 * and copied twelve times at 4,096 sites. Without memory, open_site grows it. */
static void reserve_sites(struct mesh_state *st, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	size_t n = 0;

	for (; (p = memchr(p, '[', (size_t)(end - p))); p++) {
		const char *q = p;

		while (q > buf && (q[-1] == ' ' || q[-1] == '\t'))
			q--;
		n += q == buf || q[-1] == '\n';
	}
	if (n > MG_MAX_SITES)
		n = MG_MAX_SITES;
	if (n && (st->m->sites = malloc(n * sizeof(*st->m->sites))))
		st->cap_sites = n;
}

int mesh_parse(struct mg_mesh *m, const char *path, const char *buf, size_t len,
	       struct mg_errors *e)
{
	struct mesh_state st = { .m = m, .e = e };
	int before = e ? e->count : 0;
	struct mg_errors local = { 0 };

	if (!e)
		st.e = e = &local;
	memset(m, 0, sizeof(*m));
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->keepalive = MG_DEFAULT_KEEPALIVE;
	m->mtu = MG_DEFAULT_MTU;
	reserve_sites(&st, buf, len);
	ini_parse(path, buf, len, e, mesh_cb, &st);
	finish_section(&st);
	if (!st.mesh_line) {
		mg_error(e, path, 1, "no [Mesh] section");
	} else {
		if (!m->network_line)
			mg_error(e, path, st.mesh_line, "[Mesh] has no Network");
		if (!st.port_line)
			mg_error(e, path, st.mesh_line, "[Mesh] has no ListenPort");
	}
	if (!m->n_sites)
		mg_error(e, path, 1, "no [Site NAME] section");
	mg_errors_flush(e);
	return e->count > before ? -EINVAL : 0;
}

void mesh_free(struct mg_mesh *m)
{
	for (size_t i = 0; i < m->n_sites; i++) {
		for (size_t e = 0; e < m->sites[i].n_endpoints; e++)
			endpoint_free(&m->sites[i].endpoints[e]);
		free(m->sites[i].endpoints);
		free(m->sites[i].egress);
		free(m->sites[i].egress_lines);
	}
	free(m->sites);
	m->sites = NULL;
	m->n_sites = 0;
	free(m->clients);
	m->clients = NULL;
	m->n_clients = 0;
}

/* Case-insensitive, like the duplicate check: "London" and "london" are one site. */
const struct mg_site *mesh_find_site(const struct mg_mesh *m, const char *name)
{
	for (size_t i = 0; i < m->n_sites; i++)
		if (!strcasecmp(m->sites[i].name, name))
			return &m->sites[i];
	return NULL;
}

int mesh_load(struct mg_mesh *m, const char *path, struct mg_errors *e)
{
	char *buf;
	size_t len;
	int ret;

	memset(m, 0, sizeof(*m));
	snprintf(m->path, sizeof(m->path), "%s", path);
	ret = config_read_file(path, &buf, &len, e);
	if (ret)
		return ret;
	ret = mesh_parse(m, path, buf, len, e);
	free(buf);
	if (mesh_validate(m, e))
		ret = -EINVAL;
	return ret;
}
