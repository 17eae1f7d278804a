/* SPDX-License-Identifier: GPL-2.0-only */
/* The service manager's notification protocol (sd_notify(3)) without libsystemd:
 * one datagram of NEWLINE-separated VAR=VALUE to the socket $NOTIFY_SOCKET names. */
#pragma once

/* Sends the formatted state ("READY=1", "STOPPING=1", "STATUS=..."). 0 when sent
 * or when $NOTIFY_SOCKET is unset (not started by systemd's Type=notify), else
 * -errno (-EINVAL for an address that is neither a path nor "@abstract"). */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
