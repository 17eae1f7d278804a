// SPDX-License-Identifier: GPL-2.0-only
/* Does netfilter act on traffic this box forwards? The fast paths (XDP and TC)
 * hand a packet straight to its next device: the prerouting, forward and
 * postrouting hooks never see it. A gateway that masquerades its LAN, or filters
 * what it forwards, would then leak private addresses or let through what its
 * firewall drops. Nor do a device's own ingress chains (netdev family, and the
 * inet family's ingress hook), which run after TC's ingress hook and never see
 * what XDP or TC redirects, nor the netdev egress chains, which XDP_REDIRECT
 * skips. So the fast path runs only while no nftables base chain on those hooks
 * (ip, ip6, inet, netdev families; of any device) has a rule or a drop policy,
 * and no legacy iptables table is loaded in this network namespace. Empty accepting chains
 * (Debian's stock /etc/nftables.conf) change nothing and are ignored. Mesh
 * traffic and counting are not affected. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "dataplane/dp_netfilter.h"
#include "dataplane/dp_xfrm.h"
#include "gateway/exit_nat.h"
#include "lib/nl.h"

#define NF_SCAN_MAX 64	/* base chains on the forwarding hooks considered */

struct nf_chain {
	uint8_t family;
	char table[64], name[64];
	uint32_t hook;
	bool drop;		/* policy drop */
};

struct chain_scan {
	struct nf_chain c[NF_SCAN_MAX];
	int n;
	bool overflow;
	int with_rules;		/* index of the first chain with a rule, -1 = none */
};

static int hook_of(const struct nlattr *hook, uint32_t *num)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, hook)
		if (mnl_attr_get_type(a) == NFTA_HOOK_HOOKNUM &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			*num = ntohl(mnl_attr_get_u32(a));
			return 0;
		}
	return -1;
}

static bool family_ok(uint8_t f)
{
	return f == NFPROTO_IPV4 || f == NFPROTO_IPV6 || f == NFPROTO_INET || f == NFPROTO_NETDEV;
}

/* A hook a forwarded packet passes that the fast paths skip (see the top). */
static bool hook_skipped(uint8_t family, uint32_t hook)
{
	if (family == NFPROTO_NETDEV)
		return hook == NF_NETDEV_INGRESS || hook == NF_NETDEV_EGRESS;
	return hook == NF_INET_PRE_ROUTING || hook == NF_INET_FORWARD || hook == NF_INET_POST_ROUTING ||
	       (family == NFPROTO_INET && hook == NF_INET_INGRESS);
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_scan *sc = data;
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	struct nf_chain c = { .family = g->nfgen_family, .hook = ~0u };
	const struct nlattr *a;

	if (!family_ok(g->nfgen_family))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		switch (mnl_attr_get_type(a)) {
		case NFTA_CHAIN_TABLE:
			if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
				snprintf(c.table, sizeof(c.table), "%s", mnl_attr_get_str(a));
			break;
		case NFTA_CHAIN_NAME:
			if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
				snprintf(c.name, sizeof(c.name), "%s", mnl_attr_get_str(a));
			break;
		case NFTA_CHAIN_HOOK:
			hook_of(a, &c.hook);
			break;
		case NFTA_CHAIN_POLICY:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				c.drop = ntohl(mnl_attr_get_u32(a)) == NF_DROP;
			break;
		}
	}
	if (!hook_skipped(c.family, c.hook))
		return MNL_CB_OK;
	/* An exit site's own masquerade (user/gateway/exit_nat.c) matches only
	 * traffic from other sites to the internet, which no fast path forwards. */
	if (c.family == NFPROTO_INET && !strncmp(c.table, MG_EXIT_NAT_PREFIX, strlen(MG_EXIT_NAT_PREFIX)))
		return MNL_CB_OK;
	if (sc->n == NF_SCAN_MAX)
		sc->overflow = true;
	else
		sc->c[sc->n++] = c;
	return MNL_CB_OK;
}

static void chain_reset(void *data)
{
	struct chain_scan *sc = data;

	sc->n = 0;
	sc->overflow = false;
	sc->with_rules = -1;
}

/* A rule in one of the scanned chains makes it count. */
static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_scan *sc = data;
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const char *table = NULL, *chain = NULL;
	const struct nlattr *a;

	if (sc->with_rules >= 0 || !family_ok(g->nfgen_family))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		if (mnl_attr_get_type(a) == NFTA_RULE_TABLE && mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
			table = mnl_attr_get_str(a);
		if (mnl_attr_get_type(a) == NFTA_RULE_CHAIN && mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
			chain = mnl_attr_get_str(a);
	}
	for (int i = 0; table && chain && i < sc->n; i++)
		if (sc->c[i].family == g->nfgen_family && !strcmp(sc->c[i].table, table) &&
		    !strcmp(sc->c[i].name, chain)) {
			sc->with_rules = i;
			break;
		}
	return MNL_CB_OK;
}

static void rule_reset(void *data)
{
	((struct chain_scan *)data)->with_rules = -1;
}

static void chain_name(char *what, size_t len, const struct nf_chain *c, const char *why)
{
	bool netdev = c->family == NFPROTO_NETDEV;

	snprintf(what, len, "nftables chain %s %s %s (hook %s, %s)",
		 netdev ? "netdev" : c->family == NFPROTO_INET ? "inet" :
		 c->family == NFPROTO_IPV4 ? "ip" : "ip6", c->table, c->name,
		 netdev ? (c->hook == NF_NETDEV_INGRESS ? "ingress" : "egress") :
		 c->hook == NF_INET_PRE_ROUTING ? "prerouting" : c->hook == NF_INET_FORWARD ? "forward" :
		 c->hook == NF_INET_POST_ROUTING ? "postrouting" : "ingress", why);
}

/* Dumps of one nf_tables message type; 0, 1 for "no nf_tables here", or -errno. */
static int nft_dump(struct nl_sock *s, uint8_t msg, nl_cb_t cb, void *data, const char *what,
		    void (*reset)(void *))
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	int err;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = NFPROTO_UNSPEC;
	g->version = NFNETLINK_V0;
	err = nl_dump(s, nlh, cb, data, what, reset);
	if (err == -ENOENT || err == -EPROTONOSUPPORT || err == -EOPNOTSUPP)
		return 1;	/* no nf_tables in this kernel: nothing can act */
	return err;
}

/* A legacy iptables table (x_tables) registered in this namespace. */
static bool legacy_tables(char *what, size_t len)
{
	static const char *const files[] = { "/proc/net/ip_tables_names", "/proc/net/ip6_tables_names" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char line[64];
		FILE *f = fopen(files[i], "r");

		if (!f)
			continue;
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(what, len, "legacy %s table %s", i ? "ip6tables" : "iptables", line);
			fclose(f);
			return true;
		}
		fclose(f);
	}
	return false;
}

int dp_netfilter_forwarding(char *what, size_t len)
{
	static struct chain_scan sc;	/* 9 KiB: not on the daemon's stack */
	/* Without nf_tables, each dump makes the kernel try to load it (a modprobe
	 * run, every second in the daemon). Rules cannot appear later without that
	 * module loaded by whoever adds them: look again once /sys/module has it. */
	static bool absent;
	struct nl_sock s;
	int err;

	if (legacy_tables(what, len))
		return 1;
	if (absent && access("/sys/module/nf_tables", F_OK))
		return 0;
	if ((err = nl_open(&s, NETLINK_NETFILTER)))
		return err;
	chain_reset(&sc);
	err = nft_dump(&s, NFT_MSG_GETCHAIN, chain_cb, &sc, "nftables chains", chain_reset);
	if (!err && sc.n && !sc.overflow)
		err = nft_dump(&s, NFT_MSG_GETRULE, rule_cb, &sc, "nftables rules", rule_reset);
	nl_close(&s);
	absent = err == 1;
	if (err == 1)
		return 0;
	if (err)
		return err;
	if (sc.overflow) {
		snprintf(what, len, "more than %d nftables chains on hooks of forwarded traffic", NF_SCAN_MAX);
		return 1;
	}
	if (sc.with_rules >= 0) {
		chain_name(what, len, &sc.c[sc.with_rules], "has rules");
		return 1;
	}
	for (int i = 0; i < sc.n; i++)
		if (sc.c[i].drop) {
			chain_name(what, len, &sc.c[i], "policy drop");
			return 1;
		}
	return 0;
}

int dp_forwarding_hooked(char *what, size_t len)
{
	int nf = dp_netfilter_forwarding(what, len);

	return nf ? nf : dp_xfrm_forwarding(what, len);
}
