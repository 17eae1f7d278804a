// SPDX-License-Identifier: GPL-2.0-only
/* Per-NIC decisions of the data plane: XDP, TC only, or nothing (a veth LAN: the
 * kernel forwards), and XDP transmit targets.
 *
 * What the kernel says is taken first: netdev generic netlink's xdp-features
 * (6.3+) has NETDEV_XDP_ACT_NDO_XMIT exactly when a device can take XDP frames
 * (a veth only while its peer has NAPI). Where the kernel cannot say (Debian 12's
 * 6.1), only a driver's own Ethernet NIC is trusted as a target; a bridge, VLAN,
 * bond, veth, tun or PPP device is not. Run-time failures the kernel reports are
 * caught by bpf/xdp_fallback.bpf.c; dp_iface_watch undoes them when the device
 * can transmit again.
 *
 * Which NICs get XDP at all (FastPath = auto), from measurements (README,
 * "Interfaces"): not a layer-3 device (XDP would parse its IP header as Ethernet),
 * not a device without native XDP (generic XDP copies every skb; TC forwards as
 * fast without the copy), not a veth (XDP there takes GSO from the peer: TCP
 * through the tunnel lost 6-7 % against no program, while TC's fast path costs
 * nothing). Never a bond, whatever FastPath says: a bond with native XDP (veth
 * or NIC slaves) installs the program on its slaves, where ctx->ingress_ifindex
 * is the slave's, so it takes no frame as the gateway's and passes them all
 * uncounted, while tc_lan on the bond, seeing MG_IF_XDP, leaves the counting to
 * XDP (measured on 6.1, selftests/vm_kinds.t.sh: lan_packets 0 for 10 pings). */
#include <errno.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/genetlink.h>
#include "dataplane/dp_iface.h"
#include "dataplane/dp_netfilter.h"
#include "lib/log.h"
#include "lib/nl.h"
#include "lib/sysctl.h"
#include "lib/rtnl.h"

/* uapi/linux/netdev.h (6.3+), absent from Debian 12's headers. */
#define NETDEV_FAMILY_NAME "netdev"
#define NETDEV_CMD_DEV_GET 1
#define NETDEV_A_DEV_IFINDEX 1
#define NETDEV_A_DEV_XDP_FEATURES 3
#define NETDEV_XDP_ACT_NDO_XMIT (1ull << 2)

static int features_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dp_iface *i = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == NETDEV_A_DEV_XDP_FEATURES &&
		    mnl_attr_validate(a, MNL_TYPE_U64) == 0) {
			i->xdp_features = mnl_attr_get_u64(a);
			i->features_known = true;
		}
	return MNL_CB_OK;
}

/* xdp-features of i->ifindex; leaves features_known false on a kernel without them.
 * The family is looked up once per process: on a kernel without it each lookup
 * makes the kernel try to load a module (a modprobe run), and the daemon asks
 * every second. */
static void read_features(struct dp_iface *i)
{
	static int family = 0;		/* 0 unknown, -1 absent, else the id */
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	struct nl_sock s;
	uint16_t id;

	if (family < 0 || nl_open(&s, NETLINK_GENERIC))
		return;
	if (!family) {
		int err = genl_family_id(&s, NETDEV_FAMILY_NAME, &id);

		if (err == -ENOENT)
			family = -1;
		else if (!err)
			family = id;
	}
	if (family > 0) {
		nlh->nlmsg_type = (uint16_t)family;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->cmd = NETDEV_CMD_DEV_GET;
		g->version = 1;
		mnl_attr_put_u32(nlh, NETDEV_A_DEV_IFINDEX, (uint32_t)i->ifindex);
		nl_talk(&s, nlh, features_cb, i, i->name, ENODEV, NULL);
	}
	nl_close(&s);
}

int dp_iface_probe(const char *ifname, struct dp_iface *i)
{
	struct rtnl_link l;
	struct nl_sock s;
	int err;

	memset(i, 0, sizeof(*i));
	snprintf(i->name, sizeof(i->name), "%s", ifname);
	if ((err = nl_open(&s, NETLINK_ROUTE)))
		return err;
	err = rtnl_link_get(&s, ifname, &l);
	nl_close(&s);
	if (err)
		return err;
	i->ifindex = (int)l.ifindex;
	i->ether = l.type == ARPHRD_ETHER;
	snprintf(i->kind, sizeof(i->kind), "%s", l.kind);
	read_features(i);
	dp_tc_others_read(i->ifindex, &i->tc);
	return 0;
}

bool dp_iface_want_xdp(const struct dp_iface *i, enum mg_fast_path fp, enum mg_if_why *why)
{
	*why = MG_WHY_NONE;
	if (!i->ether)
		*why = MG_WHY_L3;
	else if (fp == MG_FAST_TC)
		*why = MG_WHY_CONFIG;
	else if (!strcmp(i->kind, "bond"))
		*why = MG_WHY_BOND;
	else if (fp == MG_FAST_AUTO && !strcmp(i->kind, "veth"))
		*why = MG_WHY_VETH;
	return *why == MG_WHY_NONE;
}

/* The rule, per kind, for the LAN NIC's TC program, measured with
 * selftests/bench/kinds.sh (README, "Does ratio >= 1.0 hold?"):
 *  - a veth: the kernel alone. On a veth tc_lan's fast path (classification,
 *    bpf_fib_lookup, redirect) forwarded 3-5 % fewer frames than the kernel's
 *    own routing; with no program the ratio is 1.0. Passing non-mesh traffic to
 *    the kernel after classifying it was not built: perf put the classification
 *    alone (cls_bpf, the program, its map lookups) at about 70 % of the kernel's
 *    routing, which it would then pay on top. The mesh traffic is routed into the
 *    WireGuard device by meshgw's routes, and tc_wg counts it there per peer as
 *    tc_lan would have (skb_iif is the LAN NIC; bytes with the Ethernet header;
 *    a packet the kernel fragments for the tunnel once, with all its bytes);
 *  - a bridge, a VLAN, a driver's NIC (with or without XDP): tc_lan, whose fast
 *    path beat the kernel there (bridge as LAN 1.04-1.06).
 * While netfilter or IPsec acts on forwarded traffic, any LAN NIC: the kernel
 * forwards all of it then (MG_IF_FWD off), and tc_lan could only hand each
 * packet on, for its cost and the TC hook's (a bridge LAN behind a masquerade:
 * uploads 0.95 of the kernel's rate with it). tc_wg counts the mesh traffic, or
 * XDP where it runs (it stays: it hands the rest on at once). The daemon
 * applies the data plane again when that state flips.
 * The program stays where it has work the kernel cannot do
 * (dataplane_lan_kernel_allowed): steering LAN traffic to the internet exit, and
 * the WireGuard and probe packets of a one-armed gateway (its LAN is its uplink).
 * FastPath = tc or xdp asks for meshgw's fast path there, and gets it. */
bool dp_iface_lan_kernel(const struct dp_iface *lan, bool nf_acts)
{
	return nf_acts || (lan->ether && !strcmp(lan->kind, "veth"));
}

bool dp_iface_xmit(const struct dp_iface *i, enum mg_if_why *why)
{
	*why = MG_WHY_NONE;
	if (!i->ether)
		*why = MG_WHY_L3;
	else if (i->features_known && !(i->xdp_features & NETDEV_XDP_ACT_NDO_XMIT))
		*why = MG_WHY_NO_XMIT;
	else if (!i->features_known && i->kind[0])
		*why = MG_WHY_KIND;
	else if (i->tc.qdisc[0] || i->tc.egress)
		*why = MG_WHY_QDISC;
	return *why == MG_WHY_NONE;
}

bool dp_iface_tx(const struct dp_iface *i)
{
	enum mg_if_why why;

	return dp_iface_xmit(i, &why) && strcmp(i->kind, "veth");
}

uint32_t dp_iface_sysctl_flags(const char *ifname)
{
	int rpf = sysctl_rp_filter(ifname);

	return (rpf == 1 ? MG_IF_RPF_STRICT : rpf == 2 ? MG_IF_RPF_LOOSE : 0) |
	       (sysctl_forwarding(ifname, AF_INET) ? 0 : MG_IF_NOFWD4) |
	       (sysctl_forwarding(ifname, AF_INET6) ? 0 : MG_IF_NOFWD6);
}

static const char *const why_text[MG_WHY__MAX] = {
	[MG_WHY_NONE] = "XDP fast path on",
	[MG_WHY_CONFIG] = "FastPath = tc",
	[MG_WHY_L3] = "no Ethernet header: TC only",
	[MG_WHY_NO_NATIVE] = "the driver has no native XDP: TC only",
	[MG_WHY_VETH] = "a veth: XDP would take GSO from its peer; TC fast path instead",
	[MG_WHY_NO_XMIT] = "the kernel says it cannot transmit XDP frames",
	[MG_WHY_KIND] = "this kernel cannot say whether it can transmit XDP frames; not trusted",
	[MG_WHY_RUNTIME] = "the kernel failed to transmit XDP frames into it",
	[MG_WHY_FOREIGN] = "another XDP program is attached: left alone, TC only",
	[MG_WHY_BOND] = "a bond: XDP would run on its slaves and miss the gateway's frames; TC only",
	[MG_WHY_MORE_UPLINK] = "a second or later uplink: XDP runs on the LAN NIC and the first "
			       "uplink; TC fast path here",
	[MG_WHY_QDISC] = "a queueing discipline that shapes, or TC egress filters, on it: XDP frames "
			 "would pass them by; TC forwards to it",
	[MG_WHY_REFUSED] = "the driver refused the XDP program (the log of `meshgw up` says why): "
			   "TC only",
};

static const char *const why_name[MG_WHY__MAX] = {
	[MG_WHY_NONE] = "none", [MG_WHY_CONFIG] = "config", [MG_WHY_L3] = "layer3",
	[MG_WHY_NO_NATIVE] = "no_native_xdp", [MG_WHY_VETH] = "veth",
	[MG_WHY_NO_XMIT] = "no_xmit", [MG_WHY_KIND] = "kind", [MG_WHY_RUNTIME] = "runtime",
	[MG_WHY_FOREIGN] = "foreign_xdp", [MG_WHY_BOND] = "bond", [MG_WHY_MORE_UPLINK] = "more_uplink",
	[MG_WHY_QDISC] = "qdisc", [MG_WHY_REFUSED] = "xdp_refused",
};

const char *dp_why_text(enum mg_if_why why)
{
	return (unsigned int)why < MG_WHY__MAX ? why_text[why] : "?";
}

const char *dp_why_name(enum mg_if_why why)
{
	return (unsigned int)why < MG_WHY__MAX ? why_name[why] : "unknown";
}

const char *dp_fallback_name(enum mg_fallback f)
{
	return f == MG_FB_TX ? "xdp_tx" : f == MG_FB_REDIRECT ? "redirect" : "other";
}

static uint64_t fallbacks_sum(const struct mg_iface *v)
{
	uint64_t n = 0;

	for (int k = 0; k < MG_FB__MAX; k++)
		n += v->fallbacks[k];
	return n;
}

/* The watch's slot for ifindex, made on first sight. */
static int watch_slot(struct dp_iface_watch *w, uint32_t ifindex, const struct mg_iface *v)
{
	for (int k = 0; k < w->n; k++)
		if (w->ifs[k].ifindex == ifindex)
			return k;
	if (w->n == MG_MAX_IFACES)
		return -1;
	w->ifs[w->n].ifindex = ifindex;
	w->ifs[w->n].flags = v->flags;
	w->ifs[w->n].why = v->why;
	w->ifs[w->n].fallbacks = fallbacks_sum(v);
	w->ifs[w->n].seen_no = false;
	w->ifs[w->n].xdp_why = v->flags & MG_IF_XDP ? MG_WHY_NONE : v->why;
	return w->n++;
}

int dp_iface_slots_sync(int ifaces_fd, int slots_fd)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	struct mg_if_slot s[MG_IF_SLOTS] = { 0 };
	uint32_t keys[MG_IF_SLOTS], key, next, *prev = NULL, count = MG_IF_SLOTS;
	struct mg_iface v;

	while (!bpf_map_get_next_key(ifaces_fd, prev, &next)) {
		struct mg_if_slot *x = &s[next % MG_IF_SLOTS];

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(ifaces_fd, &key, &v))
			continue;
		if (!x->ifindex && !x->flags)
			*x = (struct mg_if_slot){ .ifindex = key, .flags = v.flags };
		else	/* two NICs of ours here: the programs ask mg_ifaces */
			*x = (struct mg_if_slot){ .ifindex = 0, .flags = MG_IF_SLOT_SHARED };
	}
	for (uint32_t i = 0; i < MG_IF_SLOTS; i++)
		keys[i] = i;
	return bpf_map_update_batch(slots_fd, keys, s, &count, &o) ? -errno : 0;
}

/* May a NIC that is no transmit target (v), and that the kernel now says can
 * be one (now), be one again? After failed transmits (MG_WHY_RUNTIME) only once
 * the kernel has said "cannot" and then "can" (a veth's peer lost NAPI and got it
 * back); a NIC XDP runs on when what had turned it off is gone (the kernel's
 * "cannot", a shaping qdisc); a NIC without meshgw's XDP (its why is why it has
 * none) whenever the kernel can say. A kernel without xdp-features says nothing:
 * only what a qdisc had turned off comes back there. */
static bool xmit_again(const struct mg_iface *v, const struct dp_iface *now, bool seen_no)
{
	if (v->why == MG_WHY_RUNTIME)
		return now->features_known && seen_no;
	if (v->why == MG_WHY_QDISC)
		return true;
	if (v->flags & MG_IF_XDP)
		return now->features_known && v->why == MG_WHY_NO_XMIT;
	return now->features_known;
}

int dp_iface_watch(int fd, int slots_fd, struct dp_iface_watch *w)
{
	uint32_t key, next, *prev = NULL;
	bool wrote = false;
	char what[160];
	int nf = dp_forwarding_hooked(what, sizeof(what));
	bool fwd_ok = nf == 0;

	w->fwd_changed = w->n && fwd_ok != w->fwd_ok;
	if (w->fwd_changed) {
		if (fwd_ok)
			pr_info("neither netfilter nor IPsec acts on forwarded traffic now: fast path on again");
		else
			pr_warn("%s acts on forwarded traffic: the fast path leaves forwarding to the "
				"kernel", nf > 0 ? what : "netfilter or IPsec (cannot be asked)");
	}
	w->fwd_ok = fwd_ok;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct mg_iface v;
		struct dp_iface now;
		enum mg_if_why why;
		uint32_t rpf, sys;
		bool can, changed, probed, filters;
		int k;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || (k = watch_slot(w, key, &v)) < 0)
			continue;
		/* What the tracepoints did since the last look. */
		if (fallbacks_sum(&v) != w->ifs[k].fallbacks && v.why == MG_WHY_RUNTIME &&
		    w->ifs[k].why != MG_WHY_RUNTIME) {
			pr_warn("%.16s: fast path off: %s (%llu frames; the kernel forwards them now)",
				v.name, dp_why_text(MG_WHY_RUNTIME),
				(unsigned long long)(fallbacks_sum(&v) - w->ifs[k].fallbacks));
			w->ifs[k].seen_no = false;
		}
		w->ifs[k].fallbacks = fallbacks_sum(&v);
		changed = false;
		/* Gone (the daemon re-attaches it): what it had stays until then. */
		probed = !dp_iface_probe(v.name, &now) && now.ifindex == (int)key;
		filters = probed ? now.tc.ingress : !!(v.flags & MG_IF_FILTERS);
		if (!(v.flags & MG_IF_FILTERS) != !filters) {
			v.flags ^= MG_IF_FILTERS;
			changed = true;
			if (filters)
				pr_warn("%.16s: %s of another tool on its ingress, which meshgw's "
					"redirects would pass by: the kernel forwards what comes in here",
					v.name, now.tc.what);
			else
				pr_info("%.16s: no TC filter of another tool on its ingress now: fast "
					"path on again", v.name);
		}
		/* Netfilter and IPsec logged once for all NICs, above. */
		if (!(v.flags & MG_IF_FWD) != !(fwd_ok && !filters)) {
			v.flags ^= MG_IF_FWD;
			changed = true;
		}
		sys = probed ? dp_iface_sysctl_flags(v.name) : v.flags & MG_IF_SYSCTL;
		rpf = sys & MG_IF_RPF;
		if ((v.flags & MG_IF_RPF) != rpf)
			pr_info("%.16s: rp_filter now %s", v.name, rpf == MG_IF_RPF_STRICT ?
				"strict (1): the fast paths check sources as the kernel does" :
				rpf ? "loose (2): the fast paths check sources as the kernel does" :
				"off (0): the fast paths no longer check sources");
		for (int f = 0; f < 2; f++) {
			uint32_t bit = f ? MG_IF_NOFWD6 : MG_IF_NOFWD4;

			if ((v.flags & bit) != (sys & bit))
				pr_info("%.16s: the kernel %s %s it now%s", v.name,
					sys & bit ? "forwards no" : "forwards", f ? "IPv6 from" : "IPv4 from",
					sys & bit ? ": meshgw steers none of it into the tunnel" : "");
		}
		if ((v.flags & MG_IF_SYSCTL) != sys) {
			v.flags = (v.flags & ~MG_IF_SYSCTL) | sys;
			changed = true;
		}
		/* A kernel that cannot say (no xdp-features) turns nothing back on
		 * but what a queueing discipline had turned off. */
		if (probed) {
			can = dp_iface_xmit(&now, &why);
			if (!can)
				w->ifs[k].seen_no = true;
			if ((v.flags & MG_IF_XMIT) && !can) {
				v.flags &= ~(MG_IF_XMIT | MG_IF_TX);
				/* (a TC-only NIC keeps showing why it has no XDP, as
				 * `up` left it) */
				v.why = v.flags & MG_IF_XDP ? why : w->ifs[k].xdp_why;
				changed = true;
				pr_warn("%.16s: fast path off: %s", v.name, dp_why_text(why));
			} else if (!(v.flags & MG_IF_XMIT) && can && xmit_again(&v, &now, w->ifs[k].seen_no)) {
				v.flags |= MG_IF_XMIT | (dp_iface_tx(&now) ? MG_IF_TX : 0);
				/* (a TC-only NIC shows why it has no XDP again) */
				v.why = v.flags & MG_IF_XDP ? MG_WHY_NONE : w->ifs[k].xdp_why;
				changed = true;
				pr_info("%.16s: fast path on again: XDP frames can be transmitted into it",
					v.name);
			}
		}
		if (!changed)
			goto keep;
		/* The tracepoints may have changed the entry meanwhile: their word
		 * (a failure) wins over ours until the next look. */
		{
			struct mg_iface cur;

			if (bpf_map_lookup_elem(fd, &key, &cur) ||
			    fallbacks_sum(&cur) != w->ifs[k].fallbacks)
				goto keep;
		}
		if (bpf_map_update_elem(fd, &key, &v, BPF_EXIST))
			continue;
		wrote = true;
keep:
		w->ifs[k].flags = v.flags;
		w->ifs[k].why = v.why;
	}
	return wrote ? dp_iface_slots_sync(fd, slots_fd) : 0;
}
