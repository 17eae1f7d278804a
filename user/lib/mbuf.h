/* SPDX-License-Identifier: GPL-2.0-only */
/* A growing text buffer. err sticks at the first failure (-ENOMEM after a failed
 * allocation), so the caller checks once at the end. */
#pragma once
#include <stddef.h>

struct mbuf {
	char *s;
	size_t len, cap;
	int err;
};
void mbuf_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mbuf_free(struct mbuf *b);
