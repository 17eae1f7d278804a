// SPDX-License-Identifier: GPL-2.0-only
/* Keys: base64/hex round trips, bad encodings, public key derivation against
 * RFC 7748 test vectors, private key file permissions, PSK derivation symmetry. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "tap.h"
#include "wg/keys.h"

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		perror(path);
	fchmod(fd, mode);
	close(fd);
}

int main(void)
{
	/* RFC 7748 section 6.1: Alice's private and public key. */
	static const char *alice_priv_hex =
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
	static const char *alice_pub_hex =
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN], back[WG_KEY_LEN], want[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN], line[64], hex[2 * WG_KEY_LEN + 1], err[256];
	char path[] = "/tmp/meshgw-test-keys-XXXXXX";
	int fd;

	if (sodium_init() < 0)
		return 1;

	ok(!key_from_hex(priv, alice_priv_hex), "hex private key parses");
	ok(!key_from_hex(want, alice_pub_hex), "hex public key parses");
	ok(!key_public_from_private(pub, priv), "public key derived");
	ok(!memcmp(pub, want, WG_KEY_LEN), "public key matches RFC 7748 vector");
	key_to_hex(hex, pub);
	is_str(hex, alice_pub_hex, "hex encoding round trips");

	key_to_base64(b64, pub);
	is_int(strlen(b64), 44, "base64 key is 44 characters");
	ok(!key_from_base64(back, b64) && !memcmp(back, pub, WG_KEY_LEN), "base64 round trips");

	/* Bad encodings: wrong length, bad alphabet, missing pad, trailing bits set. */
	ok(key_from_base64(back, "") == -EINVAL, "empty base64 rejected");
	ok(key_from_base64(back, "abc=") == -EINVAL, "short base64 rejected");
	b64[10] = '*';
	ok(key_from_base64(back, b64) == -EINVAL, "bad base64 character rejected");
	key_to_base64(b64, pub);
	b64[43] = 'A';
	ok(key_from_base64(back, b64) == -EINVAL, "base64 without '=' pad rejected");
	ok(key_from_base64(back, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=") == -EINVAL,
	   "base64 with non-zero padding bits rejected");
	ok(key_from_hex(back, "00") == -EINVAL, "short hex rejected");
	ok(key_from_hex(back, "zz076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a") == -EINVAL,
	   "bad hex rejected");

	memset(priv, 0, sizeof(priv));
	ok(key_public_from_private(pub, priv) == -EINVAL || !key_is_zero(pub),
	   "all-zero private key never yields a zero public key silently");

	key_generate_private(priv);
	ok((priv[0] & 7) == 0 && (priv[31] & 0xc0) == 0x40, "generated private key is clamped");
	key_generate_psk(back);
	ok(!key_is_zero(back), "generated psk is not zero");

	/* Private key files. */
	fd = mkstemp(path);
	close(fd);
	key_to_base64(b64, priv);
	snprintf(line, sizeof(line), "%s\n", b64);
	write_file(path, line, 0600);
	ok(!key_read_file(back, path, true, err, sizeof(err)) && !memcmp(back, priv, WG_KEY_LEN),
	   "0600 key file with trailing newline is read");
	chmod(path, 0644);
	ok(key_read_file(back, path, true, err, sizeof(err)) == -EPERM, "0644 private key file refused");
	ok(strstr(err, "chmod 600") != NULL, "refusal says how to fix it");
	tap_diag("%s", err);
	ok(!key_read_file(back, path, false, err, sizeof(err)), "0644 accepted for a non-secret read");
	write_file(path, "not a key\n", 0600);
	ok(key_read_file(back, path, true, err, sizeof(err)) == -EINVAL, "garbage key file rejected");
	ok(strstr(err, path) != NULL, "error names the file");
	unlink(path);
	ok(key_read_file(back, path, true, err, sizeof(err)) == -ENOENT, "missing key file: ENOENT");
	return tap_done();
}
