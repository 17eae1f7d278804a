/* SPDX-License-Identifier: GPL-2.0-only */
/* What `up` created, so `down` removes exactly that: /run/meshgw/<wg_if>.state. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "config/config.h"
#include "lib/prefix.h"

#define MG_STATE_DIR "/run/meshgw"
#define MG_STATE_SYSCTLS 8

struct mg_state {
	enum mg_backend backend;	/* the backend `up` used */
	bool created_link;		/* `up` created the link (kernel) or started wireguard-go */
	pid_t wg_pid;			/* wireguard-go started by `up`, 0 = none */
	bool added_address;
	struct prefix address;		/* the address `up` added */
	bool exit_nat;			/* `up` added the exit site's nftables table */
	struct {
		char path[128];
		char old[64];		/* value before `up` changed it */
		char set[64];		/* value `up` wrote */
	} sysctl[MG_STATE_SYSCTLS];
	int n_sysctl;
	/* several uplinks (gateway/steer.h): meshgw's table and WireGuard's mark,
	 * and whether `up` added the rule (else it was there before) */
	uint32_t steer_table;		/* 0 = no steering */
	uint32_t steer_mark;
	bool steer_rule;
};

/* 0, -ENOENT when nothing is recorded, -EBADMSG for a file that does not parse. */
int state_load(const char *wg_if, struct mg_state *st);
int state_save(const char *wg_if, const struct mg_state *st);
int state_remove(const char *wg_if);
/* Each sysctl of st back to its value before `up`, but only if nobody changed it
 * since, and not those keep (a record saved earlier, still in force) holds: what
 * `down` undoes, and what a failed `up` changed itself. 0 or the first -errno. */
int state_sysctls_restore(const struct mg_state *st, const struct mg_state *keep);
/* Serialises up/down/run on one interface: an exclusive flock on
 * /run/meshgw/<wg_if>.lock, waited for up to 10 s. Returns the fd to pass to
 * state_unlock, or -errno (-EWOULDBLOCK: another meshgw holds it). */
int state_lock(const char *wg_if);
/* The same for the daemon's re-applying, which only acts on what `up` recorded:
 * -ENOENT when nothing is up, and then no lock file is created (a daemon that
 * outlives a `down` leaves nothing behind). */
int state_lock_if_up(const char *wg_if);
/* The same lock, tried once: fd, or -EWOULDBLOCK while up/down/run holds it
 * (the daemon then skips what it wanted to do this round), -ENOENT when
 * there is no lock file (nothing is up), or -errno. */
int state_trylock(const char *wg_if);
void state_unlock(int fd);
/* Unlock after a `down` that left nothing: the lock file goes too (removed while
 * held; state_lock's waiters see it gone and take a new one). */
void state_unlock_remove(int fd, const char *wg_if);
