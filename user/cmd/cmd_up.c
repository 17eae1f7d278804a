// SPDX-License-Identifier: GPL-2.0-only
/* meshgw up: the gateway to the configured state (gateway/gateway_up.c). */
#include <malloc.h>
#include "cmd/commands.h"
#include "config/config.h"
#include "gateway/gateway.h"

int cmd_up(int argc, char **argv)
{
	struct gateway_early early;
	struct mg_config c;
	struct mg_local l;
	struct cli_opts o;
	bool began;
	int ret;

	/* A short-lived process: memory glibc gives back (a large block is its own
	 * mapping, and the heap's top is trimmed) is faulted in again page by page
	 * when asked for once more, at a few microseconds a fault in a VM. From the
	 * heap only, kept until exit: a no-op `up` at 1,000 sites took ~270 of its
	 * ~1,240 page faults fewer and ~20 % less CPU (selftests/bench/up_scale.sh). */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);	/* glibc's maximum on 64-bit */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	if (!cli_args(argc, argv, false, &o, &ret))
		return ret;
	/* The local file first (it names the interface): wireguard-go, when it runs it,
	 * builds its configuration for us while we read the mesh file (a no-op `up`
	 * at 4,096 sites ~20 ms sooner). Its problems are reported by cli_config. */
	began = !local_load(&l, o.local_path, &(struct mg_errors){ 0 });
	if (began)
		gateway_up_early(l.wg_if, &early);
	if (!cli_config(&o, &c, &ret)) {
		if (began)
			gateway_early_cancel(&early);
		return ret;
	}
	/* A second `up` while `meshgw run` manages endpoints must not undo its choice. */
	ret = began ? gateway_up_finish(&c, true, &early) : gateway_up(&c, true);
	config_free(&c);
	return ret ? 1 : 0;
}
