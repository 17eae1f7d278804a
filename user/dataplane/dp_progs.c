// SPDX-License-Identifier: GPL-2.0-only
/* Which loaded programs a run of `meshgw up` may keep instead of reloading
 * (dp_progs.h). The kernel is the record: the program's name, its .rodata
 * (bound to every program by libbpf, frozen, holding mg_obj_hash and the
 * constants the loader set) and the ids of the maps it uses. Nothing extra is
 * pinned, and nothing can go stale: a program detached by hand is simply not
 * found, one loaded by another build has another hash. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>
#include <sodium.h>
#include "dataplane/dp_progs.h"
#include "lib/log.h"

_Static_assert(MG_OBJ_HASH_LEN >= crypto_generichash_BYTES_MIN &&
	       MG_OBJ_HASH_LEN <= crypto_generichash_BYTES_MAX, "a BLAKE2b output length");

#define MAX_PROG_MAPS 64	/* more maps than any meshgw program uses */

void dp_obj_hash(const void *elf, size_t size, uint8_t out[MG_OBJ_HASH_LEN])
{
	/* Another libbpf may relocate the same bytes differently: a program it
	 * loaded is not the one this build would load. */
	const uint32_t ver[2] = { libbpf_major_version(), libbpf_minor_version() };
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, MG_OBJ_HASH_LEN);
	crypto_generichash_update(&st, (const uint8_t *)ver, sizeof(ver));
	crypto_generichash_update(&st, elf, size);
	crypto_generichash_final(&st, out, MG_OBJ_HASH_LEN);
}

void dp_fds_close(struct dp_fds *f)
{
#define DP_CLOSE(name) \
	if (f->name >= 0) \
		close(f->name); \
	f->name = -1;
	MG_DP_MAPS(DP_CLOSE)
#undef DP_CLOSE
}

static int pin_open(const char *pin, const char *name, uint32_t *id)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	*id = info.id;
	return fd;
}

int dp_pins_open(const char *pin, struct dp_fds *f, struct dp_pinned *ids)
{
	int err = 0;

	ids->n = 0;
#define DP_NONE(name) f->name = -1;
	MG_DP_MAPS(DP_NONE)
#undef DP_NONE
#define DP_PIN(name) \
	if (!err && (f->name = pin_open(pin, MG_MAP_NAME(name), &ids->id[ids->n++])) < 0) \
		err = f->name;
	MG_DP_MAPS(DP_PIN)
#undef DP_PIN
	if (err) {
		dp_fds_close(f);
		ids->n = 0;
	}
	return err;
}

uint32_t dp_prog_id(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

int dp_prog_name(uint32_t id, char *name, size_t len)
{
	struct bpf_prog_info info = { 0 };
	__u32 ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id), err = 0;

	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		err = -errno;
	else
		snprintf(name, len, "%s", info.name);
	close(fd);
	return err;
}

void dp_link_unpin(const char *path)
{
	int fd = bpf_obj_get(path);

	if (fd >= 0) {
		bpf_link_detach(fd);
		close(fd);
	}
	if (unlink(path) && errno != ENOENT)
		pr_warn("Failed to unpin %s: %s", path, strerror(errno));
}

void dp_links_sweep(const char *pin, const char *prefix, const char *const *keep)
{
	size_t n = strlen(prefix);
	DIR *dir = opendir(pin);
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		char path[PATH_MAX + 64];
		bool kept = false;

		if (strncmp(e->d_name, prefix, n))
			continue;
		for (const char *const *k = keep; k && *k; k++)
			kept |= **k && !strcmp(e->d_name + n, *k);
		if (kept)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin, e->d_name);
		dp_link_unpin(path);
	}
	closedir(dir);
}

uint32_t dp_link_prog_id(const char *path)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	uint32_t id = 0;

	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		id = info.prog_id;
	close(fd);
	return id;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Map `id` of a candidate program: 1 when it may use it (a pinned map, or an
 * internal one of its own; its .rodata also equal to want), 0 when not,
 * -errno when it cannot be read. */
static int map_ok(uint32_t id, const void *want, size_t want_size, const struct dp_pinned *pins,
		  bool *saw_rodata)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), zero = 0;
	void *val = NULL;
	int fd, ok;

	for (size_t i = 0; i < pins->n; i++)
		if (pins->id[i] == id)
			return 1;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		ok = -errno;
		goto out;
	}
	/* libbpf names its internal maps "<object>.<section>" (15 characters at
	 * most); a map of ours without a dot is one that is not pinned (any more). */
	if (!strchr(info.name, '.')) {
		ok = 0;
		goto out;
	}
	if (!ends_with(info.name, ".rodata")) {
		ok = 1;		/* .bss, .data: the program's own state */
		goto out;
	}
	ok = 0;
	if (info.value_size != want_size || info.max_entries != 1)
		goto out;
	val = malloc(want_size);
	if (!val) {
		ok = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_elem(fd, &zero, val)) {
		ok = -errno;
		goto out;
	}
	ok = !memcmp(val, want, want_size);
	*saw_rodata = true;
out:
	free(val);
	close(fd);
	return ok;
}

int dp_prog_reuse(uint32_t id, const struct bpf_program *prog, const struct bpf_map *rodata,
		  const struct dp_pinned *pins)
{
	uint32_t map_ids[MAX_PROG_MAPS];
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	bool saw_rodata = false;
	size_t want_size = 0;
	const void *want = bpf_map__initial_value((struct bpf_map *)rodata, &want_size);
	int fd;

	if (!id || !want || !pins->n)
		return -1;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -1;
	info.nr_map_ids = MAX_PROG_MAPS;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.nr_map_ids > MAX_PROG_MAPS ||
	    info.type != bpf_program__type(prog) ||
	    strncmp(info.name, bpf_program__name(prog), sizeof(info.name) - 1))
		goto no;
	for (__u32 i = 0; i < info.nr_map_ids; i++)
		if (map_ok(map_ids[i], want, want_size, pins, &saw_rodata) != 1)
			goto no;
	/* Without its .rodata nothing says which build or constants it has. */
	if (saw_rodata)
		return fd;
no:
	close(fd);
	return -1;
}
