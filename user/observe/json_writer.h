/* SPDX-License-Identifier: GPL-2.0-only */
/* A small streaming JSON writer for `-j` output: commas, nesting and string
 * escaping are handled here so commands cannot emit invalid JSON. Strings are
 * escaped per RFC 8259 (quote, backslash, control characters); bytes that are
 * not valid UTF-8 become U+FFFD. Numbers are raw integers. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 32

struct jw {
	FILE *f;
	int depth;
	bool pretty;
	bool first[JW_MAX_DEPTH];	/* no element written yet at this depth */
	char close[JW_MAX_DEPTH];	/* '}' or ']' closing each open level */
	int err;			/* -EINVAL on misuse (too deep, unbalanced) */
};

void jw_init(struct jw *w, FILE *f, bool pretty);
/* key is NULL inside arrays and at the top level, a member name inside objects. */
void jw_object(struct jw *w, const char *key);
void jw_array(struct jw *w, const char *key);
void jw_end(struct jw *w);		/* closes the innermost object or array */
void jw_string(struct jw *w, const char *key, const char *v);	/* NULL -> null */
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);
/* Ends the document with a newline. 0, or -EINVAL when objects were left open. */
int jw_finish(struct jw *w);

/* The escaped form of s (without quotes) into f; exposed for the unit test. */
void jw_escape(FILE *f, const char *s);
