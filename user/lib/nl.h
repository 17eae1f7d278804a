/* SPDX-License-Identifier: GPL-2.0-only */
/* Netlink sockets over libmnl: one request/ACK or dump at a time, with the kernel's
 * extended ACK message printed next to the object the request was about. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <libmnl/libmnl.h>

/* Dumps can return large messages (a WireGuard peer with many allowed IPs):
 * a buffer smaller than the kernel's message would truncate it. */
#ifndef MNL_SOCKET_DUMP_SIZE
#define MNL_SOCKET_DUMP_SIZE 32768
#endif

/* An interrupted dump (NLM_F_DUMP_INTR: the object changed while being dumped)
 * is retried this many times, then reported as -EAGAIN rather than looping. */
#define NL_DUMP_RETRIES 5

struct nl_sock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char *buf;		/* MNL_SOCKET_DUMP_SIZE bytes for replies */
	char err_msg[256];	/* the kernel's extended ACK of the last request that
				 * failed ("" when it gave none) */
};

/* nl_talk's quiet_errno: every error is returned without a message (the caller
 * reports it, with err_msg). */
#define NL_QUIET_ANY (-1)

int nl_open(struct nl_sock *s, int bus);	/* NETLINK_ROUTE, NETLINK_GENERIC */
void nl_close(struct nl_sock *s);

/* Called for every data message of the reply; return MNL_CB_OK / MNL_CB_ERROR. */
typedef int (*nl_cb_t)(const struct nlmsghdr *nlh, void *data);

/* Sends nlh (seq and portid are filled in) and reads until the ACK, or NLMSG_DONE
 * for a dump. 0 or -errno; on a kernel error prints "what: strerror" and, when the
 * kernel gave one, "Error: <message>" (kept in s->err_msg too). With quiet_errno,
 * that errno is returned without a message (e.g. -EEXIST when the caller expects
 * it; NL_QUIET_ANY: any). *intr (may be NULL)
 * is set when the dump was interrupted (NLM_F_DUMP_INTR). */
int nl_talk(struct nl_sock *s, struct nlmsghdr *nlh, nl_cb_t cb, void *data,
	    const char *what, int quiet_errno, bool *intr);

/* A dump (nlh has NLM_F_DUMP), started over when the kernel says it was
 * interrupted (NLM_F_DUMP_INTR: entries may be skipped or repeated), at most
 * NL_DUMP_RETRIES times; reset(data) runs before every attempt so the callback
 * starts from empty. 0 or -errno; -EAGAIN, with a message, when no attempt got a
 * consistent dump. */
int nl_dump(struct nl_sock *s, struct nlmsghdr *nlh, nl_cb_t cb, void *data, const char *what,
	    void (*reset)(void *data));

/* Resolves a generic netlink family name to its id: 0, -ENOENT if the kernel
 * does not know the family, or -errno. */
int genl_family_id(struct nl_sock *s, const char *name, uint16_t *id);

/* A non-blocking rtnetlink socket subscribed to groups (RTMGRP_*), for a watcher
 * that reads events from its fd. NULL with errno set on failure. */
struct mnl_socket *nl_events_open(unsigned int groups);
