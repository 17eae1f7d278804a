/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Internet checksums: incremental updates (RFC 1624) for rewrites in place, and
 * folding for sums computed whole. */
#pragma once
#include "vmlinux.h"

static __always_inline __u16 csum_fold32(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* The checksum field after one 16-bit word changed from old to new (all in
 * network order; the arithmetic is byte-order independent). */
static __always_inline __u16 csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 s = (__u16)~check;

	s += (__u16)~old;
	s += new;
	return ~csum_fold32(s);
}

static __always_inline __u16 csum_replace4(__u16 check, __u32 old, __u32 new)
{
	check = csum_replace2(check, old & 0xffff, new & 0xffff);
	return csum_replace2(check, old >> 16, new >> 16);
}

static __always_inline __u16 csum_fold64(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return csum_fold32((__u32)s);
}
