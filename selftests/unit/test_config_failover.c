// SPDX-License-Identifier: GPL-2.0-only
/* The failover keys of the local file: ProbePort, FailureWindow, ProbeInterval,
 * HoldDown — values, units, ranges, and file:line errors. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "tap.h"
#include "config/config.h"
#include "failover/probe.h"

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* ProbePort against the mesh's ListenPort needs both files: config_load. */
static void cross_file(void)
{
	char dir[] = "/tmp/meshgw-cfgfo-XXXXXX", mesh[128], local[128], key[128], text[1024];
	char priv_b64[WG_KEY_B64_LEN], pub_b64[WG_KEY_B64_LEN], errs[2048] = "";
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	struct mg_config c;
	struct mg_errors e;
	FILE *f;
	int ret;

	if (!mkdtemp(dir))
		return;
	key_generate_private(priv);
	key_public_from_private(pub, priv);
	key_to_base64(priv_b64, priv);
	key_to_base64(pub_b64, pub);
	snprintf(mesh, sizeof(mesh), "%s/mesh.conf", dir);
	snprintf(local, sizeof(local), "%s/local.conf", dir);
	snprintf(key, sizeof(key), "%s/a.key", dir);
	snprintf(text, sizeof(text), "%s\n", priv_b64);
	write_file(key, text, 0600);
	snprintf(text, sizeof(text), "[Mesh]\nNetwork = 10.1.0.0/24\nListenPort = 65535\n"
		 "[Site a]\nAddress = 10.1.0.1\nPublicKey = %s\n", pub_b64);
	write_file(mesh, text, 0644);
	snprintf(text, sizeof(text), "[Local]\nSite = a\nPrivateKeyFile = a.key\n"
		 "LanInterface = eth0\n");
	write_file(local, text, 0644);
	e.out = NULL;
	e.count = 0;
	ret = config_load(&c, mesh, local, &e);
	ok(!ret, "mesh on port 65535, no ProbePort: valid");
	if (!ret)
		is_int(probe_port_of(&c), 65527, "  probes from 65527-65534 (below ListenPort, near the top)");
	config_free(&c);

	snprintf(text, sizeof(text), "[Local]\nSite = a\nPrivateKeyFile = a.key\n"
		 "LanInterface = eth0\nProbePort = 65530\n");
	write_file(local, text, 0644);
	f = fmemopen(errs, sizeof(errs), "w");
	e.out = f;
	e.count = 0;
	ret = config_load(&c, mesh, local, &e);
	fclose(f);
	ok(ret && strstr(errs, "local.conf:5: ProbePort 65530: probes use ports 65530-65537"),
	   "probe ports covering ListenPort (and past 65535) rejected at file:line: %s", errs);
	config_free(&c);
	unlink(mesh);
	unlink(local);
	unlink(key);
	rmdir(dir);
}

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
	if (sodium_init() >= 0)
		cross_file();
	return tap_done();
}
