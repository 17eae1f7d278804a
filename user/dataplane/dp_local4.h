/* SPDX-License-Identifier: GPL-2.0-only */
/* mg_local4: this box's IPv4 addresses, which the fast paths never forward a
 * packet from (see include/meshgw_bpf.h). */
#pragma once

/* mg_local4 made what the kernel says now: every IPv4 address of every device
 * (any scope), the first MG_LOCAL4_MAX of them, and n above that when there are
 * more. map_fd < 0 (a data plane from before this map): nothing. 0 or -errno. */
int dp_sync_local4(int map_fd);
