/* SPDX-License-Identifier: GPL-2.0-only */
/* Failover probes, the daemon's side: the mesh tag, the probe socket, sending
 * requests and (when no XDP program intercepts them) reading replies. The wire
 * format is include/meshgw_probe.h; the remote XDP program answers. */
#pragma once
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "config/config.h"
#include "meshgw_probe.h"

/* The tag every probe carries: BLAKE2b over the mesh's sorted public keys and
 * listen port, keyed with the mesh secret when there is one. Strangers who do not
 * know the mesh cannot make a gateway answer. */
void probe_tag_derive(uint8_t tag[MG_PROBE_TAG_LEN], const struct mg_mesh *m,
		      const uint8_t *secret /* WG_KEY_LEN bytes or NULL */);

/* The tag of this mesh (reads MeshSecretFile when set). 0 or -errno. */
int probe_tag_for_config(const struct mg_config *c, uint8_t tag[MG_PROBE_TAG_LEN]);
/* The first of the probe ports: ProbePort, or ListenPort + 1. */
uint16_t probe_port_of(const struct mg_config *c);

/* A dual-stack UDP socket bound to port (IPv4 as mapped addresses). fd or -errno. */
int probe_socket_open(uint16_t port);
/* For a gateway with several uplinks: a socket whose probes leave by ifname with
 * its IPv4 address src and the mark (SO_BINDTODEVICE, bound to ::ffff:src:port,
 * SO_MARK), so they test that uplink's path whatever the main table says.
 * Replies that no XDP program takes arrive here. IPv4 destinations only. fd or
 * -errno. */
int probe_socket_open_uplink(uint16_t port, const char *ifname, const struct in_addr *src,
			     uint32_t mark);
/* IPv4 destinations go out of the dual-stack socket as ::ffff:a.b.c.d: dst as
 * the socket takes it. Its length. */
socklen_t probe_dst_v6(const struct sockaddr_storage *dst, struct sockaddr_in6 *out);
/* The request with seq, the tag and the send time tx_ns (CLOCK_MONOTONIC). */
void probe_request(struct mg_probe *p, uint32_t seq, const uint8_t tag[MG_PROBE_TAG_LEN],
		   uint64_t tx_ns);
/* Sends one request. 0 or -errno. *tx_ns gets the timestamp put in it. */
int probe_send(int fd, const struct sockaddr_storage *dst, uint32_t seq,
	       const uint8_t tag[MG_PROBE_TAG_LEN], uint64_t *tx_ns);
/* Reads one datagram; 1 when it is a valid reply with our tag (fills from, seq,
 * rtt), 0 when it is something else, -EAGAIN when none is waiting. */
int probe_recv(int fd, const uint8_t tag[MG_PROBE_TAG_LEN], struct sockaddr_storage *from,
	       uint32_t *seq, uint64_t *rtt_ns, uint64_t *rx_ns);
