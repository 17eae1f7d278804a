/* SPDX-License-Identifier: GPL-2.0-only */
/* How meshgw handles each NIC it attaches to: XDP or TC only, and whether the XDP
 * fast path may transmit into it. Rule ("never worse than the kernel"): XDP_TX and
 * XDP_REDIRECT only into devices the kernel says can take XDP frames; no XDP on a
 * device without an Ethernet header; TC (which works on every device) does the
 * rest. The decision per kind, and why, is written to mg_ifaces for the programs,
 * `meshgw show` and the metrics. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include "config/config.h"
#include "dataplane/dp_tc_others.h"
#include "meshgw_bpf.h"

struct dp_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	bool ether;			/* ARPHRD_ETHER: frames start with an Ethernet header */
	char kind[16];			/* "veth", "bridge", "vlan", "bond", ...; "" = a driver's NIC */
	bool features_known;		/* the kernel reported xdp-features (6.3+) */
	uint64_t xdp_features;		/* NETDEV_XDP_ACT_* when known */
	struct dp_tc_others tc;		/* what else is on its traffic control */
};

/* Reads what the kernel says about ifname (rtnetlink; netdev generic netlink for
 * xdp-features where the kernel has it). 0 or -errno (-ENODEV: no such link). */
int dp_iface_probe(const char *ifname, struct dp_iface *i);

/* Whether to put meshgw's XDP program on i; when not, *why says why. */
bool dp_iface_want_xdp(const struct dp_iface *i, enum mg_fast_path fp, enum mg_if_why *why);

/* Whether the LAN NIC lan gets no TC program, the kernel forwarding everything
 * that comes in by it (MG_IF_KERNEL; XDP stays where it runs), where the
 * configuration allows it (dataplane_lan_kernel_allowed) and the uplink is
 * there: a veth; or any NIC while netfilter or IPsec acts on forwarded traffic
 * (nf_acts), when tc_lan could only hand every packet on. */
bool dp_iface_lan_kernel(const struct dp_iface *lan, bool nf_acts);

/* Whether the XDP fast path may transmit into i (XDP_TX, XDP_REDIRECT); when
 * not, *why says why. Kernels without xdp-features: only a driver's own NIC
 * (no link kind: not a bridge, VLAN, bond, veth, tun ...) with Ethernet. Never
 * into a NIC whose queueing discipline shapes, or with egress filters: XDP
 * frames pass them by. */
bool dp_iface_xmit(const struct dp_iface *i, enum mg_if_why *why);

/* Whether XDP_TX on i (as the ingress) is delivered at once: an XDP target
 * that is not a veth (see MG_IF_TX). */
bool dp_iface_tx(const struct dp_iface *i);

/* The MG_IF_SYSCTL flags for ifname: the kernel's rp_filter there, and whether
 * it forwards what comes in by it (sysctls). */
uint32_t dp_iface_sysctl_flags(const char *ifname);

/* A sentence for `meshgw show` and the log: "a bridge cannot transmit XDP frames". */
const char *dp_why_text(enum mg_if_why why);
/* What `meshgw show` and the log say of a NIC with MG_IF_KERNEL. */
#define DP_KERNEL_TEXT "no program: the kernel forwards (a veth, where it is faster than meshgw's " \
		       "TC fast path, or any LAN NIC while netfilter or IPsec acts on " \
		       "forwarded traffic); its mesh traffic is counted on the WireGuard device"
/* A word for the metrics' reason label: "config", "veth", "runtime", ... */
const char *dp_why_name(enum mg_if_why why);
/* A word for the fallback reason label (enum mg_fallback): "xdp_tx", "redirect". */
const char *dp_fallback_name(enum mg_fallback f);

/* The daemon's watch over the fast path: once a second it asks the kernel again.
 * A NIC the kernel now says cannot take XDP frames is taken off the fast path
 * before a frame is lost; one the tracepoints took off (MG_WHY_RUNTIME) or the
 * kernel had said no to comes back once the kernel says yes again (xdp-features
 * off, then on: a veth's peer got NAPI back). Netfilter rules on forwarding
 * added or removed turn the fast paths off or on (MG_IF_FWD). Every change is
 * logged once. */
struct dp_iface_watch {
	struct {
		uint32_t ifindex;
		uint32_t flags;
		uint32_t why;
		uint64_t fallbacks;
		bool seen_no;		/* the kernel said "cannot" since the last failure */
		uint32_t xdp_why;	/* a NIC without meshgw's XDP: why (its reason
					 * when it is a transmit target again) */
	} ifs[MG_MAX_IFACES];
	int n;
	bool fwd_ok;			/* netfilter did not act on forwarding at the last look */
	bool fwd_changed;		/* ... and it did at the one before, or the reverse */
};
/* ifaces_fd, slots_fd: the pinned mg_ifaces and mg_if_slots. 0 or -errno. */
int dp_iface_watch(int ifaces_fd, int slots_fd, struct dp_iface_watch *w);

/* Rebuilds mg_if_slots (slots_fd), what the programs read, from mg_ifaces
 * (ifaces_fd): after every write of mg_ifaces. 0 or -errno. */
int dp_iface_slots_sync(int ifaces_fd, int slots_fd);
