// SPDX-License-Identifier: GPL-2.0-only
/* Internet exit decisions with a fake clock: an unreachable exit is left at once
 * (for the next ExitVia site, or the local internet when none answers), and a
 * more preferred one taken back only after the hold-down, restarted by a flap. */
#include "tap.h"
#include "failover/fo_exit.h"

#define MS 1000000ull

static int step(struct fo_exit *x, bool r0, bool r1, uint64_t now, enum fo_exit_reason *why)
{
	bool r[2] = { r0, r1 };
	int to = fo_exit_decide(x, r, 1000, now, why);

	if (to != x->active)
		fo_exit_switched(x, to, *why);
	return to;
}

int main(void)
{
	struct fo_exit x;
	enum fo_exit_reason why;
	uint64_t t = 5000 * MS;

	fo_exit_init(&x, 2, t);
	is_int(x.active, 0, "starts on the first ExitVia site (as up configured it)");
	is_int(step(&x, true, true, t += 10 * MS, &why), 0, "both reachable: stays");
	is_int(why, FO_EXIT_NONE, "  no reason");
	is_int(step(&x, false, true, t += 10 * MS, &why), 1, "first unreachable: the second at once");
	is_int(why, FO_EXIT_UNREACHABLE, "  reason: unreachable");
	is_int(step(&x, true, true, t += 10 * MS, &why), 1, "first back: not before the hold-down");
	is_int(step(&x, true, true, t += 900 * MS, &why), 1, "  still not after 910 ms");
	is_int(step(&x, false, true, t += 10 * MS, &why), 1, "  it flaps");
	is_int(step(&x, true, true, t += 10 * MS, &why), 1, "  back again");
	is_int(step(&x, true, true, t += 995 * MS, &why), 1, "  the flap restarted the hold-down (995 ms)");
	is_int(step(&x, true, true, t += 10 * MS, &why), 0, "  taken back after 1005 ms");
	is_int(why, FO_EXIT_PREFERRED_BACK, "  reason: preferred_back");
	is_int(step(&x, false, false, t += 10 * MS, &why), FO_EXIT_LOCAL, "both unreachable: the local internet");
	is_int(why, FO_EXIT_UNREACHABLE, "  reason: unreachable");
	is_int(step(&x, false, false, t += 5000 * MS, &why), FO_EXIT_LOCAL, "  stays local while none answers");
	is_int(step(&x, false, true, t += 10 * MS, &why), FO_EXIT_LOCAL, "the second answers: not before the hold-down");
	is_int(step(&x, true, true, t += 500 * MS, &why), FO_EXIT_LOCAL, "  the first answers too, 500 ms later");
	is_int(step(&x, true, true, t += 500 * MS, &why), 1, "  the second after its hold-down");
	is_int(step(&x, true, true, t += 500 * MS, &why), 0, "  then the first after its own");
	is_int((int)(x.switches[FO_EXIT_UNREACHABLE] + x.switches[FO_EXIT_PREFERRED_BACK]), 5, "five switches counted");
	fo_exit_init(&x, 0, t);
	is_int(x.active, FO_EXIT_LOCAL, "no ExitVia: the local internet");
	is_int(step(&x, false, false, t, &why), FO_EXIT_LOCAL, "  and nothing to decide");
	return tap_done();
}
