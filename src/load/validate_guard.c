/* validate_guard.c - the guardrails: flows no config may allow.
 *
 * They encode the invariants of 三層の対策 (domain.md §6) and no setting
 * turns them off:
 *   1. nothing between an isolated zone and an internet zone (I1);
 *   2. a flow touching an isolated zone is an exact tuple: host to host,
 *      single addresses, single ports or ICMP types, with a justification
 *      (I2);
 *   3. LGWAN <-> internet only through a 無害化 relay host, or α' local
 *      breakout: one way from the LGWAN side to an lbo-service host, tcp/443
 *      only (I3).
 * Management rules are not flows and are not checked here.
 */
#include <ctype.h>
#include <netinet/in.h>

#include "validate.h"

#define CIDR_TEXT 64

struct ends {
	const struct model *m;
	const struct flow *f;
	struct diags *d;
	const struct zone *from, *to;
};

static bool ends_classes(const struct ends *e, enum zone_class a,
			 enum zone_class b)
{
	return (e->from->class == a && e->to->class == b) ||
	       (e->from->class == b && e->to->class == a);
}

/* The endpoint of the flow in a zone of class c (the first if both). */
static const struct endpoint *end_in(const struct ends *e, enum zone_class c)
{
	return e->from->class == c ? &e->f->from : &e->f->to;
}

static const struct zone *zone_in(const struct ends *e, enum zone_class c)
{
	return e->from->class == c ? e->from : e->to;
}

static bool text_blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

static void guard_isolated_host(const struct ends *e,
				const struct endpoint *end,
				const struct zone *isolated)
{
	const struct host *h = &e->m->hosts[end->index];
	char text[CIDR_TEXT];

	for (size_t i = 0; i < h->address_count; i++) {
		if (cidr_is_single_host(&h->addresses[i]))
			continue;
		cidr_format(&h->addresses[i], text, sizeof(text));
		diags_add(e->d, DIAG_ERROR, e->f->origin.file,
			  e->f->origin.line, "flow '%s': guardrail: a flow "
			  "touching isolated zone '%s' must use single "
			  "addresses, and host '%s' has '%s'", e->f->name,
			  isolated->name, h->name, text);
		return;
	}
}

static void guard_isolated_end(const struct ends *e,
			       const struct endpoint *end,
			       const struct zone *isolated)
{
	if (end->kind == ENDPOINT_HOST) {
		guard_isolated_host(e, end, isolated);
		return;
	}
	diags_add(e->d, DIAG_ERROR, e->f->origin.file, e->f->origin.line,
		  "flow '%s': guardrail: a flow touching isolated zone '%s' "
		  "must connect two hosts, not zone '%s'", e->f->name,
		  isolated->name, e->m->zones[end->index].name);
}

/* Rule 2: an exact tuple with a reason. */
static void guard_isolated(const struct ends *e)
{
	const struct flow *f = e->f;
	const struct zone *isolated = zone_in(e, ZONE_ISOLATED);

	guard_isolated_end(e, &f->from, isolated);
	if (f->to.kind != f->from.kind || f->to.index != f->from.index)
		guard_isolated_end(e, &f->to, isolated);
	for (size_t i = 0; i < f->service_count; i++) {
		const struct service *s = &f->services[i];

		if (s->port_low == s->port_high)
			continue;
		diags_add(e->d, DIAG_ERROR, s->origin.file, s->origin.line,
			  "flow '%s': guardrail: a flow touching isolated zone "
			  "'%s' must name single ports, not the range '%s'",
			  f->name, isolated->name, s->text);
	}
	if (text_blank(f->justification))
		diags_add(e->d, DIAG_ERROR, f->origin.file, f->origin.line,
			  "flow '%s': guardrail: a flow touching isolated zone "
			  "'%s' needs a 'justification'", f->name,
			  isolated->name);
}

static bool end_has_role(const struct ends *e, const struct endpoint *end,
			 bool (*ok)(enum host_role))
{
	return end->kind == ENDPOINT_HOST && ok(e->m->hosts[end->index].role);
}

static bool role_is_lbo(enum host_role r)
{
	return r == ROLE_LBO_SERVICE;
}

/* α' local breakout: LGWAN side -> lbo-service host, one way, tcp/443. */
static void guard_breakout(const struct ends *e, const struct endpoint *lbo)
{
	const struct flow *f = e->f;
	const char *host = e->m->hosts[lbo->index].name;

	if (lbo != &f->to || f->bidirectional)
		diags_add(e->d, DIAG_ERROR, f->origin.file, f->origin.line,
			  "flow '%s': guardrail: local breakout must go one "
			  "way, from the LGWAN zone to lbo-service host '%s'",
			  f->name, host);
	for (size_t i = 0; i < f->service_count; i++) {
		const struct service *s = &f->services[i];

		if (s->proto == IPPROTO_TCP && s->port_low == 443 &&
		    s->port_high == 443)
			continue;
		diags_add(e->d, DIAG_ERROR, s->origin.file, s->origin.line,
			  "flow '%s': guardrail: local breakout to lbo-service "
			  "host '%s' allows only tcp/443, not '%s'", f->name,
			  host, s->text);
	}
}

/* Rule 3: 無害化通信 only. */
static void guard_lgwan_internet(const struct ends *e)
{
	const struct flow *f = e->f;
	const struct endpoint *inet = end_in(e, ZONE_INTERNET);

	if (end_has_role(e, &f->from, host_role_is_relay) ||
	    end_has_role(e, &f->to, host_role_is_relay))
		return;
	if (end_has_role(e, inet, role_is_lbo)) {
		guard_breakout(e, inet);
		return;
	}
	diags_add(e->d, DIAG_ERROR, f->origin.file, f->origin.line,
		  "flow '%s': guardrail: traffic between LGWAN zone '%s' and "
		  "internet zone '%s' needs a relay host (mail-sanitizer, "
		  "file-sanitizer, screen-transfer or virtual-browser) at one "
		  "end, or local breakout to an lbo-service host", f->name,
		  zone_in(e, ZONE_LGWAN)->name, zone_in(e, ZONE_INTERNET)->name);
}

void validate_guardrails(const struct model *m, const struct flow *f,
			 struct diags *d)
{
	struct ends e = {
		.m = m, .f = f, .d = d,
		.from = &m->zones[endpoint_zone(m, &f->from)],
		.to = &m->zones[endpoint_zone(m, &f->to)],
	};

	if (ends_classes(&e, ZONE_ISOLATED, ZONE_INTERNET)) {
		diags_add(d, DIAG_ERROR, f->origin.file, f->origin.line,
			  "flow '%s': guardrail: no flow may connect isolated "
			  "zone '%s' and internet zone '%s'", f->name,
			  zone_in(&e, ZONE_ISOLATED)->name,
			  zone_in(&e, ZONE_INTERNET)->name);
		return;
	}
	if (e.from->class == ZONE_ISOLATED || e.to->class == ZONE_ISOLATED)
		guard_isolated(&e);
	if (ends_classes(&e, ZONE_LGWAN, ZONE_INTERNET))
		guard_lgwan_internet(&e);
}
