// SPDX-License-Identifier: GPL-2.0-only
/* The internet exit in the BPF programs, through BPF_PROG_TEST_RUN, with the exit
 * maps filled by the loader's own dp_sync_exit: tc_lan redirects exit traffic into
 * the WireGuard device (one TTL less, counted per exit peer in IP bytes) and only
 * that: not with the exit off, not from a source outside ExitSources, not to the
 * mesh Network, our own ranges or the gateway itself, not with TTL 1; xdp_lan
 * passes it to TC; tc_wg counts it (and its replies) for the exit peer. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"	/* rows omit unused fields */
#pragma GCC diagnostic ignored "-Wunused-function"	/* test_bpf_maps.h helpers not used here */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tap.h"
#include "test_bpf_maps.h"
#include "test_bpf_pkt.h"
#include "test_bpf_routes.h"
#include "dataplane/dp_exit.h"
#include "dataplane/dp_fill.h"
#include "tc_lan.skel.h"
#include "tc_wg.skel.h"
#include "xdp_lan.skel.h"

#define TC_ACT_UNSPEC (-1)	/* how meshgw's programs hand a packet on (bpf/lib/net.h) */
#define TC_ACT_REDIRECT 7
#define EXIT_PEER 1

static int ifi_lan, ifi_wg;

static int netns_setup(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	/* lan: the LAN NIC with our own range and MAC_GW; wgx: stands for the wg
	 * device; a default route (the local internet) and an address of ours that
	 * is in no egress range (an uplink's). */
	if (system("ip link set lo up && ip link add lan type veth peer name lanp && "
		   "ip link add wgx type veth peer name wgxp && "
		   "ip link set lan address 02:00:00:00:00:02 && "
		   "for i in lan lanp wgx wgxp; do ip link set $i up; done && "
		   "ip addr add 10.0.0.1/24 dev lan && ip -6 addr add fd00::1/64 dev lan nodad && "
		   "ip addr add 203.0.113.1/24 dev wgxp && "
		   "ip route add default via 203.0.113.2 && "
		   "echo 1 > /proc/sys/net/ipv4/ip_forward"))
		return -EIO;
	ifi_lan = if_nametoindex("lan");
	ifi_wg = if_nametoindex("wgx");
	return ifi_lan && ifi_wg ? 0 : -ENODEV;
}

/* The configuration: this site a (egress 10.0.0.0/24, fd00::/64), site b, the
 * first ExitVia, in peer slot EXIT_PEER; ExitSources one host /32 and fd00::/64. */
static struct mg_site sites[2];
static struct prefix egress_a[2];

static void config(struct mg_config *c)
{
	memset(c, 0, sizeof(*c));
	prefix_parse(&egress_a[0], "10.0.0.0/24", false);
	prefix_parse(&egress_a[1], "fd00::/64", false);
	strcpy(sites[0].name, "a");
	sites[0].egress = egress_a;
	sites[0].n_egress = 2;
	strcpy(sites[1].name, "b");
	sites[1].exit = true;
	c->mesh.sites = sites;
	c->mesh.n_sites = 2;
	prefix_parse(&c->mesh.network, "192.168.254.0/24", false);
	c->self = &sites[0];
	strcpy(c->local.exit_via[0], "b");
	c->local.n_exit_via = 1;
	prefix_parse(&c->local.exit_sources.p[0], "10.0.0.5/32", false);
	prefix_parse(&c->local.exit_sources.p[1], "fd00::/64", false);
	c->local.exit_sources.n = 2;
}

/* Fills one object's exit and route maps as the loader does. */
static bool fill(struct bpf_object *obj, const struct mg_config *c)
{
	struct dp_fds f;
	struct test_routes r = { 0 };
	static const uint32_t idx[2] = { 0, EXIT_PEER };

	memset(&f, -1, sizeof(f));
	f.exit = bpf_object__find_map_fd_by_name(obj, "mg_exit");
	f.exit4 = bpf_object__find_map_fd_by_name(obj, "mg_exit4");
	f.exit6 = bpf_object__find_map_fd_by_name(obj, "mg_exit6");
	r.fd4 = bpf_object__find_map_fd_by_name(obj, "mg_routes4");
	r.fd6 = bpf_object__find_map_fd_by_name(obj, "mg_routes6");
	return !dp_sync_exit(&f, c, idx) &&
	       !test_route_add(&r, "10.0.0.0/24", 0, MG_ROUTE_SELF) &&
	       !test_route_add(&r, "fd00::/64", 0, MG_ROUTE_SELF) &&
	       !test_route_add(&r, "10.1.0.0/24", EXIT_PEER, MG_ROUTE_REMOTE) &&
	       !test_route_add(&r, "192.168.254.2/32", EXIT_PEER, MG_ROUTE_REMOTE) &&
	       !test_routes_commit(&r, obj);
}

static void exit_read(struct bpf_object *obj, struct mg_exit_stats *out)
{
	struct mg_exit_stats v[ncpus];
	uint32_t k = EXIT_PEER;

	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(bpf_object__find_map_fd_by_name(obj, "mg_exit_stats"), &k, v))
		return;
	for (int i = 0; i < ncpus; i++) {
		out->tx_packets += v[i].tx_packets;
		out->tx_bytes += v[i].tx_bytes;
		out->rx_packets += v[i].rx_packets;
		out->rx_bytes += v[i].rx_bytes;
	}
}

static void peer_read(struct bpf_object *obj, uint64_t *rx, uint64_t *tx)
{
	struct mg_peer_stats v[ncpus];
	uint32_t k = EXIT_PEER;

	*rx = *tx = 0;
	if (bpf_map_lookup_elem(bpf_object__find_map_fd_by_name(obj, "mg_peer_stats"), &k, v))
		return;
	for (int i = 0; i < ncpus; i++) {
		*rx += v[i].rx_packets;
		*tx += v[i].tx_packets;
	}
}

static void exit_on(struct bpf_object *obj, bool on)
{
	struct mg_exit x = { .peer = EXIT_PEER, .on = on };
	uint32_t zero = 0;

	bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "mg_exit"), &zero, &x, BPF_ANY);
}

/* One test run of prog on the packet s from ifindex; the verdict, *out_ttl the
 * TTL / hop limit of the output. */
static int run(int prog, const struct pkt_spec *s, int ifindex, bool xdp, int *out_ttl, size_t *len)
{
	uint8_t in[512], out[512];
	struct __sk_buff skb = { .ifindex = (__u32)ifindex };
	struct xdp_md md = { .ingress_ifindex = (__u32)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	*len = pkt_build(in, s);
	o.data_size_in = *len;
	if (xdp) {
		md.data_end = (__u32)*len;	/* the frame is data .. data_end */
		o.ctx_in = &md;
		o.ctx_size_in = sizeof(md);
	} else {
		o.ctx_in = &skb;
		o.ctx_size_in = sizeof(skb);
	}
	if (bpf_prog_test_run_opts(prog, &o))
		return INT_MIN;		/* not run (a verdict may be -1) */
	*out_ttl = s->family == 4 ? out[14 + 8] : out[14 + 7];
	return (int)o.retval;
}

#define V4(s, d) .family = 4, .src = s, .dst = d, .proto = 17, .sport = 1000, .dport = 53, .pl = PL_RAW, .pl_len = 8
#define V6(s, d) .family = 6, .src = s, .dst = d, .proto = 17, .sport = 1000, .dport = 53, .pl = PL_RAW, .pl_len = 8

static void tc_lan_rows(struct tc_lan_bpf *lan)
{
	static const struct {
		const char *desc;
		struct pkt_spec in;
		bool on, steered;
	} rows[] = {
		{ "v4 from an exit source to the internet: into the wg device", { V4("10.0.0.5", "198.51.100.1") }, true, true },
		{ "v6 from an exit source to the internet: into the wg device", { V6("fd00::5", "2001:db8::1") }, true, true },
		{ "  the same with the exit off (every ExitVia down): left to the kernel", { V4("10.0.0.5", "198.51.100.1") }, false, false },
		{ "  v6 with the exit off", { V6("fd00::5", "2001:db8::1") }, false, false },
		{ "a source outside ExitSources: left to the kernel", { V4("10.0.0.6", "198.51.100.1") }, true, false },
		{ "to an address of the mesh Network that no site has: not the exit", { V4("10.0.0.5", "192.168.254.77") }, true, false },
		{ "to our own range: not the exit", { V4("10.0.0.5", "10.0.0.9") }, true, false },
		{ "to the gateway itself (an uplink address): not the exit", { V4("10.0.0.5", "203.0.113.1") }, true, false },
		{ "TTL 1: left to the kernel (time exceeded)", { V4("10.0.0.5", "198.51.100.1"), .ttl = 1 }, true, false },
	};
	int prog = bpf_program__fd(lan->progs.mg_tc_lan);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mg_exit_stats e0, e1;
		uint64_t s0[MG_STAT__MAX], s1[MG_STAT__MAX];
		int verdict, ttl;
		size_t len;

		exit_on(lan->obj, rows[i].on);
		exit_read(lan->obj, &e0);
		read_stats(bpf_map__fd(lan->maps.mg_stats), s0);
		verdict = run(prog, &rows[i].in, ifi_lan, false, &ttl, &len);
		exit_read(lan->obj, &e1);
		read_stats(bpf_map__fd(lan->maps.mg_stats), s1);
		if (rows[i].steered) {
			ok(verdict == TC_ACT_REDIRECT && ttl == 63 &&
			   e1.tx_packets - e0.tx_packets == 1 && e1.tx_bytes - e0.tx_bytes == len - 14 &&
			   s1[MG_STAT_TC_EXIT] - s0[MG_STAT_TC_EXIT] == 1,
			   "tc_lan: %s (TTL 63, counted once for the exit peer, %zu IP bytes)", rows[i].desc,
			   len - 14);
		} else {
			/* No NIC is in mg_ifaces here: the fast path forwards nothing,
			 * so TC_ACT_UNSPEC is the kernel's path, never the wg device. */
			ok(verdict == TC_ACT_UNSPEC && e1.tx_packets == e0.tx_packets &&
			   s1[MG_STAT_TC_EXIT] == s0[MG_STAT_TC_EXIT],
			   "tc_lan: %s (TC_ACT_UNSPEC, nothing counted for the exit)", rows[i].desc);
		}
	}
}

int main(void)
{
	struct tc_lan_bpf *lan;
	struct tc_wg_bpf *wg;
	struct xdp_lan_bpf *xdp;
	struct bpf_map *m;
	struct mg_config c;
	struct mg_exit_stats e0, e1;
	uint64_t s0[MG_STAT__MAX], s1[MG_STAT__MAX], rx0, tx0, rx1, tx1;
	int verdict, ttl;
	size_t len;

	if (geteuid())
		tap_skip_all("BPF_PROG_TEST_RUN needs root");
	ncpus = libbpf_num_possible_cpus();
	if (netns_setup())
		tap_skip_all("cannot build the test network namespace");
	config(&c);
	lan = tc_lan_bpf__open();
	wg = tc_wg_bpf__open();
	xdp = xdp_lan_bpf__open();
	if (!ok(lan && wg && xdp, "open tc_lan, tc_wg, xdp_lan"))
		return tap_done();
	bpf_object__for_each_map(m, lan->obj)
		bpf_map__set_pin_path(m, NULL);
	bpf_object__for_each_map(m, wg->obj)
		bpf_map__set_pin_path(m, NULL);
	bpf_object__for_each_map(m, xdp->obj)
		bpf_map__set_pin_path(m, NULL);
	lan->rodata->wg_ifindex = ifi_wg;	/* test runs do not perform the redirect */
	wg->rodata->lan_ifindex = ifi_lan;
	wg->rodata->l3_off = 14;
	xdp->rodata->own_ifindex[0] = ifi_lan;
	memcpy((void *)xdp->rodata->own_mac[0], MAC_GW, 6);
	if (!ok(!tc_lan_bpf__load(lan) && !tc_wg_bpf__load(wg) && !xdp_lan_bpf__load(xdp),
		"load (verifier)"))
		return tap_done();
	if (!ok(fill(lan->obj, &c) && fill(wg->obj, &c) && fill(xdp->obj, &c),
		"exit maps filled by dp_sync_exit, routes added"))
		return tap_done();

	tc_lan_rows(lan);

	/* ExitDestinations: only those take the exit, once dp_sync_exit resyncs the
	 * tries (the default 0.0.0.0/0, ::/0 and the Network exclusion go). */
	{
		struct pkt_spec in = { V4("10.0.0.5", "198.51.100.1") }, out = { V4("10.0.0.5", "192.0.2.1") },
				v6 = { V6("fd00::5", "2001:db8::1") };
		int prog = bpf_program__fd(lan->progs.mg_tc_lan);

		prefix_parse(&c.local.exit_destinations.p[0], "198.51.100.0/24", false);
		c.local.exit_destinations.n = 1;
		exit_on(lan->obj, true);
		ok(fill(lan->obj, &c), "ExitDestinations = 198.51.100.0/24: tries resynced");
		is_int(run(prog, &in, ifi_lan, false, &ttl, &len), TC_ACT_REDIRECT, "  198.51.100.1 takes the exit");
		is_int(run(prog, &out, ifi_lan, false, &ttl, &len), TC_ACT_UNSPEC, "  192.0.2.1 does not");
		is_int(run(prog, &v6, ifi_lan, false, &ttl, &len), TC_ACT_UNSPEC, "  nor IPv6 (no IPv6 destination listed)");
		c.local.exit_destinations.n = 0;
		ok(fill(lan->obj, &c), "  back to the defaults");
		is_int(run(prog, &out, ifi_lan, false, &ttl, &len), TC_ACT_REDIRECT, "  192.0.2.1 takes it again");
	}

	/* xdp_lan: exit traffic goes up to TC (XDP cannot redirect into WireGuard). */
	read_stats(bpf_map__fd(xdp->maps.mg_stats), s0);
	verdict = run(bpf_program__fd(xdp->progs.mg_xdp_lan),
		      &(struct pkt_spec){ V4("10.0.0.5", "198.51.100.1") }, ifi_lan, true, &ttl, &len);
	read_stats(bpf_map__fd(xdp->maps.mg_stats), s1);
	ok(verdict == 2 /* XDP_PASS */ && ttl == 64 && s1[MG_STAT_XDP_EXIT] - s0[MG_STAT_XDP_EXIT] == 1,
	   "xdp_lan: exit traffic passed to TC untouched, counted as xdp_exit");
	exit_on(xdp->obj, false);
	read_stats(bpf_map__fd(xdp->maps.mg_stats), s0);
	run(bpf_program__fd(xdp->progs.mg_xdp_lan), &(struct pkt_spec){ V4("10.0.0.5", "198.51.100.1") },
	    ifi_lan, true, &ttl, &len);
	read_stats(bpf_map__fd(xdp->maps.mg_stats), s1);
	ok(s1[MG_STAT_XDP_EXIT] == s0[MG_STAT_XDP_EXIT], "  not with the exit off");

	/* tc_wg: the exit's traffic is the exit peer's tx, its replies its rx. */
	exit_read(wg->obj, &e0);
	peer_read(wg->obj, &rx0, &tx0);
	verdict = run(bpf_program__fd(wg->progs.mg_tc_wg_egress),
		      &(struct pkt_spec){ V4("10.0.0.5", "198.51.100.1") }, ifi_wg, false, &ttl, &len);
	peer_read(wg->obj, &rx1, &tx1);
	ok(verdict == TC_ACT_UNSPEC && tx1 - tx0 == 1 && rx1 == rx0,
	   "tc_wg egress: exit traffic counted as the exit peer's tx");
	verdict = run(bpf_program__fd(wg->progs.mg_tc_wg_ingress),
		      &(struct pkt_spec){ V4("198.51.100.1", "10.0.0.5") }, ifi_wg, false, &ttl, &len);
	exit_read(wg->obj, &e1);
	peer_read(wg->obj, &rx0, &tx0);
	/* Handed on (no NIC is in mg_ifaces here, so none has MG_IF_FWD: the kernel
	 * delivers it to the LAN). */
	ok(verdict == TC_ACT_UNSPEC && e1.rx_packets - e0.rx_packets == 1 &&
	   e1.rx_bytes - e0.rx_bytes == len - 14 && rx0 - rx1 == 1,
	   "tc_wg ingress: a reply counted for the exit (%zu IP bytes) and as the peer's rx, handed on",
	   len - 14);
	run(bpf_program__fd(wg->progs.mg_tc_wg_ingress),
	    &(struct pkt_spec){ V4("198.51.100.1", "10.0.0.6") }, ifi_wg, false, &ttl, &len);
	exit_read(wg->obj, &e0);
	ok(e0.rx_packets == e1.rx_packets, "  not to a host outside ExitSources");
	exit_on(wg->obj, false);
	peer_read(wg->obj, &rx1, &tx1);
	run(bpf_program__fd(wg->progs.mg_tc_wg_egress),
	    &(struct pkt_spec){ V4("10.0.0.5", "198.51.100.1") }, ifi_wg, false, &ttl, &len);
	peer_read(wg->obj, &rx0, &tx0);
	ok(tx0 == tx1, "  with the exit off, nothing is the exit peer's");

	tc_lan_bpf__destroy(lan);
	tc_wg_bpf__destroy(wg);
	xdp_lan_bpf__destroy(xdp);
	return tap_done();
}
