// SPDX-License-Identifier: GPL-2.0-only
/* Test helper: drives a WireGuard device through meshgw's own backends (kernel
 * netlink or wireguard-go UAPI), for the large-request tests.
 *
 *   wg_readback kernel|userspace IF show         one line per peer:
 *                                                 KEY ALLOWED HANDSHAKE_SEC RX TX
 *   wg_readback kernel|userspace IF fill PEERS PER
 *                                                 adds PEERS peers with PER allowed
 *                                                 IPs each, in one request (split
 *                                                 by meshgw's encoder as needed)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wg/wg_backend.h"

static int show(const struct wg_backend *be, const char *ifname)
{
	struct wg_device d = { 0 };
	size_t total = 0;
	int ret = be->get(ifname, &d);

	if (ret) {
		fprintf(stderr, "wg_readback: get %s: %s\n", ifname, strerror(-ret));
		return 1;
	}
	for (size_t i = 0; i < d.n_peers; i++) {
		char b64[WG_KEY_B64_LEN];

		key_to_base64(b64, d.peers[i].public_key);
		printf("%s %zu %lld %llu %llu\n", b64, d.peers[i].n_allowed,
		       (long long)d.peers[i].last_handshake_sec,
		       (unsigned long long)d.peers[i].rx_bytes,
		       (unsigned long long)d.peers[i].tx_bytes);
		total += d.peers[i].n_allowed;
	}
	fprintf(stderr, "wg_readback: %s: %zu peers, %zu allowed IPs\n", ifname, d.n_peers, total);
	wg_device_free(&d);
	return 0;
}

static int fill(const struct wg_backend *be, const char *ifname, unsigned peers, unsigned per)
{
	struct wg_device d = { 0 };
	int ret;

	snprintf(d.name, sizeof(d.name), "%s", ifname);
	for (unsigned i = 0; i < peers; i++) {
		struct wg_peer *p = wg_device_add_peer(&d);

		if (!p)
			return 1;
		/* Distinct keys; not meant to be valid curve points (nobody handshakes). */
		p->public_key[0] = 0x7f;
		memcpy(p->public_key + 1, &i, sizeof(i));
		p->flags = WG_PEER_REPLACE_ALLOWEDIPS;
		for (unsigned j = 0; j < per; j++) {
			/* 100.64.0.0/10 host addresses, unique across all peers. */
			uint32_t a = 0x64400000u + i * per + j;
			struct prefix pfx = { .family = AF_INET, .len = 32 };

			a = htonl(a);
			memcpy(pfx.addr, &a, 4);
			if (wg_peer_add_allowed(p, &pfx))
				return 1;
		}
	}
	ret = be->set(ifname, &d);
	wg_device_free(&d);
	if (ret) {
		fprintf(stderr, "wg_readback: set %s: %s\n", ifname, strerror(-ret));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct wg_backend *be;

	if (argc < 4)
		goto usage;
	if (!strcmp(argv[1], "kernel"))
		be = &wg_backend_kernel;
	else if (!strcmp(argv[1], "userspace"))
		be = &wg_backend_userspace;
	else
		goto usage;
	if (!strcmp(argv[3], "show") && argc == 4)
		return show(be, argv[2]);
	if (!strcmp(argv[3], "fill") && argc == 6)
		return fill(be, argv[2], (unsigned)atoi(argv[4]), (unsigned)atoi(argv[5]));
usage:
	fprintf(stderr, "usage: wg_readback kernel|userspace IF show | fill PEERS PER\n");
	return 2;
}
