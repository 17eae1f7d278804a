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
	close(a);
	close(b);
	return tap_done();
}
