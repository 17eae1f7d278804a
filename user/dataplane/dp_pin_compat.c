// SPDX-License-Identifier: GPL-2.0-only
/* Why: libbpf refuses to reuse a pinned map of another shape ("parameter
 * mismatch"), so without this a meshgw upgraded under a running gateway (a
 * bigger map, a new flag) failed every `up`, and the service with it, until
 * someone ran `meshgw down`. A user upgrading a package expects it to restart. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "dataplane/dp_pin_compat.h"
#include "lib/log.h"

/* Which parameter differs, or NULL when the pinned map fits this build's. */
static const char *mismatch(const struct bpf_map *m, const struct bpf_map_info *in, char *buf,
			    size_t len)
{
	if (in->type != bpf_map__type(m))
		snprintf(buf, len, "type %u, this build's %u", in->type, bpf_map__type(m));
	else if (in->key_size != bpf_map__key_size(m))
		snprintf(buf, len, "key size %u, this build's %u", in->key_size, bpf_map__key_size(m));
	else if (in->value_size != bpf_map__value_size(m))
		snprintf(buf, len, "value size %u, this build's %u", in->value_size,
			 bpf_map__value_size(m));
	else if (in->max_entries != bpf_map__max_entries(m))
		snprintf(buf, len, "max_entries %u, this build's %u", in->max_entries,
			 bpf_map__max_entries(m));
	else if (in->map_flags != bpf_map__map_flags(m))
		snprintf(buf, len, "flags %#x, this build's %#x", in->map_flags, bpf_map__map_flags(m));
	else
		return NULL;
	return buf;
}

int dp_pins_replace_incompatible(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		const char *path = bpf_map__pin_path(m), *why;
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);
		char buf[96];
		int fd;

		if (!path)
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;	/* not pinned yet: the load creates it */
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			close(fd);
			continue;	/* not a map: the load says so */
		}
		close(fd);
		why = mismatch(m, &info, buf, sizeof(buf));
		if (!why)
			continue;
		if (unlink(path)) {
			int err = -errno;

			pr_err("%s: pinned by another meshgw (%s) and cannot be replaced: %s", path, why,
			       strerror(errno));
			return err;
		}
		pr_warn("%s: pinned by another meshgw (%s): replaced by this build's, its contents "
			"start over", path, why);
	}
	return 0;
}
