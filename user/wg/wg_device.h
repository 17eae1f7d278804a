/* SPDX-License-Identifier: GPL-2.0-only */
/* A WireGuard device as meshgw sees it: what it wants (desired.c), what the kernel
 * or wireguard-go reports (get), and what to change (wg_reconcile.c builds a
 * "change" device whose flags say which fields to send). Both backends read and
 * write this one model. */
#pragma once
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "lib/prefix.h"
#include "wg/keys.h"

union wg_sockaddr {
	struct sockaddr sa;		/* sa_family 0 = no endpoint */
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* wg_peer.flags: in a change, what to do with the peer. */
enum {
	WG_PEER_REMOVE            = 1u << 0,	/* delete the peer */
	WG_PEER_REPLACE_ALLOWEDIPS = 1u << 1,	/* allowed IPs below replace the current ones */
	WG_PEER_SET_PSK           = 1u << 2,
	WG_PEER_SET_ENDPOINT      = 1u << 3,
	WG_PEER_SET_KEEPALIVE     = 1u << 4,
};

/* wg_device.flags: in a change, which device fields to send. */
enum {
	WG_DEV_SET_PRIVATE_KEY = 1u << 0,
	WG_DEV_SET_LISTEN_PORT = 1u << 1,
	WG_DEV_SET_FWMARK      = 1u << 2,
	WG_DEV_REPLACE_PEERS   = 1u << 3,
};

struct wg_peer {
	uint8_t public_key[WG_KEY_LEN];
	uint8_t preshared_key[WG_KEY_LEN];	/* all zero = none */
	union wg_sockaddr endpoint;
	uint16_t keepalive;			/* seconds, 0 = off */
	struct prefix *allowed;
	size_t n_allowed, cap_allowed;
	uint32_t flags;				/* WG_PEER_*, in a change */
	/* Read back only. */
	int64_t last_handshake_sec, last_handshake_nsec;
	uint64_t rx_bytes, tx_bytes;
};

struct wg_device {
	char name[IF_NAMESIZE];
	uint32_t ifindex;
	uint8_t private_key[WG_KEY_LEN];	/* all zero = none */
	uint8_t public_key[WG_KEY_LEN];		/* read back */
	uint16_t listen_port;
	uint32_t fwmark;
	struct wg_peer *peers;
	size_t n_peers, cap_peers;
	uint32_t flags;				/* WG_DEV_*, in a change */
	/* wg_device_find_peer's index: the peers' positions sorted by public key,
	 * built at the first lookup after a peer was added. */
	uint32_t *by_key;
	size_t n_by_key;
};

/* Appends a zeroed peer / an allowed IP; NULL / -ENOMEM on allocation failure. */
struct wg_peer *wg_device_add_peer(struct wg_device *d);
int wg_peer_add_allowed(struct wg_peer *p, const struct prefix *pfx);
/* The peer with that public key, or NULL. O(log n) once the index is built (the
 * first lookup after peers were added): a mesh of 4,096 sites looked up peer by
 * peer was 16 million memcmp. A peer's key must not change after that lookup. */
struct wg_peer *wg_device_find_peer(struct wg_device *d, const uint8_t key[WG_KEY_LEN]);
/* Frees the arrays and wipes the keys. The struct can be reused after. */
void wg_device_free(struct wg_device *d);
