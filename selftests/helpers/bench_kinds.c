// SPDX-License-Identifier: GPL-2.0-only
/* Tools of selftests/bench/kinds.sh (forwarding rate and tunnel throughput per
 * interface kind, the kernel alone vs meshgw attached).
 *
 *   bench_kinds sink NS IF xdp|tc PINDIR
 *       Attaches a sink to IF in NS that counts the benchmark's frames (IPv4 UDP
 *       to port 9) and drops them, passing everything else; pins its counter as
 *       PINDIR/sink_count (and an XDP sink's link as PINDIR/sink_link). The TC
 *       sink gives IF no NAPI and works on devices without an Ethernet header.
 *   bench_kinds alt SECONDS SLICE_MS SRC DST NS0 IF0 SINK0 NS1 IF1 SINK1
 *       The same frames, fed in turn to two copies of a topology (arm 0: NS0,
 *       arm 1: NS1) from one thread pinned to CPU 0, in slices of SLICE_MS in the
 *       order 0 1 1 0 0 1 1 0 ... for SECONDS in all, so that both arms see the
 *       same machine. One line per slice: "slice I ARM SECS SENT RECEIVED CPU",
 *       where RECEIVED is what the arm's sink counted from the start of this slice
 *       to the start of the arm's next one (its frames in flight land there) and
 *       CPU the CPU time the generator's thread and ksoftirqd/0 got in the slice
 *       (the kernel has no IRQ time accounting: the softirqs that ran in the
 *       thread's context, most of the forwarding, are in its time; those CPU 0
 *       deferred are in ksoftirqd's, with other processes' softirqs), then
 *       "arm A sent N seconds S received R with_warmup_sent N2 received R2" per
 *       arm (N2, R2: also the unrecorded warm-up slice each arm gets first).
 *   bench_kinds ratio
 *       Reads pairs "NUM0 DEN0 NUM1 DEN1" (one measurement of each arm side by
 *       side) from stdin; prints "arm0 X arm1 Y ratio R ci95 LO HI totals T p10 A
 *       p90 B pairs N": X and Y the median of each arm's rates (NUM / DEN), R the
 *       median of the pairs' ratios (arm 1 / arm 0), LO..HI its 95 % bootstrap
 *       interval (pairs resampled), T the ratio of the arms' totals (sum NUM / sum
 *       DEN), A and B the 10th and 90th percentiles of the pairs' ratios. Medians,
 *       because a shared machine's noise is a long tail: one stall of a second
 *       in one slice moves a total by 10 %, a median not at all.
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

/* One copy of the topology the alternating generator feeds. */
struct arm {
	int nsfd, ifi, sinkfd;
	uint8_t frame[64];
	double secs;
	unsigned long long sent, received;
};

/* Frames per test run. Each run also costs a fixed ~1 ms here (the kernel pokes
 * the XDP dispatcher in and out, a new page pool is filled): 8192 frames, 10-30 ms
 * at these rates, keep that a few per cent, paid by both arms alike. */
#define ALT_CALL (1 << 13)
#define ALT_MAX_SLICES 100000

/* The CPU time of this thread, plus that of ksoftirqd/0 (the softirq work CPU 0
 * defers, some of it the arm's forwarding), in seconds. */
static char ksoftirqd_stat[64];

static double cpu_s(void)
{
	struct timespec ts;
	unsigned long long ns = 0;
	FILE *f = ksoftirqd_stat[0] ? fopen(ksoftirqd_stat, "r") : NULL;

	if (f) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9 + ns / 1e9;
}

static void find_ksoftirqd0(void)
{
	for (int pid = 2; pid < 4096 && !ksoftirqd_stat[0]; pid++) {
		char path[64], comm[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "ksoftirqd/0\n"))
			snprintf(ksoftirqd_stat, sizeof(ksoftirqd_stat), "/proc/%d/schedstat", pid);
		fclose(f);
	}
}

/* Feeds one arm for a slice; returns the seconds it took, adds the frames to *sent
 * and the CPU time this thread got meanwhile to *cpu. */
static double feed(struct bench_kinds_bpf *k, const struct arm *r, double slice_ms,
		   unsigned long long *sent, double *cpu)
{
	struct xdp_md ctx = { .ingress_ifindex = r->ifi, .data_end = 60 };
	double t0, t1;

	/* The live frames enter the stack of the calling thread's namespace. */
	if (setns(r->nsfd, CLONE_NEWNET))
		die("setns");
	memcpy(k->bss->tmpl, r->frame, 42);
	*sent = 0;
	*cpu = -cpu_s();
	t0 = now_s();
	do {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = r->frame, .data_size_in = 60,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = ALT_CALL,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);

		if (bpf_prog_test_run_opts(bpf_program__fd(k->progs.kinds_gen), &o))
			die("live frames");
		*sent += ALT_CALL;
		t1 = now_s();
	} while ((t1 - t0) * 1000 < slice_ms);
	*cpu += cpu_s();
	return t1 - t0;
}

static int alt(double total, double slice_ms, const char *src, const char *dst, char **a)
{
	struct bench_kinds_bpf *k = bench_kinds_bpf__open_and_load();
	static const uint8_t smac[6] = { 0x02, 0x6b, 0x69, 0x6e, 0x64, 0x73 };
	int n = (int)(total * 1000 / slice_ms + 0.5) / 4 * 4, arm_of[ALT_MAX_SLICES];
	static unsigned long long start[ALT_MAX_SLICES][2], sent[ALT_MAX_SLICES];
	static double secs[ALT_MAX_SLICES], cpu[ALT_MAX_SLICES];
	double warm_cpu;
	unsigned long long fin[2], c0[2], warm[2];
	struct arm arm[2];
	cpu_set_t cpus;

	if (!k)
		die("load");
	if (n < 4 || n > ALT_MAX_SLICES) {
		errno = EINVAL;
		die("number of slices");
	}
	for (int i = 0; i < 2; i++) {
		struct arm *r = &arm[i];
		const char *ns = a[3 * i], *ifn = a[3 * i + 1], *pin = a[3 * i + 2];
		uint8_t mac[6];
		struct pkt_spec s = { .family = 4, .src = src, .dst = dst, .proto = 17, .sport = 9,
				      .dport = 9, .pl = PL_RAW, .pl_len = 18, .smac = smac, .dmac = mac };

		memset(r, 0, sizeof(*r));
		r->nsfd = ns_fd(ns);
		r->sinkfd = bpf_obj_get(pin);
		if (r->sinkfd < 0)
			die(pin);
		if (setns(r->nsfd, CLONE_NEWNET))
			die("setns");
		r->ifi = ifindex(ifn);
		hwaddr(ifn, mac);
		if (pkt_build(r->frame, &s) != 60)
			die("frame size");
	}
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		die("pin to CPU 0");
	find_ksoftirqd0();
	if (!ksoftirqd_stat[0])
		fprintf(stderr, "bench_kinds: no ksoftirqd/0: CPU times are the generator's alone\n");
	/* One unrecorded slice per arm first: the first runs of a copy warm its ARP
	 * entries, caches and page pools. */
	c0[0] = percpu_sum(arm[0].sinkfd, 0, 1, 0);
	c0[1] = percpu_sum(arm[1].sinkfd, 0, 1, 0);
	for (int i = -2; i < n; i++) {
		int a_ = i < 0 ? i + 2 : (i + 1) / 2 % 2;
		double t;

		if (i >= 0) {
			arm_of[i] = a_;
			start[i][0] = percpu_sum(arm[0].sinkfd, 0, 1, 0);
			start[i][1] = percpu_sum(arm[1].sinkfd, 0, 1, 0);
		}
		t = feed(k, &arm[a_], slice_ms, i >= 0 ? &sent[i] : &warm[a_], i >= 0 ? &cpu[i] : &warm_cpu);
		if (i >= 0)
			secs[i] = t;
	}
	usleep(100000);	/* let the last frames land (a tun relay reads behind) */
	fin[0] = percpu_sum(arm[0].sinkfd, 0, 1, 0);
	fin[1] = percpu_sum(arm[1].sinkfd, 0, 1, 0);
	for (int i = 0; i < n; i++) {
		int a_ = arm_of[i], j = i + 1;
		unsigned long long end;

		while (j < n && arm_of[j] != a_)
			j++;
		end = j < n ? start[j][a_] : fin[a_];
		printf("slice %d %d %.6f %llu %llu %.6f\n", i, a_, secs[i], sent[i], end - start[i][a_], cpu[i]);
		arm[a_].secs += secs[i];
		arm[a_].sent += sent[i];
		arm[a_].received += end - start[i][a_];
	}
	for (int i = 0; i < 2; i++)
		printf("arm %d sent %llu seconds %.3f received %llu with_warmup_sent %llu received %llu\n",
		       i, arm[i].sent, arm[i].secs, arm[i].received, arm[i].sent + warm[i], fin[i] - c0[i]);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The P-th percentile (0..100) of N sorted values, linear between ranks. */
static double pctl(const double *v, int n, double p)
{
	double r = p / 100 * (n - 1);
	int i = (int)r;

	return i + 1 < n ? v[i] + (r - i) * (v[i + 1] - v[i]) : v[n - 1];
}

#define BOOT 4000

static int ratio(void)
{
	static double p[ALT_MAX_SLICES][4], pr[ALT_MAX_SLICES], r0[ALT_MAX_SLICES],
		r1[ALT_MAX_SLICES], boot[BOOT], re[ALT_MAX_SLICES];
	double s[4] = { 0 };
	unsigned int seed = 1;	/* the same resamples every run: the interval is reproducible */
	int n = 0;

	while (n < ALT_MAX_SLICES &&
	       scanf("%lf %lf %lf %lf", &p[n][0], &p[n][1], &p[n][2], &p[n][3]) == 4) {
		if (p[n][0] <= 0 || p[n][1] <= 0 || p[n][3] <= 0)
			continue;	/* an arm that got nothing has no ratio */
		r0[n] = p[n][0] / p[n][1];
		r1[n] = p[n][2] / p[n][3];
		pr[n] = r1[n] / r0[n];
		for (int j = 0; j < 4; j++)
			s[j] += p[n][j];
		n++;
	}
	if (!n) {
		printf("pairs 0\n");
		return 0;
	}
	for (int b = 0; b < BOOT; b++) {
		for (int i = 0; i < n; i++)
			re[i] = pr[rand_r(&seed) % n];
		qsort(re, n, sizeof(double), cmp_double);
		boot[b] = pctl(re, n, 50);
	}
	qsort(boot, BOOT, sizeof(double), cmp_double);
	qsort(pr, n, sizeof(double), cmp_double);
	qsort(r0, n, sizeof(double), cmp_double);
	qsort(r1, n, sizeof(double), cmp_double);
	printf("arm0 %.6g arm1 %.6g ratio %.4f ci95 %.4f %.4f totals %.4f p10 %.4f p90 %.4f pairs %d\n",
	       pctl(r0, n, 50), pctl(r1, n, 50), pctl(pr, n, 50), pctl(boot, BOOT, 2.5),
	       pctl(boot, BOOT, 97.5), (s[2] / s[3]) / (s[0] / s[1]), pctl(pr, n, 10),
	       pctl(pr, n, 90), n);
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
	if (argc == 12 && !strcmp(argv[1], "alt"))
		return alt(atof(argv[2]), atof(argv[3]), argv[4], argv[5], argv + 6);
	if (argc == 2 && !strcmp(argv[1], "ratio"))
		return ratio();
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
	fprintf(stderr, "usage: bench_kinds sink NS IF xdp|tc PINDIR |\n"
		"       alt SECONDS SLICE_MS SRC DST NS0 IF0 SINK0 NS1 IF1 SINK1 | ratio |\n"
		"       count SINKPIN | stats PINPATH | relay NS1 IF1 NS2 IF2 [NS3 IF3 NS4 IF4]\n");
	return 2;
}
