// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/log.h"

int log_verbosity = LOG_INFO;
bool log_journal;

void log_setup(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	log_journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
		      !fstat(STDERR_FILENO, &st) && st.st_dev == dev && st.st_ino == ino;
}

const char *log_prio_prefix(enum log_level lvl)
{
	/* syslog's LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */
	static const char *const prio[] = { "<3>", "<4>", "<6>", "<7>" };

	return log_journal ? prio[lvl] : "";
}

static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
	size_t n = strlen(fmt);

	if ((int)lvl > log_verbosity)
		return;
	fprintf(stderr, "%smeshgw: %s", log_prio_prefix(lvl), prefix[lvl]);
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
