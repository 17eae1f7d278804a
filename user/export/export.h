/* SPDX-License-Identifier: GPL-2.0-only */
/* meshgw export: the configuration of one mesh site for a box that runs plain
 * WireGuard (wg-quick, OpenWrt, MikroTik RouterOS) instead of meshgw, or of a
 * roaming client (wg-quick, or the same as a QR code for the phone app), built
 * from the mesh file. Secrets are optional: without them the output carries clearly marked
 * placeholders / comments instead. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "config/config.h"

#define EXPORT_DEFAULT_IF "meshgw"

enum export_format { EXPORT_WG_QUICK, EXPORT_OPENWRT, EXPORT_ROUTEROS, EXPORT_QR };

struct export_opts {
	enum export_format format;
	const char *ifname;			/* interface name the target uses */
	const uint8_t *private_key;		/* NULL: placeholder */
	const uint8_t *mesh_secret;		/* NULL: no PresharedKey lines */
};

/* "wg-quick", "openwrt", "routeros", "qr" (exact). 0 or -EINVAL. */
int export_format_parse(const char *name, enum export_format *f);
const char *export_format_name(enum export_format f);
/* Whether ifname is acceptable for the format (UCI section names are stricter). */
bool export_ifname_valid(enum export_format f, const char *ifname);

/* Writes the configuration of site (an element of m->sites) to out.
 * 0, or -EIO when writing failed. */
int export_site(FILE *out, const struct mg_mesh *m, const struct mg_site *site,
		const struct export_opts *o);
/* The wg-quick file of a roaming client (an element of m->clients): one [Peer] per
 * site. 0, or -EIO when writing failed. */
int export_client(FILE *out, const struct mg_mesh *m, const struct mg_client *client,
		  const struct export_opts *o);

/* export_qr.c: text (a wg-quick file) as a QR code, its comment lines left out
 * (the phone app ignores them; a smaller code scans more easily). To out in UTF-8
 * half blocks, two rows of modules per line, light modules drawn (for a dark
 * terminal, as qrencode -t UTF8), or as a PNG file at png_path when not NULL.
 * 0, -E2BIG (too long for a QR code), -ENOMEM or -errno of the file. */
int export_qr(FILE *out, const char *text, const char *png_path);

/* ---- shared by the per-format writers (export_*.c) ---- */
struct export_ctx {
	FILE *out;
	const struct mg_mesh *m;
	const struct mg_site *site;		/* the site exported, or NULL */
	const struct mg_client *client;		/* ...or the client */
	const struct export_opts *o;
};
/* The private key as the format should print it: base64, or a placeholder. */
void export_private_key(const struct export_ctx *x, char *buf, size_t len);
/* The PSK of the pair (site or client, peer), base64; false when no mesh secret
 * was given. */
bool export_psk(const struct export_ctx *x, const struct mg_site *peer,
		char out[WG_KEY_B64_LEN]);
/* "host:port" with brackets around IPv6 literals. */
void export_endpoint_str(const struct mg_endpoint *ep, char *buf, size_t len);
/* The site's address with the mesh network's prefix length ("10.0.0.2/24"). */
void export_interface_address(const struct export_ctx *x, char *buf, size_t len);
/* Comment text: "the other endpoints of PEER are A, B" (buf "" when none). */
void export_other_endpoints(const struct mg_site *peer, char *buf, size_t len);

/* A wg-quick [Peer] section for site s: key, PSK, first endpoint (the others in a
 * comment, or no_endpoint's text when it has none), mesh address and egress
 * ranges, and PersistentKeepalive unless keepalive is 0. */
void export_wg_peer(const struct export_ctx *x, const struct mg_site *s, uint16_t keepalive,
		    const char *no_endpoint);
int export_wg_quick(const struct export_ctx *x);
int export_openwrt(const struct export_ctx *x);
int export_routeros(const struct export_ctx *x);
