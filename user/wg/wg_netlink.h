/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel WireGuard over generic netlink (family "wireguard", linux/wireguard.h).
 * The encoder and parser work on plain buffers so they can be tested without a
 * kernel; wgnl_get/wgnl_set put them on a socket. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include "wg/wg_device.h"

/* Called once per SET_DEVICE message built; 0 or -errno (stops the encoding). */
typedef int (*wgnl_emit_t)(struct nlmsghdr *nlh, void *ctx);

/* Builds the SET_DEVICE messages for change into buf (buflen bytes, reused for
 * each message) the way wireguard-tools does: when a message is full it is emitted
 * and the next one continues; a peer whose allowed IPs do not fit continues in the
 * next message with only its public key and the rest of its allowed IPs. Device
 * fields and each peer's flags go only in the first message that carries them, so
 * WGPEER_F_REPLACE_ALLOWEDIPS applies once. 0 or -errno (-EMSGSIZE if buflen
 * cannot hold even one peer). */
int wgnl_encode_set(const struct wg_device *change, uint16_t family_id, char *buf,
		    size_t buflen, wgnl_emit_t emit, void *ctx);

/* Adds one GET_DEVICE (or SET_DEVICE) message to d. A message whose first peer is
 * the previous message's last peer continues that peer (the kernel splits peers
 * with many allowed IPs that way). Change flags are set from what the message
 * carries. 0 or -errno. */
int wgnl_parse(const struct nlmsghdr *nlh, struct wg_device *d);

/* 0 if the kernel has the "wireguard" generic netlink family, -ENOENT if not. */
int wgnl_available(void);
/* Reads the device ifname (dump, merged, interrupted dumps retried). */
int wgnl_get(const char *ifname, struct wg_device *d);
/* Applies a change device (flags say what to send). */
int wgnl_set(const char *ifname, const struct wg_device *change);
