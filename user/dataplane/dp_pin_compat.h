/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MESHGW_DATAPLANE_DP_PIN_COMPAT_H
#define MESHGW_DATAPLANE_DP_PIN_COMPAT_H

#include <bpf/libbpf.h>

/* Before loading an object opened with a pin_root_path: a pinned map whose shape
 * (type, key and value sizes, max_entries, flags) differs from this build's, as
 * an older meshgw pinned it, is unpinned, so the load creates this build's map
 * in its place instead of failing. Its contents start over (logged per map);
 * programs still attached keep the old map until they are replaced. 0 or -errno
 * when a pin cannot be removed. */
int dp_pins_replace_incompatible(struct bpf_object *obj);

#endif
