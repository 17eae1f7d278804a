/* The pinned mg_failover map (include/meshgw_state.h): written by the daemon,
 * read by show and metrics. */
#pragma once
#include <stdbool.h>
#include <sys/socket.h>
#include "failover.h"
#include "meshgw_state.h"

/* Creates (or adopts) <pin_path>/mg_failover. fd or -errno. */
int fo_state_create(const char *pin_path);
/* Opens an existing pin read-only. fd, or -ENOENT when the daemon never ran. */
int fo_state_open(const char *pin_path);
int fo_state_write(int fd, const char *site, const struct fo_peer *p,
		   const struct sockaddr_storage *addrs /* p->n_ep entries */, uint64_t now);
int fo_state_read(int fd, const char *site, struct mg_peer_state *out);	/* 0 / -ENOENT */
int fo_state_delete(int fd, const char *site);
