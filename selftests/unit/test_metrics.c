// SPDX-License-Identifier: GPL-2.0-only
/* metrics_render on synthetic status records: exact sample lines, label
 * escaping, families with HELP/TYPE, absent data left out, and the output
 * accepted by `promtool check metrics` when promtool is installed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "failover/failover.h"
#include "observe/metrics.h"
#include "observe/status.h"
#include "tap.h"

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static int count(const char *text, const char *needle)
{
	int k = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		k++;
	return k;
}

static void fill(struct status *s, struct status_peer *peers)
{
	memset(s, 0, sizeof(*s));
	memset(peers, 0, 2 * sizeof(*peers));
	strcpy(s->self, "a");
	s->have_maps = s->have_stats = s->have_wg = s->have_fo_map = s->daemon_fresh = true;
	s->mono_ns = 1000ULL * 1000000000ULL;
	s->real_ns = 1700000000LL * 1000000000LL;
	for (int i = 0; i < MG_STAT__MAX; i++) {
		s->stats[i].packets = 100 + (uint64_t)i;
		s->stats[i].bytes = 10000 + (uint64_t)i;
	}
	s->n_peers = 2;
	s->peers = peers;

	struct status_peer *p = &peers[0];
	strcpy(p->site, "b");
	p->have_dp = p->have_wg = p->have_fo = true;
	p->dp = (struct mg_peer_stats){ .rx_packets = 11, .rx_bytes = 924, .tx_packets = 12,
					.tx_bytes = 1008, .lan_packets = 13, .lan_bytes = 1092,
					.drops = { 3, 4, 0, 0 } };
	p->handshake_sec = 1699999990;
	p->handshake_nsec = 123456789;
	p->wg_rx_bytes = 1500;
	p->wg_tx_bytes = 1600;
	p->active = 1;
	p->n_eps = 2;
	p->fo.failovers[FO_REASON_PROBE_LOSS] = 2;
	p->fo.failovers[FO_REASON_PREFERRED_BACK] = 1;
	p->fo.last_change_ns = s->mono_ns - 5ULL * 1000000000ULL;	/* 5 s ago */
	for (int e = 0; e < 2; e++) {
		struct status_endpoint *ep = &p->eps[e];

		ep->have_fo = ep->have_rx = true;
		ep->fo.health = e ? MG_EP_UP : MG_EP_DOWN;
		ep->fo.loss_permille = e ? 0 : 250;
		ep->fo.rtt_ns = e ? 60000 : 1234567890;
		ep->fo.probes_sent = 64;
		ep->fo.probe_replies = e ? 64 : 48;
		ep->rx.packets = 7;
		ep->rx.bytes = 700;
		strcpy(ep->name, e ? "b-isp2.example.net:51820" : "[2001:db8::2]:51820");
	}
	/* The second peer: nothing known but its name (not in the maps, not on
	 * WireGuard, no daemon record). */
	strcpy(peers[1].site, "c.d-e_f");
	peers[1].active = -1;
	peers[1].dp_index = -1;
}

static void test_render(void)
{
	struct status_peer peers[2];
	struct status s;
	struct mbuf b = { 0 };

	fill(&s, peers);
	is_int(metrics_render(&s, &b), 0, "render succeeds");
	ok(b.s && b.len == strlen(b.s), "NUL-terminated, len right");
	ok(has_line(b.s, "meshgw_build_info{version=\"" MESHGW_VERSION "\"} 1"), "build info");
	ok(has_line(b.s, "meshgw_peer_receive_packets_total{site=\"b\"} 11"), "rx packets");
	ok(has_line(b.s, "meshgw_peer_receive_bytes_total{site=\"b\"} 924"), "rx bytes");
	ok(has_line(b.s, "meshgw_peer_transmit_packets_total{site=\"b\"} 12"), "tx packets");
	ok(has_line(b.s, "meshgw_peer_transmit_bytes_total{site=\"b\"} 1008"), "tx bytes");
	ok(has_line(b.s, "meshgw_peer_lan_bytes_total{site=\"b\"} 1092"), "lan bytes");
	ok(has_line(b.s, "meshgw_peer_drops_total{site=\"b\",reason=\"redirect\"} 3"), "drops redirect");
	ok(has_line(b.s, "meshgw_peer_drops_total{site=\"b\",reason=\"malformed\"} 4"), "drops malformed");
	is_int(count(b.s, "meshgw_peer_drops_total{"), 2, "  unused drop slots not exported");
	ok(has_line(b.s, "meshgw_wireguard_receive_bytes_total{site=\"b\"} 1500"), "WireGuard rx bytes");
	ok(has_line(b.s, "meshgw_peer_latest_handshake_timestamp_seconds{site=\"b\"} 1699999990.123"),
	   "handshake as unix seconds, ms precision");
	ok(has_line(b.s, "meshgw_peer_active_endpoint{site=\"b\"} 1"), "active endpoint");
	ok(has_line(b.s, "meshgw_failovers_total{site=\"b\",reason=\"probe_loss\"} 2"), "failovers by reason");
	ok(has_line(b.s, "meshgw_failovers_total{site=\"b\",reason=\"preferred_back\"} 1"), "  preferred_back");
	ok(has_line(b.s, "meshgw_failovers_total{site=\"b\",reason=\"no_rx\"} 0"), "  zero reasons exported too");
	ok(!strstr(b.s, "reason=\"none\""), "  no 'none' reason");
	ok(has_line(b.s, "meshgw_peer_last_failover_timestamp_seconds{site=\"b\"} 1699999995.000"),
	   "last failover: monotonic converted to unix time");
	ok(has_line(b.s, "meshgw_endpoint_up{site=\"b\",endpoint=\"0\"} 0"), "endpoint 0 down");
	ok(has_line(b.s, "meshgw_endpoint_up{site=\"b\",endpoint=\"1\"} 1"), "endpoint 1 up");
	ok(has_line(b.s, "meshgw_endpoint_rtt_seconds{site=\"b\",endpoint=\"0\"} 1.234567890"), "rtt seconds");
	ok(has_line(b.s, "meshgw_endpoint_rtt_seconds{site=\"b\",endpoint=\"1\"} 0.000060000"), "rtt 60 us");
	ok(has_line(b.s, "meshgw_endpoint_loss_ratio{site=\"b\",endpoint=\"0\"} 0.250"), "loss ratio");
	ok(has_line(b.s, "meshgw_probes_sent_total{site=\"b\",endpoint=\"1\"} 64"), "probes sent");
	ok(has_line(b.s, "meshgw_probe_replies_total{site=\"b\",endpoint=\"0\"} 48"), "probe replies");
	ok(has_line(b.s, "meshgw_endpoint_receive_packets_total{site=\"b\",endpoint=\"0\"} 7"), "endpoint rx");
	ok(has_line(b.s, "meshgw_xdp_packets_total{verdict=\"forward_tx\"} 103"), "XDP fast path (XDP_TX)");
	ok(has_line(b.s, "meshgw_xdp_packets_total{verdict=\"forward_redirect\"} 104"), "XDP fast path (redirect)");
	ok(has_line(b.s, "meshgw_tc_bytes_total{verdict=\"wg_pass\"} 10015"), "TC verdict bytes");
	is_int(count(b.s, "meshgw_xdp_packets_total{") + count(b.s, "meshgw_tc_packets_total{"), MG_STAT__MAX,
	       "every verdict exported once");
	ok(!strstr(b.s, "verdict=\"unknown\""), "every verdict has a name");
	{
		/* The HELP of a verdict family says what each of its verdicts means. */
		const char *h = strstr(b.s, "# HELP meshgw_xdp_packets_total "), *end = h ? strchr(h, '\n') : NULL;
		char line[4096] = "", want[128];
		int told = 0, xdp = 0;

		if (h && end && (size_t)(end - h) < sizeof(line))
			memcpy(line, h, (size_t)(end - h));
		for (int i = 0; i < MG_STAT__MAX; i++) {
			if (strcmp(dp_stat_desc[i].prog, "xdp"))
				continue;
			xdp++;
			snprintf(want, sizeof(want), " %s = %s", dp_stat_desc[i].verdict, dp_stat_desc[i].help);
			told += !!strstr(line, want);
		}
		ok(xdp > 5 && told == xdp && end && end[-1] == '.',
		   "XDP verdict HELP explains all %d verdicts, untruncated", xdp);
		ok(has_line(b.s, "# HELP meshgw_peer_drops_total Packets for the peer the data plane "
			    "dropped or could not deliver, by reason: redirect = bpf_redirect* refused "
			    "(no device); malformed = headers did not parse."), "drop reasons explained");
	}
	ok(has_line(b.s, "meshgw_failover_daemon_up 1") && has_line(b.s, "meshgw_dataplane_up 1"), "up gauges");
	ok(!strstr(b.s, "site=\"c.d-e_f\""), "a peer with no data has no samples");
	ok(!strstr(b.s, "site=\"a\""), "no samples for ourselves");

	/* Every family: HELP, TYPE, and samples only after them. */
	{
		char *copy = strdup(b.s), *save = NULL, *cur = NULL;
		int bad = 0, fams = 0;

		for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char name[128];

			if (!strncmp(l, "# HELP ", 7)) {
				sscanf(l + 7, "%127s", name);
				free(cur);
				cur = strdup(name);
				fams++;
			} else if (!strncmp(l, "# TYPE ", 7)) {
				char type[32];

				bad += sscanf(l + 7, "%127s %31s", name, type) != 2 || !cur || strcmp(name, cur) ||
				       (strcmp(type, "counter") && strcmp(type, "gauge")) ||
				       (!strcmp(type, "counter") != (strlen(name) > 6 &&
								    !strcmp(name + strlen(name) - 6, "_total")));
			} else {
				size_t n = strcspn(l, "{ ");

				bad += !cur || strlen(cur) != n || strncmp(l, cur, n);
			}
		}
		ok(!bad && fams > 20, "%d families, each with HELP then TYPE, _total exactly on counters", fams);
		free(cur);
		free(copy);
	}

	if (!access("/usr/bin/promtool", X_OK)) {
		FILE *p = popen("promtool check metrics >/dev/null 2>&1", "w");

		fwrite(b.s, 1, b.len, p);
		is_int(pclose(p), 0, "promtool check metrics accepts it");
	} else {
		ok(1, "# SKIP promtool not installed");
	}
	mbuf_free(&b);

	/* Nothing up: still valid, the gauges say so. */
	fill(&s, peers);
	s.have_maps = s.have_stats = s.have_wg = s.have_fo_map = s.daemon_fresh = false;
	for (int i = 0; i < 2; i++) {
		peers[i].have_dp = peers[i].have_wg = peers[i].have_fo = false;
		peers[i].active = -1;
		for (int e = 0; e < 2; e++)
			peers[i].eps[e].have_fo = peers[i].eps[e].have_rx = false;
	}
	is_int(metrics_render(&s, &b), 0, "render with nothing up");
	ok(has_line(b.s, "meshgw_dataplane_up 0") && has_line(b.s, "meshgw_wireguard_up 0") &&
	   has_line(b.s, "meshgw_failover_daemon_up 0"), "  gauges 0");
	ok(has_line(b.s, "meshgw_endpoint_info{site=\"b\",endpoint=\"1\",address=\"b-isp2.example.net:51820\"} 1"),
	   "  the configured endpoints still (meshgw_endpoint_info)");
	{
		char *rest = strdup(b.s), *l = rest, *nl;
		bool other = false;

		for (; l && *l; l = nl ? nl + 1 : NULL) {
			nl = strchr(l, '\n');
			if (nl)
				*nl = '\0';
			other |= strstr(l, "{site=") && strncmp(l, "meshgw_endpoint_info{", 21);
		}
		ok(!other, "  no other per-site samples");
		free(rest);
	}
	if (!access("/usr/bin/promtool", X_OK)) {
		FILE *p = popen("promtool check metrics >/dev/null 2>&1", "w");

		fwrite(b.s, 1, b.len, p);
		is_int(pclose(p), 0, "  promtool accepts it");
	}
	mbuf_free(&b);
}

static void test_endpoint_info_and_reload(void)
{
	struct status_peer peers[2];
	struct status s;
	struct mbuf b = { 0 };
	struct metrics_daemon d = { .reload_ok = false, .reload_success_ns = 1700000123456789012LL };

	fill(&s, peers);
	metrics_render(&s, &b);
	ok(has_line(b.s, "# TYPE meshgw_endpoint_info gauge"), "meshgw_endpoint_info is a gauge");
	ok(has_line(b.s, "meshgw_endpoint_info{site=\"b\",endpoint=\"0\",address=\"[2001:db8::2]:51820\"} 1"),
	   "  endpoint 0 with its configured address");
	ok(has_line(b.s, "meshgw_endpoint_info{site=\"b\",endpoint=\"1\",address=\"b-isp2.example.net:51820\"} 1"),
	   "  endpoint 1, a host name as written");
	is_int(count(b.s, "meshgw_endpoint_info{"), 2, "  one sample per configured endpoint");
	ok(!strstr(b.s, "meshgw_config_last_reload"), "`meshgw metrics` has no reload families (daemon only)");
	is_int(metrics_render_reload(&d, &b), 0, "the daemon's reload families render");
	ok(has_line(b.s, "# TYPE meshgw_config_last_reload_successful gauge") &&
	   has_line(b.s, "meshgw_config_last_reload_successful 0"), "  last reload failed: 0");
	ok(has_line(b.s, "# TYPE meshgw_config_last_reload_success_timestamp_seconds gauge") &&
	   has_line(b.s, "meshgw_config_last_reload_success_timestamp_seconds 1700000123.456"),
	   "  last success: unix time, ms");
	if (!access("/usr/bin/promtool", X_OK)) {
		FILE *p = popen("promtool check metrics >/dev/null 2>&1", "w");

		fwrite(b.s, 1, b.len, p);
		is_int(pclose(p), 0, "  promtool accepts the daemon's whole scrape");
	}
	mbuf_free(&b);
	d.reload_ok = true;
	metrics_render_reload(&d, &b);
	ok(has_line(b.s, "meshgw_config_last_reload_successful 1"), "last reload applied: 1");
	mbuf_free(&b);
}

static void test_escaping(void)
{
	struct status_peer peers[2];
	struct status s;
	struct mbuf b = { 0 };

	/* Site names cannot hold these today; the format must survive if they ever do. */
	fill(&s, peers);
	strcpy(peers[0].site, "q\"b\\s\nn");
	metrics_render(&s, &b);
	ok(has_line(b.s, "meshgw_peer_receive_packets_total{site=\"q\\\"b\\\\s\\nn\"} 11"),
	   "label values escaped (quote, backslash, newline)");
	mbuf_free(&b);
}

static void test_mbuf(void)
{
	struct mbuf b = { 0 };
	int okk = 1;

	for (int i = 0; i < 100000; i++)
		mbuf_printf(&b, "line %06d\n", i);
	ok(!b.err && b.len == 100000 * 12, "mbuf grows to 1.2 MB");
	for (int i = 0; i < 100000 && okk; i += 997) {
		char want[32];

		snprintf(want, sizeof(want), "line %06d\n", i);
		okk = !memcmp(b.s + (size_t)i * 12, want, 12);
	}
	ok(okk && b.s[b.len] == '\0', "  content intact, NUL-terminated");
	mbuf_free(&b);
	ok(!b.s && !b.len, "mbuf_free resets");
}

static void test_helpers(void)
{
	struct status s = { .mono_ns = 5000000000ULL, .real_ns = 1700000000000000000LL };

	is_int(status_mono_to_real(&s, 0), 0, "mono_to_real keeps 0 (never)");
	is_int(status_mono_to_real(&s, 4000000000ULL), 1699999999000000000LL, "mono_to_real: 1 s before");
	is_str(status_drop_name(MG_DROP_REDIRECT), "redirect", "drop name");
	ok(!status_drop_name(MG_DROP__MAX - 1), "unused drop slot has no name");
	is_str(dp_stat_desc[MG_STAT_XDP_FWD_TX].name, "xdp_forward_tx", "stat name");
	is_str(dp_stat_desc[MG_STAT_TC_LAN_OK].verdict, "lan_pass", "  its verdict label");
	is_str(dp_stat_desc[MG_STAT_TC_LAN_OK].prog, "tc", "  its program kind");
	is_str(status_health_name(MG_EP_UP), "up", "health up");
	is_str(status_health_name(77), "unknown", "bad health");
}

/* A large mesh renders quickly: the daemon does this inline on every scrape. */
static void test_large(void)
{
	size_t n = 4096;
	struct status_peer *peers = calloc(n, sizeof(*peers));
	struct status s;
	struct mbuf b = { 0 };
	struct timespec t0, t1;
	double ms;

	fill(&s, peers);	/* the first two */
	for (size_t i = 2; i < n; i++) {
		peers[i] = peers[0];
		snprintf(peers[i].site, sizeof(peers[i].site), "site%zu", i);
	}
	s.n_peers = n;
	/* CPU time, not wall time: the bound catches a slower algorithm, and must not
	 * trip because make check runs other tests on the same cores (502 ms of wall
	 * time once, under that load). */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	is_int(metrics_render(&s, &b), 0, "4096 peers render");
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	ok(ms < 500, "  in %.1f ms of CPU, %.1f MB", ms, (double)b.len / 1e6);
	mbuf_free(&b);
	free(peers);
}

int main(void)
{
	test_render();
	test_large();
	test_escaping();
	test_endpoint_info_and_reload();
	test_mbuf();
	test_helpers();
	return tap_done();
}
