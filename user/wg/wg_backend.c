// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lib/log.h"
#include "wg/wg_backend.h"
#include "wg/wg_netlink.h"
#include "wg/wg_uapi.h"

const char *backend_name(enum mg_backend b)
{
	switch (b) {
	case MG_BACKEND_KERNEL:
		return "kernel";
	case MG_BACKEND_USERSPACE:
		return "userspace";
	case MG_BACKEND_AUTO:
		break;
	}
	return "auto";
}

const struct wg_backend wg_backend_kernel = {
	.kind = MG_BACKEND_KERNEL, .get = wgnl_get, .set = wgnl_set,
};
const struct wg_backend wg_backend_userspace = {
	.kind = MG_BACKEND_USERSPACE, .get = wg_uapi_get, .set = wg_uapi_set,
};

int wg_backend_choose(enum mg_backend want, const char *local_path,
		      const struct wg_backend **out)
{
	int ret;

	if (want == MG_BACKEND_USERSPACE) {
		*out = &wg_backend_userspace;
		return 0;
	}
	/* Looking the family up makes the kernel load wireguard.ko if it can. */
	ret = wgnl_available();
	if (!ret) {
		*out = &wg_backend_kernel;
		return 0;
	}
	if (want == MG_BACKEND_AUTO) {
		pr_info("no kernel WireGuard here: using the userspace backend (wireguard-go)");
		*out = &wg_backend_userspace;
		return 0;
	}
	if (ret == -ENOENT) {
		pr_err("this kernel has no WireGuard (no \"wireguard\" generic netlink family, "
		       "module not available)");
		pr_err("to use wireguard-go instead, set `Backend = userspace` in %s", local_path);
	}
	return -EOPNOTSUPP;
}
