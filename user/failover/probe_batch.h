/* SPDX-License-Identifier: GPL-2.0-only */
/* The probes of one tick, sent with one sendmmsg per socket instead of one
 * sendto each (issue 17): with thousands of peers an idle daemon sends thousands
 * of probes a second, and a syscall's entry and exit cost about as much as the
 * UDP send itself on a virtual machine. Each probe is the same datagram
 * probe_send would send (probe.h), stamped when the batch is sent. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "meshgw_probe.h"

struct probe_out {
	int fd;				/* the socket it leaves from */
	struct sockaddr_in6 to;		/* IPv4 as ::ffff:a.b.c.d */
	uint32_t seq;
	uint32_t owner;			/* the caller's: whose probe it is */
	int err;			/* after probe_batch_send: 0 or -errno */
};

struct probe_batch {
	struct probe_out *out;
	size_t n, room;
};

/* Queues a probe. 0, or -ENOMEM (nothing queued: send it alone). */
int probe_batch_add(struct probe_batch *b, int fd, const struct sockaddr_storage *dst,
		    uint32_t seq, uint32_t owner);
/* Sends every queued probe in the order queued per socket, and sets each one's
 * err (a probe that could not be sent does not keep the others from going).
 * The caller reads b->out[0 .. b->n) and then calls probe_batch_clear. */
void probe_batch_send(struct probe_batch *b, const uint8_t tag[MG_PROBE_TAG_LEN]);
void probe_batch_clear(struct probe_batch *b);
void probe_batch_free(struct probe_batch *b);
