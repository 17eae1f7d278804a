// SPDX-License-Identifier: GPL-2.0-only
/* meshgw up: the gateway to the configured state (gateway/gateway_up.c). */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "cmd/commands.h"
#include "config/config.h"
#include "gateway/gateway.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* Linux 5.14; older kernels refuse it (EINVAL): no harm */
#endif

/* The heap this run will use, faulted in by one call: its pages one fault at a
 * time cost ~10-17 us each in a VM (~1,900 of them in a no-op `up` at 4,096
 * sites, 818 KB of mesh file), MADV_POPULATE_WRITE ~1.5 us. The run's heap is
 * about 8 times its mesh file (the sites, WireGuard's peers twice, the route
 * sets); freed at once, the block stays in the heap (M_TRIM_THRESHOLD above)
 * for the allocations to come. Small meshes are not worth the call. */
static void heap_prefault(const char *mesh_path)
{
	struct stat st;
	size_t want;
	char *p;

	if (stat(mesh_path, &st) || st.st_size < (64 << 10))
		return;
	want = (size_t)st.st_size * 8;
	if (want > (16u << 20))
		want = 16u << 20;	/* (under M_MMAP_THRESHOLD: a heap block) */
	p = malloc(want);
	if (p) {
		uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;

		madvise((void *)a, (want - (a - (uintptr_t)p)) & ~(size_t)4095, MADV_POPULATE_WRITE);
		free(p);
	}
}

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
	heap_prefault(o.mesh_path);
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
