/* SPDX-License-Identifier: GPL-2.0-only */
/* Packet builder for the BPF_PROG_TEST_RUN tables: Ethernet (+ one VLAN tag),
 * IPv4/IPv6, UDP/ICMP, checksums computed from scratch so the expected output of
 * a test is built independently of the program's incremental updates. */
#pragma once
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "meshgw_probe.h"

enum pl_kind { PL_NONE, PL_RAW, PL_PROBE_REQ, PL_PROBE_REPLY };

#define PKT_PAYLOAD_MAX 8192		/* jumbo frames for the multi-buffer tests */

struct pkt_spec {
	int family;			/* 4 or 6 */
	bool vlan;
	const char *src, *dst;		/* address literals */
	uint8_t proto;			/* 17 UDP, 1 ICMP, 58 ICMPv6, 6 TCP */
	uint16_t sport, dport;
	enum pl_kind pl;
	uint16_t pl_len;		/* PL_RAW payload length, at most PKT_PAYLOAD_MAX */
	uint32_t seq;
	uint64_t tx_ns;
	const uint8_t *tag;		/* 16 bytes for probes */
	uint8_t ttl;			/* 0 = 64 */
	uint16_t frag;			/* IPv4 frag_off field (host order) */
	uint8_t ihl;			/* 0 = 5; >5 adds NOP options */
	uint8_t v6_ext;			/* IPv6 extension header before UDP (0 = none) */
	bool v6_hbh;			/* a hop-by-hop header (type 0) instead */
	bool swap;			/* build the reply direction: MACs, addresses, ports swapped */
	bool no_udp_csum;		/* IPv4 UDP checksum 0 */
	bool udp_csum_partial;		/* UDP checksum as an offloading sender leaves it (CHECKSUM_PARTIAL:
					 * the pseudo-header sum only), as a veth delivers it */
	const uint8_t *smac, *dmac;	/* NULL = defaults */
	uint32_t magic;			/* override the probe magic (0 = by kind) */
};

static const uint8_t MAC_HOST[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t MAC_GW[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static uint32_t csum_add(uint32_t s, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (b[i] << 8) | b[i + 1];
	if (n & 1)
		s += b[n - 1] << 8;
	return s;
}

static uint16_t csum_fin(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s & 0xffff);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }

/* Builds the frame into buf; returns its length. */
static size_t pkt_build(uint8_t *buf, const struct pkt_spec *s)
{
	uint8_t saddr[16], daddr[16], *l4, *ip;
	size_t off = 12, iphl, l4len, pll = 0;
	int af = s->family == 4 ? AF_INET : AF_INET6;
	const uint8_t *sm = s->smac ? s->smac : MAC_HOST, *dm = s->dmac ? s->dmac : MAC_GW;
	uint16_t sport = s->sport, dport = s->dport;
	uint8_t payload[PKT_PAYLOAD_MAX] = { 0 };

	inet_pton(af, s->swap ? s->dst : s->src, saddr);
	inet_pton(af, s->swap ? s->src : s->dst, daddr);
	if (s->swap) {
		const uint8_t *t = sm;

		sm = dm;
		dm = t;
		sport = s->dport;
		dport = s->sport;
	}
	memset(buf, 0, 512);
	memcpy(buf, dm, 6);
	memcpy(buf + 6, sm, 6);
	if (s->vlan) {
		put16(buf + off, 0x8100);
		put16(buf + off + 2, 42);
		off += 4;
	}
	put16(buf + off, s->family == 4 ? 0x0800 : 0x86dd);
	off += 2;
	ip = buf + off;

	if (s->pl == PL_RAW) {
		pll = s->pl_len < PKT_PAYLOAD_MAX ? s->pl_len : PKT_PAYLOAD_MAX;
		for (size_t i = 0; i < pll; i++)
			payload[i] = i;
	} else if (s->pl == PL_PROBE_REQ || s->pl == PL_PROBE_REPLY) {
		struct mg_probe p = { .seq = s->seq, .tx_ns = s->tx_ns };

		p.magic = s->magic ? s->magic :
			  ((s->pl == PL_PROBE_REQ) ^ s->swap ? MG_PROBE_REQUEST : MG_PROBE_REPLY);
		if (s->tag)
			memcpy(p.tag, s->tag, 16);
		memcpy(payload, &p, sizeof(p));
		pll = s->pl_len ? s->pl_len : sizeof(p);
	}

	if (s->family == 4) {
		iphl = 4 * (s->ihl > 5 ? s->ihl : 5);
		memset(ip + 20, 1, iphl - 20);	/* NOP options */
	} else {
		iphl = 40 + (s->v6_ext || s->v6_hbh ? 8 : 0);
	}
	l4 = ip + iphl;
	l4len = (s->proto == 17 ? 8 : 4) + pll;
	if (s->proto == 17) {
		put16(l4, sport);
		put16(l4 + 2, dport);
		put16(l4 + 4, l4len);
		memcpy(l4 + 8, payload, pll);
	} else {
		l4[0] = s->family == 4 ? 8 : 128;	/* echo request */
		memcpy(l4 + 4, payload, pll);
	}
	if (s->family == 4) {
		uint32_t sum;

		ip[0] = 0x40 | (iphl / 4);
		put16(ip + 2, iphl + l4len);
		put16(ip + 6, s->frag);
		ip[8] = s->ttl ? s->ttl : 64;
		ip[9] = s->proto;
		memcpy(ip + 12, saddr, 4);
		memcpy(ip + 16, daddr, 4);
		memcpy(ip + 10, (uint16_t[]){ csum_fin(csum_add(0, ip, iphl)) }, 2);
		if (s->ihl && s->ihl < 5)
			ip[0] = 0x40 | s->ihl;	/* hostile: too short an IHL */
		sum = csum_add(0, saddr, 4);
		sum = csum_add(sum, daddr, 4);
		sum += s->proto + l4len;
		if (s->proto == 17 && s->udp_csum_partial) {
			uint16_t c = ~csum_fin(sum);

			memcpy(l4 + 6, &c, 2);
		} else if (s->proto == 17 && !s->no_udp_csum) {
			uint16_t c = csum_fin(csum_add(sum, l4, l4len));

			memcpy(l4 + 6, &c, 2);
			if (!c)
				memset(l4 + 6, 0xff, 2);
		} else if (s->proto == 1) {
			uint16_t c = csum_fin(csum_add(0, l4, l4len));

			memcpy(l4 + 2, &c, 2);
		}
	} else {
		uint32_t sum;
		uint16_t c;

		ip[0] = 0x60;
		put16(ip + 4, iphl - 40 + l4len);
		ip[6] = s->v6_hbh ? 0 : s->v6_ext ? s->v6_ext : s->proto;
		ip[7] = s->ttl ? s->ttl : 64;
		memcpy(ip + 8, saddr, 16);
		memcpy(ip + 24, daddr, 16);
		if (s->v6_ext || s->v6_hbh)
			ip[40] = s->proto;	/* ext header: next header, len 0, zeros */
		sum = csum_add(0, saddr, 16);
		sum = csum_add(sum, daddr, 16);
		sum += s->proto + l4len;
		c = s->udp_csum_partial ? (uint16_t)~csum_fin(sum) : csum_fin(csum_add(sum, l4, l4len));
		if (s->proto == 17) {
			memcpy(l4 + 6, &c, 2);
			if (!c)
				memset(l4 + 6, 0xff, 2);
		} else {
			memcpy(l4 + 2, &c, 2);
		}
	}
	return off + iphl + l4len;
}
