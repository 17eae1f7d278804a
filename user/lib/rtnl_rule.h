/* SPDX-License-Identifier: GPL-2.0-only */
/* rtnetlink for policy routing rules (`ip rule`): the few kinds meshgw adds,
 * listed, added and deleted by their exact attributes. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "lib/nl.h"

struct rtnl_rule {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t action;		/* FR_ACT_TO_TBL (table), FR_ACT_GOTO (target), FR_ACT_NOP */
	uint8_t proto;		/* FRA_PROTOCOL: who added it (0 = not said) */
	uint8_t src_len;	/* `from src/src_len`; 0 = from all */
	uint8_t src[16];
	uint8_t dst_len;	/* `to dst/dst_len`; 0 = to all */
	uint8_t dst[16];
	uint32_t prio;
	uint32_t table;		/* FR_ACT_TO_TBL */
	uint32_t target;	/* FR_ACT_GOTO: the priority it jumps to */
	uint32_t mark;		/* `fwmark mark` (mask all ones) when mark; 0 = none */
};

/* The rules of protocol proto (both families). *out is malloc'd. 0 or -errno. */
int rtnl_rule_list(struct nl_sock *s, uint8_t proto, struct rtnl_rule **out, size_t *n);
/* 0, or -EEXIST (quietly) when that very rule is there already, or -errno. */
int rtnl_rule_add(struct nl_sock *s, const struct rtnl_rule *r);
/* 0, or -ENOENT (quietly) when there is no such rule, or -errno. */
int rtnl_rule_del(struct nl_sock *s, const struct rtnl_rule *r);
bool rtnl_rule_equal(const struct rtnl_rule *a, const struct rtnl_rule *b);
/* "priority 990 from 192.0.2.1 goto 992" (ip rule's words). Returns buf. */
char *rtnl_rule_str(const struct rtnl_rule *r, char *buf, size_t len);
