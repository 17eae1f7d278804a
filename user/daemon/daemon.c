// SPDX-License-Identifier: GPL-2.0-only
/* meshgw run: the loop. Setup, the epoll loop over the timer, the signals, the
 * probe sockets and the metrics server, the tick that drives peers.c, inputs.c,
 * actions.c and watch.c (run only when sched.c finds something due), and
 * SIGHUP's reload. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "daemon/daemon.h"
#include "daemon/internal.h"
#include "failover/fo_state.h"
#include "failover/probe.h"
#include "gateway/gateway.h"
#include "lib/log.h"
#include "lib/notify.h"
#include "observe/http_metrics.h"
#include "observe/metrics.h"

/* Local settings override the defaults (0 = not set). */
static void config_failover_settings(const struct mg_config *c, struct fo_settings *s)
{
	if (c->local.failure_window_ms)
		s->fail_ms = c->local.failure_window_ms;
	if (c->local.probe_interval_ms)
		s->probe_fast_ms = c->local.probe_interval_ms;
	if (c->local.holddown_ms)
		s->holddown_ms = c->local.holddown_ms;
}

/* Everything that depends on the configuration: maps, backend, tag, peers. */
static int daemon_apply(struct daemon *d, const struct daemon_peer *old, size_t n_old)
{
	int ret;

	dp_maps_close(&d->maps);
	if (dp_maps_open(&d->maps, d->cfg.local.pin_path))
		pr_warn("no data plane under %s: using WireGuard's counters and the probe socket",
			d->cfg.local.pin_path);
	d->probe_ring_stale = true;
	if (d->state_fd < 0) {
		d->state_fd = fo_state_create(d->cfg.local.pin_path);
		if (d->state_fd < 0)
			pr_warn("cannot publish failover state in %s: %s", d->cfg.local.pin_path,
				strerror(-d->state_fd));
	}
	ret = wg_backend_choose(d->cfg.local.backend, d->cfg.local.path, &d->be);
	if (!ret)
		ret = probe_tag_for_config(&d->cfg, d->tag);
	if (!ret)
		ret = peers_start(d, old, n_old);
	/* the new peer list, every peer due at the next tick */
	if (sched_reset(d) && !ret)
		ret = -ENOMEM;
	paths_forget(d);
	return ret;
}

static void probe_sockets_close(int fd[MG_PROBE_PORTS])
{
	for (int k = 0; k < MG_PROBE_PORTS; k++) {
		if (fd[k] >= 0)
			close(fd[k]);
		fd[k] = -1;
	}
}

/* Endpoint i's probes leave from ProbePort + i. All or nothing. */
static int probe_sockets_open(int fd[MG_PROBE_PORTS], uint16_t first)
{
	for (int k = 0; k < MG_PROBE_PORTS; k++)
		fd[k] = -1;
	for (int k = 0; k < MG_PROBE_PORTS; k++) {
		fd[k] = probe_socket_open((uint16_t)(first + k));
		if (fd[k] < 0) {
			int err = fd[k];

			pr_err("cannot open the probe socket on UDP port %u (ProbePort + %d): %s",
			       first + k, k, strerror(-err));
			fd[k] = -1;
			probe_sockets_close(fd);
			return err;
		}
	}
	return 0;
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* GET /metrics on addr, serving d->cfg (whatever it holds when asked). */
static struct http_metrics *metrics_open(struct daemon *d, const char *addr)
{
	struct http_metrics *h;
	int err;

	d->minfo.cfg = &d->cfg;
	h = http_metrics_open(addr, NULL, metrics_http_provider, &d->minfo, &err);
	if (!h)
		pr_err("cannot serve metrics on %s: %s", addr, strerror(-err));
	return h;
}

/* What a reload has to open anew (probe sockets, metrics server) is opened before
 * anything is changed, so that a port that cannot be had leaves the daemon as it
 * was. */
struct reload_res {
	int probe_fd[MG_PROBE_PORTS];
	bool new_probes, new_http;
	struct http_metrics *http;
};

static int reload_prepare(struct daemon *d, const struct mg_config *fresh, struct reload_res *r)
{
	r->new_probes = probe_port_of(fresh) != probe_port_of(&d->cfg) &&
			!local_multi_uplink(&fresh->local);
	r->new_http = strcmp(fresh->local.metrics, d->cfg.local.metrics);
	r->http = NULL;
	if (r->new_probes && probe_sockets_open(r->probe_fd, probe_port_of(fresh)))
		return -1;
	if (r->new_http && fresh->local.metrics[0] && !(r->http = metrics_open(d, fresh->local.metrics))) {
		if (r->new_probes)
			probe_sockets_close(r->probe_fd);
		return -1;
	}
	return 0;
}

static void reload_discard(struct reload_res *r)
{
	if (r->new_probes)
		probe_sockets_close(r->probe_fd);
	http_metrics_close(r->http);
}

/* Swaps in what reload_prepare opened (closing a socket drops it from epoll). */
static void reload_commit(struct daemon *d, struct reload_res *r)
{
	if (r->new_probes) {
		probe_sockets_close(d->probe_fd);
		memcpy(d->probe_fd, r->probe_fd, sizeof(d->probe_fd));
		for (int k = 0; k < MG_PROBE_PORTS; k++)
			if (epoll_add(d->epfd, d->probe_fd[k]))
				pr_err("reload: probe socket %d not watched: %s", k, strerror(errno));
	}
	if (r->new_http) {
		http_metrics_close(d->http);
		d->http = r->http;
		if (d->http && epoll_add(d->epfd, http_metrics_fd(d->http)))
			pr_err("reload: metrics server not watched: %s", strerror(errno));
	}
}

/* The outcome of a load of the files, for meshgw_config_last_reload_*. */
static void loaded(struct daemon *d, bool ok)
{
	struct timespec ts;

	d->minfo.reload_ok = ok;
	if (ok && !clock_gettime(CLOCK_REALTIME, &ts))
		d->minfo.reload_success_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The paths, their sockets and meshgw's table are laid out for the uplinks the
 * daemon started with. */
static bool same_uplinks(const struct mg_local *a, const struct mg_local *b)
{
	if (!local_multi_uplink(a) && !local_multi_uplink(b))
		return true;
	if (a->n_uplinks != b->n_uplinks || a->fwmark != b->fwmark || a->steer_table != b->steer_table)
		return false;
	for (size_t i = 0; i < a->n_uplinks; i++)
		if (strcmp(a->uplinks[i].name, b->uplinks[i].name) ||
		    a->uplinks[i].has_via != b->uplinks[i].has_via ||
		    a->uplinks[i].via.s_addr != b->uplinks[i].via.s_addr)
			return false;
	return true;
}

static void reload(struct daemon *d)
{
	struct mg_errors e = { .out = stderr };
	struct daemon_peer *old_peers = d->peers;
	size_t n_old = d->n_peers;
	struct mg_config old = d->cfg, fresh;
	struct reload_res res;
	int ret;

	pr_info("SIGHUP: reloading %s and %s", d->mesh_path, d->local_path);
	if (config_load(&fresh, d->mesh_path, d->local_path, &e)) {
		pr_err("reload: %d problem%s; still running the previous configuration", e.count,
		       e.count == 1 ? "" : "s");
		config_free(&fresh);
		loaded(d, false);
		return;
	}
	if (strcmp(fresh.local.wg_if, old.local.wg_if) || strcmp(fresh.local.pin_path, old.local.pin_path) ||
	    strcmp(fresh.self->name, old.self->name) || !same_uplinks(&fresh.local, &old.local) ||
	    (local_multi_uplink(&fresh.local) && probe_port_of(&fresh) != probe_port_of(&old))) {
		pr_err("reload: WireGuardInterface, PinPath, Site and (with several uplinks) the "
		       "uplinks, FwMark, RoutingTable and the probe port cannot change while "
		       "running; restart meshgw");
		config_free(&fresh);
		loaded(d, false);
		return;
	}
	if (reload_prepare(d, &fresh, &res)) {
		pr_err("reload: still running the previous configuration");
		config_free(&fresh);
		loaded(d, false);
		return;
	}
	ret = gateway_reapply(&fresh);
	if (ret > 0) {
		stop_taken_down(d);
		reload_discard(&res);
		config_free(&fresh);
		return;
	}
	if (ret) {
		pr_err("reload: applying the new configuration failed; still running the previous one");
		reload_discard(&res);
		config_free(&fresh);
		loaded(d, false);
		return;
	}
	d->cfg = fresh;
	remember_ifaces(d);
	d->next_exit_check_ns = 0;	/* `up` put the first ExitVia back: check now */
	reload_commit(d, &res);
	/* gateway_reapply set the link up: down again at once if not the master */
	if (d->ha_ev)
		ha_guard_check(d);
	else if (ha_guard_start(d) || (ha_guard_fd(d) >= 0 && epoll_add(d->epfd, ha_guard_fd(d))))
		pr_err("reload: cannot watch the VRRP addresses (HaAddress)");
	fo_default_settings(&d->fo);		/* a key taken out goes back to its default */
	config_failover_settings(&d->cfg, &d->fo);
	/* (Applied, but a peer list it could not rebuild is a failed reload too.) */
	if (daemon_apply(d, old_peers, n_old)) {
		pr_err("reload: could not rebuild the peer list");
		loaded(d, false);
	} else {
		loaded(d, true);
	}
	peers_free(old_peers, n_old);
	config_free(&old);
	pr_info("reload: done, %zu peer%s; probes from UDP %u-%u, failure window %u ms, "
		"hold-down %u ms%s%s", d->n_peers, d->n_peers == 1 ? "" : "s", probe_port_of(&d->cfg),
		probe_port_of(&d->cfg) + MG_PROBE_PORTS - 1, d->fo.fail_ms, d->fo.holddown_ms,
		d->http ? ", metrics on " : "", d->http ? d->cfg.local.metrics : "");
}

static int setup_fds(struct daemon *d)
{
	sigset_t mask;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->timerfd < 0 || d->epfd < 0)
		return -errno;
	/* The ticks: every TICK_NS from now, as the periodic timer was; sched.c
	 * sets the timerfd to the next one at which something is due. */
	d->sched.tick0 = d->sched.tick_ns = mono_ns();
	if ((err = sched_arm(d)))
		return err;
	if ((err = epoll_add(d->epfd, d->sigfd)) || (err = epoll_add(d->epfd, d->timerfd)))
		return err;
	if (ha_guard_fd(d) >= 0 && (err = epoll_add(d->epfd, ha_guard_fd(d))))
		return err;
	if ((err = own_addr_watch_start(d)) || (err = epoll_add(d->epfd, own_addr_watch_fd(d))))
		return err;
	for (int k = 0; k < MG_PROBE_PORTS; k++)
		if (d->probe_fd[k] >= 0 && (err = epoll_add(d->epfd, d->probe_fd[k])))
			return err;
	if (d->cfg.local.metrics[0]) {
		/* The server's own epoll fd: readable while a client needs service. */
		d->http = metrics_open(d, d->cfg.local.metrics);
		if (!d->http)
			return -EADDRNOTAVAIL;
		if ((err = epoll_add(d->epfd, http_metrics_fd(d->http))))
			return err;
		pr_info("serving GET /metrics on %s", d->cfg.local.metrics);
	}
	return 0;
}

/* Type=notify: systemd counts the service started (and a reload finished) when it
 * reads READY=1; STATUS= is the line `systemctl status` shows. Without
 * $NOTIFY_SOCKET nothing is sent; a failure only costs systemd's view of us. */
static void notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void notify(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err = notify_send("%s", msg);
	if (err)
		pr_warn("cannot notify the service manager ($NOTIFY_SOCKET): %s", strerror(-err));
}

static void notify_ready(const struct daemon *d)
{
	notify("READY=1\nSTATUS=site %s, %zu peer%s", d->cfg.self->name, d->n_peers,
	       d->n_peers == 1 ? "" : "s");
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			/* MONOTONIC_USEC ties the reload to this signal (systemd >= 253). */
			notify("RELOADING=1\nMONOTONIC_USEC=%llu",
			       (unsigned long long)(mono_ns() / 1000));
			reload(d);
			if (!d->stop)
				notify_ready(d);
		} else {
			pr_info("%s: exiting; the data path stays up (pinned under %s)",
				strsignal((int)si.ssi_signo), d->cfg.local.pin_path);
			d->stop = true;
		}
	}
}

/* -1 when bringing the WireGuard interface back failed (tried again later), else 0. */
static int check_wireguard(struct daemon *d)
{
	if (!wireguard_gone(d))
		return 0;
	on_signal(d);		/* a SIGTERM already sent wins over bringing it back */
	if (d->stop)
		return 0;
	return restore_wireguard(d);
}

static void tick(struct daemon *d)
{
	uint64_t now = mono_ns();

	sched_tick_start(d, now);
	if (now >= d->next_wgsync_ns) {
		follow_wireguard(d, false);
		d->next_wgsync_ns = now + WGSYNC_NS;
	}
	if (now >= d->next_ifaces_ns) {
		d->next_ifaces_ns = now + (check_wireguard(d) || (!d->stop && check_ifaces(d)) ?
					   IFACES_RETRY_NS : IFACES_NS);
		if (!d->stop) {
			watch_fast_path(d);
			ha_guard_check(d);	/* a restore set the link up */
		}
	}
	if (d->stop) {
		sched_tick_end(d);
		return;		/* `meshgw down` took the gateway away */
	}

	paths_refresh(d, now);
	if (now >= d->next_counters_ns) {
		read_counters(d, now);
		d->next_counters_ns = now + COUNTERS_NS;
	}
	sched_collect(d, now);
	read_probe_replies(d, now);
	act_on_peers(d, now);
	exit_tick(d, now);
	if (now >= d->next_publish_ns && d->state_fd >= 0) {
		peers_publish(d, now);
		d->next_publish_ns = now + PUBLISH_NS;
	}
	sched_tick_end(d);
}

int daemon_run(const char *mesh_path, const char *local_path)
{
	struct mg_errors e = { .out = stderr };
	struct daemon d = { .mesh_path = mesh_path, .local_path = local_path, .epfd = -1,
			    .timerfd = -1, .sigfd = -1, .state_fd = -1,
			    .maps = DP_MAPS_NONE };
	int ret;

	fo_default_settings(&d.fo);
	if (config_load(&d.cfg, mesh_path, local_path, &e)) {
		pr_err("%d problem%s found; nothing was changed", e.count, e.count == 1 ? "" : "s");
		config_free(&d.cfg);
		return 1;
	}
	config_failover_settings(&d.cfg, &d.fo);
	loaded(&d, true);	/* the start's load counts as the first (as Prometheus's does) */
	if (gateway_up(&d.cfg, true)) {
		config_free(&d.cfg);
		return 1;
	}
	remember_ifaces(&d);
	for (int k = 0; k < MG_PROBE_PORTS; k++) {
		d.probe_fd[k] = -1;
		for (int u = 0; u < MG_MAX_UPLINKS; u++)
			d.uplink_fd[u][k] = -1;
	}
	/* Right after up: on a box that is not the VRRP master the link goes down
	 * before the daemon does anything else. */
	ret = ha_guard_start(&d);
	if (ret) {
		pr_err("cannot watch the VRRP addresses (HaAddress): %s", strerror(-ret));
		ret = 1;
		goto out;
	}
	/* Several uplinks: each has its own probe sockets, bound to its address
	 * and port (paths.c); a socket on the wildcard address would take the port. */
	if (!local_multi_uplink(&d.cfg.local) && probe_sockets_open(d.probe_fd, probe_port_of(&d.cfg))) {
		ret = 1;
		goto out;
	}
	ret = daemon_apply(&d, NULL, 0);
	if (!ret)
		ret = setup_fds(&d);
	if (!ret)
		ret = paths_start(&d);
	if (ret) {
		pr_err("cannot start the daemon: %s", strerror(-ret));
		ret = 1;
		goto out;
	}
	pr_info("running: site %s, %zu peer%s, probes from UDP %u-%u, failure window %u ms, "
		"hold-down %u ms", d.cfg.self->name, d.n_peers, d.n_peers == 1 ? "" : "s",
		probe_port_of(&d.cfg), probe_port_of(&d.cfg) + MG_PROBE_PORTS - 1, d.fo.fail_ms,
		d.fo.holddown_ms);
	notify_ready(&d);
	while (!d.stop) {
		struct epoll_event evs[5 + MG_PROBE_PORTS * MG_MAX_UPLINKS];
		int n = epoll_wait(d.epfd, evs, 5 + MG_PROBE_PORTS * MG_MAX_UPLINKS, -1);

		if (n < 0 && errno != EINTR) {
			pr_err("epoll: %s", strerror(errno));
			ret = 1;
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t expirations;

			if (evs[i].data.fd == d.sigfd) {
				on_signal(&d);
			} else if (evs[i].data.fd == d.timerfd) {
				if (read(d.timerfd, &expirations, sizeof(expirations)) > 0) {
					uint64_t t0 = mono_ns(), took;

					tick(&d);
					/* Decisions are timed in tens of ms: say when one stalls. */
					took = mono_ns() - t0;
					if (took > 100 * MS)
						pr_warn("a tick took %llu ms (WireGuard or the maps "
							"answered slowly)", (unsigned long long)(took / MS));
				}
				if (d.http)
					http_metrics_tick(d.http, mono_ns());
			} else if (evs[i].data.fd == ha_guard_fd(&d)) {
				ha_guard_event(&d);
			} else if (evs[i].data.fd == own_addr_watch_fd(&d)) {
				own_addr_watch_event(&d);
			} else if (d.http && evs[i].data.fd == http_metrics_fd(d.http)) {
				http_metrics_on_ready(d.http, mono_ns());
			} else {
				drain_probe_socket(&d, evs[i].data.fd);
			}
		}
		/* The next tick: what this one left due, or what a reply touched. */
		if (!d.stop && (ret = sched_arm(&d))) {
			pr_err("timerfd: %s", strerror(-ret));
			ret = 1;
			break;
		}
	}
	notify("STOPPING=1");
out:
	http_metrics_close(d.http);
	peers_free(d.peers, d.n_peers);
	sched_free(&d.sched);
	probe_batch_free(&d.probes);
	dp_maps_close(&d.maps);
	int fds[] = { d.epfd, d.timerfd, d.sigfd, d.state_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	probe_sockets_close(d.probe_fd);
	paths_stop(&d);
	ha_guard_stop(&d);
	own_addr_watch_stop(&d);
	config_free(&d.cfg);
	return ret;
}
