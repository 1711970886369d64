/* validate.c - model_validate(): what a parsed config must also satisfy.
 *
 * config.c has already checked types and resolved names (a model never
 * holds a dangling reference).  Here: unique names and interfaces, the
 * address checks (validate_net.c), the guardrails (validate_guard.c), and
 * warnings that leave the config valid.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "validate.h"

#define DAY_SECONDS 86400
#define EXPIRY_WARN_DAYS 30
#define BROAD_PORTS 16

/* A name (or interface) and the object it belongs to, for sorting. */
struct named {
	const char *name;
	const char *kind;        /* "zone", "host", "flow" */
	const char *owner;       /* the object's own name */
	const struct origin *origin;
	size_t order;            /* position in the file: later is blamed */
};

static int named_cmp(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void report_duplicate_name(const struct named *first,
				  const struct named *again, struct diags *d)
{
	diags_add(d, DIAG_ERROR, again->origin->file, again->origin->line,
		  "%s '%s': the name is already used by %s '%s' at %s:%d",
		  again->kind, again->name, first->kind, first->name,
		  first->origin->file ? first->origin->file : "?",
		  first->origin->line);
}

static void report_duplicate_interface(const struct named *first,
				       const struct named *again,
				       struct diags *d)
{
	if (first->owner == again->owner)
		diags_add(d, DIAG_ERROR, again->origin->file,
			  again->origin->line, "zone '%s': interface '%s' is "
			  "listed twice", again->owner, again->name);
	else
		diags_add(d, DIAG_ERROR, again->origin->file,
			  again->origin->line, "zone '%s': interface '%s' "
			  "already belongs to zone '%s'", again->owner,
			  again->name, first->owner);
}

/* Sorts v and reports each entry equal to an earlier one. */
static void check_unique(struct named *v, size_t n, struct diags *d,
			 void (*report)(const struct named *,
					const struct named *, struct diags *))
{
	qsort(v, n, sizeof(*v), named_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(v[i].name, v[first].name) != 0)
			first = i;
		else
			report(&v[first], &v[i], d);
	}
}

static void named_set(struct named *n, const char *name, const char *kind,
		      const char *owner, const struct origin *o, size_t order)
{
	*n = (struct named){ name, kind, owner, o, order };
}

/* Zones and hosts share one namespace; flows have their own. */
static int check_names(const struct model *m, struct diags *d)
{
	size_t n = m->zone_count + m->host_count, k = 0;
	struct named *v = calloc(n + m->flow_count + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < m->zone_count; i++, k++)
		named_set(&v[k], m->zones[i].name, "zone", m->zones[i].name,
			  &m->zones[i].origin, k);
	for (size_t i = 0; i < m->host_count; i++, k++)
		named_set(&v[k], m->hosts[i].name, "host", m->hosts[i].name,
			  &m->hosts[i].origin, k);
	check_unique(v, n, d, report_duplicate_name);
	for (size_t i = 0; i < m->flow_count; i++)
		named_set(&v[i], m->flows[i].name, "flow", m->flows[i].name,
			  &m->flows[i].origin, i);
	check_unique(v, m->flow_count, d, report_duplicate_name);
	free(v);
	return 0;
}

static int check_interfaces(const struct model *m, struct diags *d)
{
	size_t n = 0, k = 0;
	struct named *v;

	for (size_t z = 0; z < m->zone_count; z++)
		n += m->zones[z].interface_count;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t z = 0; z < m->zone_count; z++) {
		const struct zone *zone = &m->zones[z];

		for (size_t i = 0; i < zone->interface_count; i++, k++)
			named_set(&v[k], zone->interfaces[i], "interface",
				  zone->name, &zone->origin, k);
	}
	check_unique(v, n, d, report_duplicate_interface);
	free(v);
	return 0;
}

static unsigned long flow_port_count(const struct flow *f)
{
	unsigned long ports = 0;

	for (size_t i = 0; i < f->service_count; i++)
		if (f->services[i].proto == IPPROTO_TCP ||
		    f->services[i].proto == IPPROTO_UDP)
			ports += (unsigned long)f->services[i].port_high -
				 f->services[i].port_low + 1;
	return ports;
}

static void warn_expiry(const struct flow *f, time_t now, struct diags *d)
{
	long days;

	if (!f->has_expiry)
		return;
	if (f->expires <= now) {
		diags_add(d, DIAG_WARNING, f->origin.file, f->origin.line,
			  "flow '%s' expired on %s; it is not programmed",
			  f->name, f->expires_text);
		return;
	}
	days = (long)((f->expires - now + DAY_SECONDS - 1) / DAY_SECONDS);
	if (days <= EXPIRY_WARN_DAYS)
		diags_add(d, DIAG_WARNING, f->origin.file, f->origin.line,
			  "flow '%s' expires in %ld day%s (last day %s)",
			  f->name, days, days == 1 ? "" : "s", f->expires_text);
}

static void warn_flow(const struct model *m, const struct flow *f,
		      time_t now, struct diags *d)
{
	unsigned long ports = flow_port_count(f);

	warn_expiry(f, now, d);
	if (f->from.kind == ENDPOINT_ZONE && f->to.kind == ENDPOINT_ZONE &&
	    ports > BROAD_PORTS)
		diags_add(d, DIAG_WARNING, f->origin.file, f->origin.line,
			  "flow '%s' is broad: whole zones '%s' and '%s' with "
			  "%lu ports; name hosts or fewer ports", f->name,
			  endpoint_name(m, &f->from), endpoint_name(m, &f->to),
			  ports);
	if (!f->comment || !f->comment[0])
		diags_add(d, DIAG_WARNING, f->origin.file, f->origin.line,
			  "flow '%s' has no comment: say what it is for",
			  f->name);
}

static void check_flow(const struct model *m, const struct flow *f,
		       time_t now, struct diags *d)
{
	if (f->from.kind == f->to.kind && f->from.index == f->to.index) {
		diags_add(d, DIAG_ERROR, f->origin.file, f->origin.line,
			  "flow '%s': 'from' and 'to' are both '%s'", f->name,
			  endpoint_name(m, &f->from));
		return;
	}
	validate_guardrails(m, f, d);
	warn_flow(m, f, now, d);
}

int model_validate(struct model *m, time_t now, struct diags *d)
{
	struct zone_nets zn;
	int r = zone_nets_build(m, &zn);

	if (r == 0)
		r = model_validate_nets(m, now, &zn, d);
	zone_nets_free(&zn);
	return r;
}

int model_validate_nets(struct model *m, time_t now,
			const struct zone_nets *zn, struct diags *d)
{
	int r = check_names(m, d);

	if (r == 0)
		r = check_interfaces(m, d);
	if (r == 0)
		r = validate_networks(m, zn, d);
	if (r == 0)
		r = validate_ha(m, d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < m->flow_count; i++)
		check_flow(m, &m->flows[i], now, d);
	return d->errors > 0 ? -EINVAL : 0;
}
