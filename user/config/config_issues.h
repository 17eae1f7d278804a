/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to the mesh file's validation (config_validate.c, config_client.c):
 * problems are queued, then reported in line order, so that a file's problems read
 * top to bottom whichever check found them. */
#pragma once
#include <stddef.h>
#include "config/config.h"

struct issue {
	int line;
	size_t seq;
	char *msg;
};

struct issues {
	const char *path;
	struct mg_errors *e;
	struct issue *v;
	size_t n, cap;
	int count;	/* problems found, queued or not */
};

void issue(struct issues *is, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* config_client.c: the [Client NAME] sections against the sites and each other. */
void check_clients(const struct mg_mesh *m, struct issues *is);
