/* SPDX-License-Identifier: GPL-2.0-only */
/* The pinned mg_failover map (include/meshgw_state.h): written by the daemon,
 * read by show and metrics, unpinned by `meshgw down` with the data plane's maps
 * (dataplane_down). */
#pragma once
#include <stdbool.h>
#include <sys/socket.h>
#include "failover/failover.h"
#include "meshgw_state.h"

/* Creates (or adopts) <pin_path>/mg_failover. fd or -errno. */
int fo_state_create(const char *pin_path);
/* Opens an existing pin read-only. fd, or -ENOENT when the daemon never ran. */
int fo_state_open(const char *pin_path);
int fo_state_write(int fd, const char *site, const struct fo_peer *p,
		   const struct sockaddr_storage *addrs /* p->n_ep entries */, uint64_t now);

/* Every peer's record published at once, every 250 ms: one bpf_map_update_batch
 * per flush instead of one syscall per peer (4,000 a second for 1,000 peers).
 * Zero-initialise; the buffers grow to the largest flush and are kept for the
 * next one. */
struct fo_state_batch {
	struct mg_site_key *keys;
	struct mg_peer_state *values;	/* values[i] is keys[i]'s record */
	size_t n, room;
	bool per_element;	/* the kernel refused a batch update: one call per record */
};

/* Queues the same record fo_state_write writes. 0, or -ENOMEM (this record is
 * left out of the flush). */
int fo_state_batch_add(struct fo_state_batch *b, const char *site, const struct fo_peer *p,
		       const struct sockaddr_storage *addrs /* p->n_ep entries */, uint64_t now);
/* Writes every queued record and empties the batch. Without batch updates in the
 * kernel (EINVAL, ENOTSUPP, EOPNOTSUPP), one update per record from then on. A
 * record the map refuses (full: -E2BIG) is skipped and the others are still
 * written. 0, or the first -errno. */
int fo_state_batch_flush(struct fo_state_batch *b, int fd);
void fo_state_batch_free(struct fo_state_batch *b);

int fo_state_read(int fd, const char *site, struct mg_peer_state *out);	/* 0 / -ENOENT */
int fo_state_delete(int fd, const char *site);
