// SPDX-License-Identifier: GPL-2.0-only
/* Per-pair preshared keys from the mesh secret: symmetric in the two public keys,
 * different for any other secret or pair, and equal to known answers computed
 * independently (Python: hashlib.blake2b(label + lo + hi, key=secret, digest_size=32),
 * lo/hi the two public keys in byte order, label from user/wg/psk.c). */
#include <sodium.h>
#include "tap.h"
#include "wg/keys.h"
#include "wg/psk.h"

static void b64(const char *s, uint8_t k[WG_KEY_LEN])
{
	if (key_from_base64(k, s))
		tap_diag("bad test key %s", s);
}

int main(void)
{
	uint8_t secret[WG_KEY_LEN], other[WG_KEY_LEN], a[WG_KEY_LEN], b[WG_KEY_LEN], c[WG_KEY_LEN];
	uint8_t ab[WG_KEY_LEN], ba[WG_KEY_LEN], x[WG_KEY_LEN], want[WG_KEY_LEN];
	char hex[2 * WG_KEY_LEN + 1], s64[WG_KEY_B64_LEN];

	if (sodium_init() < 0)
		return 1;

	/* Vector 1: secret 00 01 .. 1f, keys 11.. and 22.. */
	for (int i = 0; i < WG_KEY_LEN; i++) {
		secret[i] = (uint8_t)i;
		a[i] = 0x11;
		b[i] = 0x22;
	}
	psk_derive(ab, secret, a, b);
	key_to_hex(hex, ab);
	is_str(hex, "365a20ef9818c488dc0c563ff9eb2f1c0950dd4c8dfa56e9cf2f957973f5bf48",
	       "known answer: secret 00..1f, keys 11.. and 22..");
	psk_derive(ba, secret, b, a);
	ok(!memcmp(ab, ba, WG_KEY_LEN), "both orders give the same key");

	/* Vector 2: the three-site example's secret and its site1/site2 keys. */
	b64("3zAzqYvtE9syOTNxCwy9z3moCQzXzD34uY3ZkM7gVq8=", secret);
	b64("vKvkxNPhWuOP/dqdASJMikzon5z6NrepfNuV4BtQmUg=", a);
	b64("T/ch48Tb4geCwDLDWA+0W7OTn6U4xrTjm32HhZc6gHM=", b);
	b64("lHzfasnNjbPC+sQH3hJNnnV5A/8YU44uB9SGz3ICY8o=", want);
	psk_derive(ab, secret, a, b);
	key_to_base64(s64, ab);
	is_str(s64, "lHzfasnNjbPC+sQH3hJNnnV5A/8YU44uB9SGz3ICY8o=", "known answer: example site1/site2");
	psk_derive(ba, secret, b, a);
	ok(!memcmp(ba, want, WG_KEY_LEN), "site2 derives what site1 derives");

	/* Anything else changes the key. */
	memcpy(other, secret, WG_KEY_LEN);
	other[31] ^= 1;
	psk_derive(x, other, a, b);
	ok(memcmp(x, ab, WG_KEY_LEN), "another secret (one bit) gives another key");
	b64("mK7dd3vCHOs5Rs5i6hlaAPEFgVMzx8Y7i9uYoTXz3Qg=", c);
	psk_derive(x, secret, a, c);
	ok(memcmp(x, ab, WG_KEY_LEN), "another pair (site1/site3) gives another key");
	psk_derive(x, secret, b, c);
	ok(memcmp(x, ab, WG_KEY_LEN), "another pair (site2/site3) gives another key");
	psk_derive(x, secret, a, a);
	ok(memcmp(x, ab, WG_KEY_LEN) && !key_is_zero(x), "a key with itself: defined, distinct");
	ok(!key_is_zero(ab), "derived key is not zero");

	/* Random pairs: symmetric every time. */
	{
		int sym = 1;

		for (int i = 0; i < 1000; i++) {
			randombytes_buf(secret, sizeof(secret));
			randombytes_buf(a, sizeof(a));
			randombytes_buf(b, sizeof(b));
			psk_derive(ab, secret, a, b);
			psk_derive(ba, secret, b, a);
			sym &= !memcmp(ab, ba, WG_KEY_LEN);
		}
		ok(sym, "1000 random pairs: symmetric");
	}
	return tap_done();
}
