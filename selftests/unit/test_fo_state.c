// SPDX-License-Identifier: GPL-2.0-only
/* The pinned mg_failover map: create, adopt, write, read back, and the same
 * record through bpftool (named fields); unpinned by dataplane_down; batch publishing, with the batch call
 * counted and, to take the fallback path, refused (bpf_map_update_batch is
 * interposed: this program's definition wins over libbpf's). Needs root (BPF). */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "tap.h"
#include "dataplane/dataplane.h"
#include "failover/fo_state.h"

static int batch_calls;		/* bpf_map_update_batch calls made */
static int batch_refuse;	/* 0, or the -errno every batch call fails with */

int bpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count,
			 const struct bpf_map_batch_opts *opts)
{
	static int (*real)(int, const void *, const void *, __u32 *,
			   const struct bpf_map_batch_opts *);

	batch_calls++;
	if (batch_refuse)
		return batch_refuse;	/* as an old kernel: count left as it was */
	if (!real)
		real = dlsym(RTLD_NEXT, "bpf_map_update_batch");
	return real ? real(fd, keys, values, count, opts) : -ENOSYS;
}

/* A peer whose record differs from every other's (i shows in several fields). */
static void peer_of(struct fo_peer *p, struct sockaddr_storage *addrs, unsigned int i)
{
	struct sockaddr_in *a0 = (void *)&addrs[0];
	struct sockaddr_in6 *a1 = (void *)&addrs[1];

	fo_peer_init(p, 2, 1);
	memset(addrs, 0, 2 * sizeof(*addrs));
	p->active = i & 1;
	p->meshgw_peer = i & 2;
	p->last_reason = FO_REASON_PROBE_LOSS;
	p->last_switch_ns = 1000 + i;
	p->failovers[FO_REASON_PROBE_LOSS] = i;
	p->ep[0].state = FO_EP_UP;
	p->ep[0].rtt_ns = 100 + i;
	p->ep[0].probes_sent = 7 * i;
	p->ep[1].state = FO_EP_DOWN;
	a0->sin_family = AF_INET;
	a0->sin_port = htons(55555);
	a0->sin_addr.s_addr = htonl(0xc6120000 + i);	/* 198.18.x.y */
	a1->sin6_family = AF_INET6;
	a1->sin6_port = htons(55556);
	inet_pton(AF_INET6, "2001:db8::1", &a1->sin6_addr);
	a1->sin6_addr.s6_addr[15] = (uint8_t)i;
}

static void site_of(char *buf, size_t len, const char *prefix, unsigned int i)
{
	snprintf(buf, len, "%s%u", prefix, i);
}

/* Sites prefix0..prefix(n-1): how many hold exactly the record peer_of(i)
 * written at `now` (compared byte for byte with fo_state_write's). */
static unsigned int records_equal(int fd, const char *prefix, unsigned int n, uint64_t now)
{
	struct sockaddr_storage addrs[2];
	struct mg_peer_state got, want;
	unsigned int same = 0;
	struct fo_peer p;
	char site[32];

	for (unsigned int i = 0; i < n; i++) {
		site_of(site, sizeof(site), prefix, i);
		peer_of(&p, addrs, i);
		/* The per-record write is the reference: under a name nobody else uses. */
		if (fo_state_write(fd, "reference", &p, addrs, now) ||
		    fo_state_read(fd, "reference", &want) || fo_state_read(fd, site, &got))
			continue;
		same += !memcmp(&got, &want, sizeof(got));
	}
	fo_state_delete(fd, "reference");
	return same;
}

static int batch_add_range(struct fo_state_batch *b, const char *prefix, unsigned int from,
			   unsigned int to, uint64_t now)
{
	struct sockaddr_storage addrs[2];
	struct fo_peer p;
	char site[32];

	for (unsigned int i = from; i < to; i++) {
		site_of(site, sizeof(site), prefix, i);
		peer_of(&p, addrs, i);
		if (fo_state_batch_add(b, site, &p, addrs, now))
			return -1;
	}
	return 0;
}

static void delete_range(int fd, const char *prefix, unsigned int n)
{
	char site[32];

	for (unsigned int i = 0; i < n; i++) {
		site_of(site, sizeof(site), prefix, i);
		fo_state_delete(fd, site);
	}
}

static void test_batch(int fd)
{
	struct fo_state_batch b = { 0 };
	struct mg_peer_state st;
	unsigned int n = 3000;	/* the buffers grow from 64 records several times */
	int err;

	batch_calls = 0;
	ok(!batch_add_range(&b, "b", 0, 3, 200) && !fo_state_batch_flush(&b, fd),
	   "batch of 3 records flushed");
	is_int(batch_calls, 1, "3 records: one batch call");
	is_int(records_equal(fd, "b", 3, 200), 3, "3 records: each equal to fo_state_write's");
	is_int(b.n, 0, "the flush empties the batch");

	batch_calls = 0;
	ok(!batch_add_range(&b, "b", 0, n, 300) && !fo_state_batch_flush(&b, fd),
	   "batch of %u records flushed", n);
	is_int(batch_calls, 1, "3000 records: one batch call");
	is_int(records_equal(fd, "b", n, 300), n, "3000 records: each equal to fo_state_write's");

	/* Existing records are rewritten, not only new ones: updated_ns moves. */
	batch_calls = 0;
	ok(!batch_add_range(&b, "b", 0, n, 400) && !fo_state_batch_flush(&b, fd),
	   "the same 3000 records again");
	is_int(records_equal(fd, "b", n, 400), n, "every record rewritten (updated_ns moved)");
	is_int(batch_calls, 1, "rewriting: one batch call");

	/* A full map refuses new sites: the batch goes on after each refused one.
	 * 3000 + 1096 fill the map (MG_STATE_MAX_PEERS); then 3 new sites sit
	 * between existing ones. */
	ok(!batch_add_range(&b, "c", 0, MG_STATE_MAX_PEERS - n, 500) &&
	   !fo_state_batch_flush(&b, fd), "map filled to its %d records", MG_STATE_MAX_PEERS);
	batch_calls = 0;
	err = batch_add_range(&b, "b", 0, 1000, 600) | batch_add_range(&b, "new", 0, 1, 600) |
	      batch_add_range(&b, "b", 1000, 2000, 600) | batch_add_range(&b, "new", 1, 3, 600) |
	      batch_add_range(&b, "b", 2000, n, 600);
	ok(!err, "records queued around 3 new sites");
	is_int(fo_state_batch_flush(&b, fd), -E2BIG, "full map: the flush reports E2BIG");
	is_int(batch_calls, 4, "one batch call, and one more after each refused record");
	ok(fo_state_read(fd, "new0", &st) == -ENOENT && fo_state_read(fd, "new2", &st) == -ENOENT,
	   "the refused sites are not in the map");
	delete_range(fd, "c", MG_STATE_MAX_PEERS - n);	/* room for the reference record */
	is_int(records_equal(fd, "b", n, 600), n, "every record after a refused one still written");

	/* An old kernel: batch updates refused, records written one by one. */
	delete_range(fd, "b", n);
	batch_calls = 0;
	batch_refuse = -EINVAL;
	ok(!batch_add_range(&b, "b", 0, 100, 700) && !fo_state_batch_flush(&b, fd),
	   "batch refused (EINVAL): flushed anyway");
	is_int(batch_calls, 1, "the batch call was tried");
	ok(b.per_element, "and is not tried again");
	is_int(records_equal(fd, "b", 100, 700), 100, "fallback records equal to fo_state_write's");
	ok(!batch_add_range(&b, "b", 0, 100, 800) && !fo_state_batch_flush(&b, fd) &&
	   batch_calls == 1, "next flush: per record, no batch call");
	is_int(records_equal(fd, "b", 100, 800), 100, "and every record rewritten");
	fo_state_batch_free(&b);

	batch_calls = 0;
	batch_refuse = -524;	/* ENOTSUPP: a map type without batch ops */
	ok(!batch_add_range(&b, "b", 0, 10, 900) && !fo_state_batch_flush(&b, fd) &&
	   b.per_element, "batch refused (ENOTSUPP): one update per record");
	is_int(records_equal(fd, "b", 10, 900), 10, "those records written");
	batch_refuse = 0;
	fo_state_batch_free(&b);
	delete_range(fd, "b", n);
}

int main(void)
{
	char pin[128], cmd[256], line[512];
	struct sockaddr_storage addrs[2] = { 0 };
	struct sockaddr_in *a0 = (void *)&addrs[0];
	struct mg_peer_state st;
	struct mg_local l = { 0 };
	struct fo_peer p;
	int fd, fd2, found = 0;
	FILE *f;

	if (geteuid())
		tap_skip_all("needs root for BPF maps");
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/meshgw-test-%d/wg0", getpid());
	fd = fo_state_create(pin);
	if (!ok(fd >= 0, "state map created and pinned under %s", pin))
		return tap_done();
	ok(fo_state_open(pin) >= 0, "the pin can be opened");

	fo_peer_init(&p, 2, 1);
	p.active = 1;
	p.meshgw_peer = true;
	p.failovers[FO_REASON_PROBE_LOSS] = 3;
	p.last_reason = FO_REASON_PROBE_LOSS;
	p.ep[0].state = FO_EP_DOWN;
	p.ep[1].state = FO_EP_UP;
	p.ep[1].rtt_ns = 1234;
	a0->sin_family = AF_INET;
	a0->sin_port = htons(55555);
	inet_pton(AF_INET, "203.0.113.10", &a0->sin_addr);
	ok(!fo_state_write(fd, "site2", &p, addrs, 99), "record written");

	fd2 = fo_state_create(pin);
	ok(fd2 >= 0, "a second create adopts the pinned map");
	ok(!fo_state_read(fd2, "site2", &st), "record read through the adopted map");
	is_int(st.active, 1, "active endpoint");
	is_int(st.failovers[FO_REASON_PROBE_LOSS], 3, "failovers by reason");
	is_int(st.endpoints[0].health, MG_EP_DOWN, "endpoint 0 down");
	is_int(st.endpoints[0].port, 55555, "endpoint 0 port");
	is_int(st.endpoints[0].addr[12], 203, "endpoint 0 address, IPv4-mapped");
	is_int(st.endpoints[1].rtt_ns, 1234, "endpoint 1 rtt");
	ok(fo_state_read(fd2, "nosuch", &st) == -ENOENT, "unknown site: ENOENT");

	snprintf(cmd, sizeof(cmd), "bpftool map dump pinned %s/mg_failover 2>&1", pin);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "\"last_reason\"") || strstr(line, "\"site2\""))
			found++;
	if (f)
		pclose(f);
	ok(found >= 2, "bpftool shows named fields and the site name");

	ok(!fo_state_delete(fd, "site2") && fo_state_read(fd, "site2", &st) == -ENOENT, "record deleted");
	ok(!fo_state_delete(fd, "site2"), "deleting twice is harmless");

	test_batch(fd);

	/* `meshgw down` (dataplane_down) unpins it with the data plane's maps: with
	 * only the daemon's map there, the directory goes too. */
	snprintf(l.pin_path, sizeof(l.pin_path), "%s", pin);
	ok(!dataplane_down(&l), "dataplane_down with only mg_failover pinned");
	is_int(fo_state_open(pin), -ENOENT, "  the pin is gone");
	ok(access(pin, F_OK) && errno == ENOENT, "  and the directory with it");
	ok(!dataplane_down(&l), "  a second down is harmless");
	*strrchr(pin, '/') = '\0';
	rmdir(pin);
	ok(fo_state_open(pin) < 0, "after unpinning nothing is left");
	return tap_done();
}
