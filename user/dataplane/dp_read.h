/* SPDX-License-Identifier: GPL-2.0-only */
/* A whole map read in a few syscalls, for the loader's diffs: `up` compares
 * what a map holds with what it should hold, and a no-op `up` over 4,096 sites
 * would otherwise spend two syscalls per entry on it. */
#pragma once
#include <stddef.h>

/* Every entry of map fd: keys (ksize bytes each) into *keys, values (vsize
 * bytes each, one CPU's worth: not for per-CPU maps) into *vals, both malloc'd
 * (free them, also on error). The number of entries, -EOPNOTSUPP when this
 * kernel has no batch lookup for the map's type (walk it instead), or -errno. */
long dp_map_read_all(int fd, size_t ksize, size_t vsize, void **keys, void **vals);
