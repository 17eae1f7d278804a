// SPDX-License-Identifier: GPL-2.0-only
/* Internet exit decisions; see fo_exit.h. */
#include <string.h>
#include "failover/fo_exit.h"
#include "lib/clock.h"

const char *fo_exit_reason_name(enum fo_exit_reason r)
{
	switch (r) {
	case FO_EXIT_UNREACHABLE:
		return "unreachable";
	case FO_EXIT_PREFERRED_BACK:
		return "preferred_back";
	default:
		return "none";
	}
}

void fo_exit_init(struct fo_exit *x, unsigned int n, uint64_t now)
{
	memset(x, 0, sizeof(*x));
	x->n = n > FO_MAX_EXITS ? FO_MAX_EXITS : n;
	x->active = x->n ? 0 : FO_EXIT_LOCAL;
	for (unsigned int i = 0; i < x->n; i++) {
		x->reachable[i] = true;
		x->reachable_since_ns[i] = now;
	}
}

int fo_exit_decide(struct fo_exit *x, const bool *reachable, uint32_t holddown_ms, uint64_t now,
		   enum fo_exit_reason *why)
{
	int a = x->active;
	unsigned int better;

	*why = FO_EXIT_NONE;
	for (unsigned int i = 0; i < x->n; i++) {
		if (reachable[i] && !x->reachable[i])
			x->reachable_since_ns[i] = now;
		x->reachable[i] = reachable[i];
	}
	if (a != FO_EXIT_LOCAL && !x->reachable[a]) {
		*why = FO_EXIT_UNREACHABLE;
		for (unsigned int i = 0; i < x->n; i++)
			if (x->reachable[i])
				return (int)i;
		return FO_EXIT_LOCAL;
	}
	/* Back: the local internet counts as the least preferred of all. */
	better = a == FO_EXIT_LOCAL ? x->n : (unsigned int)a;
	for (unsigned int i = 0; i < better; i++)
		if (x->reachable[i] && now - x->reachable_since_ns[i] >= holddown_ms * MS) {
			*why = FO_EXIT_PREFERRED_BACK;
			return (int)i;
		}
	return a;
}

void fo_exit_switched(struct fo_exit *x, int to, enum fo_exit_reason why)
{
	x->active = to;
	x->switches[why]++;
	x->last_reason = why;
}
