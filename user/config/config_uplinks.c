// SPDX-License-Identifier: GPL-2.0-only
/* What can be checked about the uplinks only on the machine itself: is each
 * configured next hop on-link (inside a subnet of its interface's addresses)? */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include "config/config.h"
#include "lib/nl.h"
#include "lib/rtnl_steer.h"

int config_check_uplinks(const struct mg_local *l, struct mg_errors *e)
{
	struct nl_sock s;
	int before = e->count;

	if (nl_open(&s, NETLINK_ROUTE))
		return 0;	/* cannot be checked here */
	for (size_t i = 0; i < l->n_uplinks; i++) {
		const struct mg_uplink *u = &l->uplinks[i];
		unsigned int ifindex = if_nametoindex(u->name);
		struct in_addr any;
		char via[INET_ADDRSTRLEN];

		/* No such interface here (checked on another machine), or no IPv4
		 * address on it yet (DHCP, PPP): nothing to check against. */
		if (!u->has_via || !ifindex || steer_if_addr4(&s, ifindex, NULL, &any))
			continue;
		if (steer_if_addr4(&s, ifindex, &u->via, &any) == -ENOENT)
			mg_error(e, l->path, u->line,
				 "UplinkInterface %s: next hop %s is not on-link (in no subnet of %s's addresses)",
				 u->name, inet_ntop(AF_INET, &u->via, via, sizeof(via)), u->name);
	}
	nl_close(&s);
	mg_errors_flush(e);
	return e->count > before ? -EINVAL : 0;
}
