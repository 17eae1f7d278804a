/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace WireGuard (wireguard-go) through its UAPI socket
 * /run/wireguard/<if>.sock: "get=1" / "set=1", hex keys, "errno=N" replies. */
#pragma once
#include <sys/types.h>
#include "wg/wg_device.h"

#define WG_UAPI_DIR "/run/wireguard"

/* True if a daemon answers on the interface's socket. */
bool wg_uapi_running(const char *ifname);
/* Starts `wireguard-go -f IFNAME` (detached, in its own session) and waits for its
 * socket. 0 with *pid set, or -errno with the reason printed. */
int wg_uapi_start(const char *ifname, pid_t *pid);
/* Deleting its TUN makes wireguard-go exit; this stops it if it lingers (SIGTERM
 * after 1 s, giving up after 2 s). Only give it a PID that wg_uapi_start returned
 * (`up` records it): nothing else is ever signalled. */
void wg_uapi_stop(pid_t pid);
/* Stops at once (SIGTERM, waiting up to 2 s) the `wireguard-go -f ifname` that
 * wg_uapi_start started as pid, for a link that cannot be deleted from here (it is
 * in another network namespace). False when pid is no such process. */
bool wg_uapi_terminate(pid_t pid, const char *ifname);
int wg_uapi_get(const char *ifname, struct wg_device *d);
/* wg_uapi_get in two halves: the request now, the reply later. wireguard-go builds
 * its whole reply before writing any of it (tens of ms at thousands of peers), so
 * the caller can read its configuration meanwhile. begin: the socket, or -errno
 * (quietly: nothing answers); finish reads the reply and closes the socket. */
int wg_uapi_get_begin(const char *ifname);
int wg_uapi_get_finish(int fd, const char *ifname, struct wg_device *d);
/* set is not atomic in wireguard-go (it applies lines until the first bad one):
 * the change must be fully valid before it is sent, which wg_uapi_format checks. */
int wg_uapi_set(const char *ifname, const struct wg_device *change);

/* The text of a set request (malloc'd, *len bytes) or NULL with errno; exposed for
 * the unit tests. Returns -EINVAL for a change that cannot be expressed safely. */
int wg_uapi_format(const struct wg_device *change, char **text, size_t *len);
/* Parses a get reply into d. 0, -errno from an "errno=" line, or -EBADMSG. */
int wg_uapi_parse(const char *text, struct wg_device *d);
