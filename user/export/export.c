// SPDX-License-Identifier: GPL-2.0-only
/* meshgw export: format selection and the pieces every format prints the same way. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "export/export.h"
#include "wg/psk.h"

static const char *const format_names[] = {
	[EXPORT_WG_QUICK] = "wg-quick",
	[EXPORT_OPENWRT] = "openwrt",
	[EXPORT_ROUTEROS] = "routeros",
	[EXPORT_QR] = "qr",
};

int export_format_parse(const char *name, enum export_format *f)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (!strcmp(name, format_names[i])) {
			*f = (enum export_format)i;
			return 0;
		}
	return -EINVAL;
}

const char *export_format_name(enum export_format f)
{
	return format_names[f];
}

bool export_ifname_valid(enum export_format f, const char *ifname)
{
	if (!ifname_valid(ifname))
		return false;
	switch (f) {
	case EXPORT_QR:		/* the file is a wg-quick one, shown as a picture */
	case EXPORT_WG_QUICK:
		/* wg-quick's own rule for the name it takes from the file name */
		return strspn(ifname, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_=+.-") == strlen(ifname);
	case EXPORT_OPENWRT:
		/* it is also a UCI section name (letters, digits, '_') and the firewall
		 * zone's name, which OpenWrt's firewall takes up to 11 characters long */
		return strlen(ifname) <= 11 &&
		       strspn(ifname, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_") == strlen(ifname);
	case EXPORT_ROUTEROS:
		/* printed unquoted in commands */
		return strspn(ifname, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_.-") == strlen(ifname);
	}
	return false;
}

void export_private_key(const struct export_ctx *x, char *buf, size_t len)
{
	char b64[WG_KEY_B64_LEN];

	if (!x->o->private_key) {
		snprintf(buf, len, "<contents of the private key file of %s>",
			 x->site ? x->site->name : x->client->name);
		return;
	}
	key_to_base64(b64, x->o->private_key);
	snprintf(buf, len, "%s", b64);
	key_wipe(b64, sizeof(b64));
}

bool export_psk(const struct export_ctx *x, const struct mg_site *peer, char out[WG_KEY_B64_LEN])
{
	uint8_t psk[WG_KEY_LEN];

	if (!x->o->mesh_secret)
		return false;
	psk_derive(psk, x->o->mesh_secret, x->site ? x->site->public_key : x->client->public_key,
		   peer->public_key);
	key_to_base64(out, psk);
	key_wipe(psk, sizeof(psk));
	return true;
}

void export_endpoint_str(const struct mg_endpoint *ep, char *buf, size_t len)
{
	if (strchr(ep->host, ':'))
		snprintf(buf, len, "[%s]:%u", ep->host, ep->port);
	else
		snprintf(buf, len, "%s:%u", ep->host, ep->port);
}

void export_interface_address(const struct export_ctx *x, char *buf, size_t len)
{
	char a[PREFIX_STR_MAX];

	snprintf(buf, len, "%s/%u", prefix_addr_str(&x->site->address, a, sizeof(a)),
		 x->m->network.len);
}

void export_other_endpoints(const struct mg_site *peer, char *buf, size_t len)
{
	char ep[MG_HOST_MAX + 16];
	size_t off = 0;

	buf[0] = '\0';
	if (peer->n_endpoints < 2)
		return;
	off += (size_t)snprintf(buf, len, "other endpoints of %s, in preference order:", peer->name);
	for (size_t i = 1; i < peer->n_endpoints && off < len; i++) {
		export_endpoint_str(&peer->endpoints[i], ep, sizeof(ep));
		off += (size_t)snprintf(buf + off, len - off, "%s %s", i > 1 ? "," : "", ep);
	}
}

int export_site(FILE *out, const struct mg_mesh *m, const struct mg_site *site,
		const struct export_opts *o)
{
	struct export_ctx x = { .out = out, .m = m, .site = site, .o = o };
	int ret = -EINVAL;

	switch (o->format) {
	case EXPORT_WG_QUICK:
		ret = export_wg_quick(&x);
		break;
	case EXPORT_OPENWRT:
		ret = export_openwrt(&x);
		break;
	case EXPORT_ROUTEROS:
		ret = export_routeros(&x);
		break;
	case EXPORT_QR:
		break;	/* cmd_export renders the wg-quick file */
	}
	if (ret)
		return ret;
	return fflush(out) || ferror(out) ? -EIO : 0;
}
