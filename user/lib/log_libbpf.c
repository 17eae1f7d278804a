// SPDX-License-Identifier: GPL-2.0-only
/* Route libbpf's messages through meshgw's logger (kept apart from log.c so the
 * config fuzzer links without libbpf). */
#include <stdio.h>
#include <bpf/libbpf.h>
#include "lib/log.h"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	enum log_level lvl = level == LIBBPF_WARN ? LOG_WARN :
			     level == LIBBPF_INFO ? LOG_DEBUG : LOG_DEBUG;

	if ((int)lvl > log_verbosity)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_msg(lvl, "libbpf: %s", buf);
	return 0;
}

void log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

/* Probes whose failure is an expected answer (a qdisc exists, no such filter,
 * no pin yet) would have libbpf print the kernel's message: silenced there. */
static libbpf_print_fn_t muted_saved;

void log_libbpf_mute(void)
{
	muted_saved = libbpf_set_print(NULL);
}

void log_libbpf_unmute(void)
{
	libbpf_set_print(muted_saved);
}
