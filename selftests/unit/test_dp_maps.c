// SPDX-License-Identifier: GPL-2.0-only
/* dp_peer_index: the site -> mg_peer_info slot table, against private pinned
 * maps. Answers are compared with a front-to-back scan (what dp_peer_index did
 * before), the map is changed while it is open, and the syscalls are counted:
 * bpf_map_lookup_elem and bpf_map_lookup_batch are interposed (this program's
 * definitions win over libbpf's), which also lets a test refuse batch lookups as
 * an old kernel would. Needs root (BPF). */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tap.h"
#include "dataplane/dataplane.h"
#include "dataplane/dp_maps.h"

#define N_SITES 1000

static long lookups, batches;	/* calls made */
static int batch_refuse;	/* 0, or the -errno every batch lookup fails with */

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	static int (*real)(int, const void *, void *);

	lookups++;
	if (!real)
		real = dlsym(RTLD_NEXT, "bpf_map_lookup_elem");
	return real ? real(fd, key, value) : (errno = ENOSYS, -1);
}

int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values,
			 __u32 *count, const struct bpf_map_batch_opts *opts)
{
	static int (*real)(int, void *, void *, void *, void *, __u32 *,
			   const struct bpf_map_batch_opts *);

	batches++;
	if (batch_refuse)
		return batch_refuse;
	if (!real)
		real = dlsym(RTLD_NEXT, "bpf_map_lookup_batch");
	return real ? real(fd, in_batch, out_batch, keys, values, count, opts) : -ENOSYS;
}

static int info_fd;
static __u32 slot_of[N_SITES];
static bool used[MG_MAX_PEERS];

static int set_slot(__u32 i, const char *name)
{
	struct mg_peer_info pi = { 0 };

	snprintf(pi.name, sizeof(pi.name), "%s", name);
	used[i] = name[0];
	return bpf_map_update_elem(info_fd, &i, &pi, BPF_ANY);
}

static __u32 free_slot(void)
{
	__u32 i = MG_MAX_PEERS - 1;

	while (used[i])
		i--;
	return i;
}

/* The answer of a scan from slot 0, as dp_peer_index gave it before the table. */
static int scan(const char *site)
{
	struct mg_peer_info pi;

	for (__u32 i = 0; i < MG_MAX_PEERS; i++)
		if (!bpf_map_lookup_elem(info_fd, &i, &pi) && !strncmp(pi.name, site, sizeof(pi.name)))
			return (int)i;
	return -ENOENT;
}

static int make_pin_flags(const char *dir, const char *name, enum bpf_map_type type,
			  __u32 value_size, __u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	char path[256];
	int fd = bpf_map_create(type, name, sizeof(__u32), value_size, MG_MAX_PEERS, &o);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (fd < 0 || bpf_obj_pin(fd, path))
		return -1;
	return fd;
}

static int make_pin(const char *dir, const char *name, enum bpf_map_type type, __u32 value_size)
{
	return make_pin_flags(dir, name, type, value_size, 0);
}

/* Every site at its slot; how many dp_peer_index got right. */
static int all_right(struct dp_maps *m)
{
	char site[32];
	int right = 0;

	for (unsigned int s = 0; s < N_SITES; s++) {
		snprintf(site, sizeof(site), "s%u", s);
		right += dp_peer_index(m, site) == (int)slot_of[s];
	}
	return right;
}

/* mapped: mg_peer_info is BPF_F_MMAPABLE, as this build's data plane makes it,
 * and is read in place; else as an older meshgw pinned it, by batch lookups. */
static void test_table(const char *pin, bool mapped)
{
	char site[32], long_name[32];
	struct dp_maps m;
	__u32 moved, late;
	long scanned = 0;
	int same = 0;

	ok(!dp_maps_open(&m, pin), "maps open");
	lookups = batches = 0;
	is_int(all_right(&m), N_SITES, "1000 sites: every slot right");
	tap_diag("%ld lookups, %ld batch lookups for 1000 sites", lookups, batches);
	for (unsigned int s = 0; s < N_SITES; s++)
		scanned += slot_of[s] + 1;
	ok(batches <= 16 && lookups <= N_SITES, "one read of the map, then a lookup per site "
	   "(a scan per site: %ld lookups)", scanned);
	if (mapped)
		is_int(batches, 0, "  mapped: read in place, no batch lookup");
	for (unsigned int s = 0; s < N_SITES; s += 97) {
		snprintf(site, sizeof(site), "s%u", s);
		same += dp_peer_index(&m, site) == scan(site);
	}
	is_int(same, (N_SITES + 96) / 97, "the same answers as a scan");
	memset(long_name, 'x', 31);
	long_name[31] = 0;
	is_int(dp_peer_index(&m, long_name), MG_MAX_PEERS - 1, "a 31-character name, last slot");
	is_int(dp_peer_index(&m, "nosuch"), -ENOENT, "unknown site: ENOENT");
	is_int(dp_peer_index(&m, "s1"), (int)slot_of[1], "a hit after a miss");
	is_int(dp_peer_index(&m, "dup"), scan("dup"), "a name in two slots: the lower, as a scan");

	/* Changed while open (`meshgw up` in another process). */
	moved = free_slot();
	set_slot(slot_of[5], "");
	set_slot(moved, "s5");
	slot_of[5] = moved;
	is_int(dp_peer_index(&m, "s5"), (int)moved, "a site moved while open: its new slot");
	late = free_slot();
	set_slot(late, "late");
	is_int(dp_peer_index(&m, "late"), (int)late, "a site added while open: found");
	set_slot(late, "");	/* gone again: the next run of this adds it afresh */
	set_slot(slot_of[7], "");
	is_int(dp_peer_index(&m, "s7"), -ENOENT, "a site removed while open: ENOENT");
	set_slot(slot_of[7], "s7");
	is_int(dp_peer_index(&m, "s7"), (int)slot_of[7], "and back");
	dp_maps_close(&m);

	/* A kernel without batch lookups of arrays: one pass of lookups instead. */
	batch_refuse = -EINVAL;
	ok(!dp_maps_open(&m, pin), "maps open again");
	lookups = batches = 0;
	is_int(all_right(&m), N_SITES, "no batch lookups: every slot right");
	tap_diag("%ld lookups, %ld batch lookups for 1000 sites", lookups, batches);
	ok(lookups <= MG_MAX_PEERS + N_SITES, "one pass of the map, then a lookup per site");
	batch_refuse = 0;
	dp_maps_close(&m);
}

/* Bump one per-CPU counter of mg_stats on CPU 0, as a program's stat_add would. */
static int bump(int fd, enum mg_stat s, int ncpus)
{
	struct mg_counter v[ncpus];
	__u32 k = s;

	if (bpf_map_lookup_elem(fd, &k, v))
		return -1;
	v[0].packets++;
	return bpf_map_update_elem(fd, &k, v, BPF_ANY);
}

/* dp_probes_recorded: news when a reply is counted by XDP or by TC (on a veth,
 * a bridge or a layer-3 uplink only TC records replies). */
static void test_probes_recorded(const char *pin)
{
	int fd = make_pin(pin, MG_MAP_NAME(stats), BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(struct mg_counter));
	int ncpus = libbpf_num_possible_cpus();
	struct dp_maps m = DP_MAPS_NONE;
	char path[256];

	if (!ok(fd >= 0 && !dp_maps_open(&m, pin), "mg_stats pinned, maps open"))
		return;
	dp_probes_recorded(&m);
	dp_probes_recorded(&m);
	ok(!dp_probes_recorded(&m), "no reply counted: nothing new");
	ok(!bump(fd, MG_STAT_TC_PROBE_REPLY, ncpus) && dp_probes_recorded(&m),
	   "a reply recorded by TC is news");
	ok(dp_probes_recorded(&m) && !dp_probes_recorded(&m), "news for one more call, then not");
	ok(!bump(fd, MG_STAT_XDP_PROBE_REPLY, ncpus) && dp_probes_recorded(&m),
	   "a reply recorded by XDP is news");
	/* dp_traffic_moved: the same gate over the counts that follow every
	 * per-peer rx/tx and per-endpoint increment (issue 17) */
	ok(dp_traffic_moved(&m), "traffic: the first call cannot tell");
	dp_traffic_moved(&m);
	ok(!dp_traffic_moved(&m), "  nothing counted since: no counter moved");
	ok(!bump(fd, MG_STAT_XDP_PROBE_REPLY, ncpus) && !dp_traffic_moved(&m),
	   "  a probe reply is not traffic");
	{
		static const enum mg_stat each[] = { MG_STAT_TC_WG_TX, MG_STAT_TC_WG_RX,
						     MG_STAT_XDP_WG, MG_STAT_TC_WG };
		int moved = 0;

		for (size_t i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
			moved += !bump(fd, each[i], ncpus) && dp_traffic_moved(&m) &&
				 dp_traffic_moved(&m) && !dp_traffic_moved(&m);
		}
		is_int(moved, 4, "  tx, rx, WireGuard packets by XDP and by TC: each one a move, "
		       "for one more call");
	}
	dp_maps_close(&m);
	close(fd);
	snprintf(path, sizeof(path), "%s/%s", pin, MG_MAP_NAME(stats));
	unlink(path);
}

int main(void)
{
	char pin[128], path[256];
	int stats_fd;

	if (geteuid())
		tap_skip_all("needs root for BPF maps");
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/meshgw-test-dp-%d", getpid());
	/* The product's own mkdir, which mounts bpffs first when nothing has (a fresh boot). */
	if (!ok(!dataplane_pin_dir_make(pin), "pin directory %s", pin))
		return tap_done();
	info_fd = make_pin(pin, MG_MAP_NAME(peer_info), BPF_MAP_TYPE_ARRAY, sizeof(struct mg_peer_info));
	stats_fd = make_pin(pin, MG_MAP_NAME(peer_stats), BPF_MAP_TYPE_PERCPU_ARRAY,
			    sizeof(struct mg_peer_stats));
	if (ok(info_fd >= 0 && stats_fd >= 0, "mg_peer_info and mg_peer_stats pinned")) {
		char site[32];
		int err = 0;

		/* Scattered over the array, with free slots between them. */
		for (unsigned int s = 0; s < N_SITES; s++) {
			snprintf(site, sizeof(site), "s%u", s);
			slot_of[s] = (s * 7919u) % (MG_MAX_PEERS - 1);
			err |= set_slot(slot_of[s], site);
		}
		memset(site, 'x', 31);
		site[31] = 0;
		err |= set_slot(MG_MAX_PEERS - 1, site);
		err |= set_slot(free_slot(), "dup") | set_slot(free_slot(), "dup");
		if (ok(!err, "1000 sites written"))
			test_table(pin, false);
		test_probes_recorded(pin);
	}
	/* The same slots in a mappable mg_peer_info, as this build pins it. */
	if (info_fd >= 0) {
		int old = info_fd, copied = 0;

		snprintf(path, sizeof(path), "%s/%s", pin, MG_MAP_NAME(peer_info));
		unlink(path);
		info_fd = make_pin_flags(pin, MG_MAP_NAME(peer_info), BPF_MAP_TYPE_ARRAY,
					 sizeof(struct mg_peer_info), BPF_F_MMAPABLE);
		for (__u32 i = 0; info_fd >= 0 && i < MG_MAX_PEERS; i++) {
			struct mg_peer_info pi;

			copied += !bpf_map_lookup_elem(old, &i, &pi) &&
				  !bpf_map_update_elem(info_fd, &i, &pi, BPF_ANY);
		}
		close(old);
		if (ok(copied == MG_MAX_PEERS, "the slots copied into a mappable mg_peer_info"))
			test_table(pin, true);
	}
	snprintf(path, sizeof(path), "%s/%s", pin, MG_MAP_NAME(peer_info));
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", pin, MG_MAP_NAME(peer_stats));
	unlink(path);
	ok(!rmdir(pin), "pins removed");
	return tap_done();
}
