/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MESHGW_GATEWAY_NFT_LIB_H
#define MESHGW_GATEWAY_NFT_LIB_H

#include <nftables/libnftables.h>

/* libnftables, opened the first time a command needs it (only an exit site's
 * masquerading table does). Linked at build time it cost every meshgw command,
 * `show` and each no-op `up` too, mapping and relocating it and its five
 * dependencies (libnftnl, libxtables, libjansson, libgmp): ~4 ms of a 10 ms
 * start. The prototypes are the header's, so the compiler still checks every
 * call. */
struct nft_lib {
	__typeof__(nft_ctx_new) *ctx_new;
	__typeof__(nft_ctx_free) *ctx_free;
	__typeof__(nft_ctx_buffer_output) *ctx_buffer_output;
	__typeof__(nft_ctx_buffer_error) *ctx_buffer_error;
	__typeof__(nft_ctx_get_output_buffer) *ctx_get_output_buffer;
	__typeof__(nft_ctx_get_error_buffer) *ctx_get_error_buffer;
	__typeof__(nft_run_cmd_from_buffer) *run_cmd_from_buffer;
};

/* The library's functions, or NULL after logging why (not installed, or a
 * version without one of them). */
const struct nft_lib *nft_lib(void);

#endif
