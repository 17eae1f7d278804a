/* SPDX-License-Identifier: GPL-2.0-only */
/* meshgw's programs on the TC hooks, one per slot of the pinned mg_attach map
 * (enum mg_attach_slot: which program, which interface, ingress or egress).
 *
 * Where the kernel has tcx (6.6+) a slot is a tcx link, pinned as
 * PinPath/tcx_<slot> so it outlives `meshgw up`. The classic hook costs a
 * forwarded packet a clsact qdisc walk and a cls_bpf filter on top of the
 * program (3-5 % of TCP through the tunnel on a veth, README "Performance");
 * a tcx link runs the program straight from the device's hook. Elsewhere
 * (Debian 12's 6.1) a slot is a cls_bpf filter at MG_TC_HANDLE/MG_TC_PRIORITY
 * under a clsact qdisc, recorded with whether meshgw created that qdisc.
 *
 * The programs end with TC_ACT_UNSPEC where they hand a packet on, so a user's
 * own filters on the same hook still run after them (tcx runs before every
 * cls_bpf filter, and TC_ACT_OK there would skip those). A link is appended
 * after the tcx programs already on the hook: those see every packet first, as
 * they did before meshgw (one that ends a packet's run leaves it to the
 * kernel's routes, which still lead mesh traffic into WireGuard). A slot moves from one
 * kind to the other (an upgrade from a build without tcx, TcHook changed) by
 * attaching the new kind first and then taking the old one off: no moment
 * without the program, at most a packet or two that both count. */
#pragma once
#include <stdbool.h>
#include <linux/types.h>
#include "config/config.h"
#include "dataplane/dp_tc_others.h"
#include "meshgw_bpf.h"

/* Debian 12's headers (6.1) predate tcx: the kernel's numbers (6.6+). */
#define DP_TCX_INGRESS 46	/* BPF_TCX_INGRESS */
#define DP_TCX_EGRESS  47	/* BPF_TCX_EGRESS */

/* Where and how this run attaches. */
struct dp_tc {
	int attach_fd;		/* the pinned mg_attach map */
	const char *pin;	/* PinPath, resolved */
	bool tcx;		/* tcx links; false: cls_bpf filters */
};

/* Whether this run uses tcx: TcHook, and whether the kernel has it (asked
 * on ifindex, any interface of this namespace). -EOPNOTSUPP (message printed)
 * when TcHook = tcx and the kernel has none. */
int dp_tc_mode(enum mg_tc_hook want, int ifindex, bool *tcx);

/* 0 when meshgw may put its program on ifname's hook: tcx (any number of
 * programs share a hook), or no cls_bpf filter at meshgw's handle/priority
 * there that is not one of ours. -EBUSY (message printed) otherwise. */
int dp_tc_check_free(bool tcx, const char *ifname, int ifindex, bool egress);

/* prog (fd and id) on slot's hook of ifname. Nothing done when it runs there
 * already; a link of ours running another program gets this one in place
 * (bpf_link_update); a slot recorded on another interface is taken off it
 * first. 0 or -errno (message printed). */
int dp_tc_up(const struct dp_tc *t, __u32 slot, const char *ifname, int ifindex, int prog_fd,
	     __u32 prog_id);

/* Takes slot's program off its hook, whichever kind it is, and its clsact qdisc
 * when meshgw created it and no other slot of ours uses it; clears the slot. */
void dp_tc_forget(const struct dp_tc *t, __u32 slot);

/* Other tools' filters behind the WireGuard device's ingress program
 * (dp_tc_others.h), read into o and recorded in its slot
 * (MG_ATTACH_FILTERS_AFTER), where tc_wg reads it. 1 when that changed, 0 when
 * not (or the slot is unused), -errno. */
int dp_tc_wg_filters(int attach_fd, struct dp_tc_others *o);
#define DP_WG_FILTERS_TEXT "of another tool on its ingress, which meshgw's redirects would " \
			   "pass by: the kernel forwards what comes out of the tunnel"

/* The id of the program slot runs now, or 0 (none, no longer attached). */
__u32 dp_tc_prog_id(const struct dp_tc *t, __u32 slot);

/* `down`: every slot forgotten, and any tcx_* pin left under pin (a run that
 * stopped between pinning and recording) detached and removed. */
void dp_tc_down(const struct dp_tc *t);
