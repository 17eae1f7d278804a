// SPDX-License-Identifier: GPL-2.0-only
/* Prefix parsing, host bits, overlap and containment at the edges: /0, /32, /128,
 * IPv4 against IPv6, garbage. */
#include <arpa/inet.h>
#include <errno.h>
#include "tap.h"
#include "lib/prefix.h"

static struct prefix P(const char *s)
{
	struct prefix p;

	if (prefix_parse(&p, s, true))
		tap_diag("test prefix %s did not parse", s);
	return p;
}

static bool overlap(const char *a, const char *b)
{
	struct prefix x = P(a), y = P(b);

	return prefix_overlap(&x, &y) && prefix_overlap(&y, &x);
}

static bool no_overlap(const char *a, const char *b)
{
	struct prefix x = P(a), y = P(b);

	return !prefix_overlap(&x, &y) && !prefix_overlap(&y, &x);
}

static bool host_bits(const char *s)
{
	struct prefix p = P(s);

	return prefix_has_host_bits(&p);
}

int main(void)
{
	static const char *const good[] = {
		"0.0.0.0/0", "10.0.0.0/8", "192.168.1.0/24", "255.255.255.255/32", "1.2.3.4/32",
		"::/0", "fd00::/8", "2001:db8::/32", "::1/128", "::ffff:10.0.0.0/104",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
	};
	static const char *const bad[] = {
		"", "/", "/24", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/+8",
		"10.0.0.0/ 8", "10.0.0.0 /8", " 10.0.0.0/8", "10.0.0.0/8 ", "10.0.0.0/8x",
		"10.0.0.0/0008", "10.0.0/8", "10.0.0.0.0/8", "256.0.0.0/8", "010.0.0.0/8",
		"garbage", "fd00::/8/8", "fd00:::/8", "[fd00::]/8", "10.0.0.0/99999999999999999999",
		"gggg::/16", "1.2.3.4/32\t",
	};
	struct prefix p, q;
	char buf[PREFIX_STR_MAX];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int r = prefix_parse(&p, good[i], false);

		ok(r == 0 && !strcmp(prefix_str(&p, buf, sizeof(buf)), good[i]),
		   "'%s' parses and prints back", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(prefix_parse(&p, bad[i], true) == -EINVAL, "'%s' rejected", bad[i]);

	ok(prefix_parse(&p, "10.0.0.1", false) == -EINVAL, "bare address rejected without allow_bare");
	ok(!prefix_parse(&p, "10.0.0.1", true) && p.family == AF_INET && p.len == 32,
	   "bare IPv4 address is a /32");
	ok(!prefix_parse(&p, "fd00::1", true) && p.family == AF_INET6 && p.len == 128,
	   "bare IPv6 address is a /128");
	is_str(prefix_addr_str(&p, buf, sizeof(buf)), "fd00::1", "address printed without length");

	/* host bits */
	ok(host_bits("10.0.0.1/24"), "10.0.0.1/24 has host bits");
	ok(!host_bits("10.0.0.0/24"), "10.0.0.0/24 has none");
	ok(!host_bits("0.0.0.0/0"), "0.0.0.0/0 has none");
	ok(host_bits("1.0.0.0/0"), "1.0.0.0/0 has host bits");
	ok(host_bits("128.0.0.0/0"), "128.0.0.0/0 has host bits (top bit)");
	ok(!host_bits("255.255.255.255/32"), "a /32 never has host bits");
	ok(host_bits("10.0.0.128/24") && !host_bits("10.0.0.128/25"), "/24 vs /25 boundary");
	ok(!host_bits("::1/128"), "a /128 never has host bits");
	ok(host_bits("::1/127") && !host_bits("::2/127"), "/127 boundary");
	ok(host_bits("2001:db8::1/64"), "2001:db8::1/64 has host bits");
	ok(!host_bits("::/0") && host_bits("8000::/0"), "::/0 none, 8000::/0 some");

	/* overlap */
	ok(overlap("0.0.0.0/0", "10.0.0.0/8"), "/0 overlaps everything of its family");
	ok(overlap("0.0.0.0/0", "255.255.255.255/32"), "/0 overlaps a /32");
	ok(overlap("::/0", "2001:db8::1/128"), "::/0 overlaps a /128");
	ok(no_overlap("0.0.0.0/0", "::/0"), "IPv4 and IPv6 never overlap, even /0");
	ok(no_overlap("10.0.0.0/8", "::ffff:10.0.0.0/104"), "IPv4 vs IPv4-mapped IPv6: different families");
	ok(overlap("192.168.0.0/16", "192.168.1.0/24"), "containment overlaps");
	ok(overlap("192.168.1.0/24", "192.168.1.0/24"), "equal prefixes overlap");
	ok(no_overlap("10.0.0.0/25", "10.0.0.128/25"), "adjacent halves do not overlap");
	ok(no_overlap("192.168.0.0/24", "192.168.1.0/24"), "neighbouring /24s do not overlap");
	ok(no_overlap("1.2.3.4/32", "1.2.3.5/32"), "different /32s");
	ok(overlap("1.2.3.4/32", "1.2.3.4/32"), "same /32");
	ok(no_overlap("fd00::/8", "fe80::/10"), "disjoint IPv6");
	ok(overlap("10.0.0.1/24", "10.0.0.200/25"), "host bits do not hide an overlap");

	/* containment and equality */
	p = P("10.0.0.0/24");
	q = P("10.0.0.77");
	ok(prefix_contains_addr(&p, &q), "10.0.0.77 inside 10.0.0.0/24");
	q = P("10.0.1.1");
	ok(!prefix_contains_addr(&p, &q), "10.0.1.1 outside 10.0.0.0/24");
	q = P("::ffff:10.0.0.1");
	ok(!prefix_contains_addr(&p, &q), "IPv6 address never inside an IPv4 network");
	p = P("0.0.0.0/0");
	q = P("203.0.113.9");
	ok(prefix_contains_addr(&p, &q), "everything inside /0");
	p = P("10.0.0.0/24");
	q = P("10.0.0.0/25");
	ok(!prefix_equal(&p, &q), "different lengths are not equal");
	q = P("10.0.0.0/24");
	ok(prefix_equal(&p, &q), "equal prefixes");
	return tap_done();
}
