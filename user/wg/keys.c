// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "wg/keys.h"

int key_from_base64(uint8_t key[WG_KEY_LEN], const char *b64)
{
	size_t bin_len = 0;
	const char *end;

	/* Exactly 44 characters, one '=' pad, like wg's key_from_base64. */
	if (strlen(b64) != WG_KEY_B64_LEN - 1 || b64[WG_KEY_B64_LEN - 2] != '=')
		return -EINVAL;
	if (sodium_base642bin(key, WG_KEY_LEN, b64, WG_KEY_B64_LEN - 1, NULL, &bin_len, &end,
			      sodium_base64_VARIANT_ORIGINAL) || bin_len != WG_KEY_LEN ||
	    *end != '\0') {
		sodium_memzero(key, WG_KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

void key_to_base64(char out[WG_KEY_B64_LEN], const uint8_t key[WG_KEY_LEN])
{
	sodium_bin2base64(out, WG_KEY_B64_LEN, key, WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

int key_from_hex(uint8_t key[WG_KEY_LEN], const char *hex)
{
	size_t bin_len = 0;
	const char *end;

	if (strlen(hex) != 2 * WG_KEY_LEN ||
	    sodium_hex2bin(key, WG_KEY_LEN, hex, 2 * WG_KEY_LEN, NULL, &bin_len, &end) ||
	    bin_len != WG_KEY_LEN)
		return -EINVAL;
	return 0;
}

void key_to_hex(char out[2 * WG_KEY_LEN + 1], const uint8_t key[WG_KEY_LEN])
{
	sodium_bin2hex(out, 2 * WG_KEY_LEN + 1, key, WG_KEY_LEN);
}

bool key_is_zero(const uint8_t key[WG_KEY_LEN])
{
	return sodium_is_zero(key, WG_KEY_LEN);
}

void key_generate_psk(uint8_t key[WG_KEY_LEN])
{
	randombytes_buf(key, WG_KEY_LEN);
}

void key_generate_private(uint8_t key[WG_KEY_LEN])
{
	randombytes_buf(key, WG_KEY_LEN);
	/* Curve25519 clamping, as wg genkey stores it. */
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
}

int key_public_from_private(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN])
{
	/* libsodium clamps a copy of the scalar, as the kernel does. */
	return crypto_scalarmult_curve25519_base(pub, priv) ? -EINVAL : 0;
}

void key_wipe(void *buf, size_t len)
{
	sodium_memzero(buf, len);
}

int key_read_file(uint8_t key[WG_KEY_LEN], const char *path, bool must_be_private,
		  char *err, size_t errlen)
{
	char buf[128];
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (must_be_private && (st.st_mode & 077)) {
		snprintf(err, errlen,
			 "%s: key file is accessible by group or others (mode %04o); "
			 "fix with: chmod 600 %s", path, st.st_mode & 07777, path);
		ret = -EPERM;
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (key_from_base64(key, buf)) {
		snprintf(err, errlen, "%s: not a base64 WireGuard key (44 characters ending in '=')",
			 path);
		ret = -EINVAL;
	}
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return ret;
}
