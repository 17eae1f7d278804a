/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Map keys, values and counter enums shared by the BPF programs (bpf/) and the
 * loader (user/dataplane/). Fixed-width types only, explicit padding,
 * sizes asserted: both compilers must agree on every byte. */
#pragma once
#ifdef __bpf__
#include "vmlinux.h"
#else
#include <linux/types.h>
#endif
#include "meshgw_stats.h"

#define MG_MAX_PEERS     16384		/* >= MG_MAX_SITES: peer index = slot in mg_peer_info */
#define MG_MAX_ROUTES    262144		/* LPM entries per family (addresses + egress ranges) */
/* Distinct source addresses tracked (LRU): every endpoint of every site the
 * daemon probes (MG_STATE_MAX_PEERS x MG_MAX_SITE_ENDPOINTS, asserted in
 * fo_state.c; a mesh of 4,096 sites with two endpoints each fills a quarter).
 * At 4,096 it held half of such a mesh's 8,190 endpoints: replies were evicted
 * before the daemon read them, and peers failed over back and forth. ~3.9 MB of
 * kernel memory for each of mg_probes and mg_ep_stats. */
#define MG_MAX_ENDPOINTS 32768
#define MG_MAX_KNOWN_EPS 65536		/* addresses allowed to get probe replies */
#define MG_PEER_NAME_LEN 32		/* = MG_NAME_MAX (both asserted in dp_fill.c) */
#define MG_XDP_IFACES    2		/* XDP runs on the LAN NIC and the uplink NIC */

/* LPM trie keys, one trie per family: an IPv4 lookup in a 4-byte trie walks
 * fewer and cheaper nodes than one mapped into a 16-byte trie. */
struct mg_lpm4_key {
	__u32 prefixlen;
	__u8 addr[4];
};
_Static_assert(sizeof(struct mg_lpm4_key) == 8, "mg_lpm4_key");

struct mg_lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};
_Static_assert(sizeof(struct mg_lpm6_key) == 20, "mg_lpm6_key");

enum mg_route_kind {
	MG_ROUTE_REMOTE = 1,	/* another site's address or egress range: into the tunnel */
	MG_ROUTE_SELF = 2,	/* this site's own address or egress range: deliver locally */
};

struct mg_route {
	__u32 peer;		/* index into mg_peer_info / mg_peer_stats */
	__u32 kind;		/* enum mg_route_kind */
};
_Static_assert(sizeof(struct mg_route) == 8, "mg_route");

/* mg_route_filter: 512 counters, one per first IPv4 octet (0..255) and per first
 * IPv6 byte (256..511), of the routes that can match an address starting with it.
 * A zero lets the programs skip the IPv6 trie walk (most internet traffic). IPv4
 * is classified by table (mg_dir4, below), which is faster than any filter: its
 * half is still written, for readers of the map, but no program reads it. */
#define MG_ROUTE_FILTER_LEN 512

/* IPv4 classification by table (DIR-16-8-8), in place of a trie walk: mg_dir4_l1
 * holds a cell per /16 (256 entries of 256 cells: first octet, then the second),
 * mg_dir4_l2 a chunk of 256 cells per /24 for the /16s that hold a prefix longer
 * than /16 (third octet). A cell is one __u32, read once by the programs and
 * written whole by the loader (through mmap, an aligned store): a packet sees the
 * old cell or the new one, never half of each. mg_routes4 still holds every IPv4
 * route; the programs walk it only where a cell says MG_DIR4_TRIE (a /24 holding a
 * longer prefix, or a /16 left without a chunk when all are taken: exact, slower).
 * Fixed memory: l1 256 KiB + l2 MG_DIR4_CHUNKS KiB + the leaves 256 KiB. */
#define MG_DIR4_CHUNKS 4096		/* /16s with a prefix longer than /16 served by table */
#define MG_DIR4_CELLS  256
#define MG_DIR4_NONE   0u		/* no route */
#define MG_DIR4_TRIE   0xffffffffu	/* ask mg_routes4 */
#define MG_DIR4_CHUNK  0x80000000u	/* (l1 only) | chunk index in mg_dir4_l2 */
/* Any other cell is 1 + a leaf index: mg_route_leaf holds, at 2 * peer + (kind ==
 * MG_ROUTE_SELF), the struct mg_route the lookup returns. Its contents never
 * change, so a program holding a pointer into it reads one route, whole. */
#define MG_ROUTE_LEAVES (2 * MG_MAX_PEERS)
_Static_assert(MG_ROUTE_LEAVES < MG_DIR4_CHUNK, "a leaf cell never looks like a chunk cell");

struct mg_dir4_cells {
	__u32 cell[MG_DIR4_CELLS];
};
_Static_assert(sizeof(struct mg_dir4_cells) == 1024, "mg_dir4_cells");

/* Why a packet of a given peer was dropped or not delivered (MG_DROPS). */
enum mg_drop_reason {
#define MG_DROP_ENUM(e, label, help) MG_DROP_##e,
	MG_DROPS(MG_DROP_ENUM)
#undef MG_DROP_ENUM
	MG_DROP__USED,
	MG_DROP__MAX = 4,	/* room to grow without changing the value size */
};
_Static_assert(MG_DROP__USED <= MG_DROP__MAX, "drop reasons fit mg_peer_stats.drops");

/* Per-peer counters (per-CPU array indexed by peer): MG_PEER_COUNTERS, then the
 * drops by enum mg_drop_reason. */
struct mg_peer_stats {
#define MG_PEER_FIELD(field, metric, help) __u64 field;
	MG_PEER_COUNTERS(MG_PEER_FIELD)
#undef MG_PEER_FIELD
	__u64 drops[MG_DROP__MAX];
};
_Static_assert(sizeof(struct mg_peer_stats) == 80, "mg_peer_stats");

struct mg_peer_info {
	char name[MG_PEER_NAME_LEN];	/* site name, NUL-padded; "" = free slot */
};
_Static_assert(sizeof(struct mg_peer_info) == 32, "mg_peer_info");

/* Totals per program verdict (per-CPU array indexed by this enum): MG_STATS. */
enum mg_stat {
#define MG_STAT_ENUM(e, prog, verdict, help) MG_STAT_##e,
	MG_STATS(MG_STAT_ENUM)
#undef MG_STAT_ENUM
	MG_STAT__MAX,
};

struct mg_counter {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct mg_counter) == 16, "mg_counter");

/* An endpoint address (no port: NAT may change it). */
struct mg_ep_key {
	__u8 addr[16];		/* IPv4 as ::ffff:a.b.c.d */
	__u8 family;		/* AF_INET (2) or AF_INET6 (10) */
	__u8 pad[3];
};
_Static_assert(sizeof(struct mg_ep_key) == 20, "mg_ep_key");

/* UDP to our WireGuard port, per source address. */
struct mg_ep_stats {
	__u64 packets;
	__u64 bytes;
	__u64 last_seen_ns;	/* CLOCK_MONOTONIC, coarse (a tick old at most): for
				 * bpftool readers; the daemon counts packets */
	__u16 last_sport;	/* host order */
	__u8 pad[6];
};
_Static_assert(sizeof(struct mg_ep_stats) == 32, "mg_ep_stats");

/* Probe replies, per (source address, source port). */
struct mg_probe_key {
	__u8 addr[16];
	__u8 family;
	__u8 pad;
	__u16 port;		/* host order */
};
_Static_assert(sizeof(struct mg_probe_key) == 20, "mg_probe_key");

struct mg_probe_stats {
	__u64 replies;
	__u32 last_seq;
	__u32 pad;
	__u64 last_rx_ns;
	__u64 last_rtt_ns;
};
_Static_assert(sizeof(struct mg_probe_stats) == 32, "mg_probe_stats");

/* Each probe reply recorded in mg_probes is also queued in mg_probe_ring, so the
 * daemon reads the replies that came instead of looking up every endpoint it
 * probes (issue 17: those lookups were ~40 % of its CPU at 4,096 sites). The
 * same fields as the map's key and value: mg_probes stays the record of truth
 * (show reads it; the daemon reads it whole when the queue overflowed). */
struct mg_probe_event {
	__u8 addr[16];		/* as mg_probe_key */
	__u8 family;
	__u8 pad;
	__u16 port;		/* host order */
	__u32 seq;
	__u64 rx_ns;
	__u64 rtt_ns;
};
_Static_assert(sizeof(struct mg_probe_event) == 40, "mg_probe_event");

/* mg_probe_ring's size (a power of two, a multiple of the page size). A record
 * takes 48 bytes with the ring's header: 1 MiB holds ~21,800 replies, 5 s of
 * a 4,096-site mesh probed at the idle rate (8,190 endpoints every 2 s) and
 * 65 ms of one in which every endpoint is probed every 50 ms. A reply that
 * finds it full is still recorded in mg_probes and counted (*_probe_unqueued):
 * the daemon then reads all of mg_probes once, so nothing is lost, only slower. */
#define MG_PROBE_RING_BYTES (1u << 20)

/* The single entry of mg_mesh_tag. */
struct mg_tag {
	__u8 tag[16];		/* = MG_PROBE_TAG_LEN */
};
_Static_assert(sizeof(struct mg_tag) == 16, "mg_tag");

/* Internet exit through another site (DESIGN.md): LAN traffic from the exit
 * sources to exit destinations that no mesh route matches is redirected into the
 * WireGuard device, where the active exit peer's AllowedIPs (0.0.0.0/0, ::/0) pick
 * it. mg_exit's one entry says which peer that is, and whether any is (the daemon
 * turns it off when every ExitVia site is unreachable: the local internet). */
enum mg_exit_move {
	MG_EXIT_MOVE_UNREACHABLE = 0,	/* the exit in use stopped answering */
	MG_EXIT_MOVE_BACK,		/* a more preferred one answered for the hold-down */
	MG_EXIT_MOVE__MAX = 4,
};

struct mg_exit {
	__u32 peer;		/* the active exit's slot in mg_peer_info */
	__u32 on;		/* 0 = no exit: traffic takes the local internet */
	__u64 moves[MG_EXIT_MOVE__MAX];	/* the daemon's moves by reason (BPF does not
					 * read them); kept across `up` */
};
_Static_assert(sizeof(struct mg_exit) == 40, "mg_exit");

/* mg_exit4 / mg_exit6 hold both lists, the side first in the key: a packet takes
 * the exit when its source matches a MG_EXIT_SRC entry and its destination a
 * MG_EXIT_DST entry whose value is 1 (0: never, e.g. the mesh Network under a
 * default destination). prefixlen counts the side byte: 8 + the prefix length. */
enum mg_exit_side { MG_EXIT_SRC = 1, MG_EXIT_DST = 2 };
/* Per family: sources (by default all of this site's egress ranges, as many as a
 * route trie holds) + destinations + exclusions. No memory until used (no prealloc). */
#define MG_MAX_EXIT_ENTRIES (MG_MAX_ROUTES + 256)

struct mg_exit4_key {
	__u32 prefixlen;
	__u8 side;
	__u8 addr[4];
	__u8 pad[3];
};
_Static_assert(sizeof(struct mg_exit4_key) == 12, "mg_exit4_key");

struct mg_exit6_key {
	__u32 prefixlen;
	__u8 side;
	__u8 addr[16];
	__u8 pad[3];
};
_Static_assert(sizeof(struct mg_exit6_key) == 24, "mg_exit6_key");

/* Per peer (mg_exit_stats, per CPU): traffic that took the exit through it; bytes
 * of IP packets (no link-layer header) both ways. */
struct mg_exit_stats {
	__u64 tx_packets;	/* from the LAN, steered into the tunnel (tc_lan) */
	__u64 tx_bytes;
	__u64 rx_packets;	/* replies from the internet back through the tunnel (tc_wg) */
	__u64 rx_bytes;
};
_Static_assert(sizeof(struct mg_exit_stats) == 32, "mg_exit_stats");

/* mg_attach: what the loader put on each TC hook (user/dataplane/dp_tc.c): a tcx
 * link pinned as PinPath/tcx_<slot> (MG_ATTACH_TCX), or a cls_bpf filter at
 * MG_TC_HANDLE/MG_TC_PRIORITY (nothing pins a filter: this record is how `down`
 * removes exactly that and destroys only the clsact qdiscs it created). */
enum mg_attach_slot {
	MG_SLOT_TC_LAN = 0,		/* tc_lan on the LAN NIC, ingress */
	MG_SLOT_TC_WG_INGRESS,		/* tc_wg on the wg device, ingress */
	MG_SLOT_TC_WG_EGRESS,		/* tc_wg on the wg device, egress */
	MG_SLOT_TC_UPLINK,		/* tc_lan on the uplink NIC, ingress */
	MG_SLOT_TC_UPLINK_MORE,		/* several uplinks: tc_lan on the second, third...
					 * (Ethernet) uplink, ingress, one slot each up to
					 * MG_SLOT__MAX: probes to their addresses answered,
					 * WireGuard's packets counted per endpoint */
	MG_SLOT__MAX = 8,
};

/* Bytes of the hash of an object's ELF that the loader puts in its .rodata
 * (mg_obj_hash, bpf/lib/obj_id.h). */
#define MG_OBJ_HASH_LEN 16

#define MG_ATTACH_QDISC_CREATED 1u	/* meshgw created the clsact qdisc of ifindex */
#define MG_ATTACH_TCX 2u		/* a tcx link, not a cls_bpf filter */
/* Filters of another tool (or a tcx program linked after ours) wait behind the
 * slot's program on its hook: a redirect there would pass them by, so the
 * program redirects nothing (set on the WireGuard device's ingress: an IFB
 * mirror of sqm-scripts shaping what comes out of the tunnel, a policer). */
#define MG_ATTACH_FILTERS_AFTER 4u
#define MG_TC_HANDLE   0x4d47		/* "MG": handle and priority of our filters */
#define MG_TC_PRIORITY 0x4d47

struct mg_attach {
	__u32 ifindex;			/* 0 = slot unused */
	__u32 flags;			/* MG_ATTACH_* */
};
_Static_assert(sizeof(struct mg_attach) == 8, "mg_attach");

/* mg_ifaces: how each NIC meshgw attaches to is handled, keyed by ifindex; written
 * by the loader (and the daemon), read by the programs. The XDP fast path sends a
 * frame to a device only if its entry has MG_IF_XMIT: XDP_TX and XDP_REDIRECT into
 * a device that cannot transmit XDP frames (a bridge, a VLAN, a veth whose peer has
 * no NAPI) drop them silently. A device with no entry is never a target. */
#define MG_MAX_IFACES 16
#define MG_IF_XDP  (1u << 0)	/* meshgw's XDP program runs here natively and classifies
				 * (counts); TC on the same NIC does not count again */
#define MG_IF_XMIT (1u << 1)	/* XDP may redirect into it from another NIC (and XDP_TX
				 * on it, with MG_IF_TX) */
#define MG_IF_L3   (1u << 2)	/* no link-layer header (raw IP, PPP, tun): TC only, packets
				 * start at the IP header */
#define MG_IF_TX   (1u << 4)	/* XDP_TX on it (as the ingress) is delivered at once. Not
				 * on a veth: its XDP_TX frames wait for the peer's next
				 * NAPI run unless the peer runs an XDP program, which a
				 * peer with only GRO (also NDO_XMIT) does not */
#define MG_IF_FWD  (1u << 3)	/* the fast paths (XDP and TC) may forward to it: neither
				 * netfilter nor IPsec policies act on forwarded traffic
				 * (user/dataplane/dp_netfilter.c, dp_xfrm.c).
				 * The same on every NIC of ours but one with MG_IF_FILTERS
				 * (off there): without it on the ingress,
				 * meshgw's programs forward nothing (mesh traffic neither)
				 * and ask no route: the kernel forwards, through the rules,
				 * and tc_wg counts the mesh traffic tc_lan left uncounted */
#define MG_IF_KERNEL (1u << 5)	/* no program of meshgw on its ingress (the LAN NIC where the
				 * kernel forwards faster than TC: dp_iface_lan_kernel); the
				 * kernel routes mesh traffic into WireGuard, where tc_wg
				 * egress counts it as the peer's LAN traffic */
#define MG_IF_TCX (1u << 6)	/* meshgw's TC program on it is a tcx link, not a cls_bpf
				 * filter (user/dataplane/dp_tc.h); for show only */
/* The kernel's reverse-path filter on it (net.ipv4.conf.{all,NIC}.rp_filter, the
 * larger): an IPv4 packet that came in here is forwarded only if a route back to
 * its source leaves by this NIC (strict) or exists at all (loose); the kernel
 * drops the others. meshgw's fast paths ask the same before they forward or
 * steer a packet from it, and leave those that fail to the kernel. */
#define MG_IF_RPF_STRICT (1u << 7)
#define MG_IF_RPF_LOOSE  (1u << 8)
#define MG_IF_RPF (MG_IF_RPF_STRICT | MG_IF_RPF_LOOSE)
/* TC filters (or a tcx program linked after meshgw's) of another tool on its
 * ingress hook, which never see what meshgw's programs redirect: MG_IF_FWD is
 * then off on this NIC, and the kernel forwards what comes in by it, through
 * them (user/dataplane/dp_tc_others.h). */
#define MG_IF_FILTERS (1u << 9)
/* The kernel forwards nothing that comes in here: IPv4 (net.ipv4.conf.NIC.forwarding
 * 0), IPv6 (net.ipv6.conf.all.forwarding 0). meshgw's programs then steer nothing
 * into the tunnel or the exit from it either (their route lookups find
 * forwarding off by themselves), as the kernel would not. */
#define MG_IF_NOFWD4 (1u << 10)
#define MG_IF_NOFWD6 (1u << 11)
/* What the sysctls say, followed by the daemon (dp_iface_sysctl_flags). */
#define MG_IF_SYSCTL (MG_IF_RPF | MG_IF_NOFWD4 | MG_IF_NOFWD6)

/* mg_local4 (one entry): this box's IPv4 addresses, every device's and scope's.
 * The kernel never forwards a packet whose source is one of them (a LAN host
 * spoofing the gateway's own address): fib_validate_source calls it a martian
 * source with rp_filter off, and with it on the source's route is local. The fast
 * paths ask the same (bpf/lib/source.h). n > MG_LOCAL4_MAX: more addresses than
 * fit (the first MG_LOCAL4_MAX are there), the programs ask the routing table
 * instead. bloom has bit MG_LOCAL4_BIT(a) set for every address a (all bits
 * when they do not fit): a source whose bit is clear is none of them, which is
 * what nearly every packet learns with one test. Filled by the loader and the
 * daemon, as addresses come and go. */
#define MG_LOCAL4_MAX 16
#define MG_LOCAL4_BIT(a) ((__u32)((__u32)(a) * 0x9E3779B1u) >> 26)	/* a: as stored */
struct mg_local4 {
	__u32 n;
	__u32 pad;
	__u64 bloom;
	__be32 addr[MG_LOCAL4_MAX];
};

/* mg_own_addr: the gateway's own addresses that no peer accepts as a source (an
 * uplink's, not the mesh address or an egress range), each with the way out it
 * has without meshgw: the device holding it and that device's default route.
 * A reply from such an address to a mesh host (a host of another site reached
 * the uplink address over the internet: IPv6, or a LAN that is not NATed) would
 * take meshgw's route into the tunnel, and the far peer would drop it; tc_wg's
 * egress sends it out that way instead. Filled by the loader and the daemon (as
 * addresses and default routes change); empty on an exit site, whose peers may
 * take any source from it (their exit peer has 0.0.0.0/0). */
#define MG_MAX_OWN_ADDRS 64
struct mg_own_key {
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 pad[3];
	__u8 addr[16];		/* IPv4 in the first 4 bytes, the rest zero */
};
_Static_assert(sizeof(struct mg_own_key) == 20, "mg_own_key");

struct mg_own_route {
	__u32 ifindex;		/* the device holding the address */
	__u32 nh_family;	/* the default route's gateway: AF_INET or AF_INET6, or 0
				 * for a layer-3 device (no gateway, no neighbour) */
	__u8 nh[16];
};
_Static_assert(sizeof(struct mg_own_route) == 24, "mg_own_route");

/* Why a NIC has no XDP program, or is no XDP target (mg_iface.why). */
enum mg_if_why {
	MG_WHY_NONE = 0,	/* XDP runs and transmits here */
	MG_WHY_CONFIG,		/* FastPath = tc */
	MG_WHY_L3,		/* no Ethernet header: XDP would parse IP as Ethernet */
	MG_WHY_NO_NATIVE,	/* the driver has no native XDP (bridge, VLAN, ...) */
	MG_WHY_VETH,		/* a veth: XDP there takes GSO from the peer; TC is faster */
	MG_WHY_NO_XMIT,		/* the kernel says it cannot transmit XDP frames */
	MG_WHY_KIND,		/* kernel without xdp-features: not trusted as a target */
	MG_WHY_RUNTIME,		/* the kernel reported failed XDP transmits into it */
	MG_WHY_FOREIGN,		/* another XDP program is attached there: left alone */
	MG_WHY_BOND,		/* a bond: XDP would run on its slaves, whose ifindex and
				 * frames the program does not take as the gateway's */
	MG_WHY_MORE_UPLINK,	/* the second or a later uplink: XDP runs on the LAN NIC
				 * and the first uplink (own_ifindex), TC here */
	MG_WHY_QDISC,		/* a shaping qdisc or egress filters on it, which XDP
				 * frames would pass by (user/dataplane/dp_tc_others.h) */
	MG_WHY_REFUSED,		/* the driver refused meshgw's XDP program (its error is
				 * logged at `up`): TC does the job there */
	MG_WHY__MAX,
};

/* Run-time XDP transmit failures the kernel reported for a NIC, by tracepoint. */
enum mg_fallback {
	MG_FB_TX = 0,		/* XDP_TX on it failed (xdp_exception, xdp_bulk_tx) */
	MG_FB_REDIRECT,		/* a redirect into it failed (xdp_redirect_err, xdp_devmap_xmit) */
	MG_FB__MAX = 4,
};

struct mg_iface {
	char name[16];		/* IFNAMSIZ, for bpftool dumps and show */
	__u32 flags;		/* MG_IF_* */
	__u32 why;		/* enum mg_if_why: why MG_IF_XDP or MG_IF_XMIT is off */
	__u64 fallbacks[MG_FB__MAX];	/* frames the kernel failed to transmit */
};
_Static_assert(sizeof(struct mg_iface) == 56, "mg_iface");

/* mg_if_slots: the flags of mg_ifaces again, where the hot paths read them
 * without hashing: an array indexed by ifindex % MG_IF_SLOTS, whose lookup the
 * verifier inlines (mg_ifaces' hash lookup was 6 of the XDP fast path's 51 ns in
 * bpf_testrun). A slot holds the NIC of mg_ifaces whose index falls there; two
 * that fall in the same slot leave it MG_IF_SLOT_SHARED (ifindex 0), and the
 * programs ask mg_ifaces for them. Rebuilt from mg_ifaces after every write
 * from userspace (dp_iface_slots_sync); the tracepoint programs that take a
 * NIC off the fast path clear MG_IF_XMIT in both. */
#define MG_IF_SLOTS 256
#define MG_IF_SLOT_SHARED (1u << 31)
struct mg_if_slot {
	__u32 ifindex;		/* 0: empty, or shared */
	__u32 flags;		/* MG_IF_*, or MG_IF_SLOT_SHARED */
};
_Static_assert(sizeof(struct mg_if_slot) == 8, "mg_if_slot");
