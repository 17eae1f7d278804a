#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fo_state.h"
#include "log.h"
#include "mg_failover.skel.h"

_Static_assert(FO_REASON__COUNT <= MG_FAILOVER_REASONS, "reasons fit the map record");
_Static_assert(FO_MAX_ENDPOINTS <= MG_STATE_MAX_ENDPOINTS, "endpoints fit the map record");

int bpffs_prepare(const char *dir)
{
	char path[PATH_MAX];
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC) {
		/* e.g. inside `ip netns exec`, which remounts /sys */
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			int err = -errno;

			pr_err("cannot mount bpffs on /sys/fs/bpf: %s", strerror(errno));
			return err;
		}
	}
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int fo_state_create(const char *pin_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_path);
	struct mg_failover_bpf *skel;
	int fd, err;

	err = bpffs_prepare(pin_path);
	if (err)
		return err;
	skel = mg_failover_bpf__open_opts(&opts);
	if (!skel)
		return -errno;
	err = mg_failover_bpf__load(skel);	/* pins, or reuses the existing pin */
	if (err) {
		pr_err("cannot create the failover state map in %s: %s", pin_path, strerror(-err));
		mg_failover_bpf__destroy(skel);
		return err;
	}
	fd = dup(bpf_map__fd(skel->maps.mg_failover));
	mg_failover_bpf__destroy(skel);	/* the pin keeps the map */
	return fd < 0 ? -errno : fd;
}

int fo_state_open(const char *pin_path)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/mg_failover", pin_path);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static void key_of(struct mg_site_key *k, const char *site)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", site);
}

int fo_state_write(int fd, const char *site, const struct fo_peer *p,
		   const struct sockaddr_storage *addrs, uint64_t now)
{
	struct mg_peer_state v;
	struct mg_site_key k;

	memset(&v, 0, sizeof(v));
	key_of(&k, site);
	v.active = p->active;
	v.n_endpoints = p->n_ep;
	v.meshgw_peer = p->meshgw_peer;
	v.last_reason = p->last_reason;
	v.last_change_ns = p->last_switch_ns;
	v.updated_ns = now;
	for (unsigned int r = 0; r < FO_REASON__COUNT; r++)
		v.failovers[r] = p->failovers[r];
	for (unsigned int i = 0; i < p->n_ep; i++) {
		const struct fo_endpoint *e = &p->ep[i];
		struct mg_endpoint_state *s = &v.endpoints[i];

		if (addrs[i].ss_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)&addrs[i];

			s->addr[10] = s->addr[11] = 0xff;
			memcpy(&s->addr[12], &sin->sin_addr, 4);
			s->port = ntohs(sin->sin_port);
		} else if (addrs[i].ss_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const void *)&addrs[i];

			memcpy(s->addr, &sin6->sin6_addr, 16);
			s->port = ntohs(sin6->sin6_port);
		}
		s->health = e->state == FO_EP_UP ? MG_EP_UP :
			    e->state == FO_EP_DOWN ? MG_EP_DOWN : MG_EP_UNKNOWN;
		s->loss_permille = fo_loss_permille(e);
		s->rtt_ns = e->rtt_ns;
		s->probes_sent = e->probes_sent;
		s->probe_replies = e->replies;
		s->last_reply_ns = e->last_reply_ns;
	}
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY) ? -errno : 0;
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
