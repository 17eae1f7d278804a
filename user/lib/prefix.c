// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/prefix.h"

int prefix_parse(struct prefix *p, const char *s, bool allow_bare)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	char *end;

	memset(p, 0, sizeof(*p));
	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -EINVAL;
	if (!slash) {
		if (!allow_bare)
			return -EINVAL;
		p->len = p->family == AF_INET ? 32 : 128;
		return 0;
	}
	/* digits only: strtoul would accept " +7" */
	if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
		return -EINVAL;
	len = strtoul(slash + 1, &end, 10);
	if (*end || len > (p->family == AF_INET ? 32u : 128u))
		return -EINVAL;
	p->len = (uint8_t)len;
	return 0;
}

static unsigned int addr_bits(const struct prefix *p)
{
	return p->family == AF_INET ? 32 : 128;
}

/* true when a and b agree on their first n bits */
static bool same_bits(const uint8_t *a, const uint8_t *b, unsigned int n)
{
	unsigned int bytes = n / 8, rem = n % 8;

	if (memcmp(a, b, bytes))
		return false;
	if (!rem)
		return true;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

bool prefix_has_host_bits(const struct prefix *p)
{
	unsigned int total = addr_bits(p);

	for (unsigned int i = p->len; i < total; i++)
		if (p->addr[i / 8] & (0x80 >> (i % 8)))
			return true;
	return false;
}

bool prefix_overlap(const struct prefix *a, const struct prefix *b)
{
	if (a->family != b->family)
		return false;
	return same_bits(a->addr, b->addr, a->len < b->len ? a->len : b->len);
}

bool prefix_contains_addr(const struct prefix *net, const struct prefix *addr)
{
	return net->family == addr->family && same_bits(net->addr, addr->addr, net->len);
}

bool prefix_equal(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

char *prefix_addr_str(const struct prefix *p, char *buf, size_t len)
{
	if (!inet_ntop(p->family, p->addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

char *prefix_str(const struct prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", prefix_addr_str(p, a, sizeof(a)), p->len);
	return buf;
}
