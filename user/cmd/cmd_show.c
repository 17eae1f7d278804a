// SPDX-License-Identifier: GPL-2.0-only
/* meshgw show: per peer site, its endpoints with health, the handshake age and
 * the counters of the BPF data plane next to WireGuard's own, and failovers.
 * Read-only, from what is running; keys are never printed. -j: JSON with raw
 * numbers (bytes, nanoseconds). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include "cmd/commands.h"
#include "config/config.h"
#include "config/resolve.h"
#include "dataplane/dp_iface.h"
#include "failover/failover.h"
#include "lib/rtnl.h"
#include "lib/sockaddr.h"
#include "observe/ha_role.h"
#include "observe/json_writer.h"
#include "observe/status.h"


struct colours {
	const char *bold, *green, *red, *yellow, *dim, *off;
};

static void human_bytes(char *buf, size_t len, uint64_t v)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)v;
	int u = -1;

	if (v < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", v);
		return;
	}
	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	snprintf(buf, len, "%.2f %s", d, unit[u]);
}

static void human_age(char *buf, size_t len, uint64_t ns)
{
	uint64_t s = ns / 1000000000ULL;

	if (s < 10)
		snprintf(buf, len, "%.1f s ago", (double)ns / 1e9);
	else if (s < 120)
		snprintf(buf, len, "%" PRIu64 " s ago", s);
	else if (s < 7200)
		snprintf(buf, len, "%" PRIu64 " min %" PRIu64 " s ago", s / 60, s % 60);
	else if (s < 172800)
		snprintf(buf, len, "%" PRIu64 " h %" PRIu64 " min ago", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%" PRIu64 " days ago", s / 86400);
}

static uint64_t failovers_total(const struct status_peer *p)
{
	uint64_t n = 0;

	for (unsigned int r = 0; p->have_fo && r < MG_FAILOVER_REASONS; r++)
		n += p->fo.failovers[r];
	return n;
}

/* Age of a handshake given as unix time, in ns; -1 = never. */
static int64_t handshake_age(const struct status *s, const struct status_peer *p)
{
	int64_t t;

	if (!p->handshake_sec && !p->handshake_nsec)
		return -1;
	t = p->handshake_sec * 1000000000LL + p->handshake_nsec;
	return s->real_ns > t ? s->real_ns - t : 0;
}

/* --- text ----------------------------------------------------------------------------- */

static void text_endpoint(const struct status *s, const struct status_peer *p, size_t i,
			  const struct colours *c)
{
	const struct status_endpoint *e = &p->eps[i];
	char addr[96] = "", age[48];
	const char *hc = c->dim;

	if (e->have_addr && !e->is_wg_endpoint) {
		char a[80];

		sockaddr_str(&e->addr, a, sizeof(a));
		if (strcmp(a, e->name))
			snprintf(addr, sizeof(addr), " (%s)", a);
	}
	printf("    %s %zu: %s%s%s%s%s", (int)i == p->active ? "*" : " ", i, e->name, addr,
	       e->uplink[0] ? " via " : "", e->uplink, (int)i == p->active ? "  active" : "");
	if (e->have_fo) {
		hc = e->fo.health == MG_EP_UP ? c->green : e->fo.health == MG_EP_DOWN ? c->red : c->dim;
		printf("  %s%s%s", hc, status_health_name(e->fo.health), c->off);
		if (e->fo.probe_replies)
			printf("  rtt %.2f ms", (double)e->fo.rtt_ns / 1e6);
		else
			printf("  rtt -");
		printf("  loss %u.%u %%  probes %" PRIu64 " sent, %" PRIu64 " answered",
		       e->fo.loss_permille / 10, e->fo.loss_permille % 10,
		       (uint64_t)e->fo.probes_sent, (uint64_t)e->fo.probe_replies);
		if (e->fo.last_reply_ns && s->mono_ns >= e->fo.last_reply_ns) {
			human_age(age, sizeof(age), s->mono_ns - e->fo.last_reply_ns);
			printf(" (last %s)", age);
		}
	}
	if (e->have_rx) {
		char b[32];

		human_bytes(b, sizeof(b), e->rx.bytes);
		printf("  received %" PRIu64 " packets, %s", (uint64_t)e->rx.packets, b);
	}
	printf("\n");
}

/* "  lan0 (XDP): fast path on" / "  br0 (TC only): the driver has no native XDP" */
static void text_iface(const struct dp_iface_entry *e, const struct colours *c)
{
	const struct mg_iface *v = &e->v;
	uint64_t fb = v->fallbacks[MG_FB_TX] + v->fallbacks[MG_FB_REDIRECT];
	bool off = (v->flags & MG_IF_XDP) && !(v->flags & MG_IF_XMIT);

	if (v->flags & MG_IF_KERNEL)
		printf("    %s: kernel only, %s", v->name, DP_KERNEL_TEXT);
	else
		printf("    %s: %s (%s), %s%s%s", v->name, v->flags & MG_IF_XDP ? "XDP + TC" : "TC only",
		       v->flags & MG_IF_TCX ? "tcx" : "cls_bpf", off ? c->yellow : "",
		       (v->flags & MG_IF_XDP) && (v->flags & MG_IF_XMIT) ?
		       "XDP fast path on" : dp_why_text((enum mg_if_why)v->why), off ? c->off : "");
	if (fb)
		printf(" (%" PRIu64 " frames the kernel could not transmit)", fb);
	if (v->flags & MG_IF_FILTERS)
		printf("; TC filters of another tool on its ingress: the kernel forwards what comes in "
		       "here");
	else if (!(v->flags & MG_IF_FWD))
		printf("; forwarding to it left to the kernel (netfilter or IPsec acts)");
	if (v->flags & MG_IF_RPF)
		printf("; rp_filter %s: sources checked as the kernel does",
		       v->flags & MG_IF_RPF_STRICT ? "strict" : "loose");
	if (v->flags & (MG_IF_NOFWD4 | MG_IF_NOFWD6))
		printf("; the kernel forwards no %s from it, nor does meshgw",
		       (v->flags & MG_IF_NOFWD4) && (v->flags & MG_IF_NOFWD6) ? "IP" :
		       v->flags & MG_IF_NOFWD4 ? "IPv4" : "IPv6");
	printf("\n");
}

static void text_peer(const struct status *s, const struct status_peer *p, const struct colours *c)
{
	char b1[32], b2[32], age[48];
	int64_t hs;

	printf("\n%s%s%s %s%s%s\n", c->yellow, p->client ? "client" : "peer", c->off, c->bold,
	       p->site, c->off);
	if (p->client) {
		char a[80];

		/* No endpoint configured: WireGuard learnt it from the client. */
		printf("  roaming: %s\n", p->wg_have_endpoint ?
		       sockaddr_str(&p->wg_endpoint, a, sizeof(a)) : "not connected yet");
	} else {
		printf("  %s (preference order):\n",
		       p->n_eps && p->eps[0].uplink[0] ? "paths: endpoint via our uplink" : "endpoints");
	}
	for (size_t i = 0; i < p->n_eps; i++)
		text_endpoint(s, p, i, c);
	if (!p->client && p->wg_have_endpoint && p->active < 0) {
		bool unresolved = false;
		char a[80];

		for (size_t i = 0; i < p->n_eps; i++)
			unresolved |= !p->eps[i].have_addr;
		/* show never waits for DNS: without the daemon's records a hostname
		 * candidate has no address to compare with. */
		printf("    WireGuard sends to %s, %s\n", sockaddr_str(&p->wg_endpoint, a, sizeof(a)),
		       unresolved ? "not matched (hostnames are resolved by the daemon, not by show)"
				  : "none of the candidates");
	}
	if (p->have_wg) {
		hs = handshake_age(s, p);
		if (hs < 0) {
			printf("  latest handshake: %snever%s\n", c->red, c->off);
		} else {
			human_age(age, sizeof(age), (uint64_t)hs);
			printf("  latest handshake: %s%s%s\n", hs > 180000000000LL ? c->red : "", age,
			       hs > 180000000000LL ? c->off : "");
		}
	} else if (s->have_wg) {
		printf("  latest handshake: %snot a peer of %s%s\n", c->red, s->wg_if, c->off);
	}
	if (p->have_dp) {
		human_bytes(b1, sizeof(b1), p->dp.rx_bytes);
		human_bytes(b2, sizeof(b2), p->dp.tx_bytes);
		printf("  transfer (BPF, cleartext): %" PRIu64 " packets, %s received; %" PRIu64
		       " packets, %s sent\n", (uint64_t)p->dp.rx_packets, b1, (uint64_t)p->dp.tx_packets, b2);
		printf("  drops: ");
		for (unsigned int r = 0, n = 0; r < MG_DROP__MAX; r++)
			if (status_drop_name(r))
				printf("%s%s %" PRIu64, n++ ? ", " : "", status_drop_name(r),
				       (uint64_t)p->dp.drops[r]);
		printf("\n");
	} else {
		printf("  transfer (BPF): %smissing%s (%s)\n", c->red, c->off,
		       s->have_maps ? "no slot for this peer in mg_peer_info" : "data plane not up");
	}
	if (p->have_wg) {
		human_bytes(b1, sizeof(b1), p->wg_rx_bytes);
		human_bytes(b2, sizeof(b2), p->wg_tx_bytes);
		printf("  transfer (WireGuard, encrypted): %s received, %s sent\n", b1, b2);
	}
	if (p->have_fo) {
		uint64_t n = failovers_total(p);

		printf("  failovers: %" PRIu64, n);
		if (n) {
			printf(" (");
			for (unsigned int r = 1, k = 0; r < FO_REASON__COUNT; r++)
				if (p->fo.failovers[r])
					printf("%s%s %" PRIu64, k++ ? ", " : "",
					       fo_reason_name((enum fo_reason)r), (uint64_t)p->fo.failovers[r]);
			printf(")");
		}
		if (p->fo.last_change_ns && s->mono_ns >= p->fo.last_change_ns) {
			human_age(age, sizeof(age), s->mono_ns - p->fo.last_change_ns);
			printf("; last: %s, %s", fo_reason_name((enum fo_reason)p->fo.last_reason), age);
		}
		printf("%s\n", p->fo.meshgw_peer ? "" : "  (peer answers no probes: plain WireGuard?)");
	}
}

/* "  ha: master (...)" on a box of a pair (HaAddress); a standby with the tunnel
 * up is the one thing a pair must never have: said in red. A standby whose
 * WireGuard link is down sends nothing: meshgw keeps it down there (`up` leaves
 * it down, `run` takes it down). */
static void text_ha(const struct status *s, const struct ha_role *ha, bool link_down,
		    const struct colours *c)
{
	char t[1024];

	if (ha->kind == HA_NONE)
		return;
	ha_role_text(ha, t, sizeof(t));
	printf("  ha: %s%s%s\n", ha->kind == HA_PARTIAL ? c->red : "", t,
	       ha->kind == HA_PARTIAL ? c->off : "");
	if (ha->kind != HA_MASTER && link_down)
		printf("  ha: WireGuard link %s down: this box sends nothing (meshgw keeps it down "
		       "off the master)\n", s->wg_if);
	else if (ha->kind != HA_MASTER && (s->have_wg || s->have_maps))
		printf("  ha: %sthe tunnel is up on a box that is not the master%s (keepalived's "
		       "notify did not take it down?)\n", c->red, c->off);
}

enum wg_link_state { WG_LINK_NONE, WG_LINK_DOWN, WG_LINK_UP };

/* Whether the WireGuard link exists, and is administratively up: a pair's box off
 * the master keeps it down (daemon/ha_guard.c), and then sends nothing. */
static enum wg_link_state wg_link_state(const char *wg)
{
	enum wg_link_state st = WG_LINK_NONE;
	struct rtnl_link l;
	struct nl_sock rt;

	if (nl_open(&rt, NETLINK_ROUTE))
		return WG_LINK_NONE;
	if (!rtnl_link_get(&rt, wg, &l))
		st = l.flags & IFF_UP ? WG_LINK_UP : WG_LINK_DOWN;
	nl_close(&rt);
	return st;
}

/* "exit: through madrid (ExitVia madrid, paris)", or the local internet. */
static void text_exit(const struct status *s, const struct colours *c)
{
	const struct status_exit *active = NULL;

	if (s->self_exit)
		printf("  exit site: the other sites' and clients' internet traffic leaves here, masqueraded\n");
	if (!s->n_exits)
		return;
	for (size_t i = 0; i < s->n_exits; i++)
		if (s->exits[i].active)
			active = &s->exits[i];
	if (!s->have_exit_map)
		printf("  internet exit: unknown (data plane not up)");
	else if (active)
		printf("  internet exit: %sthrough %s%s", c->green, active->site, c->off);
	else
		printf("  internet exit: %slocal internet%s (no ExitVia site reachable)", c->red, c->off);
	printf(" (ExitVia");
	for (size_t i = 0; i < s->n_exits; i++)
		printf("%s %s", i ? "," : "", s->exits[i].site);
	printf(")");
	if (s->have_exit_map)
		printf(", moved %llu times (%llu unreachable, %llu back)",
		       (unsigned long long)(s->exit_moves[MG_EXIT_MOVE_UNREACHABLE] +
					    s->exit_moves[MG_EXIT_MOVE_BACK]),
		       (unsigned long long)s->exit_moves[MG_EXIT_MOVE_UNREACHABLE],
		       (unsigned long long)s->exit_moves[MG_EXIT_MOVE_BACK]);
	printf("\n");
	for (size_t i = 0; i < s->n_exits; i++)
		if (s->exits[i].have_dp)
			printf("    via %s: %" PRIu64 " packets out, %" PRIu64 " back\n", s->exits[i].site,
			       (uint64_t)s->exits[i].dp.tx_packets, (uint64_t)s->exits[i].dp.rx_packets);
}

static void show_text(const struct status *s, const struct ha_role *ha, bool link_down,
		      bool colour)
{
	static const struct colours on = { "\033[1m", "\033[32m", "\033[31m", "\033[33m", "\033[2m", "\033[0m" };
	static const struct colours off = { "", "", "", "", "", "" };
	const struct colours *c = colour ? &on : &off;
	char age[48];

	printf("%ssite%s %s%s%s  interface %s\n", c->yellow, c->off, c->bold, s->self, c->off, s->wg_if);
	text_ha(s, ha, link_down, c);
	if (ha->kind == HA_STANDBY && !s->have_wg && !s->have_maps && !s->have_fo_map)
		return;	/* a standby runs nothing: nothing more to say */
	if (s->have_wg)
		printf("  WireGuard: %s backend\n", s->wg_backend);
	else
		printf("  WireGuard: %snot running%s (%s)\n", c->red, c->off, s->wg_error);
	if (s->have_maps) {
		printf("  data plane: pinned in %s", s->pin_path);
		if (s->have_stats)
			printf("; fast path forwarded %" PRIu64 " packets (XDP), %" PRIu64 " (TC)",
			       (uint64_t)(s->stats[MG_STAT_XDP_FWD_TX].packets +
					  s->stats[MG_STAT_XDP_FWD_REDIRECT].packets),
			       (uint64_t)s->stats[MG_STAT_TC_FWD].packets);
		printf("\n");
		for (int i = 0; i < s->n_ifaces; i++)
			text_iface(&s->ifaces[i], c);
	} else {
		printf("  data plane: %snot up%s (no maps pinned in %s)\n", c->red, c->off, s->pin_path);
	}
	if (s->daemon_fresh) {
		human_age(age, sizeof(age), s->mono_ns - s->fo_updated_ns);
		printf("  failover daemon: %srunning%s (updated %s)\n", c->green, c->off, age);
	} else if (s->fo_updated_ns) {
		human_age(age, sizeof(age),
			  s->mono_ns > s->fo_updated_ns ? s->mono_ns - s->fo_updated_ns : 0);
		printf("  failover daemon: %snot running%s (records last updated %s)\n", c->red,
		       c->off, age);
	} else {
		printf("  failover daemon: %snot running%s (no records in %s/mg_failover)\n", c->red,
		       c->off, s->pin_path);
	}
	text_exit(s, c);
	for (size_t i = 0; i < s->n_peers; i++)
		text_peer(s, &s->peers[i], c);
}

/* --- JSON ------------------------------------------------------------------------------ */

static void json_ifaces(struct jw *w, const struct status *s)
{
	jw_array(w, "interfaces");
	for (int i = 0; i < s->n_ifaces; i++) {
		const struct mg_iface *v = &s->ifaces[i].v;

		jw_object(w, NULL);
		jw_string(w, "name", v->name);
		jw_u64(w, "ifindex", s->ifaces[i].ifindex);
		jw_bool(w, "xdp", v->flags & MG_IF_XDP);
		/* false: no program of meshgw on it, the kernel forwards (MG_IF_KERNEL) */
		jw_bool(w, "tc", !(v->flags & MG_IF_KERNEL));
		/* how the TC program is attached: null where there is none */
		if (v->flags & MG_IF_KERNEL)
			jw_null(w, "tc_hook");
		else
			jw_string(w, "tc_hook", v->flags & MG_IF_TCX ? "tcx" : "cls_bpf");
		jw_bool(w, "xdp_target", v->flags & MG_IF_XMIT);
		jw_bool(w, "layer3", v->flags & MG_IF_L3);
		jw_bool(w, "fast_forward", v->flags & MG_IF_FWD);
		/* filters of another tool on its ingress (MG_IF_FILTERS) */
		jw_bool(w, "foreign_tc_ingress", v->flags & MG_IF_FILTERS);
		/* the kernel's reverse-path filter there, which the fast paths apply too */
		jw_string(w, "rp_filter", v->flags & MG_IF_RPF_STRICT ? "strict" :
					  v->flags & MG_IF_RPF_LOOSE ? "loose" : "off");
		/* does the kernel forward what comes in here (its forwarding sysctls)? */
		jw_bool(w, "forwards_ipv4", !(v->flags & MG_IF_NOFWD4));
		jw_bool(w, "forwards_ipv6", !(v->flags & MG_IF_NOFWD6));
		jw_string(w, "reason", dp_why_name((enum mg_if_why)v->why));
		jw_string(w, "reason_text", v->flags & MG_IF_KERNEL ? DP_KERNEL_TEXT :
					    dp_why_text((enum mg_if_why)v->why));
		jw_object(w, "fallbacks");
		jw_u64(w, dp_fallback_name(MG_FB_TX), v->fallbacks[MG_FB_TX]);
		jw_u64(w, dp_fallback_name(MG_FB_REDIRECT), v->fallbacks[MG_FB_REDIRECT]);
		jw_end(w);
		jw_end(w);
	}
	jw_end(w);
}

static void json_peer(struct jw *w, const struct status *s, const struct status_peer *p)
{
	char a[80];
	int64_t hs;

	jw_object(w, NULL);
	jw_string(w, "site", p->site);
	jw_bool(w, "client", p->client);
	if (p->active >= 0)
		jw_u64(w, "active_endpoint", (uint64_t)p->active);
	else
		jw_null(w, "active_endpoint");
	jw_array(w, "endpoints");
	for (size_t i = 0; i < p->n_eps; i++) {
		const struct status_endpoint *e = &p->eps[i];

		jw_object(w, NULL);
		jw_u64(w, "index", i);
		jw_string(w, "endpoint", e->name);
		if (e->uplink[0]) {	/* several uplinks: a path */
			jw_u64(w, "endpoint_index", e->ep_index);
			jw_string(w, "uplink", e->uplink);
		}
		jw_string(w, "address", e->have_addr ? sockaddr_str(&e->addr, a, sizeof(a)) : NULL);
		jw_bool(w, "active", (int)i == p->active);
		jw_bool(w, "wireguard_endpoint", e->is_wg_endpoint);
		if (e->have_fo) {
			jw_string(w, "health", status_health_name(e->fo.health));
			if (e->fo.probe_replies)
				jw_u64(w, "rtt_ns", e->fo.rtt_ns);
			else
				jw_null(w, "rtt_ns");
			jw_u64(w, "loss_permille", e->fo.loss_permille);
			jw_u64(w, "probes_sent", e->fo.probes_sent);
			jw_u64(w, "probe_replies", e->fo.probe_replies);
			if (e->fo.last_reply_ns && s->mono_ns >= e->fo.last_reply_ns)
				jw_u64(w, "last_reply_age_ns", s->mono_ns - e->fo.last_reply_ns);
			else
				jw_null(w, "last_reply_age_ns");
		} else {
			jw_null(w, "health");
		}
		if (e->have_rx) {
			jw_u64(w, "rx_packets", e->rx.packets);
			jw_u64(w, "rx_bytes", e->rx.bytes);
		}
		jw_end(w);
	}
	jw_end(w);
	if (p->have_wg) {
		jw_object(w, "wireguard");
		hs = handshake_age(s, p);
		if (hs < 0) {
			jw_null(w, "latest_handshake_unix");
			jw_null(w, "latest_handshake_age_ns");
		} else {
			jw_i64(w, "latest_handshake_unix", p->handshake_sec);
			jw_i64(w, "latest_handshake_age_ns", hs);
		}
		jw_u64(w, "rx_bytes", p->wg_rx_bytes);
		jw_u64(w, "tx_bytes", p->wg_tx_bytes);
		jw_string(w, "endpoint", p->wg_have_endpoint ? sockaddr_str(&p->wg_endpoint, a, sizeof(a))
							     : NULL);
		jw_end(w);
	} else {
		jw_null(w, "wireguard");
	}
	if (p->have_dp) {
		jw_object(w, "bpf");
		jw_u64(w, "index", (uint64_t)p->dp_index);
		jw_u64(w, "rx_packets", p->dp.rx_packets);
		jw_u64(w, "rx_bytes", p->dp.rx_bytes);
		jw_u64(w, "tx_packets", p->dp.tx_packets);
		jw_u64(w, "tx_bytes", p->dp.tx_bytes);
		jw_u64(w, "lan_packets", p->dp.lan_packets);
		jw_u64(w, "lan_bytes", p->dp.lan_bytes);
		jw_object(w, "drops");
		for (unsigned int r = 0; r < MG_DROP__MAX; r++)
			if (status_drop_name(r))
				jw_u64(w, status_drop_name(r), p->dp.drops[r]);
		jw_end(w);
		jw_end(w);
	} else {
		jw_null(w, "bpf");
	}
	if (p->have_fo) {
		jw_object(w, "failover");
		jw_bool(w, "meshgw_peer", p->fo.meshgw_peer);
		jw_u64(w, "total", failovers_total(p));
		jw_object(w, "by_reason");
		for (unsigned int r = 1; r < FO_REASON__COUNT; r++)
			jw_u64(w, fo_reason_name((enum fo_reason)r), p->fo.failovers[r]);
		jw_end(w);
		if (p->fo.last_change_ns) {
			jw_string(w, "last_reason", fo_reason_name((enum fo_reason)p->fo.last_reason));
			jw_i64(w, "last_change_unix_ns", status_mono_to_real(s, p->fo.last_change_ns));
			jw_u64(w, "last_change_age_ns", s->mono_ns >= p->fo.last_change_ns ?
							   s->mono_ns - p->fo.last_change_ns : 0);
		} else {
			jw_null(w, "last_reason");
		}
		jw_end(w);
	} else {
		jw_null(w, "failover");
	}
	jw_end(w);
}

/* "ha": null off a pair; else the role and each VRRP address, held where. */
static void json_ha(struct jw *w, const struct ha_role *ha, enum wg_link_state link)
{
	char a[PREFIX_STR_MAX];

	if (ha->kind == HA_NONE) {
		jw_null(w, "ha");
		return;
	}
	jw_object(w, "ha");
	jw_string(w, "role", ha_role_name(ha->kind));
	jw_array(w, "addresses");
	for (size_t i = 0; i < ha->n; i++) {
		jw_object(w, NULL);
		jw_string(w, "address", prefix_addr_str(&ha->addr[i], a, sizeof(a)));
		jw_bool(w, "held", ha->ifname[i][0]);
		jw_string(w, "interface", ha->ifname[i][0] ? ha->ifname[i] : NULL);
		jw_end(w);
	}
	jw_end(w);
	/* false: the link is held down (this box sends nothing); null: no link */
	if (link == WG_LINK_NONE)
		jw_null(w, "wireguard_link_up");
	else
		jw_bool(w, "wireguard_link_up", link == WG_LINK_UP);
	jw_end(w);
}

static int show_json(const struct status *s, const struct ha_role *ha, enum wg_link_state link)
{
	struct jw w;

	jw_init(&w, stdout, true);
	jw_object(&w, NULL);
	jw_string(&w, "site", s->self);
	jw_string(&w, "interface", s->wg_if);
	jw_string(&w, "pin_path", s->pin_path);
	json_ha(&w, ha, link);
	jw_object(&w, "wireguard");
	jw_bool(&w, "up", s->have_wg);
	jw_string(&w, "backend", s->have_wg ? s->wg_backend : NULL);
	jw_string(&w, "error", s->have_wg ? NULL : s->wg_error);
	jw_end(&w);
	jw_object(&w, "dataplane");
	jw_bool(&w, "up", s->have_maps);
	if (s->have_stats) {
		jw_object(&w, "verdicts");
		for (int i = 0; i < MG_STAT__MAX; i++) {
			jw_object(&w, dp_stat_desc[i].name);
			jw_u64(&w, "packets", s->stats[i].packets);
			jw_u64(&w, "bytes", s->stats[i].bytes);
			jw_end(&w);
		}
		jw_end(&w);
	} else {
		jw_null(&w, "verdicts");
	}
	json_ifaces(&w, s);
	jw_end(&w);
	jw_object(&w, "failover_daemon");
	jw_bool(&w, "running", s->daemon_fresh);
	if (s->fo_updated_ns)
		jw_u64(&w, "updated_age_ns", s->mono_ns > s->fo_updated_ns ? s->mono_ns - s->fo_updated_ns : 0);
	else
		jw_null(&w, "updated_age_ns");
	jw_end(&w);
	jw_array(&w, "peers");
	for (size_t i = 0; i < s->n_peers; i++)
		json_peer(&w, s, &s->peers[i]);
	jw_end(&w);
	jw_object(&w, "exit");
	jw_bool(&w, "exit_site", s->self_exit);
	jw_u64(&w, "moves_unreachable", s->exit_moves[MG_EXIT_MOVE_UNREACHABLE]);
	jw_u64(&w, "moves_preferred_back", s->exit_moves[MG_EXIT_MOVE_BACK]);
	jw_array(&w, "via");
	for (size_t i = 0; i < s->n_exits; i++) {
		jw_object(&w, NULL);
		jw_string(&w, "site", s->exits[i].site);
		jw_bool(&w, "active", s->exits[i].active);
		jw_u64(&w, "transmit_packets", s->exits[i].dp.tx_packets);
		jw_u64(&w, "transmit_bytes", s->exits[i].dp.tx_bytes);
		jw_u64(&w, "receive_packets", s->exits[i].dp.rx_packets);
		jw_u64(&w, "receive_bytes", s->exits[i].dp.rx_bytes);
		jw_end(&w);
	}
	jw_end(&w);
	jw_end(&w);
	jw_end(&w);
	return jw_finish(&w);
}

int cmd_show(int argc, char **argv)
{
	struct mg_config c;
	struct cli_opts o;
	struct ha_role ha;
	enum wg_link_state link;
	struct status s;
	int ret;

	if (!cli_load(argc, argv, true, &o, &c, &ret))
		return ret;
	ret = status_gather(&c, &s);
	if (!ret && (ret = ha_role_get(&c.local, &ha)))
		status_free(&s);
	config_free(&c);
	if (ret) {
		fprintf(stderr, "meshgw: %s\n", strerror(-ret));
		return 1;
	}
	/* A standby of a pair runs nothing: that is its place, not a problem. */
	if (!s.have_maps && !s.have_wg && !s.have_fo_map && ha.kind != HA_STANDBY) {
		if (ha.kind != HA_NONE) {
			char t[1024];

			ha_role_text(&ha, t, sizeof(t));
			fprintf(stderr, "meshgw: ha: %s\n", t);
		}
		fprintf(stderr, "meshgw: site %s is not up: no data-plane maps pinned in %s and no "
			"WireGuard device (%s); run `meshgw up` or `meshgw run`\n",
			s.self, s.pin_path, s.wg_error);
		status_free(&s);
		return 1;
	}
	link = ha.kind != HA_NONE ? wg_link_state(s.wg_if) : WG_LINK_NONE;
	if (o.json)
		ret = show_json(&s, &ha, link);
	else
		show_text(&s, &ha, link == WG_LINK_DOWN,
			  isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	status_free(&s);
	if (fflush(stdout) || ferror(stdout))
		return 1;
	return ret ? 1 : 0;
}
