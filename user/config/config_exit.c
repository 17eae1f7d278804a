// SPDX-License-Identifier: GPL-2.0-only
/* The local file's internet exit keys (DESIGN.md "Internet exit through another
 * site"): ExitVia = SITE (repeatable, preference order), ExitSources = PREFIX and
 * ExitDestinations = PREFIX (repeatable, comma lists too), parsed here, then checked
 * against the mesh file once both are read. */
#include <arpa/inet.h>
#include <string.h>
#include "config/config.h"
#include "config/config_ini.h"

struct exit_items {
	struct mg_local *l;
	const char *path, *key;
	struct mg_exit_prefixes *into;
	struct mg_errors *e;
};

static void exit_via(void *ctx, const struct ini_item *it, const char *w)
{
	struct exit_items *x = ctx;
	struct mg_local *l = x->l;

	if (!site_name_valid(w)) {
		mg_error(x->e, x->path, it->line,
			 "ExitVia '%.64s' is not a site name (1 to %d letters, digits, '_', '.' or '-')",
			 w, MG_NAME_MAX - 1);
		return;
	}
	for (size_t i = 0; i < l->n_exit_via; i++)
		if (!strcasecmp(l->exit_via[i], w)) {
			mg_error(x->e, x->path, it->line, "duplicate ExitVia %s (first at %s:%d)", w,
				 x->path, l->exit_via_line[i]);
			return;
		}
	if (l->n_exit_via >= MG_MAX_EXIT_VIA) {
		mg_error(x->e, x->path, it->line, "more than %d ExitVia sites", MG_MAX_EXIT_VIA);
		return;
	}
	strcpy(l->exit_via[l->n_exit_via], w);
	l->exit_via_line[l->n_exit_via++] = it->line;
}

static void exit_prefix(void *ctx, const struct ini_item *it, const char *w)
{
	struct exit_items *x = ctx;
	struct mg_exit_prefixes *v = x->into;
	struct prefix p;

	if (prefix_parse(&p, w, false)) {
		mg_error(x->e, x->path, it->line, "%s '%.64s' is not a prefix (ADDRESS/LENGTH)",
			 x->key, w);
		return;
	}
	if (prefix_has_host_bits(&p)) {
		mg_error(x->e, x->path, it->line, "%s %.64s has host bits set", x->key, w);
		return;
	}
	if (v->n >= MG_MAX_EXIT_PREFIXES) {
		mg_error(x->e, x->path, it->line, "more than %d %s prefixes", MG_MAX_EXIT_PREFIXES,
			 x->key);
		return;
	}
	v->p[v->n] = p;
	v->line[v->n++] = it->line;
}

bool local_exit_key(struct mg_local *l, const char *path, const struct ini_item *it,
		    struct mg_errors *e)
{
	struct exit_items x = { .l = l, .path = path, .e = e };

	if (!strcasecmp(it->key, "ExitVia")) {
		x.key = "ExitVia";
		ini_each_item(e, path, it, x.key, exit_via, &x);
	} else if (!strcasecmp(it->key, "ExitSources")) {
		x.key = "ExitSources";
		x.into = &l->exit_sources;
		ini_each_item(e, path, it, x.key, exit_prefix, &x);
	} else if (!strcasecmp(it->key, "ExitDestinations")) {
		x.key = "ExitDestinations";
		x.into = &l->exit_destinations;
		ini_each_item(e, path, it, x.key, exit_prefix, &x);
	} else {
		return false;
	}
	return true;
}

/* p inside one of the site's egress ranges. */
static bool in_egress(const struct mg_site *s, const struct prefix *p)
{
	for (size_t i = 0; i < s->n_egress; i++)
		if (s->egress[i].family == p->family && s->egress[i].len <= p->len &&
		    prefix_overlap(&s->egress[i], p))
			return true;
	return false;
}

/* A destination that overlaps a mesh range (the Network, a site's egress) names
 * it; mesh traffic never takes the exit, so such a line would mean nothing. */
static void check_destination(const struct mg_config *c, const struct prefix *p, int line,
			      struct mg_errors *e)
{
	const struct mg_mesh *m = &c->mesh;
	char a[PREFIX_STR_MAX], b[PREFIX_STR_MAX];

	prefix_str(p, a, sizeof(a));
	if (m->network.family && prefix_overlap(&m->network, p)) {
		mg_error(e, c->local.path, line,
			 "ExitDestinations %s overlaps the mesh Network %s (%s:%d): mesh traffic never takes the exit",
			 a, prefix_str(&m->network, b, sizeof(b)), m->path, m->network_line);
		return;
	}
	for (size_t i = 0; i < m->n_sites; i++)
		for (size_t j = 0; j < m->sites[i].n_egress; j++)
			if (prefix_overlap(&m->sites[i].egress[j], p)) {
				mg_error(e, c->local.path, line,
					 "ExitDestinations %s overlaps Egress %s of site %s (%s:%d): mesh traffic never takes the exit",
					 a, prefix_str(&m->sites[i].egress[j], b, sizeof(b)),
					 m->sites[i].name, m->path, m->sites[i].egress_lines[j]);
				return;
			}
}

void check_exit(const struct mg_config *c, const struct mg_site *self, struct mg_errors *e)
{
	const struct mg_local *l = &c->local;
	char a[PREFIX_STR_MAX];

	for (size_t i = 0; i < l->n_exit_via; i++) {
		const struct mg_site *s = mesh_find_site(&c->mesh, l->exit_via[i]);

		if (!s)
			mg_error(e, l->path, l->exit_via_line[i],
				 "ExitVia %s is not a [Site] of the mesh file %s", l->exit_via[i],
				 c->mesh.path);
		else if (s == self)
			mg_error(e, l->path, l->exit_via_line[i],
				 "ExitVia %s is this site itself: traffic already leaves by its own internet",
				 s->name);
		else if (!s->exit)
			mg_error(e, l->path, l->exit_via_line[i],
				 "ExitVia %s: site %s does not offer its internet (no 'Exit = yes' in [Site %s], %s:%d)",
				 s->name, s->name, s->name, c->mesh.path, s->line);
	}
	if (!l->n_exit_via) {
		if (l->exit_sources.n)
			mg_error(e, l->path, l->exit_sources.line[0],
				 "ExitSources without ExitVia: name the exit site first");
		if (l->exit_destinations.n)
			mg_error(e, l->path, l->exit_destinations.line[0],
				 "ExitDestinations without ExitVia: name the exit site first");
	}
	for (size_t i = 0; i < l->exit_sources.n; i++)
		if (!in_egress(self, &l->exit_sources.p[i]))
			mg_error(e, l->path, l->exit_sources.line[i],
				 "ExitSources %s is not inside an Egress range of this site %s (%s:%d)",
				 prefix_str(&l->exit_sources.p[i], a, sizeof(a)), self->name,
				 c->mesh.path, self->line);
	for (size_t i = 0; i < l->exit_destinations.n; i++)
		check_destination(c, &l->exit_destinations.p[i], l->exit_destinations.line[i], e);
}
