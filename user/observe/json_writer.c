// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "observe/json_writer.h"

void jw_init(struct jw *w, FILE *f, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->pretty = pretty;
	w->first[0] = true;
}

/* Length of the valid UTF-8 sequence at s, or 0 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static int utf8_len(const unsigned char *s)
{
	int n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void jw_escape(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		int n;

		switch (*s) {
		case '"': fputs("\\\"", f); s++; continue;
		case '\\': fputs("\\\\", f); s++; continue;
		case '\n': fputs("\\n", f); s++; continue;
		case '\r': fputs("\\r", f); s++; continue;
		case '\t': fputs("\\t", f); s++; continue;
		}
		if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s);
			s++;
			continue;
		}
		n = utf8_len(s);
		if (!n) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		fwrite(s, 1, (size_t)n, f);
		s += n;
	}
}

static void indent(struct jw *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Separator, indentation and "key": before any value. */
static void value_start(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	if (w->depth)
		indent(w);
	if (key) {
		fputc('"', w->f);
		jw_escape(w->f, key);
		fputs(w->pretty ? "\": " : "\":", w->f);
	}
}

static void open(struct jw *w, const char *key, char c)
{
	if (w->depth + 1 >= JW_MAX_DEPTH) {
		w->err = -EINVAL;
		return;
	}
	value_start(w, key);
	fputc(c, w->f);
	w->depth++;
	w->first[w->depth] = true;
	w->close[w->depth] = c == '{' ? '}' : ']';
}

void jw_object(struct jw *w, const char *key) { open(w, key, '{'); }
void jw_array(struct jw *w, const char *key) { open(w, key, '['); }

void jw_end(struct jw *w)
{
	bool empty;

	if (!w->depth) {
		w->err = -EINVAL;
		return;
	}
	empty = w->first[w->depth];
	w->depth--;
	if (!empty)
		indent(w);
	fputc(w->close[w->depth + 1], w->f);
}

void jw_string(struct jw *w, const char *key, const char *v)
{
	if (!v) {
		jw_null(w, key);
		return;
	}
	value_start(w, key);
	fputc('"', w->f);
	jw_escape(w->f, v);
	fputc('"', w->f);
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	value_start(w, key);
	fprintf(w->f, "%" PRIu64, v);
}

void jw_i64(struct jw *w, const char *key, int64_t v)
{
	value_start(w, key);
	fprintf(w->f, "%" PRId64, v);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	value_start(w, key);
	fputs(v ? "true" : "false", w->f);
}

void jw_null(struct jw *w, const char *key)
{
	value_start(w, key);
	fputs("null", w->f);
}

int jw_finish(struct jw *w)
{
	fputc('\n', w->f);
	if (w->depth)
		w->err = -EINVAL;
	return w->err;
}
