/* SPDX-License-Identifier: GPL-2.0-only */
/* The two configuration files (DESIGN.md "Configuration"): the mesh file, identical
 * at every site, and the local file that says which site this gateway is.
 * Parsing and validation report every problem as "file:line: message" through a
 * struct mg_errors, so `meshgw check` can list them all at once. */
#pragma once
#include <limits.h>
#include <netinet/in.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "lib/prefix.h"
#include "wg/keys.h"
#include "wg/wg_backend.h"

#define MG_NAME_MAX 32		/* site names: [A-Za-z0-9_.-], 1..31 chars */
#define MG_HOST_MAX 254		/* DNS name limit */
#define MG_DEFAULT_MESH_PATH  "/etc/meshgw/mesh.conf"
#define MG_DEFAULT_LOCAL_PATH "/etc/meshgw/local.conf"
#define MG_DEFAULT_WG_IF      "wg0"
#define MG_DEFAULT_PIN_ROOT   "/sys/fs/bpf/meshgw"
#define MG_DEFAULT_MTU        1420
#define MG_DEFAULT_KEEPALIVE  25	/* seconds; 0 ("off") disables */
#define MG_MIN_MTU            1280	/* IPv6 minimum: the mesh may carry IPv6 */
#define MG_MAX_SITES          16384
#define MG_MAX_HA_ADDRS       8	/* HaAddress: VRRP addresses of a pair's master */
#define MG_MAX_SITE_ENDPOINTS 8	/* per site (= FO_MAX_ENDPOINTS) */
/* Per site: as many as one of the data plane's route tries holds (the mesh-wide
 * sum per family is checked against MG_MAX_ROUTES in config_validate.c). */
#define MG_MAX_SITE_EGRESS    262144
#define MG_LINE_MAX           4096	/* longer lines are an error */
#define MG_FILE_MAX           (16u << 20)	/* bytes per configuration file */

#define MG_ERROR_LEN          (PATH_MAX + 1100)

/* Where problems go. out may be NULL (count only, e.g. the fuzzer). count is
 * every problem, repeats included. The same message on several lines in a row
 * (a site's 65,536th, 65,537th... Egress over the cap) is printed once, at its
 * first line, with a count: "(and 64,511 more like it)". */
struct mg_errors {
	FILE *out;
	int count;
	const char *run_file;		/* the message held back, and how often it came */
	char run_msg[1024];
	char run_line[MG_ERROR_LEN];
	int run_len;
};
void mg_error(struct mg_errors *e, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prints the run held back. Every function that reports through mg_error calls it
 * before it returns, so callers never need to. */
void mg_errors_flush(struct mg_errors *e);

struct mg_endpoint {
	char *host;			/* IPv4/IPv6 literal (no brackets) or a hostname;
				 * malloc'd: a fixed 255 bytes was 1 MB at 4,096 sites */
	uint16_t port;
	bool is_literal;		/* host is an address: no DNS needed */
	int line;
};

struct mg_site {
	char name[MG_NAME_MAX];
	int line;			/* of its [Site NAME] header */
	struct prefix address;		/* the site's mesh address, /32 or /128 */
	int address_line;
	uint8_t public_key[WG_KEY_LEN];
	int public_key_line;
	struct mg_endpoint *endpoints;	/* preference order */
	size_t n_endpoints;
	struct prefix *egress;		/* LAN ranges reached through this site */
	int *egress_lines;
	size_t n_egress;
	bool exit;			/* Exit = yes: offers its internet to the mesh */
	int exit_line;
};

/* A roaming client (a laptop, a phone): a peer of every gateway with no endpoint
 * (it connects; WireGuard follows it as it roams). Its name shares the sites'
 * namespace: peer slots and metrics labels are by name. */
#define MG_MAX_CLIENT_ADDRS 2	/* one per family */
#define MG_MAX_CLIENT_DNS   4
struct mg_client {
	char name[MG_NAME_MAX];
	int line;			/* of its [Client NAME] header */
	struct prefix address[MG_MAX_CLIENT_ADDRS];	/* host prefixes, /32 or /128 */
	size_t n_address;
	int address_line;
	uint8_t public_key[WG_KEY_LEN];
	int public_key_line;
	char exit[MG_NAME_MAX];		/* Exit = SITE: its export sends the internet there */
	int exit_line;
	struct prefix dns[MG_MAX_CLIENT_DNS];	/* DNS = ADDR, ...: its export's resolvers */
	size_t n_dns;
	int dns_line;
};

struct mg_mesh {
	char path[PATH_MAX];
	struct prefix network;
	int network_line;
	uint16_t listen_port;
	uint16_t keepalive;		/* seconds, 0 = off */
	uint16_t mtu;
	struct mg_site *sites;
	size_t n_sites;
	struct mg_client *clients;	/* file order */
	size_t n_clients;
};

/* Where the XDP fast path runs: auto (chosen per NIC kind, see user/dataplane/dp_iface.c),
 * xdp (native XDP on every NIC whose driver has it), tc (no XDP anywhere). */
enum mg_fast_path { MG_FAST_AUTO, MG_FAST_XDP, MG_FAST_TC };
/* How the TC programs go on their hooks (user/dataplane/dp_tc.h): tcx links
 * where the kernel has them, or cls_bpf filters always. */
enum mg_tc_hook { MG_TC_AUTO, MG_TC_TCX, MG_TC_CLS_BPF };

/* Internet exit through another site (DESIGN.md "Internet exit through another
 * site"): the local file's ExitVia sites in preference order, and which sources and
 * destinations take the exit (none given: all of this site's egress ranges, and
 * everything that is not mesh). */
#define MG_MAX_EXIT_VIA      8
#define MG_MAX_EXIT_PREFIXES 64	/* per key: a few LAN slices or destination ranges */
struct mg_exit_prefixes {
	struct prefix p[MG_MAX_EXIT_PREFIXES];
	int line[MG_MAX_EXIT_PREFIXES];
	size_t n;
};

/* Several uplinks on the gateway itself (DESIGN.md "Several uplinks on the gateway
 * itself"): `UplinkInterface` repeated, in preference order, each optionally with
 * its next hop (`UplinkInterface = eth1 via 198.18.11.1`; else the default route
 * on that interface). With more than one, WireGuard's packets carry FwMark, a rule
 * `fwmark FwMark lookup RoutingTable` (priority MG_STEER_RULE_PRIORITY) sends them
 * to meshgw's table, and there a host route per remote endpoint leads out of the
 * uplink of the path the daemon chose. With one uplink none of this exists. */
#define MG_MAX_UPLINKS 8
/* Outside mwan3's mask (0x3f00) and wg-quick's 51820 (0xca6c), so the rules of
 * either never match WireGuard's packets, nor ours theirs. */
#define MG_DEFAULT_STEER_MARK  0x6d670000u
#define MG_DEFAULT_STEER_TABLE 28007u		/* 0x6d67, "mg" */
/* Before mwan3's rules (1001 and up) and the main table (32766). */
#define MG_STEER_RULE_PRIORITY 1000u

struct mg_uplink {
	char name[IF_NAMESIZE];
	bool has_via;
	struct in_addr via;			/* next hop (IPv4), when has_via */
	int line;
};

struct mg_local {
	char path[PATH_MAX];
	char site[MG_NAME_MAX];
	int site_line;
	char private_key_file[PATH_MAX];
	char mesh_secret_file[PATH_MAX];	/* "" = no preshared keys */
	char lan_if[IF_NAMESIZE];
	char uplink_if[IF_NAMESIZE];		/* "" = one-armed gateway; else = uplinks[0].name */
	struct mg_uplink uplinks[MG_MAX_UPLINKS];	/* preference order */
	size_t n_uplinks;
	char wg_if[IF_NAMESIZE];		/* default wg0 */
	enum mg_backend backend;
	char metrics[64];			/* ADDR:PORT for GET /metrics, "" = off */
	char pin_path[PATH_MAX];		/* default /sys/fs/bpf/meshgw/<wg_if> */
	uint32_t fwmark;			/* 0 = none; with several uplinks, default
						 * MG_DEFAULT_STEER_MARK */
	uint32_t steer_table;			/* several uplinks: meshgw's routing table */
	enum mg_fast_path fast_path;
	enum mg_tc_hook tc_hook;
	/* failover (meshgw run); 0 = the default */
	uint16_t probe_port;			/* default ListenPort + 1 */
	int probe_port_line;
	uint32_t failure_window_ms;		/* probes unanswered this long: endpoint down */
	uint32_t probe_interval_ms;		/* probe interval while a peer is in trouble */
	uint32_t holddown_ms;			/* preferred endpoint healthy this long: move back */
	/* Two gateways at one site: the VRRP addresses keepalived puts on the master
	 * (README "Two gateways at one site"); 0 = not part of a pair. */
	struct prefix ha_addr[MG_MAX_HA_ADDRS];
	size_t n_ha_addr;
	int ha_addr_line;
	/* internet exit: ExitVia sites (preference order), ExitSources, ExitDestinations */
	char exit_via[MG_MAX_EXIT_VIA][MG_NAME_MAX];
	int exit_via_line[MG_MAX_EXIT_VIA];
	size_t n_exit_via;
	struct mg_exit_prefixes exit_sources, exit_destinations;
	/* where keys were set, for messages (0 = not set) */
	int private_key_file_line;
	int mesh_secret_file_line;
	int line;				/* of the [Local] header */
};

struct mg_config {
	struct mg_mesh mesh;
	struct mg_local local;
	const struct mg_site *self;		/* the local site within mesh.sites */
};

/* Parse one file from memory. Return 0 when no problem was found, -EINVAL
 * otherwise (every problem reported through e). The struct is filled as far as
 * possible either way and must be released with *_free. */
int mesh_parse(struct mg_mesh *m, const char *path, const char *buf, size_t len,
	       struct mg_errors *e);
int local_parse(struct mg_local *l, const char *path, const char *buf, size_t len,
		struct mg_errors *e);
/* Cross-file checks (overlaps, duplicates, the local site exists, ...). */
int mesh_validate(const struct mg_mesh *m, struct mg_errors *e);

/* Read + parse + validate both files. 0 or -EINVAL/-errno; on success c->self is set. */
int config_load(struct mg_config *c, const char *mesh_path, const char *local_path,
		struct mg_errors *e);
int mesh_load(struct mg_mesh *m, const char *path, struct mg_errors *e);
/* Read + parse the local file alone, for `down`: a broken mesh file must not keep
 * the gateway from being taken down. 0 or -EINVAL/-errno. */
int local_load(struct mg_local *l, const char *path, struct mg_errors *e);
/* What only this machine can say about the uplinks (config_uplinks.c): each
 * UplinkInterface's next hop on-link, when the interface exists here with an IPv4
 * address. 0 or -EINVAL (problems reported through e). */
int config_check_uplinks(const struct mg_local *l, struct mg_errors *e);
void mesh_free(struct mg_mesh *m);
void config_free(struct mg_config *c);

/* config_ha.c: the mesh files at path and other read the same (comments, spacing and
 * the case of keys aside). 0, -EINVAL with the first difference reported at its
 * line, or -errno (a file could not be read; reported). */
int mesh_same(const char *path, const char *other, struct mg_errors *e);

const struct mg_site *mesh_find_site(const struct mg_mesh *m, const char *name);
/* Case-insensitive like mesh_find_site; NULL when no [Client NAME] has that name. */
const struct mg_client *mesh_find_client(const struct mg_mesh *m, const char *name);

/* config_exit.c: the cross-file checks of the local file's exit keys (ExitVia names
 * an exit site that is not this one, sources inside this site's egress ranges,
 * destinations outside the mesh), reported through e with file:line. */
void check_exit(const struct mg_config *c, const struct mg_site *self, struct mg_errors *e);

/* "a.b.c.d:port", "[v6]:port" or "host.name:port". 0, or -EINVAL with *why set
 * to a static explanation. */
int endpoint_parse(struct mg_endpoint *ep, const char *s, const char **why);
/* What endpoint_parse allocated (host); NULL-safe. */
void endpoint_free(struct mg_endpoint *ep);
/* Interface names as the kernel's dev_valid_name() accepts them. */
bool ifname_valid(const char *name);
/* Site names: 1..MG_NAME_MAX-1 of [A-Za-z0-9_.-]. */
bool site_name_valid(const char *name);

/* Several uplinks: WireGuard's packets are steered by meshgw's table. */
static inline bool local_multi_uplink(const struct mg_local *l)
{
	return l->n_uplinks > 1;
}

/* How many of a site's n_endpoints endpoints get failover candidates, at most
 * max_paths candidates a peer: with several uplinks a candidate is a path, and
 * path i is endpoint i % E through uplink i / E (preference: our uplink first,
 * then theirs); with one uplink, candidate i is endpoint i. The daemon and
 * show/metrics lay the paths out with this one rule. */
static inline unsigned int mg_path_endpoints(const struct mg_local *l, size_t n_endpoints,
					     unsigned int max_paths)
{
	unsigned int u = local_multi_uplink(l) ? (unsigned int)l->n_uplinks : 1, cap = max_paths / u;

	return n_endpoints > cap ? cap : (unsigned int)n_endpoints;
}
static inline unsigned int mg_path_uplinks(const struct mg_local *l)
{
	return local_multi_uplink(l) ? (unsigned int)l->n_uplinks : 1;
}
/* How many probe ports, from ProbePort on, the daemon uses: MG_PROBE_PORTS (8, to
 * a site's endpoint i from ProbePort + i % 8), and with several uplinks 8 more per
 * uplink after the first (uplink u's from ProbePort + 8u): the data plane, which
 * runs on every uplink, takes only the replies to the first 8 (the first uplink's);
 * the others reach the sockets of the uplink they came in by. */
#define MG_PROBE_PORTS_PER_UPLINK 8
static inline unsigned int probe_ports_of(const struct mg_local *l)
{
	return MG_PROBE_PORTS_PER_UPLINK * mg_path_uplinks(l);
}
