// SPDX-License-Identifier: GPL-2.0-only
/* The lists of include/ against what they describe. MG_DP_MAPS / MG_DAEMON_MAPS
 * (meshgw_maps.h): every map the BPF objects pin is listed, so `meshgw down`
 * (which unpins the listed ones) leaves nothing, and the readers open them all;
 * the other direction, a listed map missing from xdp_lan, does not compile
 * (dataplane.c takes each listed fd from its skeleton). MG_STATS / MG_DROPS
 * MG_PEER_COUNTERS (meshgw_stats.h): names unique and usable as Prometheus label values, each
 * with a help text that fits in a HELP line. Opening an object parses its ELF
 * only: no BPF syscall, no root. */
#include <string.h>
#include <bpf/libbpf.h>
#include "tap.h"
#include "dataplane/dp_maps.h"
#include "mg_failover.skel.h"
#include "tc_lan.skel.h"
#include "tc_wg.skel.h"
#include "xdp_fallback.skel.h"
#include "xdp_lan.skel.h"

static const char *const dp_maps[] = {
#define NAME(name) "mg_" #name,
	MG_DP_MAPS(NAME)
};
static const char *const daemon_maps[] = {
	MG_DAEMON_MAPS(NAME)
#undef NAME
};

static bool listed(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], name))
			return true;
	return false;
}

/* The maps obj pins (libbpf gives a pin path to those declared
 * LIBBPF_PIN_BY_NAME) are exactly list[0..n). */
static void same_maps(const char *what, struct bpf_object *obj, const char *const *list, size_t n)
{
	struct bpf_map *m;
	size_t pinned = 0, unlisted = 0;

	if (!ok(obj, "%s opens", what))
		return;
	bpf_object__for_each_map(m, obj) {
		if (!bpf_map__pin_path(m))
			continue;	/* .rodata, .bss: the object's own, never pinned */
		pinned++;
		if (!listed(bpf_map__name(m), list, n)) {
			tap_diag("%s pins %s, which include/meshgw_maps.h does not list",
				 what, bpf_map__name(m));
			unlisted++;
		}
	}
	ok(!unlisted && pinned == n, "%s pins the %zu listed maps and no other (%zu pinned)",
	   what, n, pinned);
}

static void test_maps(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .pin_root_path = "/sys/fs/bpf/meshgw-list-test");
	struct xdp_lan_bpf *x = xdp_lan_bpf__open_opts(&o);
	struct tc_lan_bpf *tl = tc_lan_bpf__open_opts(&o);
	struct tc_wg_bpf *tw = tc_wg_bpf__open_opts(&o);
	struct xdp_fallback_bpf *fb = xdp_fallback_bpf__open_opts(&o);
	struct mg_failover_bpf *fo = mg_failover_bpf__open_opts(&o);
	size_t ndp = sizeof(dp_maps) / sizeof(dp_maps[0]);

	same_maps("xdp_lan", x ? x->obj : NULL, dp_maps, ndp);
	same_maps("tc_lan", tl ? tl->obj : NULL, dp_maps, ndp);
	same_maps("tc_wg", tw ? tw->obj : NULL, dp_maps, ndp);
	same_maps("xdp_fallback", fb ? fb->obj : NULL, dp_maps, ndp);
	same_maps("mg_failover", fo ? fo->obj : NULL, daemon_maps,
		  sizeof(daemon_maps) / sizeof(daemon_maps[0]));
	is_int(MG_MAP__COUNT, ndp + sizeof(daemon_maps) / sizeof(daemon_maps[0]),
	       "MG_PINNED_MAPS is both lists");
	is_str(MG_MAP_NAME(peer_info), "mg_peer_info", "MG_MAP_NAME spells the pin name");
	xdp_lan_bpf__destroy(x);
	tc_lan_bpf__destroy(tl);
	tc_wg_bpf__destroy(tw);
	xdp_fallback_bpf__destroy(fb);
	mg_failover_bpf__destroy(fo);
}

/* A Prometheus label value we never need to escape, and a name bpftool, awk and
 * the test scripts take as one word. */
static bool word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* One line of HELP: no newline or backslash (which HELP would have to escape). */
static bool help_ok(const char *s)
{
	return s && *s && !strpbrk(s, "\n\\");
}

static void test_stats(void)
{
	int bad = 0, dup = 0;

	for (int i = 0; i < MG_STAT__MAX; i++) {
		const struct dp_stat_desc *d = &dp_stat_desc[i];
		char want[64];

		snprintf(want, sizeof(want), "%s_%s", d->prog, d->verdict);
		if (!d->name || !word(d->name) || strcmp(d->name, want) || !word(d->verdict) ||
		    (strcmp(d->prog, "xdp") && strcmp(d->prog, "tc")) || !help_ok(d->help)) {
			tap_diag("counter %d: %s", i, d->name ? d->name : "(none)");
			bad++;
		}
		for (int j = 0; j < i; j++)
			dup += !strcmp(dp_stat_desc[j].name, d->name);
	}
	ok(!bad, "every one of the %d counters: <prog>_<verdict>, prog xdp or tc, a help line",
	   MG_STAT__MAX);
	ok(!dup, "no two counters share a name");
	is_int(MG_STAT_TC_MARTIAN, MG_STAT__MAX - 1, "the enum is the list, in order (last: tc_martian_source)");
	is_str(dp_stat_desc[MG_STAT_TC_FWD].name, "tc_forward", "  named from the list");
	{
		static const struct {
			const char *metric, *help;
		} peer[] = {
#define PEER(field, metric, help) { #metric, help },
			MG_PEER_COUNTERS(PEER)
#undef PEER
		};
		size_t n = sizeof(peer) / sizeof(peer[0]), good = 0;

		for (size_t i = 0; i < n; i++)
			good += word(peer[i].metric) && help_ok(peer[i].help);
		ok(good == n && n * sizeof(__u64) + MG_DROP__MAX * sizeof(__u64) ==
		   sizeof(struct mg_peer_stats), "%zu per-peer counters, each a metric name and a help "
		   "line; with the drops they are all of mg_peer_stats", n);
	}
	for (unsigned int r = 0; r < MG_DROP__USED; r++) {
		static const struct {
			const char *label, *help;
		} drops[] = {
#define DROP(e, label, help) { #label, help },
			MG_DROPS(DROP)
#undef DROP
		};

		ok(word(drops[r].label) && help_ok(drops[r].help), "drop reason %s: a label, a help line",
		   drops[r].label);
	}
}

int main(void)
{
	test_maps();
	test_stats();
	return tap_done();
}
