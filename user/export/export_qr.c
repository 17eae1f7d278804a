// SPDX-License-Identifier: GPL-2.0-only
/* meshgw export -f qr: a wg-quick file as a QR code for the WireGuard phone apps
 * ("create from QR code"), encoded by libqrencode. On the terminal: UTF-8 half
 * blocks, two rows of modules per text line. As a picture (-o FILE.png): a
 * grayscale PNG written here with zlib, which meshgw links already, rather than
 * one more library. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <qrencode.h>
#include <zlib.h>
#include "export/export.h"

#define QR_TERM_MARGIN 2	/* modules of quiet zone on a terminal (as qrencode's UTF8) */
#define QR_PNG_MARGIN  4	/* the standard's quiet zone, in a picture */
#define QR_PNG_SCALE   8	/* pixels per module */

/* text without its comment lines (and their newlines), nor the blank lines that
 * led to the first section. */
static char *strip_comments(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;

	if (!out)
		return NULL;
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) + 1 : strlen(text);

		if (text[0] != '#' && !(o == out && text[0] == '\n')) {
			memcpy(o, text, n);
			o += n;
		}
		text += n;
	}
	*o = '\0';
	return out;
}

/* Dark module at (x, y) of the code drawn with a margin; outside is light. */
static bool dark(const QRcode *q, int margin, int x, int y)
{
	x -= margin;
	y -= margin;
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return false;
	return q->data[y * q->width + x] & 1;
}

/* Light modules drawn: on a dark terminal the code reads dark on light, as the
 * scanners expect. */
static int print_blocks(FILE *out, const QRcode *q)
{
	int size = q->width + 2 * QR_TERM_MARGIN;

	for (int y = 0; y < size; y += 2) {
		for (int x = 0; x < size; x++) {
			bool top = !dark(q, QR_TERM_MARGIN, x, y);
			bool bottom = y + 1 < size && !dark(q, QR_TERM_MARGIN, x, y + 1);

			fputs(top && bottom ? "\xe2\x96\x88" :		/* U+2588 full block */
			      top ? "\xe2\x96\x80" :			/* U+2580 upper half */
			      bottom ? "\xe2\x96\x84" : " ", out);	/* U+2584 lower half */
		}
		fputc('\n', out);
	}
	return fflush(out) || ferror(out) ? -EIO : 0;
}

static int chunk(FILE *f, const char *type, const uint8_t *data, uint32_t len)
{
	uint32_t be = htonl(len), crc = (uint32_t)crc32(0, (const Bytef *)type, 4);

	if (len)
		crc = (uint32_t)crc32(crc, data, len);
	crc = htonl(crc);
	if (fwrite(&be, 4, 1, f) != 1 || fwrite(type, 4, 1, f) != 1 ||
	    (len && fwrite(data, len, 1, f) != 1) || fwrite(&crc, 4, 1, f) != 1)
		return -EIO;
	return 0;
}

/* 8-bit grayscale, no interlace: each row is a filter byte (0, none) and the
 * pixels; the rows deflated into one IDAT. */
static int write_png(const char *path, const QRcode *q)
{
	uint32_t size = (uint32_t)(q->width + 2 * QR_PNG_MARGIN) * QR_PNG_SCALE;
	size_t rowlen = size + 1, rawlen = rowlen * size;
	uLongf zlen = compressBound(rawlen);
	uint8_t *raw = malloc(rawlen), *z = malloc(zlen), ihdr[13];
	int ret = -ENOMEM, fd;
	FILE *f = NULL;

	if (!raw || !z)
		goto out;
	for (uint32_t y = 0; y < size; y++) {
		uint8_t *row = raw + y * rowlen;

		row[0] = 0;
		for (uint32_t x = 0; x < size; x++)
			row[1 + x] = dark(q, QR_PNG_MARGIN, (int)(x / QR_PNG_SCALE),
					  (int)(y / QR_PNG_SCALE)) ? 0 : 255;
	}
	if (compress2(z, &zlen, raw, rawlen, Z_BEST_COMPRESSION) != Z_OK) {
		ret = -EIO;
		goto out;
	}
	/* It holds a private key: readable by its owner only, as the key file. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	*(uint32_t *)(void *)ihdr = htonl(size);
	*(uint32_t *)(void *)(ihdr + 4) = htonl(size);
	ihdr[8] = 8;		/* bit depth */
	ihdr[9] = 0;		/* grayscale */
	ihdr[10] = ihdr[11] = ihdr[12] = 0;	/* deflate, adaptive filtering, no interlace */
	ret = fwrite("\x89PNG\r\n\x1a\n", 8, 1, f) == 1 ? 0 : -EIO;
	if (!ret)
		ret = chunk(f, "IHDR", ihdr, sizeof(ihdr));
	if (!ret)
		ret = chunk(f, "IDAT", z, (uint32_t)zlen);
	if (!ret)
		ret = chunk(f, "IEND", NULL, 0);
	if (fclose(f) && !ret)
		ret = -errno;
out:
	free(raw);
	free(z);
	return ret;
}

int export_qr(FILE *out, const char *text, const char *png_path)
{
	char *s = strip_comments(text);
	QRcode *q;
	int ret;

	if (!s)
		return -ENOMEM;
	/* Byte mode, lowest error correction: the most text per code; a screen or
	 * a print is not a damaged label. */
	q = QRcode_encodeString8bit(s, 0, QR_ECLEVEL_L);
	free(s);
	if (!q)
		return errno == ERANGE ? -E2BIG : errno ? -errno : -ENOMEM;
	ret = png_path ? write_png(png_path, q) : print_blocks(out, q);
	QRcode_free(q);
	return ret;
}
