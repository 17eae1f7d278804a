// SPDX-License-Identifier: GPL-2.0-only
/* Tools of selftests/bench/kinds.sh (forwarding rate and tunnel throughput per
 * interface kind, the kernel alone vs meshgw attached).
 *
 *   bench_kinds sink NS IF xdp|tc PINDIR
 *       Attaches a sink to IF in NS that counts the benchmark's frames (IPv4 UDP
 *       to port 9) and drops them, passing everything else; pins its counter as
 *       PINDIR/sink_count (and an XDP sink's link as PINDIR/sink_link). The TC
 *       sink gives IF no NAPI and works on devices without an Ethernet header.
 *   bench_kinds gen NS IF SRC DST SECONDS SINKPIN
 *       From one thread pinned to CPU 0: 60-byte frames SRC -> DST (UDP 9 -> 9)
 *       as BPF_F_TEST_XDP_LIVE_FRAMES on IF in NS, returned XDP_PASS, so they
 *       enter NS's stack as if received on IF (addressed to IF's MAC) and NS
 *       routes them on like any host would. Runs for SECONDS; prints
 *       "frames N seconds S received R" with R read from the pinned counter.
 *   bench_kinds count SINKPIN
 *       The pinned sink counter.
 *   bench_kinds stats PINPATH
 *       meshgw's pinned PinPath/mg_stats, packets and bytes per verdict summed over CPUs,
 *       one "name packets" line each.
 *   bench_kinds relay NS1 IF1 NS2 IF2 [NS3 IF3 NS4 IF4]
 *       Creates layer-3 tun devices IF1 in NS1, IF2 in NS2, ... and copies packets
 *       between IF1 and IF2 (and IF3 and IF4) until killed: a layer-3 link.
 * Never fails on slowness. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "helpers/bench_util.h"
#include "unit/test_bpf_pkt.h"
#include "meshgw_bpf.h"
#include "dataplane/dataplane.h"
#include "dataplane/dp_maps.h"
#include "bench_kinds.skel.h"

static void enter(const char *ns)
{
	int fd = ns_fd(ns);

	if (setns(fd, CLONE_NEWNET))
		die("setns");
	close(fd);
}

static int ifindex(const char *ifn)
{
	int i = if_nametoindex(ifn);

	if (!i)
		die(ifn);
	return i;
}

static unsigned long long percpu_sum(int fd, __u32 key, size_t words, size_t word)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 v[ncpu * words];
	unsigned long long t = 0;

	if (bpf_map_lookup_elem(fd, &key, v))
		die("map read");
	for (int i = 0; i < ncpu; i++)
		t += v[i * words + word];
	return t;
}

static int sink(const char *ns, const char *ifn, const char *mode, const char *pindir)
{
	struct bench_kinds_bpf *k = bench_kinds_bpf__open_and_load();
	char path[512];
	int ifi;

	if (!k)
		die("load");
	enter(ns);
	ifi = ifindex(ifn);
	snprintf(path, sizeof(path), "%s/sink_count", pindir);
	if (bpf_map__pin(k->maps.sink_count, path))
		die(path);
	if (!strcmp(mode, "xdp")) {
		struct bpf_link *l = bpf_program__attach_xdp(k->progs.kinds_sink_xdp, ifi);

		snprintf(path, sizeof(path), "%s/sink_link", pindir);
		if (!l || bpf_link__pin(l, path))
			die("attach XDP sink");
	} else {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifi, .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, o, .prog_fd = bpf_program__fd(k->progs.kinds_sink_tc));
		int err = bpf_tc_hook_create(&hook);

		if (err && err != -EEXIST) {
			errno = -err;
			die("clsact");
		}
		err = bpf_tc_attach(&hook, &o);
		if (err) {
			errno = -err;
			die("attach TC sink");
		}
	}
	return 0;	/* the pins and the filter keep everything alive */
}

static int gen(const char *ns, const char *ifn, const char *src, const char *dst, double secs,
	       const char *sinkpin)
{
	struct bench_kinds_bpf *k = bench_kinds_bpf__open_and_load();
	int cfd = bpf_obj_get(sinkpin), ifi;
	uint8_t mac[6], frame[512];
	static const uint8_t smac[6] = { 0x02, 0x6b, 0x69, 0x6e, 0x64, 0x73 };
	unsigned long long c0, c1, sent = 0;
	cpu_set_t cpus;
	double t0, t1;

	if (!k || cfd < 0)
		die("load / sink counter");
	enter(ns);
	ifi = ifindex(ifn);
	hwaddr(ifn, mac);
	{
		struct pkt_spec s = { .family = 4, .src = src, .dst = dst, .proto = 17, .sport = 9,
				      .dport = 9, .pl = PL_RAW, .pl_len = 18, .smac = smac, .dmac = mac };

		if (pkt_build(frame, &s) != 60)
			die("frame size");
	}
	memcpy(k->bss->tmpl, frame, 42);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		die("pin to CPU 0");
	c0 = percpu_sum(cfd, 0, 1, 0);
	t0 = now_s();
	do {
		struct xdp_md ctx = { .ingress_ifindex = ifi, .data_end = 60 };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = 60,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1 << 18,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);

		if (bpf_prog_test_run_opts(bpf_program__fd(k->progs.kinds_gen), &o))
			die("live frames");
		sent += 1 << 18;
		t1 = now_s();
	} while (t1 - t0 < secs);
	usleep(50000);	/* let the last batches land (a tun relay reads behind) */
	c1 = percpu_sum(cfd, 0, 1, 0);
	printf("frames %llu seconds %.3f received %llu\n", sent, t1 - t0, c1 - c0);
	return 0;
}

static int stats(const char *pin)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin, MG_MAP_NAME(stats));
	fd = bpf_obj_get(path);
	if (fd < 0)
		die(path);
	for (__u32 i = 0; i < MG_STAT__MAX; i++)
		printf("%s %llu %llu\n", dp_stat_desc[i].name,
		       percpu_sum(fd, i, sizeof(struct mg_counter) / 8, 0),
		       percpu_sum(fd, i, sizeof(struct mg_counter) / 8, 1));
	return 0;
}

static int tun_open(const char *ns, const char *ifn)
{
	struct ifreq r = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd;

	enter(ns);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", ifn);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &r))
		die(ifn);
	return fd;
}

static __attribute__((noreturn)) void relay(int n, char **arg)
{
	struct pollfd p[4];
	static uint8_t buf[65536];

	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = tun_open(arg[2 * i], arg[2 * i + 1]), .events = POLLIN };
	for (;;) {
		if (poll(p, n, -1) < 0 && errno != EINTR)
			die("poll");
		for (int i = 0; i < n; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			/* A batch per wakeup; the pair of i is i ^ 1. What the other side
			 * refuses (down: EIO; not an IP packet: EINVAL) is dropped, as on
			 * a wire. */
			for (int b = 0; b < 64; b++) {
				ssize_t len = read(p[i].fd, buf, sizeof(buf));

				if (len <= 0)
					break;
				if (write(p[i ^ 1].fd, buf, len) < 0)
					continue;
			}
		}
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[1], "sink"))
		return sink(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 8 && !strcmp(argv[1], "gen"))
		return gen(argv[2], argv[3], argv[4], argv[5], atof(argv[6]), argv[7]);
	if (argc == 3 && !strcmp(argv[1], "count")) {
		int fd = bpf_obj_get(argv[2]);

		if (fd < 0)
			die(argv[2]);
		printf("%llu\n", percpu_sum(fd, 0, 1, 0));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "stats"))
		return stats(argv[2]);
	if ((argc == 6 || argc == 10) && !strcmp(argv[1], "relay"))
		relay((argc - 2) / 2, argv + 2);
	fprintf(stderr, "usage: bench_kinds sink NS IF xdp|tc PINDIR | gen NS IF SRC DST SECONDS SINKPIN |\n"
		"       count SINKPIN | stats PINPATH | relay NS1 IF1 NS2 IF2 [NS3 IF3 NS4 IF4]\n");
	return 2;
}
