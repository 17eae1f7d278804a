/* SPDX-License-Identifier: GPL-2.0-only */
/* sysctls as files under /proc/sys. */
#pragma once
#include <stddef.h>

/* Reads / writes a sysctl file ("/proc/sys/..."): the value without its newline.
 * 0 or -errno; a failed write is reported. */
int sysctl_read(const char *path, char *buf, size_t len);
int sysctl_write(const char *path, const char *value);
