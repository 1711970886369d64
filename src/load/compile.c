/* compile.c - the zone model -> one nftables table (plain data, no I/O).
 *
 * Layout of the table (see segmentd.conf(5), "HOW IT IS ENFORCED"):
 *
 *   forward (hook forward, policy drop)
 *     iifname vmap @zone_in -> goto in_Z           interface -> source zone
 *   in_Z
 *     source outside Z's networks: counted as spoof_Z, dropped
 *     ct state invalid: counted as invalid_Z, logged apart, dropped
 *     source in Z, established/related, ct mark @flow_marks: accept
 *     oifname vmap @out_Z -> goto fwd_Z_W          interface -> target zone
 *     (log "drop Z>other"), counted as denied_drop, drop: the one shared
 *     path of every target W without a flow from Z, and of unzoned ones
 *   fwd_Z_W                     one chain per zone pair with a flow (or
 *                               intra = "accept"): cost grows with flows
 *     ct state new, addresses, service: ct mark set M, count, accept
 *     (log), counted as pair_Z_W_drop, drop
 *   input (hook input, policy drop)
 *     lo, established/related, IPv6 neighbour discovery: accept
 *     iifname vmap @mgmt_in -> goto mgmt_Z          management services
 *   mgmt_Z: ct state invalid -> invalid_Z; management services; drop
 *
 * Deny by construction: every lookup leads only towards an accept; a miss,
 * an unknown interface, an invalid or untracked packet falls through to a
 * drop rule or the base chain's drop policy.  The drop rules only count and
 * log; correctness never depends on them.
 */
#include <netinet/in.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model.h"
#include "ruleset.h"
#include "zonenets.h"

#include "compile.h"

/* Set name for an endpoint's addresses in one family ("host_x_v4"). */
void endpoint_set_name(const struct model *m, const struct endpoint *e,
			      int family, char *buf, size_t len)
{
	snprintf(buf, len, "%s_%s_%s",
		 e->kind == ENDPOINT_HOST ? "host" : "zone",
		 endpoint_name(m, e), family == AF_INET ? "v4" : "v6");
}

int compile_address_set(struct compiler *c, const char *name, int family,
			   const struct interval_list *l,
			   const struct rs_origin *o)
{
	struct rs_set *s;

	if (!l->count)
		return 0;
	s = ruleset_add_set(c->rs, name,
			    family == AF_INET ? RS_KEY_IPV4 : RS_KEY_IPV6,
			    false, o);
	if (!s || set_reserve(s, l->count))
		return -ENOMEM;
	for (size_t i = 0; i < l->count; i++) {
		int err = set_add_interval(s, l->items[i].lo, l->items[i].hi);

		if (err)
			return err;
	}
	set_trim(s);
	return 0;
}

int compile_cidr_list(const struct cidr *v, size_t n, int family,
			 struct interval_list *out)
{
	struct interval iv;

	interval_list_init(out, family);
	if (interval_list_reserve(out, n))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (v[i].family != family)
			continue;
		cidr_to_interval(&v[i], &iv);
		if (interval_list_add(out, &iv))
			return -ENOMEM;
	}
	interval_list_normalize(out);
	return 0;
}

/* The intervals of family of zone z (its networks, or for "any" all that
 * no other zone claims, made in *own) or of host h (made in *own): one
 * list_fn per kind of object. */
typedef int list_fn(struct compiler *c, size_t i, int family,
		    struct interval_list *own,
		    const struct interval_list **out);

static int zone_list(struct compiler *c, size_t z, int family,
		     struct interval_list *own,
		     const struct interval_list **out)
{
	*out = own;
	if (compile_any_negated(c, z, family))
		return 0;           /* no set: see compile_any_plan */
	if (c->m->zones[z].any)     /* no networks of its own (config) */
		return zone_nets_unclaimed(c->zn, (uint8_t)family, own);
	*out = zone_nets_of(c->zn, z, (uint8_t)family);
	return 0;
}

static int host_list(struct compiler *c, size_t h, int family,
		     struct interval_list *own,
		     const struct interval_list **out)
{
	const struct host *host = &c->m->hosts[h];

	*out = own;
	return compile_cidr_list(host->addresses, host->address_count, family,
				 own);
}

/* kind_NAME_v4 and kind_NAME_v6: the addresses of object i (a zone or a
 * host, named name) by family, as list() gives them. */
static int compile_object_sets(struct compiler *c, const char *kind,
			       const char *name, const struct origin *origin,
			       size_t i, list_fn *list)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct rs_origin o = origin_of(c, kind, name, origin);
	const struct interval_list *l;
	struct interval_list own;
	int err = 0;

	for (size_t f = 0; f < 2 && !err; f++) {
		int fam = families[f];

		interval_list_init(&own, (uint8_t)fam);
		err = list(c, i, fam, &own, &l);
		if (!err)
			err = compile_address_set(c, nm(c, "%s_%s_%s", kind, name,
					fam == AF_INET ? "v4" : "v6"),
					fam, l, &o);
		interval_list_free(&own);
	}
	return err;
}

/* For each family: is the any zone matched by negation?  Only with
 * settings.any_zone = "negated", and when one to ANY_NEGATED_MAX other
 * zones have addresses in it.  Its set would be the complement of theirs,
 * about as many intervals as all of them together: without it, a table
 * holds, commits, restores and reads back half the elements.  Not the
 * default: membership by absence does not fail closed when another process
 * removes elements from another zone's set (an unowned table), the any
 * zone grows by them until the watchdog puts them back. */
static void compile_any_plan(struct compiler *c)
{
	static const uint8_t fams[] = { AF_INET, AF_INET6 };
	const struct model *m = c->m;

	if (!m->settings.any_negated)
		return;
	for (size_t f = 0; f < 2; f++) {
		size_t others = 0;

		for (size_t z = 0; z < m->zone_count; z++)
			others += !m->zones[z].any &&
				  zone_nets_of(c->zn, z, fams[f])->count;
		c->any_negated[f] = others && others <= ANY_NEGATED_MAX;
	}
}

static int compile_address_sets(struct compiler *c)
{
	const struct model *m = c->m;
	int err = 0;

	for (size_t z = 0; z < m->zone_count && !err; z++)
		err = compile_object_sets(c, "zone", m->zones[z].name,
					  &m->zones[z].origin, z, zone_list);
	for (size_t h = 0; h < m->host_count && !err; h++)
		err = compile_object_sets(c, "host", m->hosts[h].name,
					  &m->hosts[h].origin, h, host_list);
	return err;
}

static int add_counter(struct compiler *c, const char *name,
		       const struct rs_origin *o)
{
	return ruleset_add_counter(c->rs, name, o) ? 0 : -ENOMEM;
}

static int compile_counters(struct compiler *c)
{
	const struct model *m = c->m;
	struct rs_origin none = { .what = NULL };
	int err = add_counter(c, "unzoned_drop", &none);

	for (size_t a = 0; a < m->zone_count && !err; a++) {
		const struct zone *za = &m->zones[a];
		struct rs_origin o = origin_of(c, "zone", za->name, &za->origin);

		err = add_counter(c, nm(c, "spoof_%s", za->name), &o);
		if (!err)
			err = add_counter(c, nm(c, "invalid_%s", za->name), &o);
		if (!err)
			err = add_counter(c, nm(c, "mgmt_%s_drop", za->name), &o);
	}
	err = err ?: add_counter(c, "denied_drop", &none);
	for (size_t p = 0; p < c->pair_count && !err; p++) {
		const struct zone *za = &m->zones[c->pairs[p].a];
		const char *zb = m->zones[c->pairs[p].b].name;
		struct rs_origin o = origin_of(c, "zone", za->name, &za->origin);

		err = add_counter(c, nm(c, "pair_%s_%s_new", za->name, zb), &o);
		err = err ?: add_counter(c, nm(c, "pair_%s_%s_drop", za->name,
					       zb), &o);
	}
	for (size_t f = 0; f < m->flow_count && !err; f++) {
		const struct flow *fl = &m->flows[f];
		struct rs_origin o = origin_of(c, "flow", fl->name, &fl->origin);

		err = add_counter(c, nm(c, "flow_%s", fl->name), &o);
	}
	return err;
}

/* The interface maps: zone_in, out_Z and mgmt_in. */
/* Zone z's interfaces -> goto PREFIX[FROM_]ZONE. */
static int fill_zone_ifaces(struct compiler *c, struct rs_set *s, size_t z,
			    const char *prefix, const char *from)
{
	const struct zone *zone = &c->m->zones[z];
	char chain[RS_NAME_MAX * 2];

	snprintf(chain, sizeof(chain), "%s%s%s%s", prefix, from ? from : "",
		 from ? "_" : "", zone->name);
	for (size_t i = 0; i < zone->interface_count; i++)
		if (set_add_ifname(s, zone->interfaces[i], RS_VERDICT_GOTO,
				   chain))
			return -ENOMEM;
	return 0;
}

/* Every zone interface -> goto PREFIXZONE. */
static int fill_iface_map(struct compiler *c, struct rs_set *s,
			  const char *prefix)
{
	for (size_t z = 0; z < c->m->zone_count; z++)
		if (fill_zone_ifaces(c, s, z, prefix, NULL))
			return -ENOMEM;
	return 0;
}

static int compile_maps(struct compiler *c)
{
	struct rs_origin none = { .what = NULL };
	struct rs_set *s;

	s = ruleset_add_set(c->rs, "zone_in", RS_KEY_IFNAME, true, &none);
	if (!s || fill_iface_map(c, s, "in_"))
		return -ENOMEM;
	s = ruleset_add_set(c->rs, "mgmt_in", RS_KEY_IFNAME, true, &none);
	if (!s || fill_iface_map(c, s, "mgmt_"))
		return -ENOMEM;
	for (size_t z = 0, p = 0; z < c->m->zone_count; z++) {
		const struct zone *zone = &c->m->zones[z];
		struct rs_origin o = origin_of(c, "zone", zone->name,
					       &zone->origin);

		s = ruleset_add_set(c->rs, nm(c, "out_%s", zone->name),
				    RS_KEY_IFNAME, true, &o);
		if (!s)
			return -ENOMEM;
		/* only the targets Z has a chain to: pairs are sorted */
		for (; p < c->pair_count && c->pairs[p].a == z; p++)
			if (fill_zone_ifaces(c, s, c->pairs[p].b, "fwd_",
					     zone->name))
				return -ENOMEM;
	}
	return 0;
}


int ruleset_compile(const struct model *m, time_t now, struct ruleset *rs)
{
	struct zone_nets zn;
	int err = zone_nets_build(m, &zn);

	if (err) {
		ruleset_init(rs);
		return err;
	}
	err = ruleset_compile_nets(m, &zn, now, rs);
	zone_nets_free(&zn);
	return err;
}

int ruleset_compile_nets(const struct model *m, const struct zone_nets *zn,
			 time_t now, struct ruleset *rs)
{
	struct compiler c = { .m = m, .zn = zn, .rs = rs, .now = now };
	int err;

	ruleset_init(rs);
	rs->table = strdup(m->settings.table ? m->settings.table : "segmentd");
	rs->ownership = m->settings.ownership;
	rs->compiled_at = now;
	if (!rs->table)
		return -ENOMEM;
	compile_any_plan(&c);
	err = compile_pairs(&c);
	err = err ?: compile_counters(&c);
	if (!err)
		err = compile_address_sets(&c);
	if (!err)
		err = compile_ha_sets(&c);
	if (!err)
		err = compile_maps(&c);
	if (!err)
		err = compile_chains(&c);
	free(c.pairs);
	if (err)
		ruleset_free(rs);
	return err;
}

int ruleset_compile_lockdown(const char *table, bool ownership,
			     struct ruleset *rs)
{
	struct rs_origin o = { .what = (char *)"lockdown" };
	struct rs_chain *ch;
	struct rs_rule *r;
	int err;

	ruleset_init(rs);
	rs->table = strdup(table);
	rs->ownership = ownership;
	if (!rs->table || !ruleset_add_counter(rs, "lockdown_drop", &o))
		goto nomem;
	ch = ruleset_add_chain(rs, "forward", RS_HOOK_FORWARD, &o);
	r = ch ? chain_add_rule(ch, &o) : NULL;
	if (!r)
		goto nomem;
	err = rule_name(r, RS_OP_COUNTER, "lockdown_drop", false);
	err = err ?: rule_verdict(r, RS_VERDICT_DROP, NULL);
	ch = err ? NULL : ruleset_add_chain(rs, "input", RS_HOOK_INPUT, &o);
	r = ch ? chain_add_rule(ch, &o) : NULL;
	if (!r || rule_verdict(r, RS_VERDICT_ACCEPT, NULL))
		goto nomem;
	return 0;
nomem:
	ruleset_free(rs);
	return -ENOMEM;
}
