/* SPDX-License-Identifier: GPL-2.0-only */
/* The BPF data plane's loader: loads bpf/xdp_lan, tc_lan and tc_wg, pins their
 * maps by name under PinPath (reusing pins, so counters survive re-runs), attaches
 * them (XDP by pinned link, TC by pinned tcx link or cls_bpf filter: dp_tc.h),
 * fills the maps from the configuration by diff, and reads the counters back. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "config/config.h"
#include "meshgw_bpf.h"
#include "meshgw_probe.h"

struct dp_settings {
	uint16_t probe_port;		/* daemon's probe socket port; 0 = replies not intercepted */
	const uint8_t *mesh_tag;	/* MG_PROBE_TAG_LEN bytes; NULL = answer no probe */
};

/* PinPath: l->pin_path, else MG_DEFAULT_PIN_ROOT/<wg_if>; under /sys/fs/bpf it
 * becomes /proc/PID/root/sys/fs/bpf/... (PID an ancestor in the host's mount
 * namespace, or init) when this process's /sys has no bpffs but the host's has
 * (inside `ip netns exec`). Readers (show, metrics, the daemon)
 * should open the maps under this path too. 0 or -ENAMETOOLONG. */
int dataplane_pin_path(const struct mg_local *l, char *buf, size_t len);
/* The same resolution for a PinPath already spelled out (dp_maps_open uses it). */
int dataplane_pin_resolve(const char *raw, char *buf, size_t len);
/* mkdir -p of a resolved pin directory, mounting bpffs first if needed. 0 or -errno. */
int dataplane_pin_dir_make(const char *dir);

/* Settings s may be NULL (no probes). Idempotent: adopts existing pins and
 * attachments, keeps meshgw's own programs that are this build's with these
 * settings (nothing reloaded on a no-op up), replaces the others in place, and
 * refuses a cls_bpf filter in meshgw's place that it did not attach (an XDP
 * program it did not attach it leaves alone: TC only there). The LAN and
 * WireGuard interfaces must exist. 0 or -errno (message printed). */
int dataplane_up(const struct mg_config *c, const struct dp_settings *s);
/* What dataplane_up would refuse, checked without changing anything: the LAN
 * and uplink interfaces exist, TcHook = tcx has a kernel with tcx, and no
 * cls_bpf filter that meshgw did not attach sits where meshgw's go. `meshgw up`
 * asks before it changes WireGuard, so a refused data plane leaves the whole
 * gateway as it was. 0 or -errno (message printed). */
int dataplane_check(const struct mg_config *c);
/* Detaches and unpins exactly what dataplane_up made. Missing pieces (an
 * interface already gone) are not errors. 0 or -errno. */
int dataplane_down(const struct mg_local *l);
/* The NICs the data plane attaches to: [0] the LAN NIC and [1] the first uplink
 * (XDP where it works, else TC), then the second and later uplinks, as many as
 * have a tc_lan slot in mg_attach (TC only). */
#define DATAPLANE_MORE_UPLINKS (MG_SLOT__MAX - MG_SLOT_TC_UPLINK_MORE)
#define DATAPLANE_NICS (MG_XDP_IFACES + DATAPLANE_MORE_UPLINKS)
/* The name of NIC i of c (as above), "" for none. */
const char *dataplane_nic_name(const struct mg_config *c, int i);
/* May the LAN NIC be left to the kernel (dp_iface_lan_kernel): FastPath = auto, an
 * uplink of its own, no ExitVia? Whether it is then follows whether netfilter acts
 * on forwarded traffic: the daemon applies the data plane again when that changes. */
bool dataplane_lan_kernel_allowed(const struct mg_config *c);

/* ifname's Ethernet address, which the XDP program matches frames against: 0,
 * -EPFNOSUPPORT (not Ethernet) or -errno. */
int dataplane_if_mac(const char *ifname, uint8_t mac[6]);

/* Fills k from an IPv4/IPv6 literal. 0 or -EINVAL. */
int dataplane_ep_key(struct mg_ep_key *k, const char *addr);

/* Trie keys of a prefix (host bits cleared), and its count in f, the contents of
 * mg_route_filter; for the loader and for tests and benchmarks that fill the
 * route maps themselves. */
void dp_lpm4_key(struct mg_lpm4_key *k, const struct prefix *p);
void dp_lpm6_key(struct mg_lpm6_key *k, const struct prefix *p);
void dp_route_filter_add(uint32_t f[MG_ROUTE_FILTER_LEN], const struct prefix *p);

/* The fds of the maps, and their readers (summed over CPUs): dp_maps.h. */
