/* SPDX-License-Identifier: GPL-2.0-only */
/* meshgw run: the site's daemon. One thread, one epoll loop: a timerfd set to the
 * next 10 ms tick at which a peer or a periodic job is due (daemon/sched.c) drives
 * probes and failover decisions, a signalfd takes SIGHUP (reload) and
 * SIGTERM/SIGINT (exit, leaving the data path up). */
#pragma once

/* Brings the gateway up and runs until SIGTERM/SIGINT. Returns the exit code. */
int daemon_run(const char *mesh_path, const char *local_path);
