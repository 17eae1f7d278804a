/* SPDX-License-Identifier: GPL-2.0-only */
/* One logging module for meshgw and for libbpf's own output. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern int log_verbosity;	/* messages above this level are dropped */
/* stderr is the journal (see log_setup): each line starts with its syslog priority,
 * "<3>" error, "<4>" warning, "<6>" info, "<7>" debug, as sd-daemon(3) describes;
 * journald strips it and files the line at that priority. */
extern bool log_journal;

/* Sets log_journal: $JOURNAL_STREAM names stderr's device:inode when systemd
 * connected stderr to journald. A child whose stderr was redirected elsewhere
 * inherits the variable, hence the comparison. */
void log_setup(void);
/* "<3>" ... "<7>" for lvl when log_journal, else "": for the few lines written to
 * stderr without log_msg (the configuration's problem list). */
const char *log_prio_prefix(enum log_level lvl);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_route_libbpf(void);	/* send libbpf's messages through log_msg */
void log_libbpf_mute(void);	/* no libbpf message until log_libbpf_unmute */
void log_libbpf_unmute(void);

#define pr_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
