// SPDX-License-Identifier: GPL-2.0-only
/* Probe tag derivation and the probe socket over loopback, with a stand-in
 * responder that does what the remote XDP program does to a request. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <sodium.h>
#include "tap.h"
#include "failover/probe.h"
#include "failover/probe_batch.h"

/* The next request waiting on fd: its sequence, or -1 when none comes. */
static int next_seq(int fd, struct mg_probe *p)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	if (poll(&pf, 1, 2000) != 1 || recv(fd, p, sizeof(*p), 0) != sizeof(*p))
		return -1;
	return (int)le32toh(p->seq);
}

/* One tick's probes through two sockets, one unsendable in the middle of a
 * socket's run and one on a closed socket: every other probe still goes, in
 * order per socket, and each one says what became of it. */
static void test_batch(const struct sockaddr_storage *dst, const uint8_t tag[MG_PROBE_TAG_LEN],
		       int rx)
{
	struct sockaddr_storage bcast = { 0 };
	struct sockaddr_in *bc = (struct sockaddr_in *)&bcast;
	struct probe_batch b = { 0 };
	struct mg_probe p;
	int a = probe_socket_open(0), c = probe_socket_open(0), gone = probe_socket_open(0);
	int got = 0, in_order = 1;

	bc->sin_family = AF_INET;
	bc->sin_port = htons(9);
	bc->sin_addr.s_addr = htonl(INADDR_BROADCAST);	/* no SO_BROADCAST: EACCES */
	close(gone);
	ok(!probe_batch_add(&b, a, dst, 1, 100) && !probe_batch_add(&b, c, dst, 10, 101) &&
	   !probe_batch_add(&b, a, &bcast, 2, 102) && !probe_batch_add(&b, a, dst, 3, 103) &&
	   !probe_batch_add(&b, gone, dst, 99, 104), "batch: five probes queued");
	probe_batch_send(&b, tag);
	is_int(b.n, 5, "batch: all five reported");
	ok(!b.out[0].err && !b.out[1].err && !b.out[3].err, "batch: the sendable ones sent");
	is_int(b.out[2].err, -EACCES, "batch: the broadcast one failed with its own error");
	is_int(b.out[4].err, -EBADF, "batch: the closed socket's failed");
	ok(b.out[0].owner == 100 && b.out[4].owner == 104, "batch: owners kept");
	is_int(next_seq(rx, &p), 1, "batch: socket a's first probe first");
	ok(le32toh(p.magic) == MG_PROBE_REQUEST && !memcmp(p.tag, tag, MG_PROBE_TAG_LEN) && p.tx_ns,
	   "batch: a request with the tag and a send time");
	is_int(next_seq(rx, &p), 3, "batch: then the one after the failed one");
	is_int(next_seq(rx, &p), 10, "batch: then socket c's");
	probe_batch_clear(&b);
	/* More than one sendmmsg's worth on one socket. */
	for (uint32_t i = 0; i < 150; i++)
		probe_batch_add(&b, a, dst, 1000 + i, i);
	probe_batch_send(&b, tag);
	for (uint32_t i = 0; i < 150; i++) {
		int seq = next_seq(rx, &p);

		got += seq >= 0;
		in_order &= seq == (int)(1000 + i) && !b.out[i].err;
	}
	is_int(got, 150, "batch: 150 probes on one socket all sent");
	ok(in_order, "batch: in the order queued");
	probe_batch_free(&b);
	close(a);
	close(c);
}

static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 2000) == 1;
}

int main(void)
{
	struct mg_site sites[3] = { 0 };
	struct mg_mesh m = { .listen_port = 55555, .sites = sites, .n_sites = 3 };
	uint8_t t1[MG_PROBE_TAG_LEN], t2[MG_PROBE_TAG_LEN], secret[WG_KEY_LEN];
	struct sockaddr_storage dst = { 0 }, from;
	struct sockaddr_in *sin = (struct sockaddr_in *)&dst;
	struct sockaddr_in6 peer;
	socklen_t plen = sizeof(peer);
	struct mg_probe p;
	uint64_t tx_ns, rtt, rx_ns;
	uint32_t seq;
	int a, b, ret;

	if (sodium_init() < 0)
		return 1;
	for (int i = 0; i < 3; i++)
		memset(sites[i].public_key, 'a' + i, WG_KEY_LEN);
	probe_tag_derive(t1, &m, NULL);
	struct mg_site tmp = sites[0];
	sites[0] = sites[2];
	sites[2] = tmp;
	probe_tag_derive(t2, &m, NULL);
	ok(!memcmp(t1, t2, sizeof(t1)), "tag does not depend on the order of sites");
	memset(secret, 7, sizeof(secret));
	probe_tag_derive(t2, &m, secret);
	ok(memcmp(t1, t2, sizeof(t1)), "tag changes with the mesh secret");
	m.listen_port = 55556;
	probe_tag_derive(t2, &m, NULL);
	ok(memcmp(t1, t2, sizeof(t1)), "tag changes with the listen port");
	m.listen_port = 55555;
	sites[1].public_key[0] ^= 1;
	probe_tag_derive(t2, &m, NULL);
	ok(memcmp(t1, t2, sizeof(t1)), "tag changes with any site key");

	a = probe_socket_open(0);
	b = probe_socket_open(0);
	if (!ok(a >= 0 && b >= 0, "probe sockets open on loopback"))
		return tap_done();
	getsockname(b, (struct sockaddr *)&peer, &plen);
	sin->sin_family = AF_INET;
	sin->sin_port = peer.sin6_port;
	inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
	ok(!probe_send(a, &dst, 42, t1, &tx_ns), "request sent to an IPv4 address");

	ok(wait_readable(b), "responder got it");
	plen = sizeof(peer);
	ret = recvfrom(b, &p, sizeof(p), 0, (struct sockaddr *)&peer, &plen);
	is_int(ret, sizeof(p), "request is exactly one struct mg_probe");
	is_int(le32toh(p.magic), MG_PROBE_REQUEST, "request magic");
	is_int(le32toh(p.seq), 42, "request sequence");
	ok(!memcmp(p.tag, t1, sizeof(t1)), "request carries the tag");
	ok(le64toh(p.tx_ns) == tx_ns, "request carries the send time");
	ok((p.magic & 0xff) > 4 || (p.magic >> 8) != 0, "magic can never be a WireGuard message type");

	/* a stranger's junk first, then a reply with the wrong tag, then the right one */
	sendto(b, "junk", 4, 0, (struct sockaddr *)&peer, plen);
	p.magic = htole32(MG_PROBE_REPLY);
	p.tag[0] ^= 1;
	sendto(b, &p, sizeof(p), 0, (struct sockaddr *)&peer, plen);
	p.tag[0] ^= 1;
	sendto(b, &p, sizeof(p), 0, (struct sockaddr *)&peer, plen);
	wait_readable(a);
	is_int(probe_recv(a, t1, &from, &seq, &rtt, &rx_ns), 0, "junk datagram ignored");
	is_int(probe_recv(a, t1, &from, &seq, &rtt, &rx_ns), 0, "reply with a wrong tag ignored");
	is_int(probe_recv(a, t1, &from, &seq, &rtt, &rx_ns), 1, "reply accepted");
	is_int(seq, 42, "reply sequence");
	ok(rtt > 0 && rtt < 2000000000ULL, "rtt measured (%llu ns)", (unsigned long long)rtt);
	is_int(probe_recv(a, t1, &from, &seq, &rtt, &rx_ns), -EAGAIN, "nothing more waiting");
	test_batch(&dst, t1, b);
	close(a);
	close(b);
	return tap_done();
}
