/* compile_interim.c - the interim table: the policy of a compiled ruleset
 * with about half its intervals, for re-creating a main table that is gone.
 *
 * The any zone's set ("everything no other zone has") is the complement of
 * the other zones' sets: at 100k networks it holds as many intervals as
 * all of them, and re-creating the main table after `nft flush ruleset`
 * commits both (400k intervals, ~1 s).  The interim table leaves that set
 * out and spells each of its lookups with the other zones' sets instead:
 * "saddr in any" as "saddr in none of them" (one negated lookup each),
 * "saddr not in any" as "saddr in one of them" (the rule once per other
 * zone).  For every packet it takes the same rules as the ruleset it comes
 * from, so the watchdog commits it first (the allowed traffic is back in
 * half the time) and the ruleset itself right after (enforce.c).
 *
 * It is made only when that holds by the sets themselves: the any set must
 * be exactly the complement of the other zones' sets of its family, and
 * those disjoint (a packet's copies of a rule then match at most once).
 * Anything else (no complement set, more than ANY_NEGATED_MAX other zones,
 * a set that is not what the check expects) gives no interim table, and
 * the main table is re-created in one commit as before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

/* One complement set left out: its name and the sets that stand for it. */
struct spelled {
	const char *any;
	const char *other[ANY_NEGATED_MAX];
	size_t n;
};

#define SPELLED_MAX 2        /* one per family */

struct interim_plan {
	struct spelled v[SPELLED_MAX];
	size_t n;
};

/* Address bytes of a set's key. */
static size_t width(const struct rs_set *s)
{
	return s->key == RS_KEY_IPV4 ? 4 : 16;
}

/* a + 1 (false when a is the top address: nothing follows). */
static bool addr_next(uint8_t *a, size_t w)
{
	for (size_t i = w; i-- > 0;)
		if (++a[i])
			return true;
	return false;
}

/* a - 1 (a is not 0). */
static void addr_prev(uint8_t *a, size_t w)
{
	for (size_t i = w; i-- > 0;)
		if (a[i]--)
			return;
}

static bool addr_top(const uint8_t *a, size_t w)
{
	for (size_t i = 0; i < w; i++)
		if (a[i] != 0xff)
			return false;
	return true;
}

/* A set read in order, adjacent intervals joined. */
struct cursor {
	const struct rs_set *s;
	struct rs_iter it;
	struct rs_elem head;     /* the next interval of the set, if have */
	bool have;
};

static void cursor_begin(struct cursor *c, const struct rs_set *s)
{
	c->s = s;
	set_iter_begin(&c->it);
	c->have = set_iter_next(s, &c->it, &c->head);
}

/* The next run of c (adjacent intervals joined) into e; false at the end. */
static bool cursor_run(struct cursor *c, struct rs_elem *e)
{
	size_t w = width(c->s);
	uint8_t after[16];

	if (!c->have)
		return false;
	*e = c->head;
	for (;;) {
		c->have = set_iter_next(c->s, &c->it, &c->head);
		memcpy(after, e->high, w);
		if (!c->have || !addr_next(after, w) ||
		    memcmp(after, c->head.low, w))
			return true;
		memcpy(e->high, c->head.high, w);
	}
}

/* Whether any is exactly the complement of the union of the others (n of
 * them, one family), and the others are disjoint. */
static bool is_complement(const struct rs_set *any,
			  const struct rs_set *const *others, size_t n)
{
	size_t w = width(any);
	struct cursor oc[ANY_NEGATED_MAX], ac;
	struct rs_elem run, want;
	uint8_t pos[16] = { 0 };     /* the first address not yet covered */
	bool done = false, have_prev = false;
	uint8_t prev_high[16] = { 0 };

	cursor_begin(&ac, any);
	for (size_t i = 0; i < n; i++)
		cursor_begin(&oc[i], others[i]);
	for (;;) {
		size_t min = n;

		for (size_t i = 0; i < n; i++)
			if (oc[i].have && (min == n ||
			    memcmp(oc[i].head.low, oc[min].head.low, w) < 0))
				min = i;
		if (min == n)
			break;
		run = oc[min].head;
		oc[min].have = set_iter_next(oc[min].s, &oc[min].it,
					     &oc[min].head);
		/* disjoint: each interval starts after the last one ended */
		if (have_prev && memcmp(run.low, prev_high, w) <= 0)
			return false;
		have_prev = true;
		memcpy(prev_high, run.high, w);
		if (memcmp(run.low, pos, w) > 0) {   /* a gap: any's */
			memcpy(want.low, pos, w);
			memcpy(want.high, run.low, w);
			addr_prev(want.high, w);
			if (!cursor_run(&ac, &run) ||
			    memcmp(run.low, want.low, w) ||
			    memcmp(run.high, want.high, w))
				return false;
		}
		memcpy(pos, prev_high, w);
		if (!addr_next(pos, w)) {
			done = true;   /* covered up to the top address */
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (oc[i].have)       /* past the top: overlaps */
			return false;
	if (!done) {                  /* the rest of the space: any's */
		memset(want.high, 0xff, w);
		if (!cursor_run(&ac, &run) || memcmp(run.low, pos, w) ||
		    !addr_top(run.high, w))
			return false;
	}
	return !cursor_run(&ac, &run);   /* nothing more in any */
}

/* The zone sets of s's family other than s (by the compiler's names). */
static size_t zone_sets_beside(const struct ruleset *rs,
			       const struct rs_set *s,
			       const struct rs_set **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->set_count; i++) {
		const struct rs_set *o = &rs->sets[i];

		if (o == s || o->key != s->key || !set_packed(o) ||
		    strncmp(o->name, "zone_", 5))
			continue;
		if (n == max)
			return max + 1;
		out[n++] = o;
	}
	return n;
}

/* Which sets are left out and spelled by which (plan->n == 0: none).
 * Where the zone sets of a family cover every address, each of them is
 * the complement of the others: the one with the most intervals is left
 * out (the any zone's, or one as big), one a family. */
static void plan_interim(const struct ruleset *rs, struct interim_plan *p)
{
	memset(p, 0, sizeof(*p));
	for (int f = 0; f < SPELLED_MAX; f++) {
		enum rs_key key = f ? RS_KEY_IPV6 : RS_KEY_IPV4;
		const struct rs_set *best = NULL, *o[ANY_NEGATED_MAX];
		struct spelled *sp = &p->v[p->n];
		size_t n = 0;

		for (size_t i = 0; i < rs->set_count; i++) {
			const struct rs_set *s = &rs->sets[i];

			if (s->key == key && set_packed(s) &&
			    !strncmp(s->name, "zone_", 5) &&
			    (!best || s->elem_count > best->elem_count))
				best = s;
		}
		if (best)
			n = zone_sets_beside(rs, best, o, ANY_NEGATED_MAX);
		if (!n || n > ANY_NEGATED_MAX || !is_complement(best, o, n))
			continue;
		sp->any = best->name;
		sp->n = n;
		for (size_t k = 0; k < n; k++)
			sp->other[k] = o[k]->name;
		p->n++;
	}
}

static const struct spelled *spelled_of(const struct interim_plan *p,
					const struct rs_op *op)
{
	if (op->kind != RS_OP_SADDR_SET && op->kind != RS_OP_DADDR_SET)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(op->u.name, p->v[i].any))
			return &p->v[i];
	return NULL;
}

/* One copy of rule src into ch: each lookup of a left-out set spelled
 * out, its negated lookups by the other set pick[j] (j counting them). */
static int rule_spelled(struct rs_chain *ch, const struct rs_rule *src,
			const struct interim_plan *p, const size_t *pick)
{
	struct rs_rule *r = chain_add_rule(ch, &src->origin);
	size_t j = 0;
	int err = r ? 0 : -ENOMEM;

	for (size_t i = 0; i < src->op_count && !err; i++) {
		const struct rs_op *op = &src->ops[i];
		const struct spelled *sp = spelled_of(p, op);

		if (!sp)
			err = rule_op_copy(r, op);
		else if (op->neg)      /* in one of the others */
			err = rule_name(r, op->kind, sp->other[pick[j++]],
					false);
		else                   /* in none of them */
			for (size_t k = 0; k < sp->n && !err; k++)
				err = rule_name(r, op->kind, sp->other[k],
						true);
	}
	return err ?: rule_verdict(r, src->verdict, src->target);
}

#define NEG_MAX 4   /* negated lookups of left-out sets in one rule */
/* (-E2BIG from rule_copies: no interim table, ruleset_compile_interim) */

/* src as rules of ch: once per choice of other set for each of its
 * negated lookups of a left-out set (they are disjoint: for a packet at
 * most one copy matches, the rule's own effects happen at most once). */
static int rule_copies(struct rs_chain *ch, const struct rs_rule *src,
		       const struct interim_plan *p)
{
	size_t radix[NEG_MAX], pick[NEG_MAX] = { 0 }, n = 0;
	int err = 0;

	for (size_t i = 0; i < src->op_count; i++) {
		const struct spelled *sp = spelled_of(p, &src->ops[i]);

		if (sp && src->ops[i].neg) {
			if (n == NEG_MAX)
				return -E2BIG;
			radix[n++] = sp->n;
		}
	}
	/* a limit in each copy would let through n times its rate */
	for (size_t i = 0; n && i < src->op_count; i++)
		if (src->ops[i].kind == RS_OP_LIMIT)
			return -E2BIG;
	for (;;) {
		size_t j = 0;

		err = rule_spelled(ch, src, p, pick);
		if (err)
			return err;
		while (j < n && ++pick[j] == radix[j])   /* the next choice */
			pick[j++] = 0;
		if (j == n)
			return 0;
	}
}

static int set_copy(struct ruleset *out, const struct rs_set *s)
{
	struct rs_set *c = ruleset_add_set(out, s->name, s->key, s->is_map,
					   &s->origin);
	struct rs_iter it;
	struct rs_elem e;
	int err = 0;

	if (!c)
		return -ENOMEM;
	if (set_packed(s)) {
		err = ivpack_copy(&c->iv, &s->iv);
		c->elem_count = c->iv.count;
		return err;
	}
	set_iter_begin(&it);
	while (!err && set_iter_next(s, &it, &e)) {
		uint32_t mark;

		memcpy(&mark, e.low, sizeof(mark));
		err = s->key == RS_KEY_MARK
		      ? set_add_mark(c, mark)
		      : set_add_ifname(c, (const char *)e.low, e.verdict,
				       e.chain);
	}
	return err;
}

static bool left_out(const struct interim_plan *p, const char *set)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].any, set))
			return true;
	return false;
}

static int build(const struct ruleset *rs, const struct interim_plan *p,
		 struct ruleset *out)
{
	char name[RS_NAME_MAX + 16];
	int err = 0;

	ruleset_interim_name(rs->table, name, sizeof(name));
	out->table = strdup(name);
	out->ownership = false;          /* a running daemon's own */
	out->owned_while_running = true;
	out->compiled_at = rs->compiled_at;
	if (!out->table)
		return -ENOMEM;
	for (size_t i = 0; i < rs->obj_count && !err; i++)
		err = ruleset_add_counter(out, rs->objs[i].name,
					  &rs->objs[i].origin) ? 0 : -ENOMEM;
	for (size_t i = 0; i < rs->set_count && !err; i++)
		if (!left_out(p, rs->sets[i].name))
			err = set_copy(out, &rs->sets[i]);
	for (size_t i = 0; i < rs->chain_count && !err; i++) {
		const struct rs_chain *src = &rs->chains[i];
		struct rs_chain *ch = ruleset_add_chain(out, src->name,
							src->hook,
							&src->origin);

		if (!ch)
			return -ENOMEM;
		ch->priority = src->priority;
		for (size_t j = 0; j < src->rule_count && !err; j++)
			err = rule_copies(ch, &src->rules[j], p);
	}
	return err;
}

void ruleset_interim_name(const char *table, char *buf, size_t len)
{
	snprintf(buf, len, "%s-interim", table);
}

int ruleset_compile_interim(const struct ruleset *rs, struct ruleset *out)
{
	struct interim_plan p;
	int err;

	ruleset_init(out);
	plan_interim(rs, &p);
	if (!p.n)
		return -ENOENT;
	/* a left-out set named other than by an address lookup: none */
	for (size_t i = 0; i < rs->chain_count; i++)
		for (size_t j = 0; j < rs->chains[i].rule_count; j++) {
			const struct rs_rule *r = &rs->chains[i].rules[j];

			for (size_t k = 0; k < r->op_count; k++)
				if (rs_op_has_name(r->ops[k].kind) &&
				    !spelled_of(&p, &r->ops[k]) &&
				    left_out(&p, r->ops[k].u.name))
					return -ENOENT;
		}
	err = build(rs, &p, out);
	if (err)
		ruleset_free(out);
	return err == -E2BIG ? -ENOENT : err;
}
