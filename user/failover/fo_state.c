// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane/dataplane.h"
#include "dataplane/dp_maps.h"
#include "failover/fo_state.h"
#include "meshgw_maps.h"
#include "lib/log.h"
#include "mg_failover.skel.h"

_Static_assert(FO_REASON__COUNT <= MG_FAILOVER_REASONS, "reasons fit the map record");
_Static_assert(FO_MAX_ENDPOINTS <= MG_STATE_MAX_ENDPOINTS, "endpoints fit the map record");
/* Fewer records than the data plane has peer slots, on purpose: mg_failover is a
 * preallocated hash of 576-byte entries (about 2.4 MB at 4,096, 9.4 MB at 16,384), and
 * its size is fixed in the pin a running gateway adopts (changing it makes the
 * next start refuse the old pin until `meshgw down`). Beyond it the daemon still
 * fails over every peer; the records it cannot publish are skipped
 * (fo_state_batch_flush), so show and metrics lack those peers' failover state. */
_Static_assert(MG_STATE_MAX_PEERS <= MG_MAX_PEERS, "a record per data-plane peer at most");
_Static_assert(MG_STATE_MAX_PEERS * MG_MAX_SITE_ENDPOINTS <= MG_MAX_ENDPOINTS,
	       "mg_probes and mg_ep_stats hold every endpoint the daemon probes");
_Static_assert(MG_SITE_NAME_LEN == MG_PEER_NAME_LEN, "one site name length in both maps");

/* The same directory dataplane_up pins under (the host's bpffs under
 * `ip netns exec`), so show, metrics and bpftool find both side by side. */
static int resolve(const char *pin_path, char *buf, size_t len)
{
	if (dataplane_pin_resolve(pin_path, buf, len))
		return -ENAMETOOLONG;
	return 0;
}

int fo_state_create(const char *pin_path)
{
	char dir[PATH_MAX];
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = dir);
	struct mg_failover_bpf *skel;
	int fd, err;

	err = resolve(pin_path, dir, sizeof(dir));
	if (!err)
		err = dataplane_pin_dir_make(dir);
	if (err)
		return err;
	skel = mg_failover_bpf__open_opts(&opts);
	if (!skel)
		return -errno;
	err = mg_failover_bpf__load(skel);	/* pins, or reuses the existing pin */
	if (err) {
		pr_err("cannot create the failover state map in %s: %s", dir, strerror(-err));
		mg_failover_bpf__destroy(skel);
		return err;
	}
	fd = dup(bpf_map__fd(skel->maps.mg_failover));
	mg_failover_bpf__destroy(skel);	/* the pin keeps the map */
	return fd < 0 ? -errno : fd;
}

int fo_state_open(const char *pin_path)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int fd;

	if (resolve(pin_path, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), "%s/%s", dir, MG_MAP_NAME(failover));
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static void key_of(struct mg_site_key *k, const char *site)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", site);
}

/* The record show and metrics read for one peer. */
static void record_of(struct mg_site_key *k, struct mg_peer_state *v, const char *site,
		      const struct fo_peer *p, const struct sockaddr_storage *addrs, uint64_t now)
{
	memset(v, 0, sizeof(*v));
	key_of(k, site);
	v->active = p->active;
	v->n_endpoints = p->n_ep;
	v->meshgw_peer = p->meshgw_peer;
	v->last_reason = p->last_reason;
	v->last_change_ns = p->last_switch_ns;
	v->updated_ns = now;
	for (unsigned int r = 0; r < FO_REASON__COUNT; r++)
		v->failovers[r] = p->failovers[r];
	for (unsigned int i = 0; i < p->n_ep; i++) {
		const struct fo_endpoint *e = &p->ep[i];
		struct mg_endpoint_state *s = &v->endpoints[i];

		if (addrs[i].ss_family) {
			struct mg_ep_key ek;

			dp_ep_key(&ek, &addrs[i]);
			memcpy(s->addr, ek.addr, sizeof(s->addr));
			s->port = dp_sa_port(&addrs[i]);
		}
		s->health = e->state == FO_EP_UP ? MG_EP_UP :
			    e->state == FO_EP_DOWN ? MG_EP_DOWN : MG_EP_UNKNOWN;
		s->loss_permille = fo_loss_permille(e);
		s->rtt_ns = e->rtt_ns;
		s->probes_sent = e->probes_sent;
		s->probe_replies = e->replies;
		s->last_reply_ns = e->last_reply_ns;
	}
}

int fo_state_write(int fd, const char *site, const struct fo_peer *p,
		   const struct sockaddr_storage *addrs, uint64_t now)
{
	struct mg_peer_state v;
	struct mg_site_key k;

	record_of(&k, &v, site, p, addrs, now);
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY) ? -errno : 0;
}

/* Room for one more record in both arrays (kept the same length). 0 or -ENOMEM. */
static int batch_grow(struct fo_state_batch *b)
{
	size_t room = b->room ? 2 * b->room : 64;
	struct mg_site_key *k;
	struct mg_peer_state *v;

	if (b->n < b->room)
		return 0;
	k = reallocarray(b->keys, room, sizeof(*k));
	if (!k)
		return -ENOMEM;
	b->keys = k;
	v = reallocarray(b->values, room, sizeof(*v));
	if (!v)
		return -ENOMEM;
	b->values = v;
	b->room = room;
	return 0;
}

int fo_state_batch_add(struct fo_state_batch *b, const char *site, const struct fo_peer *p,
		       const struct sockaddr_storage *addrs, uint64_t now)
{
	int err = batch_grow(b);

	if (err)
		return err;
	record_of(&b->keys[b->n], &b->values[b->n], site, p, addrs, now);
	b->n++;
	return 0;
}

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* the kernel's "no such operation for this map type" */
#endif

/* What a kernel without BPF_MAP_UPDATE_BATCH (before 5.6), or a map type without
 * it, answers. Then the count it returns means nothing. */
static bool batch_unsupported(int err)
{
	return err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP;
}

/* Records [from, b->n) one update each. The first -errno, or 0. */
static int flush_each(struct fo_state_batch *b, int fd, size_t from)
{
	int ret = 0;

	for (size_t i = from; i < b->n; i++)
		if (bpf_map_update_elem(fd, &b->keys[i], &b->values[i], BPF_ANY) && !ret)
			ret = -errno;
	return ret;
}

int fo_state_batch_flush(struct fo_state_batch *b, int fd)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	size_t i = 0;
	int ret = 0;

	while (i < b->n && !b->per_element) {
		__u32 count = (__u32)(b->n - i < UINT32_MAX ? b->n - i : UINT32_MAX);
		int err = bpf_map_update_batch(fd, &b->keys[i], &b->values[i], &count, &opts);

		if (!err && count) {
			i += count;
			continue;
		}
		/* (Success with nothing written would loop: taken as no support.) */
		if (!err || batch_unsupported(err)) {
			pr_debug("mg_failover: no batch updates on this kernel (%s): one update "
				 "per record", strerror(err ? -err : EINVAL));
			b->per_element = true;
			break;
		}
		/* The kernel stops at the record that failed (a full map takes no new
		 * site): skip it, as a per-record write would, and go on after it. */
		if (!ret)
			ret = err;
		i += (size_t)count + 1;
	}
	if (b->per_element) {
		int err = flush_each(b, fd, i);

		if (!ret)
			ret = err;
	}
	b->n = 0;
	return ret;
}

void fo_state_batch_free(struct fo_state_batch *b)
{
	free(b->keys);
	free(b->values);
	memset(b, 0, sizeof(*b));
}

int fo_state_read(int fd, const char *site, struct mg_peer_state *out)
{
	struct mg_site_key k;

	key_of(&k, site);
	return bpf_map_lookup_elem(fd, &k, out) ? -errno : 0;
}

int fo_state_delete(int fd, const char *site)
{
	struct mg_site_key k;

	key_of(&k, site);
	return bpf_map_delete_elem(fd, &k) && errno != ENOENT ? -errno : 0;
}
