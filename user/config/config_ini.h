/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to the configuration parser (config*.c): the INI line reader shared by
 * the mesh and the local file, and small value checks. Not for other modules. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "config/config.h"

struct ini_item {
	int line;
	/* A section header: section is its keyword ("Site"), arg what follows
	 * ("london", or "" when nothing). section == NULL and key == NULL marks a
	 * malformed header (already reported): ignore keys until the next one. */
	bool is_section;
	const char *section;
	const char *arg;
	/* A "Key = Value" line (both trimmed, value never empty). */
	const char *key;
	const char *value;
};

typedef void (*ini_cb)(void *ctx, const struct ini_item *it);

/* Splits buf into lines and calls cb for every section header and key line.
 * Syntax errors (overlong lines, NUL bytes, lines that are neither) are reported
 * here and skipped. */
void ini_parse(const char *path, const char *buf, size_t len, struct mg_errors *e,
	       ini_cb cb, void *ctx);

/* Reports "Key: unexpected 'junk' after 'value'" when value has inner whitespace. */
bool ini_single_word(struct mg_errors *e, const char *path, int line, const char *key,
		     const char *value);
/* fn(ctx, it, item) for each comma-separated item of a repeatable key's value,
 * trimmed and a single word. An empty item ("a,,b", a trailing comma) is an
 * error: strtok_r alone would skip it silently, and it is a typo. */
void ini_each_item(struct mg_errors *e, const char *path, const struct ini_item *it,
		   const char *key, void (*fn)(void *ctx, const struct ini_item *it, const char *item),
		   void *ctx);
/* yes/no, true/false, on/off, 1/0 (any case). 0 or -EINVAL. */
int ini_parse_bool(const char *s, bool *out);
/* config_exit.c: ExitVia, ExitSources, ExitDestinations, the repeatable exit keys of
 * [Local]. false when it is not one of them; true when handled (problems reported). */
bool local_exit_key(struct mg_local *l, const char *path, const struct ini_item *it,
		    struct mg_errors *e);
/* Decimal digits only, <= max. 0 or -EINVAL. */
int ini_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* Reads a whole file (at most MG_FILE_MAX bytes) into a malloc'd buffer. Problems
 * are reported as "path: reason". 0 or -errno. */
int config_read_file(const char *path, char **buf, size_t *len, struct mg_errors *e);

/* config_client.c: a [Client NAME] section of the mesh file. client_open returns
 * the new client's index, or -1 (reported: ignore the section's keys). */
ssize_t client_open(struct mg_mesh *m, const struct ini_item *it, struct mg_errors *e);
void client_key(struct mg_mesh *m, size_t idx, const struct ini_item *it, struct mg_errors *e);
/* Required keys are reported missing at the header line. */
void client_finish(struct mg_mesh *m, size_t idx, struct mg_errors *e);
