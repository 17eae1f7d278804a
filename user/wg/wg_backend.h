/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel or userspace WireGuard behind one interface, chosen by Backend=. */
#pragma once
#include "wg/wg_device.h"

/* Backend= in the local file. */
enum mg_backend { MG_BACKEND_AUTO, MG_BACKEND_KERNEL, MG_BACKEND_USERSPACE };
const char *backend_name(enum mg_backend b);	/* "auto" / "kernel" / "userspace" */

struct wg_backend {
	enum mg_backend kind;		/* KERNEL or USERSPACE, never AUTO */
	int (*get)(const char *ifname, struct wg_device *d);
	int (*set)(const char *ifname, const struct wg_device *change);
};

extern const struct wg_backend wg_backend_kernel, wg_backend_userspace;

/* Resolves Backend=auto|kernel|userspace for this machine. With kernel on a
 * kernel without WireGuard, says so and points at `Backend = userspace`.
 * 0 with *out set, or -EOPNOTSUPP. */
int wg_backend_choose(enum mg_backend want, const char *local_path,
		      const struct wg_backend **out);
