/* SPDX-License-Identifier: GPL-2.0-only */
/* WireGuard keys: Curve25519, 32 bytes, base64 on the wire (44 chars), exactly as wg(8). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WG_KEY_LEN 32
#define WG_KEY_B64_LEN 45	/* 44 chars + NUL */

int key_from_base64(uint8_t key[WG_KEY_LEN], const char *b64);	/* 0 or -EINVAL */
void key_to_base64(char out[WG_KEY_B64_LEN], const uint8_t key[WG_KEY_LEN]);
int key_from_hex(uint8_t key[WG_KEY_LEN], const char *hex);	/* 0 or -EINVAL */
void key_to_hex(char out[2 * WG_KEY_LEN + 1], const uint8_t key[WG_KEY_LEN]);
bool key_is_zero(const uint8_t key[WG_KEY_LEN]);

void key_generate_private(uint8_t key[WG_KEY_LEN]);	/* random, clamped like wg genkey */
void key_generate_psk(uint8_t key[WG_KEY_LEN]);
/* 0, or -EINVAL when the result is the all-zero point (a degenerate key). */
int key_public_from_private(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN]);

/* Reads one base64 key from a file. With must_be_private, a file readable by group
 * or others is refused. 0 or -errno; on failure *err names the problem. */
int key_read_file(uint8_t key[WG_KEY_LEN], const char *path, bool must_be_private,
		  char *err, size_t errlen);

void key_wipe(void *buf, size_t len);
