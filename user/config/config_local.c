// SPDX-License-Identifier: GPL-2.0-only
/* The local file ([Local]: which site this gateway is, its interfaces and key
 * files) and config_load, which checks it against the mesh file. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_ini.h"
#include "meshgw_probe.h"

_Static_assert(MG_PROBE_PORTS_PER_UPLINK == MG_PROBE_PORTS, "one probe port range per uplink");

bool ifname_valid(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= IF_NAMESIZE || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) ||
		    (unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

enum local_key {
	K_SITE, K_PRIVKEY, K_LAN, K_UPLINK, K_WG, K_SECRET, K_BACKEND, K_METRICS, K_PIN,
	K_FWMARK, K_PROBE_PORT, K_FAIL_WINDOW, K_PROBE_INTERVAL, K_HOLDDOWN, K_FAST_PATH, K_HA,
	K_TABLE, K_TC_HOOK, K_COUNT
};

static const char *const local_keys[K_COUNT] = {
	[K_SITE] = "Site", [K_PRIVKEY] = "PrivateKeyFile", [K_LAN] = "LanInterface",
	[K_UPLINK] = "UplinkInterface", [K_WG] = "WireGuardInterface",
	[K_SECRET] = "MeshSecretFile", [K_BACKEND] = "Backend", [K_METRICS] = "Metrics",
	[K_PIN] = "PinPath", [K_FWMARK] = "FwMark", [K_PROBE_PORT] = "ProbePort",
	[K_FAST_PATH] = "FastPath", [K_TC_HOOK] = "TcHook",
	[K_FAIL_WINDOW] = "FailureWindow", [K_PROBE_INTERVAL] = "ProbeInterval",
	[K_HOLDDOWN] = "HoldDown", [K_HA] = "HaAddress", [K_TABLE] = "RoutingTable",
};

/* "300ms", "2s" or a bare number of milliseconds, within [min, max] ms. */
static int parse_duration_ms(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long x = 0, mult = 1;
	const char *p = v;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		x = x * 10 + (unsigned long long)(*p - '0');
		if (x > 100000000ULL)
			return -ERANGE;
	}
	if (!strcmp(p, "s"))
		mult = 1000;
	else if (*p && strcmp(p, "ms"))
		return -EINVAL;
	x *= mult;
	if (x < min || x > max)
		return -ERANGE;
	*out = (uint32_t)x;
	return 0;
}


struct local_state {
	struct mg_local *l;
	struct mg_errors *e;
	const char *path;
	enum { L_NONE, L_LOCAL, L_IGNORE } sec;
	int seen[K_COUNT];
};

/* Relative key file paths are taken from the local file's directory, so a
 * configuration directory can be moved or checked anywhere. */
static bool resolve_path(struct local_state *st, int line, const char *key, const char *v,
			 char *out, size_t outlen)
{
	const char *slash = strrchr(st->path, '/');
	int n;

	if (v[0] == '/' || !slash)
		n = snprintf(out, outlen, "%s", v);
	else
		n = snprintf(out, outlen, "%.*s/%s", (int)(slash - st->path), st->path, v);
	if (n < 0 || (size_t)n >= outlen) {
		mg_error(st->e, st->path, line, "%s: path is too long", key);
		out[0] = '\0';
		return false;
	}
	return true;
}

static void set_ifname(struct local_state *st, int line, const char *key, const char *v,
		       char out[IF_NAMESIZE])
{
	if (!ifname_valid(v)) {
		mg_error(st->e, st->path, line,
			 "%s '%.64s' is not a valid interface name (1 to %d characters, no '/', ':' or spaces)",
			 key, v, IF_NAMESIZE - 1);
		return;
	}
	strcpy(out, v);
}

/* Which of three names (the values of an enum, in order) v is, case aside: its
 * index, or -1 with an error naming the key and the choices. */
static int choice(struct local_state *st, int line, const char *key, const char *v,
		  const char *const names[3])
{
	for (int i = 0; i < 3; i++)
		if (!strcasecmp(v, names[i]))
			return i;
	mg_error(st->e, st->path, line, "%s '%.64s' is not one of %s, %s, %s", key, v, names[0],
		 names[1], names[2]);
	return -1;
}

static int parse_fwmark(const char *v, uint32_t *out)
{
	unsigned long x = 0;
	size_t n;

	if (!strcasecmp(v, "off")) {
		*out = 0;
		return 0;
	}
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		n = strlen(v + 2);
		if (!n || n > 8 || strspn(v + 2, "0123456789abcdefABCDEF") != n)
			return -EINVAL;
		x = strtoul(v + 2, NULL, 16);
	} else if (ini_parse_uint(v, UINT32_MAX, &x)) {
		return -EINVAL;
	}
	*out = (uint32_t)x;
	return 0;
}

static void duration_key(struct local_state *st, int line, const char *key, const char *v,
			 uint32_t min, uint32_t max, uint32_t *out)
{
	if (parse_duration_ms(v, min, max, out))
		mg_error(st->e, st->path, line,
			 "%s '%.64s' is not a duration between %u ms and %u ms (e.g. 300ms, 5s)",
			 key, v, min, max);
}

/* One address of HaAddress: a VRRP address keepalived puts on the master (bare:
 * the prefix length is keepalived's business, and holding is by address). */
static void ha_item(void *ctx, const struct ini_item *it, const char *v)
{
	struct local_state *st = ctx;
	struct mg_local *l = st->l;
	struct prefix a;

	if (strchr(v, '/')) {
		mg_error(st->e, st->path, it->line,
			 "HaAddress '%.64s' must be a bare address, without /length", v);
		return;
	}
	if (prefix_parse(&a, v, true)) {
		mg_error(st->e, st->path, it->line,
			 "HaAddress '%.64s' is not an IPv4 or IPv6 address", v);
		return;
	}
	for (size_t i = 0; i < l->n_ha_addr; i++)
		if (prefix_equal(&l->ha_addr[i], &a)) {
			mg_error(st->e, st->path, it->line, "HaAddress %.64s is named twice", v);
			return;
		}
	if (l->n_ha_addr == MG_MAX_HA_ADDRS) {
		mg_error(st->e, st->path, it->line, "HaAddress: more than %d addresses",
			 MG_MAX_HA_ADDRS);
		return;
	}
	l->ha_addr[l->n_ha_addr++] = a;
}

/* "NAME" or "NAME via ADDRESS" (IPv4): one uplink, in preference order. */
static void uplink_key(struct local_state *st, const struct ini_item *it)
{
	struct mg_local *l = st->l;
	char name[64] = "", via_kw[8] = "", via[64] = "", junk[2] = "";
	struct mg_uplink *u;
	int n = sscanf(it->value, "%63s %7s %63s %1s", name, via_kw, via, junk);

	if ((n != 1 && n != 3) || (n == 3 && strcmp(via_kw, "via"))) {
		mg_error(st->e, st->path, it->line,
			 "UplinkInterface '%.64s' is not 'NAME' or 'NAME via ADDRESS' "
			 "(e.g. eth1 via 198.18.11.1)", it->value);
		return;
	}
	if (!ifname_valid(name)) {
		mg_error(st->e, st->path, it->line,
			 "UplinkInterface '%.64s' is not a valid interface name (1 to %d characters, no '/', ':' or spaces)",
			 name, IF_NAMESIZE - 1);
		return;
	}
	for (size_t i = 0; i < l->n_uplinks; i++)
		if (!strcmp(l->uplinks[i].name, name)) {
			mg_error(st->e, st->path, it->line,
				 "UplinkInterface %s is named twice (first at %s:%d)", name, st->path,
				 l->uplinks[i].line);
			return;
		}
	if (l->n_uplinks == MG_MAX_UPLINKS) {
		mg_error(st->e, st->path, it->line,
			 "UplinkInterface %s: at most %d uplinks", name, MG_MAX_UPLINKS);
		return;
	}
	u = &l->uplinks[l->n_uplinks];
	memset(u, 0, sizeof(*u));
	if (n == 3) {
		if (inet_pton(AF_INET, via, &u->via) != 1) {
			mg_error(st->e, st->path, it->line,
				 "UplinkInterface %s: next hop '%.64s' is not an IPv4 address", name, via);
			return;
		}
		u->has_via = true;
	}
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->line = it->line;
	if (!l->n_uplinks++)
		strcpy(l->uplink_if, name);
}

/* A routing table number that is not one of the kernel's own (0 unspec,
 * 253 default, 254 main, 255 local). */
static int parse_table(const char *v, uint32_t *out)
{
	unsigned long x;

	if (ini_parse_uint(v, UINT32_MAX, &x) || !x || (x >= 253 && x <= 255))
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

static void local_key(struct local_state *st, const struct ini_item *it)
{
	struct mg_local *l = st->l;
	const char *v = it->value;
	const char *why;
	struct mg_endpoint ep = { 0 };
	int k;

	if (local_exit_key(l, st->path, it, st->e))
		return;		/* repeatable: no duplicate check */
	for (k = 0; k < K_COUNT; k++)
		if (!strcasecmp(it->key, local_keys[k]))
			break;
	if (k == K_COUNT) {
		mg_error(st->e, st->path, it->line, "unknown key '%.64s' in [Local]", it->key);
		return;
	}
	if (k == K_UPLINK) {	/* repeatable: one line per uplink */
		if (!st->seen[k])
			st->seen[k] = it->line;
		uplink_key(st, it);
		return;
	}
	if (st->seen[k]) {
		mg_error(st->e, st->path, it->line, "duplicate %s (first at %s:%d)", local_keys[k],
			 st->path, st->seen[k]);
		return;
	}
	st->seen[k] = it->line;
	/* Paths may contain spaces; HaAddress is a list; every other value is one word. */
	if (k != K_PRIVKEY && k != K_SECRET && k != K_PIN && k != K_HA &&
	    !ini_single_word(st->e, st->path, it->line, local_keys[k], v))
		return;
	switch (k) {
	case K_SITE:
		l->site_line = it->line;
		if (!site_name_valid(v))
			mg_error(st->e, st->path, it->line,
				 "Site '%.64s' is not a valid site name (1 to %d letters, digits, '_', '.' or '-')",
				 v, MG_NAME_MAX - 1);
		else
			strcpy(l->site, v);
		break;
	case K_PRIVKEY:
		l->private_key_file_line = it->line;
		resolve_path(st, it->line, "PrivateKeyFile", v, l->private_key_file,
			     sizeof(l->private_key_file));
		break;
	case K_SECRET:
		l->mesh_secret_file_line = it->line;
		resolve_path(st, it->line, "MeshSecretFile", v, l->mesh_secret_file,
			     sizeof(l->mesh_secret_file));
		break;
	case K_LAN:
		set_ifname(st, it->line, "LanInterface", v, l->lan_if);
		break;
	case K_WG:
		set_ifname(st, it->line, "WireGuardInterface", v, l->wg_if);
		break;
	case K_BACKEND: {
		static const char *const names[3] = {
			[MG_BACKEND_AUTO] = "auto", [MG_BACKEND_KERNEL] = "kernel",
			[MG_BACKEND_USERSPACE] = "userspace",
		};
		int i = choice(st, it->line, "Backend", v, names);

		if (i >= 0)
			l->backend = (enum mg_backend)i;
		break;
	}
	case K_METRICS:
		/* An address to listen on: literals only, no DNS at bind time. */
		if (strlen(v) >= sizeof(l->metrics) || endpoint_parse(&ep, v, &why) ||
		    !ep.is_literal)
			mg_error(st->e, st->path, it->line,
				 "Metrics '%.64s' is not ADDRESS:PORT (e.g. 127.0.0.1:10586 or [::1]:10586)",
				 v);
		else
			strcpy(l->metrics, v);
		endpoint_free(&ep);
		break;
	case K_PIN:
		if (v[0] != '/')
			mg_error(st->e, st->path, it->line, "PinPath '%.64s' must be an absolute path", v);
		else if (strlen(v) >= sizeof(l->pin_path))
			mg_error(st->e, st->path, it->line, "PinPath: path is too long");
		else
			strcpy(l->pin_path, v);
		break;
	case K_FWMARK:
		if (parse_fwmark(v, &l->fwmark))
			mg_error(st->e, st->path, it->line,
				 "FwMark '%.64s' is not 'off', a decimal or a 0x hex 32-bit number", v);
		break;
	case K_PROBE_PORT: {
		unsigned long port;

		if (ini_parse_uint(v, 65535, &port) || !port)
			mg_error(st->e, st->path, it->line, "ProbePort '%.64s' is not a port (1-65535)", v);
		else
			l->probe_port = (uint16_t)port;
		l->probe_port_line = it->line;
		break;
	}
	case K_FAIL_WINDOW:
		duration_key(st, it->line, "FailureWindow", v, 50, 60000, &l->failure_window_ms);
		break;
	case K_PROBE_INTERVAL:
		duration_key(st, it->line, "ProbeInterval", v, 10, 10000, &l->probe_interval_ms);
		break;
	case K_HOLDDOWN:
		duration_key(st, it->line, "HoldDown", v, 100, 3600000, &l->holddown_ms);
		break;
	case K_HA:
		l->ha_addr_line = it->line;
		ini_each_item(st->e, st->path, it, "HaAddress", ha_item, st);
		break;
	case K_TABLE:
		if (parse_table(v, &l->steer_table))
			mg_error(st->e, st->path, it->line,
				 "RoutingTable '%.64s' is not a table number (1-4294967295, not 253-255: "
				 "the kernel's default, main and local)", v);
		break;
	case K_FAST_PATH: {
		static const char *const names[3] = {
			[MG_FAST_AUTO] = "auto", [MG_FAST_XDP] = "xdp", [MG_FAST_TC] = "tc",
		};
		int i = choice(st, it->line, "FastPath", v, names);

		if (i >= 0)
			l->fast_path = (enum mg_fast_path)i;
		break;
	}
	case K_TC_HOOK: {
		static const char *const names[3] = {
			[MG_TC_AUTO] = "auto", [MG_TC_TCX] = "tcx", [MG_TC_CLS_BPF] = "cls_bpf",
		};
		int i = choice(st, it->line, "TcHook", v, names);

		if (i >= 0)
			l->tc_hook = (enum mg_tc_hook)i;
		break;
	}
	}
}

static void finish_local(struct local_state *st)
{
	static const int required[] = { K_SITE, K_PRIVKEY, K_LAN };

	if (st->sec != L_LOCAL)
		return;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!st->seen[required[i]])
			mg_error(st->e, st->path, st->l->line, "[Local] has no %s",
				 local_keys[required[i]]);
}

static void local_cb(void *ctx, const struct ini_item *it)
{
	struct local_state *st = ctx;

	if (it->is_section) {
		if (!it->section) {
			st->sec = L_IGNORE;
		} else if (strcasecmp(it->section, "Local")) {
			if (!strcasecmp(it->section, "Mesh") || !strcasecmp(it->section, "Site"))
				mg_error(st->e, st->path, it->line,
					 "[%.64s] belongs in the mesh file (-c), not in the local file",
					 it->section);
			else
				mg_error(st->e, st->path, it->line, "unknown section [%.64s]",
					 it->section);
			st->sec = L_IGNORE;
		} else if (st->l->line) {
			mg_error(st->e, st->path, it->line, "duplicate [Local] section (first at %s:%d)",
				 st->path, st->l->line);
			st->sec = L_IGNORE;
		} else {
			if (*it->arg)
				mg_error(st->e, st->path, it->line, "[Local] takes no name");
			st->l->line = it->line;
			st->sec = L_LOCAL;
		}
		return;
	}
	if (st->sec == L_NONE)
		mg_error(st->e, st->path, it->line, "%.64s outside of any section", it->key);
	else if (st->sec == L_LOCAL)
		local_key(st, it);
}

int local_parse(struct mg_local *l, const char *path, const char *buf, size_t len,
		struct mg_errors *e)
{
	struct mg_errors sink = { 0 };
	struct local_state st = { .l = l, .e = e ? e : &sink, .path = path };
	int before;

	e = st.e;
	before = e->count;
	memset(l, 0, sizeof(*l));
	snprintf(l->path, sizeof(l->path), "%s", path);
	ini_parse(path, buf, len, e, local_cb, &st);
	if (st.sec == L_LOCAL)
		finish_local(&st);
	if (!l->line)
		mg_error(e, path, 1, "no [Local] section");

	if (!l->wg_if[0])
		strcpy(l->wg_if, MG_DEFAULT_WG_IF);
	if (!l->pin_path[0])
		snprintf(l->pin_path, sizeof(l->pin_path), "%s/%s", MG_DEFAULT_PIN_ROOT, l->wg_if);
	for (size_t i = 0; i < l->n_uplinks; i++)
		if (l->lan_if[0] && !strcmp(l->lan_if, l->uplinks[i].name))
			mg_error(e, path, l->uplinks[i].line,
				 "UplinkInterface is the same as LanInterface (%s:%d): leave it out for a one-armed gateway",
				 path, st.seen[K_LAN]);
	if (!strcmp(l->wg_if, l->lan_if)) {
		mg_error(e, path, st.seen[K_WG] ? st.seen[K_WG] : l->line,
			 "WireGuardInterface %s is also the LanInterface", l->wg_if);
	} else {
		for (size_t i = 0; i < l->n_uplinks; i++)
			if (!strcmp(l->wg_if, l->uplinks[i].name))
				mg_error(e, path, st.seen[K_WG] ? st.seen[K_WG] : l->line,
					 "WireGuardInterface %s is also the UplinkInterface", l->wg_if);
	}
	if (local_multi_uplink(l)) {
		/* WireGuard's packets are found by their mark: "off" cannot work. */
		if (st.seen[K_FWMARK] && !l->fwmark)
			mg_error(e, path, st.seen[K_FWMARK],
				 "FwMark off: with several UplinkInterface (%s:%d), WireGuard's packets "
				 "need a mark to be steered onto their path", path, st.seen[K_UPLINK]);
		else if (!st.seen[K_FWMARK])
			l->fwmark = MG_DEFAULT_STEER_MARK;
		if (!l->steer_table)
			l->steer_table = MG_DEFAULT_STEER_TABLE;
	}
	mg_errors_flush(e);
	return e->count > before ? -EINVAL : 0;
}

/* The private key must be private and belong to the site's PublicKey; it is read,
 * compared and wiped here, never kept in the configuration. */
static void check_private_key(const struct mg_local *l, const struct mg_mesh *m,
			      const struct mg_site *self, struct mg_errors *e)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	char err[PATH_MAX * 2 + 128], a[WG_KEY_B64_LEN], b[WG_KEY_B64_LEN];

	if (key_read_file(priv, l->private_key_file, true, err, sizeof(err))) {
		mg_error(e, l->path, l->private_key_file_line, "PrivateKeyFile: %s", err);
		goto out;
	}
	if (key_public_from_private(pub, priv)) {
		mg_error(e, l->path, l->private_key_file_line,
			 "PrivateKeyFile %s: not a usable Curve25519 private key", l->private_key_file);
		goto out;
	}
	if (self && !key_is_zero(self->public_key) &&
	    memcmp(pub, self->public_key, WG_KEY_LEN)) {
		key_to_base64(a, pub);
		key_to_base64(b, self->public_key);
		mg_error(e, l->path, l->private_key_file_line,
			 "the key in %s has public key %s, but site %s has PublicKey %s (%s:%d)",
			 l->private_key_file, a, self->name, b, m->path, self->public_key_line);
	}
out:
	key_wipe(priv, sizeof(priv));
}

static void check_mesh_secret(const struct mg_local *l, struct mg_errors *e)
{
	uint8_t secret[WG_KEY_LEN];
	char err[PATH_MAX * 2 + 128];

	if (key_read_file(secret, l->mesh_secret_file, true, err, sizeof(err)))
		mg_error(e, l->path, l->mesh_secret_file_line, "MeshSecretFile: %s", err);
	else if (key_is_zero(secret))
		mg_error(e, l->path, l->mesh_secret_file_line, "MeshSecretFile %s is all zeros",
			 l->mesh_secret_file);
	key_wipe(secret, sizeof(secret));
}

int local_load(struct mg_local *l, const char *path, struct mg_errors *e)
{
	char *buf;
	size_t len;
	int ret;

	memset(l, 0, sizeof(*l));
	ret = config_read_file(path, &buf, &len, e);
	if (ret)
		return ret;
	ret = local_parse(l, path, buf, len, e);
	free(buf);
	return ret;
}

int config_load(struct mg_config *c, const char *mesh_path, const char *local_path,
		struct mg_errors *e)
{
	struct mg_errors sink = { 0 };
	const struct mg_site *self = NULL;
	int before, ret = 0, r;
	bool mesh_read;

	if (!e)
		e = &sink;
	before = e->count;
	memset(c, 0, sizeof(*c));
	r = mesh_load(&c->mesh, mesh_path, e);
	mesh_read = r == 0 || r == -EINVAL;
	if (r && r != -EINVAL)
		ret = r;

	/* -EINVAL: read, with problems (counted in e like the checks below). */
	r = local_load(&c->local, local_path, e);
	if (r && r != -EINVAL) {
		if (!ret)
			ret = r;
		snprintf(c->local.path, sizeof(c->local.path), "%s", local_path);
	} else {
		if (c->local.site[0] && mesh_read) {
			self = mesh_find_site(&c->mesh, c->local.site);
			if (!self)
				mg_error(e, local_path, c->local.site_line,
					 "Site %s is not a [Site] of the mesh file %s", c->local.site,
					 mesh_path);
		}
		if (c->local.private_key_file[0])
			check_private_key(&c->local, &c->mesh, self, e);
		if (c->local.mesh_secret_file[0])
			check_mesh_secret(&c->local, e);
		/* Probes leave from their own sockets, ProbePort to ProbePort + 7 (8
		 * more per further uplink): none may be WireGuard's port, and all must
		 * be ports. */
		unsigned int np = probe_ports_of(&c->local);

		if (c->local.probe_port &&
		    ((unsigned int)c->local.probe_port + np - 1 > 65535 ||
		     (c->mesh.listen_port >= c->local.probe_port &&
		      c->mesh.listen_port < c->local.probe_port + np)))
			mg_error(e, local_path, c->local.probe_port_line,
				 "ProbePort %u: probes use ports %u-%u, which must be ports and must not "
				 "include the mesh's ListenPort %u (in %s)", c->local.probe_port,
				 c->local.probe_port, c->local.probe_port + np - 1,
				 c->mesh.listen_port, mesh_path);
		if (self)
			check_exit(c, self, e);
	}
	mg_errors_flush(e);
	if (e->count > before && !ret)
		ret = -EINVAL;
	if (!ret)
		c->self = self;
	return ret;
}

void config_free(struct mg_config *c)
{
	mesh_free(&c->mesh);
	c->self = NULL;
}
