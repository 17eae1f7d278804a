/* SPDX-License-Identifier: GPL-2.0-only */
/* Diff of a wanted WireGuard device against what the backend reports. */
#pragma once
#include "wg/wg_device.h"

/* Fills change (zeroed first) with only what differs: device fields that differ,
 * new peers, removed peers, and for a changed peer only its changed fields (its
 * allowed IPs, if they differ, replaced for that peer alone). Unchanged peers are
 * not mentioned, so their sessions and counters survive. Returns the number of
 * changes (0 = nothing to send) or -errno. A want endpoint of family 0 means
 * "leave the current endpoint". */
int wg_diff(const struct wg_device *want, const struct wg_device *have,
	    struct wg_device *change);

/* Sorts allowed IPs into a canonical order (used by the diff; exposed for tests). */
void wg_prefixes_sort(struct prefix *v, size_t n);
/* Whether p is in v, which wg_prefixes_sort has sorted (binary search). */
bool wg_prefix_in_sorted(const struct prefix *p, const struct prefix *v, size_t n);
