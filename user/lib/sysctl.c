// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "lib/log.h"
#include "lib/sysctl.h"

int sysctl_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		ret = -errno;
	else {
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
	}
	close(fd);
	return ret;
}

int sysctl_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	size_t len = strlen(value);

	if (fd < 0) {
		ret = -errno;
		pr_err("cannot open %s: %s", path, strerror(errno));
		return ret;
	}
	if (write(fd, value, len) != (ssize_t)len) {
		ret = -errno;
		pr_err("cannot write %s to %s: %s", value, path, strerror(errno));
	}
	close(fd);
	return ret;
}

bool sysctl_forwarding(const char *ifname, int family)
{
	char path[128], v[16];

	if (family == AF_INET)
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", ifname);
	else
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/all/forwarding");
	return sysctl_read(path, v, sizeof(v)) || atoi(v) != 0;
}

int sysctl_rp_filter(const char *ifname)
{
	char path[128], all[16] = "0", dev[16] = "0";
	int a, d;

	sysctl_read("/proc/sys/net/ipv4/conf/all/rp_filter", all, sizeof(all));
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", ifname);
	sysctl_read(path, dev, sizeof(dev));
	a = atoi(all);
	d = atoi(dev);
	return a > d ? a : d;
}
