/* SPDX-License-Identifier: GPL-2.0-only */
/* Why a driver refused meshgw's XDP program, in the driver's own words. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Asks the attachment that failed once more, through rtnetlink, to read the
 * kernel's extended ACK into why ("" when it gave none). Returns the errno of
 * that attempt (negative), or 0 when the driver took the program this time
 * (what made it refuse has passed): it is taken off again before returning. */
int dp_xdp_why(int ifindex, int prog_fd, char *why, size_t len);

/* Does the kernel's reason (why, from dp_xdp_why) say the driver has no native
 * XDP at all, rather than that it refused this program? */
bool dp_xdp_why_no_native(const char *why);
