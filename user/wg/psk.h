/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-pair WireGuard preshared keys derived from one mesh secret (MeshSecretFile). */
#pragma once
#include <stdint.h>
#include "wg/keys.h"

/* psk = BLAKE2b-256 keyed with the mesh secret over a domain label and the two
 * public keys in sorted order, so both ends derive the same key. */
void psk_derive(uint8_t psk[WG_KEY_LEN], const uint8_t secret[WG_KEY_LEN],
		const uint8_t pub_a[WG_KEY_LEN], const uint8_t pub_b[WG_KEY_LEN]);
