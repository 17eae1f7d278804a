// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sodium.h>
#include "lib/log.h"
#include "lib/nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

int nl_open(struct nl_sock *s, int bus)
{
	int one = 1, err;

	memset(s, 0, sizeof(*s));
	s->buf = malloc(MNL_SOCKET_DUMP_SIZE);
	if (!s->buf)
		return -ENOMEM;
	s->nl = mnl_socket_open(bus);
	if (!s->nl) {
		err = -errno;
		pr_err("cannot open netlink socket: %s", strerror(errno));
		goto fail;
	}
	/* Extended ACK gives the kernel's reason ("Unknown device type", ...);
	 * capped ACKs keep a huge SET_DEVICE request from being echoed back. */
	mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		pr_err("cannot bind netlink socket: %s", strerror(errno));
		mnl_socket_close(s->nl);
		goto fail;
	}
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
	return 0;
fail:
	free(s->buf);
	s->buf = NULL;
	s->nl = NULL;
	return err;
}

void nl_close(struct nl_sock *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	/* GET_DEVICE replies carry the private key (wiped as key_wipe does). */
	if (s->buf)
		sodium_memzero(s->buf, MNL_SOCKET_DUMP_SIZE);
	free(s->buf);
	s->nl = NULL;
	s->buf = NULL;
}

/* The extended ACK's text, if any, from an NLMSG_ERROR message. */
static const char *extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*err);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (off >= mnl_nlmsg_get_payload_len(nlh))
		return NULL;
	const void *payload = (const char *)err + off;

	mnl_attr_for_each_payload(payload, mnl_nlmsg_get_payload_len(nlh) - off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

int nl_talk(struct nl_sock *s, struct nlmsghdr *nlh, nl_cb_t cb, void *data,
	    const char *what, int quiet_errno, bool *intr)
{
	/* NLM_F_DUMP is two bits, one shared with NLM_F_EXCL (0x200): a NEW request
	 * with CREATE|EXCL is not a dump. */
	bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	uint32_t seq = ++s->seq;
	int ret = 0;

	if (intr)
		*intr = false;
	s->err_msg[0] = '\0';
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 0;
	if (!dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		pr_err("%s: netlink send failed: %s", what, strerror(errno));
		return ret;
	}
	/* Read to the end of the reply even after a callback error, so the next
	 * request on this socket does not see stale messages. */
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(s->nl, s->buf, MNL_SOCKET_DUMP_SIZE);
		const struct nlmsghdr *m;
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_err("%s: netlink receive failed: %s", what, strerror(errno));
			return ret ? ret : -errno;
		}
		len = (int)n;
		for (m = (const struct nlmsghdr *)s->buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != s->portid)
				continue;	/* stale reply to an earlier request */
			if (m->nlmsg_flags & NLM_F_DUMP_INTR && intr)
				*intr = true;
			if (m->nlmsg_type == NLMSG_DONE)
				return ret;
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);
				const char *msg;

				if (!e->error)
					return ret;	/* the ACK */
				msg = extack_msg(m);
				snprintf(s->err_msg, sizeof(s->err_msg), "%s", msg ? msg : "");
				if (quiet_errno == NL_QUIET_ANY ||
				    (e->error == -quiet_errno && quiet_errno))
					return e->error;
				pr_err("%s: %s", what, strerror(-e->error));
				if (msg)
					fprintf(stderr, "%sError: %s.\n", log_prio_prefix(LOG_ERR), msg);	/* iproute2 style */
				return e->error;
			}
			if (m->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (cb && !ret && cb(m, data) < 0)
				ret = -EBADMSG;	/* keep reading to the end */
			if (!dump && !(m->nlmsg_flags & NLM_F_MULTI) && !(nlh->nlmsg_flags & NLM_F_ACK))
				return ret;
		}
	}
}

struct family_ctx {
	uint16_t id;
	bool found;
};

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct family_ctx *f = data;
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U16) == 0) {
			f->id = mnl_attr_get_u16(attr);
			f->found = true;
		}
	}
	return MNL_CB_OK;
}

int genl_family_id(struct nl_sock *s, const char *name, uint16_t *id)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	struct family_ctx f = { 0 };
	int ret;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	ret = nl_talk(s, nlh, family_cb, &f, name, ENOENT, NULL);
	if (ret)
		return ret;
	if (!f.found)
		return -ENOENT;
	*id = f.id;
	return 0;
}

int nl_dump(struct nl_sock *s, struct nlmsghdr *nlh, nl_cb_t cb, void *data, const char *what,
	    void (*reset)(void *data))
{
	for (int tries = 0; tries < NL_DUMP_RETRIES; tries++) {
		bool intr = false;
		int ret;

		reset(data);
		ret = nl_talk(s, nlh, cb, data, what, 0, &intr);
		if (ret || !intr)
			return ret;
		pr_debug("%s: dump interrupted, retrying", what);
	}
	pr_err("%s: the kernel's state kept changing during %d dumps", what, NL_DUMP_RETRIES);
	return -EAGAIN;
}

struct mnl_socket *nl_events_open(unsigned int groups)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (nl && mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID)) {
		int err = errno;

		mnl_socket_close(nl);
		errno = err;
		return NULL;
	}
	return nl;
}
