/* The pinned mg_failover map: create, adopt, write, read back, and the same
 * record through bpftool (named fields). Needs root (BPF). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include "tap.h"
#include "fo_state.h"

int main(void)
{
	char pin[128], cmd[256], line[512];
	struct sockaddr_storage addrs[2] = { 0 };
	struct sockaddr_in *a0 = (void *)&addrs[0];
	struct mg_peer_state st;
	struct fo_peer p;
	int fd, fd2, found = 0;
	FILE *f;

	if (geteuid())
		tap_skip_all("needs root for BPF maps");
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/meshgw-test-%d/wg0", getpid());
	fd = fo_state_create(pin);
	if (!ok(fd >= 0, "state map created and pinned under %s", pin))
		return tap_done();
	ok(fo_state_open(pin) >= 0, "the pin can be opened");

	fo_peer_init(&p, 2, 1);
	p.active = 1;
	p.meshgw_peer = true;
	p.failovers[FO_REASON_PROBE_LOSS] = 3;
	p.last_reason = FO_REASON_PROBE_LOSS;
	p.ep[0].state = FO_EP_DOWN;
	p.ep[1].state = FO_EP_UP;
	p.ep[1].rtt_ns = 1234;
	a0->sin_family = AF_INET;
	a0->sin_port = htons(55555);
	inet_pton(AF_INET, "203.0.113.10", &a0->sin_addr);
	ok(!fo_state_write(fd, "site2", &p, addrs, 99), "record written");

	fd2 = fo_state_create(pin);
	ok(fd2 >= 0, "a second create adopts the pinned map");
	ok(!fo_state_read(fd2, "site2", &st), "record read through the adopted map");
	is_int(st.active, 1, "active endpoint");
	is_int(st.failovers[FO_REASON_PROBE_LOSS], 3, "failovers by reason");
	is_int(st.endpoints[0].health, MG_EP_DOWN, "endpoint 0 down");
	is_int(st.endpoints[0].port, 55555, "endpoint 0 port");
	is_int(st.endpoints[0].addr[12], 203, "endpoint 0 address, IPv4-mapped");
	is_int(st.endpoints[1].rtt_ns, 1234, "endpoint 1 rtt");
	ok(fo_state_read(fd2, "nosuch", &st) == -ENOENT, "unknown site: ENOENT");

	snprintf(cmd, sizeof(cmd), "bpftool map dump pinned %s/mg_failover 2>&1", pin);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "\"last_reason\"") || strstr(line, "\"site2\""))
			found++;
	if (f)
		pclose(f);
	ok(found >= 2, "bpftool shows named fields and the site name");

	ok(!fo_state_delete(fd, "site2") && fo_state_read(fd, "site2", &st) == -ENOENT, "record deleted");
	ok(!fo_state_delete(fd, "site2"), "deleting twice is harmless");
	snprintf(cmd, sizeof(cmd), "%s/mg_failover", pin);
	unlink(cmd);
	rmdir(pin);
	*strrchr(pin, '/') = '\0';
	rmdir(pin);
	ok(fo_state_open(pin) < 0, "after unpinning nothing is left");
	return tap_done();
}
