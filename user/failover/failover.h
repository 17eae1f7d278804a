/* SPDX-License-Identifier: GPL-2.0-only */
/* Endpoint failover decisions (DESIGN.md "Failover"), kept free of I/O so every
 * rule can be unit-tested with a synthetic clock. The daemon feeds in what the
 * maps and WireGuard report and carries out the actions this returns.
 *
 * Per peer: a list of candidate endpoints in preference order, one active.
 * - passive: WireGuard's tx for the peer moving while rx stays still for
 *   suspect_ms makes the peer "suspect": all its candidates are probed fast.
 * - active: probes to each candidate; a candidate is down when probes have gone
 *   unanswered for fail_ms (and at least two were sent), up on any reply; the
 *   active one under traffic already when fail_ms have passed since the first
 *   unanswered packet and its probes went unanswered for half of that.
 * - the active endpoint moves to the most preferred up candidate when it is down
 *   (one answering now before one up on older replies), unless the peer's
 *   packets still arrive (probe loss alone moves nothing);
 *   back to a more preferred one only after that stayed up for holddown_ms.
 * - a peer that never answered a probe (plain WireGuard, no meshgw) fails over on
 *   the passive signal alone: rx still for plain_fail_ms while tx moves. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define FO_MAX_ENDPOINTS 8
/* How long the least round trip stands for the path's own (rtt_base_ns): long
 * enough to outlast a link that went down and came back (whose probes return
 * late together), short enough to follow a path that really got longer. */
#define FO_RTT_BASE_NS (10ULL * 1000000000ULL)

struct fo_settings {
	uint32_t probe_fast_ms;		/* probe interval while a peer is suspect */
	uint32_t probe_idle_ms;		/* active endpoint, nothing wrong */
	uint32_t probe_standby_ms;	/* other candidates, nothing wrong */
	uint32_t probe_recover_ms;	/* a down endpoint we would move back to */
	uint32_t suspect_ms;		/* tx without rx this long → suspect */
	uint32_t fail_ms;		/* probes unanswered this long → down */
	uint32_t plain_fail_ms;		/* peers without meshgw: rx still this long → switch */
	uint32_t holddown_ms;		/* preferred endpoint up this long → move back */
};
void fo_default_settings(struct fo_settings *s);

enum fo_ep_state { FO_EP_UNKNOWN, FO_EP_UP, FO_EP_DOWN };

enum fo_reason {
	FO_REASON_NONE,
	FO_REASON_PROBE_LOSS,		/* active endpoint stopped answering probes */
	FO_REASON_NO_RX,		/* plain WireGuard peer: sending without receiving */
	FO_REASON_PREFERRED_BACK,	/* a more preferred endpoint was up for the hold-down */
	FO_REASON_ADDRESS_CHANGED,	/* the endpoint's hostname resolves elsewhere */
	FO_REASON__COUNT,
};
const char *fo_reason_name(enum fo_reason r);	/* metric-label-safe names */

struct fo_endpoint {
	/* probe bookkeeping */
	uint32_t next_seq;
	uint64_t last_probe_ns;		/* when we last sent one */
	uint64_t unanswered_since_ns;	/* first probe after the last reply, 0 = none */
	uint32_t unanswered;		/* probes sent since the last reply */
	uint64_t last_reply_ns;
	uint32_t last_reply_seq;
	uint64_t rtt_ns;		/* of the last reply */
	uint64_t rtt_base_ns;		/* the least of the last FO_RTT_BASE_NS: the path's own */
	uint64_t rtt_base_at_ns;	/* when that one came */
	uint64_t probes_sent, replies;
	uint64_t history;		/* bit i = probe seq-i answered (loss over 64) */
	uint64_t last_loss_ns;		/* a probe went unanswered (blocks failback) */
	/* health */
	enum fo_ep_state state;
	uint64_t up_since_ns;
};

struct fo_peer {
	unsigned int n_ep;
	struct fo_endpoint ep[FO_MAX_ENDPOINTS];
	unsigned int active;
	bool meshgw_peer;		/* has ever answered a probe */
	bool suspect;
	uint64_t rx_bytes, tx_bytes;	/* last seen WireGuard counters */
	uint64_t rx_change_ns, tx_change_ns;
	uint64_t tx_unanswered_since_ns;	/* first tx after rx last moved, 0 = none */
	uint64_t all_down_since_ns;
	uint64_t last_switch_ns;
	uint64_t fast_probe_until_ns;	/* after WireGuard roamed: check the old endpoint */
	uint64_t last_failback_ns;
	unsigned int failbacks_undone;	/* hold-down doubles for each (flap damping) */
	uint64_t nat_hold_until_ns;	/* no move back before: the far side's NAT keeps
					 * sending its packets by the other path */
	unsigned int nat_hold_ep;	/* the endpoint that hold keeps us off */
	unsigned int reasserts;		/* since the last move back (FO_ROAM_REASSERT) */
	uint64_t failovers[FO_REASON__COUNT];
	enum fo_reason last_reason;
};

void fo_peer_init(struct fo_peer *p, unsigned int n_ep, uint64_t now);

/* Inputs, fed as they are read. */
void fo_note_counters(struct fo_peer *p, uint64_t rx_bytes, uint64_t tx_bytes, uint64_t now);
/* A reply for endpoint i with sequence seq arrived at reply_ns with rtt. Replies
 * older than the last one seen are ignored, so feeding the same map value twice
 * is harmless. */
void fo_note_reply(struct fo_peer *p, unsigned int i, uint32_t seq, uint64_t reply_ns,
		   uint64_t rtt_ns);

/* Is a probe to endpoint i due now? If so the caller sends one with seq =
 * fo_probe_sent()'s return value. */
bool fo_probe_due(const struct fo_peer *p, const struct fo_settings *s, unsigned int i,
		  uint64_t now);
uint32_t fo_probe_sent(struct fo_peer *p, unsigned int i, uint64_t now);

/* The parts of those decisions fo_next_due (fo_due.c) needs as well, one copy:
 * endpoint i's probe interval now (ms), the loss window (never shorter than three
 * round trips), and how long the active endpoint's newest probe may go unanswered
 * before it is late (suspect_ms, never shorter than two round trips). */
uint64_t fo_probe_interval_ms(const struct fo_peer *p, const struct fo_settings *s, unsigned int i,
			      uint64_t now);
uint64_t fo_fail_window_ns(const struct fo_settings *s, const struct fo_endpoint *e);
uint64_t fo_probe_late_ns(const struct fo_settings *s, const struct fo_endpoint *e);
/* How long the probes of a path that traffic finds unanswered must have had to
 * come back before it fails: half its loss window, and two round trips. */
uint64_t fo_probes_min_ns(const struct fo_settings *s, const struct fo_endpoint *e);

/* The data plane keeps only the latest reply per endpoint (mg_probes), and
 * reading one costs a syscall: reading every endpoint every tick was 200,000 a
 * second for 1,000 peers. This says when endpoint i's record must be read so
 * that a reply counts when reading every record every tick would have counted
 * it, or (a straggler, below) before it can matter; test_failover.c runs both
 * side by side:
 * - FO_READ_ALWAYS: a decision about to be taken depends on its latest reply: a
 *   probe to it is due (a reply, however late, must be counted before the next
 *   probe is: unanswered, losses, history), or it is the active endpoint of a
 *   peer that may turn suspect this tick (its last reply decides).
 * - FO_READ_IF_NEW: the reply to its newest probe has not been seen: read as
 *   soon as the data plane has recorded any reply. No time limit: a dead
 *   endpoint's first reply brings it back up within a tick.
 * - FO_READ_NONE: its newest probe's reply was seen. A record can then only be
 *   a straggler (a reply to an older probe that the newest one's overtook, or
 *   a duplicate): it is read before the next probe to the endpoint, and at once
 *   if the peer may turn suspect. Until then the endpoint is up with nothing
 *   unanswered, so no up/down decision can depend on it; only its RTT sample,
 *   loss bit and a last_reply_ns later by the few ms it was overtaken by wait. */
enum fo_read { FO_READ_NONE, FO_READ_IF_NEW, FO_READ_ALWAYS };
enum fo_read fo_reply_read(const struct fo_peer *p, const struct fo_settings *s, unsigned int i,
			   uint64_t now);

/* Re-evaluates health and returns the endpoint to make active (== p->active when
 * nothing changes); *reason says why. The caller applies it and then calls
 * fo_switched(). */
unsigned int fo_decide(struct fo_peer *p, const struct fo_settings *s, uint64_t now,
		       enum fo_reason *reason);
void fo_switched(struct fo_peer *p, const struct fo_settings *s, unsigned int to,
		 enum fo_reason reason, uint64_t now);
/* WireGuard itself moved to endpoint `to` (roaming). Usually: follow it, not
 * counted as a failover, and hold off moving back for the hold-down
 * (FO_ROAM_FOLLOW). Roaming that undoes a move back to an endpoint that still
 * answers probes is different: the peer's packets come from its other address
 * although ours reach the preferred one.
 * - Right after the move back (FO_REASSERT_MAX times): packets the peer sent
 *   before ours reached it. FO_ROAM_REASSERT: stay; the caller points WireGuard
 *   at the active endpoint again.
 * - After that: a router in front of the peer keeps a NAT entry for the flow by
 *   its other ISP (a port forward's reply tuple is the same for both ISPs, and
 *   the peer's own packets keep the entry alive). Moving back cannot help while
 *   it lives: FO_ROAM_FAR_NAT, followed, and no move back for FO_NAT_HOLD_MS;
 *   WireGuard's roaming brings the peer back by itself as soon as its packets
 *   come from the preferred address again (the entry flushed or expired). */
#define FO_NAT_HOLD_MS 180000u	/* OpenWrt's UDP conntrack stream timeout (Linux: 120 s) */
#define FO_REASSERT_MAX 2
enum fo_roam { FO_ROAM_NONE, FO_ROAM_FOLLOW, FO_ROAM_REASSERT, FO_ROAM_FAR_NAT };
enum fo_roam fo_follow(struct fo_peer *p, const struct fo_settings *s, unsigned int to, uint64_t now);

/* Candidate i is down now, on evidence from elsewhere (the daemon found the
 * local uplink of path i dead): up again only with its next reply. */
void fo_path_down(struct fo_peer *p, unsigned int i);

/* Loss over the last (up to 64) probes, in per mille. */
unsigned int fo_loss_permille(const struct fo_endpoint *e);
