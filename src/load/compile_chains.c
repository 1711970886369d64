/* compile_chains.c - the chains and rules of the table (see compile.c). */
#include <netinet/in.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "compile.h"

/* Conntrack marks of the flows programmed: an established connection is
 * accepted only while the flow (and service) that let it in still exists. */
struct marks {
	uint32_t *v;
	size_t n, cap;
};

/* The origin of what the compiler adds on its own (base chains, the rules
 * and sets every table has): no line of the config asked for it. */
static const struct rs_origin none = { .what = NULL };

static int marks_add(struct marks *mk, uint32_t mark)
{
	for (size_t i = 0; i < mk->n; i++)
		if (mk->v[i] == mark)
			return 0;
	if (mk->n == mk->cap) {
		size_t cap = mk->cap ? mk->cap * 2 : 32;
		uint32_t *v = realloc(mk->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		mk->v = v;
		mk->cap = cap;
	}
	mk->v[mk->n++] = mark;
	return 0;
}

/* A stable mark for one flow direction and service: FNV-1a of its identity,
 * so that a reload keeps the mark (and the connections) of what stays. */
static uint32_t flow_mark(const char *kind, const char *name, const char *svc)
{
	const char *parts[3] = { kind, name, svc };
	uint32_t h = 2166136261u;

	for (size_t p = 0; p < 3; p++) {
		for (const char *s = parts[p]; *s; s++) {
			h ^= (uint8_t)*s;
			h *= 16777619u;
		}
		h ^= '|';
		h *= 16777619u;
	}
	return h | 0x80000000u;
}

uint32_t compile_gateway_mark(void)
{
	return flow_mark("gateway", "", "");
}

static const char *family_tag(int fam)
{
	return fam == AF_INET ? "v4" : "v6";
}

static uint32_t nfproto(int fam)
{
	return fam == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
}

/* A service exists in one family only if it is ICMP of that family. */
static bool service_in_family(const struct service *sv, int fam)
{
	return !((sv->proto == IPPROTO_ICMP && fam != AF_INET) ||
		 (sv->proto == IPPROTO_ICMPV6 && fam != AF_INET6));
}

/* Appends the protocol part of a service. */
static int rule_service(struct rs_rule *r, const struct service *sv)
{
	int err = rule_num(r, RS_OP_L4PROTO, sv->proto);

	if (err)
		return err;
	if (sv->proto == IPPROTO_TCP || sv->proto == IPPROTO_UDP)
		return rule_dport(r, sv->port_low, sv->port_high);
	return rule_num(r, RS_OP_ICMP_TYPE, sv->icmp_type);
}

/* Has the table addresses of endpoint e in fam: its set, or the any zone
 * matched by negation (compile_any_plan)? */
static bool endpoint_has(struct compiler *c, const struct endpoint *e,
			 int fam)
{
	char set[RS_NAME_MAX * 2];

	if (e->kind == ENDPOINT_ZONE && compile_any_negated(c, e->index, fam))
		return true;
	endpoint_set_name(c->m, e, fam, set, sizeof(set));
	return ruleset_find_set(c->rs, set) != NULL;
}

/* Is zone i another zone than `any` with a set in fam?  Its name in set:
 * the sets whose lookups stand for the any zone matched by negation. */
static bool other_zone_set(struct compiler *c, size_t any, size_t i, int fam,
			   char *set, size_t len)
{
	struct endpoint o = { .kind = ENDPOINT_ZONE, .index = i };

	endpoint_set_name(c->m, &o, fam, set, len);
	return i != any && ruleset_find_set(c->rs, set) != NULL;
}

/* Appends "the address op looks at is one of e's" to r: a lookup of e's
 * set, or for the any zone matched by negation a negated lookup of every
 * other zone's set (in no other zone: the any zone). */
static int rule_endpoint(struct compiler *c, struct rs_rule *r,
			 enum rs_op_kind op, const struct endpoint *e, int fam)
{
	char set[RS_NAME_MAX * 2];
	int err = 0;

	if (e->kind != ENDPOINT_ZONE || !compile_any_negated(c, e->index, fam)) {
		endpoint_set_name(c->m, e, fam, set, sizeof(set));
		return rule_name(r, op, set, false);
	}
	for (size_t z = 0; z < c->m->zone_count && !err; z++)
		if (other_zone_set(c, e->index, z, fam, set, sizeof(set)))
			err = rule_name(r, op, set, true);
	return err;
}

static struct endpoint zone_endpoint(const struct compiler *c,
				     const struct zone *z)
{
	return (struct endpoint){ .kind = ENDPOINT_ZONE,
				  .index = (size_t)(z - c->m->zones) };
}

struct flow_dir {
	const struct flow *flow;
	const struct endpoint *src, *dst;
	const char *kind;    /* "flow" or "flow-reverse" (both = true) */
	const char *pair;    /* "A_B" */
};

static int emit_flow_rule(struct compiler *c, struct rs_chain *ch,
			  const struct flow_dir *d, const struct service *sv,
			  int fam, struct marks *mk)
{
	char cnt[RS_NAME_MAX * 2];
	uint32_t mark = flow_mark(d->kind, d->flow->name, sv->text);
	struct rs_origin o = origin_of(c, "flow", d->flow->name, &sv->origin);
	struct rs_rule *r;
	int err;

	if (!endpoint_has(c, d->src, fam) || !endpoint_has(c, d->dst, fam))
		return 0;    /* no addresses in this family at one end */
	if (!service_in_family(sv, fam))
		return 0;
	r = chain_add_rule(ch, &o);
	if (!r)
		return -ENOMEM;
	err = rule_num(r, RS_OP_CT_STATE, CT_NEW);
	err = err ?: rule_num(r, RS_OP_NFPROTO, nfproto(fam));
	err = err ?: rule_endpoint(c, r, RS_OP_SADDR_SET, d->src, fam);
	err = err ?: rule_endpoint(c, r, RS_OP_DADDR_SET, d->dst, fam);
	err = err ?: rule_service(r, sv);
	err = err ?: rule_num(r, RS_OP_CT_MARK_ASSIGN, mark);
	snprintf(cnt, sizeof(cnt), "flow_%s", d->flow->name);
	err = err ?: rule_name(r, RS_OP_COUNTER, cnt, false);
	snprintf(cnt, sizeof(cnt), "pair_%s_new", d->pair);
	err = err ?: rule_name(r, RS_OP_COUNTER, cnt, false);
	err = err ?: rule_verdict(r, RS_VERDICT_ACCEPT, NULL);
	return err ?: marks_add(mk, mark);
}

static int emit_flow(struct compiler *c, struct rs_chain *ch,
		     const struct flow_dir *d, struct marks *mk)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	int err = 0;

	for (size_t s = 0; s < d->flow->service_count && !err; s++)
		for (size_t f = 0; f < 2 && !err; f++)
			err = emit_flow_rule(c, ch, d, &d->flow->services[s],
					     fams[f], mk);
	return err;
}

static bool flow_active(const struct compiler *c, const struct flow *fl)
{
	return !fl->has_expiry || c->now < fl->expires;
}

static int pair_cmp(const void *x, const void *y)
{
	const struct zone_pair *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

static int pairs_add(struct compiler *c, size_t a, size_t b, size_t *cap)
{
	if (c->pair_count == *cap) {
		size_t n = *cap ? *cap * 2 : 64;
		struct zone_pair *v = realloc(c->pairs, n * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->pairs = v;
		*cap = n;
	}
	c->pairs[c->pair_count++] = (struct zone_pair){ a, b };
	return 0;
}

int compile_pairs(struct compiler *c)
{
	const struct model *m = c->m;
	size_t cap = 0, n = 0;
	int err = 0;

	for (size_t f = 0; f < m->flow_count && !err; f++) {
		const struct flow *fl = &m->flows[f];
		size_t a = endpoint_zone(m, &fl->from);
		size_t b = endpoint_zone(m, &fl->to);

		if (!flow_active(c, fl))
			continue;
		err = pairs_add(c, a, b, &cap);
		if (!err && fl->bidirectional)
			err = pairs_add(c, b, a, &cap);
	}
	for (size_t z = 0; z < m->zone_count && !err; z++)
		if (m->zones[z].intra_accept)
			err = pairs_add(c, z, z, &cap);
	if (err || !c->pair_count)
		return err;
	qsort(c->pairs, c->pair_count, sizeof(*c->pairs), pair_cmp);
	for (size_t i = 0; i < c->pair_count; i++)
		if (!n || pair_cmp(&c->pairs[n - 1], &c->pairs[i]))
			c->pairs[n++] = c->pairs[i];
	c->pair_count = n;
	return 0;
}

static int emit_intra(struct compiler *c, struct rs_chain *ch,
		      const struct zone *z, const char *pair, struct marks *mk)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	uint32_t mark = flow_mark("intra", z->name, "");
	struct rs_origin o = origin_of(c, "zone", z->name, &z->origin);
	struct endpoint e = zone_endpoint(c, z);
	char cnt[RS_NAME_MAX * 3];
	int err = 0;

	snprintf(cnt, sizeof(cnt), "pair_%s_new", pair);
	for (size_t f = 0; f < 2 && !err; f++) {
		struct rs_rule *r;

		if (!endpoint_has(c, &e, fams[f]))
			continue;
		r = chain_add_rule(ch, &o);
		if (!r)
			return -ENOMEM;
		err = rule_num(r, RS_OP_CT_STATE, CT_NEW);
		err = err ?: rule_num(r, RS_OP_NFPROTO, nfproto(fams[f]));
		err = err ?: rule_endpoint(c, r, RS_OP_SADDR_SET, &e, fams[f]);
		err = err ?: rule_endpoint(c, r, RS_OP_DADDR_SET, &e, fams[f]);
		err = err ?: rule_num(r, RS_OP_CT_MARK_ASSIGN, mark);
		err = err ?: rule_name(r, RS_OP_COUNTER, cnt, false);
		err = err ?: rule_verdict(r, RS_VERDICT_ACCEPT, NULL);
		err = err ?: marks_add(mk, mark);
	}
	return err;
}

/* The end of a chain: log (rate-limited) and count what falls through. */
static int emit_tail(struct compiler *c, struct rs_chain *ch,
		     const char *counter, const char *what)
{
	const struct settings *st = &c->m->settings;
	struct rs_rule *r;
	char prefix[128];
	int err = 0;

	if (st->log_denied) {
		snprintf(prefix, sizeof(prefix), "segmentd %s: ", what);
		r = chain_add_rule(ch, &none);
		if (!r)
			return -ENOMEM;
		err = rule_limit(r, st->log_rate, st->log_burst);
		err = err ?: rule_log(r, st->log_group, prefix);
	}
	r = err ? NULL : chain_add_rule(ch, &none);
	if (!r)
		return -ENOMEM;
	err = rule_name(r, RS_OP_COUNTER, counter, false);
	return err ?: rule_verdict(r, RS_VERDICT_DROP, NULL);
}

static int compile_pair(struct compiler *c, size_t a, size_t b,
			struct marks *mk)
{
	const struct model *m = c->m;
	const struct zone *za = &m->zones[a], *zb = &m->zones[b];
	char pair[RS_NAME_MAX * 2], cnt[RS_NAME_MAX * 3], what[RS_NAME_MAX * 3];
	struct rs_origin o = origin_of(c, "zone", za->name, &za->origin);
	struct rs_chain *ch;
	int err = 0;

	snprintf(pair, sizeof(pair), "%s_%s", za->name, zb->name);
	ch = ruleset_add_chain(c->rs, nm(c, "fwd_%s", pair), RS_HOOK_NONE,
			       &o);
	if (!ch)
		return -ENOMEM;
	for (size_t f = 0; f < m->flow_count && !err; f++) {
		const struct flow *fl = &m->flows[f];
		struct flow_dir d = { .flow = fl, .pair = pair };

		if (!flow_active(c, fl))
			continue;
		if (endpoint_zone(m, &fl->from) == a &&
		    endpoint_zone(m, &fl->to) == b) {
			d.src = &fl->from, d.dst = &fl->to, d.kind = "flow";
			err = emit_flow(c, ch, &d, mk);
		}
		if (!err && fl->bidirectional &&
		    endpoint_zone(m, &fl->to) == a &&
		    endpoint_zone(m, &fl->from) == b) {
			d.src = &fl->to, d.dst = &fl->from;
			d.kind = "flow-reverse";
			err = emit_flow(c, ch, &d, mk);
		}
	}
	if (!err && a == b && za->intra_accept)
		err = emit_intra(c, ch, za, pair, mk);
	snprintf(cnt, sizeof(cnt), "pair_%s_drop", pair);
	snprintf(what, sizeof(what), "drop %s>%s", za->name, zb->name);
	return err ?: emit_tail(c, ch, cnt, what);
}

/* chain_Z (spoofed_Z, invalid_Z): every packet in it is logged with the
 * prefix "word Z", counted as word_Z and dropped. */
static int compile_drop_chain(struct compiler *c, const struct zone *z,
			      const char *chain, const char *word)
{
	struct rs_origin o = origin_of(c, "zone", z->name, &z->origin);
	char cnt[RS_NAME_MAX * 2], what[RS_NAME_MAX * 2];
	struct rs_chain *ch = ruleset_add_chain(c->rs,
		nm(c, "%s_%s", chain, z->name), RS_HOOK_NONE, &o);

	if (!ch)
		return -ENOMEM;
	snprintf(cnt, sizeof(cnt), "%s_%s", word, z->name);
	snprintf(what, sizeof(what), "%s %s", word, z->name);
	return emit_tail(c, ch, cnt, what);
}

/* spoofed_Z: a source outside Z's networks arrived on Z's interface:
 * logged (rate-limited), counted as spoof_Z, dropped. */
static int compile_spoofed(struct compiler *c, const struct zone *z)
{
	return compile_drop_chain(c, z, "spoofed", "spoof");
}

/* invalid_Z: a packet conntrack calls INVALID (no state for it: a
 * mid-stream TCP segment after state loss, a failover without sync) came in
 * on Z: logged ("segmentd invalid Z: ") and counted as invalid_Z apart from
 * the policy denials, dropped. */
static int compile_invalid(struct compiler *c, const struct zone *z)
{
	return compile_drop_chain(c, z, "invalid", "invalid");
}

/* ct state invalid goto invalid_Z */
static int goto_invalid(struct compiler *c, struct rs_chain *ch,
			const struct zone *z, const struct rs_origin *o)
{
	struct rs_rule *r = chain_add_rule(ch, o);
	int err;

	if (!r)
		return -ENOMEM;
	err = rule_num(r, RS_OP_CT_STATE, CT_INVALID);
	return err ?: rule_verdict(r, RS_VERDICT_GOTO,
				   nm(c, "invalid_%s", z->name));
}

/* in_Z: anti-spoofing, established connections, dispatch on oif.  One
 * lookup of the source per packet: a source outside Z (or any source of
 * a family Z has no networks in) goes to spoofed_Z and is dropped there;
 * a miss of that negated lookup can only mean "drop". */
/* The any zone matched by negation: a source in another zone's set of fam
 * is spoofed, one rule per zone (a rule's lookups only AND). */
static int spoofed_any(struct compiler *c, struct rs_chain *ch,
		       const struct zone *z, int fam, const char *spoofed)
{
	struct rs_origin o = origin_of(c, "zone", z->name, &z->origin);
	char set[RS_NAME_MAX * 2];
	int err = 0;

	for (size_t i = 0; i < c->m->zone_count && !err; i++) {
		struct rs_rule *r;

		if (!other_zone_set(c, (size_t)(z - c->m->zones), i, fam, set,
				    sizeof(set)))
			continue;
		r = chain_add_rule(ch, &o);
		if (!r)
			return -ENOMEM;
		err = rule_num(r, RS_OP_NFPROTO, nfproto(fam));
		err = err ?: rule_name(r, RS_OP_SADDR_SET, set, false);
		err = err ?: rule_verdict(r, RS_VERDICT_GOTO, spoofed);
	}
	return err;
}

static int compile_zone_in(struct compiler *c, const struct zone *z)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct rs_origin o = origin_of(c, "zone", z->name, &z->origin);
	char set[RS_NAME_MAX * 2], spoofed[RS_NAME_MAX * 2];
	char what[RS_NAME_MAX * 2];
	struct rs_chain *ch;
	struct rs_rule *r;
	int err = compile_spoofed(c, z);

	err = err ?: compile_invalid(c, z);
	ch = err ? NULL : ruleset_add_chain(c->rs, nm(c, "in_%s", z->name),
					    RS_HOOK_NONE, &o);
	if (!ch)
		return -ENOMEM;
	snprintf(spoofed, sizeof(spoofed), "spoofed_%s", z->name);
	for (size_t f = 0; f < 2 && !err; f++) {
		if (compile_any_negated(c, (size_t)(z - c->m->zones), fams[f])) {
			err = spoofed_any(c, ch, z, fams[f], spoofed);
			continue;
		}
		snprintf(set, sizeof(set), "zone_%s_%s", z->name,
			 family_tag(fams[f]));
		r = chain_add_rule(ch, &o);
		if (!r)
			return -ENOMEM;
		err = rule_num(r, RS_OP_NFPROTO, nfproto(fams[f]));
		if (ruleset_find_set(c->rs, set))
			err = err ?: rule_name(r, RS_OP_SADDR_SET, set, true);
		err = err ?: rule_verdict(r, RS_VERDICT_GOTO, spoofed);
	}
	err = err ?: goto_invalid(c, ch, z, &o);
	r = err ? NULL : chain_add_rule(ch, &o);
	if (!r)
		return -ENOMEM;
	err = rule_num(r, RS_OP_CT_STATE, CT_ESTABLISHED | CT_RELATED);
	err = err ?: rule_name(r, RS_OP_CT_MARK_SET_IN, "flow_marks", false);
	err = err ?: rule_verdict(r, RS_VERDICT_ACCEPT, NULL);
	r = err ? NULL : chain_add_rule(ch, &o);
	if (!r)
		return -ENOMEM;
	err = rule_name(r, RS_OP_OIFNAME_VMAP, nm(c, "out_%s", z->name), false);
	/* the shared path: no flow from Z to the target (or no target zone) */
	snprintf(what, sizeof(what), "drop %s>other", z->name);
	return err ?: emit_tail(c, ch, "denied_drop", what);
}

/* mgmt_Z: what sources in zone Z may reach on the gateway itself. */
static int compile_mgmt(struct compiler *c, size_t z)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	const struct model *m = c->m;
	const struct zone *zone = &m->zones[z];
	struct rs_origin o = origin_of(c, "zone", zone->name, &zone->origin);
	char cnt[RS_NAME_MAX * 2], what[RS_NAME_MAX * 2];
	struct rs_chain *ch;
	int err = 0;

	ch = ruleset_add_chain(c->rs, nm(c, "mgmt_%s", zone->name),
			       RS_HOOK_NONE, &o);
	if (!ch)
		return -ENOMEM;
	err = goto_invalid(c, ch, zone, &o);
	for (size_t i = 0; i < m->mgmt_count && !err; i++) {
		const struct mgmt_rule *mr = &m->mgmt[i];

		if (endpoint_zone(m, &mr->from) != z)
			continue;
		for (size_t s = 0; s < mr->service_count && !err; s++) {
			for (size_t f = 0; f < 2 && !err; f++) {
				const struct service *sv = &mr->services[s];
				struct rs_origin so = origin_of(c, "management from",
					endpoint_name(m, &mr->from), &sv->origin);
				struct rs_rule *r;

				if (!endpoint_has(c, &mr->from, fams[f]) ||
				    !service_in_family(sv, fams[f]))
					continue;
				r = chain_add_rule(ch, &so);
				if (!r)
					return -ENOMEM;
				err = rule_num(r, RS_OP_CT_STATE, CT_NEW);
				err = err ?: rule_num(r, RS_OP_NFPROTO,
						      nfproto(fams[f]));
				err = err ?: rule_endpoint(c, r, RS_OP_SADDR_SET,
							   &mr->from, fams[f]);
				err = err ?: rule_service(r, sv);
				/* the guard table admits what carries it */
				err = err ?: rule_num(r, RS_OP_CT_MARK_ASSIGN,
						      compile_gateway_mark());
				err = err ?: rule_verdict(r, RS_VERDICT_ACCEPT,
							  NULL);
			}
		}
	}
	snprintf(cnt, sizeof(cnt), "mgmt_%s_drop", zone->name);
	snprintf(what, sizeof(what), "drop %s>gateway", zone->name);
	return err ?: emit_tail(c, ch, cnt, what);
}

static struct rs_rule *simple_rule(struct rs_chain *ch)
{
	return chain_add_rule(ch, &none);
}

int compile_input_base(struct rs_chain *ch, const struct rs_origin *o)
{
	/* IPv6 neighbour discovery: router/neighbour solicit/advert. */
	static const uint8_t nd[] = { 133, 134, 135, 136 };
	struct rs_rule *r = chain_add_rule(ch, o);
	int err;

	if (!r)
		return -ENOMEM;
	err = rule_name(r, RS_OP_IIFNAME_EQ, "lo", false);
	err = err ?: rule_verdict(r, RS_VERDICT_ACCEPT, NULL);
	r = err ? NULL : chain_add_rule(ch, o);
	if (!r)
		return -ENOMEM;
	err = rule_num(r, RS_OP_CT_STATE, CT_ESTABLISHED | CT_RELATED);
	err = err ?: rule_verdict(r, RS_VERDICT_ACCEPT, NULL);
	for (size_t i = 0; i < sizeof(nd) && !err; i++) {
		r = chain_add_rule(ch, o);
		if (!r)
			return -ENOMEM;
		err = rule_num(r, RS_OP_NFPROTO, NFPROTO_IPV6);
		err = err ?: rule_num(r, RS_OP_L4PROTO, IPPROTO_ICMPV6);
		err = err ?: rule_num(r, RS_OP_ICMP_TYPE, nd[i]);
		err = err ?: rule_num(r, RS_OP_HOPLIMIT_EQ, 255);
		err = err ?: rule_verdict(r, RS_VERDICT_ACCEPT, NULL);
	}
	return err;
}

static int compile_input(struct compiler *c)
{
	struct rs_chain *ch;
	struct rs_rule *r;
	int err;

	ch = ruleset_add_chain(c->rs, "input", RS_HOOK_INPUT, &none);
	if (!ch)
		return -ENOMEM;
	err = compile_input_base(ch, &none);
	err = err ?: compile_ha_input(c, ch);
	r = err ? NULL : simple_rule(ch);
	if (!r)
		return err ?: -ENOMEM;
	err = rule_name(r, RS_OP_IIFNAME_VMAP, "mgmt_in", false);
	if (err || !c->m->settings.unzoned_input_accept)
		return err;
	/* Interfaces in no zone (an out-of-band management port). */
	r = simple_rule(ch);
	if (!r)
		return -ENOMEM;
	err = rule_num(r, RS_OP_CT_MARK_ASSIGN, compile_gateway_mark());
	return err ?: rule_verdict(r, RS_VERDICT_ACCEPT, NULL);
}

static int compile_forward(struct compiler *c)
{
	struct rs_chain *ch;
	struct rs_rule *r;
	int err;

	ch = ruleset_add_chain(c->rs, "forward", RS_HOOK_FORWARD, &none);
	r = ch ? simple_rule(ch) : NULL;
	if (!r)
		return -ENOMEM;
	err = rule_name(r, RS_OP_IIFNAME_VMAP, "zone_in", false);
	return err ?: emit_tail(c, ch, "unzoned_drop", "drop unzoned");
}

static int compile_marks(struct compiler *c, const struct marks *mk)
{
	struct rs_set *s = ruleset_add_set(c->rs, "flow_marks", RS_KEY_MARK,
					   false, &none);

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < mk->n; i++)
		if (set_add_mark(s, mk->v[i]))
			return -ENOMEM;
	return 0;
}

int compile_chains(struct compiler *c)
{
	struct marks mk = { 0 };
	size_t n = c->m->zone_count;
	int err = 0;

	for (size_t z = 0; z < n && !err; z++)
		err = compile_zone_in(c, &c->m->zones[z]);
	for (size_t p = 0; p < c->pair_count && !err; p++)
		err = compile_pair(c, c->pairs[p].a, c->pairs[p].b, &mk);
	for (size_t z = 0; z < n && !err; z++)
		err = compile_mgmt(c, z);
	err = err ?: compile_forward(c);
	err = err ?: compile_input(c);
	err = err ?: compile_marks(c, &mk);
	free(mk.v);
	return err;
}
