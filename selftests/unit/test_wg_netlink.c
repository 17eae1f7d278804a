// SPDX-License-Identifier: GPL-2.0-only
/* WireGuard netlink encoding without a kernel: SET_DEVICE requests split across
 * messages and merged back, the diff that decides what `up` sends, and the
 * wireguard-go UAPI text. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"
#include "lib/sockaddr.h"
#include "wg/wg_device.h"
#include "wg/wg_netlink.h"
#include "wg/wg_reconcile.h"
#include "wg/wg_uapi.h"

#define BUFLEN 4096	/* MNL_SOCKET_BUFFER_SIZE on x86 (one page), what wgnl_set uses */

struct collect {
	struct wg_device parsed;
	int n_msgs;
	size_t max_len;
	int peers_with_flags;	/* WGPEER_A_FLAGS seen, counted over all messages */
	int device_attrs;	/* private key attributes seen */
	int parse_err;
};

static int count_flags(const struct nlmsghdr *nlh, struct collect *c)
{
	const struct nlattr *a, *peer, *pa;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == WGDEVICE_A_PRIVATE_KEY)
			c->device_attrs++;
		if (mnl_attr_get_type(a) != WGDEVICE_A_PEERS)
			continue;
		mnl_attr_for_each_nested(peer, a)
			mnl_attr_for_each_nested(pa, peer)
				if (mnl_attr_get_type(pa) == WGPEER_A_FLAGS)
					c->peers_with_flags++;
	}
	return 0;
}

static int collect_emit(struct nlmsghdr *nlh, void *ctx)
{
	struct collect *c = ctx;
	int ret;

	c->n_msgs++;
	if (nlh->nlmsg_len > c->max_len)
		c->max_len = nlh->nlmsg_len;
	count_flags(nlh, c);
	ret = wgnl_parse(nlh, &c->parsed);
	if (ret && !c->parse_err)
		c->parse_err = ret;
	return 0;
}

static void mkkey(uint8_t k[WG_KEY_LEN], unsigned n)
{
	memset(k, 0, WG_KEY_LEN);
	k[0] = 0x42;
	memcpy(k + 1, &n, sizeof(n));
}

static struct prefix v4(uint32_t host, uint8_t len)
{
	struct prefix p = { .family = AF_INET, .len = len };
	uint32_t be = htonl(host);

	memcpy(p.addr, &be, 4);
	return p;
}

static bool same_prefixes(const struct wg_peer *a, const struct wg_peer *b)
{
	if (a->n_allowed != b->n_allowed)
		return false;
	for (size_t i = 0; i < a->n_allowed; i++)
		if (!prefix_equal(&a->allowed[i], &b->allowed[i]))
			return false;
	return true;
}

static void test_big_peer(void)
{
	static char buf[BUFLEN];
	struct wg_device d = { .name = "wgtest0" };
	struct collect c = { 0 };
	struct wg_peer *p, *q;
	int ret;

	d.flags = WG_DEV_SET_PRIVATE_KEY | WG_DEV_SET_LISTEN_PORT;
	mkkey(d.private_key, 999);
	d.listen_port = 51820;
	p = wg_device_add_peer(&d);
	mkkey(p->public_key, 1);
	p->flags = WG_PEER_REPLACE_ALLOWEDIPS | WG_PEER_SET_KEEPALIVE | WG_PEER_SET_ENDPOINT;
	p->keepalive = 25;
	p->endpoint.in.sin_family = AF_INET;
	p->endpoint.in.sin_port = htons(55555);
	p->endpoint.in.sin_addr.s_addr = htonl(0xc0000201);
	for (uint32_t i = 0; i < 65536; i++) {
		struct prefix a = v4(0x0a000000 | i << 8, 24);	/* 10.x.y.0/24 */

		wg_peer_add_allowed(p, &a);
	}
	/* A small peer after the big one must land in a later message. */
	q = wg_device_add_peer(&d);
	mkkey(q->public_key, 2);
	q->flags = WG_PEER_REPLACE_ALLOWEDIPS;
	{
		struct prefix a = v4(0xac100000, 12);

		wg_peer_add_allowed(q, &a);
	}

	ret = wgnl_encode_set(&d, 0x20, buf, sizeof(buf), collect_emit, &c);
	is_int(ret, 0, "65,536 allowed IPs on one peer: encoded");
	ok(c.n_msgs > 1, "split across %d messages", c.n_msgs);
	ok(c.max_len <= (size_t)BUFLEN, "no message exceeds the %d-byte buffer (largest %zu)", BUFLEN,
	   c.max_len);
	is_int(c.parse_err, 0, "every message parses");
	is_int(c.device_attrs, 1, "private key only in the first message");
	is_int(c.peers_with_flags, 2, "each peer's flags sent once (REPLACE_ALLOWEDIPS applies once)");
	is_int(c.parsed.n_peers, 2, "merged back into 2 peers");
	if (c.parsed.n_peers == 2) {
		ok(!memcmp(c.parsed.peers[0].public_key, p->public_key, WG_KEY_LEN), "peer 1 key");
		is_int(c.parsed.peers[0].n_allowed, 65536, "peer 1 has 65,536 allowed IPs back");
		ok(same_prefixes(&c.parsed.peers[0], p), "in the same order, same values");
		is_int(c.parsed.peers[0].keepalive, 25, "keepalive survives");
		ok(sockaddr_same(&c.parsed.peers[0].endpoint.sa, &p->endpoint.sa), "endpoint survives");
		ok(c.parsed.peers[0].flags & WG_PEER_REPLACE_ALLOWEDIPS, "replace flag survives");
		is_int(c.parsed.peers[1].n_allowed, 1, "peer 2 intact");
	}
	is_int(c.parsed.listen_port, 51820, "listen port");
	wg_device_free(&c.parsed);

	/* A buffer too small for anything must fail, not loop. */
	memset(&c, 0, sizeof(c));
	ret = wgnl_encode_set(&d, 0x20, buf, 64, collect_emit, &c);
	is_int(ret, -EMSGSIZE, "64-byte buffer: -EMSGSIZE, no endless loop");
	wg_device_free(&c.parsed);
	wg_device_free(&d);
}

static void build_many(struct wg_device *d, unsigned peers, unsigned per)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "wgtest1");
	for (unsigned i = 0; i < peers; i++) {
		struct wg_peer *p = wg_device_add_peer(d);

		mkkey(p->public_key, 1000 + i);
		mkkey(p->preshared_key, 5000 + i);
		p->flags = WG_PEER_SET_PSK | WG_PEER_REPLACE_ALLOWEDIPS | WG_PEER_SET_KEEPALIVE;
		p->keepalive = 25;
		for (unsigned j = 0; j < per; j++) {
			struct prefix a = v4(0x0a000000 | i << 10 | j << 8, 24);

			wg_peer_add_allowed(p, &a);
		}
	}
}

static void test_many_peers(void)
{
	static char buf[BUFLEN];
	struct wg_device d;
	struct collect c = { 0 };
	bool all = true;

	build_many(&d, 1000, 4);
	is_int(wgnl_encode_set(&d, 0x20, buf, sizeof(buf), collect_emit, &c), 0,
	       "1,000 peers x 4 prefixes: encoded");
	ok(c.n_msgs > 1, "in %d messages", c.n_msgs);
	is_int(c.parsed.n_peers, 1000, "1,000 peers back");
	for (size_t i = 0; i < c.parsed.n_peers && i < d.n_peers; i++)
		all &= !memcmp(c.parsed.peers[i].public_key, d.peers[i].public_key, WG_KEY_LEN) &&
		       !memcmp(c.parsed.peers[i].preshared_key, d.peers[i].preshared_key, WG_KEY_LEN) &&
		       same_prefixes(&c.parsed.peers[i], &d.peers[i]);
	ok(all, "every peer's key, PSK and 4 allowed IPs intact");
	wg_device_free(&c.parsed);
	wg_device_free(&d);
}

static void test_bad_messages(void)
{
	static char buf[BUFLEN];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *peers, *peer;
	struct wg_device d = { 0 };

	mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 5, "short");
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	is_int(wgnl_parse(nlh, &d), -EBADMSG, "peer with a 5-byte public key: -EBADMSG");
	wg_device_free(&d);

	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 5);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	memset(&d, 0, sizeof(d));
	is_int(wgnl_parse(nlh, &d), -EBADMSG, "peer without a public key: -EBADMSG");
	wg_device_free(&d);
}

static int n_flag(const struct wg_device *c, uint32_t flag)
{
	int n = 0;

	for (size_t i = 0; i < c->n_peers; i++)
		n += !!(c->peers[i].flags & flag);
	return n;
}

static void test_diff(void)
{
	struct wg_device want, have, change;
	struct wg_peer *p;
	struct prefix extra = v4(0xc0a86300, 24);

	build_many(&want, 10, 4);
	build_many(&have, 10, 4);
	for (size_t i = 0; i < have.n_peers; i++) {
		have.peers[i].flags = 0;
		have.peers[i].rx_bytes = 1234;	/* read-back fields never cause a change */
		/* The kernel reports allowed IPs in its own order. */
		struct prefix t = have.peers[i].allowed[0];

		have.peers[i].allowed[0] = have.peers[i].allowed[3];
		have.peers[i].allowed[3] = t;
	}
	is_int(wg_diff(&want, &have, &change), 0, "identical: no change at all");
	is_int(change.n_peers, 0, "  and no peer mentioned");
	is_int(change.flags, 0, "  and no device field");
	wg_device_free(&change);

	/* One peer gains an allowed IP, one is removed, one is new, port changes. */
	wg_peer_add_allowed(&want.peers[3], &extra);
	mkkey(want.peers[7].public_key, 77777);
	want.listen_port = 1;
	is_int(wg_diff(&want, &have, &change), 4, "4 changes (port, 1 replaced, 1 removed, 1 added)");
	is_int(change.flags, WG_DEV_SET_LISTEN_PORT, "only the listen port among device fields");
	is_int(change.n_peers, 3, "3 peers mentioned");
	is_int(n_flag(&change, WG_PEER_REMOVE), 1, "1 removal");
	is_int(n_flag(&change, WG_PEER_REPLACE_ALLOWEDIPS), 2, "REPLACE_ALLOWEDIPS only on the changed and new peer");
	p = wg_device_find_peer(&change, want.peers[3].public_key);
	ok(p && p->n_allowed == 5 && !(p->flags & (WG_PEER_SET_PSK | WG_PEER_SET_KEEPALIVE)),
	   "changed peer: 5 allowed IPs, PSK and keepalive not resent");
	ok(!wg_device_find_peer(&change, want.peers[0].public_key), "unchanged peer not touched");
	wg_device_free(&change);

	wg_device_free(&want);
	wg_device_free(&have);
	/* PSK change alone. */
	build_many(&want, 2, 1);
	build_many(&have, 2, 1);
	want.peers[1].preshared_key[5] ^= 1;
	is_int(wg_diff(&want, &have, &change), 1, "changed PSK: 1 change");
	ok(change.n_peers == 1 && change.peers[0].flags == WG_PEER_SET_PSK, "  PSK only, allowed IPs kept");
	wg_device_free(&change);
	wg_device_free(&want);
	wg_device_free(&have);
}

static void test_uapi(void)
{
	struct wg_device d, back = { 0 };
	char *text = NULL;
	size_t len;

	build_many(&d, 3, 2);
	d.flags = WG_DEV_SET_PRIVATE_KEY | WG_DEV_SET_LISTEN_PORT;
	mkkey(d.private_key, 4);
	d.listen_port = 4242;
	d.peers[0].endpoint.in6.sin6_family = AF_INET6;
	d.peers[0].endpoint.in6.sin6_port = htons(51820);
	inet_pton(AF_INET6, "fd00::1", &d.peers[0].endpoint.in6.sin6_addr);
	d.peers[0].flags |= WG_PEER_SET_ENDPOINT;
	d.peers[2].flags = WG_PEER_REMOVE;
	is_int(wg_uapi_format(&d, &text, &len), 0, "UAPI set text formatted");
	ok(text && !strncmp(text, "set=1\nprivate_key=", 18), "device keys before the first public_key");
	ok(text && strstr(text, "endpoint=[fd00::1]:51820\n"), "IPv6 endpoint in brackets");
	ok(text && strstr(text, "remove=true\n"), "removed peer");
	ok(text && len >= 2 && !strcmp(text + len - 2, "\n\n"), "ends with a blank line");
	is_int(wg_uapi_parse(text + 6, &back), 0, "parses back");
	is_int(back.n_peers, 3, "3 peers");
	is_int(back.listen_port, 4242, "listen port");
	ok(back.n_peers == 3 && same_prefixes(&back.peers[1], &d.peers[1]), "allowed IPs");
	ok(back.n_peers == 3 && sockaddr_same(&back.peers[0].endpoint.sa, &d.peers[0].endpoint.sa),
	   "endpoint");
	free(text);
	wg_device_free(&back);

	d.peers[1].allowed[0].len = 40;	/* invalid for IPv4 */
	text = NULL;
	is_int(wg_uapi_format(&d, &text, &len), -EINVAL, "invalid prefix refused before sending");
	ok(!text, "  and nothing to send");
	wg_device_free(&d);

	memset(&back, 0, sizeof(back));
	is_int(wg_uapi_parse("errno=-22\n\n", &back), -22, "errno=-22 reported as -EINVAL");
	wg_device_free(&back);
	memset(&back, 0, sizeof(back));
	is_int(wg_uapi_parse("public_key=zz\n", &back), -EBADMSG, "bad hex key: -EBADMSG");
	wg_device_free(&back);
	memset(&back, 0, sizeof(back));
	is_int(wg_uapi_parse("public_key=" "0000000000000000000000000000000000000000000000000000000000000000\n"
			     "endpoint=1.2.3.4\n", &back), -EBADMSG, "endpoint without port: -EBADMSG");
	wg_device_free(&back);
}

/* A fake wireguard-go on WG_UAPI_DIR/<ifname>.sock: answers one get with `reply`,
 * written in pieces of `chunk` bytes (lines split anywhere), then closes. */
static pid_t fake_wireguard_go(const char *ifname, const char *reply, size_t chunk)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	mkdir(WG_UAPI_DIR, 0755);
	snprintf(sun.sun_path, sizeof(sun.sun_path), WG_UAPI_DIR "/%s.sock", ifname);
	unlink(sun.sun_path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) || listen(lfd, 1))
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);
		char req[8];
		size_t len = strlen(reply);

		if (fd < 0 || read(fd, req, sizeof(req)) != 7)
			_exit(1);
		for (size_t at = 0; at < len; at += chunk) {
			size_t n = len - at < chunk ? len - at : chunk;

			if (write(fd, reply + at, n) != (ssize_t)n)
				_exit(1);
			if (at % (chunk * 64) == 0)
				usleep(100);	/* let the reader see a partial line */
		}
		_exit(0);
	}
	close(lfd);
	return pid;
}

static int get_from_fake(const char *reply, size_t chunk, struct wg_device *d)
{
	char ifname[16], path[64];
	pid_t pid;
	int ret, status;

	snprintf(ifname, sizeof(ifname), "mgt%d", (int)getpid());
	pid = fake_wireguard_go(ifname, reply, chunk);
	if (pid < 0)
		return -1000;
	ret = wg_uapi_get(ifname, d);
	waitpid(pid, &status, 0);
	snprintf(path, sizeof(path), WG_UAPI_DIR "/%s.sock", ifname);
	unlink(path);
	return ret;
}

/* A get reply is parsed as it arrives (in a 64 KiB buffer): 4,096 peers (~1 MB)
 * in pieces that split lines anywhere, a reply cut short, a line too long. */
static void test_uapi_get_stream(void)
{
	size_t cap = 4096 * 300 + 256, len = 0;
	char *reply = malloc(cap), *big;
	struct wg_device d;

	if (getuid() != 0) {
		tap_diag("skipped the UAPI socket cases: needs root for " WG_UAPI_DIR);
		free(reply);
		return;
	}
	len += (size_t)snprintf(reply + len, cap - len, "private_key=%064x\nlisten_port=51820\n", 7);
	for (int i = 0; i < 4096; i++)
		len += (size_t)snprintf(reply + len, cap - len,
			"public_key=%064x\nendpoint=198.18.%d.%d:51820\n"
			"last_handshake_time_sec=%d\nrx_bytes=%d\nallowed_ip=10.250.%d.%d/32\n"
			"allowed_ip=100.64.%d.%d/32\n",
			i + 1, i >> 8, i & 255, i, i * 3, i >> 8, i & 255, i >> 8, i & 255);
	len += (size_t)snprintf(reply + len, cap - len, "errno=0\n\n");

	for (size_t chunk = 1021; chunk <= 70000; chunk *= 67) {
		memset(&d, 0, sizeof(d));
		ok(get_from_fake(reply, chunk, &d) == 0, "get of 4,096 peers in %zu-byte pieces", chunk);
		is_int(d.n_peers, 4096, "  every peer");
		is_int(d.listen_port, 51820, "  listen port");
		ok(d.n_peers == 4096 && d.peers[4095].n_allowed == 2 &&
		   d.peers[4095].allowed[1].addr[2] == 15 && d.peers[4095].allowed[1].addr[3] == 255 &&
		   d.peers[4095].rx_bytes == 4095 * 3 && d.peers[4095].last_handshake_sec == 4095 &&
		   ntohs(d.peers[4095].endpoint.in.sin_port) == 51820 && d.peers[4095].public_key[31] == 0 &&
		   d.peers[4095].public_key[30] == 0x10,
		   "  the last peer whole (key, endpoint, handshake, counters, both allowed IPs)");
		wg_device_free(&d);
	}

	/* wireguard-go gone mid-line, and mid-reply at a line's end */
	reply[len / 2] = 0;
	memset(&d, 0, sizeof(d));
	is_int(get_from_fake(reply, 4096, &d), -EBADMSG, "reply cut mid-line: -EBADMSG");
	wg_device_free(&d);
	memset(&d, 0, sizeof(d));
	is_int(get_from_fake("listen_port=51820\n", 4096, &d), -EBADMSG,
	       "reply closed before its blank line: -EBADMSG");
	wg_device_free(&d);
	memset(&d, 0, sizeof(d));
	is_int(get_from_fake("errno=-22\n\n", 4096, &d), -22, "errno=-22 reported");
	wg_device_free(&d);

	/* no line of wireguard-go's is 64 KiB long */
	big = malloc(70000 + 32);
	memcpy(big, "fwmark=", 7);
	memset(big + 7, '1', 70000);
	strcpy(big + 70007, "\nerrno=0\n\n");
	memset(&d, 0, sizeof(d));
	is_int(get_from_fake(big, 4096, &d), -EBADMSG, "a 70,000-byte line: -EBADMSG");
	wg_device_free(&d);
	free(big);
	free(reply);
}

/* wg_prefixes_match: which of a are in b and of b in a, repeats on both sides. */
static void test_prefixes_match(void)
{
	const char *as[] = { "10.0.0.0/24", "10.0.0.0/24", "10.0.1.0/24", "fd00::/64", "10.0.0.0/16" };
	const char *bs[] = { "10.0.0.0/16", "10.0.0.0/24", "fd00::/64", "fd00::/64", "10.0.2.0/24" };
	const bool a_want[] = { true, true, false, true, true }, b_want[] = { true, true, true, true, false };
	struct prefix a[5], b[5];
	bool a_in[5], b_in[5], same = true;

	for (int i = 0; i < 5; i++) {
		prefix_parse(&a[i], as[i], false);
		prefix_parse(&b[i], bs[i], false);
	}
	wg_prefixes_sort(a, 5);
	wg_prefixes_sort(b, 5);
	wg_prefixes_match(a, 5, b, 5, a_in, b_in);
	for (int i = 0; i < 5; i++) {
		bool aw = false, bw = false;

		for (int k = 0; k < 5; k++) {	/* the answer, the slow way */
			aw |= !memcmp(&a[i], &b[k], sizeof(a[i]));
			bw |= !memcmp(&b[i], &a[k], sizeof(b[i]));
		}
		same &= a_in[i] == aw && b_in[i] == bw;
	}
	ok(same, "prefixes in both lists found in one walk, repeats on either side");
	{
		int na = 0, nb = 0;

		for (int i = 0; i < 5; i++) {
			na += a_in[i] - a_want[i];
			nb += b_in[i] - b_want[i];
		}
		ok(!na && !nb, "  4 of a in b, 4 of b in a");
	}
	wg_prefixes_match(a, 5, b, 0, a_in, b_in);
	ok(!a_in[0] && !a_in[4], "  nothing is in an empty list");
}

int main(void)
{
	test_big_peer();
	test_many_peers();
	test_bad_messages();
	test_diff();
	test_uapi();
	test_uapi_get_stream();
	test_prefixes_match();
	return tap_done();
}
