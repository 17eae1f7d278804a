// SPDX-License-Identifier: GPL-2.0-only
/* meshgw export of a roaming client: the golden wg-quick file (one [Peer] per site,
 * its egress and mesh address, keepalive 25 even with the mesh's off, host-prefix
 * Address, no ListenPort), its PSKs equal to what the gateways derive, and the QR
 * code: the terminal rendering's shape, and the PNG inflated back (zlib) to the
 * very modules libqrencode produced, at the scale and margin promised. */
#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <qrencode.h>
#include <zlib.h>
#include "tap.h"
#include "config/config.h"
#include "export/export.h"
#include "wg/psk.h"

#define LAPTOP_PRIV "IMeOU0saVWYFCCDud+QT2CzrAAhIg8zPJ3LwEGk6q1g="
#define LAPTOP_PUB  "4EA8zBN21gqv+cJpkQvcbJ7CxeipSlP1nRro3Y0sNhw="
#define SECRET      "3zAzqYvtE9syOTNxCwy9z3moCQzXzD34uY3ZkM7gVq8="

static const char mesh_text[] =
	"[Mesh]\n"
	"Network = 10.99.0.0/24\n"
	"ListenPort = 51820\n"
	"PersistentKeepalive = off\n"
	"\n"
	"[Site alpha]\n"
	"Address = 10.99.0.1\n"
	"PublicKey = vKvkxNPhWuOP/dqdASJMikzon5z6NrepfNuV4BtQmUg=\n"
	"Endpoint = 192.0.2.1:51820\n"
	"Endpoint = alpha-isp2.example.net:51821\n"
	"Egress = 10.1.0.0/24\n"
	"Egress = 10.11.0.0/16\n"
	"\n"
	"[Site beta]\n"
	"Address = 10.99.0.2\n"
	"PublicKey = T/ch48Tb4geCwDLDWA+0W7OTn6U4xrTjm32HhZc6gHM=\n"
	"Endpoint = [2001:db8::2]:51820\n"
	"Egress = 10.2.0.0/24\n"
	"Exit = yes\n"
	"\n"
	"[Site gamma]\n"
	"Address = 10.99.0.3\n"
	"PublicKey = mK7dd3vCHOs5Rs5i6hlaAPEFgVMzx8Y7i9uYoTXz3Qg=\n"
	"Endpoint = 192.0.2.3:51820\n"
	"\n"
	"[Client laptop]\n"
	"Address = 10.99.0.50\n"
	"PublicKey = " LAPTOP_PUB "\n"
	"\n"
	"[Client phone]\n"
	"Address = 10.99.0.51\n"
	"PublicKey = 7+YR4kk9jihac/kQY0xIFf/IosqaHtDR7yAT27ljrSw=\n"
	"Exit = beta\n"
	"DNS = 10.2.0.53, 2001:db8::53\n";

static const char golden[] =
	"# WireGuard configuration of client laptop, from the meshgw mesh file mesh.conf.\n"
	"# Save as /etc/wireguard/meshgw.conf (mode 0600), then: wg-quick up meshgw\n"
	"# No PresharedKey lines: if the meshgw sites use a MeshSecretFile, export with -s FILE.\n"
	"\n"
	"[Interface]\n"
	"Address = 10.99.0.50/32\n"
	"MTU = 1420\n"
	"PrivateKey = " LAPTOP_PRIV "\n"
	"\n"
	"[Peer]\n"
	"# alpha\n"
	"PublicKey = vKvkxNPhWuOP/dqdASJMikzon5z6NrepfNuV4BtQmUg=\n"
	"Endpoint = 192.0.2.1:51820\n"
	"# other endpoints of alpha, in preference order: alpha-isp2.example.net:51821\n"
	"# (plain WireGuard uses one: switch with `wg set meshgw peer KEY endpoint HOST:PORT`)\n"
	"AllowedIPs = 10.99.0.1/32, 10.1.0.0/24, 10.11.0.0/16\n"
	"PersistentKeepalive = 25\n"
	"\n"
	"[Peer]\n"
	"# beta\n"
	"PublicKey = T/ch48Tb4geCwDLDWA+0W7OTn6U4xrTjm32HhZc6gHM=\n"
	"Endpoint = [2001:db8::2]:51820\n"
	"AllowedIPs = 10.99.0.2/32, 10.2.0.0/24\n"
	"PersistentKeepalive = 25\n"
	"\n"
	"[Peer]\n"
	"# gamma\n"
	"PublicKey = mK7dd3vCHOs5Rs5i6hlaAPEFgVMzx8Y7i9uYoTXz3Qg=\n"
	"Endpoint = 192.0.2.3:51820\n"
	"AllowedIPs = 10.99.0.3/32\n"
	"PersistentKeepalive = 25\n";

static char *export_str(const struct mg_mesh *m, const struct mg_client *c,
			const struct export_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (export_client(f, m, c, o)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

/* Counts the lines of text and checks each is `cols` cells of half blocks or
 * spaces. */
static bool blocks_shape(const char *text, int cols, int *lines)
{
	*lines = 0;
	while (*text) {
		int cells = 0;

		while (*text && *text != '\n') {
			if (*text == ' ') {
				text++;
			} else if (!strncmp(text, "\xe2\x96\x88", 3) || !strncmp(text, "\xe2\x96\x80", 3) ||
				   !strncmp(text, "\xe2\x96\x84", 3)) {
				text += 3;
			} else {
				return false;
			}
			cells++;
		}
		if (cells != cols)
			return false;
		(*lines)++;
		if (*text)
			text++;
	}
	return true;
}

/* Inflates the PNG's IDAT and compares each pixel with the module it draws. */
static bool png_matches(const char *path, const QRcode *q, int margin, int scale)
{
	FILE *f = fopen(path, "re");
	uint8_t buf[1 << 16], *raw = NULL;
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	uint32_t w, h, len;
	uLongf rawlen;
	bool good = false;

	if (f)
		fclose(f);
	if (n < 33 + 12 || memcmp(buf, "\x89PNG\r\n\x1a\n", 8) || memcmp(buf + 12, "IHDR", 4))
		return false;
	memcpy(&w, buf + 16, 4);
	memcpy(&h, buf + 20, 4);
	w = ntohl(w);
	h = ntohl(h);
	if (w != h || w != (uint32_t)((q->width + 2 * margin) * scale) || buf[24] != 8 || buf[25] != 0)
		return false;
	memcpy(&len, buf + 33, 4);
	len = ntohl(len);
	if (memcmp(buf + 37, "IDAT", 4) || 41 + len + 4 > n)
		return false;
	if (crc32(crc32(0, buf + 37, 4), buf + 41, len) != ntohl(*(uint32_t *)(void *)(buf + 41 + len)))
		return false;
	rawlen = (w + 1) * h;
	raw = malloc(rawlen);
	if (!raw || uncompress(raw, &rawlen, buf + 41, len) != Z_OK || rawlen != (w + 1) * h)
		goto out;
	good = true;
	for (uint32_t y = 0; y < h && good; y++) {
		good = raw[y * (w + 1)] == 0;
		for (uint32_t x = 0; x < w && good; x++) {
			int mx = (int)(x / scale) - margin, my = (int)(y / scale) - margin;
			bool dark = mx >= 0 && my >= 0 && mx < q->width && my < q->width &&
				    (q->data[my * q->width + mx] & 1);

			good = raw[y * (w + 1) + 1 + x] == (dark ? 0 : 255);
		}
	}
out:
	free(raw);
	return good;
}

int main(void)
{
	struct mg_errors e = { .out = stderr };
	struct export_opts o = { .format = EXPORT_WG_QUICK, .ifname = "meshgw" };
	uint8_t priv[WG_KEY_LEN], secret[WG_KEY_LEN], psk[WG_KEY_LEN];
	char want[WG_KEY_B64_LEN], png[] = "/tmp/test_export_client.XXXXXX", *s, *qr = NULL;
	const struct mg_client *c;
	size_t qrlen = 0;
	struct mg_mesh m;
	QRcode *q;
	FILE *f;
	int lines, fd;

	if (sodium_init() < 0)
		return 1;
	if (!ok(mesh_parse(&m, "mesh.conf", mesh_text, sizeof(mesh_text) - 1, &e) == 0 &&
		mesh_validate(&m, &e) == 0, "test mesh with a client parses and validates"))
		return tap_done();
	c = mesh_find_client(&m, "laptop");
	key_from_base64(priv, LAPTOP_PRIV);
	key_from_base64(secret, SECRET);
	o.private_key = priv;

	s = export_str(&m, c, &o);
	ok(s && !strcmp(s, golden), "wg-quick file of client laptop: golden");
	if (s && strcmp(s, golden))
		tap_diag("got:\n%s", s);
	free(s);

	/* A client with an Exit site and resolvers. */
	s = export_str(&m, mesh_find_client(&m, "phone"), &o);
	ok(s && strstr(s, "\nMTU = 1420\nDNS = 10.2.0.53, 2001:db8::53\n"),
	   "phone: DNS line of its resolvers in [Interface]");
	ok(s && strstr(s, "\nAllowedIPs = 10.99.0.2/32, 10.2.0.0/24, 0.0.0.0/0, ::/0\n"),
	   "phone: its Exit site beta's peer takes 0.0.0.0/0 and ::/0 too");
	ok(s && strstr(s, "\nAllowedIPs = 10.99.0.1/32, 10.1.0.0/24, 10.11.0.0/16\n") &&
	   strstr(s, "\nAllowedIPs = 10.99.0.3/32\n"), "  the other sites' peers do not");
	if (s && !strstr(s, "0.0.0.0/0"))
		tap_diag("got:\n%s", s);
	free(s);

	o.mesh_secret = secret;
	s = export_str(&m, c, &o);
	for (size_t i = 0; i < m.n_sites; i++) {
		char head[64];
		const char *start, *end, *hit;

		/* The gateway derives (self, client); the export (client, site). */
		psk_derive(psk, secret, m.sites[i].public_key, c->public_key);
		key_to_base64(want, psk);
		snprintf(head, sizeof(head), "\n# %s\n", m.sites[i].name);
		start = s ? strstr(s, head) : NULL;
		end = start ? strstr(start + 1, "\n[Peer]") : NULL;
		hit = start ? strstr(start, want) : NULL;
		ok(hit && (!end || hit < end),
		   "-s: peer %s has the PSK its gateway derives for the client", m.sites[i].name);
	}
	ok(s && !strstr(s, "ListenPort"), "no ListenPort: the client roams");
	free(s);
	o.mesh_secret = NULL;

	/* The QR code: the terminal's half blocks, then the PNG, of the same text. */
	s = export_str(&m, c, &o);
	f = open_memstream(&qr, &qrlen);
	is_int(export_qr(f, s, NULL), 0, "export_qr to a stream");
	fclose(f);
	{
		/* What the code must hold: the file less its comment lines, from
		 * [Interface] on. */
		char *t = strdup(strstr(s, "[Interface]")), *r = t, *w = t;

		while (*r) {
			size_t n = strchr(r, '\n') ? (size_t)(strchr(r, '\n') - r) + 1 : strlen(r);

			if (*r != '#') {
				memmove(w, r, n);
				w += n;
			}
			r += n;
		}
		*w = '\0';
		ok(!strstr(t, "#") && strstr(t, "PrivateKey = " LAPTOP_PRIV "\n"),
		   "the QR text: no comments, the private key");
		q = QRcode_encodeString8bit(t, 0, QR_ECLEVEL_L);
		free(t);
	}
	ok(q != NULL, "libqrencode encodes the text without its comments");
	if (q) {
		ok(blocks_shape(qr, q->width + 4, &lines),
		   "terminal: every line is %d half-block cells (code + 2-module margins)", q->width + 4);
		is_int(lines, (q->width + 4 + 1) / 2, "  two rows of modules per line");
		ok(!strncmp(qr, "\xe2\x96\x88\xe2\x96\x88", 6), "  the margin is drawn light (full blocks)");
	}
	free(qr);
	fd = mkstemp(png);
	close(fd);
	is_int(export_qr(NULL, s, png), 0, "export_qr to a PNG file");
	ok(q && png_matches(png, q, 4, 8), "PNG: 8x8 pixels per module, 4-module margin, the same modules");
	unlink(png);
	QRcode_free(q);
	free(s);

	{
		char *big = malloc(4000);

		memset(big, 'x', 3999);
		big[3999] = '\0';
		is_int(export_qr(stdout, big, NULL), -E2BIG, "text over a QR code's capacity: -E2BIG");
		free(big);
	}
	mesh_free(&m);
	return tap_done();
}
