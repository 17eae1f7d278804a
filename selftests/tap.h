/* SPDX-License-Identifier: GPL-2.0-only */
/* Minimal TAP producer for C tests run by prove. Plan printed at the end
 * ("done_testing" style), so a test that crashes midway is reported as failed. */
#pragma once
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)
#define is_int(got, want, name) ({ long long _g = (got), _w = (want); \
	int _r = tap_ok(_g == _w, "%s", name); \
	if (!_r) { tap_diag("  got %lld, want %lld", _g, _w); } _r; })
#define is_str(got, want, name) ({ const char *_g = (got), *_w = (want); \
	int _r = tap_ok(_g && _w && !strcmp(_g, _w), "%s", name); \
	if (!_r) { tap_diag("  got '%s', want '%s'", _g ? _g : "(null)", \
			    _w ? _w : "(null)"); } _r; })
