// SPDX-License-Identifier: GPL-2.0-only
/* Prometheus text exposition of a struct status. Values are the maps' own
 * numbers (per-CPU sums), not rates: Prometheus computes rates. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dataplane/dp_iface.h"
#include "failover/failover.h"
#include "observe/metrics.h"

static void family(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label's values and what each means. */
struct label_help {
	const char *label, *help;
};

/* A HELP text for a family with one label: "<what>, by <label>: a = what a
 * means; b = ...", so a dashboard's reader can look a label value up. */
static void help_of_list(char *buf, size_t len, const char *what, const char *label,
			 const struct label_help *v, size_t n)
{
	size_t at = (size_t)snprintf(buf, len, "%s, by %s:", what, label);

	for (size_t i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, " %s = %s%s", v[i].label, v[i].help,
				       i + 1 < n ? ";" : ".");
}

/* Label values: site names are [A-Za-z0-9_.-] already; escape anyway so a
 * future relaxation cannot break the format. */
static void label_value(struct mbuf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			mbuf_printf(b, "\\\\");
		else if (*v == '"')
			mbuf_printf(b, "\\\"");
		else if (*v == '\n')
			mbuf_printf(b, "\\n");
		else
			mbuf_printf(b, "%c", *v);
	}
}

/* name{site="..."} value, or name{site="...",endpoint="ep"} when ep >= 0, with
 * uplink="..." after it when uplink is set (several uplinks: a path). */
static void sample(struct mbuf *b, const char *name, const char *site, long ep,
		   const char *uplink, const char *fmt, va_list ap)
{
	char v[64];

	vsnprintf(v, sizeof(v), fmt, ap);
	mbuf_printf(b, "%s{site=\"", name);
	label_value(b, site);
	if (ep >= 0)
		mbuf_printf(b, "\",endpoint=\"%ld", ep);
	if (uplink && uplink[0]) {
		mbuf_printf(b, "\",uplink=\"");
		label_value(b, uplink);
	}
	mbuf_printf(b, "\"} %s\n", v);
}

static void site_sample(struct mbuf *b, const char *name, const char *site, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void site_sample(struct mbuf *b, const char *name, const char *site, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sample(b, name, site, -1, NULL, fmt, ap);
	va_end(ap);
}

/* The index of the endpoint of the peer's candidate i: i itself with one uplink. */
static size_t ep_index(const struct status_peer *sp, size_t i)
{
	return sp->eps[i].uplink[0] ? sp->eps[i].ep_index : i;
}

/* A sample of the peer's candidate i: its endpoint's index, and its uplink when
 * the gateway has several. */
static void ep_sample(struct mbuf *b, const char *name, const struct status_peer *sp, size_t i,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void ep_sample(struct mbuf *b, const char *name, const struct status_peer *sp, size_t i,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sample(b, name, sp->site, (long)ep_index(sp, i), sp->eps[i].uplink, fmt, ap);
	va_end(ap);
}

/* Peer counters from mg_peer_stats (the BPF data plane). */
static void peer_dp(struct mbuf *b, const struct status *s)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} f[] = {
#define PEER_COUNTER(field, metric, help) \
		{ "meshgw_peer_" #metric "_total", help, offsetof(struct mg_peer_stats, field) },
		MG_PEER_COUNTERS(PEER_COUNTER)
#undef PEER_COUNTER
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		family(b, f[i].name, "counter", f[i].help);
		for (size_t p = 0; p < s->n_peers; p++) {
			const struct status_peer *sp = &s->peers[p];
			__u64 v;

			if (!sp->have_dp)
				continue;
			memcpy(&v, (const char *)&sp->dp + f[i].off, sizeof(v));
			site_sample(b, f[i].name, sp->site, "%llu", (unsigned long long)v);
		}
	}
	{
		static const struct label_help drops[] = {
#define DROP(e, label, help) { #label, help },
			MG_DROPS(DROP)
#undef DROP
		};
		char help[512];

		help_of_list(help, sizeof(help), "Packets for the peer the data plane dropped or "
			     "could not deliver", "reason", drops, MG_DROP__USED);
		family(b, "meshgw_peer_drops_total", "counter", help);
	}
	for (size_t p = 0; p < s->n_peers; p++) {
		const struct status_peer *sp = &s->peers[p];

		for (unsigned int r = 0; sp->have_dp && r < MG_DROP__MAX; r++) {
			if (!status_drop_name(r))
				continue;
			mbuf_printf(b, "meshgw_peer_drops_total{site=\"");
			label_value(b, sp->site);
			mbuf_printf(b, "\",reason=\"%s\"} %llu\n", status_drop_name(r),
				    (unsigned long long)sp->dp.drops[r]);
		}
	}
}

/* One of WireGuard's byte counters (the uint64_t at off in struct status_peer),
 * for each peer the device has. */
static void wg_bytes(struct mbuf *b, const struct status *s, const char *name, const char *help,
		     size_t off)
{
	family(b, name, "counter", help);
	for (size_t p = 0; p < s->n_peers; p++) {
		uint64_t v;

		if (!s->peers[p].have_wg)
			continue;
		memcpy(&v, (const char *)&s->peers[p] + off, sizeof(v));
		site_sample(b, name, s->peers[p].site, "%" PRIu64, v);
	}
}

/* WireGuard's own view of each peer. */
static void peer_wg(struct mbuf *b, const struct status *s)
{
	wg_bytes(b, s, "meshgw_wireguard_receive_bytes_total",
		 "Bytes WireGuard received from the peer (its own counter, encrypted, incl. handshakes).",
		 offsetof(struct status_peer, wg_rx_bytes));
	wg_bytes(b, s, "meshgw_wireguard_transmit_bytes_total",
		 "Bytes WireGuard sent to the peer (its own counter, encrypted, incl. handshakes).",
		 offsetof(struct status_peer, wg_tx_bytes));
	family(b, "meshgw_peer_latest_handshake_timestamp_seconds", "gauge",
	       "Unix time of the latest WireGuard handshake with the peer, 0 = never.");
	for (size_t p = 0; p < s->n_peers; p++) {
		const struct status_peer *sp = &s->peers[p];

		if (!sp->have_wg)
			continue;
		if (!sp->handshake_sec && !sp->handshake_nsec)
			site_sample(b, "meshgw_peer_latest_handshake_timestamp_seconds", sp->site, "0");
		else
			site_sample(b, "meshgw_peer_latest_handshake_timestamp_seconds", sp->site,
				    "%" PRId64 ".%03" PRId64, sp->handshake_sec,
				    sp->handshake_nsec / 1000000);
	}
}

/* A counter of each endpoint (the __u64 at off in struct status_endpoint): from
 * the data plane's mg_ep_stats (rx) or the daemon's record. */
static void ep_counter(struct mbuf *b, const struct status *s, const char *name, const char *help,
		       bool rx, size_t off)
{
	family(b, name, "counter", help);
	for (size_t p = 0; p < s->n_peers; p++)
		for (size_t e = 0; e < s->peers[p].n_eps; e++) {
			const struct status_endpoint *ep = &s->peers[p].eps[e];
			__u64 v;

			if (!(rx ? ep->have_rx : ep->have_fo))
				continue;
			memcpy(&v, (const char *)ep + off, sizeof(v));
			ep_sample(b, name, &s->peers[p], e, "%llu", (unsigned long long)v);
		}
}

/* The configured endpoints, whatever is running: joins the endpoint index of the
 * other families to the address an admin wrote (a dashboard shows "endpoint 1"
 * as "198.51.100.7:51820"). */
static void endpoint_info(struct mbuf *b, const struct status *s)
{
	family(b, "meshgw_endpoint_info", "gauge",
	       "The peer's endpoints as configured (address = HOST:PORT), endpoint = "
	       "index in preference order; always 1.");
	for (size_t p = 0; p < s->n_peers; p++)
		for (size_t e = 0; e < s->peers[p].n_eps; e++) {
			if (s->peers[p].eps[e].uplink[0] && s->peers[p].eps[e].uplink_index)
				continue;	/* the same endpoint through another uplink */
			mbuf_printf(b, "meshgw_endpoint_info{site=\"");
			label_value(b, s->peers[p].site);
			mbuf_printf(b, "\",endpoint=\"%zu\",address=\"", e);
			label_value(b, s->peers[p].eps[e].name);
			mbuf_printf(b, "\"} 1\n");
		}
}

/* Several uplinks: the uplink of each peer's active path (absent with one). */
static void active_uplink(struct mbuf *b, const struct status *s)
{
	bool any = false;

	for (size_t p = 0; p < s->n_peers; p++)
		any |= s->peers[p].n_eps && s->peers[p].eps[0].uplink[0];
	if (!any)
		return;
	family(b, "meshgw_peer_active_uplink_info", "gauge",
	       "The uplink of the path WireGuard uses for the peer (several uplinks); always 1.");
	for (size_t p = 0; p < s->n_peers; p++)
		if (s->peers[p].active >= 0) {
			mbuf_printf(b, "meshgw_peer_active_uplink_info{site=\"");
			label_value(b, s->peers[p].site);
			mbuf_printf(b, "\",uplink=\"");
			label_value(b, s->peers[p].eps[s->peers[p].active].uplink);
			mbuf_printf(b, "\"} 1\n");
		}
}

/* The failover daemon's records (mg_failover). */
static void peer_fo(struct mbuf *b, const struct status *s)
{
	family(b, "meshgw_peer_active_endpoint", "gauge",
	       "Index (preference order, from 0) of the endpoint WireGuard uses for the peer.");
	for (size_t p = 0; p < s->n_peers; p++)
		if (s->peers[p].active >= 0)
			site_sample(b, "meshgw_peer_active_endpoint", s->peers[p].site, "%zu",
				    ep_index(&s->peers[p], (size_t)s->peers[p].active));
	active_uplink(b, s);
	family(b, "meshgw_failovers_total", "counter",
	       "Active endpoint changes made by the failover daemon, by reason.");
	for (size_t p = 0; p < s->n_peers; p++) {
		const struct status_peer *sp = &s->peers[p];

		for (unsigned int r = 1; sp->have_fo && r < FO_REASON__COUNT; r++) {
			mbuf_printf(b, "meshgw_failovers_total{site=\"");
			label_value(b, sp->site);
			mbuf_printf(b, "\",reason=\"%s\"} %llu\n", fo_reason_name((enum fo_reason)r),
				    (unsigned long long)sp->fo.failovers[r]);
		}
	}
	family(b, "meshgw_peer_last_failover_timestamp_seconds", "gauge",
	       "Unix time of the peer's last endpoint change, 0 = never.");
	for (size_t p = 0; p < s->n_peers; p++) {
		const struct status_peer *sp = &s->peers[p];
		int64_t t;

		if (!sp->have_fo)
			continue;
		t = status_mono_to_real(s, sp->fo.last_change_ns);
		site_sample(b, "meshgw_peer_last_failover_timestamp_seconds", sp->site,
			    "%" PRId64 ".%03" PRId64, t / 1000000000, t % 1000000000 / 1000000);
	}
	family(b, "meshgw_endpoint_up", "gauge",
	       "1 when the failover daemon considers the endpoint healthy, else 0.");
	for (size_t p = 0; p < s->n_peers; p++)
		for (size_t e = 0; e < s->peers[p].n_eps; e++)
			if (s->peers[p].eps[e].have_fo)
				ep_sample(b, "meshgw_endpoint_up", &s->peers[p], e, "%d",
					  s->peers[p].eps[e].fo.health == MG_EP_UP);
	family(b, "meshgw_endpoint_rtt_seconds", "gauge",
	       "Round trip time of the endpoint's last answered probe.");
	for (size_t p = 0; p < s->n_peers; p++)
		for (size_t e = 0; e < s->peers[p].n_eps; e++) {
			const struct status_endpoint *ep = &s->peers[p].eps[e];

			if (ep->have_fo && ep->fo.probe_replies)
				ep_sample(b, "meshgw_endpoint_rtt_seconds", &s->peers[p], e,
					  "%llu.%09llu",
					  (unsigned long long)(ep->fo.rtt_ns / 1000000000),
					  (unsigned long long)(ep->fo.rtt_ns % 1000000000));
		}
	family(b, "meshgw_endpoint_loss_ratio", "gauge",
	       "Share of the endpoint's last 64 probes left unanswered (0 to 1).");
	for (size_t p = 0; p < s->n_peers; p++)
		for (size_t e = 0; e < s->peers[p].n_eps; e++) {
			const struct status_endpoint *ep = &s->peers[p].eps[e];

			if (ep->have_fo)
				ep_sample(b, "meshgw_endpoint_loss_ratio", &s->peers[p], e,
					  "%u.%03u", ep->fo.loss_permille / 1000,
					  ep->fo.loss_permille % 1000);
		}
	ep_counter(b, s, "meshgw_probes_sent_total", "Probes sent to the endpoint.", false,
		   offsetof(struct status_endpoint, fo.probes_sent));
	ep_counter(b, s, "meshgw_probe_replies_total", "Probe replies received from the endpoint.",
		   false, offsetof(struct status_endpoint, fo.probe_replies));
}

/* Passive per-address counters (mg_ep_stats, keyed by address only). */
static void endpoint_rx(struct mbuf *b, const struct status *s)
{
	ep_counter(b, s, "meshgw_endpoint_receive_packets_total",
		   "UDP packets to our WireGuard port from the endpoint's address (BPF, XDP; "
		   "counted per address, so endpoints sharing one report the same value).", true,
		   offsetof(struct status_endpoint, rx.packets));
	ep_counter(b, s, "meshgw_endpoint_receive_bytes_total",
		   "Bytes of UDP packets to our WireGuard port from the endpoint's address (BPF, XDP).",
		   true, offsetof(struct status_endpoint, rx.bytes));
}

/* mg_stats, one family per program kind and unit, the verdicts (and what each
 * means, in HELP) from include/meshgw_stats.h. */
static void datapath(struct mbuf *b, const struct status *s)
{
	static const char *const progs[2] = { "xdp", "tc" };

	for (int k = 0; k < 2; k++) {
		struct label_help verdicts[MG_STAT__MAX];
		size_t n = 0;

		for (int i = 0; i < MG_STAT__MAX; i++)
			if (!strcmp(dp_stat_desc[i].prog, progs[k]))
				verdicts[n++] = (struct label_help){ dp_stat_desc[i].verdict,
								     dp_stat_desc[i].help };
		for (int bytes = 0; bytes < 2; bytes++) {
			char name[64], what[64], help[2048];

			snprintf(name, sizeof(name), "meshgw_%s_%s_total", progs[k],
				 bytes ? "bytes" : "packets");
			snprintf(what, sizeof(what), "%s handled by the %s programs",
				 bytes ? "Bytes" : "Packets", k ? "TC" : "XDP");
			help_of_list(help, sizeof(help), what, "verdict", verdicts, n);
			family(b, name, "counter", help);
			for (int i = 0; s->have_stats && i < MG_STAT__MAX; i++) {
				if (strcmp(dp_stat_desc[i].prog, progs[k]))
					continue;
				mbuf_printf(b, "%s{verdict=\"%s\"} %llu\n", name, dp_stat_desc[i].verdict,
					    (unsigned long long)(bytes ? s->stats[i].bytes
									: s->stats[i].packets));
			}
		}
	}
}

/* A 0/1 gauge per NIC of mg_ifaces: one of its MG_IF_* flags. */
static void iface_flag(struct mbuf *b, const struct status *s, const char *name,
		       const char *help, __u32 flag)
{
	family(b, name, "gauge", help);
	for (int i = 0; i < s->n_ifaces; i++) {
		mbuf_printf(b, "%s{interface=\"", name);
		label_value(b, s->ifaces[i].v.name);
		mbuf_printf(b, "\"} %d\n", !!(s->ifaces[i].v.flags & flag));
	}
}

/* How each NIC is handled (mg_ifaces): the XDP program on it, XDP transmits
 * into it, and the transmits the kernel reported failed (which turned that off). */
static void interfaces(struct mbuf *b, const struct status *s)
{
	iface_flag(b, s, "meshgw_interface_xdp",
		   "1 when meshgw's XDP program runs on the interface (else TC only).", MG_IF_XDP);
	iface_flag(b, s, "meshgw_interface_xdp_target",
		   "1 when the XDP fast path may transmit into the interface.", MG_IF_XMIT);
	family(b, "meshgw_xdp_fallback_total", "counter",
	       "XDP frames the kernel failed to transmit into the interface; the first turns "
	       "the fast path to it off.");
	for (int i = 0; i < s->n_ifaces; i++)
		for (int r = 0; r < MG_FB__MAX; r++) {
			if (r != MG_FB_TX && r != MG_FB_REDIRECT)
				continue;
			mbuf_printf(b, "meshgw_xdp_fallback_total{interface=\"");
			label_value(b, s->ifaces[i].v.name);
			mbuf_printf(b, "\",reason=\"%s\"} %llu\n", dp_fallback_name(r),
				    (unsigned long long)s->ifaces[i].v.fallbacks[r]);
		}
}

/* The ExitVia sites: which one internet traffic exits through, and its traffic. */
static void exits(struct mbuf *b, const struct status *s)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} f[] = {
		{ "meshgw_exit_transmit_packets_total",
		  "Packets from the LAN steered to the internet through this exit site (BPF, LAN interface).",
		  offsetof(struct mg_exit_stats, tx_packets) },
		{ "meshgw_exit_transmit_bytes_total",
		  "Bytes from the LAN steered to the internet through this exit site (BPF, LAN interface).",
		  offsetof(struct mg_exit_stats, tx_bytes) },
		{ "meshgw_exit_receive_packets_total",
		  "Replies from the internet received through this exit site (BPF, WireGuard device ingress).",
		  offsetof(struct mg_exit_stats, rx_packets) },
		{ "meshgw_exit_receive_bytes_total",
		  "Bytes of replies from the internet received through this exit site (BPF, WireGuard device ingress).",
		  offsetof(struct mg_exit_stats, rx_bytes) },
	};

	if (!s->n_exits || !s->have_exit_map)
		return;
	family(b, "meshgw_exit_active", "gauge",
	       "1 for the ExitVia site internet traffic exits through now, 0 for the others (all 0: the local internet).");
	for (size_t i = 0; i < s->n_exits; i++)
		site_sample(b, "meshgw_exit_active", s->exits[i].site, "%d", s->exits[i].active);
	family(b, "meshgw_exit_moves_total", "counter",
	       "Internet exit moves by the failover daemon, by reason: unreachable (the exit in use stopped answering), preferred_back (a more preferred one answered for the hold-down).");
	mbuf_printf(b, "meshgw_exit_moves_total{reason=\"unreachable\"} %llu\n",
		    (unsigned long long)s->exit_moves[MG_EXIT_MOVE_UNREACHABLE]);
	mbuf_printf(b, "meshgw_exit_moves_total{reason=\"preferred_back\"} %llu\n",
		    (unsigned long long)s->exit_moves[MG_EXIT_MOVE_BACK]);
	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		family(b, f[k].name, "counter", f[k].help);
		for (size_t i = 0; i < s->n_exits; i++)
			if (s->exits[i].have_dp)
				site_sample(b, f[k].name, s->exits[i].site, "%llu",
					    (unsigned long long)*(const __u64 *)((const char *)&s->exits[i].dp + f[k].off));
	}
}

int metrics_render(const struct status *s, struct mbuf *b)
{
	family(b, "meshgw_build_info", "gauge", "meshgw version; always 1.");
	mbuf_printf(b, "meshgw_build_info{version=\"");
	label_value(b, MESHGW_VERSION);
	mbuf_printf(b, "\"} 1\n");
	family(b, "meshgw_dataplane_up", "gauge", "1 when the BPF data plane's maps are pinned.");
	mbuf_printf(b, "meshgw_dataplane_up %d\n", s->have_maps);
	family(b, "meshgw_failover_daemon_up", "gauge",
	       "1 when the failover daemon updated its records in the last second.");
	mbuf_printf(b, "meshgw_failover_daemon_up %d\n", s->daemon_fresh);
	family(b, "meshgw_wireguard_up", "gauge", "1 when the WireGuard device answered.");
	mbuf_printf(b, "meshgw_wireguard_up %d\n", s->have_wg);
	family(b, "meshgw_peers", "gauge", "Peer sites in the mesh file.");
	mbuf_printf(b, "meshgw_peers %zu\n", s->n_peers);
	peer_dp(b, s);
	peer_wg(b, s);
	endpoint_info(b, s);
	peer_fo(b, s);
	endpoint_rx(b, s);
	datapath(b, s);
	interfaces(b, s);
	exits(b, s);
	return b->err;
}

int metrics_render_reload(const struct metrics_daemon *d, struct mbuf *b)
{
	family(b, "meshgw_config_last_reload_successful", "gauge",
	       "1 when the daemon's last load of its configuration files (at start or on "
	       "SIGHUP) was applied, 0 when it kept the previous configuration.");
	mbuf_printf(b, "meshgw_config_last_reload_successful %d\n", d->reload_ok);
	family(b, "meshgw_config_last_reload_success_timestamp_seconds", "gauge",
	       "Unix time of the daemon's last applied load of its configuration files.");
	mbuf_printf(b, "meshgw_config_last_reload_success_timestamp_seconds %lld.%03lld\n",
		    (long long)(d->reload_success_ns / 1000000000),
		    (long long)(d->reload_success_ns % 1000000000 / 1000000));
	return b->err;
}

/* The gateway's families, then the daemon's when d is given. */
static int collect(const struct mg_config *c, const struct metrics_daemon *d, char **text,
		   size_t *len)
{
	struct mbuf b = { 0 };
	struct status s;
	int ret;

	ret = status_gather(c, &s);
	if (!ret)
		ret = metrics_render(&s, &b);
	status_free(&s);
	if (!ret && d)
		ret = metrics_render_reload(d, &b);
	if (!ret && !b.s)
		mbuf_printf(&b, "%s", "");
	if (!ret)
		ret = b.err;
	if (ret) {
		mbuf_free(&b);
		return ret;
	}
	*text = b.s;
	*len = b.len;
	return 0;
}

int metrics_collect(const struct mg_config *c, char **text, size_t *len)
{
	return collect(c, NULL, text, len);
}

int metrics_http_provider(void *ctx, char **body, size_t *len)
{
	const struct metrics_daemon *d = ctx;

	return collect(d->cfg, d, body, len);
}
