/* SPDX-License-Identifier: GPL-2.0-only */
/* What test_bpf_xdp and test_bpf_tc share around the programs they run: the
 * mesh tag they configure, reading the counters back, the endpoint key of an
 * address, the probe replies queued in mg_probe_ring, a byte diff for a packet
 * that came out wrong. */
#pragma once
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "meshgw_bpf.h"
#include "tap.h"

#define WG_PORT 51820
#define PROBE_PORT 40000

static const uint8_t TAG[16] = "mesh-tag-0123456";
static const uint8_t BADTAG[16] = "mesh-tag-0123457";	/* one byte off */

static int ncpus;	/* possible CPUs (the per-CPU maps' width): set by main first */

/* Packets per verdict (mg_stats), summed over CPUs. */
static void read_stats(int fd, uint64_t out[MG_STAT__MAX])
{
	struct mg_counter v[ncpus];

	for (uint32_t i = 0; i < MG_STAT__MAX; i++) {
		out[i] = 0;
		if (!bpf_map_lookup_elem(fd, &i, v))
			for (int c = 0; c < ncpus; c++)
				out[i] += v[c].packets;
	}
}

/* The mg_ep_stats / mg_known_eps key of an address ("a.b.c.d" or "x::y"). */
static void ep_key(struct mg_ep_key *k, const char *a)
{
	memset(k, 0, sizeof(*k));
	if (strchr(a, ':')) {
		inet_pton(AF_INET6, a, k->addr);
		k->family = AF_INET6;
	} else {
		k->addr[10] = k->addr[11] = 0xff;
		inet_pton(AF_INET, a, k->addr + 12);
		k->family = AF_INET;
	}
}

static void hexdump_diff(const uint8_t *got, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			tap_diag("  byte %zu: got %02x want %02x", i, got[i], want[i]);
}

/* mg_probe_ring, drained by ring_drain(): how many records, and the last. */
static struct ring_buffer *ring;
static struct mg_probe_event ring_last;
static int ring_n, ring_short;

static int ring_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size != sizeof(ring_last)) {
		ring_short++;
		return 0;
	}
	memcpy(&ring_last, data, sizeof(ring_last));
	ring_n++;
	return 0;
}

/* 0 or -errno: the ring of the loaded object, mapped. */
static int ring_open(int fd)
{
	ring = ring_buffer__new(fd, ring_record, NULL, NULL);
	return ring ? 0 : -errno;
}

/* The records queued since the last call (-1 when the ring is not open). */
static int ring_drain(void)
{
	ring_n = ring_short = 0;
	if (!ring || ring_buffer__consume(ring) < 0)
		return -1;
	return ring_n;
}

/* Is the last record for source address a (as ep_key keys it) and port? */
static int ring_last_is(const char *a, uint16_t port)
{
	struct mg_ep_key k;

	ep_key(&k, a);
	return !ring_short && !memcmp(ring_last.addr, k.addr, 16) &&
	       ring_last.family == k.family && ring_last.port == port && !ring_last.pad;
}
