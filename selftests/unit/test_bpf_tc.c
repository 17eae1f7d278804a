/* Table-driven BPF_PROG_TEST_RUN tests of bpf/tc_lan.bpf.c and bpf/tc_wg.bpf.c:
 * {description, program, input packet, expected verdict, expected counter deltas}.
 * The programs change a packet only when they forward it themselves (redirect):
 * one TTL / hop limit less, with the IPv4 checksum rebuilt from scratch for the
 * expected output; every other output must equal the input.
 * Test runs of TC programs always carry an Ethernet header; tc_wg is told so with
 * its l3_off setting (0 on the real, layer-3 WireGuard device). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"	/* table rows omit unused fields */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tap.h"
#include "test_bpf_pkt.h"
#include "meshgw_bpf.h"
#include "dataplane/dataplane.h"
#include "dataplane/dp_fill.h"
#include "test_bpf_routes.h"
#include "tc_lan.skel.h"
#include "tc_wg.skel.h"

#define TC_ACT_OK 0
#define TC_ACT_REDIRECT 7

enum prog { P_LAN, P_WG_EGRESS, P_WG_INGRESS };

struct row {
	const char *desc;
	enum prog prog;
	struct pkt_spec in;
	int truncate;		/* >0: cut the frame to this many bytes */
	int verdict;
	int stat;		/* enum mg_stat that moves by one (-1: none) */
	int stat2;		/* a second one (-1: none) */
	int peer;		/* peer whose counter moves, -1 none */
	int field;		/* 0 rx, 1 tx (tc_wg) */
	int mangle;		/* >0: byte 14 (IP version/IHL) set to this */
	uint8_t out_ttl;	/* >0: the output is the input with this TTL / hop limit */
};

#define V4(s, d) .family = 4, .src = s, .dst = d
#define V6(s, d) .family = 6, .src = s, .dst = d
#define PL .proto = 1, .pl = PL_RAW, .pl_len = 8
#define PL6 .proto = 58, .pl = PL_RAW, .pl_len = 8

static const struct row rows[] = {
	{ "tc_lan: v4 to a remote range is redirected into the wg device", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_LAN_REDIRECT, -1, -1, .out_ttl = 63 },
	{ "tc_lan: v6 to a remote range is redirected", P_LAN,
	  { V6("fd00::5", "fd01::9"), PL6 }, 0, TC_ACT_REDIRECT, MG_STAT_TC_LAN_REDIRECT, -1, -1, .out_ttl = 63 },
	{ "tc_lan: v4 to a remote range, 88 bytes, wg MTU 68: left to the kernel (ICMP)", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), .proto = 17, .sport = 1, .dport = 2, .pl = PL_RAW, .pl_len = 60 }, 0, TC_ACT_OK, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 to a remote range, exactly the wg MTU: redirected", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), .proto = 17, .sport = 1, .dport = 2, .pl = PL_RAW, .pl_len = 40 }, 0, TC_ACT_REDIRECT, MG_STAT_TC_LAN_REDIRECT, -1, -1, .out_ttl = 63 },
	{ "tc_lan: v6 to a remote range, 108 bytes: left to the kernel", P_LAN,
	  { V6("fd00::5", "fd01::9"), .proto = 17, .sport = 1, .dport = 2, .pl = PL_RAW, .pl_len = 60 }, 0, TC_ACT_OK, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 to a remote range with TTL 1: left to the kernel (ICMP time exceeded)", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL, .ttl = 1 }, 0, TC_ACT_OK, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 to a remote range with TTL 2: redirected with TTL 1", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL, .ttl = 2 }, 0, TC_ACT_REDIRECT, MG_STAT_TC_LAN_REDIRECT, -1, -1, .out_ttl = 1 },
	{ "tc_lan: v6 to a remote range with hop limit 1: left to the kernel", P_LAN,
	  { V6("fd00::5", "fd01::9"), PL6, .ttl = 1 }, 0, TC_ACT_OK, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 to a remote range in a frame for another host's MAC: TC_ACT_OK (kernel drops it)", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL, .dmac = (const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x77 } }, 0, TC_ACT_OK, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 to the internet: TC_ACT_OK", P_LAN,
	  { V4("10.0.0.5", "198.51.100.1"), PL }, 0, TC_ACT_OK, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 to our own range: TC_ACT_OK", P_LAN,
	  { V4("10.0.0.5", "10.0.0.7"), PL }, 0, TC_ACT_OK, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v6 to the internet: TC_ACT_OK", P_LAN,
	  { V6("fd00::5", "2001:db8::1"), PL6 }, 0, TC_ACT_OK, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 header cut short: TC_ACT_OK", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 30, TC_ACT_OK, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v6 header cut short: TC_ACT_OK", P_LAN,
	  { V6("fd00::5", "fd01::9"), PL6 }, 50, TC_ACT_OK, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_wg egress: v4 to peer 1 counted as tx", P_WG_EGRESS,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 0, TC_ACT_OK, MG_STAT_TC_WG_TX, -1, 1, 1 },
	{ "tc_wg egress: v6 to peer 2's address counted as tx", P_WG_EGRESS,
	  { V6("fd00::5", "fd99::2"), PL6 }, 0, TC_ACT_OK, MG_STAT_TC_WG_TX, -1, 2, 1 },
	{ "tc_wg egress: destination in no range: not counted", P_WG_EGRESS,
	  { V4("10.0.0.5", "198.51.100.1"), PL }, 0, TC_ACT_OK, MG_STAT_TC_WG_OK, -1, -1 },
	{ "tc_wg egress: truncated IP header: not counted", P_WG_EGRESS,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 20, TC_ACT_OK, MG_STAT_TC_WG_OK, -1, -1 },
	{ "tc_wg ingress: v4 from peer 1 to our range: counted rx, redirect_neigh to the LAN", P_WG_INGRESS,
	  { V4("10.1.2.3", "10.0.0.5"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_WG_RX, MG_STAT_TC_WG_RX_REDIRECT, 1, 0, .out_ttl = 63 },
	{ "tc_wg ingress: v4 from peer 1 to our range with TTL 1: counted, left to the kernel", P_WG_INGRESS,
	  { V4("10.1.2.3", "10.0.0.5"), PL, .ttl = 1 }, 0, TC_ACT_OK, MG_STAT_TC_WG_RX, -1, 1, 0 },
	{ "tc_wg ingress: v6 from peer 1 to our range with hop limit 1: counted, left to the kernel", P_WG_INGRESS,
	  { V6("fd01::9", "fd00::5"), PL6, .ttl = 1 }, 0, TC_ACT_OK, MG_STAT_TC_WG_RX, -1, 1, 0 },
	{ "tc_wg ingress: v6 from peer 1 to our range: counted, redirected", P_WG_INGRESS,
	  { V6("fd01::9", "fd00::5"), PL6 }, 0, TC_ACT_REDIRECT, MG_STAT_TC_WG_RX, MG_STAT_TC_WG_RX_REDIRECT, 1, 0, .out_ttl = 63 },
	{ "tc_wg ingress: from peer 2 to the gateway's mesh address (not a LAN range): counted, OK", P_WG_INGRESS,
	  { V4("192.168.254.3", "192.168.254.1"), PL }, 0, TC_ACT_OK, MG_STAT_TC_WG_RX, -1, 2, 0 },
	{ "tc_wg ingress: from peer 1 to the gateway's own LAN address: counted, local (OK)", P_WG_INGRESS,
	  { V4("10.1.2.3", "10.0.0.1"), PL }, 0, TC_ACT_OK, MG_STAT_TC_WG_RX, -1, 1, 0 },
	{ "tc_wg ingress: from peer 1 to our range without a neighbour yet: redirected", P_WG_INGRESS,
	  { V4("10.1.2.3", "10.0.0.77"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_WG_RX, MG_STAT_TC_WG_RX_REDIRECT, 1, 0, .out_ttl = 63 },
	{ "tc_wg ingress: version nibble 6 on a 20-byte IPv4 header: OK, nothing counted", P_WG_INGRESS,
	  { V4("10.1.2.3", "10.0.0.5"), .proto = 1, .pl = PL_RAW, .pl_len = 0 }, 0, TC_ACT_OK, MG_STAT_TC_WG_OK, -1, -1, 0, 0x60 },
	{ "tc_wg egress: version nibble 5: OK, nothing counted", P_WG_EGRESS,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 0, TC_ACT_OK, MG_STAT_TC_WG_OK, -1, -1, 0, 0x55 },
	{ "tc_wg ingress: unknown source: not counted, OK", P_WG_INGRESS,
	  { V4("198.51.100.1", "198.51.100.2"), PL }, 0, TC_ACT_OK, MG_STAT_TC_WG_OK, -1, -1 },
	{ "tc_wg ingress: unknown source to our range: delivered, no peer counted", P_WG_INGRESS,
	  { V4("198.51.100.1", "10.0.0.5"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_WG_RX_REDIRECT, -1, -1, .out_ttl = 63 },
	{ "tc_wg ingress: truncated v6 header: OK, nothing counted", P_WG_INGRESS,
	  { V6("fd01::9", "fd00::5"), PL6 }, 40, TC_ACT_OK, MG_STAT_TC_WG_OK, -1, -1 },
};

static int ncpus, ifi_wg, ifi_lan, ifi_wgm;	/* wgm: the wg device for tc_lan, MTU 68 */

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		tap_diag("command failed (%d): %s", rc, cmd);
	return rc;
}

/* A private namespace: "lan" (10.0.0.1/24, fd00::1/64) where redirect_neigh
 * delivers, "wgx" standing in for the WireGuard device (forwarding on). */
static int netns_setup(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	if (sh("ip link set lo up && ip link add lan type veth peer name lanp && "
	       "ip link add wgx type veth peer name wgxp && "
	       "ip link set wgx address 02:00:00:00:00:02 && "	/* MAC_GW: frames are for us */
	       "for i in lan lanp wgx wgxp; do ip link set $i up; done && "
	       "ip addr add 10.0.0.1/24 dev lan && ip -6 addr add fd00::1/64 dev lan nodad && "
	       "ip addr add 192.168.254.1/24 dev wgx && "
	       "ip link add wgm mtu 68 type veth peer name wgmp && "
	       "ip route add 10.1.0.0/16 dev wgx && ip -6 route add fd01::/32 dev wgx && "
	       "ip neigh add 10.0.0.5 lladdr 02:00:00:00:00:05 dev lan nud permanent && "
	       "ip -6 neigh add fd00::5 lladdr 02:00:00:00:00:05 dev lan nud permanent && "
	       "echo 1 > /proc/sys/net/ipv4/ip_forward && "
	       "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding"))
		return -EIO;
	ifi_wg = if_nametoindex("wgx");
	ifi_wgm = if_nametoindex("wgm");
	ifi_lan = if_nametoindex("lan");
	return ifi_wg && ifi_lan && ifi_wgm ? 0 : -ENODEV;
}

static bool fill(struct test_routes *t)
{
	return !test_route_add(t, "10.1.0.0/16", 1, MG_ROUTE_REMOTE) &&
	       !test_route_add(t, "fd01::/32", 1, MG_ROUTE_REMOTE) &&
	       !test_route_add(t, "192.168.254.3/32", 2, MG_ROUTE_REMOTE) &&
	       !test_route_add(t, "fd99::2/128", 2, MG_ROUTE_REMOTE) &&
	       !test_route_add(t, "10.0.0.0/24", 0, MG_ROUTE_SELF) &&
	       !test_route_add(t, "fd00::/64", 0, MG_ROUTE_SELF);
}

static void read_stats(int fd, uint64_t out[MG_STAT__MAX])
{
	struct mg_counter v[ncpus];

	for (uint32_t i = 0; i < MG_STAT__MAX; i++) {
		out[i] = 0;
		if (!bpf_map_lookup_elem(fd, &i, v))
			for (int c = 0; c < ncpus; c++)
				out[i] += v[c].packets;
	}
}

/* rx, tx, lan packets and rx/tx bytes of a peer, summed over CPUs. */
static void peer_read(int fd, uint32_t peer, uint64_t o[5])
{
	struct mg_peer_stats v[ncpus];

	memset(o, 0, 5 * sizeof(*o));
	if (bpf_map_lookup_elem(fd, &peer, v))
		return;
	for (int c = 0; c < ncpus; c++) {
		o[0] += v[c].rx_packets;
		o[1] += v[c].tx_packets;
		o[2] += v[c].lan_packets;
		o[3] += v[c].rx_bytes;
		o[4] += v[c].tx_bytes;
	}
}

int main(void)
{
	struct tc_lan_bpf *lan;
	struct tc_wg_bpf *wg;
	struct bpf_map *m;
	int fds[3], stats_fd[3], peer_fd[3];

	if (geteuid())
		tap_skip_all("BPF_PROG_TEST_RUN needs root");
	ncpus = libbpf_num_possible_cpus();
	if (netns_setup())
		tap_skip_all("cannot build the test network namespace");

	lan = tc_lan_bpf__open();
	wg = tc_wg_bpf__open();
	if (!ok(lan && wg, "open tc_lan and tc_wg"))
		return tap_done();
	bpf_object__for_each_map(m, lan->obj)
		bpf_map__set_pin_path(m, NULL);
	bpf_object__for_each_map(m, wg->obj)
		bpf_map__set_pin_path(m, NULL);
	lan->rodata->wg_ifindex = ifi_wgm;	/* test runs do not perform the redirect */
	wg->rodata->lan_ifindex = ifi_lan;
	wg->rodata->l3_off = 14;
	if (!ok(!tc_lan_bpf__load(lan), "load tc_lan (verifier)") ||
	    !ok(!tc_wg_bpf__load(wg), "load tc_wg (verifier)"))
		return tap_done();
	{
		struct test_routes rl = { .fd4 = bpf_map__fd(lan->maps.mg_routes4),
					  .fd6 = bpf_map__fd(lan->maps.mg_routes6) };
		struct test_routes rw = { .fd4 = bpf_map__fd(wg->maps.mg_routes4),
					  .fd6 = bpf_map__fd(wg->maps.mg_routes6) };

		ok(fill(&rl) && fill(&rw), "routes added");
		ok(!dp_route_filter_write(bpf_map__fd(lan->maps.mg_route_filter), rl.filter) &&
		   !dp_route_filter_write(bpf_map__fd(wg->maps.mg_route_filter), rw.filter),
		   "route filters written");
	}
	fds[P_LAN] = bpf_program__fd(lan->progs.mg_tc_lan);
	fds[P_WG_EGRESS] = bpf_program__fd(wg->progs.mg_tc_wg_egress);
	fds[P_WG_INGRESS] = bpf_program__fd(wg->progs.mg_tc_wg_ingress);
	stats_fd[P_LAN] = bpf_map__fd(lan->maps.mg_stats);
	stats_fd[P_WG_EGRESS] = stats_fd[P_WG_INGRESS] = bpf_map__fd(wg->maps.mg_stats);
	peer_fd[P_LAN] = bpf_map__fd(lan->maps.mg_peer_stats);
	peer_fd[P_WG_EGRESS] = peer_fd[P_WG_INGRESS] = bpf_map__fd(wg->maps.mg_peer_stats);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		uint8_t in[512], out[512];
		size_t len = pkt_build(in, &r->in);
		uint64_t s0[MG_STAT__MAX], s1[MG_STAT__MAX], p0[4][5], p1[5];
		struct __sk_buff ctx = { .ifindex = ifi_wg };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);
		bool good = true;
		int err;

		if (r->truncate)
			len = r->truncate;
		if (r->mangle)
			in[14] = r->mangle;
		o.data_size_in = len;
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
		read_stats(stats_fd[r->prog], s0);
		for (int p = 0; p < 4; p++)
			peer_read(peer_fd[r->prog], p, p0[p]);
		err = bpf_prog_test_run_opts(fds[r->prog], &o);
		if (r->truncate) {
			/* The kernel refuses skb test runs whose IP header is cut: the
			 * programs' own bounds checks are covered by the XDP table and
			 * the mangled rows. */
			ok(err == -EINVAL || (!err && o.retval == (__u32)r->verdict),
			   "%s (kernel refused: %d)", r->desc, err);
			continue;
		}
		if (!is_int(err, 0, r->desc))
			continue;
		good &= is_int(o.retval, r->verdict, "  verdict");
		if (r->out_ttl) {
			struct pkt_spec want = r->in;
			uint8_t exp[512];

			want.ttl = r->out_ttl;
			pkt_build(exp, &want);
			ok(o.data_size_out == len && !memcmp(exp, out, len),
			   "  packet forwarded with TTL %u and a valid checksum", r->out_ttl);
		} else {
			ok(o.data_size_out == len && !memcmp(in, out, len), "  packet unchanged");
		}
		read_stats(stats_fd[r->prog], s1);
		for (int s = 0; s < MG_STAT__MAX; s++) {
			uint64_t d = s1[s] - s0[s], w = s == r->stat || s == r->stat2;

			if (d != w) {
				good = false;
				tap_diag("  stat %d moved by %llu, want %llu", s,
					 (unsigned long long)d, (unsigned long long)w);
			}
		}
		for (int p = 0; p < 4; p++) {
			peer_read(peer_fd[r->prog], p, p1);
			for (int f = 0; f < 3; f++) {
				uint64_t d = p1[f] - p0[p][f], w = p == r->peer && f == r->field;

				if (d != w) {
					good = false;
					tap_diag("  peer %d field %d moved by %llu, want %llu", p, f,
						 (unsigned long long)d, (unsigned long long)w);
				}
			}
			/* Bytes: the IP packet (skb->len includes the test's Ethernet header). */
			if (p == r->peer && p1[3 + r->field] - p0[p][3 + r->field] != len) {
				good = false;
				tap_diag("  peer %d bytes moved by %llu, want %zu", p,
					 (unsigned long long)(p1[3 + r->field] - p0[p][3 + r->field]), len);
			}
		}
		ok(good, "  counters: exactly the expected deltas");
	}

	tc_lan_bpf__destroy(lan);
	tc_wg_bpf__destroy(wg);
	return tap_done();
}
