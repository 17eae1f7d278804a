// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include "dataplane/dp_probe_ring.h"

/* What libbpf's callback passes on: set before each consume. */
struct ring_sink {
	void (*fn)(const struct mg_probe_event *ev, void *ctx);
	void *ctx;
};

static int on_record(void *ctx, void *data, size_t size)
{
	const struct ring_sink *s = ctx;

	/* Smaller: written by a build with another layout (never so far); skip. */
	if (s->fn && size >= sizeof(struct mg_probe_event))
		s->fn(data, s->ctx);
	return 0;
}

int dp_probe_ring_drain(struct dp_maps *m, void (*fn)(const struct mg_probe_event *ev, void *ctx),
			void *ctx)
{
	struct ring_sink *s;
	int n;

	if (m->fd.probe_ring < 0)
		return -ENOENT;
	if (!m->probe_sink) {
		m->probe_sink = calloc(1, sizeof(*s));
		if (!m->probe_sink)
			return -ENOMEM;
	}
	s = m->probe_sink;
	if (!m->probe_rb) {
		/* maps the ring (libbpf 1.0: NULL with errno set) */
		m->probe_rb = ring_buffer__new(m->fd.probe_ring, on_record, s, NULL);
		if (!m->probe_rb)
			return errno ? -errno : -EINVAL;
	}
	s->fn = fn;
	s->ctx = ctx;
	n = ring_buffer__consume(m->probe_rb);
	s->fn = NULL;
	return n;
}

int dp_probe_ring_overflowed(struct dp_maps *m)
{
	static const enum mg_stat which[] = { MG_STAT_XDP_PROBE_UNQUEUED, MG_STAT_TC_PROBE_UNQUEUED };

	return dp_stats_moved(m, &m->unqueued, which, sizeof(which) / sizeof(which[0]));
}

void dp_probe_ring_close(struct dp_maps *m)
{
	ring_buffer__free(m->probe_rb);
	m->probe_rb = NULL;
	free(m->probe_sink);
	m->probe_sink = NULL;
	m->unqueued = (struct dp_stats_watch){ 0 };
}
