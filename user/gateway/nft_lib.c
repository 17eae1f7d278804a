// SPDX-License-Identifier: GPL-2.0-only
#include <dlfcn.h>
#include <stdbool.h>
#include "gateway/nft_lib.h"
#include "lib/log.h"

/* The soname Debian 12's libnftables1 ships (the package depends on it). */
#define NFT_SONAME "libnftables.so.1"

const struct nft_lib *nft_lib(void)
{
	static struct nft_lib lib;
	static bool tried, ok;
	void *h;

	if (tried)
		return ok ? &lib : NULL;
	tried = true;
	h = dlopen(NFT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		pr_err("nftables: cannot load %s (package libnftables1): %s", NFT_SONAME, dlerror());
		return NULL;
	}
#define RESOLVE(field, sym)                                                                        \
	if (!(lib.field = (__typeof__(lib.field))dlsym(h, #sym))) {                                \
		pr_err("nftables: %s has no %s", NFT_SONAME, #sym);                                \
		return NULL;                                                                       \
	}
	RESOLVE(ctx_new, nft_ctx_new)
	RESOLVE(ctx_free, nft_ctx_free)
	RESOLVE(ctx_buffer_output, nft_ctx_buffer_output)
	RESOLVE(ctx_buffer_error, nft_ctx_buffer_error)
	RESOLVE(ctx_get_output_buffer, nft_ctx_get_output_buffer)
	RESOLVE(ctx_get_error_buffer, nft_ctx_get_error_buffer)
	RESOLVE(run_cmd_from_buffer, nft_run_cmd_from_buffer)
#undef RESOLVE
	ok = true;
	return &lib;
}
