// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include "lib/log.h"
#include "lib/nl.h"
#include "wg/wg_netlink.h"

static struct nlmsghdr *start_msg(char *buf, uint16_t family_id, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family_id;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = WG_GENL_VERSION;
	return nlh;
}

/* The peer's fields other than its key and allowed IPs; false if they do not fit. */
static bool put_peer_head(struct nlmsghdr *nlh, size_t len, const struct wg_peer *p)
{
	uint32_t flags = 0;

	if (p->flags & WG_PEER_REMOVE)
		flags |= WGPEER_F_REMOVE_ME;
	if (p->flags & WG_PEER_REPLACE_ALLOWEDIPS)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if (flags && !mnl_attr_put_u32_check(nlh, len, WGPEER_A_FLAGS, flags))
		return false;
	if (p->flags & WG_PEER_REMOVE)
		return true;
	if (p->flags & WG_PEER_SET_PSK &&
	    !mnl_attr_put_check(nlh, len, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, p->preshared_key))
		return false;
	if (p->flags & WG_PEER_SET_ENDPOINT && p->endpoint.sa.sa_family) {
		size_t sl = p->endpoint.sa.sa_family == AF_INET ? sizeof(p->endpoint.in)
								  : sizeof(p->endpoint.in6);
		if (!mnl_attr_put_check(nlh, len, WGPEER_A_ENDPOINT, sl, &p->endpoint))
			return false;
	}
	if (p->flags & WG_PEER_SET_KEEPALIVE &&
	    !mnl_attr_put_u16_check(nlh, len, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p->keepalive))
		return false;
	return true;
}

static bool put_allowed(struct nlmsghdr *nlh, size_t len, const struct prefix *a)
{
	struct nlattr *n = mnl_attr_nest_start_check(nlh, len, 0);

	if (!n)
		return false;
	if (!mnl_attr_put_u16_check(nlh, len, WGALLOWEDIP_A_FAMILY, a->family) ||
	    !mnl_attr_put_check(nlh, len, WGALLOWEDIP_A_IPADDR, a->family == AF_INET ? 4 : 16,
				a->addr) ||
	    !mnl_attr_put_u8_check(nlh, len, WGALLOWEDIP_A_CIDR_MASK, a->len)) {
		mnl_attr_nest_cancel(nlh, n);
		return false;
	}
	mnl_attr_nest_end(nlh, n);
	return true;
}

int wgnl_encode_set(const struct wg_device *d, uint16_t family_id, char *buf, size_t buflen,
		    wgnl_emit_t emit, void *ctx)
{
	size_t pi = 0, ai = 0;	/* next peer, next allowed IP of that peer */
	bool first = true;
	int ret;

	for (;;) {
		struct nlmsghdr *nlh;

		/* Attribute padding is not written by libmnl: no stale bytes (keys) in it. */
		memset(buf, 0, buflen);
		nlh = start_msg(buf, family_id, WG_CMD_SET_DEVICE, NLM_F_ACK);
		struct nlattr *peers = NULL;
		bool progress = false;

		mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, d->name);
		if (first) {
			if (d->flags & WG_DEV_REPLACE_PEERS)
				mnl_attr_put_u32(nlh, WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS);
			if (d->flags & WG_DEV_SET_PRIVATE_KEY)
				mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, d->private_key);
			if (d->flags & WG_DEV_SET_LISTEN_PORT)
				mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, d->listen_port);
			if (d->flags & WG_DEV_SET_FWMARK)
				mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, d->fwmark);
			first = false;
			progress = true;
		}
		if (pi < d->n_peers) {
			peers = mnl_attr_nest_start_check(nlh, buflen, WGDEVICE_A_PEERS);
			if (!peers)
				return -EMSGSIZE;
		}
		for (; pi < d->n_peers; pi++, ai = 0) {
			const struct wg_peer *p = &d->peers[pi];
			struct nlattr *peer = mnl_attr_nest_start_check(nlh, buflen, 0), *ips;
			size_t ai0 = ai;

			if (!peer)
				goto full;
			if (!mnl_attr_put_check(nlh, buflen, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN,
						p->public_key) ||
			    (ai == 0 && !put_peer_head(nlh, buflen, p))) {
				mnl_attr_nest_cancel(nlh, peer);
				goto full;
			}
			if (ai < p->n_allowed && !(p->flags & WG_PEER_REMOVE)) {
				ips = mnl_attr_nest_start_check(nlh, buflen, WGPEER_A_ALLOWEDIPS);
				if (!ips) {
					mnl_attr_nest_cancel(nlh, peer);
					goto full;
				}
				for (; ai < p->n_allowed; ai++) {
					if (!put_allowed(nlh, buflen, &p->allowed[ai]))
						break;
				}
				if (ai == ai0) {
					/* Nothing of this peer fits: send it whole next time. */
					mnl_attr_nest_cancel(nlh, peer);
					goto full;
				}
				mnl_attr_nest_end(nlh, ips);
				mnl_attr_nest_end(nlh, peer);
				progress = true;
				if (ai < p->n_allowed)
					goto full;	/* continue this peer in the next message */
			} else {
				mnl_attr_nest_end(nlh, peer);
				progress = true;
			}
		}
		if (peers)
			mnl_attr_nest_end(nlh, peers);
		return emit(nlh, ctx);
full:
		if (!progress)
			return -EMSGSIZE;
		mnl_attr_nest_end(nlh, peers);
		ret = emit(nlh, ctx);
		if (ret)
			return ret;
	}
}

static int parse_allowed(const struct nlattr *nest, struct wg_peer *p)
{
	const struct nlattr *ip, *a;

	mnl_attr_for_each_nested(ip, nest) {
		struct prefix pfx = { 0 };
		bool have_addr = false, have_cidr = false;
		int ret;

		mnl_attr_for_each_nested(a, ip) {
			switch (mnl_attr_get_type(a)) {
			case WGALLOWEDIP_A_FAMILY:
				if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
					return -EBADMSG;
				pfx.family = (uint8_t)mnl_attr_get_u16(a);
				break;
			case WGALLOWEDIP_A_IPADDR:
				if (mnl_attr_get_payload_len(a) != 4 && mnl_attr_get_payload_len(a) != 16)
					return -EBADMSG;
				memcpy(pfx.addr, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
				have_addr = true;
				break;
			case WGALLOWEDIP_A_CIDR_MASK:
				if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
					return -EBADMSG;
				pfx.len = mnl_attr_get_u8(a);
				have_cidr = true;
				break;
			}
		}
		if ((pfx.family != AF_INET && pfx.family != AF_INET6) || !have_addr || !have_cidr ||
		    pfx.len > (pfx.family == AF_INET ? 32 : 128))
			return -EBADMSG;
		ret = wg_peer_add_allowed(p, &pfx);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_peer(const struct nlattr *nest, struct wg_device *d, bool first_in_msg)
{
	const struct nlattr *a;
	struct wg_peer *p = NULL;
	int ret;

	/* The public key comes first (the kernel and our encoder both put it first),
	 * but do not rely on it: find it before anything else. */
	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) != WGPEER_A_PUBLIC_KEY)
			continue;
		if (mnl_attr_get_payload_len(a) != WG_KEY_LEN)
			return -EBADMSG;
		if (first_in_msg && d->n_peers &&
		    !memcmp(d->peers[d->n_peers - 1].public_key, mnl_attr_get_payload(a), WG_KEY_LEN))
			p = &d->peers[d->n_peers - 1];	/* continued from the last message */
		else {
			p = wg_device_add_peer(d);
			if (!p)
				return -ENOMEM;
			memcpy(p->public_key, mnl_attr_get_payload(a), WG_KEY_LEN);
		}
	}
	if (!p)
		return -EBADMSG;
	mnl_attr_for_each_nested(a, nest) {
		uint16_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case WGPEER_A_PRESHARED_KEY:
			if (len != WG_KEY_LEN)
				return -EBADMSG;
			memcpy(p->preshared_key, mnl_attr_get_payload(a), WG_KEY_LEN);
			p->flags |= WG_PEER_SET_PSK;
			break;
		case WGPEER_A_ENDPOINT:
			if (len == sizeof(struct sockaddr_in) || len == sizeof(struct sockaddr_in6)) {
				memcpy(&p->endpoint, mnl_attr_get_payload(a), len);
				p->flags |= WG_PEER_SET_ENDPOINT;
			} else {
				return -EBADMSG;
			}
			break;
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EBADMSG;
			p->keepalive = mnl_attr_get_u16(a);
			p->flags |= WG_PEER_SET_KEEPALIVE;
			break;
		case WGPEER_A_LAST_HANDSHAKE_TIME:
			if (len == sizeof(struct __kernel_timespec)) {
				const struct __kernel_timespec *ts = mnl_attr_get_payload(a);

				p->last_handshake_sec = ts->tv_sec;
				p->last_handshake_nsec = ts->tv_nsec;
			}
			break;
		case WGPEER_A_RX_BYTES:
			if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
				p->rx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_TX_BYTES:
			if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
				p->tx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_FLAGS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			if (mnl_attr_get_u32(a) & WGPEER_F_REMOVE_ME)
				p->flags |= WG_PEER_REMOVE;
			if (mnl_attr_get_u32(a) & WGPEER_F_REPLACE_ALLOWEDIPS)
				p->flags |= WG_PEER_REPLACE_ALLOWEDIPS;
			break;
		case WGPEER_A_ALLOWEDIPS:
			ret = parse_allowed(a, p);
			if (ret)
				return ret;
			break;
		}
	}
	return 0;
}

int wgnl_parse(const struct nlmsghdr *nlh, struct wg_device *d)
{
	const struct nlattr *a, *peer;
	int ret;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		uint16_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case WGDEVICE_A_IFINDEX:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				d->ifindex = mnl_attr_get_u32(a);
			break;
		case WGDEVICE_A_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				snprintf(d->name, sizeof(d->name), "%s", mnl_attr_get_str(a));
			break;
		case WGDEVICE_A_PRIVATE_KEY:
			if (len != WG_KEY_LEN)
				return -EBADMSG;
			memcpy(d->private_key, mnl_attr_get_payload(a), WG_KEY_LEN);
			d->flags |= WG_DEV_SET_PRIVATE_KEY;
			break;
		case WGDEVICE_A_PUBLIC_KEY:
			if (len != WG_KEY_LEN)
				return -EBADMSG;
			memcpy(d->public_key, mnl_attr_get_payload(a), WG_KEY_LEN);
			break;
		case WGDEVICE_A_LISTEN_PORT:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EBADMSG;
			d->listen_port = mnl_attr_get_u16(a);
			d->flags |= WG_DEV_SET_LISTEN_PORT;
			break;
		case WGDEVICE_A_FWMARK:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			d->fwmark = mnl_attr_get_u32(a);
			d->flags |= WG_DEV_SET_FWMARK;
			break;
		case WGDEVICE_A_FLAGS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0 &&
			    mnl_attr_get_u32(a) & WGDEVICE_F_REPLACE_PEERS)
				d->flags |= WG_DEV_REPLACE_PEERS;
			break;
		case WGDEVICE_A_PEERS: {
			bool first = true;

			mnl_attr_for_each_nested(peer, a) {
				ret = parse_peer(peer, d, first);
				if (ret)
					return ret;
				first = false;
			}
			break;
		}
		}
	}
	return 0;
}

int wgnl_available(void)
{
	struct nl_sock s;
	uint16_t id;
	int ret = nl_open(&s, NETLINK_GENERIC);

	if (ret)
		return ret;
	ret = genl_family_id(&s, WG_GENL_NAME, &id);
	nl_close(&s);
	return ret;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	return wgnl_parse(nlh, data) ? MNL_CB_ERROR : MNL_CB_OK;
}

/* nl_dump's reset: an interrupted dump may have split or repeated peers. */
static void device_restart(void *data)
{
	struct wg_device *d = data;

	wg_device_free(d);
	memset(d, 0, sizeof(*d));
}

int wgnl_get(const char *ifname, struct wg_device *d)
{
	char buf[256] = { 0 }, what[IF_NAMESIZE + 32];
	struct nlmsghdr *nlh;
	struct nl_sock s;
	uint16_t id;
	int ret;

	snprintf(what, sizeof(what), "get WireGuard device %s", ifname);
	ret = nl_open(&s, NETLINK_GENERIC);
	if (ret)
		return ret;
	ret = genl_family_id(&s, WG_GENL_NAME, &id);
	if (ret)
		goto out;
	nlh = start_msg(buf, id, WG_CMD_GET_DEVICE, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	ret = nl_dump(&s, nlh, get_cb, d, what, device_restart);
	/* What the dump reports is a state, not a change. */
	d->flags = 0;
	for (size_t i = 0; i < d->n_peers; i++)
		d->peers[i].flags = 0;
	snprintf(d->name, sizeof(d->name), "%s", ifname);
out:
	nl_close(&s);
	return ret;
}

struct set_ctx {
	struct nl_sock *s;
	const char *what;
	int n;
};

static int set_emit(struct nlmsghdr *nlh, void *data)
{
	struct set_ctx *c = data;

	c->n++;
	return nl_talk(c->s, nlh, NULL, NULL, c->what, 0, NULL);
}

int wgnl_set(const char *ifname, const struct wg_device *change)
{
	char what[IF_NAMESIZE + 32];
	struct nl_sock s;
	struct set_ctx c = { .s = &s, .what = what };
	struct wg_device d = *change;
	uint16_t id;
	char *buf;
	int ret;

	snprintf(what, sizeof(what), "configure WireGuard device %s", ifname);
	snprintf(d.name, sizeof(d.name), "%s", ifname);
	buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!buf)
		return -ENOMEM;
	ret = nl_open(&s, NETLINK_GENERIC);
	if (ret)
		goto out_free;
	ret = genl_family_id(&s, WG_GENL_NAME, &id);
	if (ret == -ENOENT)
		pr_err("%s: this kernel has no WireGuard", what);
	if (!ret)
		ret = wgnl_encode_set(&d, id, buf, MNL_SOCKET_BUFFER_SIZE, set_emit, &c);
	pr_debug("%s: %d message(s)", what, c.n);
	nl_close(&s);
out_free:
	key_wipe(buf, MNL_SOCKET_BUFFER_SIZE);
	free(buf);
	return ret;
}
