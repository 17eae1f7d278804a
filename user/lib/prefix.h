/* SPDX-License-Identifier: GPL-2.0-only */
/* IPv4/IPv6 addresses and prefixes: parsing, printing, containment, overlap. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PREFIX_STR_MAX 50	/* INET6_ADDRSTRLEN + "/128" */

struct prefix {
	uint8_t family;		/* AF_INET or AF_INET6; 0 = unset */
	uint8_t len;		/* prefix length in bits */
	uint8_t addr[16];	/* network byte order; IPv4 uses the first 4 bytes */
};

/* "a.b.c.d/n", "x::y/n"; with allow_bare an address without "/n" is /32 or /128.
 * 0 or -EINVAL. Host bits are kept so the caller can report them. */
int prefix_parse(struct prefix *p, const char *s, bool allow_bare);
bool prefix_has_host_bits(const struct prefix *p);
bool prefix_overlap(const struct prefix *a, const struct prefix *b);
bool prefix_contains_addr(const struct prefix *net, const struct prefix *addr);
bool prefix_equal(const struct prefix *a, const struct prefix *b);
/* Formats as "addr/len" (always with the length). Returns buf. */
char *prefix_str(const struct prefix *p, char *buf, size_t len);
/* Formats just the address. Returns buf. */
char *prefix_addr_str(const struct prefix *p, char *buf, size_t len);
