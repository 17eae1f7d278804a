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
/* a and b sorted by wg_prefixes_sort: a_in_b[i] says whether a[i] is in b, and
 * b_in_a[j] whether b[j] is in a (one walk of both). */
void wg_prefixes_match(const struct prefix *a, size_t na, const struct prefix *b, size_t nb,
		       bool *a_in_b, bool *b_in_a);
