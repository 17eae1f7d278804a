// SPDX-License-Identifier: GPL-2.0-only
/* Table-driven BPF_PROG_TEST_RUN tests of bpf/tc_lan.bpf.c and bpf/tc_wg.bpf.c:
 * {description, program, input packet, expected verdict, expected counter deltas}.
 * The programs change a packet only when they forward it themselves (redirect):
 * one TTL / hop limit less, with the IPv4 checksum rebuilt from scratch for the
 * expected output; every other output must equal the input.
 * Test runs of TC programs always carry an Ethernet header; tc_wg is told so with
 * its l3_off setting (0 on the real, layer-3 WireGuard device).
 *
 * tc_lan reads mg_ifaces for its ingress NIC (ctx.ifindex): the original rows run
 * on "wgx", a NIC where meshgw's XDP runs (MG_IF_XDP | MG_IF_XMIT | MG_IF_FWD), so
 * tc_lan counts nothing there; the newer rows also use "tcx" (an entry without
 * MG_IF_XDP: tc_lan counts), "bare" (no entry at all: counts too) and "nfx" (no
 * flags: netfilter acts on forwarding). Probe rows expect the reply built from
 * scratch (addresses, ports and MACs swapped, TTL 64, both checksums computed
 * whole). Fast-path rows expect TTL-1 and the MACs of the fib's neighbour entry;
 * the fast path forwards only to a NIC whose entry has MG_IF_FWD (netfilter
 * leaves forwarding alone); to one with MG_IF_L3 without touching the MACs.
 *
 * A layer-3 NIC (MG_IF_L3) cannot be tested with BPF_PROG_TEST_RUN: the kernel runs
 * eth_type_trans() on every skb test run, so an IPv4 header's first byte (0x45)
 * makes the frame multicast (pkt_type != PACKET_HOST) and tc_lan rightly leaves it
 * alone. Those rows run live instead: tc_lan attached to a tun device, packets
 * written into it, replies read back from it and steered packets read from a
 * second tun standing in for the WireGuard device.
 *
 * Nor can a test run hand over a CHECKSUM_PARTIAL skb, which is how a probe from
 * a local sender (another namespace behind a veth, a VM's tap) arrives: a live
 * block sends probes from a socket in a second namespace and checks that its
 * socket gets the replies, with and without checksum offload on the gateway's
 * end of the veth. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"	/* table rows omit unused fields */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tap.h"
#include "test_bpf_pkt.h"
#include "meshgw_bpf.h"
#include "dataplane/dataplane.h"
#include "dataplane/dp_fill.h"
#include "dataplane/dp_iface.h"
#include "dataplane/dp_local4.h"
#include "test_bpf_maps.h"
#include "test_bpf_routes.h"
#include "tc_lan.skel.h"
#include "tc_wg.skel.h"

#define TC_ACT_UNSPEC (-1)	/* how meshgw's programs hand a packet on (bpf/lib/net.h) */
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7

static const uint8_t MAC_UP0[6] = { 0x02, 0, 0, 0, 0x60, 0x01 };	/* up0, a TC-only uplink */
static const uint8_t MAC_NH0[6] = { 0x02, 0, 0, 0, 0x60, 0x02 };	/* next hop on up0 */
static const uint8_t MAC_NHW[6] = { 0x02, 0, 0, 0, 0xfe, 0x09 };	/* next hop on wgx */
static const uint8_t MAC_LAN[6] = { 0x02, 0, 0, 0, 0, 0x0a };	/* lan, where tc_wg ingress delivers */
static const uint8_t MAC_H5[6] = { 0x02, 0, 0, 0, 0, 0x05 };	/* 10.0.0.5 / fd00::5 on lan */

enum prog { P_LAN, P_WG_EGRESS, P_WG_INGRESS };

/* tc_lan's ingress NIC: wgx has MG_IF_XDP | MG_IF_XMIT | MG_IF_FWD (XDP counted
 * already), tcx MG_IF_FWD only (a veth, FastPath = auto), bare no entry, nfx no
 * flags at all (a veth on a box whose netfilter acts on forwarding), rps and rpl
 * MG_IF_FWD with the kernel's rp_filter strict (MG_IF_RPF_STRICT) and loose. */
enum dev { D_XDP = 0, D_TC, D_BARE, D_NOFWD, D_RPF, D_RPFL, D__MAX };

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
	enum dev dev;		/* tc_lan's ingress NIC */
	struct pkt_spec expect;	/* .family set: the expected output packet */
	int ep;			/* 1: mg_ep_stats of the source moves by one packet, len bytes */
	int probe;		/* 1: mg_probes of (source, sport) moves by one */
	int lan_nofwd;		/* 1: for this row the LAN NIC's entry has no MG_IF_FWD */
	int local4_full;	/* 1: for this row mg_local4 says "more addresses than fit" */
	uint32_t dev_more;	/* flags added to the ingress NIC's entry for this row */
	int wg_filters;		/* 1: for this row tc_wg's ingress slot has MG_ATTACH_FILTERS_AFTER */
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
	  { V4("10.0.0.5", "10.1.2.3"), .proto = 17, .sport = 1, .dport = 2, .pl = PL_RAW, .pl_len = 60 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 to a remote range, exactly the wg MTU: redirected", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), .proto = 17, .sport = 1, .dport = 2, .pl = PL_RAW, .pl_len = 40 }, 0, TC_ACT_REDIRECT, MG_STAT_TC_LAN_REDIRECT, -1, -1, .out_ttl = 63 },
	{ "tc_lan: v6 to a remote range, 108 bytes: left to the kernel", P_LAN,
	  { V6("fd00::5", "fd01::9"), .proto = 17, .sport = 1, .dport = 2, .pl = PL_RAW, .pl_len = 60 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 to a remote range with TTL 1: left to the kernel (ICMP time exceeded)", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL, .ttl = 1 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 to a remote range with TTL 2: redirected with TTL 1", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL, .ttl = 2 }, 0, TC_ACT_REDIRECT, MG_STAT_TC_LAN_REDIRECT, -1, -1, .out_ttl = 1 },
	{ "tc_lan: v6 to a remote range with hop limit 1: left to the kernel", P_LAN,
	  { V6("fd00::5", "fd01::9"), PL6, .ttl = 1 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 to a remote range in a frame for another host's MAC: TC_ACT_UNSPEC (kernel drops it)", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL, .dmac = (const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x77 } }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 to the internet: TC_ACT_UNSPEC", P_LAN,
	  { V4("10.0.0.5", "198.51.100.1"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 to our own range: TC_ACT_UNSPEC", P_LAN,
	  { V4("10.0.0.5", "10.0.0.7"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v6 to the internet: TC_ACT_UNSPEC", P_LAN,
	  { V6("fd00::5", "2001:db8::1"), PL6 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v4 header cut short: TC_ACT_UNSPEC", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 30, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan: v6 header cut short: TC_ACT_UNSPEC", P_LAN,
	  { V6("fd00::5", "fd01::9"), PL6 }, 50, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1 },
	/* tc_lan on a NIC without meshgw's XDP: counts what XDP would have */
	{ "tc_lan, NIC without XDP: v4 to a remote range counted for peer 1, steered", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_MESH, MG_STAT_TC_LAN_REDIRECT, 1, 2,
	  .out_ttl = 63, .dev = D_TC },
	{ "tc_lan, NIC without XDP: v6 to a remote range counted for peer 1, steered", P_LAN,
	  { V6("fd00::5", "fd01::9"), PL6 }, 0, TC_ACT_REDIRECT, MG_STAT_TC_MESH, MG_STAT_TC_LAN_REDIRECT, 1, 2,
	  .out_ttl = 63, .dev = D_TC },
	{ "tc_lan, NIC without XDP: v4 to a remote mesh address (/32): peer 2", P_LAN,
	  { V4("10.0.0.5", "192.168.254.3"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_MESH, MG_STAT_TC_LAN_REDIRECT, 2, 2,
	  .out_ttl = 63, .dev = D_TC },
	{ "tc_lan, NIC without an mg_ifaces entry (so without MG_IF_FWD): v4 to a remote range left to "
	  "the kernel, uncounted", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_BARE },
	{ "tc_lan, NIC without XDP: v4 to a remote range with TTL 1: counted, left to the kernel", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL, .ttl = 1 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MESH, MG_STAT_TC_LAN_OK, 1, 2,
	  .dev = D_TC },
	{ "tc_lan, NIC without XDP: v4 to a remote range, 88 bytes, wg MTU 68: counted, left to the kernel", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), .proto = 17, .sport = 1, .dport = 2, .pl = PL_RAW, .pl_len = 60 }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_MESH, MG_STAT_TC_LAN_OK, 1, 2, .dev = D_TC },
	{ "tc_lan, NIC without XDP: v4 to a remote range for another host's MAC: not counted, OK", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL, .dmac = (const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x77 } }, 0, TC_ACT_UNSPEC,
	  MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan, NIC with XDP: v6 to a remote range: steered, not counted again", P_LAN,
	  { V6("fd00::5", "fd01::9"), PL6 }, 0, TC_ACT_REDIRECT, MG_STAT_TC_LAN_REDIRECT, -1, -1, .out_ttl = 63 },
	/* UDP to the WireGuard port */
	{ "tc_lan, NIC without XDP: v4 UDP to the WireGuard port: counted per source, OK", P_LAN,
	  { V4("192.0.2.11", "10.0.0.1"), .proto = 17, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 148 }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_WG, MG_STAT_TC_LAN_OK, -1, .dev = D_TC, .ep = 1 },
	{ "tc_lan, NIC without XDP: v6 UDP to the WireGuard port: counted per source, OK", P_LAN,
	  { V6("2001:db8::11", "fd00::1"), .proto = 17, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 92 }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_WG, MG_STAT_TC_LAN_OK, -1, .dev = D_TC, .ep = 1 },
	{ "tc_lan, NIC without an mg_ifaces entry: v4 UDP to the WireGuard port: counted", P_LAN,
	  { V4("192.0.2.12", "10.0.0.1"), .proto = 17, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 148 }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_WG, MG_STAT_TC_LAN_OK, -1, .dev = D_BARE, .ep = 1 },
	{ "tc_lan, NIC with XDP: v4 UDP to the WireGuard port: not counted again, OK", P_LAN,
	  { V4("192.0.2.13", "10.0.0.1"), .proto = 17, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 148 }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1 },
	{ "tc_lan, NIC without XDP: v4 UDP to the WireGuard port of a routed address: forwarded, not counted", P_LAN,
	  { V4("192.0.2.14", "198.18.1.9"), .proto = 17, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 20 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .expect = { V4("192.0.2.14", "198.18.1.9"), .proto = 17, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 20,
		      .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	/* probe requests: answered on every NIC */
	{ "tc_lan, NIC without XDP: v4 probe request answered in place, redirected to its egress", P_LAN,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 7,
	    .tx_ns = 123456789, .tag = TAG, .ttl = 50 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_PROBE_ANSWERED, -1, -1, .dev = D_TC,
	  .expect = { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 7,
		      .tx_ns = 123456789, .tag = TAG, .swap = true } },
	{ "tc_lan, NIC without XDP: v6 probe request answered in place", P_LAN,
	  { V6("2001:db8::1", "fd00::1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 9,
	    .tx_ns = 42, .tag = TAG, .ttl = 3 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_PROBE_ANSWERED, -1, -1, .dev = D_TC,
	  .expect = { V6("2001:db8::1", "fd00::1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 9,
		      .tx_ns = 42, .tag = TAG, .swap = true } },
	{ "tc_lan, NIC without XDP: v4 probe request with a partial checksum: reply with a full one", P_LAN,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 11,
	    .tx_ns = 5, .tag = TAG, .udp_csum_partial = true }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_PROBE_ANSWERED, -1, -1, .dev = D_TC,
	  .expect = { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 11,
		      .tx_ns = 5, .tag = TAG, .swap = true } },
	{ "tc_lan, NIC without XDP: v6 probe request with a partial checksum: reply with a full one", P_LAN,
	  { V6("2001:db8::1", "fd00::1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 12,
	    .tx_ns = 6, .tag = TAG, .udp_csum_partial = true }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_PROBE_ANSWERED, -1, -1, .dev = D_TC,
	  .expect = { V6("2001:db8::1", "fd00::1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 12,
		      .tx_ns = 6, .tag = TAG, .swap = true } },
	{ "tc_lan, NIC without XDP: v4 probe request without UDP checksum: reply keeps checksum 0", P_LAN,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 8,
	    .tag = TAG, .no_udp_csum = true }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_PROBE_ANSWERED, -1, -1, .dev = D_TC,
	  .expect = { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 8,
		      .tag = TAG, .swap = true, .no_udp_csum = true } },
	{ "tc_lan, NIC without an mg_ifaces entry: v4 probe request answered", P_LAN,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40002, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 13,
	    .tx_ns = 77, .tag = TAG }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_PROBE_ANSWERED, -1, -1, .dev = D_BARE,
	  .expect = { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40002, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 13,
		      .tx_ns = 77, .tag = TAG, .swap = true } },
	{ "tc_lan, NIC with XDP (which could not answer): v4 probe request answered, nothing counted", P_LAN,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 14,
	    .tx_ns = 1, .tag = TAG, .ttl = 9 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_PROBE_ANSWERED, -1, -1,
	  .expect = { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 14,
		      .tx_ns = 1, .tag = TAG, .swap = true } },
	{ "tc_lan, NIC with XDP: v6 probe request with a partial checksum answered", P_LAN,
	  { V6("2001:db8::1", "fd00::1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 15,
	    .tx_ns = 2, .tag = TAG, .udp_csum_partial = true }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_PROBE_ANSWERED, -1, -1,
	  .expect = { V6("2001:db8::1", "fd00::1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 15,
		      .tx_ns = 2, .tag = TAG, .swap = true } },
	{ "tc_lan: v4 probe request to the WireGuard port of a routed address: forwarded, not answered", P_LAN,
	  { V4("192.0.2.1", "198.18.1.9"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 5,
	    .tag = TAG }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .expect = { V4("192.0.2.1", "198.18.1.9"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 5,
		      .tag = TAG, .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "tc_lan: VLAN-tagged v4 probe request: left to the kernel (the VLAN device's TC sees it)", P_LAN,
	  { V4("192.0.2.1", "10.0.0.1"), .vlan = true, .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ,
	    .seq = 10, .tag = TAG }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	/* bad probe requests: dropped on every NIC */
	{ "tc_lan, NIC without XDP: probe request with a wrong tag: dropped", P_LAN,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .tag = BADTAG }, 0,
	  TC_ACT_SHOT, MG_STAT_TC_PROBE_BAD, -1, -1, .dev = D_TC },
	{ "tc_lan, NIC without XDP: probe request from an unknown source: dropped", P_LAN,
	  { V4("198.51.100.77", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .tag = TAG }, 0,
	  TC_ACT_SHOT, MG_STAT_TC_PROBE_BAD, -1, -1, .dev = D_TC },
	{ "tc_lan, NIC without XDP: v6 probe request from an unknown source: dropped", P_LAN,
	  { V6("2001:db8::2", "fd00::1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .tag = TAG }, 0,
	  TC_ACT_SHOT, MG_STAT_TC_PROBE_BAD, -1, -1, .dev = D_TC },
	{ "tc_lan, NIC without XDP: probe request one byte too long: dropped", P_LAN,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .pl_len = 33,
	    .tag = TAG }, 0,
	  TC_ACT_SHOT, MG_STAT_TC_PROBE_BAD, -1, -1, .dev = D_TC },
	{ "tc_lan, NIC without XDP: probe request of 8 bytes (magic only): dropped", P_LAN,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .pl_len = 8,
	    .tag = TAG }, 0,
	  TC_ACT_SHOT, MG_STAT_TC_PROBE_BAD, -1, -1, .dev = D_TC },
	{ "tc_lan, NIC with XDP: probe request with a wrong tag: dropped", P_LAN,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .tag = BADTAG }, 0,
	  TC_ACT_SHOT, MG_STAT_TC_PROBE_BAD, -1, -1 },
	/* probe replies: recorded and dropped on every NIC */
	{ "tc_lan, NIC without XDP: v4 probe reply to the probe port: recorded, dropped", P_LAN,
	  { V4("192.0.2.21", "10.0.0.1"), .proto = 17, .sport = WG_PORT, .dport = PROBE_PORT, .pl = PL_PROBE_REPLY, .seq = 77,
	    .tx_ns = 1, .tag = TAG }, 0,
	  TC_ACT_SHOT, MG_STAT_TC_PROBE_REPLY, -1, -1, .dev = D_TC, .probe = 1 },
	{ "tc_lan, NIC without XDP: v6 probe reply to the probe port: recorded, dropped", P_LAN,
	  { V6("2001:db8::21", "fd00::1"), .proto = 17, .sport = WG_PORT, .dport = PROBE_PORT, .pl = PL_PROBE_REPLY, .seq = 78,
	    .tx_ns = 1, .tag = TAG }, 0,
	  TC_ACT_SHOT, MG_STAT_TC_PROBE_REPLY, -1, -1, .dev = D_TC, .probe = 1 },
	{ "tc_lan, NIC without XDP: probe reply to the last probe port: recorded, dropped", P_LAN,
	  { V4("192.0.2.22", "10.0.0.1"), .proto = 17, .sport = WG_PORT, .dport = PROBE_PORT + 7, .pl = PL_PROBE_REPLY,
	    .seq = 79, .tx_ns = 1, .tag = TAG }, 0,
	  TC_ACT_SHOT, MG_STAT_TC_PROBE_REPLY, -1, -1, .dev = D_TC, .probe = 1 },
	{ "tc_lan, NIC with XDP: v4 probe reply: recorded, dropped", P_LAN,
	  { V4("192.0.2.23", "10.0.0.1"), .proto = 17, .sport = WG_PORT, .dport = PROBE_PORT + 1, .pl = PL_PROBE_REPLY,
	    .seq = 80, .tx_ns = 1, .tag = TAG }, 0,
	  TC_ACT_SHOT, MG_STAT_TC_PROBE_REPLY, -1, -1, .probe = 1 },
	{ "tc_lan: probe reply one port past the probe ports: not ours, OK", P_LAN,
	  { V4("192.0.2.21", "10.0.0.1"), .proto = 17, .sport = WG_PORT, .dport = PROBE_PORT + 8, .pl = PL_PROBE_REPLY,
	    .seq = 81, .tx_ns = 1, .tag = TAG }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan: probe reply with a wrong tag: left to the socket, OK", P_LAN,
	  { V4("192.0.2.21", "10.0.0.1"), .proto = 17, .sport = WG_PORT, .dport = PROBE_PORT, .pl = PL_PROBE_REPLY,
	    .tag = BADTAG }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan: probe request sent to the probe port: not a reply, OK", P_LAN,
	  { V4("192.0.2.21", "10.0.0.1"), .proto = 17, .sport = WG_PORT, .dport = PROBE_PORT, .pl = PL_PROBE_REQ, .tag = TAG }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	/* the fast path: fib lookup + redirect to a NIC of ours with an Ethernet header */
	{ "tc_lan fast path: v4 via up0 (mg_ifaces entry): TTL-1, fib MACs, redirected", P_LAN,
	  { V4("10.0.0.5", "198.18.1.9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .expect = { V4("10.0.0.5", "198.18.1.9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18,
		      .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "tc_lan fast path: v4 TTL 2: TTL 1 and checksum right", P_LAN,
	  { V4("10.0.0.5", "198.18.1.9"), PL, .ttl = 2 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .expect = { V4("10.0.0.5", "198.18.1.9"), PL, .ttl = 1, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "tc_lan fast path: v6 via up0: hop limit-1, fib MACs, redirected", P_LAN,
	  { V6("fd00::5", "2001:db8:60::9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .expect = { V6("fd00::5", "2001:db8:60::9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10,
		      .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "tc_lan fast path from a NIC with XDP (XDP could not transmit): redirected", P_LAN,
	  { V4("10.0.0.5", "198.18.1.9"), PL }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1,
	  .expect = { V4("10.0.0.5", "198.18.1.9"), PL, .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "tc_lan fast path: v4 via wgx (an XDP NIC): redirected with its MACs", P_LAN,
	  { V4("10.0.0.5", "198.18.4.9"), PL }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .expect = { V4("10.0.0.5", "198.18.4.9"), PL, .ttl = 63, .smac = MAC_GW, .dmac = MAC_NHW } },
	/* a rule that matches ports (ip rule ipproto udp dport 5001 lookup 77: via up2) */
	{ "tc_lan fast path: v4 UDP to port 5001, which a rule routes via up2: redirected there", P_LAN,
	  { V4("10.0.0.5", "198.18.1.9"), .proto = 17, .sport = 5, .dport = 5001, .pl = PL_RAW, .pl_len = 18 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .expect = { V4("10.0.0.5", "198.18.1.9"), .proto = 17, .sport = 5, .dport = 5001, .pl = PL_RAW, .pl_len = 18,
		      .ttl = 63 } },
	{ "tc_lan fast path: v4 UDP to port 5002: the main table's route via up0", P_LAN,
	  { V4("10.0.0.5", "198.18.1.9"), .proto = 17, .sport = 5, .dport = 5002, .pl = PL_RAW, .pl_len = 18 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .expect = { V4("10.0.0.5", "198.18.1.9"), .proto = 17, .sport = 5, .dport = 5002, .pl = PL_RAW, .pl_len = 18,
		      .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "tc_lan fast path: v6 UDP to port 5001, which a rule routes via up2: redirected there", P_LAN,
	  { V6("fd00::5", "2001:db8:60::9"), .proto = 17, .sport = 5, .dport = 5001, .pl = PL_RAW, .pl_len = 10 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .expect = { V6("fd00::5", "2001:db8:60::9"), .proto = 17, .sport = 5, .dport = 5001, .pl = PL_RAW, .pl_len = 10,
		      .ttl = 63 } },
	{ "tc_lan fast path: v4 via up1, no mg_ifaces entry: OK", P_LAN,
	  { V4("10.0.0.5", "198.18.2.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 via up2, MG_IF_L3 (and MG_IF_FWD): redirected, TTL down, MACs untouched "
	  "(bpf_redirect strips the Ethernet header for a layer-3 device)", P_LAN,
	  { V4("10.0.0.5", "198.18.3.9"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .expect = { V4("10.0.0.5", "198.18.3.9"), PL, .ttl = 63 } },
	{ "tc_lan fast path: v4 via up3, entry without MG_IF_FWD (netfilter acts on forwarding): OK", P_LAN,
	  { V4("10.0.0.5", "198.18.7.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	/* sources the kernel never forwards from (martian) */
	{ "tc_lan fast path: v4 from 127.0.0.5: left to the kernel (a martian source)", P_LAN,
	  { V4("127.0.0.5", "198.18.1.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MARTIAN, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 from 0.1.2.3: left to the kernel", P_LAN,
	  { V4("0.1.2.3", "198.18.1.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MARTIAN, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 from 224.0.0.5 (multicast): left to the kernel", P_LAN,
	  { V4("224.0.0.5", "198.18.1.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MARTIAN, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 from 255.255.255.255: left to the kernel", P_LAN,
	  { V4("255.255.255.255", "198.18.1.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MARTIAN, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 from 240.0.0.1 (class E, which the kernel forwards): redirected", P_LAN,
	  { V4("240.0.0.1", "198.18.1.9"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .expect = { V4("240.0.0.1", "198.18.1.9"), PL, .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "tc_lan fast path: v6 from fe80::5 (link-local): left to the kernel (not a plain packet)", P_LAN,
	  { V6("fe80::5", "2001:db8:60::9"), PL6 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v6 from :: : left to the kernel", P_LAN,
	  { V6("::", "2001:db8:60::9"), PL6 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MARTIAN, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v6 from ::1: left to the kernel", P_LAN,
	  { V6("::1", "2001:db8:60::9"), PL6 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MARTIAN, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v6 from ff02::5 (multicast): left to the kernel", P_LAN,
	  { V6("ff02::5", "2001:db8:60::9"), PL6 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MARTIAN, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v6 from ::2 (not ::1): redirected", P_LAN,
	  { V6("::2", "2001:db8:60::9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .expect = { V6("::2", "2001:db8:60::9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10,
		      .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	/* the box's own addresses (mg_local4, filled by dp_sync_local4 in this
	 * namespace): the kernel calls them martian sources too */
	{ "tc_lan fast path: v4 from 192.168.60.1 (the box's own, up0's): left to the kernel", P_LAN,
	  { V4("192.168.60.1", "198.18.1.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MARTIAN, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 from 10.0.0.1 (the box's own, the LAN's): left to the kernel", P_LAN,
	  { V4("10.0.0.1", "198.18.1.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MARTIAN, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 from 192.168.60.1, mg_local4 full (more addresses than fit): the routing "
	  "table says local: left to the kernel", P_LAN,
	  { V4("192.168.60.1", "198.18.1.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MARTIAN, -1, -1, .dev = D_TC,
	  .local4_full = 1 },
	{ "tc_lan fast path: v4 from 10.0.0.5, mg_local4 full: not local: redirected", P_LAN,
	  { V4("10.0.0.5", "198.18.1.9"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_TC,
	  .local4_full = 1, .expect = { V4("10.0.0.5", "198.18.1.9"), PL, .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "tc_lan: v4 from 10.0.0.1 (the box's own) to a remote range: counted, left to the kernel", P_LAN,
	  { V4("10.0.0.1", "10.1.2.3"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MESH, MG_STAT_TC_MARTIAN, 1, 2, .dev = D_TC },
	{ "tc_lan fast path, rp_filter strict: v4 from 192.168.70.1 (the box's own, the ingress's): left "
	  "to the kernel (its source routes local)", P_LAN,
	  { V4("192.168.70.1", "198.18.1.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_RPF, -1, -1, .dev = D_RPF },
	/* forwarding off on the ingress NIC (net.ipv4.conf.NIC.forwarding 0,
	 * net.ipv6.conf.all.forwarding 0): the kernel drops what it would forward */
	{ "tc_lan: v4 to a remote range, the kernel forwarding no IPv4 from the NIC: left to it, uncounted",
	  P_LAN, { V4("10.0.0.5", "10.1.2.3"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC,
	  .dev_more = MG_IF_NOFWD4 },
	{ "tc_lan: v6 to a remote range, no IPv6 forwarding: left to the kernel, uncounted", P_LAN,
	  { V6("fd00::5", "fd01::9"), PL6 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC,
	  .dev_more = MG_IF_NOFWD6 },
	{ "tc_lan: v4 to a remote range, only IPv6 forwarding off: counted, steered", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_MESH, MG_STAT_TC_LAN_REDIRECT, 1, 2,
	  .out_ttl = 63, .dev = D_TC, .dev_more = MG_IF_NOFWD6 },
	{ "tc_lan: v4 from 127.0.0.5 to a remote range: counted, left to the kernel", P_LAN,
	  { V4("127.0.0.5", "10.1.2.3"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MESH, MG_STAT_TC_MARTIAN, 1, 2, .dev = D_TC },
	{ "tc_lan: v6 from fe80::5 to a remote range: counted, left to the kernel", P_LAN,
	  { V6("fe80::5", "fd01::9"), PL6 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MESH, MG_STAT_TC_MARTIAN, 1, 2, .dev = D_TC },
	/* the kernel's reverse-path filter on the ingress NIC (rp_filter) */
	{ "tc_lan fast path, rp_filter strict: v4 from a source routed via another NIC: left to the kernel", P_LAN,
	  { V4("10.0.0.5", "198.18.1.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_RPF, -1, -1, .dev = D_RPF },
	{ "tc_lan fast path, rp_filter strict: v4 from a source routed back via the ingress: redirected", P_LAN,
	  { V4("192.168.70.5", "198.18.1.9"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_RPF,
	  .expect = { V4("192.168.70.5", "198.18.1.9"), PL, .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "tc_lan, rp_filter strict: v4 to a remote range from a source routed via another NIC: counted, "
	  "left to the kernel", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_MESH, MG_STAT_TC_RPF, 1, 2, .dev = D_RPF },
	{ "tc_lan, rp_filter strict: v4 to a remote range from a source routed back via the ingress: steered",
	  P_LAN, { V4("192.168.70.5", "10.1.2.3"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_MESH, MG_STAT_TC_LAN_REDIRECT,
	  1, 2, .out_ttl = 63, .dev = D_RPF },
	{ "tc_lan fast path, rp_filter strict: v6 (no rp_filter in IPv6): redirected", P_LAN,
	  { V6("fd00::5", "2001:db8:60::9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_RPF,
	  .expect = { V6("fd00::5", "2001:db8:60::9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10,
		      .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "tc_lan fast path, rp_filter loose: v4 from a source routed via another NIC: redirected", P_LAN,
	  { V4("10.0.0.5", "198.18.1.9"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_FWD, -1, -1, .dev = D_RPFL,
	  .expect = { V4("10.0.0.5", "198.18.1.9"), PL, .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "tc_lan fast path, rp_filter loose: v4 from a source with no route: left to the kernel", P_LAN,
	  { V4("203.0.113.99", "198.18.1.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_RPF, -1, -1, .dev = D_RPFL },
	{ "tc_lan, NIC without MG_IF_FWD: v4 to a routed destination via another such NIC: OK", P_LAN,
	  { V4("10.0.0.5", "198.18.7.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_NOFWD },
	{ "tc_lan, NIC without MG_IF_FWD: v4 to a remote range left to the kernel (through netfilter's "
	  "rules), uncounted (tc_wg counts it in the tunnel)", P_LAN,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_NOFWD },
	{ "tc_lan, NIC without MG_IF_FWD: v4 UDP to the WireGuard port still counted", P_LAN,
	  { V4("192.0.2.15", "10.0.0.1"), .proto = 17, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 148 }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_WG, MG_STAT_TC_LAN_OK, -1, .dev = D_NOFWD, .ep = 1 },
	{ "tc_lan, NIC without MG_IF_FWD: v6 probe request still answered (not forwarding)", P_LAN,
	  { V6("2001:db8::1", "fd00::1"), .proto = 17, .sport = 40004, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 17,
	    .tx_ns = 8, .tag = TAG, .ttl = 20 }, 0,
	  TC_ACT_REDIRECT, MG_STAT_TC_PROBE_ANSWERED, -1, -1, .dev = D_NOFWD,
	  .expect = { V6("2001:db8::1", "fd00::1"), .proto = 17, .sport = 40004, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 17,
		      .tx_ns = 8, .tag = TAG, .swap = true } },
	{ "tc_lan fast path: v4 TTL 1: OK (ICMP time exceeded)", P_LAN,
	  { V4("10.0.0.5", "198.18.1.9"), PL, .ttl = 1 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v6 hop limit 1: OK", P_LAN,
	  { V6("fd00::5", "2001:db8:60::9"), PL6, .ttl = 1 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 with IP options: OK", P_LAN,
	  { V4("10.0.0.5", "198.18.1.9"), PL, .ihl = 6 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 fragment: OK", P_LAN,
	  { V4("10.0.0.5", "198.18.1.9"), .proto = 17, .sport = 1, .dport = 2, .frag = 0x2000, .pl = PL_RAW, .pl_len = 16 }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v6 fragment header: OK", P_LAN,
	  { V6("fd00::5", "2001:db8:60::9"), .proto = 17, .sport = 1, .dport = 2, .v6_ext = 44, .pl = PL_RAW, .pl_len = 8 }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v6 hop-by-hop header: OK", P_LAN,
	  { V6("fd00::5", "2001:db8:60::9"), .proto = 17, .sport = 1, .dport = 2, .v6_hbh = true, .pl = PL_RAW, .pl_len = 8 }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v6 from a link-local source: OK", P_LAN,
	  { V6("fe80::5", "2001:db8:60::9"), PL6 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 larger than the route MTU: OK (ICMP fragmentation needed)", P_LAN,
	  { V4("10.0.0.5", "198.18.5.9"), .proto = 17, .sport = 1, .dport = 2, .pl = PL_RAW, .pl_len = 200 }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 next hop without a neighbour entry: OK", P_LAN,
	  { V4("10.0.0.5", "198.18.6.9"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 to the gateway itself: OK", P_LAN,
	  { V4("10.0.0.5", "10.0.0.1"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_lan fast path: v4 for another host's MAC: OK (the kernel drops it)", P_LAN,
	  { V4("10.0.0.5", "198.18.1.9"), PL, .dmac = (const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x77 } }, 0,
	  TC_ACT_UNSPEC, MG_STAT_TC_LAN_OK, -1, -1, .dev = D_TC },
	{ "tc_wg egress: v4 to peer 1 counted as tx", P_WG_EGRESS,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_TX, -1, 1, 1 },
	{ "tc_wg egress: v6 to peer 2's address counted as tx", P_WG_EGRESS,
	  { V6("fd00::5", "fd99::2"), PL6 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_TX, -1, 2, 1 },
	{ "tc_wg egress: destination in no range: not counted", P_WG_EGRESS,
	  { V4("10.0.0.5", "198.51.100.1"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_OK, -1, -1 },
	{ "tc_wg egress: truncated IP header: not counted", P_WG_EGRESS,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 20, TC_ACT_UNSPEC, MG_STAT_TC_WG_OK, -1, -1 },
	{ "tc_wg ingress: v4 from peer 1 to our range: counted rx, to the LAN with the neighbour's MAC", P_WG_INGRESS,
	  { V4("10.1.2.3", "10.0.0.5"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_WG_RX, MG_STAT_TC_WG_RX_REDIRECT, 1, 0,
	  .expect = { V4("10.1.2.3", "10.0.0.5"), PL, .ttl = 63, .smac = MAC_LAN, .dmac = MAC_H5 } },
	{ "tc_wg ingress: v4 from peer 1 to our range with TTL 1: counted, left to the kernel", P_WG_INGRESS,
	  { V4("10.1.2.3", "10.0.0.5"), PL, .ttl = 1 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_RX, -1, 1, 0 },
	{ "tc_wg ingress: v6 from peer 1 to our range with hop limit 1: counted, left to the kernel", P_WG_INGRESS,
	  { V6("fd01::9", "fd00::5"), PL6, .ttl = 1 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_RX, -1, 1, 0 },
	{ "tc_wg ingress: v6 from peer 1 to our range: counted, redirected", P_WG_INGRESS,
	  { V6("fd01::9", "fd00::5"), PL6 }, 0, TC_ACT_REDIRECT, MG_STAT_TC_WG_RX, MG_STAT_TC_WG_RX_REDIRECT, 1, 0,
	  .expect = { V6("fd01::9", "fd00::5"), PL6, .ttl = 63, .smac = MAC_LAN, .dmac = MAC_H5 } },
	{ "tc_wg ingress: from peer 2 to the gateway's mesh address (not a LAN range): counted, OK", P_WG_INGRESS,
	  { V4("192.168.254.3", "192.168.254.1"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_RX, -1, 2, 0 },
	{ "tc_wg ingress: from peer 1 to the gateway's own LAN address: counted, local (OK)", P_WG_INGRESS,
	  { V4("10.1.2.3", "10.0.0.1"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_RX, -1, 1, 0 },
	{ "tc_wg ingress: v4 from peer 1 to our range, LAN NIC without MG_IF_FWD (netfilter acts on "
	  "forwarding): counted, left to the kernel", P_WG_INGRESS,
	  { V4("10.1.2.3", "10.0.0.5"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_RX, -1, 1, 0, .lan_nofwd = 1 },
	{ "tc_wg ingress: v6 from peer 1 to our range, LAN NIC without MG_IF_FWD: counted, left to the kernel",
	  P_WG_INGRESS, { V6("fd01::9", "fd00::5"), PL6 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_RX, -1, 1, 0, .lan_nofwd = 1 },
	{ "tc_wg ingress: v4 from peer 1 to our range, another tool's filters after tc_wg on the device "
	  "(MG_ATTACH_FILTERS_AFTER): counted, left to the kernel (through them)", P_WG_INGRESS,
	  { V4("10.1.2.3", "10.0.0.5"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_RX, -1, 1, 0, .wg_filters = 1 },
	{ "tc_wg ingress: from peer 1 to our range without a neighbour yet: redirect_neigh (MACs left to it)", P_WG_INGRESS,
	  { V4("10.1.2.3", "10.0.0.77"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_WG_RX, MG_STAT_TC_WG_RX_REDIRECT, 1, 0, .out_ttl = 63 },
	{ "tc_wg ingress: version nibble 6 on a 20-byte IPv4 header: OK, nothing counted", P_WG_INGRESS,
	  { V4("10.1.2.3", "10.0.0.5"), .proto = 1, .pl = PL_RAW, .pl_len = 0 }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_OK, -1, -1, 0, 0x60 },
	{ "tc_wg egress: version nibble 5: OK, nothing counted", P_WG_EGRESS,
	  { V4("10.0.0.5", "10.1.2.3"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_OK, -1, -1, 0, 0x55 },
	{ "tc_wg ingress: unknown source: not counted, OK", P_WG_INGRESS,
	  { V4("198.51.100.1", "198.51.100.2"), PL }, 0, TC_ACT_UNSPEC, MG_STAT_TC_WG_OK, -1, -1 },
	{ "tc_wg ingress: unknown source to our range: delivered, no peer counted", P_WG_INGRESS,
	  { V4("198.51.100.1", "10.0.0.5"), PL }, 0, TC_ACT_REDIRECT, MG_STAT_TC_WG_RX_REDIRECT, -1, -1,
	  .expect = { V4("198.51.100.1", "10.0.0.5"), PL, .ttl = 63, .smac = MAC_LAN, .dmac = MAC_H5 } },
	{ "tc_wg ingress: truncated v6 header: OK, nothing counted", P_WG_INGRESS,
	  { V6("fd01::9", "fd00::5"), PL6 }, 40, TC_ACT_UNSPEC, MG_STAT_TC_WG_OK, -1, -1 },
};

static int ifi_wg, ifi_lan, ifi_wgm;	/* wgm: the wg device for tc_lan, MTU 68 */
static int ifi_dev[D__MAX];			/* tc_lan's ingress NICs (enum dev) */
static int ifi_up0, ifi_up1, ifi_up2, ifi_up3, ifi_l3t, ifi_wgt;
static int fd_l3t = -1, fd_wgt = -1;		/* the tun devices' queues */
static int fd_up0p = -1;			/* what up0 sends, as up0p receives it */

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		tap_diag("command failed (%d): %s", rc, cmd);
	return rc;
}

/* A tun device (IFF_TUN: layer 3, packets start at the IP header), non-blocking. */
static int tun_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A private namespace: "lan" (10.0.0.1/24, fd00::1/64) where redirect_neigh
 * delivers, "wgx" standing in for the WireGuard device (forwarding on).
 * For tc_lan also: "tcx", "bare" and "nfx", NICs with the gateway's MAC (MAC_GW)
 * like wgx; uplinks up0 (198.18.1.0/24, 198.18.5.0/24 with MTU 100, 198.18.6.0/24
 * without a neighbour, 2001:db8:60::/48), up1 (198.18.2.0/24), up2
 * (198.18.3.0/24) and up3 (198.18.7.0/24) with permanent neighbours,
 * 198.18.4.0/24 via a neighbour on wgx; tun devices l3t (a layer-3 LAN NIC) and wgt (a layer-3 "WireGuard device"). */
static int netns_setup(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	fd_l3t = tun_open("l3t");
	fd_wgt = tun_open("wgt");
	if (fd_l3t < 0 || fd_wgt < 0)
		return -ENODEV;
	if (sh("ip link set lo up && ip link add lan type veth peer name lanp && "
	       "ip link add wgx type veth peer name wgxp && "
	       "ip link set wgx address 02:00:00:00:00:02 && "	/* MAC_GW: frames are for us */
	       "ip link set lan address 02:00:00:00:00:0a && "	/* MAC_LAN */
	       "for i in lan lanp wgx wgxp; do ip link set $i up; done && "
	       "ip addr add 10.0.0.1/24 dev lan && ip -6 addr add fd00::1/64 dev lan nodad && "
	       "ip addr add 192.168.254.1/24 dev wgx && "
	       "ip link add wgm mtu 68 type veth peer name wgmp && "
	       "ip route add 10.1.0.0/16 dev wgx && ip -6 route add fd01::/32 dev wgx && "
	       "ip neigh add 10.0.0.5 lladdr 02:00:00:00:00:05 dev lan nud permanent && "
	       "ip -6 neigh add fd00::5 lladdr 02:00:00:00:00:05 dev lan nud permanent && "
	       "ip link add tcx type veth peer name tcxp && ip link set tcx address 02:00:00:00:00:02 && "
	       "ip link add bare type veth peer name barep && ip link set bare address 02:00:00:00:00:02 && "
	       "ip link add up0 type veth peer name up0p && ip link set up0 address 02:00:00:00:60:01 && "
	       "ip link add nfx type veth peer name nfxp && ip link set nfx address 02:00:00:00:00:02 && "
	       "ip link add up1 type veth peer name up1p && ip link add up2 type veth peer name up2p && "
	       "ip link add up3 type veth peer name up3p && "
	       "ip link add rps type veth peer name rpsp && ip link set rps address 02:00:00:00:00:02 && "
	       "ip link add rpl type veth peer name rplp && ip link set rpl address 02:00:00:00:00:02 && "
	       "for i in rps rpsp rpl rplp; do ip link set $i up; done && "
	       "ip addr add 192.168.70.1/24 dev rps && "
	       "ip neigh add 192.168.70.5 lladdr 02:00:00:00:70:05 dev rps nud permanent && "
	       "for i in tcx tcxp bare barep nfx nfxp up0 up0p up1 up1p up2 up2p up3 up3p; do "
	       "ip link set $i up; done && "
	       "ip addr add 192.168.60.1/24 dev up0 && ip -6 addr add fd60::1/64 dev up0 nodad && "
	       "ip addr add 192.168.61.1/24 dev up1 && ip addr add 192.168.62.1/24 dev up2 && "
	       "ip addr add 192.168.63.1/24 dev up3 && "
	       "ip neigh add 192.168.63.2 lladdr 02:00:00:00:63:02 dev up3 nud permanent && "
	       "ip route add 198.18.7.0/24 via 192.168.63.2 && "
	       "ip neigh add 192.168.60.2 lladdr 02:00:00:00:60:02 dev up0 nud permanent && "
	       "ip -6 neigh add fd60::2 lladdr 02:00:00:00:60:02 dev up0 nud permanent && "
	       "ip neigh add 192.168.61.2 lladdr 02:00:00:00:61:02 dev up1 nud permanent && "
	       "ip neigh add 192.168.62.2 lladdr 02:00:00:00:62:02 dev up2 nud permanent && "
	       "ip neigh add 192.168.254.9 lladdr 02:00:00:00:fe:09 dev wgx nud permanent && "
	       "ip route add 198.18.1.0/24 via 192.168.60.2 && "
	       "ip route add 198.18.5.0/24 via 192.168.60.2 mtu lock 100 && "
	       "ip route add 198.18.6.0/24 via 192.168.60.3 && "
	       "ip -6 route add 2001:db8:60::/48 via fd60::2 && "
	       "ip route add 198.18.2.0/24 via 192.168.61.2 && "
	       "ip route add 198.18.3.0/24 via 192.168.62.2 && "
	       "ip -6 addr add fd62::1/64 dev up2 nodad && "
	       "ip rule add ipproto udp dport 5001 lookup 77 && ip -6 rule add ipproto udp dport 5001 lookup 77 && "
	       "ip route add 198.18.1.0/24 via 192.168.62.2 table 77 && "
	       "ip -6 route add 2001:db8:60::/48 dev up2 table 77 && "
	       "ip route add 198.18.4.0/24 via 192.168.254.9 && "
	       /* no link-local address on the tuns: nothing but the test's packets in their queues */
	       "for i in l3t wgt; do echo 1 > /proc/sys/net/ipv6/conf/$i/addr_gen_mode && "
	       "ip link set $i up; done && "
	       "echo 1 > /proc/sys/net/ipv4/ip_forward && "
	       "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding"))
		return -EIO;
	ifi_wg = if_nametoindex("wgx");
	ifi_wgm = if_nametoindex("wgm");
	ifi_lan = if_nametoindex("lan");
	ifi_dev[D_XDP] = ifi_wg;
	ifi_dev[D_TC] = if_nametoindex("tcx");
	ifi_dev[D_BARE] = if_nametoindex("bare");
	ifi_dev[D_NOFWD] = if_nametoindex("nfx");
	ifi_dev[D_RPF] = if_nametoindex("rps");
	ifi_dev[D_RPFL] = if_nametoindex("rpl");
	ifi_up3 = if_nametoindex("up3");
	ifi_up0 = if_nametoindex("up0");
	ifi_up1 = if_nametoindex("up1");
	ifi_up2 = if_nametoindex("up2");
	ifi_l3t = if_nametoindex("l3t");
	ifi_wgt = if_nametoindex("wgt");
	fd_up0p = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (fd_up0p < 0 ||
	    bind(fd_up0p, (struct sockaddr *)&(struct sockaddr_ll){ .sll_family = AF_PACKET,
		 .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)if_nametoindex("up0p") },
		 sizeof(struct sockaddr_ll)))
		return -errno;
	return ifi_wg && ifi_lan && ifi_wgm && ifi_dev[D_TC] && ifi_dev[D_BARE] && ifi_dev[D_NOFWD] &&
	       ifi_dev[D_RPF] && ifi_dev[D_RPFL] &&
	       ifi_up0 && ifi_up1 && ifi_up2 && ifi_up3 && ifi_l3t && ifi_wgt ? 0 : -ENODEV;
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

static int slots_fd = -1;	/* tc_lan's mg_if_slots, what it reads of mg_ifaces */
static int ifaces_fd = -1;	/* tc_lan's (and tc_wg's) mg_ifaces */
static int local4_fd = -1;	/* tc_lan's mg_local4 */
static int wg_attach_fd = -1;	/* tc_wg's mg_attach */

/* An mg_ifaces entry, and mg_if_slots from it, as the loader writes them. */
static int iface_set(int fd, int ifindex, const char *name, uint32_t flags, uint32_t why)
{
	struct mg_iface v = { .flags = flags, .why = why };
	uint32_t k = ifindex;

	snprintf(v.name, sizeof(v.name), "%s", name);
	if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
		return -errno;
	return dp_iface_slots_sync(fd, slots_fd);
}

/* rx, tx, lan packets and rx, tx, lan bytes of a peer, summed over CPUs. */
static void peer_read(int fd, uint32_t peer, uint64_t o[6])
{
	struct mg_peer_stats v[ncpus];

	memset(o, 0, 6 * sizeof(*o));
	if (bpf_map_lookup_elem(fd, &peer, v))
		return;
	for (int c = 0; c < ncpus; c++) {
		o[0] += v[c].rx_packets;
		o[1] += v[c].tx_packets;
		o[2] += v[c].lan_packets;
		o[3] += v[c].rx_bytes;
		o[4] += v[c].tx_bytes;
		o[5] += v[c].lan_bytes;
	}
}

/* mg_ep_stats of a packet's source: packets and bytes. */
static void ep_read(int fd, const struct pkt_spec *s, uint64_t *packets, uint64_t *bytes)
{
	struct mg_ep_key k;
	struct mg_ep_stats v;

	*packets = *bytes = 0;
	if (!s->src)
		return;
	ep_key(&k, s->src);
	if (!bpf_map_lookup_elem(fd, &k, &v)) {
		*packets = v.packets;
		*bytes = v.bytes;
	}
}

/* mg_probes replies of a packet's (source, source port). */
static uint64_t probe_replies(int fd, const struct pkt_spec *s)
{
	struct mg_probe_key k = { 0 };
	struct mg_ep_key ek;
	struct mg_probe_stats v;

	if (!s->src)
		return 0;
	ep_key(&ek, s->src);
	memcpy(k.addr, ek.addr, 16);
	k.family = ek.family;
	k.port = s->sport;
	return bpf_map_lookup_elem(fd, &k, &v) ? 0 : v.replies;
}

/* Maps, counters and the two programs' fds the rows below use. */
struct fds {
	int stats, peer, ep, probe;
};

/* The test's packets (UDP, ICMP echo; anything else is the kernel's own chatter)
 * queued on a tun (l2 0) or a packet socket (l2 14: Ethernet frames) within ms
 * milliseconds, or until 50 ms after the first one: returns how many, the first
 * copied to buf, link header included. */
static int frames_collect(int fd, size_t l2, uint8_t *buf, size_t size, size_t *len, int ms)
{
	struct timespec t0, t1;
	int n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint8_t tmp[2048];
		uint8_t *ip = tmp + l2;
		ssize_t r;
		int left;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return n;
		r = read(fd, tmp, sizeof(tmp)) - (ssize_t)l2;
		if (r < 20 || (ip[0] >> 4 == 6 && r < 41))
			continue;
		/* UDP, ICMP echo requests: the test's; the rest (MLD, ...) is not */
		if (!((ip[0] >> 4 == 4 && (ip[9] == 17 || ip[9] == 1)) ||
		      (ip[0] >> 4 == 6 && (ip[6] == 17 || (ip[6] == 58 && ip[40] == 128)))))
			continue;
		r += l2;
		if (!n++) {
			if ((size_t)r <= size) {
				memcpy(buf, tmp, r);
				*len = r;
			}
			/* a second one would follow at once: look 50 ms more */
			clock_gettime(CLOCK_MONOTONIC, &t0);
			ms = 50;
		}
	}
}

/* Live rows for a layer-3 LAN NIC: the IP packet of `in` is written into the tun
 * l3t, where tc_lan runs on ingress with l3t's mg_ifaces entry MG_IF_L3. The
 * verdict shows in what comes out: a probe reply in l3t's own queue (redirected
 * to its egress), a steered packet in wgt's (the WireGuard device of this
 * instance), a forwarded one as the Ethernet frame up0's peer up0p receives
 * (a packet socket there), nothing for a drop or what the kernel takes
 * (TC_ACT_UNSPEC). */
enum l3_out { L3_NONE, L3_REPLY, L3_STEER, L3_FWD };

struct l3row {
	const char *desc;
	struct pkt_spec in;
	int stat, stat2;	/* enum mg_stat that move by one (-1: none) */
	int peer;		/* peer whose lan_packets moves (-1: none) */
	int ep, probe;
	enum l3_out out;
	struct pkt_spec expect;	/* L3_REPLY / L3_STEER: the packet expected there */
};

static const struct l3row l3rows[] = {
	{ "layer-3 NIC: v4 to a remote range: counted for peer 1 (IP bytes), steered with TTL-1",
	  { V4("10.0.0.5", "10.1.2.3"), PL }, MG_STAT_TC_MESH, MG_STAT_TC_LAN_REDIRECT, 1, 0, 0, L3_STEER,
	  { V4("10.0.0.5", "10.1.2.3"), PL, .ttl = 63 } },
	{ "layer-3 NIC: v6 to a remote range: counted, steered with hop limit-1",
	  { V6("fd00::5", "fd01::9"), .proto = 17, .sport = 7, .dport = 8, .pl = PL_RAW, .pl_len = 24 },
	  MG_STAT_TC_MESH, MG_STAT_TC_LAN_REDIRECT, 1, 0, 0, L3_STEER,
	  { V6("fd00::5", "fd01::9"), .proto = 17, .sport = 7, .dport = 8, .pl = PL_RAW, .pl_len = 24, .ttl = 63 } },
	{ "layer-3 NIC: v4 to a remote mesh address (/32): peer 2, steered",
	  { V4("10.0.0.5", "192.168.254.3"), PL, .ttl = 30 }, MG_STAT_TC_MESH, MG_STAT_TC_LAN_REDIRECT, 2, 0, 0, L3_STEER,
	  { V4("10.0.0.5", "192.168.254.3"), PL, .ttl = 29 } },
	{ "layer-3 NIC: v4 probe request answered out of the NIC it came in by",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40003, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 31,
	    .tx_ns = 999, .tag = TAG, .ttl = 50 },
	  MG_STAT_TC_PROBE_ANSWERED, -1, -1, 0, 0, L3_REPLY,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40003, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 31,
	    .tx_ns = 999, .tag = TAG, .swap = true } },
	{ "layer-3 NIC: v6 probe request answered",
	  { V6("2001:db8::1", "fd00::1"), .proto = 17, .sport = 40003, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 32,
	    .tx_ns = 1000, .tag = TAG, .ttl = 7 },
	  MG_STAT_TC_PROBE_ANSWERED, -1, -1, 0, 0, L3_REPLY,
	  { V6("2001:db8::1", "fd00::1"), .proto = 17, .sport = 40003, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 32,
	    .tx_ns = 1000, .tag = TAG, .swap = true } },
	{ "layer-3 NIC: v4 probe request with a partial checksum: reply with a full one",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40003, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 33,
	    .tx_ns = 3, .tag = TAG, .udp_csum_partial = true },
	  MG_STAT_TC_PROBE_ANSWERED, -1, -1, 0, 0, L3_REPLY,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40003, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 33,
	    .tx_ns = 3, .tag = TAG, .swap = true } },
	{ "layer-3 NIC: v6 probe request with a partial checksum: reply with a full one",
	  { V6("2001:db8::1", "fd00::1"), .proto = 17, .sport = 40003, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 34,
	    .tx_ns = 4, .tag = TAG, .udp_csum_partial = true },
	  MG_STAT_TC_PROBE_ANSWERED, -1, -1, 0, 0, L3_REPLY,
	  { V6("2001:db8::1", "fd00::1"), .proto = 17, .sport = 40003, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 34,
	    .tx_ns = 4, .tag = TAG, .swap = true } },
	{ "layer-3 NIC: probe request with a wrong tag: dropped, no reply",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 40003, .dport = WG_PORT, .pl = PL_PROBE_REQ, .tag = BADTAG },
	  MG_STAT_TC_PROBE_BAD, -1, -1, 0, 0, L3_NONE },
	{ "layer-3 NIC: v6 probe request from an unknown source: dropped",
	  { V6("2001:db8::2", "fd00::1"), .proto = 17, .sport = 40003, .dport = WG_PORT, .pl = PL_PROBE_REQ, .tag = TAG },
	  MG_STAT_TC_PROBE_BAD, -1, -1, 0, 0, L3_NONE },
	{ "layer-3 NIC: v4 probe reply to the probe port: recorded, dropped",
	  { V4("192.0.2.31", "10.0.0.1"), .proto = 17, .sport = WG_PORT, .dport = PROBE_PORT + 2, .pl = PL_PROBE_REPLY,
	    .seq = 35, .tx_ns = 1, .tag = TAG },
	  MG_STAT_TC_PROBE_REPLY, -1, -1, 0, 1, L3_NONE },
	{ "layer-3 NIC: v6 probe reply to the probe port: recorded, dropped",
	  { V6("2001:db8::31", "fd00::1"), .proto = 17, .sport = WG_PORT, .dport = PROBE_PORT, .pl = PL_PROBE_REPLY,
	    .seq = 36, .tx_ns = 1, .tag = TAG },
	  MG_STAT_TC_PROBE_REPLY, -1, -1, 0, 1, L3_NONE },
	{ "layer-3 NIC: v4 UDP to the WireGuard port: counted per source (IP bytes), to the kernel",
	  { V4("192.0.2.32", "10.0.0.1"), .proto = 17, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 148 },
	  MG_STAT_TC_WG, MG_STAT_TC_LAN_OK, -1, 1, 0, L3_NONE },
	{ "layer-3 NIC: v6 UDP to the WireGuard port: counted per source",
	  { V6("2001:db8::32", "fd00::1"), .proto = 17, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 92 },
	  MG_STAT_TC_WG, MG_STAT_TC_LAN_OK, -1, 1, 0, L3_NONE },
	{ "layer-3 NIC: v4 to a routed destination: TC fast path to up0, an Ethernet header put in front, TTL-1",
	  { V4("10.0.0.5", "198.18.1.9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18 },
	  MG_STAT_TC_FWD, -1, -1, 0, 0, L3_FWD,
	  { V4("10.0.0.5", "198.18.1.9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18,
	    .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "layer-3 NIC: v6 to a routed destination: TC fast path to up0, hop limit-1",
	  { V6("fd00::5", "2001:db8:60::9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 30 },
	  MG_STAT_TC_FWD, -1, -1, 0, 0, L3_FWD,
	  { V6("fd00::5", "2001:db8:60::9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 30,
	    .ttl = 63, .smac = MAC_UP0, .dmac = MAC_NH0 } },
	{ "layer-3 NIC: v4 to a routed destination with TTL 1: left to the kernel (time exceeded)",
	  { V4("10.0.0.5", "198.18.1.9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18, .ttl = 1 },
	  MG_STAT_TC_LAN_OK, -1, -1, 0, 0, L3_NONE },
	{ "layer-3 NIC: v4 to a destination without a neighbour: left to the kernel (it resolves it)",
	  { V4("10.0.0.5", "198.18.6.9"), .proto = 17, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18 },
	  MG_STAT_TC_LAN_OK, -1, -1, 0, 0, L3_NONE },
	{ "layer-3 NIC: v4 to a remote range with TTL 1: counted, left to the kernel",
	  { V4("10.0.0.5", "10.1.2.3"), PL, .ttl = 1 }, MG_STAT_TC_MESH, MG_STAT_TC_LAN_OK, 1, 0, 0, L3_NONE },
};

static void l3_rows(const struct fds *f)
{
	for (size_t i = 0; i < sizeof(l3rows) / sizeof(l3rows[0]); i++) {
		const struct l3row *r = &l3rows[i];
		uint8_t frame[512], got[2048], want[512];
		size_t len = pkt_build(frame, &r->in) - 14, glen = 0, wlen = 0;
		uint64_t s0[MG_STAT__MAX], s1[MG_STAT__MAX], p0[4][6], p1[6], e0p, e0b, e1p, e1b;
		int fds_out[] = { fd_l3t, fd_wgt, fd_up0p }, n_out, n_other;
		int fd_out = r->out == L3_REPLY ? fd_l3t : r->out == L3_STEER ? fd_wgt : fd_up0p;
		size_t l2 = r->out == L3_FWD ? 14 : 0;
		const char *where = r->out == L3_REPLY ? "l3t" : r->out == L3_STEER ? "wgt" : "up0p";
		bool good = true;

		for (int q = 0; q < 3; q++)	/* drain */
			frames_collect(fds_out[q], q == 2 ? 14 : 0, got, sizeof(got), &glen, 0);
		read_stats(f->stats, s0);
		for (int p = 0; p < 4; p++)
			peer_read(f->peer, p, p0[p]);
		ep_read(f->ep, &r->in, &e0p, &e0b);
		uint64_t pr0 = probe_replies(f->probe, &r->in);

		if (!is_int(write(fd_l3t, frame + 14, len), (long long)len, r->desc))
			continue;
		if (r->out != L3_NONE) {
			uint8_t other[2048];
			size_t olen;

			wlen = pkt_build(want, &r->expect) - 14 + l2;
			n_out = frames_collect(fd_out, l2, got, sizeof(got), &glen, 1000);
			n_other = 0;
			for (int q = 0; q < 3; q++)
				if (fds_out[q] != fd_out)
					n_other += frames_collect(fds_out[q], q == 2 ? 14 : 0, other,
								  sizeof(other), &olen, 50);
			if (!ok(n_out == 1 && n_other == 0 && glen == wlen && !memcmp(got, want + 14 - l2, wlen),
				"  %s in %s (got %d there, %d elsewhere)",
				r->out == L3_REPLY ? "reply" : r->out == L3_STEER ? "steered packet" : "frame",
				where, n_out, n_other)) {
				if (n_out && glen == wlen)
					hexdump_diff(got, want + 14 - l2, wlen);
				good = false;
			}
		} else {
			n_out = 0;
			for (int q = 0; q < 3; q++)
				n_out += frames_collect(fds_out[q], q == 2 ? 14 : 0, got, sizeof(got), &glen,
							q ? 0 : 100);
			ok(n_out == 0, "  nothing comes out of l3t, wgt or up0 (%d packets)", n_out);
		}
		/* tun hands the packet to the stack in the writer's context
		 * (netif_receive_skb), and we waited above anyway: the counters are
		 * final now. */
		read_stats(f->stats, s1);
		for (int s = 0; s < MG_STAT__MAX; s++) {
			uint64_t d = s1[s] - s0[s], w = s == r->stat || s == r->stat2;

			if (d != w) {
				good = false;
				tap_diag("  stat %d moved by %llu, want %llu", s, (unsigned long long)d,
					 (unsigned long long)w);
			}
		}
		for (int p = 0; p < 4; p++) {
			peer_read(f->peer, p, p1);
			for (int k = 0; k < 6; k++) {
				uint64_t d = p1[k] - p0[p][k], w = 0;

				if (p == r->peer && k == 2)
					w = 1;
				if (p == r->peer && k == 5)
					w = len;	/* an L3 NIC's skb->len: the IP packet */
				if (d != w) {
					good = false;
					tap_diag("  peer %d field %d moved by %llu, want %llu", p, k,
						 (unsigned long long)d, (unsigned long long)w);
				}
			}
		}
		ep_read(f->ep, &r->in, &e1p, &e1b);
		if (e1p - e0p != (uint64_t)r->ep || e1b - e0b != (r->ep ? len : 0)) {
			good = false;
			tap_diag("  endpoint count moved by %llu packets, %llu bytes",
				 (unsigned long long)(e1p - e0p), (unsigned long long)(e1b - e0b));
		}
		if (probe_replies(f->probe, &r->in) - pr0 != (uint64_t)r->probe) {
			good = false;
			tap_diag("  probe record moved wrongly");
		}
		ok(good, "  counters: exactly the expected deltas");
	}
}

static uint64_t stat_get(int fd, uint32_t stat)
{
	uint64_t s[MG_STAT__MAX];

	read_stats(fd, s);
	return s[stat];
}

/* The prober: a process in its own network namespace behind the veth p0
 * (10.0.9.2, fd09::2), commanded over ctl ('4'/'6': send a probe request to the
 * gateway from port 40005 and answer '1' once the reply arrives, '0' after 2 s
 * without one; 'q' or EOF: exit). Its kernel sends with the veth's checksum
 * offload: the request leaves CHECKSUM_PARTIAL, the UDP checksum field holding
 * the pseudo-header sum only. */
static void prober(int ctl)
{
	char c;
	uint32_t seq = 100;

	if (unshare(CLONE_NEWNET) || write(ctl, "r", 1) != 1 || read(ctl, &c, 1) != 1 ||
	    system("ip link set lo up && ip addr add 10.0.9.2/24 dev p0 && "
		   "ip -6 addr add fd09::2/64 dev p0 nodad && ip link set p0 up"))
		_exit(1);
	while (read(ctl, &c, 1) == 1 && c != 'q') {
		bool v6 = c == '6';
		int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(40005) };
		struct sockaddr_in d4 = { .sin_family = AF_INET, .sin_port = htons(WG_PORT) };
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(40005) };
		struct sockaddr_in6 d6 = { .sin6_family = AF_INET6, .sin6_port = htons(WG_PORT) };
		struct mg_probe p = { .magic = MG_PROBE_REQUEST, .seq = ++seq, .tx_ns = 1 }, r = { 0 };
		struct pollfd pf = { .fd = s, .events = POLLIN };
		char res = '0';

		memcpy(p.tag, TAG, sizeof(p.tag));
		inet_pton(AF_INET, "10.0.9.2", &a4.sin_addr);
		inet_pton(AF_INET, "10.0.9.1", &d4.sin_addr);
		inet_pton(AF_INET6, "fd09::2", &a6.sin6_addr);
		inet_pton(AF_INET6, "fd09::1", &d6.sin6_addr);
		if (s >= 0 && !(v6 ? bind(s, (void *)&a6, sizeof(a6)) : bind(s, (void *)&a4, sizeof(a4))) &&
		    (v6 ? sendto(s, &p, sizeof(p), 0, (void *)&d6, sizeof(d6)) :
			  sendto(s, &p, sizeof(p), 0, (void *)&d4, sizeof(d4))) == sizeof(p) &&
		    poll(&pf, 1, 2000) == 1 && recv(s, &r, sizeof(r), 0) == sizeof(r) &&
		    r.magic == MG_PROBE_REPLY && r.seq == p.seq)
			res = '1';
		if (s >= 0)
			close(s);
		if (write(ctl, &res, 1) != 1)
			break;
	}
	_exit(0);
}

/* tc_lan on the gateway's end (g0, 10.0.9.1, fd09::1) of a veth to the prober. */
static void local_prober(struct tc_lan_bpf *lan)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = bpf_program__fd(lan->progs.mg_tc_lan));
	int sv[2], stats = bpf_map__fd(lan->maps.mg_stats), kfd = bpf_map__fd(lan->maps.mg_known_eps);
	uint32_t one = 1;
	struct mg_ep_key k;
	char cmd[128], c;
	pid_t pid;

	if (!ok(!sh("ip link add g0 type veth peer name p0 && ip addr add 10.0.9.1/24 dev g0 && "
		    "ip -6 addr add fd09::1/64 dev g0 nodad && ip link set g0 up"), "veth g0 - p0"))
		return;
	hook.ifindex = if_nametoindex("g0");
	ep_key(&k, "10.0.9.2");
	bpf_map_update_elem(kfd, &k, &one, BPF_ANY);
	ep_key(&k, "fd09::2");
	bpf_map_update_elem(kfd, &k, &one, BPF_ANY);
	if (!ok(!iface_set(bpf_map__fd(lan->maps.mg_ifaces), hook.ifindex, "g0", MG_IF_FWD, MG_WHY_VETH) &&
		!bpf_tc_hook_create(&hook) && !bpf_tc_attach(&hook, &opts), "tc_lan attached to g0") ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		close(sv[0]);
		prober(sv[1]);
	}
	close(sv[1]);
	snprintf(cmd, sizeof(cmd), "ip link set p0 netns %d", (int)pid);
	if (read(sv[0], &c, 1) != 1 || sh(cmd) || write(sv[0], "g", 1) != 1) {
		ok(0, "prober namespace set up");
		goto out;
	}
	for (int off = 0; off < 2; off++) {
		if (off && system("command -v ethtool >/dev/null")) {
			ok(1, "# SKIP no ethtool: g0 without checksum offload not tested");
			break;
		}
		/* Without offload on g0 the kernel completes the reply's checksum in
		 * software (skb_checksum_help) on its way out. */
		if (off && sh("ethtool -K g0 tx off >/dev/null"))
			break;
		for (int v6 = 0; v6 < 2; v6++) {
			uint64_t a0 = stat_get(stats, MG_STAT_TC_PROBE_ANSWERED), b0 = stat_get(stats, MG_STAT_TC_PROBE_BAD);
			char res = 0;

			if (write(sv[0], v6 ? "6" : "4", 1) != 1 || read(sv[0], &res, 1) != 1)
				res = 0;
			ok(res == '1' && stat_get(stats, MG_STAT_TC_PROBE_ANSWERED) - a0 == 1 &&
			   stat_get(stats, MG_STAT_TC_PROBE_BAD) == b0,
			   "live: v%d probe from a local sender (CHECKSUM_PARTIAL), g0 %s: answered by tc_lan, "
			   "the reply reaches the prober's socket", v6 ? 6 : 4,
			   off ? "without checksum offload" : "with checksum offload");
		}
	}
out:
	if (write(sv[0], "q", 1) != 1)
		tap_diag("prober gone");
	close(sv[0]);
	waitpid(pid, NULL, 0);
}

/* A second tc_lan sharing the first one's maps, steering into wgt, attached to
 * l3t's ingress (clsact): the live layer-3 rows. */
static struct tc_lan_bpf *l3_setup(struct tc_lan_bpf *lan)
{
	struct tc_lan_bpf *l3 = tc_lan_bpf__open();
	struct bpf_map *m;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifi_l3t, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts);

	if (!l3)
		return NULL;
	bpf_object__for_each_map(m, l3->obj) {
		struct bpf_map *orig = bpf_object__find_map_by_name(lan->obj, bpf_map__name(m));

		bpf_map__set_pin_path(m, NULL);
		if (!strncmp(bpf_map__name(m), "mg_", 3) && orig &&
		    bpf_map__reuse_fd(m, bpf_map__fd(orig)))
			goto fail;
	}
	l3->rodata->wg_ifindex = ifi_wgt;
	l3->rodata->wg_port = WG_PORT;
	l3->rodata->probe_port = PROBE_PORT;
	if (tc_lan_bpf__load(l3))
		goto fail;
	opts.prog_fd = bpf_program__fd(l3->progs.mg_tc_lan);
	if (bpf_tc_hook_create(&hook) || bpf_tc_attach(&hook, &opts))
		goto fail;
	return l3;
fail:
	tc_lan_bpf__destroy(l3);
	return NULL;
}

/* One test run of a tc_wg egress program on spec, with skb_iif iif: mg_stats and
 * peer 1's counters before (s0, p0) and after (s1, p1), the run's length in *len.
 * The run's return value, or -1 (reported) when the test run failed. */
struct egress_run {
	size_t len;
	uint64_t s0[MG_STAT__MAX], s1[MG_STAT__MAX], p0[6], p1[6];
};

static long wg_egress_run(int fd, int stats, int peers, const struct pkt_spec *spec, uint32_t iif,
			  const char *desc, struct egress_run *r)
{
	uint8_t in[512], out[512];
	struct __sk_buff ctx = { .ifindex = ifi_wg, .ingress_ifindex = iif };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = 1);

	r->len = pkt_build(in, spec);
	o.data_size_in = r->len;
	read_stats(stats, r->s0);
	peer_read(peers, 1, r->p0);
	if (!is_int(bpf_prog_test_run_opts(fd, &o), 0, desc))
		return LONG_MIN;	/* not run (a verdict may be -1) */
	read_stats(stats, r->s1);
	peer_read(peers, 1, r->p1);
	return (int)o.retval;
}

/* tc_wg egress counts as the peer's LAN traffic what was forwarded in from a NIC
 * where no program of meshgw counted it: the LAN NIC left to the kernel
 * (MG_IF_KERNEL), a NIC whose netfilter acts (no MG_IF_FWD: tc_lan hands mesh
 * traffic on uncounted), a NIC with no program of meshgw; not what XDP or tc_lan
 * counted, not what came from another peer. A second tc_wg sharing the first
 * one's maps (mg_ifaces tc_lan's). Counted with the bytes tc_lan would have seen
 * (the test's frames carry the Ethernet header: skb->len); a fragmented packet
 * as one packet with all its bytes; the gateway's own packets not at all. A test
 * run's skb always has a socket (the kernel's dummy one), so fragments without
 * skb_iif are the gateway's own here; those without a socket, as the kernel cuts
 * a forwarded packet, are dp_netns.t.sh's. The iif values below 1000 are fake
 * ifindexes given mg_ifaces entries here (79: none). */
#define LAN_K_IFINDEX 77
#define XDP_K_IFINDEX 78
#define NONE_K_IFINDEX 79
#define XDPNF_K_IFINDEX 80	/* XDP, netfilter acts: no MG_IF_FWD */
#define IIF_TC 1001		/* tcx: MG_IF_FWD, tc_lan counts there */
#define IIF_NOFWD 1002		/* nfx: no MG_IF_FWD */
#define IIF_WG 1003		/* the WireGuard device itself */
static void wg_lan_count(struct tc_wg_bpf *wg)
{
	static const struct {
		const char *desc;
		struct pkt_spec in;
		uint32_t iif;
		int packets;		/* lan_packets of peer 1 moves by this */
		int bytes;		/* lan_bytes: 1 the frame, 2 its IP payload, 0 none */
	} cases[] = {
		{ "v4 from the LAN NIC left to the kernel: one LAN packet, its bytes",
		  { V4("10.0.0.5", "10.1.2.3"), PL }, LAN_K_IFINDEX, 1, 1 },
		{ "v6 from the LAN NIC: the same", { V6("fd00::5", "fd01::9"), PL6 }, LAN_K_IFINDEX, 1, 1 },
		{ "from a NIC whose netfilter acts (tc_lan handed it on): counted",
		  { V4("10.0.0.5", "10.1.2.3"), PL }, IIF_NOFWD, 1, 1 },
		{ "from a NIC with no program of meshgw: counted", { V4("10.0.0.5", "10.1.2.3"), PL },
		  NONE_K_IFINDEX, 1, 1 },
		{ "from a NIC whose tc_lan counted it: not again", { V4("10.0.0.5", "10.1.2.3"), PL }, IIF_TC, 0, 0 },
		{ "from a NIC whose XDP counted it: not again", { V4("10.0.0.5", "10.1.2.3"), PL }, XDP_K_IFINDEX,
		  0, 0 },
		{ "from a NIC with XDP whose netfilter acts (XDP handed it on): counted",
		  { V4("10.0.0.5", "10.1.2.3"), PL }, XDPNF_K_IFINDEX, 1, 1 },
		{ "from another peer (in by the WireGuard device): not counted", { V4("10.0.0.5", "10.1.2.3"), PL },
		  IIF_WG, 0, 0 },
		{ "the gateway's own packet (no skb_iif): not counted", { V4("10.0.0.1", "10.1.2.3"), PL }, 0, 0, 0 },
		{ "first fragment from the LAN NIC: one packet, its bytes",
		  { V4("10.0.0.5", "10.1.2.3"), PL, .frag = 0x2000 }, LAN_K_IFINDEX, 1, 1 },
		{ "a later fragment: no packet, its payload only",
		  { V4("10.0.0.5", "10.1.2.3"), PL, .frag = 0x2000 | 185 }, LAN_K_IFINDEX, 0, 2 },
		{ "the last fragment: the same", { V4("10.0.0.5", "10.1.2.3"), PL, .frag = 370 }, LAN_K_IFINDEX, 0, 2 },
		{ "a fragment without skb_iif, with a socket (the gateway's own): not counted",
		  { V4("10.0.0.1", "10.1.2.3"), PL, .frag = 0x2000 }, 0, 0, 0 },
	};
	struct tc_wg_bpf *k = tc_wg_bpf__open();
	struct bpf_map *m;
	int fd, stats, peers;

	if (!ok(k, "open a second tc_wg") ||
	    !ok(!iface_set(ifaces_fd, LAN_K_IFINDEX, "lank", MG_IF_KERNEL | MG_IF_FWD, MG_WHY_VETH) &&
		!iface_set(ifaces_fd, XDP_K_IFINDEX, "xdpk", MG_IF_XDP | MG_IF_XMIT | MG_IF_FWD, MG_WHY_NONE) &&
		!iface_set(ifaces_fd, XDPNF_K_IFINDEX, "xdpnf", MG_IF_XDP | MG_IF_XMIT, MG_WHY_NONE),
		"  mg_ifaces: a LAN NIC left to the kernel, a NIC with XDP, one whose netfilter acts"))
		return;
	bpf_object__for_each_map(m, k->obj) {
		struct bpf_map *orig = bpf_object__find_map_by_name(wg->obj, bpf_map__name(m));

		bpf_map__set_pin_path(m, NULL);
		if (!strncmp(bpf_map__name(m), "mg_", 3) && orig)
			bpf_map__reuse_fd(m, bpf_map__fd(orig));
	}
	k->rodata->lan_ifindex = ifi_lan;
	k->rodata->l3_off = 14;
	if (!ok(!tc_wg_bpf__load(k), "  load it (verifier)"))
		goto out;
	fd = bpf_program__fd(k->progs.mg_tc_wg_egress);
	stats = bpf_map__fd(wg->maps.mg_stats);
	peers = bpf_map__fd(wg->maps.mg_peer_stats);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct egress_run r;
		uint32_t iif = cases[i].iif == IIF_TC ? (uint32_t)ifi_dev[D_TC] :
			       cases[i].iif == IIF_NOFWD ? (uint32_t)ifi_dev[D_NOFWD] :
			       cases[i].iif == IIF_WG ? (uint32_t)ifi_wg : cases[i].iif;
		long rc = wg_egress_run(fd, stats, peers, &cases[i].in, iif, cases[i].desc, &r);
		uint64_t want_b = cases[i].bytes == 1 ? r.len : cases[i].bytes == 2 ? r.len - 14 - 20 : 0;

		if (rc == LONG_MIN)
			continue;
		ok(rc == TC_ACT_UNSPEC && r.p1[1] - r.p0[1] == 1 &&
		   r.p1[2] - r.p0[2] == (uint64_t)cases[i].packets && r.p1[5] - r.p0[5] == want_b &&
		   r.s1[MG_STAT_TC_MESH] - r.s0[MG_STAT_TC_MESH] == (want_b ? 1 : 0),
		   "  tx +1, lan_packets +%d, lan_bytes +%llu (got +%llu, +%llu)", cases[i].packets,
		   (unsigned long long)want_b, (unsigned long long)(r.p1[2] - r.p0[2]),
		   (unsigned long long)(r.p1[5] - r.p0[5]));
	}
out:
	tc_wg_bpf__destroy(k);
}

/* tc_wg egress and the gateway's own non-mesh addresses (mg_own_addr): its own
 * packet (no skb_iif) from one of them leaves by that address's device
 * (TC_ACT_REDIRECT; test runs do not perform it), counted as tc_wg_own_reply and
 * not as the peer's; a forwarded packet with that source, or the gateway's own
 * from another address, goes into the tunnel as before. */
static void wg_own_reply(struct tc_wg_bpf *wg)
{
	static const struct {
		const char *desc;
		struct pkt_spec in;
		uint32_t iif;
		int verdict;
	} cases[] = {
		{ "own v4 reply from the uplink address: out of the uplink",
		  { V4("198.51.100.7", "10.1.2.3"), PL }, 0, TC_ACT_REDIRECT },
		{ "own v6 reply from the uplink address: the same", { V6("2001:db8:b::7", "fd01::9"), PL6 }, 0,
		  TC_ACT_REDIRECT },
		{ "own reply from a layer-3 uplink's address (no gateway): the same",
		  { V4("100.64.0.2", "10.1.2.3"), PL }, 0, TC_ACT_REDIRECT },
		{ "a forwarded packet with that source: into the tunnel", { V4("198.51.100.7", "10.1.2.3"), PL }, 5,
		  TC_ACT_UNSPEC },
		{ "own packet from another address: into the tunnel", { V4("10.0.0.1", "10.1.2.3"), PL }, 0,
		  TC_ACT_UNSPEC },
	};
	struct mg_own_key k4 = { .family = AF_INET }, k6 = { .family = AF_INET6 }, kl3 = { .family = AF_INET };
	struct mg_own_route r4 = { .ifindex = ifi_up0, .nh_family = AF_INET },
			    r6 = { .ifindex = ifi_up0, .nh_family = AF_INET6 }, rl3 = { .ifindex = ifi_up2 };
	int own = bpf_map__fd(wg->maps.mg_own_addr), fd = bpf_program__fd(wg->progs.mg_tc_wg_egress);
	int stats = bpf_map__fd(wg->maps.mg_stats), peers = bpf_map__fd(wg->maps.mg_peer_stats);

	inet_pton(AF_INET, "198.51.100.7", k4.addr);
	inet_pton(AF_INET, "198.51.100.1", r4.nh);
	inet_pton(AF_INET6, "2001:db8:b::7", k6.addr);
	inet_pton(AF_INET6, "fe80::1", r6.nh);
	inet_pton(AF_INET, "100.64.0.2", kl3.addr);
	if (!ok(!bpf_map_update_elem(own, &k4, &r4, BPF_ANY) && !bpf_map_update_elem(own, &k6, &r6, BPF_ANY) &&
		!bpf_map_update_elem(own, &kl3, &rl3, BPF_ANY), "mg_own_addr: three of the gateway's addresses"))
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool redirect = cases[i].verdict == TC_ACT_REDIRECT;
		struct egress_run r;
		long rc = wg_egress_run(fd, stats, peers, &cases[i].in, cases[i].iif, cases[i].desc, &r);

		if (rc == LONG_MIN)
			continue;
		is_int(rc, cases[i].verdict, "  verdict");
		ok(r.s1[MG_STAT_TC_WG_OWN] - r.s0[MG_STAT_TC_WG_OWN] == (redirect ? 1 : 0) &&
		   r.p1[1] - r.p0[1] == (redirect ? 0 : 1),
		   "  tc_wg_own_reply +%d, peer 1's tx +%d", redirect, !redirect);
	}
	bpf_map_delete_elem(own, &k4);
	bpf_map_delete_elem(own, &k6);
	bpf_map_delete_elem(own, &kl3);
}

int main(void)
{
	struct tc_lan_bpf *lan, *l3;
	struct tc_wg_bpf *wg;
	struct bpf_map *m;
	int fds[3], stats_fd[3], peer_fd[3], ep_fd, probe_fd;

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
	lan->rodata->wg_port = WG_PORT;
	lan->rodata->probe_port = PROBE_PORT;
	wg->rodata->lan_ifindex = ifi_lan;
	wg->rodata->l3_off = 14;
	/* One mg_ifaces and mg_if_slots for both, as the loader's pins make them. */
	if (!ok(!tc_lan_bpf__load(lan), "load tc_lan (verifier)") ||
	    !ok(!bpf_map__reuse_fd(wg->maps.mg_ifaces, bpf_map__fd(lan->maps.mg_ifaces)) &&
		!bpf_map__reuse_fd(wg->maps.mg_if_slots, bpf_map__fd(lan->maps.mg_if_slots)),
		"tc_wg shares tc_lan's mg_ifaces and mg_if_slots") ||
	    !ok(!tc_wg_bpf__load(wg), "load tc_wg (verifier)"))
		return tap_done();
	slots_fd = bpf_map__fd(lan->maps.mg_if_slots);
	{
		struct test_routes rl = { .fd4 = bpf_map__fd(lan->maps.mg_routes4),
					  .fd6 = bpf_map__fd(lan->maps.mg_routes6) };
		struct test_routes rw = { .fd4 = bpf_map__fd(wg->maps.mg_routes4),
					  .fd6 = bpf_map__fd(wg->maps.mg_routes6) };
		int kfd = bpf_map__fd(lan->maps.mg_known_eps), ifd = bpf_map__fd(lan->maps.mg_ifaces);
		uint32_t zero = 0, one = 1;
		struct mg_ep_key k;

		ok(fill(&rl) && fill(&rw), "routes added");
		ok(!test_routes_commit(&rl, lan->obj) && !test_routes_commit(&rw, wg->obj),
		   "route filters and tables written");
		ep_key(&k, "192.0.2.1");
		bpf_map_update_elem(kfd, &k, &one, BPF_ANY);
		ep_key(&k, "2001:db8::1");
		bpf_map_update_elem(kfd, &k, &one, BPF_ANY);
		bpf_map_update_elem(bpf_map__fd(lan->maps.mg_mesh_tag), &zero, TAG, BPF_ANY);
		/* What the loader writes, netfilter leaving forwarding alone
		 * (MG_IF_FWD): wgx a native-XDP NIC that can transmit, tcx a veth left
		 * to TC, up0 a TC-only uplink, up2 a layer-3 one (its route has a
		 * neighbour here only so that the fib lookup succeeds), l3t a layer-3
		 * LAN NIC, lan the one tc_wg ingress delivers to. nfx and up3 as on a
		 * box whose netfilter acts on forwarding (no MG_IF_FWD). bare and up1:
		 * no entry. */
		ok(!iface_set(ifd, ifi_wg, "wgx", MG_IF_XDP | MG_IF_XMIT | MG_IF_FWD, MG_WHY_NONE) &&
		   !iface_set(ifd, ifi_dev[D_TC], "tcx", MG_IF_FWD, MG_WHY_VETH) &&
		   !iface_set(ifd, ifi_up0, "up0", MG_IF_FWD, MG_WHY_VETH) &&
		   !iface_set(ifd, ifi_up2, "up2", MG_IF_L3 | MG_IF_FWD, MG_WHY_L3) &&
		   !iface_set(ifd, ifi_l3t, "l3t", MG_IF_L3 | MG_IF_FWD, MG_WHY_L3) &&
		   !iface_set(ifd, ifi_dev[D_NOFWD], "nfx", 0, MG_WHY_VETH) &&
		   !iface_set(ifd, ifi_dev[D_RPF], "rps", MG_IF_FWD | MG_IF_RPF_STRICT, MG_WHY_VETH) &&
		   !iface_set(ifd, ifi_dev[D_RPFL], "rpl", MG_IF_FWD | MG_IF_RPF_LOOSE, MG_WHY_VETH) &&
		   !iface_set(ifd, ifi_up3, "up3", 0, MG_WHY_VETH) &&
		   !iface_set(ifd, ifi_lan, "lan", MG_IF_FWD, MG_WHY_VETH), "mg_ifaces written");
		ifaces_fd = ifd;
	}
	fds[P_LAN] = bpf_program__fd(lan->progs.mg_tc_lan);
	fds[P_WG_EGRESS] = bpf_program__fd(wg->progs.mg_tc_wg_egress);
	fds[P_WG_INGRESS] = bpf_program__fd(wg->progs.mg_tc_wg_ingress);
	stats_fd[P_LAN] = bpf_map__fd(lan->maps.mg_stats);
	stats_fd[P_WG_EGRESS] = stats_fd[P_WG_INGRESS] = bpf_map__fd(wg->maps.mg_stats);
	peer_fd[P_LAN] = bpf_map__fd(lan->maps.mg_peer_stats);
	peer_fd[P_WG_EGRESS] = peer_fd[P_WG_INGRESS] = bpf_map__fd(wg->maps.mg_peer_stats);
	ep_fd = bpf_map__fd(lan->maps.mg_ep_stats);
	probe_fd = bpf_map__fd(lan->maps.mg_probes);
	ok(!ring_open(bpf_map__fd(lan->maps.mg_probe_ring)), "mg_probe_ring mapped");
	local4_fd = bpf_map__fd(lan->maps.mg_local4);
	wg_attach_fd = bpf_map__fd(wg->maps.mg_attach);
	{
		struct mg_local4 l = { 0 };
		bool lan_addr = false;

		ok(!dp_sync_local4(local4_fd) && !bpf_map_lookup_elem(local4_fd, &(__u32){ 0 }, &l),
		   "mg_local4 filled from this namespace's addresses");
		for (__u32 i = 0; i < l.n && i < MG_LOCAL4_MAX; i++)
			lan_addr |= l.addr[i] == inet_addr("10.0.0.1");
		/* lo's 127.0.0.1, lan, wgx, up0-up3, rps: 8 */
		ok(l.n == 8 && lan_addr, "  %u addresses, the LAN's 10.0.0.1 among them", l.n);
	}

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		uint8_t in[512], out[512];
		size_t len = pkt_build(in, &r->in);
		uint64_t s0[MG_STAT__MAX], s1[MG_STAT__MAX], p0[4][6], p1[6], e0p, e0b, e1p, e1b, pr0;
		struct __sk_buff ctx = { .ifindex = r->prog == P_LAN ? ifi_dev[r->dev] : ifi_wg };
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
		ep_read(ep_fd, &r->in, &e0p, &e0b);
		pr0 = probe_replies(probe_fd, &r->in);
		if (r->lan_nofwd)
			iface_set(ifaces_fd, ifi_lan, "lan", 0, MG_WHY_VETH);
		if (r->dev_more)
			iface_set(ifaces_fd, ifi_dev[r->dev], "tcx", MG_IF_FWD | r->dev_more, MG_WHY_VETH);
		if (r->wg_filters)
			bpf_map_update_elem(wg_attach_fd, &(__u32){ MG_SLOT_TC_WG_INGRESS },
					    &(struct mg_attach){ .ifindex = ifi_wg,
								 .flags = MG_ATTACH_FILTERS_AFTER }, BPF_ANY);
		if (r->local4_full)
			bpf_map_update_elem(local4_fd, &(__u32){ 0 },
					    &(struct mg_local4){ .n = MG_LOCAL4_MAX + 1, .bloom = ~0ULL }, BPF_ANY);
		err = bpf_prog_test_run_opts(fds[r->prog], &o);
		if (r->lan_nofwd)
			iface_set(ifaces_fd, ifi_lan, "lan", MG_IF_FWD, MG_WHY_VETH);
		if (r->local4_full)
			dp_sync_local4(local4_fd);
		if (r->dev_more)
			iface_set(ifaces_fd, ifi_dev[r->dev], "tcx", MG_IF_FWD, MG_WHY_VETH);
		if (r->wg_filters)
			bpf_map_update_elem(wg_attach_fd, &(__u32){ MG_SLOT_TC_WG_INGRESS },
					    &(struct mg_attach){ 0 }, BPF_ANY);
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
		good &= is_int((int)o.retval, r->verdict, "  verdict");
		if (r->expect.family) {
			uint8_t exp[512];
			size_t elen = pkt_build(exp, &r->expect);

			if (!ok(o.data_size_out == elen && !memcmp(exp, out, elen), "  output packet")) {
				is_int(o.data_size_out, elen, "  output length");
				if (o.data_size_out == elen)
					hexdump_diff(out, exp, elen);
			}
		} else if (r->out_ttl) {
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
			/* Bytes: the frame as the program saw it (skb->len, with the
			 * test's Ethernet header); none for the other fields. */
			for (int f = 0; f < 3; f++) {
				uint64_t d = p1[3 + f] - p0[p][3 + f], w = p == r->peer && f == r->field ? len : 0;

				if (d != w) {
					good = false;
					tap_diag("  peer %d bytes of field %d moved by %llu, want %llu", p, f,
						 (unsigned long long)d, (unsigned long long)w);
				}
			}
		}
		if (r->prog == P_LAN) {
			ep_read(ep_fd, &r->in, &e1p, &e1b);
			if (e1p - e0p != (uint64_t)r->ep || e1b - e0b != (r->ep ? len : 0)) {
				good = false;
				tap_diag("  endpoint count moved by %llu packets, %llu bytes",
					 (unsigned long long)(e1p - e0p), (unsigned long long)(e1b - e0b));
			}
			if (probe_replies(probe_fd, &r->in) - pr0 != (uint64_t)r->probe) {
				good = false;
				tap_diag("  probe record moved wrongly");
			}
		}
		/* Every reply recorded is queued for the daemon, once, under the same
		 * key; nothing else is (tc_wg's objects share no ring with tc_lan's
		 * here: only tc_lan records replies). */
		if (r->prog == P_LAN &&
		    (ring_drain() != r->probe ||
		     (r->probe && (!ring_last_is(r->in.src, r->in.sport) || ring_last.seq != r->in.seq)))) {
			good = false;
			tap_diag("  mg_probe_ring: %d records (want %d)", ring_n, r->probe);
		}
		ok(good, "  counters: exactly the expected deltas");
	}

	/* A recorded reply carries the seq of the row that sent it. */
	{
		struct mg_probe_key k = { .family = AF_INET, .port = WG_PORT };
		struct mg_probe_stats ps = { 0 };
		struct mg_ep_key ek;

		ep_key(&ek, "192.0.2.21");
		memcpy(k.addr, ek.addr, 16);
		bpf_map_lookup_elem(probe_fd, &k, &ps);
		ok(ps.replies == 1 && ps.last_seq == 77 && ps.last_rx_ns > 1 && ps.last_rtt_ns == ps.last_rx_ns - 1,
		   "probe record from tc_lan: 1 reply, seq 77, rtt = rx - tx_ns");
	}

	l3 = l3_setup(lan);
	if (ok(l3, "second tc_lan (wg device: tun wgt) attached to the tun l3t"))
		l3_rows(&(struct fds){ .stats = stats_fd[P_LAN], .peer = peer_fd[P_LAN], .ep = ep_fd,
				       .probe = probe_fd });

	local_prober(lan);
	wg_lan_count(wg);
	wg_own_reply(wg);

	/* No tag configured (all zeros): nobody is answered, not even a zero tag. */
	{
		uint32_t zero = 0;
		uint8_t z[16] = { 0 }, in[512], out[512];
		struct pkt_spec s = { V4("192.0.2.1", "10.0.0.1"), .proto = 17, .sport = 1, .dport = WG_PORT,
				      .pl = PL_PROBE_REQ, .tag = z };
		size_t len = pkt_build(in, &s);
		struct __sk_buff ctx = { .ifindex = ifi_dev[D_TC] };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
			    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = 1);

		bpf_map_update_elem(bpf_map__fd(lan->maps.mg_mesh_tag), &zero, z, BPF_ANY);
		bpf_prog_test_run_opts(fds[P_LAN], &o);
		is_int(o.retval, TC_ACT_SHOT, "tc_lan, all-zero mesh tag: even a zero-tag probe is dropped");
	}

	if (l3)
		tc_lan_bpf__destroy(l3);
	tc_lan_bpf__destroy(lan);
	tc_wg_bpf__destroy(wg);
	return tap_done();
}
