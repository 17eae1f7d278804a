// SPDX-License-Identifier: GPL-2.0-only
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "failover/probe.h"
#include "lib/clock.h"
#include "lib/log.h"

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, WG_KEY_LEN);
}

void probe_tag_derive(uint8_t tag[MG_PROBE_TAG_LEN], const struct mg_mesh *m,
		      const uint8_t *secret)
{
	static const char label[] = "meshgw v1 probe tag";
	crypto_generichash_state st;
	uint8_t (*keys)[WG_KEY_LEN] = calloc(m->n_sites ? m->n_sites : 1, WG_KEY_LEN);
	uint16_t port = htobe16(m->listen_port);

	crypto_generichash_init(&st, secret, secret ? WG_KEY_LEN : 0, MG_PROBE_TAG_LEN);
	crypto_generichash_update(&st, (const uint8_t *)label, sizeof(label) - 1);
	crypto_generichash_update(&st, (const uint8_t *)&port, sizeof(port));
	if (keys) {
		/* sorted, so the order of [Site] sections does not matter */
		for (size_t i = 0; i < m->n_sites; i++)
			memcpy(keys[i], m->sites[i].public_key, WG_KEY_LEN);
		qsort(keys, m->n_sites, WG_KEY_LEN, cmp_key);
		crypto_generichash_update(&st, (const uint8_t *)keys, m->n_sites * WG_KEY_LEN);
		free(keys);
	}
	crypto_generichash_final(&st, tag, MG_PROBE_TAG_LEN);
}

int probe_tag_for_config(const struct mg_config *c, uint8_t tag[MG_PROBE_TAG_LEN])
{
	uint8_t secret[WG_KEY_LEN];
	char err[256];
	int ret;

	if (!c->local.mesh_secret_file[0]) {
		probe_tag_derive(tag, &c->mesh, NULL);
		return 0;
	}
	ret = key_read_file(secret, c->local.mesh_secret_file, true, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	probe_tag_derive(tag, &c->mesh, secret);
	key_wipe(secret, sizeof(secret));
	return 0;
}

uint16_t probe_port_of(const struct mg_config *c)
{
	unsigned int n = probe_ports_of(&c->local);

	if (c->local.probe_port)
		return c->local.probe_port;
	/* The ports above ListenPort, or below it near the top. */
	if (c->mesh.listen_port <= 65535 - n)
		return (uint16_t)(c->mesh.listen_port + 1);
	return (uint16_t)(c->mesh.listen_port - n);
}

int probe_socket_open(uint16_t port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				     .sin6_addr = IN6ADDR_ANY_INIT };
	int fd, off = 0;

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int probe_socket_open_uplink(uint16_t port, const char *ifname, const struct in_addr *src,
			     uint32_t mark)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int fd, off = 0, err = 0;

	sin6.sin6_addr.s6_addr[10] = 0xff;
	sin6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&sin6.sin6_addr.s6_addr[12], src, 4);
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) ||
	    (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark))) ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

socklen_t probe_dst_v6(const struct sockaddr_storage *in, struct sockaddr_in6 *out)
{
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	if (in->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)in;

		out->sin6_port = sin->sin_port;
		out->sin6_addr.s6_addr[10] = 0xff;
		out->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&out->sin6_addr.s6_addr[12], &sin->sin_addr, 4);
	} else {
		memcpy(out, in, sizeof(*out));
	}
	return sizeof(*out);
}

void probe_request(struct mg_probe *p, uint32_t seq, const uint8_t tag[MG_PROBE_TAG_LEN],
		   uint64_t tx_ns)
{
	memset(p, 0, sizeof(*p));
	p->magic = htole32(MG_PROBE_REQUEST);
	p->seq = htole32(seq);
	p->tx_ns = htole64(tx_ns);
	memcpy(p->tag, tag, MG_PROBE_TAG_LEN);
}

int probe_send(int fd, const struct sockaddr_storage *dst, uint32_t seq,
	       const uint8_t tag[MG_PROBE_TAG_LEN], uint64_t *tx_ns)
{
	struct mg_probe p;
	struct sockaddr_in6 to;
	socklen_t len = probe_dst_v6(dst, &to);

	*tx_ns = mono_ns();
	probe_request(&p, seq, tag, *tx_ns);
	if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&to, len) != sizeof(p))
		return -errno;
	return 0;
}

int probe_recv(int fd, const uint8_t tag[MG_PROBE_TAG_LEN], struct sockaddr_storage *from,
	       uint32_t *seq, uint64_t *rtt_ns, uint64_t *rx_ns)
{
	struct mg_probe p;
	socklen_t flen = sizeof(*from);
	ssize_t n = recvfrom(fd, &p, sizeof(p), MSG_TRUNC, (struct sockaddr *)from, &flen);
	uint64_t now = mono_ns(), tx;

	if (n < 0)
		return -errno;
	if (n != sizeof(p) || le32toh(p.magic) != MG_PROBE_REPLY ||
	    sodium_memcmp(p.tag, tag, MG_PROBE_TAG_LEN))
		return 0;
	tx = le64toh(p.tx_ns);
	if (tx > now)
		return 0;
	*seq = le32toh(p.seq);
	*rtt_ns = now - tx;
	*rx_ns = now;
	return 1;
}
