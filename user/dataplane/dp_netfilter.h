/* SPDX-License-Identifier: GPL-2.0-only */
/* Whether netfilter acts on forwarded traffic in this network namespace, which
 * the fast paths would bypass (dp_netfilter.c). */
#pragma once
#include <stddef.h>

/* 1 (what names the first chain or table found), 0 when nothing sits on the
 * prerouting, forward or postrouting hooks, or -errno when netfilter cannot be
 * asked (the caller treats that as 1). */
int dp_netfilter_forwarding(char *what, size_t len);

/* What the fast paths must leave forwarding to the kernel for: netfilter
 * (above), or IPsec policies (dp_xfrm.h). The same return as above. */
int dp_forwarding_hooked(char *what, size_t len);
