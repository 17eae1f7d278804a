// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane/dataplane.h"
#include "dataplane/dp_maps.h"
#include "dataplane/dp_probe_ring.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* the kernel's "no such operation for this map type" */
#endif

/* One watched endpoint: slots of an open-addressing table hashed by address
 * (not port: mg_ep_stats counts per address). */
struct dp_ep_slot {
	struct mg_ep_key key;
	__u32 id;
	__u8 used;
};

struct dp_reader {
	void *keys, *values;		/* what one batch lookup returns */
	size_t keys_size, values_size;	/* bytes allocated */
	struct mg_peer_stats *sums;	/* dp_peer_stats_range's result */
	__u32 sums_n;
	struct dp_ep_slot *slot;
	size_t mask;			/* slots - 1; slot == NULL: nothing watched */
	struct dp_peer_slot *peers;	/* sorted by name, then index */
	__u32 n_peers;
	bool peers_read;		/* peers holds mg_peer_info as last read */
};

static void reader_free(struct dp_reader *r)
{
	if (!r)
		return;
	free(r->keys);
	free(r->values);
	free(r->sums);
	free(r->slot);
	free(r->peers);
	free(r);
}

static struct dp_reader *reader(struct dp_maps *m)
{
	if (!m->rd)
		m->rd = calloc(1, sizeof(*m->rd));
	return m->rd;
}

/* *buf holds at least `need` bytes, its contents kept. */
static int reserve(void **buf, size_t *size, size_t need)
{
	void *p;

	if (*size >= need)
		return 0;
	p = realloc(*buf, need);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*size = need;
	return 0;
}

/* The whole map (its first `limit` entries) into r->keys / r->values, by
 * bpf_map_lookup_batch resumed until the map is exhausted (-ENOENT). Each call
 * may return as many entries as were read so far, so the buffers double (and
 * stay: the next dump takes one call); a hash bucket that does not fit at all
 * (-ENOSPC) doubles them too. A value is value_size bytes per entry (all CPUs'
 * for a per-CPU map). The number of entries read, or -errno. */
static long dump(struct dp_reader *r, int fd, size_t key_size, size_t value_size, __u32 limit)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t held = r->keys_size / key_size;
	__u32 token, n = 0, room = 256;
	void *in = NULL;
	int ret;

	/* As many as the buffers hold already: one call once they fit the map. */
	if (held > room)
		room = held < UINT32_MAX ? (__u32)held : UINT32_MAX;
	while (n < limit) {
		__u32 count = room < limit - n ? room : limit - n;

		if (reserve(&r->keys, &r->keys_size, ((size_t)n + count) * key_size) ||
		    reserve(&r->values, &r->values_size, ((size_t)n + count) * value_size))
			return -ENOMEM;
		ret = bpf_map_lookup_batch(fd, in, &token, (char *)r->keys + (size_t)n * key_size,
					   (char *)r->values + (size_t)n * value_size, &count, &opts);
		n += count;
		if (ret == -ENOENT)
			break;
		if (ret == -ENOSPC && !count && room < limit - n) {
			room *= 2;
			continue;
		}
		if (ret)
			return ret;
		in = &token;
		room = n;
	}
	return n;
}

static int open_pin(const char *dir, const char *name)
{
	char path[PATH_MAX + 32];	/* PinPath + "/" + a map name */

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_get(path);
}

const struct dp_stat_desc dp_stat_desc[MG_STAT__MAX] = {
#define DP_STAT_DESC(e, prog, verdict, help) \
	[MG_STAT_##e] = { #prog "_" #verdict, #prog, #verdict, help },
	MG_STATS(DP_STAT_DESC)
#undef DP_STAT_DESC
};

int dp_maps_open(struct dp_maps *m, const char *raw_pin_path)
{
	char pin_path[PATH_MAX];

	/* Where dataplane_up pinned them (the host's bpffs under ip netns exec). */
	if (dataplane_pin_resolve(raw_pin_path, pin_path, sizeof(pin_path)))
		snprintf(pin_path, sizeof(pin_path), "%s", raw_pin_path);
#define DP_OPEN(name) m->fd.name = open_pin(pin_path, MG_MAP_NAME(name));
	MG_DP_MAPS(DP_OPEN)
#undef DP_OPEN
	m->ncpus = libbpf_num_possible_cpus();
	m->rd = NULL;
	m->probe_rb = NULL;
	m->probe_sink = NULL;
	m->replies = m->traffic = m->unqueued = (struct dp_stats_watch){ 0 };
	if (m->fd.peer_stats < 0 || m->fd.peer_info < 0 || m->ncpus <= 0) {
		dp_maps_close(m);
		return -ENOENT;
	}
	return 0;
}

void dp_maps_close(struct dp_maps *m)
{
#define DP_CLOSE(name) \
	if (m->fd.name >= 0) \
		close(m->fd.name); \
	m->fd.name = -1;
	MG_DP_MAPS(DP_CLOSE)
#undef DP_CLOSE
	reader_free(m->rd);
	m->rd = NULL;
	dp_probe_ring_close(m);
	m->replies = m->traffic = (struct dp_stats_watch){ 0 };
}

static int peer_slot_cmp(const void *a, const void *b)
{
	const struct dp_peer_slot *x = a, *y = b;
	int c = strncmp(x->name, y->name, sizeof(x->name));

	return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* The used slots of mg_peer_info, read in place from the mapped array: 16,384
 * slots scanned in memory, where a batch lookup copied every one (with its key)
 * through the kernel, ~13 % of a no-op `up` at 1,000 sites. -EOPNOTSUPP when the
 * map cannot be mapped (pinned by an older meshgw, without BPF_F_MMAPABLE). */
static long peer_slots_mapped(int fd, struct dp_peer_slot **out)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	const size_t size = MG_MAX_PEERS * sizeof(struct mg_peer_info);
	const struct mg_peer_info *v;
	long n = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (!(info.map_flags & BPF_F_MMAPABLE) || info.max_entries != MG_MAX_PEERS ||
	    info.value_size != sizeof(*v))
		return -EOPNOTSUPP;
	v = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (v == MAP_FAILED)
		return -errno;
	for (__u32 i = 0; i < MG_MAX_PEERS; i++)
		n += !!v[i].name[0];
	*out = malloc((n ? n : 1) * sizeof(**out));
	n = 0;
	for (__u32 i = 0; *out && i < MG_MAX_PEERS; i++)
		if (v[i].name[0]) {
			memcpy((*out)[n].name, v[i].name, sizeof((*out)[n].name));
			(*out)[n++].index = i;
		}
	munmap((void *)v, size);
	return *out ? n : -ENOMEM;
}

/* Every slot of mg_peer_info into r->keys / r->values: a batch lookup, or one
 * lookup per slot on a kernel without batch lookups of arrays (before 5.6). */
static long peer_info_dump(int fd, struct dp_reader *r)
{
	long n = dump(r, fd, sizeof(__u32), sizeof(struct mg_peer_info), MG_MAX_PEERS);

	if (n >= 0 || (n != -EINVAL && n != -ENOTSUPP && n != -EOPNOTSUPP))
		return n;
	if (reserve(&r->keys, &r->keys_size, MG_MAX_PEERS * sizeof(__u32)) ||
	    reserve(&r->values, &r->values_size, MG_MAX_PEERS * sizeof(struct mg_peer_info)))
		return -ENOMEM;
	for (__u32 i = 0; i < MG_MAX_PEERS; i++) {
		((__u32 *)r->keys)[i] = i;
		if (bpf_map_lookup_elem(fd, &i, (struct mg_peer_info *)r->values + i))
			return -errno;
	}
	return MG_MAX_PEERS;
}

/* The used slots of mg_peer_info in slot order, mapped or else dumped (r: the
 * dump's buffers). */
static long peer_slots_read(int fd, struct dp_reader *r, struct dp_peer_slot **out)
{
	const struct mg_peer_info *info;
	const __u32 *keys;
	long n = peer_slots_mapped(fd, out), used = 0;

	if (n >= 0 || n == -ENOMEM)
		return n;
	n = peer_info_dump(fd, r);
	if (n < 0)
		return n;
	keys = r->keys;
	info = r->values;
	for (long i = 0; i < n; i++)
		used += !!info[i].name[0];
	*out = malloc((used ? used : 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	used = 0;
	for (long i = 0; i < n; i++) {
		if (!info[i].name[0] || keys[i] >= MG_MAX_PEERS)
			continue;
		memcpy((*out)[used].name, info[i].name, sizeof((*out)[used].name));
		(*out)[used++].index = keys[i];
	}
	return used;
}

long dp_peer_slots(int fd, struct dp_peer_slot **out)
{
	struct dp_reader r = { 0 };
	long n = peer_slots_read(fd, &r, out);

	free(r.keys);
	free(r.values);
	return n;
}

/* (Re)reads the used slots of mg_peer_info into r->peers, sorted. 0 or -errno. */
static int peer_table_read(struct dp_maps *m, struct dp_reader *r)
{
	struct dp_peer_slot *slots = NULL;
	long n = peer_slots_read(m->fd.peer_info, r, &slots);

	r->peers_read = false;
	r->n_peers = 0;
	if (n < 0)
		return (int)n;
	free(r->peers);
	r->peers = slots;
	r->n_peers = (__u32)n;
	qsort(r->peers, r->n_peers, sizeof(*r->peers), peer_slot_cmp);
	r->peers_read = true;
	return 0;
}

/* The lowest slot named `name` (as the old front-to-back scan found), or -ENOENT. */
static int peer_table_find(const struct dp_reader *r, const char *name)
{
	__u32 lo = 0, hi = r->n_peers;

	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;

		if (strncmp(r->peers[mid].name, name, MG_PEER_NAME_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->n_peers && !strncmp(r->peers[lo].name, name, MG_PEER_NAME_LEN))
		return (int)r->peers[lo].index;
	return -ENOENT;
}

/* Does slot idx of mg_peer_info hold this name now? 1, 0, or -errno. */
static int peer_slot_holds(const struct dp_maps *m, __u32 idx, const char *name)
{
	struct mg_peer_info info;

	if (bpf_map_lookup_elem(m->fd.peer_info, &idx, &info))
		return -errno;
	return !strncmp(info.name, name, sizeof(info.name));
}

/* mg_peer_info is read once per dp_maps_open (at the first call), not scanned for
 * every site: the daemon's start with 1,000 peers made 500,000 lookups. The map
 * may change while it is open (a `meshgw up` elsewhere): a hit costs one lookup
 * to check the slot still holds the site, and a miss or a moved site reads the
 * map again, so an answer is never staler than a scan's. */
int dp_peer_index(struct dp_maps *m, const char *raw_site)
{
	struct dp_reader *r = reader(m);
	char site[MG_PEER_NAME_LEN] = { 0 };
	bool fresh = false;
	int idx, held;

	if (!r)
		return -ENOMEM;
	/* Compared as the map holds names: at most MG_PEER_NAME_LEN bytes. */
	memcpy(site, raw_site, strnlen(raw_site, sizeof(site)));
	if (!r->peers_read) {
		int err = peer_table_read(m, r);

		if (err)
			return err;
		fresh = true;
	}
	idx = peer_table_find(r, site);
	if (fresh)
		return idx;
	if (idx >= 0) {
		held = peer_slot_holds(m, (__u32)idx, site);
		if (held)
			return held < 0 ? held : idx;
	}
	held = peer_table_read(m, r);
	return held ? held : peer_table_find(r, site);
}

/* One peer's per-CPU values v[0..ncpus) summed into out. */
static void peer_stats_sum(struct mg_peer_stats *out, const struct mg_peer_stats *v, int ncpus)
{
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < ncpus; c++) {
#define SUM(field, metric, help) out->field += v[c].field;
		MG_PEER_COUNTERS(SUM)
#undef SUM
		for (int d = 0; d < MG_DROP__MAX; d++)
			out->drops[d] += v[c].drops[d];
	}
}

int dp_peer_stats(const struct dp_maps *m, __u32 peer, struct mg_peer_stats *out)
{
	struct mg_peer_stats *v = calloc(m->ncpus, sizeof(*v));
	int ret = 0;

	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(m->fd.peer_stats, &peer, v))
		ret = -errno;
	else
		peer_stats_sum(out, v, m->ncpus);
	free(v);
	return ret;
}

int dp_stat(const struct dp_maps *m, enum mg_stat s, struct mg_counter *out)
{
	struct mg_counter *v = calloc(m->ncpus, sizeof(*v));
	__u32 key = s;
	int ret = 0;

	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (m->fd.stats < 0 || bpf_map_lookup_elem(m->fd.stats, &key, v))
		ret = m->fd.stats < 0 ? -ENOENT : -errno;
	for (int c = 0; !ret && c < m->ncpus; c++) {
		out->packets += v[c].packets;
		out->bytes += v[c].bytes;
	}
	free(v);
	return ret;
}

void dp_ep_key(struct mg_ep_key *k, const struct sockaddr_storage *sa)
{
	memset(k, 0, sizeof(*k));
	k->family = (__u8)sa->ss_family;
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;

		k->addr[10] = k->addr[11] = 0xff;
		memcpy(&k->addr[12], &s->sin_addr, 4);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;

		memcpy(k->addr, &s->sin6_addr, 16);
	}
}

__u16 dp_sa_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

int dp_ep_stats(const struct dp_maps *m, const struct sockaddr_storage *sa, struct mg_ep_stats *out)
{
	struct mg_ep_key k;

	dp_ep_key(&k, sa);
	if (m->fd.ep_stats < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(m->fd.ep_stats, &k, out) ? -errno : 0;
}

int dp_probe_stats(const struct dp_maps *m, const struct sockaddr_storage *sa,
		   struct mg_probe_stats *out)
{
	struct mg_probe_key k;
	struct mg_ep_key ek;

	dp_ep_key(&ek, sa);
	memset(&k, 0, sizeof(k));
	memcpy(k.addr, ek.addr, sizeof(k.addr));
	k.family = ek.family;
	k.port = dp_sa_port(sa);
	if (m->fd.probes < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(m->fd.probes, &k, out) ? -errno : 0;
}

int dp_known_ep_add(const struct dp_maps *m, const struct sockaddr_storage *sa, __u32 peer)
{
	struct mg_ep_key k;

	dp_ep_key(&k, sa);
	if (m->fd.known_eps < 0)
		return -ENOENT;
	return bpf_map_update_elem(m->fd.known_eps, &k, &peer, BPF_ANY) ? -errno : 0;
}

int dp_peer_stats_range(struct dp_maps *m, __u32 n, const struct mg_peer_stats **out)
{
	struct dp_reader *r = reader(m);
	size_t vsize = sizeof(struct mg_peer_stats) * (size_t)m->ncpus;	/* 8-byte multiple */
	const struct mg_peer_stats *v;
	long got;

	if (!r)
		return -ENOMEM;
	if (r->sums_n < n) {
		struct mg_peer_stats *p = realloc(r->sums, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->sums = p;
		r->sums_n = n;
	}
	got = n ? dump(r, m->fd.peer_stats, sizeof(__u32), vsize, n) : 0;
	if (got < 0)
		return (int)got;
	if (got != n)
		return -ERANGE;	/* the array is smaller than the peers asked for */
	v = r->values;
	for (__u32 i = 0; i < n; i++, v += m->ncpus)
		peer_stats_sum(&r->sums[i], v, m->ncpus);
	*out = r->sums;
	return 0;
}

/* FNV-1a over address and family. */
static size_t ep_hash(const struct mg_ep_key *k)
{
	const __u8 *b = (const __u8 *)k;
	__u32 h = 2166136261u;

	for (size_t i = 0; i < sizeof(k->addr) + sizeof(k->family); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

int dp_watch_reset(struct dp_maps *m, size_t n)
{
	struct dp_reader *r = reader(m);
	size_t slots = 16;

	if (!r)
		return -ENOMEM;
	while (slots < 2 * n)	/* at most half full: probe chains stay short */
		slots *= 2;
	free(r->slot);
	r->slot = calloc(slots, sizeof(*r->slot));
	r->mask = r->slot ? slots - 1 : 0;
	return r->slot ? 0 : -ENOMEM;
}

void dp_watch_add(struct dp_maps *m, const struct sockaddr_storage *sa, __u32 id)
{
	struct dp_reader *r = m->rd;
	struct mg_ep_key k;
	size_t i, tries;

	if (!r || !r->slot || (sa->ss_family != AF_INET && sa->ss_family != AF_INET6))
		return;
	dp_ep_key(&k, sa);
	i = ep_hash(&k) & r->mask;
	for (tries = 0; r->slot[i].used && tries <= r->mask; tries++)
		i = (i + 1) & r->mask;
	if (r->slot[i].used)
		return;		/* more than dp_watch_reset made room for */
	r->slot[i].key = k;
	r->slot[i].id = id;
	r->slot[i].used = 1;
}

void dp_watch_find(const struct dp_maps *m, const struct mg_ep_key *k,
		   void (*fn)(__u32 id, void *ctx), void *ctx)
{
	const struct dp_ep_slot *slot = m->rd ? m->rd->slot : NULL;

	if (!slot)
		return;
	/* as in dp_ep_stats_each: the chain ends at the first free slot */
	for (size_t i = ep_hash(k) & m->rd->mask; slot[i].used; i = (i + 1) & m->rd->mask)
		if (!memcmp(&slot[i].key, k, sizeof(*k)))
			fn(slot[i].id, ctx);
}

int dp_ep_stats_each(struct dp_maps *m,
		     void (*fn)(__u32 id, const struct mg_ep_stats *es, void *ctx), void *ctx)
{
	struct dp_reader *r = reader(m);
	const struct mg_ep_key *keys;
	const struct mg_ep_stats *vals;
	long n;

	if (!r)
		return -ENOMEM;
	if (!r->slot)
		return -EINVAL;
	if (m->fd.ep_stats < 0)
		return 0;	/* nothing counted: as when every lookup fails */
	n = dump(r, m->fd.ep_stats, sizeof(*keys), sizeof(*vals), UINT32_MAX);
	if (n < 0)
		return (int)n;
	keys = r->keys;
	vals = r->values;
	for (long e = 0; e < n; e++) {
		/* Every slot of this address: the chain ends at the first free slot,
		 * and the table is never full. */
		for (size_t i = ep_hash(&keys[e]) & r->mask; r->slot[i].used; i = (i + 1) & r->mask)
			if (!memcmp(&r->slot[i].key, &keys[e], sizeof(keys[e])))
				fn(r->slot[i].id, &vals[e], ctx);
	}
	return 0;
}

int dp_stats_moved(struct dp_maps *m, struct dp_stats_watch *w, const enum mg_stat *which, size_t n)
{
	__u64 sum = 0;
	bool moved, open;

	for (size_t i = 0; i < n; i++) {
		struct mg_counter c;
		int ret = dp_stat(m, which[i], &c);

		if (ret) {
			w->state = 0;
			return ret;
		}
		sum += c.packets;
	}
	moved = w->state == 0 || sum != w->seen;
	open = moved || w->state == 2;
	w->seen = sum;
	w->state = moved ? 2 : 1;
	return open;
}

bool dp_traffic_moved(struct dp_maps *m)
{
	static const enum mg_stat which[] = { MG_STAT_TC_WG_TX, MG_STAT_TC_WG_RX, MG_STAT_XDP_WG,
					      MG_STAT_TC_WG };

	return dp_stats_moved(m, &m->traffic, which, sizeof(which) / sizeof(which[0])) != 0;
}

bool dp_probes_recorded(struct dp_maps *m)
{
	/* Replies are recorded by XDP where it runs and by TC everywhere else
	 * (a veth, a bridge, a layer-3 uplink): either count moving is news. */
	static const enum mg_stat which[] = { MG_STAT_XDP_PROBE_REPLY, MG_STAT_TC_PROBE_REPLY };

	return dp_stats_moved(m, &m->replies, which, sizeof(which) / sizeof(which[0])) != 0;
}

static int iface_cmp(const void *a, const void *b)
{
	return strncmp(((const struct dp_iface_entry *)a)->v.name,
		       ((const struct dp_iface_entry *)b)->v.name, sizeof(((struct mg_iface *)0)->name));
}

int dp_ifaces(const struct dp_maps *m, struct dp_iface_entry *out, int max)
{
	__u32 key, next, *prev = NULL;
	int n = 0;

	if (m->fd.ifaces < 0)
		return -ENOENT;
	while (n < max && !bpf_map_get_next_key(m->fd.ifaces, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m->fd.ifaces, &key, &out[n].v))
			continue;
		out[n].ifindex = key;
		out[n].v.name[sizeof(out[n].v.name) - 1] = 0;
		n++;
	}
	qsort(out, n, sizeof(*out), iface_cmp);
	return n;
}
