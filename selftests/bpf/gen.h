/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Traffic generators run with BPF_F_TEST_XDP_LIVE_FRAMES: each live frame gets
 * its headers again from a template that userspace writes (the program the
 * frame went through last time round may have rewritten them). */
#pragma once
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define GEN_HDR 42	/* Ethernet + IPv4 + UDP */

/* In .bss, not .rodata: clang 14 folds a memcpy from a volatile const array
 * into stores of zeros (NOTES.md). */
__u8 tmpl[64];

/* act: where the frame goes next (XDP_TX out of the interface, XDP_PASS up the
 * generating host's own stack). */
static __always_inline int gen_frame(struct xdp_md *ctx, int act)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (data + GEN_HDR > end)
		return XDP_DROP;
	__builtin_memcpy(data, tmpl, GEN_HDR);
	return act;
}
