/* SPDX-License-Identifier: GPL-2.0-only */
/* What other tools (or the user) put on a NIC's traffic control that meshgw's
 * fast paths would skip (dp_tc_others.c): a queueing discipline that shapes what
 * leaves (cake, htb, tbf: sqm-scripts, a traffic shaper), which XDP_REDIRECT and
 * XDP_TX bypass; filters and tcx programs on the egress hook, which XDP bypasses
 * too; and filters (or tcx programs linked after meshgw's) on the ingress hook,
 * which never see what meshgw's programs redirect first (an IFB mirror for
 * ingress shaping, a policer, an ACL). */
#pragma once
#include <stdbool.h>

struct dp_tc_others {
	char qdisc[16];		/* the first qdisc kind that is not a default one; "" none */
	bool egress;		/* a filter or tcx program on the egress hook */
	bool ingress;		/* a filter not meshgw's on the ingress hook, or a tcx
				 * program after meshgw's */
	char what[48];		/* the first found, for the log: "a TC filter (u32)",
				 * "a tcx program (fw_in)" */
};

/* Reads them for ifindex. Whatever cannot be read counts as nothing there. */
void dp_tc_others_read(int ifindex, struct dp_tc_others *o);
