// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>
#include <sodium.h>
#include "wg/psk.h"

/* Domain label: a derived PSK can never equal a hash made for another purpose. */
static const char psk_label[] = "meshgw v1 pairwise preshared key";

void psk_derive(uint8_t psk[WG_KEY_LEN], const uint8_t secret[WG_KEY_LEN],
		const uint8_t pub_a[WG_KEY_LEN], const uint8_t pub_b[WG_KEY_LEN])
{
	crypto_generichash_state st;
	const uint8_t *lo = pub_a, *hi = pub_b;

	if (memcmp(pub_a, pub_b, WG_KEY_LEN) > 0) {
		lo = pub_b;
		hi = pub_a;
	}
	crypto_generichash_init(&st, secret, WG_KEY_LEN, WG_KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)psk_label, sizeof(psk_label) - 1);
	crypto_generichash_update(&st, lo, WG_KEY_LEN);
	crypto_generichash_update(&st, hi, WG_KEY_LEN);
	crypto_generichash_final(&st, psk, WG_KEY_LEN);
	sodium_memzero(&st, sizeof(st));
}
