// SPDX-License-Identifier: GPL-2.0-only
/* Is this box its pair's VRRP master: which of the local file's HaAddress it holds. */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "observe/ha_role.h"

void ha_role_from(const struct mg_local *l, const struct ha_if_addr *have, size_t n_have,
		  struct ha_role *r)
{
	size_t held = 0;

	memset(r, 0, sizeof(*r));
	r->n = l->n_ha_addr;
	if (!r->n)
		return;
	for (size_t i = 0; i < r->n; i++) {
		r->addr[i] = l->ha_addr[i];
		for (size_t j = 0; j < n_have; j++)
			if (prefix_equal(&have[j].addr, &l->ha_addr[i])) {
				snprintf(r->ifname[i], sizeof(r->ifname[i]), "%s", have[j].ifname);
				held++;
				break;
			}
	}
	r->kind = held == r->n ? HA_MASTER : held ? HA_PARTIAL : HA_STANDBY;
}

int ha_box_addrs(struct ha_if_addr *out, size_t max, size_t *n)
{
	struct ifaddrs *ifa, *p;

	*n = 0;
	if (getifaddrs(&ifa))
		return -errno;
	for (p = ifa; p && *n < max; p = p->ifa_next) {
		struct ha_if_addr *a = &out[*n];

		if (!p->ifa_addr)
			continue;
		memset(a, 0, sizeof(*a));
		if (p->ifa_addr->sa_family == AF_INET) {
			a->addr.family = AF_INET;
			a->addr.len = 32;
			memcpy(a->addr.addr, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, 4);
		} else if (p->ifa_addr->sa_family == AF_INET6) {
			a->addr.family = AF_INET6;
			a->addr.len = 128;
			memcpy(a->addr.addr, &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		snprintf(a->ifname, sizeof(a->ifname), "%s", p->ifa_name);
		(*n)++;
	}
	freeifaddrs(ifa);
	return 0;
}

int ha_role_get(const struct mg_local *l, struct ha_role *r)
{
	struct ha_if_addr have[HA_BOX_ADDRS_MAX];
	size_t n;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!l->n_ha_addr)
		return 0;
	ret = ha_box_addrs(have, HA_BOX_ADDRS_MAX, &n);
	if (ret)
		return ret;
	ha_role_from(l, have, n, r);
	return 0;
}

enum ha_link_act ha_link_action(enum ha_role_kind role, bool link_up, bool held_down)
{
	if (role == HA_NONE)
		return HA_LINK_KEEP;
	if (role != HA_MASTER)
		return link_up ? HA_LINK_DOWN : HA_LINK_KEEP;
	return !link_up && held_down ? HA_LINK_UP : HA_LINK_KEEP;
}

const char *ha_role_name(enum ha_role_kind k)
{
	switch (k) {
	case HA_MASTER: return "master";
	case HA_STANDBY: return "standby";
	case HA_PARTIAL: return "partial";
	default: return NULL;
	}
}

/* "10.2.0.1 on lan0, 203.0.113.2 on up0" (held) or "10.2.0.1, 203.0.113.2". */
static size_t list(const struct ha_role *r, bool held, bool with_if, char *buf, size_t len)
{
	char a[PREFIX_STR_MAX];
	size_t off = 0, k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		if (!!r->ifname[i][0] != held)
			continue;
		prefix_addr_str(&r->addr[i], a, sizeof(a));
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s%s%s", k++ ? ", " : "", a,
						with_if ? " on " : "", with_if ? r->ifname[i] : "");
	}
	return k;
}

void ha_role_text(const struct ha_role *r, char *buf, size_t len)
{
	char h[MG_MAX_HA_ADDRS * (PREFIX_STR_MAX + IF_NAMESIZE + 6)];
	char m[MG_MAX_HA_ADDRS * (PREFIX_STR_MAX + 2)];
	size_t nh = list(r, true, true, h, sizeof(h)), nm = list(r, false, false, m, sizeof(m));

	switch (r->kind) {
	case HA_MASTER:
		snprintf(buf, len, "master (holds VRRP address%s %s)", nh == 1 ? "" : "es", h);
		break;
	case HA_STANDBY:
		snprintf(buf, len, "standby (VRRP address%s %s not held)", nm == 1 ? "" : "es", m);
		break;
	case HA_PARTIAL:
		snprintf(buf, len, "neither master nor standby: holds %s, not %s (keepalived "
			 "switching, or HaAddress names an address keepalived does not hold)", h, m);
		break;
	default:
		snprintf(buf, len, "not part of a pair (no HaAddress)");
	}
}
