/* SPDX-License-Identifier: GPL-2.0-only */
/* sysctls as files under /proc/sys. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Reads / writes a sysctl file ("/proc/sys/..."): the value without its newline.
 * 0 or -errno; a failed write is reported. */
int sysctl_read(const char *path, char *buf, size_t len);
int sysctl_write(const char *path, const char *value);

/* The IPv4 reverse-path filter the kernel applies to what comes in by ifname:
 * the larger of net.ipv4.conf.all.rp_filter and net.ipv4.conf.<ifname>.rp_filter
 * (0 off, 1 strict, 2 loose); 0 where they cannot be read. */
int sysctl_rp_filter(const char *ifname);

/* Does the kernel forward what comes in by ifname? IPv4 (AF_INET):
 * net.ipv4.conf.<ifname>.forwarding (net.ipv4.ip_forward sets it on every
 * device); IPv6: net.ipv6.conf.all.forwarding (ip6_forward asks only that).
 * True where it cannot be read. */
bool sysctl_forwarding(const char *ifname, int family);
