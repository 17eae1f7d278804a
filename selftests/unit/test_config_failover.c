/* The failover keys of the local file: ProbePort, FailureWindow, ProbeInterval,
 * HoldDown — values, units, ranges, and file:line errors. */
#include <stdio.h>
#include "tap.h"
#include "config.h"

static int parse(const char *text, struct mg_local *l, char *errs, size_t errlen)
{
	FILE *f = fmemopen(errs, errlen, "w");
	struct mg_errors e = { .out = f };
	int ret;

	memset(errs, 0, errlen);
	ret = local_parse(l, "local.conf", text, strlen(text), &e);
	fclose(f);
	return ret;
}

#define HEAD "[Local]\nSite = a\nPrivateKeyFile = /k\nLanInterface = eth0\n"

int main(void)
{
	struct mg_local l;
	char errs[2048];

	ok(!parse(HEAD "ProbePort = 55560\nFailureWindow = 300ms\nProbeInterval = 50\nHoldDown = 5s\n",
		  &l, errs, sizeof(errs)), "failover keys parse");
	is_int(l.probe_port, 55560, "ProbePort");
	is_int(l.failure_window_ms, 300, "FailureWindow in ms");
	is_int(l.probe_interval_ms, 50, "ProbeInterval, bare number = ms");
	is_int(l.holddown_ms, 5000, "HoldDown in s");
	ok(!parse(HEAD, &l, errs, sizeof(errs)), "failover keys are optional");
	ok(l.probe_port == 0 && l.failure_window_ms == 0 && l.holddown_ms == 0, "absent = 0 (default)");

	ok(parse(HEAD "FailureWindow = 10ms\n", &l, errs, sizeof(errs)), "FailureWindow below 50 ms rejected");
	ok(strstr(errs, "local.conf:5: FailureWindow '10ms'") != NULL, "  at file:line: %s", errs);
	ok(parse(HEAD "HoldDown = 5 minutes\n", &l, errs, sizeof(errs)), "junk unit rejected");
	ok(strstr(errs, "local.conf:5:") != NULL, "  at file:line");
	ok(parse(HEAD "ProbeInterval = -5\n", &l, errs, sizeof(errs)), "negative rejected");
	ok(parse(HEAD "ProbeInterval = 99999999999999\n", &l, errs, sizeof(errs)), "overflow rejected");
	ok(parse(HEAD "ProbePort = 0\n", &l, errs, sizeof(errs)), "ProbePort 0 rejected");
	ok(parse(HEAD "ProbePort = 65536\n", &l, errs, sizeof(errs)), "ProbePort 65536 rejected");
	ok(parse(HEAD "HoldDown = 5s\nHoldDown = 6s\n", &l, errs, sizeof(errs)), "duplicate HoldDown rejected");
	ok(strstr(errs, "local.conf:6: duplicate HoldDown (first at local.conf:5)") != NULL, "  names both lines");
	ok(parse(HEAD "FailureWindow = 1s\nHoldDown = x\nProbePort = y\n", &l, errs, sizeof(errs)) &&
	   strstr(errs, ":6:") && strstr(errs, ":7:"), "every bad line reported in one pass");
	return tap_done();
}
