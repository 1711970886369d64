/* modeldiff_objects.c - zones, hosts, management rules and settings for
 * model_diff(): added, removed and changed, and their notable consequences
 * (a zone or host gains addresses that unchanged flows now cover, a zone
 * changes class or accepts intra-zone traffic, a host gains or loses a relay
 * role, a setting that loosens enforcement or finds drift later).
 */
#include <string.h>

#include "modeldiff_internal.h"

/* ---- zones ---- */

static const char *intra_name(const struct zone *z)
{
	return z->intra_accept ? "accept" : "drop";
}

static void zone_object(struct report *r, int sec, const struct zone *z)
{
	struct pool *p = &r->pool;
	struct list ifs = diff_word_list(p, z->interfaces, z->interface_count);
	struct list nets = diff_zone_networks(p, z).text;
	struct item it = { .name = z->name };

	diff_attr_val(&it, "class", val_word(zone_class_name(z->class)));
	diff_attr_val(&it, "interfaces", val_list(ifs));
	diff_attr_val(&it, "networks", val_list(nets));
	diff_attr_val(&it, "intra", val_word(intra_name(z)));
	it.text = diff_printf(p, "%s: class %s; interfaces %s; networks %s; "
			      "intra %s", z->name, zone_class_name(z->class),
			      diff_list_join(p, &ifs, ""),
			      diff_list_join(p, &nets, ""), intra_name(z));
	diff_item_push(r, sec, &it);
}

static bool flow_uses(const struct model *m, const struct flow *f,
		      const char *endpoint)
{
	return strcmp(endpoint_name(m, &f->from), endpoint) == 0 ||
	       strcmp(endpoint_name(m, &f->to), endpoint) == 0;
}

static bool mgmt_uses(const struct model *m, const char *endpoint)
{
	for (size_t i = 0; i < m->mgmt_count; i++)
		if (strcmp(endpoint_name(m, &m->mgmt[i].from), endpoint) == 0)
			return true;
	return false;
}

/* Whether running has flow f (by name) between the same endpoint too. */
static bool flow_kept(const struct report *r, const struct flow *f,
		      const char *endpoint)
{
	for (size_t i = 0; i < r->a->flow_count; i++)
		if (strcmp(r->a->flows[i].name, f->name) == 0 &&
		    flow_uses(r->a, &r->a->flows[i], endpoint))
			return true;
	return false;
}

/* The flows (and management) that use endpoint (a zone or host name) in
 * both configs, as "flows 'a', 'b'", or NULL when none: what now applies
 * to more addresses without being changed itself. */
static const char *endpoint_users(struct report *r, const char *endpoint)
{
	const struct model *m = r->b;
	const char **v = diff_alloc(&r->pool, m->flow_count, sizeof(*v));
	const char *flows, *s = NULL;
	size_t n = 0;

	for (size_t i = 0; v && i < m->flow_count; i++)
		if (flow_uses(m, &m->flows[i], endpoint) &&
		    flow_kept(r, &m->flows[i], endpoint))
			v[n++] = m->flows[i].name;
	if ((flows = diff_quoted_names(&r->pool, v, n)))
		s = diff_printf(&r->pool, "flow%s %s", n == 1 ? "" : "s",
				flows);
	if (mgmt_uses(r->a, endpoint) && mgmt_uses(m, endpoint))
		s = diff_printf(&r->pool, "%s%sgateway management",
				s ? s : "", s ? ", " : "");
	return s;
}

/* A zone or host whose new addresses (wider) unchanged flows now cover. */
static void gains_addresses(struct report *r, const char *kind,
			    const char *name, const char *what,
			    const struct list *wider)
{
	const char *users;

	if (wider->n && (users = endpoint_users(r, name)))
		diff_notable(r, "addresses", name, "%s '%s' gains %s %s, now "
			     "also covered by %s", kind, name, what,
			     diff_list_join(&r->pool, wider, "+"), users);
}

static void zone_class_consequence(struct report *r, const struct zone *za,
				   const struct zone *zb)
{
	const char *what = "the guardrails now judge its flows by the new "
			   "class";

	if (za->class == ZONE_ISOLATED)
		what = "it is no longer isolated: its flows leave the "
		       "isolated-zone guardrails";
	else if (zb->class == ZONE_ISOLATED)
		what = "it becomes isolated: its flows must meet the "
		       "isolated-zone guardrails";
	diff_notable(r, "zone-class", zb->name, "zone '%s' changes class "
		     "%s -> %s; %s", zb->name, zone_class_name(za->class),
		     zone_class_name(zb->class), what);
}

static void zone_changed(struct report *r, const struct zone *za,
			 const struct zone *zb)
{
	struct pool *p = &r->pool;
	struct item it = { .name = zb->name };
	struct set na = diff_zone_networks(p, za);
	struct set nb = diff_zone_networks(p, zb);
	struct list wider = { NULL, 0 };
	struct attr *x;

	if (diff_attr(r, &it, "class", val_word(zone_class_name(za->class)),
		      val_word(zone_class_name(zb->class))))
		zone_class_consequence(r, za, zb);
	diff_attr(r, &it, "interfaces",
		  val_list(diff_word_list(p, za->interfaces,
					  za->interface_count)),
		  val_list(diff_word_list(p, zb->interfaces,
					  zb->interface_count)));
	x = diff_attr(r, &it, "networks", val_list(na.text), val_list(nb.text));
	if (x && (wider = diff_cidr_wider(p, &na, &nb)).n)
		x->note = "widens";
	x = diff_attr(r, &it, "intra", val_word(intra_name(za)),
		      val_word(intra_name(zb)));
	if (x && zb->intra_accept) {
		x->note = "widens";
		diff_notable(r, "intra", zb->name, "zone '%s' now accepts all "
			     "traffic between its own addresses (intra "
			     "accept)", zb->name);
	}
	if (it.attr_count)
		diff_item_push(r, S_ZONES_CHANGED, &it);
	gains_addresses(r, "zone", zb->name, "networks", &wider);
}

static void zone_pair(struct report *r, const size_t *ia, const size_t *ib)
{
	if (ia && ib)
		zone_changed(r, &r->a->zones[*ia], &r->b->zones[*ib]);
	else if (ib)
		zone_object(r, S_ZONES_ADDED, &r->b->zones[*ib]);
	else if (ia)
		zone_object(r, S_ZONES_REMOVED, &r->a->zones[*ia]);
}

static const char *zone_name(const struct model *m, size_t i)
{
	return m->zones[i].name;
}

void diff_zones(struct report *r)
{
	diff_merge_by_name(r, r->a->zone_count, r->b->zone_count, zone_name,
			   zone_pair);
}

/* ---- hosts ---- */

static bool flow_lgwan_internet(const struct model *m, const struct flow *f)
{
	enum zone_class x = m->zones[endpoint_zone(m, &f->from)].class;
	enum zone_class y = m->zones[endpoint_zone(m, &f->to)].class;

	return (x == ZONE_LGWAN && y == ZONE_INTERNET) ||
	       (x == ZONE_INTERNET && y == ZONE_LGWAN);
}

static void host_object(struct report *r, int sec, const struct model *m,
			const struct host *h)
{
	struct pool *p = &r->pool;
	struct list addrs = diff_host_addresses(p, h).text;
	struct item it = { .name = h->name };
	const char *t;

	diff_attr_val(&it, "zone", val_word(m->zones[h->zone].name));
	diff_attr_val(&it, "role", val_word(host_role_name(h->role)));
	diff_attr_val(&it, "addresses", val_list(addrs));
	t = diff_printf(p, "%s: zone %s", h->name, m->zones[h->zone].name);
	if (h->role != ROLE_NONE)
		t = diff_printf(p, "%s; role %s", t, host_role_name(h->role));
	it.text = diff_printf(p, "%s; addresses %s", t,
			      diff_list_join(p, &addrs, ""));
	diff_item_push(r, sec, &it);
}

/* Running LGWAN <-> internet flows with host ia at an end. */
static const char *relay_flows(struct report *r, size_t ia)
{
	const struct model *m = r->a;
	const char **v = diff_alloc(&r->pool, m->flow_count, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; v && i < m->flow_count; i++) {
		const struct flow *f = &m->flows[i];

		if (flow_lgwan_internet(m, f) &&
		    ((f->from.kind == ENDPOINT_HOST && f->from.index == ia) ||
		     (f->to.kind == ENDPOINT_HOST && f->to.index == ia)))
			v[n++] = f->name;
	}
	return diff_quoted_names(&r->pool, v, n);
}

static void host_role_consequence(struct report *r, const struct host *ha,
				  const struct host *hb, size_t ia)
{
	const char *flows;

	if (host_role_is_relay(ha->role) && !host_role_is_relay(hb->role) &&
	    (flows = relay_flows(r, ia)))
		diff_notable(r, "relay-role", hb->name, "host '%s' loses relay "
			     "role '%s' (now %s); LGWAN<->internet flows "
			     "through it: %s", hb->name,
			     host_role_name(ha->role),
			     host_role_name(hb->role), flows);
	else if (!host_role_is_relay(ha->role) && host_role_is_relay(hb->role))
		diff_notable(r, "relay-role", hb->name, "host '%s' becomes a "
			     "relay (%s): guardrails let it carry "
			     "LGWAN<->internet flows", hb->name,
			     host_role_name(hb->role));
	else if (ha->role != ROLE_LBO_SERVICE && hb->role == ROLE_LBO_SERVICE)
		diff_notable(r, "relay-role", hb->name, "host '%s' becomes an "
			     "lbo-service host: guardrails let the LGWAN zone "
			     "reach it directly (tcp/443)", hb->name);
}

static void host_changed(struct report *r, size_t ia, size_t ib)
{
	struct pool *p = &r->pool;
	const struct host *ha = &r->a->hosts[ia], *hb = &r->b->hosts[ib];
	struct set sa = diff_host_addresses(p, ha);
	struct set sb = diff_host_addresses(p, hb);
	struct item it = { .name = hb->name };
	struct list wider = { NULL, 0 };
	struct attr *x;

	diff_attr(r, &it, "zone", val_word(r->a->zones[ha->zone].name),
		  val_word(r->b->zones[hb->zone].name));
	if (diff_attr(r, &it, "role", val_word(host_role_name(ha->role)),
		      val_word(host_role_name(hb->role))))
		host_role_consequence(r, ha, hb, ia);
	x = diff_attr(r, &it, "addresses", val_list(sa.text),
		      val_list(sb.text));
	if (x && (wider = diff_set_wider(p, &sa, &sb)).n)
		x->note = "widens";
	if (it.attr_count)
		diff_item_push(r, S_HOSTS_CHANGED, &it);
	gains_addresses(r, "host", hb->name, "addresses", &wider);
}

static void host_pair(struct report *r, const size_t *ia, const size_t *ib)
{
	if (ia && ib)
		host_changed(r, *ia, *ib);
	else if (ib)
		host_object(r, S_HOSTS_ADDED, r->b, &r->b->hosts[*ib]);
	else if (ia)
		host_object(r, S_HOSTS_REMOVED, r->a, &r->a->hosts[*ia]);
}

static const char *host_name(const struct model *m, size_t i)
{
	return m->hosts[i].name;
}

void diff_hosts(struct report *r)
{
	diff_merge_by_name(r, r->a->host_count, r->b->host_count, host_name,
			   host_pair);
}

/* ---- management: keyed by "from: services" ---- */

static struct named *mgmt_keys(struct report *r, const struct model *m)
{
	struct named *v = diff_alloc(&r->pool, m->mgmt_count, sizeof(*v));

	for (size_t i = 0; v && i < m->mgmt_count; i++) {
		const struct mgmt_rule *rule = &m->mgmt[i];
		struct set s = diff_service_set(&r->pool, rule->services,
						rule->service_count);

		v[i].name = diff_printf(&r->pool, "%s: %s",
					endpoint_name(m, &rule->from),
					diff_list_join(&r->pool, &s.text, ""));
		v[i].idx = i;
	}
	return v;
}

static void mgmt_object(struct report *r, int sec, const struct model *m,
			size_t i)
{
	const struct mgmt_rule *rule = &m->mgmt[i];
	struct set s = diff_service_set(&r->pool, rule->services,
					rule->service_count);
	const char *comment = diff_clean(&r->pool, rule->comment);
	struct item it = { 0 };

	diff_attr_val(&it, "from", val_word(endpoint_name(m, &rule->from)));
	diff_attr_val(&it, "services", val_list(s.text));
	diff_attr_val(&it, "comment", val_text(comment));
	it.text = diff_printf(&r->pool, "%s: %s%s%s%s",
			      endpoint_name(m, &rule->from),
			      diff_list_join(&r->pool, &s.text, ""),
			      comment ? "; comment '" : "",
			      comment ? comment : "", comment ? "'" : "");
	diff_item_push(r, sec, &it);
}

static void mgmt_pair(struct report *r, const size_t *ia, const size_t *ib)
{
	if (ia && ib)
		return;            /* the key is all there is to compare */
	if (ib)
		mgmt_object(r, S_MGMT_ADDED, r->b, *ib);
	else if (ia)
		mgmt_object(r, S_MGMT_REMOVED, r->a, *ia);
}

void diff_management(struct report *r)
{
	diff_merge(r, mgmt_keys(r, r->a), r->a->mgmt_count,
		   mgmt_keys(r, r->b), r->b->mgmt_count, mgmt_pair);
}

/* ---- settings ---- */

/* Whether the setting changed. */
static bool setting(struct report *r, const char *key, struct val before,
		    struct val after)
{
	struct item it = { .name = key };

	if (!diff_attr(r, &it, key, before, after))
		return false;
	diff_item_push(r, S_SETTINGS, &it);
	return true;
}

static void settings_log_diff(struct report *r, const struct settings *a,
			      const struct settings *b)
{
	if (setting(r, "log.enabled", val_bool(a->log_denied),
		    val_bool(b->log_denied)) && !b->log_denied)
		diff_notable(r, "setting", "log.enabled", "denied packets are "
			     "no longer logged");
	setting(r, "log.group", val_num(a->log_group), val_num(b->log_group));
	setting(r, "log.rate", val_num(a->log_rate), val_num(b->log_rate));
	setting(r, "log.burst", val_num(a->log_burst), val_num(b->log_burst));
}

/* Longer intervals: drift is found later. */
static void settings_verify_diff(struct report *r, const struct settings *a,
				 const struct settings *b)
{
	if (setting(r, "verify_interval", val_num(a->verify_interval_ms),
		    val_num(b->verify_interval_ms)) &&
	    b->verify_interval_ms > a->verify_interval_ms)
		diff_notable(r, "setting", "verify_interval", "drift is found "
			     "later: cheap check every %u ms (was %u ms)",
			     b->verify_interval_ms, a->verify_interval_ms);
	if (setting(r, "full_verify_interval",
		    val_num(a->full_verify_interval_s),
		    val_num(b->full_verify_interval_s)) &&
	    b->full_verify_interval_s > a->full_verify_interval_s)
		diff_notable(r, "setting", "full_verify_interval", "drift is "
			     "found later: full compare every %u s (was %u s)",
			     b->full_verify_interval_s,
			     a->full_verify_interval_s);
}

void diff_settings(struct report *r)
{
	const struct settings *a = &r->a->settings, *b = &r->b->settings;

	setting(r, "table", val_word(a->table), val_word(b->table));
	if (setting(r, "ownership", val_bool(a->ownership),
		    val_bool(b->ownership)) && !b->ownership)
		diff_notable(r, "setting", "ownership", "ownership off: the "
			     "kernel no longer refuses changes to table '%s' "
			     "by other processes", b->table);
	settings_log_diff(r, a, b);
	if (setting(r, "unzoned_input",
		    val_word(a->unzoned_input_accept ? "accept" : "drop"),
		    val_word(b->unzoned_input_accept ? "accept" : "drop")) &&
	    b->unzoned_input_accept)
		diff_notable(r, "setting", "unzoned_input", "input to the "
			     "gateway from interfaces in no zone is now "
			     "accepted");
	if (setting(r, "any_zone", val_word(a->any_negated ? "negated" : "set"),
		    val_word(b->any_negated ? "negated" : "set")) &&
	    b->any_negated)
		diff_notable(r, "setting", "any_zone", "the any zone is now "
			     "\"in no other zone's set\": a change by another "
			     "process that removes addresses from a zone's set "
			     "widens it until the watchdog restores them");
	settings_verify_diff(r, a, b);
	setting(r, "control_group", val_word(a->control_group),
		val_word(b->control_group));
}
