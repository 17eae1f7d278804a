// SPDX-License-Identifier: GPL-2.0-only
/* Two gateways at one site: both boxes must run the same mesh file. Compared by
 * what the parser reads, not byte for byte: comments, blank lines, spacing and the
 * case of keys and section keywords do not matter; everything else, order
 * included, does (a copy is the instruction; a reordered file is worth a look). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_ini.h"

struct canon {
	char **text;
	int *line;
	size_t n, cap;
	bool oom;
};

/* "Endpoint = a , b" and "Endpoint = a,b" read the same: no spaces around commas. */
static void squeeze_commas(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (isspace((unsigned char)*r)) {
			char *n = r;

			while (isspace((unsigned char)*n))
				n++;
			if (*n == ',' || (w > s && w[-1] == ','))
				continue;
		}
		*w++ = *r;
	}
	*w = '\0';
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void canon_cb(void *ctx, const struct ini_item *it)
{
	struct canon *c = ctx;
	char buf[MG_LINE_MAX + 8], k[MG_LINE_MAX + 1];

	if (it->is_section) {
		/* A malformed header was reported by ini_parse; it still counts as a line. */
		snprintf(k, sizeof(k), "%s", it->section ? it->section : "?");
		lower(k);
		snprintf(buf, sizeof(buf), "[%s%s%s]", k, it->arg && *it->arg ? " " : "",
			 it->arg ? it->arg : "");
	} else {
		snprintf(k, sizeof(k), "%s", it->key);
		lower(k);
		snprintf(buf, sizeof(buf), "%s = %s", k, it->value);
		squeeze_commas(buf + strlen(k) + 3);
	}
	if (c->oom)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char **t = realloc(c->text, cap * sizeof(*t));
		int *l = t ? realloc(c->line, cap * sizeof(*l)) : NULL;

		if (t)
			c->text = t;
		if (!t || !l) {
			c->oom = true;
			return;
		}
		c->line = l;
		c->cap = cap;
	}
	c->text[c->n] = strdup(buf);
	if (!c->text[c->n]) {
		c->oom = true;
		return;
	}
	c->line[c->n++] = it->line;
}

static void canon_free(struct canon *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->text[i]);
	free(c->text);
	free(c->line);
}

static int canon_read(struct canon *c, const char *path, struct mg_errors *e)
{
	char *buf;
	size_t len;
	int ret = config_read_file(path, &buf, &len, e);

	if (ret)
		return ret;
	ini_parse(path, buf, len, e, canon_cb, c);
	free(buf);
	if (c->oom) {
		mg_error(e, path, 0, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int mesh_same(const char *path, const char *other, struct mg_errors *e)
{
	struct canon a = { 0 }, b = { 0 };
	int ret, before = e->count;
	size_t i;

	ret = canon_read(&a, path, e);
	if (!ret)
		ret = canon_read(&b, other, e);
	if (ret)
		goto out;
	for (i = 0; i < a.n && i < b.n; i++)
		if (strcmp(a.text[i], b.text[i]))
			break;
	if (i < a.n && i < b.n)
		mg_error(e, path, a.line[i], "'%.200s' here, '%.200s' in %s:%d: the two boxes of a pair need the same mesh file",
			 a.text[i], b.text[i], other, b.line[i]);
	else if (i < a.n)
		mg_error(e, path, a.line[i], "'%.200s' is not in %s, which ends before it: the two boxes of a pair need the same mesh file",
			 a.text[i], other);
	else if (i < b.n)
		mg_error(e, other, b.line[i], "'%.200s' is not in %s, which ends before it: the two boxes of a pair need the same mesh file",
			 b.text[i], path);
	mg_errors_flush(e);
	ret = e->count > before ? -EINVAL : 0;
out:
	canon_free(&a);
	canon_free(&b);
	return ret;
}
