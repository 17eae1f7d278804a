// SPDX-License-Identifier: GPL-2.0-only
/* Journald priorities: with $JOURNAL_STREAM naming stderr, every line starts with
 * "<3>".."<7>" (sd-daemon(3)); without it, or when it names another file (a child
 * whose stderr was redirected), lines are as on a terminal. Verbosity drops debug
 * unless -v. stderr is pointed at a temporary file to read the lines back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tap.h"
#include "lib/log.h"

static FILE *tmp;
static int saved_stderr;

/* Runs the four levels with stderr on a fresh file; returns what was written. */
static const char *log_all(void)
{
	static char buf[1024];
	size_t n;

	fflush(stderr);
	if (ftruncate(STDERR_FILENO, 0) || lseek(STDERR_FILENO, 0, SEEK_SET))
		return "";
	pr_err("e %d", 1);
	pr_warn("w");
	pr_info("i\n");
	pr_debug("d");
	fflush(stderr);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	return buf;
}

static void expect(const char *got, const char *want, const char *what)
{
	if (!tap_ok(!strcmp(got, want), "%s", what))
		tap_diag("got:\n%s", got);
}

static void set_stream(const char *value)
{
	if (value)
		setenv("JOURNAL_STREAM", value, 1);
	else
		unsetenv("JOURNAL_STREAM");
	log_setup();
}

int main(void)
{
	char here[64];
	struct stat st;
	const char *got;

	tmp = tmpfile();
	saved_stderr = dup(STDERR_FILENO);
	if (!tmp || saved_stderr < 0 || dup2(fileno(tmp), STDERR_FILENO) < 0 ||
	    fstat(STDERR_FILENO, &st))
		tap_skip_all("cannot redirect stderr to a temporary file");
	snprintf(here, sizeof(here), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);

	set_stream(NULL);
	got = log_all();
	tap_ok(!log_journal, "no JOURNAL_STREAM: not the journal");
	expect(got, "meshgw: error: e 1\nmeshgw: warning: w\nmeshgw: i\n",
	       "no JOURNAL_STREAM: plain lines, no debug");
	tap_ok(!strcmp(log_prio_prefix(LOG_ERR), ""), "no JOURNAL_STREAM: no prefix for the problem list");

	set_stream(here);
	got = log_all();
	tap_ok(log_journal, "JOURNAL_STREAM=%s (stderr's device:inode): the journal", here);
	expect(got, "<3>meshgw: error: e 1\n<4>meshgw: warning: w\n<6>meshgw: i\n",
	       "journal: <3> error, <4> warning, <6> info");
	log_verbosity = LOG_DEBUG;
	got = log_all();
	tap_ok(strstr(got, "<7>meshgw: debug: d\n") != NULL, "journal, verbose: <7> debug");
	log_verbosity = LOG_INFO;
	tap_ok(!strcmp(log_prio_prefix(LOG_ERR), "<3>"), "journal: <3> for the problem list");

	set_stream("1:2");
	got = log_all();
	tap_ok(!log_journal && !strncmp(got, "meshgw: error: ", 15),
	       "JOURNAL_STREAM of another file (inherited, stderr redirected): plain lines");
	set_stream("garbage");
	tap_ok(!log_journal, "JOURNAL_STREAM that does not parse: plain lines");

	dup2(saved_stderr, STDERR_FILENO);
	return tap_done();
}
