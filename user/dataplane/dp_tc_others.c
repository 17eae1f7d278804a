// SPDX-License-Identifier: GPL-2.0-only
/* What else sits on a NIC's traffic control (dp_tc_others.h), read over
 * rtnetlink (qdiscs, filters) and the bpf syscall (tcx programs). meshgw's own:
 * its cls_bpf filters at MG_TC_HANDLE / MG_TC_PRIORITY, and its tcx programs,
 * named mg_*. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include "dataplane/dp_progs.h"
#include "dataplane/dp_tc.h"
#include "dataplane/dp_tc_others.h"
#include "lib/nl.h"
#include "lib/sysctl.h"
#include "meshgw_bpf.h"

/* Qdiscs a box has without anyone choosing them for this NIC (the kernel's
 * defaults, the usual default_qdisc, the one net.core.default_qdisc names: fq
 * where BBR is used) or that meshgw's TC programs need: XDP passing them by
 * changes nothing the user asked of this NIC. */
struct scan {
	struct dp_tc_others *o;
	int ifindex;
	bool egress;		/* the filter dump's hook */
	char def_qdisc[32];	/* net.core.default_qdisc, read once per NIC */
};

static bool qdisc_default(const struct scan *sc, const char *kind)
{
	static const char *const kinds[] = {
		"noqueue", "pfifo_fast", "pfifo", "bfifo", "mq", "fq_codel", "clsact", "ingress",
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i]))
			return true;
	return sc->def_qdisc[0] && !strcmp(kind, sc->def_qdisc);
}

static const char *kind_of(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct tcmsg))
		if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(a);
	return "?";
}

static int qdisc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct scan *sc = data;
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	const char *kind = kind_of(nlh);

	if (t->tcm_ifindex == sc->ifindex && !sc->o->qdisc[0] && !qdisc_default(sc, kind))
		snprintf(sc->o->qdisc, sizeof(sc->o->qdisc), "%s", kind);
	return MNL_CB_OK;
}

static int filter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct scan *sc = data;
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	const char *kind = kind_of(nlh);
	bool ours = !strcmp(kind, "bpf") && TC_H_MAJ(t->tcm_info) >> 16 == MG_TC_PRIORITY &&
		    (!t->tcm_handle || t->tcm_handle == MG_TC_HANDLE);

	if (t->tcm_ifindex != sc->ifindex || ours)
		return MNL_CB_OK;
	if (sc->egress)
		sc->o->egress = true;
	else
		sc->o->ingress = true;
	if (!sc->o->what[0])
		snprintf(sc->o->what, sizeof(sc->o->what), "a TC filter (%s)", kind);
	return MNL_CB_OK;
}

static void dump(struct nl_sock *s, uint16_t type, uint32_t parent, nl_cb_t cb, struct scan *sc)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *t;
	bool intr;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = sc->ifindex;
	t->tcm_parent = parent;
	/* No such hook (no clsact qdisc): nothing there. */
	nl_talk(s, nlh, cb, sc, "traffic control", EINVAL, &intr);
	(void)intr;	/* a dump interrupted by a change: the daemon looks again in a second */
}

/* tcx programs on a hook, in the order they run: on egress any (meshgw has none
 * on a NIC's egress), on ingress one after meshgw's. */
static void tcx_read(struct dp_tc_others *o, int ifindex, bool egress)
{
	__u32 ids[16], n = 16;
	bool after_ours = false;

	/* (The ifindex goes where the query takes a target fd: the same field.) */
	if (bpf_prog_query(ifindex, egress ? DP_TCX_EGRESS : DP_TCX_INGRESS, 0, NULL, ids, &n))
		return;		/* no tcx in this kernel */
	for (__u32 i = 0; i < n && i < 16; i++) {
		char name[BPF_OBJ_NAME_LEN] = "?";

		dp_prog_name(ids[i], name, sizeof(name));
		if (!strncmp(name, "mg_", 3)) {
			after_ours = true;
			continue;
		}
		if (!egress && !after_ours)
			continue;	/* runs before meshgw's: sees every packet */
		if (egress)
			o->egress = true;
		else
			o->ingress = true;
		if (!o->what[0])
			snprintf(o->what, sizeof(o->what), "a tcx program (%s)", name);
	}
}

void dp_tc_others_read(int ifindex, struct dp_tc_others *o)
{
	struct scan sc = { .o = o, .ifindex = ifindex };
	struct nl_sock s;

	memset(o, 0, sizeof(*o));
	if (sysctl_read("/proc/sys/net/core/default_qdisc", sc.def_qdisc, sizeof(sc.def_qdisc)))
		sc.def_qdisc[0] = 0;
	if (nl_open(&s, NETLINK_ROUTE))
		return;
	dump(&s, RTM_GETQDISC, 0, qdisc_cb, &sc);
	dump(&s, RTM_GETTFILTER, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), filter_cb, &sc);
	dump(&s, RTM_GETTFILTER, TC_H_MAKE(TC_H_INGRESS, 0), filter_cb, &sc);	/* an ingress qdisc's */
	sc.egress = true;
	dump(&s, RTM_GETTFILTER, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS), filter_cb, &sc);
	nl_close(&s);
	tcx_read(o, ifindex, false);
	tcx_read(o, ifindex, true);
}
