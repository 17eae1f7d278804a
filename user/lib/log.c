// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>
#include "lib/log.h"

int log_verbosity = LOG_INFO;

static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
	size_t n = strlen(fmt);

	if ((int)lvl > log_verbosity)
		return;
	fprintf(stderr, "meshgw: %s", prefix[lvl]);
	vfprintf(stderr, fmt, ap);
	if (!n || fmt[n - 1] != '\n')
		fputc('\n', stderr);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}
