/* SPDX-License-Identifier: GPL-2.0-only */
/* What the benchmark helpers (bpf_bench, bench_kinds) share: dying with a
 * message, entering the namespaces their scripts made, reading a MAC, a clock. */
#pragma once
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef BPF_F_TEST_XDP_LIVE_FRAMES
#define BPF_F_TEST_XDP_LIVE_FRAMES (1U << 1)	/* libbpf 1.1's headers predate it */
#endif

/* A benchmark that cannot set itself up measures nothing: stop. */
static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
	exit(1);
}

/* An fd of the network namespace `ip netns add NAME` made. */
static inline int ns_fd(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	return fd;
}

static inline void hwaddr(const char *ifn, uint8_t mac[6])
{
	struct ifreq r = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", ifn);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &r))
		die(ifn);
	memcpy(mac, r.ifr_hwaddr.sa_data, 6);
	close(s);
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
