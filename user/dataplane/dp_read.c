// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "dataplane/dp_read.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* the kernel's "no such operation for this map type" */
#endif

#define CHUNK 4096u	/* entries asked for per call */
#define TOKEN 64	/* bytes of the resume token: a key (LPM trie), a bucket (hash) */

long dp_map_read_all(int fd, size_t ksize, size_t vsize, void **keys, void **vals)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	unsigned char in[TOKEN], out[TOKEN];
	size_t n = 0, cap = 0, chunk = CHUNK;
	bool first = true;

	*keys = *vals = NULL;
	if (ksize > TOKEN)
		return -EINVAL;
	for (;;) {
		__u32 count;
		int err;

		if (cap < n + chunk) {
			void *k = realloc(*keys, (n + chunk) * ksize), *v;

			if (!k)
				return -ENOMEM;
			*keys = k;
			v = realloc(*vals, (n + chunk) * vsize);
			if (!v)
				return -ENOMEM;
			*vals = v;
			cap = n + chunk;
		}
		count = (__u32)chunk;
		err = bpf_map_lookup_batch(fd, first ? NULL : in, out, (char *)*keys + n * ksize,
					   (char *)*vals + n * vsize, &count, &o);
		err = err ? -errno : 0;
		/* A hash bucket holds more than count: ask for more at once. */
		if (err == -ENOSPC && !count) {
			chunk *= 2;
			continue;
		}
		if (err && err != -ENOENT) {
			if (first && (err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP))
				return -EOPNOTSUPP;
			return err;
		}
		n += count;
		if (err == -ENOENT)	/* the end of the map */
			return (long)n;
		memcpy(in, out, sizeof(in));
		first = false;
	}
}
