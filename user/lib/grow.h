/* SPDX-License-Identifier: GPL-2.0-only */
/* Room for one more element at the end of a growing array. */
#pragma once
#include <errno.h>
#include <stdlib.h>

/* *v holds n elements of size bytes, with room for *cap: when full, the room is
 * doubled (or made first_cap, the first time). 0, or -ENOMEM with *v and *cap
 * unchanged. */
static inline int grow_for_one(void **v, size_t n, size_t *cap, size_t size, size_t first_cap)
{
	size_t want = *cap ? 2 * *cap : first_cap;
	void *nv;

	if (n < *cap)
		return 0;
	nv = reallocarray(*v, want, size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = want;
	return 0;
}
