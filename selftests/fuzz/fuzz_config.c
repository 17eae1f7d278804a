// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the configuration parser: the input is parsed both as a mesh
 * file (then validated) and as a local file, with problems counted, not printed.
 * `make fuzz` runs it on selftests/fuzz/corpus. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "config/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return sodium_init() < 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_errors e = { .out = NULL };
	struct mg_mesh m;
	struct mg_local l;
	struct mg_endpoint ep;
	const char *why;
	char *s;

	/* The parser takes (buf, len) and must not read past len: give it an exact
	 * copy without a terminator so ASan catches any overrun. */
	s = malloc(size ? size : 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	mesh_parse(&m, "fuzz/mesh.conf", s, size, &e);
	mesh_validate(&m, &e);
	if (m.n_sites)
		mesh_find_site(&m, m.sites[m.n_sites - 1].name);
	local_parse(&l, "fuzz/local.conf", s, size, &e);
	/* The exit keys against the mesh (config_load's cross-file check): one input
	 * holding [Site]s and a [Local] exercises both. */
	{
		struct mg_config c = { .mesh = m, .local = l };
		const struct mg_site *self = l.site[0] ? mesh_find_site(&m, l.site) : NULL;

		if (self)
			check_exit(&c, self, &e);
	}
	mesh_free(&m);
	free(s);

	/* the endpoint and name checks on their own, on a terminated copy */
	if (size < 512) {
		s = malloc(size + 1);
		if (!s)
			return 0;
		memcpy(s, data, size);
		s[size] = '\0';
		if (!endpoint_parse(&ep, s, &why))
			endpoint_free(&ep);
		ifname_valid(s);
		site_name_valid(s);
		free(s);
	}
	return 0;
}
