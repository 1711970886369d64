/* modeldiff_flows.c - flows for model_diff(): added, removed and changed
 * flows; the exceptions to the isolated zones that they open, change,
 * widen, extend or readdress; and, outside the isolated zones, the notable
 * consequences (services added, now both ways, a host widened to its whole
 * zone, expiry extended or removed).
 */
#include <string.h>

#include "modeldiff_internal.h"

enum expiry_change {
	EXPIRY_SAME, EXPIRY_EXTENDED, EXPIRY_SHORTENED, EXPIRY_UNLIMITED,
	EXPIRY_ADDED
};

static const char *const expiry_notes[] = {
	[EXPIRY_SAME] = NULL,
	[EXPIRY_EXTENDED] = "extended",
	[EXPIRY_SHORTENED] = "shortened",
	[EXPIRY_UNLIMITED] = "no longer expires",
	[EXPIRY_ADDED] = "now expires",
};

static const char *flow_expires(const struct flow *f)
{
	return f->has_expiry ? f->expires_text : NULL;
}

static enum expiry_change expiry_change(const struct flow *a,
					const struct flow *b)
{
	if (a->has_expiry && b->has_expiry && a->expires != b->expires)
		return b->expires > a->expires ? EXPIRY_EXTENDED
					       : EXPIRY_SHORTENED;
	if (a->has_expiry && !b->has_expiry)
		return EXPIRY_UNLIMITED;
	if (!a->has_expiry && b->has_expiry)
		return EXPIRY_ADDED;
	return EXPIRY_SAME;
}

/* The isolated zone a flow touches (from's first), or NULL. */
static const char *flow_isolated(const struct model *m, const struct flow *f)
{
	const struct zone *from = &m->zones[endpoint_zone(m, &f->from)];
	const struct zone *to = &m->zones[endpoint_zone(m, &f->to)];

	if (from->class == ZONE_ISOLATED)
		return from->name;
	return to->class == ZONE_ISOLATED ? to->name : NULL;
}

/* "a -> b tcp/443, udp/53" ("<->" both ways) */
static const char *flow_route(struct report *r, const struct model *m,
			      const struct flow *f)
{
	struct set s = diff_service_set(&r->pool, f->services,
					f->service_count);

	return diff_printf(&r->pool, "%s %s %s %s", endpoint_name(m, &f->from),
			   f->bidirectional ? "<->" : "->",
			   endpoint_name(m, &f->to),
			   diff_list_join(&r->pool, &s.text, ""));
}

static void flow_object(struct report *r, int sec, const struct model *m,
			const struct flow *f)
{
	struct pool *p = &r->pool;
	const char *just = diff_clean(p, f->justification);
	const char *comment = diff_clean(p, f->comment), *t;
	struct set svc = diff_service_set(p, f->services, f->service_count);
	struct item it = { .name = f->name };

	diff_attr_val(&it, "from", val_word(endpoint_name(m, &f->from)));
	diff_attr_val(&it, "to", val_word(endpoint_name(m, &f->to)));
	diff_attr_val(&it, "services", val_list(svc.text));
	diff_attr_val(&it, "both", val_bool(f->bidirectional));
	diff_attr_val(&it, "expires", val_word(flow_expires(f)));
	diff_attr_val(&it, "justification", val_text(just));
	diff_attr_val(&it, "comment", val_text(comment));
	t = diff_printf(p, "%s: %s", f->name, flow_route(r, m, f));
	if (f->has_expiry)
		t = diff_printf(p, "%s; expires %s", t, f->expires_text);
	if (just)
		t = diff_printf(p, "%s; justification '%s'", t, just);
	if (comment)
		t = diff_printf(p, "%s; comment '%s'", t, comment);
	it.text = t;
	diff_item_push(r, sec, &it);
}

/* An item of the isolated-zone exceptions; m and f say the flow as it is
 * after the event (as it was, for "removed"). */
static void iso_event(struct report *r, const char *event, const char *zone,
		      const struct model *m, const struct flow *f,
		      const char *detail)
{
	struct pool *p = &r->pool;
	struct set svc = diff_service_set(p, f->services, f->service_count);
	struct item it = { 0 };

	diff_attr_val(&it, "event", val_word(event));
	diff_attr_val(&it, "zone", val_word(zone));
	diff_attr_val(&it, "flow", val_word(f->name));
	diff_attr_val(&it, "from", val_word(endpoint_name(m, &f->from)));
	diff_attr_val(&it, "to", val_word(endpoint_name(m, &f->to)));
	diff_attr_val(&it, "services", val_list(svc.text));
	diff_attr_val(&it, "both", val_bool(f->bidirectional));
	diff_attr_val(&it, "justification",
		      val_text(diff_clean(p, f->justification)));
	diff_attr_val(&it, "expires", val_word(flow_expires(f)));
	it.text = diff_printf(p, "EXCEPTION to the isolated zone '%s' %s: "
			      "flow '%s' %s", zone, event, f->name, detail);
	diff_item_push(r, S_ISOLATED, &it);
}

static void exception_added(struct report *r, const char *zone,
			    const struct flow *f)
{
	const char *just = diff_clean(&r->pool, f->justification);
	const char *detail = diff_printf(&r->pool, "%s; justification: %s%s%s",
					 flow_route(r, r->b, f),
					 just ? "'" : "", just ? just : "none",
					 just ? "'" : "");

	if (f->has_expiry)
		detail = diff_printf(&r->pool, "%s; expires %s", detail,
				     f->expires_text);
	else
		detail = diff_printf(&r->pool, "%s; no expiry", detail);
	iso_event(r, "added", zone, r->b, f, detail);
}

/* What a changed flow now allows beyond the running one. */
struct flow_delta {
	struct list wider;          /* services not covered before */
	bool both_on;               /* both: false -> true */
	bool ends_changed;
	const char *whole_zone[2];  /* from, to: host -> its whole zone */
	enum expiry_change expiry;
};

/* ea (a host in running) became eb, the whole zone it was in. */
static bool endpoint_widens(const struct report *r, const struct endpoint *ea,
			    const struct endpoint *eb)
{
	return ea->kind == ENDPOINT_HOST && eb->kind == ENDPOINT_ZONE &&
	       strcmp(r->a->zones[r->a->hosts[ea->index].zone].name,
		      r->b->zones[eb->index].name) == 0;
}

/* "+tcp/8443; now both ways; 'from' is now the whole zone 'x'", or NULL */
static const char *widening(struct report *r, const struct flow_delta *d)
{
	static const char *const end[2] = { "from", "to" };
	const char *s = NULL;

	if (d->wider.n)
		s = diff_list_join(&r->pool, &d->wider, "+");
	if (d->both_on)
		s = diff_printf(&r->pool, "%s%snow both ways", s ? s : "",
				s ? "; " : "");
	for (int i = 0; i < 2; i++)
		if (d->whole_zone[i])
			s = diff_printf(&r->pool, "%s%s'%s' is now the whole "
					"zone '%s'", s ? s : "", s ? "; " : "",
					end[i], d->whole_zone[i]);
	return s;
}

static const char *expiry_text(struct report *r, const struct flow *fa,
			       const struct flow *fb, enum expiry_change e)
{
	if (e == EXPIRY_EXTENDED)
		return diff_printf(&r->pool, "expires %s -> %s",
				   fa->expires_text, fb->expires_text);
	if (e == EXPIRY_UNLIMITED)
		return diff_printf(&r->pool, "no longer expires (was %s)",
				   fa->expires_text);
	return NULL;
}

/* A host at an end of an exception whose addresses change. */
static void exception_hosts(struct report *r, const char *zone,
			    const struct flow *fb)
{
	const struct endpoint *ends[2] = { &fb->from, &fb->to };

	for (int i = 0; i < 2; i++) {
		const struct host *hb, *ha;
		struct set sa, sb;
		int j;

		if (ends[i]->kind != ENDPOINT_HOST)
			continue;
		hb = &r->b->hosts[ends[i]->index];
		if ((j = model_find_host(r->a, hb->name)) < 0)
			continue;
		ha = &r->a->hosts[j];
		sa = diff_host_addresses(&r->pool, ha);
		sb = diff_host_addresses(&r->pool, hb);
		if (diff_list_equal(&sa.text, &sb.text))
			continue;
		iso_event(r, "readdressed", zone, r->b, fb,
			  diff_printf(&r->pool, "host '%s' addresses %s -> %s",
				      hb->name,
				      diff_list_join(&r->pool, &sa.text, ""),
				      diff_list_join(&r->pool, &sb.text, "")));
	}
}

/* A flow in both: exceptions that open, widen, last longer; or, outside
 * the isolated zones, what it allows beyond the running flow. */
static void flow_consequences(struct report *r, const struct flow *fa,
			      const struct flow *fb, const struct flow_delta *d)
{
	const char *za = flow_isolated(r->a, fa), *zb = flow_isolated(r->b, fb);
	const char *wide = widening(r, d);
	const char *longer = expiry_text(r, fa, fb, d->expiry);

	if (za && !zb)
		iso_event(r, "removed", za, r->a, fa, flow_route(r, r->a, fa));
	if (zb && !za) {
		exception_added(r, zb, fb);
	} else if (zb && d->ends_changed) {
		iso_event(r, "changed", zb, r->b, fb, diff_printf(&r->pool,
			  "now %s (was %s)", flow_route(r, r->b, fb),
			  flow_route(r, r->a, fa)));
	} else if (zb && wide) {
		iso_event(r, "widened", zb, r->b, fb, diff_printf(&r->pool,
			  "%s (%s)", flow_route(r, r->b, fb), wide));
	} else if (!zb && wide) {
		diff_notable(r, "widens", fb->name, "flow '%s' widens: %s",
			     fb->name, wide);
	}
	if (zb && za && longer)
		iso_event(r, "extended", zb, r->b, fb, longer);
	else if (!zb && d->expiry == EXPIRY_EXTENDED)
		diff_notable(r, "expiry", fb->name, "flow '%s' expiry "
			     "extended: %s -> %s", fb->name, fa->expires_text,
			     fb->expires_text);
	else if (!zb && longer)
		diff_notable(r, "expiry", fb->name, "flow '%s' %s", fb->name,
			     longer);
	if (zb && za)
		exception_hosts(r, zb, fb);
}

static void flow_endpoint_diff(struct report *r, struct item *it, int i,
			       const struct endpoint *ea,
			       const struct endpoint *eb, struct flow_delta *d)
{
	static const char *const keys[2] = { "from", "to" };
	struct attr *x = diff_attr(r, it, keys[i],
				   val_word(endpoint_name(r->a, ea)),
				   val_word(endpoint_name(r->b, eb)));

	if (!x)
		return;
	d->ends_changed = true;
	if (endpoint_widens(r, ea, eb)) {
		x->note = "widens: the whole zone";
		d->whole_zone[i] = endpoint_name(r->b, eb);
	}
}

static void flow_changed(struct report *r, const struct flow *fa,
			 const struct flow *fb)
{
	struct pool *p = &r->pool;
	struct item it = { .name = fb->name };
	struct flow_delta d = { .expiry = expiry_change(fa, fb) };
	struct set sa = diff_service_set(p, fa->services, fa->service_count);
	struct set sb = diff_service_set(p, fb->services, fb->service_count);
	struct attr *x;

	flow_endpoint_diff(r, &it, 0, &fa->from, &fb->from, &d);
	flow_endpoint_diff(r, &it, 1, &fa->to, &fb->to, &d);
	x = diff_attr(r, &it, "services", val_list(sa.text), val_list(sb.text));
	if (x && (d.wider = diff_set_wider(p, &sa, &sb)).n)
		x->note = "widens";
	x = diff_attr(r, &it, "both", val_bool(fa->bidirectional),
		      val_bool(fb->bidirectional));
	if (x && fb->bidirectional) {
		x->note = "widens";
		d.both_on = true;
	}
	x = diff_attr(r, &it, "expires", val_word(flow_expires(fa)),
		      val_word(flow_expires(fb)));
	if (x)
		x->note = expiry_notes[d.expiry];
	diff_attr(r, &it, "justification",
		  val_text(diff_clean(p, fa->justification)),
		  val_text(diff_clean(p, fb->justification)));
	diff_attr(r, &it, "comment", val_text(diff_clean(p, fa->comment)),
		  val_text(diff_clean(p, fb->comment)));
	if (it.attr_count)
		diff_item_push(r, S_FLOWS_CHANGED, &it);
	flow_consequences(r, fa, fb, &d);
}

static void flow_pair(struct report *r, const size_t *ia, const size_t *ib)
{
	const struct flow *fa = ia ? &r->a->flows[*ia] : NULL;
	const struct flow *fb = ib ? &r->b->flows[*ib] : NULL;
	const char *zone;

	if (fa && fb) {
		flow_changed(r, fa, fb);
	} else if (fb) {
		flow_object(r, S_FLOWS_ADDED, r->b, fb);
		if ((zone = flow_isolated(r->b, fb)))
			exception_added(r, zone, fb);
	} else if (fa) {
		flow_object(r, S_FLOWS_REMOVED, r->a, fa);
		if ((zone = flow_isolated(r->a, fa)))
			iso_event(r, "removed", zone, r->a, fa,
				  flow_route(r, r->a, fa));
	}
}

static const char *flow_name(const struct model *m, size_t i)
{
	return m->flows[i].name;
}

void diff_flows(struct report *r)
{
	diff_merge_by_name(r, r->a->flow_count, r->b->flow_count, flow_name,
			   flow_pair);
}
