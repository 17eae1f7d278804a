/* SPDX-License-Identifier: GPL-2.0-only */
/* Whether IPsec (xfrm) policies act on forwarded traffic in this network
 * namespace, which the fast paths would bypass (dp_xfrm.c). */
#pragma once
#include <stddef.h>

/* 1 (what names the first policy found), 0 when no policy and no blocking
 * default applies to forwarded or outgoing traffic (or the kernel has no xfrm
 * netlink: nothing can set one), or -errno when the kernel cannot be asked (the
 * caller treats that as 1). */
int dp_xfrm_forwarding(char *what, size_t len);
