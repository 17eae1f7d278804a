/* SPDX-License-Identifier: GPL-2.0-only */
/* sysctls as files under /proc/sys. */
#pragma once
#include <stddef.h>

/* Reads / writes a sysctl file ("/proc/sys/..."): the value without its newline.
 * 0 or -errno; a failed write is reported. */
int sysctl_read(const char *path, char *buf, size_t len);
int sysctl_write(const char *path, const char *value);

/* The IPv4 reverse-path filter the kernel applies to what comes in by ifname:
 * the larger of net.ipv4.conf.all.rp_filter and net.ipv4.conf.<ifname>.rp_filter
 * (0 off, 1 strict, 2 loose); 0 where they cannot be read. */
int sysctl_rp_filter(const char *ifname);
