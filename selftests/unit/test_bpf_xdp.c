// SPDX-License-Identifier: GPL-2.0-only
/* Table-driven BPF_PROG_TEST_RUN tests of bpf/xdp_lan.bpf.c: each row is
 * {description, input packet, expected verdict, expected output packet, expected
 * counter deltas}. The fast-path rows need routes and neighbours: the test moves
 * itself into a fresh network namespace with two veth pairs (root needed).
 * mg_ifaces says per NIC whether XDP runs there, may transmit into it and may
 * forward to it: vin and vout are native-XDP NICs that can, with netfilter quiet
 * (MG_IF_XDP | MG_IF_XMIT | MG_IF_FWD) unless a row says otherwise; a row's
 * entries are restored after it. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"	/* table rows omit unused fields */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
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
#include "xdp_lan.skel.h"

static const uint8_t MAC_NH[6] = { 0x02, 0, 0, 0, 0, 0x99 };	/* next hop on vout */
static const uint8_t MAC_NH2[6] = { 0x02, 0, 0, 0, 0, 0x98 };	/* next hop on vin */
static uint8_t mac_vin[6], mac_vout[6];
static int ifi_vin, ifi_vout;

enum out_kind { OUT_SAME, OUT_SPEC, OUT_FWD };

struct row {
	const char *desc;
	struct pkt_spec in;
	int truncate;			/* >0: cut the frame to this many bytes; <0: drop -N bytes */
	int verdict;
	int stat;			/* enum mg_stat expected to move by exactly one packet */
	int peer;			/* peer whose lan_packets moves, -1 none */
	enum out_kind out;
	struct pkt_spec expect;		/* OUT_SPEC: expected output */
	int fwd_if;			/* OUT_FWD: 1 = vout (redirect), 2 = vin (XDP_TX) */
	int ep;				/* 1: mg_ep_stats for the source moves by one */
	int probe;			/* 1: mg_probes for (source, sport) moves by one */
	int vin_if, vout_if;		/* mg_ifaces entries of vin / vout for this row: 0 = the
					 * default (MG_IF_XDP | MG_IF_XMIT | MG_IF_FWD, what the
					 * loader writes for a native-XDP NIC that can transmit, on
					 * a box whose netfilter leaves forwarding alone), IFS(flags),
					 * or IF_ABSENT (no entry: a device meshgw does not know) */
};

#define IF_DEFAULT (MG_IF_XDP | MG_IF_XMIT | MG_IF_FWD | MG_IF_TX)
#define IFS(f) (0x10000 | (f))
#define IF_ABSENT (-1)

#define UDP 17
#define V4(s, d) .family = 4, .src = s, .dst = d
#define V6(s, d) .family = 6, .src = s, .dst = d

static const struct row rows[] = {
	/* steering */
	{ "v4 to a remote egress range: counted for peer 1, XDP_PASS",
	  { V4("10.0.0.5", "10.1.2.3"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 20 },
	  0, XDP_PASS, MG_STAT_XDP_MESH, 1, OUT_SAME },
	{ "v4 to a remote egress range, the kernel forwarding no IPv4 from vin (MG_IF_NOFWD4): XDP_PASS, "
	  "uncounted (the kernel drops it)",
	  { V4("10.0.0.5", "10.1.2.3"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 20 },
	  0, XDP_PASS, MG_STAT_XDP_PASS, -1, OUT_SAME, .vin_if = IFS(IF_DEFAULT | MG_IF_NOFWD4) },
	{ "v6 to a remote egress range, no IPv6 forwarding (MG_IF_NOFWD6): XDP_PASS, uncounted",
	  { V6("fd00::5", "fd01::7"), .proto = 58, .pl = PL_RAW, .pl_len = 8 },
	  0, XDP_PASS, MG_STAT_XDP_PASS, -1, OUT_SAME, .vin_if = IFS(IF_DEFAULT | MG_IF_NOFWD6) },
	{ "v4 to a remote egress range, only IPv6 forwarding off (MG_IF_NOFWD6): counted for peer 1, XDP_PASS",
	  { V4("10.0.0.5", "10.1.2.3"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 20 },
	  0, XDP_PASS, MG_STAT_XDP_MESH, 1, OUT_SAME, .vin_if = IFS(IF_DEFAULT | MG_IF_NOFWD6) },
	{ "v6 to a remote egress range: counted for peer 1, XDP_PASS",
	  { V6("fd00::5", "fd01::7"), .proto = 58, .pl = PL_RAW, .pl_len = 8 },
	  0, XDP_PASS, MG_STAT_XDP_MESH, 1, OUT_SAME },
	{ "v4 to a remote mesh address (/32): peer 2",
	  { V4("10.0.0.5", "192.168.254.3"), .proto = 1, .pl = PL_RAW, .pl_len = 8 },
	  0, XDP_PASS, MG_STAT_XDP_MESH, 2, OUT_SAME },
	{ "VLAN-tagged v4 to a remote range: counted, XDP_PASS",
	  { V4("10.0.0.5", "10.1.2.3"), .vlan = true, .proto = 1, .pl = PL_RAW, .pl_len = 8 },
	  0, XDP_PASS, MG_STAT_XDP_MESH, 1, OUT_SAME },
	{ "v4 fragment to a remote range: still mesh-bound",
	  { V4("10.0.0.5", "10.1.2.3"), .proto = UDP, .sport = 1, .dport = 2, .frag = 0x2000, .pl = PL_RAW, .pl_len = 16 },
	  0, XDP_PASS, MG_STAT_XDP_MESH, 1, OUT_SAME },
	{ "v4 to a remote range in a frame for another host's MAC (flooded): not counted, XDP_PASS",
	  { V4("10.0.0.5", "10.1.2.3"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 20, .dmac = MAC_NH },
	  0, XDP_PASS, MG_STAT_XDP_PASS, -1, OUT_SAME },
	/* WireGuard port */
	{ "v4 UDP to the WireGuard port in a frame for another MAC: not counted",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 148, .dmac = MAC_NH },
	  0, XDP_PASS, MG_STAT_XDP_PASS, -1, OUT_SAME },
	{ "v4 probe request to the WireGuard port of an address the gateway routes: forwarded, not answered",
	  { V4("192.0.2.1", "198.51.100.9"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 5, .tag = TAG },
	  0, XDP_REDIRECT, MG_STAT_XDP_FWD_REDIRECT, -1, OUT_FWD,
	  { V4("192.0.2.1", "198.51.100.9"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 5, .tag = TAG, .ttl = 63 }, 1 },
	{ "v6 UDP to the WireGuard port of a routed address: forwarded, not counted per source",
	  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 20 },
	  0, XDP_REDIRECT, MG_STAT_XDP_FWD_REDIRECT, -1, OUT_FWD,
	  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 20, .ttl = 63 }, 1 },
	{ "v4 probe reply to the probe port of a routed address: forwarded (XDP_TX), not recorded",
	  { V4("192.0.2.1", "203.0.113.9"), .proto = UDP, .sport = WG_PORT, .dport = PROBE_PORT, .pl = PL_PROBE_REPLY, .seq = 81, .tx_ns = 1, .tag = TAG },
	  0, XDP_TX, MG_STAT_XDP_FWD_TX, -1, OUT_FWD,
	  { V4("192.0.2.1", "203.0.113.9"), .proto = UDP, .sport = WG_PORT, .dport = PROBE_PORT, .pl = PL_PROBE_REPLY, .seq = 81, .tx_ns = 1, .tag = TAG, .ttl = 63 }, 2 },
	{ "v4 UDP to the WireGuard port: counted per source, XDP_PASS",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 148 },
	  0, XDP_PASS, MG_STAT_XDP_WG, -1, OUT_SAME, .ep = 1 },
	{ "v6 UDP to the WireGuard port: counted per source, XDP_PASS",
	  { V6("2001:db8::1", "fd00::1"), .proto = UDP, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 92 },
	  0, XDP_PASS, MG_STAT_XDP_WG, -1, OUT_SAME, .ep = 1 },
	/* probes */
	{ "v4 probe request, known source, right tag: answered in place (XDP_TX)",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 7, .tx_ns = 123456789, .tag = TAG, .ttl = 50 },
	  0, XDP_TX, MG_STAT_XDP_PROBE_ANSWERED, -1, OUT_SPEC,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 7, .tx_ns = 123456789, .tag = TAG, .swap = true } },
	{ "v4 probe request without UDP checksum: reply keeps checksum 0",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 8, .tag = TAG, .no_udp_csum = true },
	  0, XDP_TX, MG_STAT_XDP_PROBE_ANSWERED, -1, OUT_SPEC,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 8, .tag = TAG, .swap = true, .no_udp_csum = true } },
	{ "v4 probe request with a partial checksum (sender's offload, a veth): reply with a full one",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 11, .tx_ns = 5, .tag = TAG, .udp_csum_partial = true },
	  0, XDP_TX, MG_STAT_XDP_PROBE_ANSWERED, -1, OUT_SPEC,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 11, .tx_ns = 5, .tag = TAG, .swap = true } },
	{ "v6 probe request with a partial checksum: reply with a full one",
	  { V6("2001:db8::1", "fd00::1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 12, .tx_ns = 6, .tag = TAG, .udp_csum_partial = true },
	  0, XDP_TX, MG_STAT_XDP_PROBE_ANSWERED, -1, OUT_SPEC,
	  { V6("2001:db8::1", "fd00::1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 12, .tx_ns = 6, .tag = TAG, .swap = true } },
	{ "v6 probe request: answered in place",
	  { V6("2001:db8::1", "fd00::1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 9, .tx_ns = 42, .tag = TAG, .ttl = 3 },
	  0, XDP_TX, MG_STAT_XDP_PROBE_ANSWERED, -1, OUT_SPEC,
	  { V6("2001:db8::1", "fd00::1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 9, .tx_ns = 42, .tag = TAG, .swap = true } },
	{ "VLAN v4 probe request: answered, tag kept",
	  { V4("192.0.2.1", "10.0.0.1"), .vlan = true, .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 10, .tag = TAG },
	  0, XDP_TX, MG_STAT_XDP_PROBE_ANSWERED, -1, OUT_SPEC,
	  { V4("192.0.2.1", "10.0.0.1"), .vlan = true, .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 10, .tag = TAG, .swap = true } },
	{ "probe request with a wrong tag: XDP_DROP",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .tag = BADTAG },
	  0, XDP_DROP, MG_STAT_XDP_PROBE_BAD, -1, OUT_SAME },
	{ "probe request from an unknown source: XDP_DROP",
	  { V4("198.51.100.77", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .tag = TAG },
	  0, XDP_DROP, MG_STAT_XDP_PROBE_BAD, -1, OUT_SAME },
	{ "v6 probe request from an unknown source: XDP_DROP",
	  { V6("2001:db8::2", "fd00::1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .tag = TAG },
	  0, XDP_DROP, MG_STAT_XDP_PROBE_BAD, -1, OUT_SAME },
	{ "probe request one byte too long: XDP_DROP",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .pl_len = 33, .tag = TAG },
	  0, XDP_DROP, MG_STAT_XDP_PROBE_BAD, -1, OUT_SAME },
	{ "probe request of 8 bytes (magic only): XDP_DROP",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .pl_len = 8, .tag = TAG },
	  0, XDP_DROP, MG_STAT_XDP_PROBE_BAD, -1, OUT_SAME },
	{ "v4 probe reply to the probe port, right tag: recorded, XDP_DROP",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = WG_PORT, .dport = PROBE_PORT, .pl = PL_PROBE_REPLY, .seq = 77, .tx_ns = 1, .tag = TAG },
	  0, XDP_DROP, MG_STAT_XDP_PROBE_REPLY, -1, OUT_SAME, .probe = 1 },
	{ "v6 probe reply to the probe port: recorded, XDP_DROP",
	  { V6("2001:db8::1", "fd00::1"), .proto = UDP, .sport = WG_PORT, .dport = PROBE_PORT, .pl = PL_PROBE_REPLY, .seq = 78, .tx_ns = 1, .tag = TAG },
	  0, XDP_DROP, MG_STAT_XDP_PROBE_REPLY, -1, OUT_SAME, .probe = 1 },
	{ "probe reply to the last probe port (endpoint 7): recorded, XDP_DROP",
	  { V4("192.0.2.7", "10.0.0.1"), .proto = UDP, .sport = WG_PORT, .dport = PROBE_PORT + 7, .pl = PL_PROBE_REPLY, .seq = 79, .tx_ns = 1, .tag = TAG },
	  0, XDP_DROP, MG_STAT_XDP_PROBE_REPLY, -1, OUT_SAME, .probe = 1 },
	{ "probe reply one port past the probe ports: not ours, XDP_PASS",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = WG_PORT, .dport = PROBE_PORT + 8, .pl = PL_PROBE_REPLY, .seq = 80, .tx_ns = 1, .tag = TAG },
	  0, XDP_PASS, MG_STAT_XDP_PASS, -1, OUT_SAME },
	{ "probe reply with a wrong tag: left to the socket (XDP_PASS)",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = WG_PORT, .dport = PROBE_PORT, .pl = PL_PROBE_REPLY, .tag = BADTAG },
	  0, XDP_PASS, MG_STAT_XDP_PASS, -1, OUT_SAME },
	{ "probe request sent to the probe port: not a reply, XDP_PASS",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = WG_PORT, .dport = PROBE_PORT, .pl = PL_PROBE_REQ, .tag = TAG },
	  0, XDP_PASS, MG_STAT_XDP_PASS, -1, OUT_SAME },
	/* fast path */
	{ "v4 forwarded to another interface: TTL-1, MACs rewritten, XDP_REDIRECT",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18, .ttl = 64 },
	  0, XDP_REDIRECT, MG_STAT_XDP_FWD_REDIRECT, -1, OUT_FWD,
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18, .ttl = 63 }, 1 },
	{ "v4 TTL 2 forwarded: TTL 1 and checksum right",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 2 },
	  0, XDP_REDIRECT, MG_STAT_XDP_FWD_REDIRECT, -1, OUT_FWD,
	  { V4("10.0.0.5", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 1 }, 1 },
	{ "v4 one-armed (next hop on the ingress interface): XDP_TX",
	  { V4("10.0.0.5", "203.0.113.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 64 },
	  0, XDP_TX, MG_STAT_XDP_FWD_TX, -1, OUT_FWD,
	  { V4("10.0.0.5", "203.0.113.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 63 }, 2 },
	{ "v6 forwarded: hop limit-1, XDP_REDIRECT",
	  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10, .ttl = 64 },
	  0, XDP_REDIRECT, MG_STAT_XDP_FWD_REDIRECT, -1, OUT_FWD,
	  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10, .ttl = 63 }, 1 },
	{ "v4 to this site's own range (self route) is forwarded normally",
	  { V4("203.0.113.7", "10.0.0.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 9 },
	  0, XDP_TX, MG_STAT_XDP_FWD_TX, -1, OUT_FWD,
	  { V4("203.0.113.7", "10.0.0.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 8 }, 2 },
	/* a rule that matches ports (ip rule ipproto udp dport 5001 lookup 77: back via vin) */
	{ "v4 UDP to port 5001, which a rule routes back out of the ingress: XDP_TX",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 5, .dport = 5001, .pl = PL_RAW, .pl_len = 18, .ttl = 64 },
	  0, XDP_TX, MG_STAT_XDP_FWD_TX, -1, OUT_FWD,
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 5, .dport = 5001, .pl = PL_RAW, .pl_len = 18, .ttl = 63 }, 2 },
	/* sources the kernel never forwards from (martian) */
	{ "v4 fast path from 127.0.0.5: XDP_PASS unchanged (a martian source: the kernel drops it)",
	  { V4("127.0.0.5", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 64 },
	  0, XDP_PASS, MG_STAT_XDP_MARTIAN, -1, OUT_SAME },
	{ "v6 fast path from ::1: XDP_PASS unchanged (a martian source)",
	  { V6("::1", "2001:db8:99::9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10, .ttl = 64 },
	  0, XDP_PASS, MG_STAT_XDP_MARTIAN, -1, OUT_SAME },
	/* the box's own addresses (mg_local4, filled by dp_sync_local4): martian sources too */
	{ "v4 fast path from 192.168.50.1 (the box's own, vout's): XDP_PASS unchanged (the kernel drops it)",
	  { V4("192.168.50.1", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 64 },
	  0, XDP_PASS, MG_STAT_XDP_MARTIAN, -1, OUT_SAME },
	/* the kernel's reverse-path filter on the ingress (rp_filter): its check first */
	{ "v4 fast path, rp_filter strict, source routed back via the ingress: XDP_REDIRECT",
	  { V4("10.0.0.9", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 64 },
	  0, XDP_REDIRECT, MG_STAT_XDP_FWD_REDIRECT, -1, OUT_FWD,
	  { V4("10.0.0.9", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 63 }, 1,
	  .vin_if = IFS(IF_DEFAULT | MG_IF_RPF_STRICT) },
	{ "v4 fast path, rp_filter strict, source routed via another NIC: XDP_PASS unchanged (the kernel drops it)",
	  { V4("198.51.100.7", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 64 },
	  0, XDP_PASS, MG_STAT_XDP_RPF, -1, OUT_SAME, .vin_if = IFS(IF_DEFAULT | MG_IF_RPF_STRICT) },
	{ "v4 fast path, rp_filter loose, source routed via another NIC: XDP_REDIRECT",
	  { V4("198.51.100.7", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 64 },
	  0, XDP_REDIRECT, MG_STAT_XDP_FWD_REDIRECT, -1, OUT_FWD,
	  { V4("198.51.100.7", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 63 }, 1,
	  .vin_if = IFS(IF_DEFAULT | MG_IF_RPF_LOOSE) },
	{ "v4 fast path, rp_filter loose, source without a route: XDP_PASS unchanged",
	  { V4("100.64.9.9", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 64 },
	  0, XDP_PASS, MG_STAT_XDP_RPF, -1, OUT_SAME, .vin_if = IFS(IF_DEFAULT | MG_IF_RPF_LOOSE) },
	{ "v6 fast path, rp_filter strict (none in IPv6): XDP_REDIRECT",
	  { V6("2001:db8:99::7", "2001:db8:99::9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10, .ttl = 64 },
	  0, XDP_REDIRECT, MG_STAT_XDP_FWD_REDIRECT, -1, OUT_FWD,
	  { V6("2001:db8:99::7", "2001:db8:99::9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10, .ttl = 63 }, 1,
	  .vin_if = IFS(IF_DEFAULT | MG_IF_RPF_STRICT) },
	/* mg_ifaces: only a NIC with MG_IF_XMIT is transmitted into, forwarded to only with MG_IF_FWD */
	{ "v4 fast path, target without MG_IF_XMIT (XDP runs there, transmits failed): XDP_PASS unchanged",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vout_if = IFS(MG_IF_XDP | MG_IF_FWD) },
	{ "v4 fast path, target a TC-only NIC (no MG_IF_XDP, no MG_IF_XMIT): XDP_PASS unchanged, TC forwards it",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 2 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vout_if = IFS(MG_IF_FWD) },
	{ "v4 fast path, target ifindex without an mg_ifaces entry: XDP_PASS unchanged",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vout_if = IF_ABSENT },
	{ "v6 fast path, target without MG_IF_XMIT: XDP_PASS unchanged",
	  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vout_if = IFS(MG_IF_XDP | MG_IF_FWD) },
	{ "v6 fast path, target a layer-3 NIC (MG_IF_L3): XDP_PASS unchanged",
	  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vout_if = IFS(MG_IF_L3 | MG_IF_FWD) },
	{ "v6 fast path, target without an mg_ifaces entry: XDP_PASS unchanged",
	  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vout_if = IF_ABSENT },
	{ "v4 one-armed, the ingress NIC without MG_IF_XMIT: no XDP_TX, XDP_PASS unchanged",
	  { V4("10.0.0.5", "203.0.113.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 64 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vin_if = IFS(MG_IF_XDP | MG_IF_FWD) },
	{ "v4 fast path from an ingress without MG_IF_XMIT to a target with it: XDP_REDIRECT",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18, .ttl = 64 },
	  0, XDP_REDIRECT, MG_STAT_XDP_FWD_REDIRECT, -1, OUT_FWD,
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18, .ttl = 63 }, 1,
	  .vin_if = IFS(MG_IF_XDP | MG_IF_FWD) },
	{ "v4 fast path, target without MG_IF_FWD (netfilter acts on forwarding): XDP_PASS unchanged",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vout_if = IFS(MG_IF_XDP | MG_IF_XMIT) },
	{ "v4 fast path from an ingress without MG_IF_FWD (netfilter acts on forwarding: no route lookup "
	  "at all) to a target with it: XDP_PASS unchanged",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vin_if = IFS(MG_IF_XDP | MG_IF_XMIT | MG_IF_TX) },
	{ "v6 fast path, target without MG_IF_FWD: XDP_PASS unchanged",
	  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 10 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vout_if = IFS(MG_IF_XDP | MG_IF_XMIT) },
	{ "v4 one-armed, the ingress NIC without MG_IF_FWD: no XDP_TX, XDP_PASS unchanged",
	  { V4("10.0.0.5", "203.0.113.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 64 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vin_if = IFS(MG_IF_XDP | MG_IF_XMIT) },
	{ "v4 probe request on a NIC without MG_IF_FWD (not forwarding): still answered (XDP_TX)",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 16, .tx_ns = 3, .tag = TAG, .ttl = 50 },
	  0, XDP_TX, MG_STAT_XDP_PROBE_ANSWERED, -1, OUT_SPEC,
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 16, .tx_ns = 3, .tag = TAG, .swap = true },
	  .vin_if = IFS(MG_IF_XDP | MG_IF_XMIT | MG_IF_TX) },
	/* MG_IF_TX: a veth is a redirect target (peer with GRO) but XDP_TX on it waits
	 * for the peer's next NAPI run: neither a hairpin nor a probe answer there. */
	{ "v4 one-armed, the ingress an XDP target without MG_IF_TX (a veth): XDP_PASS unchanged",
	  { V4("10.0.0.5", "203.0.113.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 64 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vin_if = IFS(MG_IF_XDP | MG_IF_XMIT | MG_IF_FWD) },
	{ "v4 probe request on an XDP target without MG_IF_TX (a veth): XDP_PASS unchanged (tc_lan answers)",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 17, .tx_ns = 3, .tag = TAG, .ttl = 50 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vin_if = IFS(MG_IF_XDP | MG_IF_XMIT | MG_IF_FWD) },
	{ "v4 fast path to a target without MG_IF_TX (redirect, not XDP_TX): XDP_REDIRECT",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18, .ttl = 64 },
	  0, XDP_REDIRECT, MG_STAT_XDP_FWD_REDIRECT, -1, OUT_FWD,
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 5, .dport = 6, .pl = PL_RAW, .pl_len = 18, .ttl = 63 }, 1,
	  .vout_if = IFS(MG_IF_XDP | MG_IF_XMIT | MG_IF_FWD) },
	{ "v4 probe request to the WireGuard port of a routed address, target without MG_IF_XMIT: XDP_PASS unchanged",
	  { V4("192.0.2.1", "198.51.100.9"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 5, .tag = TAG },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vout_if = IFS(MG_IF_FWD) },
	{ "v4 probe request on a NIC without MG_IF_XMIT: not answered, XDP_PASS unchanged (tc_lan answers)",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 7, .tx_ns = 123456789, .tag = TAG, .ttl = 50 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vin_if = IFS(MG_IF_XDP | MG_IF_FWD) },
	{ "v6 probe request on a NIC without MG_IF_XMIT: XDP_PASS unchanged",
	  { V6("2001:db8::1", "fd00::1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 9, .tx_ns = 42, .tag = TAG, .ttl = 3 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vin_if = IFS(MG_IF_XDP | MG_IF_FWD) },
	{ "v4 probe request with a partial checksum on a NIC without MG_IF_XMIT: XDP_PASS, checksum untouched",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 11, .tx_ns = 5, .tag = TAG, .udp_csum_partial = true },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vin_if = IFS(MG_IF_XDP | MG_IF_FWD) },
	{ "v4 probe request on a NIC without an mg_ifaces entry: XDP_PASS unchanged",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .seq = 7, .tag = TAG },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vin_if = IF_ABSENT },
	{ "probe request with a wrong tag on a NIC without MG_IF_XMIT: still XDP_DROP",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 40001, .dport = WG_PORT, .pl = PL_PROBE_REQ, .tag = BADTAG },
	  0, XDP_DROP, MG_STAT_XDP_PROBE_BAD, -1, OUT_SAME, .vin_if = IFS(MG_IF_XDP | MG_IF_FWD) },
	{ "v4 UDP to the WireGuard port on a NIC without MG_IF_XMIT: still counted per source",
	  { V4("192.0.2.3", "10.0.0.1"), .proto = UDP, .sport = 3333, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 148 },
	  0, XDP_PASS, MG_STAT_XDP_WG, -1, OUT_SAME, .ep = 1, .vin_if = IFS(MG_IF_XDP | MG_IF_FWD) },
	{ "v4 probe reply on a NIC without MG_IF_XMIT: still recorded, XDP_DROP",
	  { V4("192.0.2.9", "10.0.0.1"), .proto = UDP, .sport = WG_PORT, .dport = PROBE_PORT + 1, .pl = PL_PROBE_REPLY, .seq = 82, .tx_ns = 1, .tag = TAG },
	  0, XDP_DROP, MG_STAT_XDP_PROBE_REPLY, -1, OUT_SAME, .probe = 1, .vin_if = IFS(MG_IF_XDP | MG_IF_FWD) },
	{ "v4 to a remote range on a NIC without MG_IF_XMIT: still counted for peer 1",
	  { V4("10.0.0.5", "10.1.2.3"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 20 },
	  0, XDP_PASS, MG_STAT_XDP_MESH, 1, OUT_SAME, .vin_if = IFS(MG_IF_XDP | MG_IF_FWD) },
	{ "v4 to a remote range on a NIC without MG_IF_FWD (netfilter acts): handed on, not counted "
	  "(tc_wg counts what the user's rules let into the tunnel)",
	  { V4("10.0.0.5", "10.1.2.3"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 20 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME, .vin_if = IFS(MG_IF_XDP | MG_IF_XMIT) },
	{ "v6 to a remote range on a NIC with no TC program after XDP (MG_IF_KERNEL): the same",
	  { V6("fd00::5", "fd01::9"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 20 },
	  0, XDP_PASS, MG_STAT_XDP_NO_XMIT, -1, OUT_SAME,
	  .vin_if = IFS(MG_IF_XDP | MG_IF_XMIT | MG_IF_FWD | MG_IF_KERNEL) },
	/* left to the kernel */
	{ "v4 TTL 1: kernel (ICMP time exceeded)",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ttl = 1 },
	  0, XDP_PASS, MG_STAT_XDP_SLOW, -1, OUT_SAME },
	{ "v6 hop limit 1: kernel",
	  { V6("fd00::5", "2001:db8:99::9"), .proto = 58, .pl = PL_RAW, .pl_len = 8, .ttl = 1 },
	  0, XDP_PASS, MG_STAT_XDP_SLOW, -1, OUT_SAME },
	{ "v4 with IP options: kernel",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ihl = 6 },
	  0, XDP_PASS, MG_STAT_XDP_SLOW, -1, OUT_SAME },
	{ "v4 first fragment: kernel",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 1, .dport = 2, .frag = 0x2000, .pl = PL_RAW, .pl_len = 16 },
	  0, XDP_PASS, MG_STAT_XDP_SLOW, -1, OUT_SAME },
	{ "v4 later fragment: kernel",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 1, .dport = 2, .frag = 0x0010, .pl = PL_RAW, .pl_len = 16 },
	  0, XDP_PASS, MG_STAT_XDP_SLOW, -1, OUT_SAME },
	{ "v6 fragment header: kernel",
	  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 1, .dport = 2, .v6_ext = 44, .pl = PL_RAW, .pl_len = 8 },
	  0, XDP_PASS, MG_STAT_XDP_SLOW, -1, OUT_SAME },
	{ "v6 hop-by-hop header: kernel",
	  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 1, .dport = 2, .v6_hbh = true, .pl = PL_RAW, .pl_len = 8 },
	  0, XDP_PASS, MG_STAT_XDP_SLOW, -1, OUT_SAME },
	{ "v6 routing header (43) to a forwarded address: forwarded",
	  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 1, .dport = 2, .v6_ext = 43, .pl = PL_RAW, .pl_len = 8 },
	  0, XDP_REDIRECT, MG_STAT_XDP_FWD_REDIRECT, -1, OUT_FWD,
	  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 1, .dport = 2, .v6_ext = 43, .pl = PL_RAW, .pl_len = 8, .ttl = 63 }, 1 },
	{ "v4 next hop without a neighbour entry: kernel",
	  { V4("10.0.0.5", "198.18.0.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8 },
	  0, XDP_PASS, MG_STAT_XDP_SLOW, -1, OUT_SAME },
	{ "v4 larger than the route MTU: kernel",
	  { V4("10.0.0.5", "198.51.101.9"), .proto = UDP, .sport = 1, .dport = 2, .pl = PL_RAW, .pl_len = 200 },
	  0, XDP_PASS, MG_STAT_XDP_SLOW, -1, OUT_SAME },
	{ "v4 to the gateway itself: XDP_PASS",
	  { V4("10.0.0.5", "10.0.0.1"), .proto = 1, .pl = PL_RAW, .pl_len = 8 },
	  0, XDP_PASS, MG_STAT_XDP_PASS, -1, OUT_SAME },
	{ "v6 to the gateway itself: XDP_PASS",
	  { V6("fd00::5", "fd00::1"), .proto = 58, .pl = PL_RAW, .pl_len = 8 },
	  0, XDP_PASS, MG_STAT_XDP_PASS, -1, OUT_SAME },
	{ "v4 for the internet in a frame for another host's MAC: not forwarded (the kernel drops it)",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .dmac = MAC_NH },
	  0, XDP_PASS, MG_STAT_XDP_PASS, -1, OUT_SAME },
	{ "v4 broadcast MAC: XDP_PASS",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .dmac = (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	  0, XDP_PASS, MG_STAT_XDP_PASS, -1, OUT_SAME },
	{ "VLAN-tagged v4 for the internet: kernel (sub-interface routing)",
	  { V4("10.0.0.5", "198.51.100.9"), .vlan = true, .proto = 1, .pl = PL_RAW, .pl_len = 8 },
	  0, XDP_PASS, MG_STAT_XDP_SLOW, -1, OUT_SAME },
	/* hostile input */
	{ "truncated Ethernet header (10 bytes): malformed, XDP_PASS",
	  { V4("10.0.0.5", "10.1.2.3"), .proto = 1, .pl = PL_RAW, .pl_len = 8 },
	  10, XDP_PASS, MG_STAT_XDP_MALFORMED, -1, OUT_SAME },
	{ "VLAN tag without payload: malformed",
	  { V4("10.0.0.5", "10.1.2.3"), .vlan = true, .proto = 1, .pl = PL_RAW, .pl_len = 8 },
	  16, XDP_PASS, MG_STAT_XDP_MALFORMED, -1, OUT_SAME },
	{ "v4 header cut short: malformed, not counted for the peer",
	  { V4("10.0.0.5", "10.1.2.3"), .proto = 1, .pl = PL_RAW, .pl_len = 8 },
	  30, XDP_PASS, MG_STAT_XDP_MALFORMED, -1, OUT_SAME },
	{ "v4 total length beyond the frame: malformed",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8 },
	  -4, XDP_PASS, MG_STAT_XDP_MALFORMED, -1, OUT_SAME },
	{ "v4 IHL 3: malformed",
	  { V4("10.0.0.5", "10.1.2.3"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ihl = 3 },
	  0, XDP_PASS, MG_STAT_XDP_MALFORMED, -1, OUT_SAME },
	{ "v4 IHL 15 beyond the frame: malformed",
	  { V4("10.0.0.5", "198.51.100.9"), .proto = 1, .pl = PL_RAW, .pl_len = 8, .ihl = 15 },
	  -44, XDP_PASS, MG_STAT_XDP_MALFORMED, -1, OUT_SAME },
	{ "v6 header cut short: malformed",
	  { V6("fd00::5", "fd01::7"), .proto = 58, .pl = PL_RAW, .pl_len = 8 },
	  40, XDP_PASS, MG_STAT_XDP_MALFORMED, -1, OUT_SAME },
	{ "v6 payload length beyond the frame: malformed",
	  { V6("fd00::5", "fd01::7"), .proto = 58, .pl = PL_RAW, .pl_len = 8 },
	  -1, XDP_PASS, MG_STAT_XDP_MALFORMED, -1, OUT_SAME },
	{ "UDP to the WireGuard port with a header cut short: not counted per endpoint",
	  { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 1, .dport = WG_PORT, .pl = PL_RAW, .pl_len = 0 },
	  -4, XDP_PASS, MG_STAT_XDP_MALFORMED, -1, OUT_SAME },
};

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		tap_diag("command failed (%d): %s", rc, cmd);
	return rc;
}

static int read_mac(const char *ifn, uint8_t mac[6])
{
	char path[128];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifn);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fscanf(f, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		   &mac[4], &mac[5]);
	fclose(f);
	return n == 6 ? 0 : -EINVAL;
}

/* A private namespace: vin (LAN, 10.0.0.1/24, fd00::1/64) and vout (192.168.50.1/24,
 * fd50::1/64, MTU 9000), routes with permanent neighbours so bpf_fib_lookup succeeds. /sys is
 * not remounted, so read MACs via a fresh sysfs mount. */
static int netns_setup(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS))
		return -errno;
	if (sh("mount --make-rprivate / && mount -t sysfs sysfs /sys") ||
	    sh("ip link set lo up && ip link add vin type veth peer name vinp && "
	       "ip link add vout type veth peer name voutp && "
	       "for i in vin vinp vout voutp; do ip link set $i up; done && "
	       /* jumbo on vout: only the multi-buffer check keeps an 8,000-byte frame off the fast path */
	       "ip link set vout mtu 9000 && ip link set voutp mtu 9000 && "
	       "ip addr add 10.0.0.1/24 dev vin && ip addr add 192.168.50.1/24 dev vout && "
	       "ip -6 addr add fd00::1/64 dev vin nodad && ip -6 addr add fd50::1/64 dev vout nodad && "
	       "ip neigh add 192.168.50.2 lladdr 02:00:00:00:00:99 dev vout nud permanent && "
	       "ip neigh add 10.0.0.9 lladdr 02:00:00:00:00:98 dev vin nud permanent && "
	       "ip -6 neigh add fd50::2 lladdr 02:00:00:00:00:99 dev vout nud permanent && "
	       "ip route add 198.51.100.0/24 via 192.168.50.2 && "
	       "ip route add 198.51.101.0/24 via 192.168.50.2 mtu lock 100 && "
	       "ip route add 203.0.113.0/24 via 10.0.0.9 && "
	       "ip rule add ipproto udp dport 5001 lookup 77 && "
	       "ip route add 198.51.100.0/24 via 10.0.0.9 table 77 && "
	       "ip route add 198.18.0.0/24 via 192.168.50.3 && "
	       "ip -6 route add 2001:db8:99::/48 via fd50::2 && "
	       "echo 1 > /proc/sys/net/ipv4/ip_forward && "
	       "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding"))
		return -EIO;
	ifi_vin = if_nametoindex("vin");
	ifi_vout = if_nametoindex("vout");
	if (read_mac("vin", mac_vin) || read_mac("vout", mac_vout))
		return -EIO;
	return ifi_vin && ifi_vout ? 0 : -ENODEV;
}

static uint64_t peer_lan(int fd, uint32_t peer)
{
	struct mg_peer_stats v[ncpus];
	uint64_t n = 0;

	if (!bpf_map_lookup_elem(fd, &peer, v))
		for (int c = 0; c < ncpus; c++)
			n += v[c].lan_packets;
	return n;
}

static uint64_t ep_packets(int fd, const struct pkt_spec *s)
{
	struct mg_ep_key k;
	struct mg_ep_stats v;

	ep_key(&k, s->src);
	return bpf_map_lookup_elem(fd, &k, &v) ? 0 : v.packets;
}

static uint64_t probe_replies(int fd, const struct pkt_spec *s, struct mg_probe_stats *out)
{
	struct mg_probe_key k = { 0 };
	struct mg_ep_key ek;
	struct mg_probe_stats v;

	ep_key(&ek, s->src);
	memcpy(k.addr, ek.addr, 16);
	k.family = ek.family;
	k.port = s->sport;
	if (bpf_map_lookup_elem(fd, &k, &v))
		return 0;
	if (out)
		*out = v;
	return v.replies;
}

static int slots_fd = -1;	/* mg_if_slots, what the program reads of mg_ifaces */

/* Writes vin's or vout's mg_ifaces entry as a row wants it (see struct row),
 * and mg_if_slots from it, as the loader does. */
static void iface_apply(int fd, int ifindex, const char *name, int spec)
{
	struct mg_iface v = { 0 };
	uint32_t k = ifindex;

	if (spec == IF_ABSENT) {
		bpf_map_delete_elem(fd, &k);
		if (dp_iface_slots_sync(fd, slots_fd))
			tap_diag("mg_if_slots update failed");
		return;
	}
	snprintf(v.name, sizeof(v.name), "%s", name);
	v.flags = spec ? (uint32_t)spec & ~0x10000u : IF_DEFAULT;
	if (!(v.flags & MG_IF_XDP))
		v.why = MG_WHY_CONFIG;
	else if (!(v.flags & MG_IF_XMIT))
		v.why = MG_WHY_RUNTIME;
	if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
		tap_diag("mg_ifaces update for %s failed", name);
	if (dp_iface_slots_sync(fd, slots_fd))
		tap_diag("mg_if_slots update for %s failed", name);
}

/* Sums a per-CPU counter's packets and bytes. */
static void counter_sum(int fd, uint32_t key, size_t val_size, size_t off_packets,
			size_t off_bytes, uint64_t *packets, uint64_t *bytes)
{
	uint8_t v[ncpus * val_size];

	*packets = *bytes = 0;
	if (bpf_map_lookup_elem(fd, &key, v))
		return;
	for (int c = 0; c < ncpus; c++) {
		*packets += *(uint64_t *)(v + c * val_size + off_packets);
		*bytes += *(uint64_t *)(v + c * val_size + off_bytes);
	}
}

static void stat_total(int fd, uint32_t stat, uint64_t *packets, uint64_t *bytes)
{
	counter_sum(fd, stat, sizeof(struct mg_counter), offsetof(struct mg_counter, packets),
		    offsetof(struct mg_counter, bytes), packets, bytes);
}

static void peer_lan_total(int fd, uint32_t peer, uint64_t *packets, uint64_t *bytes)
{
	counter_sum(fd, peer, sizeof(struct mg_peer_stats), offsetof(struct mg_peer_stats, lan_packets),
		    offsetof(struct mg_peer_stats, lan_bytes), packets, bytes);
}

/* Multi-buffer frames, as a NIC with jumbo frames hands them over: a test run
 * longer than a page gives the program (loaded with xdp.frags) a first buffer
 * and fragments. Verdict, output, and counters that carry every byte. */
static void jumbo_frames(struct xdp_lan_bpf *skel)
{
	static const struct {
		const char *desc;
		struct pkt_spec in;
		int cut;		/* bytes cut off the end */
		int verdict, stat, peer;
	} j[] = {
		{ "multi-buffer v4 (8,000-byte payload) to a remote range: counted with all its bytes",
		  { V4("10.0.0.5", "10.1.2.3"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 8000 },
		  0, XDP_PASS, MG_STAT_XDP_MESH, 1 },
		{ "multi-buffer v6 to a remote range: counted with all its bytes",
		  { V6("fd00::5", "fd01::7"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 8000 },
		  0, XDP_PASS, MG_STAT_XDP_MESH, 1 },
		{ "multi-buffer v4 to a routed address: left to the kernel (a target may not send it)",
		  { V4("10.0.0.5", "198.51.100.9"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 8000 },
		  0, XDP_PASS, MG_STAT_XDP_SLOW, -1 },
		{ "multi-buffer v6 to a routed address: left to the kernel",
		  { V6("fd00::5", "2001:db8:99::9"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 8000 },
		  0, XDP_PASS, MG_STAT_XDP_SLOW, -1 },
		{ "multi-buffer v4 cut 100 bytes short of its total length: malformed",
		  { V4("10.0.0.5", "10.1.2.3"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 8000 },
		  100, XDP_PASS, MG_STAT_XDP_MALFORMED, -1 },
		{ "multi-buffer v6 cut 100 bytes short: malformed",
		  { V6("fd00::5", "fd01::7"), .proto = UDP, .sport = 1000, .dport = 2000, .pl = PL_RAW, .pl_len = 8000 },
		  100, XDP_PASS, MG_STAT_XDP_MALFORMED, -1 },
	};
	int stats_fd = bpf_map__fd(skel->maps.mg_stats), peer_fd = bpf_map__fd(skel->maps.mg_peer_stats);
	static uint8_t in[9000], out[9000];

	for (size_t i = 0; i < sizeof(j) / sizeof(j[0]); i++) {
		size_t len = pkt_build(in, &j[i].in) - j[i].cut;
		/* data_end is where the first buffer ends: the rest becomes fragments. */
		struct xdp_md ctx = { .ingress_ifindex = ifi_vin, .data_end = len < 3000 ? len : 3000 };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
			    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = 1);
		uint64_t sp0, sb0, sp1, sb1, lp0 = 0, lb0 = 0, lp1 = 0, lb1 = 0;
		int err;

		stat_total(stats_fd, j[i].stat, &sp0, &sb0);
		if (j[i].peer >= 0)
			peer_lan_total(peer_fd, j[i].peer, &lp0, &lb0);
		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.mg_xdp_lan), &o);
		if (!is_int(err, 0, j[i].desc))
			continue;
		is_int(o.retval, j[i].verdict, "  verdict");
		ok(o.data_size_out == len && !memcmp(out, in, len), "  output: the %zu-byte frame unchanged", len);
		stat_total(stats_fd, j[i].stat, &sp1, &sb1);
		ok(sp1 - sp0 == 1 && sb1 - sb0 == len, "  verdict total: 1 packet, %zu bytes (got %llu, %llu)",
		   len, (unsigned long long)(sp1 - sp0), (unsigned long long)(sb1 - sb0));
		if (j[i].peer >= 0) {
			peer_lan_total(peer_fd, j[i].peer, &lp1, &lb1);
			ok(lp1 - lp0 == 1 && lb1 - lb0 == len, "  peer %d: 1 packet, %zu bytes (got %llu, %llu)",
			   j[i].peer, len, (unsigned long long)(lp1 - lp0), (unsigned long long)(lb1 - lb0));
		}
	}
}

int main(void)
{
	struct xdp_lan_bpf *skel;
	struct bpf_map *m;
	int stats_fd, peer_fd, ep_fd, probe_fd, if_fd;

	if (geteuid())
		tap_skip_all("BPF_PROG_TEST_RUN and a network namespace need root");
	if (netns_setup())
		tap_skip_all("cannot build the test network namespace");
	ncpus = libbpf_num_possible_cpus();

	skel = xdp_lan_bpf__open();
	if (!ok(skel, "open xdp_lan"))
		return tap_done();
	bpf_object__for_each_map(m, skel->obj)
		bpf_map__set_pin_path(m, NULL);		/* private maps: no bpffs */
	skel->rodata->wg_port = WG_PORT;
	skel->rodata->probe_port = PROBE_PORT;
	/* What the loader writes: the frames of the table are addressed to MAC_GW. */
	skel->rodata->own_ifindex[0] = ifi_vin;
	memcpy((void *)skel->rodata->own_mac[0], MAC_GW, 6);
	skel->rodata->own_ifindex[1] = ifi_vout;
	memcpy((void *)skel->rodata->own_mac[1], mac_vout, 6);
	if (!ok(!xdp_lan_bpf__load(skel), "load xdp_lan (verifier)"))
		return tap_done();

	{
		struct test_routes rt = { .fd4 = bpf_map__fd(skel->maps.mg_routes4),
					  .fd6 = bpf_map__fd(skel->maps.mg_routes6) };
		int kfd = bpf_map__fd(skel->maps.mg_known_eps);
		uint32_t zero = 0, one = 1;
		struct mg_ep_key k;

		ok(!test_route_add(&rt, "10.1.0.0/16", 1, MG_ROUTE_REMOTE) &&
		   !test_route_add(&rt, "fd01::/32", 1, MG_ROUTE_REMOTE) &&
		   !test_route_add(&rt, "192.168.254.3/32", 2, MG_ROUTE_REMOTE) &&
		   !test_route_add(&rt, "10.0.0.0/24", 0, MG_ROUTE_SELF), "routes added");
		ep_key(&k, "192.0.2.1");
		bpf_map_update_elem(kfd, &k, &one, BPF_ANY);
		ep_key(&k, "2001:db8::1");
		bpf_map_update_elem(kfd, &k, &one, BPF_ANY);
		bpf_map_update_elem(bpf_map__fd(skel->maps.mg_mesh_tag), &zero, TAG, BPF_ANY);
		ok(!test_routes_commit(&rt, skel->obj), "route filter and tables written");
	}
	stats_fd = bpf_map__fd(skel->maps.mg_stats);
	peer_fd = bpf_map__fd(skel->maps.mg_peer_stats);
	ep_fd = bpf_map__fd(skel->maps.mg_ep_stats);
	probe_fd = bpf_map__fd(skel->maps.mg_probes);
	if_fd = bpf_map__fd(skel->maps.mg_ifaces);
	slots_fd = bpf_map__fd(skel->maps.mg_if_slots);
	ok(!ring_open(bpf_map__fd(skel->maps.mg_probe_ring)), "mg_probe_ring mapped");
	ok(!dp_sync_local4(bpf_map__fd(skel->maps.mg_local4)), "mg_local4 filled from this namespace's addresses");
	/* What the loader writes for two native-XDP NICs that can transmit. */
	iface_apply(if_fd, ifi_vin, "vin", 0);
	iface_apply(if_fd, ifi_vout, "vout", 0);

	/* Every row twice: then with vin's and vout's slots of mg_if_slots shared
	 * with another NIC each (an index MG_IF_SLOTS further), where the program
	 * must ask mg_ifaces. */
	for (int pass = 0; pass < 2; pass++)
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		uint8_t in[512], out[512], want[512];
		size_t len = pkt_build(in, &r->in), wlen = len;
		uint64_t s0[MG_STAT__MAX], s1[MG_STAT__MAX], lan0[4], ep0, pr0;
		struct xdp_md ctx = { .ingress_ifindex = ifi_vin };
		struct mg_if_slot slot = { 0 };
		uint32_t k = ifi_vout % MG_IF_SLOTS;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_out = out,
			    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = 1);
		bool good = true;
		int err;

		if (pass && !i) {
			iface_apply(if_fd, ifi_vin + MG_IF_SLOTS, "vin2", MG_IF_FWD);
			iface_apply(if_fd, ifi_vout + MG_IF_SLOTS, "vout2", MG_IF_FWD);
			bpf_map_lookup_elem(slots_fd, &k, &slot);
			is_int(slot.flags, MG_IF_SLOT_SHARED, "again, vout's slot shared with another NIC");
		}
		if (r->truncate > 0)
			len = r->truncate;
		else if (r->truncate < 0)
			len += r->truncate;
		/* XDP test runs need at least an Ethernet header: shorter frames are
		 * refused by the kernel, which is the sane outcome too. */
		o.data_size_in = len;
		ctx.data_end = len;	/* the kernel wants the frame length here */
		read_stats(stats_fd, s0);
		for (int p = 0; p < 4; p++)
			lan0[p] = peer_lan(peer_fd, p);
		ep0 = ep_packets(ep_fd, &r->in);
		pr0 = probe_replies(probe_fd, &r->in, NULL);
		if (r->vin_if)
			iface_apply(if_fd, ifi_vin, "vin", r->vin_if);
		if (r->vout_if)
			iface_apply(if_fd, ifi_vout, "vout", r->vout_if);

		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.mg_xdp_lan), &o);
		iface_apply(if_fd, ifi_vin, "vin", 0);
		iface_apply(if_fd, ifi_vout, "vout", 0);
		if (len < 14) {
			ok(err == -EINVAL, "%s: kernel refuses a %zu-byte frame (err %d)", r->desc, len, err);
			continue;
		}
		if (!is_int(err, 0, r->desc))
			continue;
		good &= is_int(o.retval, r->verdict, "  verdict");

		if (r->out == OUT_SAME) {
			memcpy(want, in, len);
			wlen = len;
		} else {
			wlen = pkt_build(want, &r->expect);
			if (r->out == OUT_FWD) {
				memcpy(want, MAC_NH, 6);
				if (r->fwd_if == 2)
					memcpy(want, MAC_NH2, 6);
				memcpy(want + 6, r->fwd_if == 2 ? mac_vin : mac_vout, 6);
			}
		}
		if (r->verdict != XDP_DROP) {
			good &= is_int(o.data_size_out, wlen, "  output length");
			if (!ok(o.data_size_out == wlen && !memcmp(out, want, wlen), "  output packet")) {
				good = false;
				hexdump_diff(out, want, wlen);
			}
		}
		read_stats(stats_fd, s1);
		for (int s = 0; s < MG_STAT__MAX; s++) {
			uint64_t d = s1[s] - s0[s], w = s == r->stat;

			if (d != w) {
				good = false;
				tap_diag("  stat %d moved by %llu, want %llu", s,
					 (unsigned long long)d, (unsigned long long)w);
			}
		}
		for (int p = 0; p < 4; p++) {
			uint64_t d = peer_lan(peer_fd, p) - lan0[p], w = p == r->peer;

			if (d != w) {
				good = false;
				tap_diag("  peer %d lan_packets moved by %llu, want %llu", p,
					 (unsigned long long)d, (unsigned long long)w);
			}
		}
		if (ep_packets(ep_fd, &r->in) - ep0 != (uint64_t)r->ep) {
			good = false;
			tap_diag("  endpoint count moved wrongly");
		}
		if (probe_replies(probe_fd, &r->in, NULL) - pr0 != (uint64_t)r->probe) {
			good = false;
			tap_diag("  probe record moved wrongly");
		}
		/* Every reply recorded is queued for the daemon, once, under the
		 * same key; nothing else is. */
		if (ring_drain() != r->probe ||
		    (r->probe && (!ring_last_is(r->in.src, r->in.sport) || ring_last.seq != r->in.seq ||
				  ring_last.rtt_ns != ring_last.rx_ns - r->in.tx_ns))) {
			good = false;
			tap_diag("  mg_probe_ring: %d records (want %d), last for the source: %d",
				 ring_n, r->probe, ring_n ? ring_last_is(r->in.src, r->in.sport) : -1);
		}
		ok(good, "  counters: exactly the expected deltas");
	}

	jumbo_frames(skel);

	/* The recorded reply carries seq, RTT and the timestamps the row sent. */
	{
		struct pkt_spec s = { V4("192.0.2.1", "10.0.0.1"), .sport = WG_PORT };
		struct mg_probe_stats ps = { 0 };
		struct mg_ep_key k;
		struct mg_ep_stats es = { 0 };

		probe_replies(probe_fd, &s, &ps);
		is_int(ps.last_seq, 77, "probe record: last seq");
		ok(ps.last_rx_ns > 1 && ps.last_rtt_ns == ps.last_rx_ns - 1,
		   "probe record: rtt = rx - tx_ns");
		ep_key(&k, "192.0.2.1");
		bpf_map_lookup_elem(ep_fd, &k, &es);
		is_int(es.last_sport, 3333, "endpoint record: last source port");
		is_int(es.bytes, 2 * (14 + 20 + 8 + 148), "endpoint record: bytes (the row ran in both passes)");
		ok(es.last_seen_ns > 0, "endpoint record: last seen set");
	}

	/* A reply that finds mg_probe_ring full is still recorded in mg_probes, and
	 * counted as unqueued: the daemon then reads mg_probes whole. The ring
	 * holds MG_PROBE_RING_BYTES / 48 records (40 and the kernel's 8-byte header). */
	{
		struct pkt_spec s = { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = WG_PORT,
				      .dport = PROBE_PORT, .pl = PL_PROBE_REPLY, .seq = 78,
				      .tx_ns = 1, .tag = TAG };
		uint8_t in[512], out[512];
		size_t len = pkt_build(in, &s);
		struct xdp_md ctx = { .ingress_ifindex = ifi_vin, .data_end = len };
		uint32_t runs = MG_PROBE_RING_BYTES / 48 + 1000, cap = MG_PROBE_RING_BYTES / 48;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
			    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = runs);
		uint64_t s0[MG_STAT__MAX], s1[MG_STAT__MAX], pr0 = probe_replies(probe_fd, &s, NULL);
		int queued;

		ring_drain();
		read_stats(stats_fd, s0);
		ok(!bpf_prog_test_run_opts(bpf_program__fd(skel->progs.mg_xdp_lan), &o) &&
		   o.retval == XDP_DROP, "%u probe replies in one run, dropped", runs);
		read_stats(stats_fd, s1);
		queued = ring_drain();
		is_int(probe_replies(probe_fd, &s, NULL) - pr0, runs, "  mg_probes counted every one");
		is_int(s1[MG_STAT_XDP_PROBE_REPLY] - s0[MG_STAT_XDP_PROBE_REPLY], runs,
		       "  xdp_probe_reply counted every one");
		is_int(queued, cap, "  mg_probe_ring took what it holds");
		is_int(s1[MG_STAT_XDP_PROBE_UNQUEUED] - s0[MG_STAT_XDP_PROBE_UNQUEUED], runs - cap,
		       "  xdp_probe_unqueued counted the rest");
		ok(ring_last_is("192.0.2.1", WG_PORT) && ring_last.seq == 78,
		   "  the records are the reply's");
		o.repeat = 1;
		read_stats(stats_fd, s0);
		bpf_prog_test_run_opts(bpf_program__fd(skel->progs.mg_xdp_lan), &o);
		read_stats(stats_fd, s1);
		ok(ring_drain() == 1 && s1[MG_STAT_XDP_PROBE_UNQUEUED] == s0[MG_STAT_XDP_PROBE_UNQUEUED],
		   "  drained, the ring queues again");
	}

	/* No tag configured (all zeros): nobody is answered. */
	{
		uint32_t zero = 0;
		uint8_t z[16] = { 0 }, in[512], out[512];
		struct pkt_spec s = { V4("192.0.2.1", "10.0.0.1"), .proto = UDP, .sport = 1, .dport = WG_PORT,
				      .pl = PL_PROBE_REQ, .tag = z };
		size_t len = pkt_build(in, &s);
		struct xdp_md ctx = { .ingress_ifindex = ifi_vin, .data_end = len };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
			    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = 1);

		bpf_map_update_elem(bpf_map__fd(skel->maps.mg_mesh_tag), &zero, z, BPF_ANY);
		bpf_prog_test_run_opts(bpf_program__fd(skel->progs.mg_xdp_lan), &o);
		is_int(o.retval, XDP_DROP, "all-zero mesh tag: even a zero-tag probe is dropped");
	}

	/* The first-octet filter: what each kind of prefix marks. */
	{
		uint32_t f[MG_ROUTE_FILTER_LEN] = { 0 };
		struct prefix p;
		int n4 = 0, n6 = 0;

		prefix_parse(&p, "10.1.0.0/16", false);
		dp_route_filter_add(f, &p);
		ok(f[10] == 1 && f[11] == 0 && f[9] == 0, "filter: 10.1.0.0/16 marks octet 10 only");
		prefix_parse(&p, "64.0.0.0/2", false);
		dp_route_filter_add(f, &p);
		for (int i = 0; i < 256; i++)
			n4 += f[i] != 0;
		ok(n4 == 65 && f[64] && f[127] && !f[128] && !f[63], "filter: 64.0.0.0/2 marks 64..127");
		prefix_parse(&p, "fd01::/32", false);
		dp_route_filter_add(f, &p);
		ok(f[256 + 0xfd] == 1 && !f[256 + 0xfc], "filter: fd01::/32 marks IPv6 byte fd");
		memset(f, 0, sizeof(f));
		prefix_parse(&p, "::/0", false);
		dp_route_filter_add(f, &p);
		n4 = n6 = 0;
		for (int i = 0; i < 256; i++) {
			n4 += f[i] != 0;
			n6 += f[256 + i] != 0;
		}
		ok(n4 == 0 && n6 == 256, "filter: ::/0 marks every IPv6 byte and no IPv4 octet");
		memset(f, 0, sizeof(f));
		prefix_parse(&p, "0.0.0.0/0", false);
		dp_route_filter_add(f, &p);
		n4 = n6 = 0;
		for (int i = 0; i < 256; i++) {
			n4 += f[i] != 0;
			n6 += f[256 + i] != 0;
		}
		ok(n4 == 256 && n6 == 0, "filter: 0.0.0.0/0 marks every IPv4 octet and no IPv6 byte");
		memset(f, 0, sizeof(f));
		prefix_parse(&p, "10.9.8.7/32", false);
		dp_route_filter_add(f, &p);
		dp_route_filter_add(f, &p);
		ok(f[10] == 2, "filter: counts, so one of two routes can go");
	}

	/* An interface the loader did not name (lo here) matches no MAC: a mesh-bound
	 * frame addressed to MAC_GW is left to the kernel, not counted. */
	{
		uint8_t in[512], out[512];
		struct pkt_spec s = { V4("10.0.0.5", "10.1.2.3"), .proto = UDP, .sport = 1, .dport = 2,
				      .pl = PL_RAW, .pl_len = 18 };
		size_t len = pkt_build(in, &s);
		struct xdp_md ctx = { .ingress_ifindex = 1, .data_end = len };
		uint64_t s0[MG_STAT__MAX], s1[MG_STAT__MAX];
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
			    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = 1);

		read_stats(stats_fd, s0);
		bpf_prog_test_run_opts(bpf_program__fd(skel->progs.mg_xdp_lan), &o);
		read_stats(stats_fd, s1);
		ok(o.retval == XDP_PASS && s1[MG_STAT_XDP_PASS] == s0[MG_STAT_XDP_PASS] + 1 &&
		   s1[MG_STAT_XDP_MESH] == s0[MG_STAT_XDP_MESH],
		   "an interface without a MAC from the loader: XDP_PASS, nothing counted");
	}

	/* With the IPv6 filter cleared, or the IPv4 /16 cells (the trie left as it
	 * is), a mesh-bound packet is not recognised: proof the programs consult them
	 * (and that the rows above ran with them). */
	for (int fam = 6; fam >= 4; fam -= 2) {
		uint32_t zf[MG_ROUTE_FILTER_LEN] = { 0 };
		uint8_t in[512], out[512];
		struct pkt_spec s4 = { V4("10.0.0.5", "10.1.2.3"), .proto = UDP, .sport = 1, .dport = 2,
				       .pl = PL_RAW, .pl_len = 18 };
		struct pkt_spec s6 = { V6("fd00::5", "fd01::7"), .proto = UDP, .sport = 1, .dport = 2,
				       .pl = PL_RAW, .pl_len = 18 };
		size_t len = pkt_build(in, fam == 4 ? &s4 : &s6);
		struct xdp_md ctx = { .ingress_ifindex = ifi_vin, .data_end = len };
		uint64_t s0[MG_STAT__MAX], s1[MG_STAT__MAX], s2[MG_STAT__MAX];
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
			    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = 1);
		struct dp_dir4_maps t;

		read_stats(stats_fd, s0);
		bpf_prog_test_run_opts(bpf_program__fd(skel->progs.mg_xdp_lan), &o);
		read_stats(stats_fd, s1);
		if (fam == 6) {
			dp_route_filter_write(bpf_map__fd(skel->maps.mg_route_filter), zf);
		} else if (!dp_dir4_map(&t, bpf_map__fd(skel->maps.mg_dir4_l1),
					bpf_map__fd(skel->maps.mg_dir4_l2),
					bpf_map__fd(skel->maps.mg_route_leaf))) {
			memset(t.l1, 0, 256 * sizeof(struct mg_dir4_cells));
			dp_dir4_unmap(&t);
		}
		bpf_prog_test_run_opts(bpf_program__fd(skel->progs.mg_xdp_lan), &o);
		read_stats(stats_fd, s2);
		ok(s1[MG_STAT_XDP_MESH] == s0[MG_STAT_XDP_MESH] + 1 && s2[MG_STAT_XDP_MESH] == s1[MG_STAT_XDP_MESH],
		   fam == 6 ? "IPv6: mesh-bound, and with the filter cleared the trie is skipped"
			    : "IPv4: mesh-bound, and with the /16 cells cleared the trie is not asked");
	}

	xdp_lan_bpf__destroy(skel);
	return tap_done();
}
