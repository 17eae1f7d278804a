/* Does netfilter act on traffic this box forwards? The fast paths (XDP and TC)
 * hand a packet straight to its next device: the prerouting, forward and
 * postrouting hooks never see it. A gateway that masquerades its LAN, or filters
 * what it forwards, would then leak private addresses or let through what its
 * firewall drops. So the fast path runs only while no nftables base chain sits on
 * those hooks (ip, ip6, inet families) and no legacy iptables table is loaded in
 * this network namespace; mesh traffic and counting are not affected. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "dp_netfilter.h"
#include "nl.h"

struct chain_scan {
	bool found;
	char what[128];
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

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_scan *c = data;
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const char *table = "?", *name = "?";
	const struct nlattr *a;
	uint32_t hook = ~0u;

	if (g->nfgen_family != NFPROTO_IPV4 && g->nfgen_family != NFPROTO_IPV6 &&
	    g->nfgen_family != NFPROTO_INET)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		switch (mnl_attr_get_type(a)) {
		case NFTA_CHAIN_TABLE:
			if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
				table = mnl_attr_get_str(a);
			break;
		case NFTA_CHAIN_NAME:
			if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
				name = mnl_attr_get_str(a);
			break;
		case NFTA_CHAIN_HOOK:
			hook_of(a, &hook);
			break;
		}
	}
	if (!c->found && (hook == NF_INET_PRE_ROUTING || hook == NF_INET_FORWARD ||
			  hook == NF_INET_POST_ROUTING)) {
		c->found = true;
		snprintf(c->what, sizeof(c->what), "nftables chain %s %s %s on hook %s",
			 g->nfgen_family == NFPROTO_INET ? "inet" :
			 g->nfgen_family == NFPROTO_IPV4 ? "ip" : "ip6", table, name,
			 hook == NF_INET_PRE_ROUTING ? "prerouting" :
			 hook == NF_INET_FORWARD ? "forward" : "postrouting");
	}
	return MNL_CB_OK;
}

static void chain_reset(void *data)
{
	struct chain_scan *c = data;

	c->found = false;
	c->what[0] = 0;
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
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct chain_scan c = { 0 };
	struct nl_sock s;
	int err;

	if (legacy_tables(what, len))
		return 1;
	if ((err = nl_open(&s, NETLINK_NETFILTER)))
		return err;
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = NFPROTO_UNSPEC;
	g->version = NFNETLINK_V0;
	err = nl_dump(&s, nlh, chain_cb, &c, "nftables chains", chain_reset);
	nl_close(&s);
	if (err == -ENOENT || err == -EPROTONOSUPPORT || err == -EOPNOTSUPP)
		return 0;	/* no nf_tables in this kernel: nothing can act */
	if (err)
		return err;
	if (c.found)
		snprintf(what, len, "%s", c.what);
	return c.found;
}
