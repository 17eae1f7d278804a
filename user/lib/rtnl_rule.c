// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include "lib/rtnl_rule.h"

static size_t alen(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

struct rule_list {
	uint8_t proto;
	struct rtnl_rule *v;
	size_t n, cap;
	int err;
};

static void list_reset(void *data)
{
	((struct rule_list *)data)->n = 0;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rule_list *l = data;
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct rtnl_rule r = { .family = frh->family, .action = frh->action,
			       .src_len = frh->src_len, .dst_len = frh->dst_len,
			       .table = frh->table };

	if (r.family != AF_INET && r.family != AF_INET6)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*frh)) {
		switch (mnl_attr_get_type(a)) {
		case FRA_PROTOCOL:
			if (!mnl_attr_validate(a, MNL_TYPE_U8))
				r.proto = mnl_attr_get_u8(a);
			break;
		case FRA_PRIORITY:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				r.prio = mnl_attr_get_u32(a);
			break;
		case FRA_TABLE:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				r.table = mnl_attr_get_u32(a);
			break;
		case FRA_GOTO:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				r.target = mnl_attr_get_u32(a);
			break;
		case FRA_FWMARK:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				r.mark = mnl_attr_get_u32(a);
			break;
		case FRA_SRC:
			if (mnl_attr_get_payload_len(a) == alen(r.family))
				memcpy(r.src, mnl_attr_get_payload(a), alen(r.family));
			break;
		case FRA_DST:
			if (mnl_attr_get_payload_len(a) == alen(r.family))
				memcpy(r.dst, mnl_attr_get_payload(a), alen(r.family));
			break;
		}
	}
	if (r.proto != l->proto)
		return MNL_CB_OK;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct rtnl_rule *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->err = -ENOMEM;
			return MNL_CB_OK;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = r;
	return MNL_CB_OK;
}

int rtnl_rule_list(struct nl_sock *s, uint8_t proto, struct rtnl_rule **out, size_t *n)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;
	struct rule_list l = { .proto = proto };
	int ret;

	nlh->nlmsg_type = RTM_GETRULE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_UNSPEC;	/* every family */
	ret = nl_dump(s, nlh, rule_cb, &l, "list rules", list_reset);
	if (!ret)
		ret = l.err;
	if (ret) {
		free(l.v);
		return ret;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

bool rtnl_rule_equal(const struct rtnl_rule *a, const struct rtnl_rule *b)
{
	return a->family == b->family && a->action == b->action && a->proto == b->proto &&
	       a->src_len == b->src_len && !memcmp(a->src, b->src, alen(a->family)) &&
	       a->dst_len == b->dst_len && !memcmp(a->dst, b->dst, alen(a->family)) &&
	       a->prio == b->prio && a->mark == b->mark &&
	       (a->action != FR_ACT_TO_TBL || a->table == b->table) &&
	       (a->action != FR_ACT_GOTO || a->target == b->target);
}

/* "all", "ADDR" (a host) or "ADDR/LEN" */
static void addr_str(uint8_t family, const uint8_t *a, uint8_t len, char *buf, size_t n)
{
	int k;

	if (!len) {
		snprintf(buf, n, "all");
		return;
	}
	inet_ntop(family, a, buf, (socklen_t)n);
	k = (int)strlen(buf);
	if (len != 8 * alen(family))
		snprintf(buf + k, n - (size_t)k, "/%u", len);
}

char *rtnl_rule_str(const struct rtnl_rule *r, char *buf, size_t len)
{
	char src[INET6_ADDRSTRLEN + 8], dst[INET6_ADDRSTRLEN + 12] = "", what[48];
	int k;

	addr_str(r->family, r->src, r->src_len, src, sizeof(src));
	if (r->dst_len) {
		memcpy(dst, " to ", 5);
		addr_str(r->family, r->dst, r->dst_len, dst + 4, sizeof(dst) - 4);
	}
	if (r->action == FR_ACT_TO_TBL)
		snprintf(what, sizeof(what), "lookup %u", r->table);
	else if (r->action == FR_ACT_GOTO)
		snprintf(what, sizeof(what), "goto %u", r->target);
	else if (r->action == FR_ACT_NOP)
		snprintf(what, sizeof(what), "nop");
	else
		snprintf(what, sizeof(what), "action %u", r->action);
	k = snprintf(buf, len, "%spriority %u from %s%s", r->family == AF_INET6 ? "-6 " : "",
		     r->prio, src, dst);
	if (r->mark && k > 0 && (size_t)k < len)
		k += snprintf(buf + k, len - (size_t)k, " fwmark 0x%x", r->mark);
	if (k > 0 && (size_t)k < len)
		snprintf(buf + k, len - (size_t)k, " %s", what);
	return buf;
}

static int rule_req(struct nl_sock *s, uint16_t type, uint16_t flags, const struct rtnl_rule *r)
{
	char buf[512] = { 0 }, what[160], rs[128];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = r->family;
	frh->action = r->action;
	frh->src_len = r->src_len;
	frh->dst_len = r->dst_len;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, r->prio);
	if (r->action == FR_ACT_TO_TBL) {
		/* Tables above 255 exist only as FRA_TABLE. */
		frh->table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
		mnl_attr_put_u32(nlh, FRA_TABLE, r->table);
	} else if (r->action == FR_ACT_GOTO) {
		mnl_attr_put_u32(nlh, FRA_GOTO, r->target);
	}
	if (r->src_len)
		mnl_attr_put(nlh, FRA_SRC, alen(r->family), r->src);
	if (r->dst_len)
		mnl_attr_put(nlh, FRA_DST, alen(r->family), r->dst);
	if (r->mark) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, r->mark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffffu);
	}
	if (r->proto)
		mnl_attr_put_u8(nlh, FRA_PROTOCOL, r->proto);
	snprintf(what, sizeof(what), "%s rule %s", type == RTM_NEWRULE ? "add" : "delete",
		 rtnl_rule_str(r, rs, sizeof(rs)));
	return nl_talk(s, nlh, NULL, NULL, what, type == RTM_NEWRULE ? EEXIST : ENOENT, NULL);
}

int rtnl_rule_add(struct nl_sock *s, const struct rtnl_rule *r)
{
	/* NLM_F_EXCL: the kernel answers -EEXIST for an identical rule, so a rule
	 * that was there before is told apart from one added now. */
	return rule_req(s, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r);
}

int rtnl_rule_del(struct nl_sock *s, const struct rtnl_rule *r)
{
	return rule_req(s, RTM_DELRULE, 0, r);
}
