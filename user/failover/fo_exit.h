/* SPDX-License-Identifier: GPL-2.0-only */
/* Which internet exit to use (DESIGN.md "Internet exit through another site"),
 * decided like the endpoints (failover.h), free of I/O and tested with a fake clock:
 * the ExitVia sites in preference order, each reachable or not (the caller says
 * from its endpoints' health), and the local internet when none is.
 * - the active exit unreachable: at once to the most preferred reachable one, or
 *   to the local internet when none is;
 * - back to a more preferred exit (or from the local internet to one) only after
 *   it stayed reachable for the hold-down. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define FO_MAX_EXITS 8		/* = MG_MAX_EXIT_VIA */
#define FO_EXIT_LOCAL (-1)	/* no exit: the local internet */

enum fo_exit_reason {
	FO_EXIT_NONE,
	FO_EXIT_UNREACHABLE,		/* the active exit's endpoints stopped answering */
	FO_EXIT_PREFERRED_BACK,		/* a more preferred exit was reachable for the hold-down */
	FO_EXIT__COUNT,
};
const char *fo_exit_reason_name(enum fo_exit_reason r);	/* metric-label-safe */

struct fo_exit {
	unsigned int n;
	int active;				/* index into ExitVia, or FO_EXIT_LOCAL */
	bool reachable[FO_MAX_EXITS];
	uint64_t reachable_since_ns[FO_MAX_EXITS];
	uint64_t switches[FO_EXIT__COUNT];
	enum fo_exit_reason last_reason;
};

/* n exits, the first active (what `up` configures), all taken as reachable now. */
void fo_exit_init(struct fo_exit *x, unsigned int n, uint64_t now);
/* The exit to use now (== x->active when nothing changes), *why saying why it
 * changed. The caller applies it, then calls fo_exit_switched. */
int fo_exit_decide(struct fo_exit *x, const bool *reachable, uint32_t holddown_ms, uint64_t now,
		   enum fo_exit_reason *why);
void fo_exit_switched(struct fo_exit *x, int to, enum fo_exit_reason why);
