// SPDX-License-Identifier: GPL-2.0-only
/* A tick's probes, one sendmmsg per socket; see probe_batch.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "failover/probe.h"
#include "failover/probe_batch.h"
#include "lib/clock.h"
#include "lib/grow.h"

#define CHUNK 64	/* messages per sendmmsg: a tick's probes per socket, usually */

int probe_batch_add(struct probe_batch *b, int fd, const struct sockaddr_storage *dst,
		    uint32_t seq, uint32_t owner)
{
	struct probe_out *o;

	if (grow_for_one((void **)&b->out, b->n, &b->room, sizeof(*b->out), 64))
		return -ENOMEM;
	o = &b->out[b->n++];
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	probe_dst_v6(dst, &o->to);
	o->seq = seq;
	o->owner = owner;
	o->err = -EINPROGRESS;	/* not sent yet */
	return 0;
}

/* Up to CHUNK probes of socket fd, from out[*next] on, sent; *next moves past
 * the last one taken. */
static void send_chunk(struct probe_batch *b, int fd, size_t *next,
		       const uint8_t tag[MG_PROBE_TAG_LEN])
{
	struct mmsghdr m[CHUNK];
	struct iovec iov[CHUNK];
	struct mg_probe p[CHUNK];
	size_t idx[CHUNK];
	unsigned int k = 0, done = 0;
	uint64_t now;

	for (size_t i = *next; i < b->n && k < CHUNK; i++)
		if (b->out[i].fd == fd && b->out[i].err == -EINPROGRESS)
			idx[k++] = i;
	if (!k) {
		*next = b->n;
		return;
	}
	*next = idx[k - 1] + 1;
	/* The send time as late as it can be: the replies' RTT is measured from it. */
	now = mono_ns();
	for (unsigned int j = 0; j < k; j++) {
		struct probe_out *o = &b->out[idx[j]];

		probe_request(&p[j], o->seq, tag, now);
		iov[j] = (struct iovec){ .iov_base = &p[j], .iov_len = sizeof(p[j]) };
		m[j] = (struct mmsghdr){ .msg_hdr = { .msg_name = &o->to, .msg_namelen = sizeof(o->to),
						      .msg_iov = &iov[j], .msg_iovlen = 1 } };
	}
	/* sendmmsg stops at the first message that fails: that one gets the error
	 * (a call starting with it returns it), and the rest go on. */
	while (done < k) {
		int r = sendmmsg(fd, &m[done], k - done, 0);

		if (r > 0) {
			for (int j = 0; j < r; j++)
				b->out[idx[done + (unsigned int)j]].err = 0;
			done += (unsigned int)r;
		} else {
			b->out[idx[done++]].err = r < 0 ? -errno : -EIO;
		}
	}
}

void probe_batch_send(struct probe_batch *b, const uint8_t tag[MG_PROBE_TAG_LEN])
{
	for (size_t i = 0; i < b->n; i++) {
		size_t next = i;

		if (b->out[i].err != -EINPROGRESS)
			continue;
		while (next < b->n)
			send_chunk(b, b->out[i].fd, &next, tag);
	}
}

void probe_batch_clear(struct probe_batch *b)
{
	b->n = 0;
}

void probe_batch_free(struct probe_batch *b)
{
	free(b->out);
	memset(b, 0, sizeof(*b));
}
