/* compile_shard.c - big address sets split into shards: a ruleset ->
 * ruleset lowering, pure (no I/O).
 *
 * Why: the kernel reads a set back in parts of about 32 KiB and walks the
 * set from its first element for each part, so one read of a set of n
 * intervals takes time in n squared (bench/dump.sh: 100k intervals, 1.15 s
 * of kernel time; the same intervals in sets of 2,048, 0.32 s).  Every
 * verification of a new or restored table reads every set.
 *
 * Sets: a set S of more than max intervals becomes its shards, one per
 * piece of the key space.  The space is halved, as prefixes, until each
 * piece meets at most max of S's intervals; shard "S.<hex>_<len>" holds
 * those within piece <hex>/<len> (an interval across a boundary is cut
 * there).  The pieces depend on S's content alone, so a reload that changes
 * a few networks keeps them, and the table's shape with them.
 *
 * Rules: each run of consecutive rules of a chain C that look S up the
 * same way (source or destination, = or !=) becomes one rule
 *
 *     meta nfproto F  ip saddr vmap @C.<i>      (i: its place in C)
 *
 * whose interval verdict map sends an address of piece p to "jump
 * C.<i>.<hex>_<len>", a chain holding the run with S replaced by its shard
 * p.  A packet meets the same rules in the same order: within piece p, "in
 * S" is "in shard p".  For "!= @S" the map covers the whole space: the
 * pieces S has nothing in jump to C.<i>.rest, the run without the lookup.
 * A rule that looks up two big sets is lowered twice (its chain C.<i>.<p>
 * is lowered like any other).
 *
 * What stays whole: a set looked up by a rule that cannot be so lowered
 * (rule_lowerable): one with a limit (each copy would have its own rate),
 * a vmap, a goto to a chain that may come back (from the jumped-to chain
 * it would come back to C, not to C's caller), an address lookup before
 * its family is matched, or a counter, log or ct mark before a lookup.
 */
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "ruleset.h"

/* How many chains lowering may add: a rule that looks up two big sets
 * on different sides takes the product of their pieces. */
#define SHARD_CHAINS_PER_PIECE 16
#define SHARD_CHAINS_MIN 256

struct piece {
	uint8_t lo[16], hi[16];    /* the prefix's first and last address */
	unsigned len;              /* prefix length */
	size_t first, count;       /* S's intervals that meet it */
};

/* A set being split: moved out of the ruleset, its pieces. */
struct split {
	struct rs_set set;
	size_t w;                  /* key bytes */
	uint8_t (*lo)[16], (*hi)[16];   /* its intervals */
	struct piece *pieces;
	size_t piece_count, piece_cap;
};

/* What a chain made here is only reached with: its source (0) and
 * destination (1) address within lo..hi, when has. */
struct reach {
	bool has[2];
	uint8_t lo[2][16], hi[2][16];
};

struct shard {
	struct ruleset *rs;
	size_t max;
	struct split *v;
	size_t n, cap;
	struct reach *reach;       /* by chain index (none for the first) */
	size_t reach_cap, first_new;
	size_t budget;             /* chains it may still add */
};

static bool is_lookup(const struct rs_op *op)
{
	return op->kind == RS_OP_SADDR_SET || op->kind == RS_OP_DADDR_SET;
}

/* Does a packet's match in chain name end there, whatever it is?  Its last
 * rule accepts or drops unconditionally, and nothing in it leaves by a
 * goto or a map (a jump comes back to it). */
static bool chain_ends(const struct ruleset *rs, const char *name)
{
	const struct rs_chain *c = ruleset_find_chain(rs, name);
	const struct rs_rule *last;

	if (!c || !c->rule_count)
		return false;
	for (size_t i = 0; i < c->rule_count; i++) {
		if (c->rules[i].verdict == RS_VERDICT_GOTO)
			return false;
		for (size_t k = 0; k < c->rules[i].op_count; k++)
			if (c->rules[i].ops[k].kind == RS_OP_IIFNAME_VMAP ||
			    c->rules[i].ops[k].kind == RS_OP_OIFNAME_VMAP ||
			    c->rules[i].ops[k].kind == RS_OP_SADDR_VMAP ||
			    c->rules[i].ops[k].kind == RS_OP_DADDR_VMAP)
				return false;
	}
	last = &c->rules[c->rule_count - 1];
	if (last->verdict != RS_VERDICT_ACCEPT &&
	    last->verdict != RS_VERDICT_DROP)
		return false;
	for (size_t k = 0; k < last->op_count; k++)
		if (last->ops[k].kind != RS_OP_COUNTER &&
		    last->ops[k].kind != RS_OP_LOG &&
		    last->ops[k].kind != RS_OP_CT_MARK_ASSIGN)
			return false;
	return true;
}

/* Can rule r be copied into a chain it is jumped to from?  Not with a
 * limit (each copy would have its own rate) or a vmap; its family must be
 * matched before its first address lookup (the dispatch matches it, the
 * rest chain of a "!=" has no lookup to load an address); nothing with an
 * effect (a counter, a log, a ct mark) may come before its last lookup
 * (the dispatch would skip it for a packet the map misses). */
static bool rule_lowerable(const struct ruleset *rs, const struct rs_rule *r)
{
	bool family = false, effect = false;

	for (size_t k = 0; k < r->op_count; k++) {
		switch (r->ops[k].kind) {
		case RS_OP_LIMIT:
		case RS_OP_IIFNAME_VMAP:
		case RS_OP_OIFNAME_VMAP:
		case RS_OP_SADDR_VMAP:
		case RS_OP_DADDR_VMAP:
			return false;
		case RS_OP_NFPROTO:
			family = true;
			break;
		case RS_OP_SADDR_SET:
		case RS_OP_DADDR_SET:
			if (!family || effect)
				return false;
			break;
		case RS_OP_COUNTER:
		case RS_OP_LOG:
		case RS_OP_CT_MARK_ASSIGN:
			effect = true;
			break;
		default:
			break;
		}
	}
	return r->verdict != RS_VERDICT_GOTO || chain_ends(rs, r->target);
}

/* Is set name looked up only by rules that can be lowered? */
static bool set_lowerable(const struct ruleset *rs, const char *name)
{
	for (size_t c = 0; c < rs->chain_count; c++)
		for (size_t i = 0; i < rs->chains[c].rule_count; i++) {
			const struct rs_rule *r = &rs->chains[c].rules[i];

			for (size_t k = 0; k < r->op_count; k++)
				if (is_lookup(&r->ops[k]) &&
				    !strcmp(r->ops[k].u.name, name) &&
				    !rule_lowerable(rs, r))
					return false;
		}
	return true;
}

/* The first of the n intervals whose end is at or after a (n if none). */
static size_t first_ending_from(const struct split *sp, const uint8_t *a)
{
	size_t lo = 0, hi = sp->set.elem_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(sp->hi[mid], a, sp->w) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first interval that starts after a (n if none). */
static size_t first_starting_after(const struct split *sp, const uint8_t *a)
{
	size_t lo = 0, hi = sp->set.elem_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(sp->lo[mid], a, sp->w) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The prefix lo/len: its last address into hi. */
static void prefix_last(const uint8_t *lo, unsigned len, size_t w,
			uint8_t *hi)
{
	memcpy(hi, lo, w);
	for (size_t b = len; b < w * 8; b++)
		hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
}

/* The pieces of prefix lo/len, in address order. */
static int tile(struct split *sp, const uint8_t *lo, unsigned len,
		size_t max)
{
	struct piece p = { .len = len };
	size_t end;

	memcpy(p.lo, lo, sp->w);
	prefix_last(lo, len, sp->w, p.hi);
	p.first = first_ending_from(sp, p.lo);
	end = first_starting_after(sp, p.hi);
	p.count = end > p.first ? end - p.first : 0;
	if (p.count > max && len < sp->w * 8) {
		uint8_t upper[16];
		int err = tile(sp, lo, len + 1, max);

		memcpy(upper, lo, sp->w);
		upper[len / 8] |= (uint8_t)(0x80 >> (len % 8));
		return err ?: tile(sp, upper, len + 1, max);
	}
	if (array_grow((void **)&sp->pieces, &sp->piece_cap, sp->piece_count,
		       sizeof(*sp->pieces), 16))
		return -ENOMEM;
	sp->pieces[sp->piece_count++] = p;
	return 0;
}

/* The suffix of piece p's names: its prefix in hex digits (as many as
 * its length needs) and its length, "0a4_11" for 10.64.0.0/11. */
static void piece_suffix(const struct piece *p, char *buf, size_t size)
{
	size_t digits = (p->len + 3) / 4, n = 0;

	for (size_t d = 0; d < digits && n + 4 < size; d++) {
		uint8_t byte = p->lo[d / 2];

		buf[n++] = "0123456789abcdef"[d % 2 ? byte & 15 : byte >> 4];
	}
	snprintf(buf + n, size - n, "%s_%u", digits ? "" : "0", p->len);
}

/* Shard p of sp as a set of rs. */
static int add_shard(struct ruleset *rs, const struct split *sp,
		     const struct piece *p)
{
	char suffix[48], *name;
	struct rs_set *s;
	int err;

	piece_suffix(p, suffix, sizeof(suffix));
	if (asprintf(&name, "%s.%s", sp->set.name, suffix) < 0)
		return -ENOMEM;
	s = ruleset_add_set(rs, name, sp->set.key, false, &sp->set.origin);
	free(name);
	if (!s || set_reserve(s, p->count))
		return -ENOMEM;
	for (size_t i = p->first; i < p->first + p->count; i++) {
		const uint8_t *lo = memcmp(sp->lo[i], p->lo, sp->w) < 0 ?
				    p->lo : sp->lo[i];
		const uint8_t *hi = memcmp(sp->hi[i], p->hi, sp->w) > 0 ?
				    p->hi : sp->hi[i];

		err = set_add_interval(s, lo, hi);
		if (err)
			return err;
	}
	set_trim(s);
	return 0;
}

/* Set i of rs, moved out into a new split with its pieces and shards. */
static int split_set(struct shard *x, size_t i)
{
	static const uint8_t zero[16];
	struct split *sp;
	struct rs_iter it;
	struct rs_elem e;
	size_t n;
	int err;

	if (array_grow((void **)&x->v, &x->cap, x->n, sizeof(*x->v), 4))
		return -ENOMEM;
	sp = &x->v[x->n++];
	memset(sp, 0, sizeof(*sp));
	ruleset_take_set(x->rs, i, &sp->set);
	n = sp->set.elem_count;
	sp->w = sp->set.key == RS_KEY_IPV4 ? 4 : 16;
	sp->lo = malloc(n * sizeof(*sp->lo));
	sp->hi = malloc(n * sizeof(*sp->hi));
	if (!sp->lo || !sp->hi)
		return -ENOMEM;
	set_iter_begin(&it);
	for (size_t k = 0; k < n && set_iter_next(&sp->set, &it, &e); k++) {
		memcpy(sp->lo[k], e.low, 16);
		memcpy(sp->hi[k], e.high, 16);
	}
	err = tile(sp, zero, 0, x->max);
	for (size_t p = 0; p < sp->piece_count && !err; p++)
		if (sp->pieces[p].count)
			err = add_shard(x->rs, sp, &sp->pieces[p]);
	return err;
}

static void split_free(struct split *sp)
{
	set_free(&sp->set);
	free(sp->lo);
	free(sp->hi);
	free(sp->pieces);
}

/* The split set looked up by op, or NULL. */
static const struct split *split_of(const struct shard *x,
				    const struct rs_op *op)
{
	if (!is_lookup(op))
		return NULL;
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->v[i].set.name, op->u.name))
			return &x->v[i];
	return NULL;
}

/* The place in r of its first lookup of a split set, or -1. */
static int split_op(const struct shard *x, const struct rs_rule *r)
{
	for (size_t k = 0; k < r->op_count; k++)
		if (split_of(x, &r->ops[k]))
			return (int)k;
	return -1;
}

/* Copies of rules run[0..n) into chain ch, each lookup at op[j] of the
 * split set replaced by one of shard p (or left out: p NULL). */
static int copy_run(struct rs_chain *ch, const struct rs_rule *run,
		    const int *op, size_t n, const struct split *sp,
		    const struct piece *p)
{
	char suffix[48], *shard = NULL;
	int err = 0;

	if (p) {
		piece_suffix(p, suffix, sizeof(suffix));
		if (asprintf(&shard, "%s.%s", sp->set.name, suffix) < 0)
			return -ENOMEM;
	}
	for (size_t j = 0; j < n && !err; j++) {
		struct rs_rule *r = chain_add_rule(ch, &run[j].origin);

		if (!r) {
			err = -ENOMEM;
			break;
		}
		for (size_t k = 0; k < run[j].op_count && !err; k++) {
			const struct rs_op *o = &run[j].ops[k];

			if ((int)k != op[j])
				err = rule_op_copy(r, o);
			else if (shard)
				err = rule_name(r, o->kind, shard, o->neg);
		}
		err = err ?: rule_verdict(r, run[j].verdict, run[j].target);
	}
	free(shard);
	return err;
}

/* A range of map m to chain name: added, or joined to the last one when
 * it ends just before and goes to the same chain. */
static int map_range(struct rs_set *m, size_t w, const struct piece *p,
		     const char *chain)
{
	struct rs_elem *last = m->elem_count ? &m->elems[m->elem_count - 1]
					     : NULL;
	uint8_t next[16];

	if (last && !strcmp(last->chain, chain)) {
		memcpy(next, last->high, w);
		for (size_t k = w; k-- > 0;)
			if (++next[k])
				break;
		if (!memcmp(next, p->lo, w)) {
			memcpy(last->high, p->hi, w);
			return 0;
		}
	}
	return set_add_range(m, p->lo, p->hi, RS_VERDICT_JUMP, chain);
}

/* Where chain c is reached (nowhere special: a chain of the config). */
static struct reach reach_of(const struct shard *x, size_t c)
{
	struct reach none = { .has = { false, false } };

	return c < x->first_new ? none : x->reach[c - x->first_new];
}

/* Can an address of chain c's reach on side meet piece p? */
static bool piece_reached(const struct reach *r, int side,
			  const struct piece *p, size_t w)
{
	return !r->has[side] || (memcmp(p->hi, r->lo[side], w) >= 0 &&
				 memcmp(p->lo, r->hi[side], w) <= 0);
}

/* A chain for piece p (or the rest: p->count 0) of the run, reached as
 * chain c narrowed to p on side. */
static int add_leaf(struct shard *x, size_t c, const char *name, int side,
		    const struct piece *p, const struct rs_rule *run,
		    const int *op, size_t n, const struct split *sp)
{
	struct reach r = reach_of(x, c);
	struct rs_chain *ch;

	if (!x->budget--)
		return -E2BIG;
	if (array_grow((void **)&x->reach, &x->reach_cap,
		       x->rs->chain_count - x->first_new, sizeof(*x->reach),
		       16))
		return -ENOMEM;
	if (p->count) {
		const uint8_t *lo = p->lo, *hi = p->hi;

		if (r.has[side] && memcmp(r.lo[side], lo, sp->w) > 0)
			lo = r.lo[side];
		if (r.has[side] && memcmp(r.hi[side], hi, sp->w) < 0)
			hi = r.hi[side];
		memcpy(r.lo[side], lo, sp->w);
		memcpy(r.hi[side], hi, sp->w);
		r.has[side] = true;
	}
	ch = ruleset_add_chain(x->rs, name, RS_HOOK_NONE, &run[0].origin);
	if (!ch)
		return -ENOMEM;
	x->reach[x->rs->chain_count - 1 - x->first_new] = r;
	return copy_run(ch, run, op, n, sp, p->count ? p : NULL);
}

/* The run run[0..n) of chain c (moved out of it), each looking up sp at
 * op[j] the same way, as one dispatch rule at the end of chain c, its map
 * and the chains it jumps to: one per piece that chain c's reach meets. */
static int lower_run(struct shard *x, size_t c, const struct rs_rule *run,
		     const int *op, size_t n, const struct split *sp)
{
	const struct rs_op *look = &run[0].ops[op[0]];
	int side = look->kind == RS_OP_SADDR_SET ? 0 : 1;
	struct reach reach = reach_of(x, c);
	struct rs_set *map;
	struct rs_rule *d;
	char *base = NULL, *name = NULL, suffix[48];
	bool rest = false;
	int err;

	if (asprintf(&base, "%s.%zu", x->rs->chains[c].name,
		     x->rs->chains[c].rule_count) < 0)
		return -ENOMEM;
	d = chain_add_rule(&x->rs->chains[c], &run[0].origin);
	err = d ? 0 : -ENOMEM;
	err = err ?: rule_num(d, RS_OP_NFPROTO, sp->w == 4 ? NFPROTO_IPV4
							   : NFPROTO_IPV6);
	err = err ?: rule_name(d, side ? RS_OP_DADDR_VMAP : RS_OP_SADDR_VMAP,
			       base, false);
	map = err ? NULL : ruleset_add_set(x->rs, base, sp->set.key, true,
					   &run[0].origin);
	if (!err && !map)
		err = -ENOMEM;
	for (size_t i = 0; i < sp->piece_count && !err; i++) {
		const struct piece *p = &sp->pieces[i];

		if ((!p->count && !look->neg) ||
		    !piece_reached(&reach, side, p, sp->w))
			continue;       /* not in S, or never here */
		if (p->count)
			piece_suffix(p, suffix, sizeof(suffix));
		else
			snprintf(suffix, sizeof(suffix), "rest");
		free(name);
		if (asprintf(&name, "%s.%s", base, suffix) < 0) {
			name = NULL;
			err = -ENOMEM;
			break;
		}
		if (p->count || !rest)
			err = add_leaf(x, c, name, side, p, run, op, n, sp);
		rest = rest || !p->count;
		/* map stays put: only chains are added meanwhile */
		err = err ?: map_range(map, sp->w, p, name);
	}
	free(name);
	free(base);
	return err;
}

/* Chain c with its runs of lookups of split sets lowered. */
static int lower_chain(struct shard *x, size_t c)
{
	struct rs_chain *ch = &x->rs->chains[c];
	struct rs_rule *rules = ch->rules;
	size_t n = ch->rule_count;
	int *op = malloc((n ? n : 1) * sizeof(*op));
	int err = 0;

	if (!op)
		return -ENOMEM;
	ch->rules = NULL;
	ch->rule_count = ch->rule_capacity = 0;
	for (size_t i = 0; i < n; i++)
		op[i] = split_op(x, &rules[i]);
	for (size_t i = 0, j; i < n && !err; i = j) {
		const struct rs_op *a;

		j = i + 1;
		if (op[i] < 0) {
			err = chain_take_rule(&x->rs->chains[c], &rules[i]);
			continue;
		}
		a = &rules[i].ops[op[i]];
		while (j < n && op[j] >= 0) {
			const struct rs_op *b = &rules[j].ops[op[j]];

			if (b->kind != a->kind || b->neg != a->neg ||
			    strcmp(b->u.name, a->u.name))
				break;
			j++;
		}
		err = lower_run(x, c, rules + i, op + i, j - i,
				split_of(x, a));
	}
	for (size_t i = 0; i < n; i++)
		rule_free(&rules[i]);
	free(rules);
	free(op);
	return err;
}

/* Regular chains first, base chains last, each in the order they had. */
static int base_chains_last(struct ruleset *rs)
{
	struct rs_chain *v = malloc((rs->chain_count + 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (int base = 0; base < 2; base++)
		for (size_t i = 0; i < rs->chain_count; i++)
			if ((rs->chains[i].hook != RS_HOOK_NONE) == base)
				v[n++] = rs->chains[i];
	memcpy(rs->chains, v, n * sizeof(*v));
	free(v);
	return 0;
}

int ruleset_shard(struct ruleset *rs, size_t max)
{
	struct shard x = { .rs = rs, .max = max ? max : 1 };
	size_t pieces = 0;
	int err = 0;

	for (size_t i = 0; i < rs->set_count && !err;) {
		const struct rs_set *s = &rs->sets[i];

		if (set_packed(s) && s->elem_count > x.max &&
		    set_lowerable(rs, s->name))
			err = split_set(&x, i);    /* its shards at the end */
		else
			i++;
	}
	for (size_t i = 0; i < x.n; i++)
		pieces += x.v[i].piece_count;
	x.budget = SHARD_CHAINS_PER_PIECE * pieces + SHARD_CHAINS_MIN;
	x.first_new = rs->chain_count;
	/* chains added while lowering (the jumped-to ones) are lowered in
	 * turn: a rule with two big lookups */
	for (size_t c = 0; x.n && c < rs->chain_count && !err; c++)
		err = lower_chain(&x, c);
	if (!err && x.n)
		err = base_chains_last(rs);
	for (size_t i = 0; i < x.n; i++)
		split_free(&x.v[i]);
	free(x.v);
	free(x.reach);
	return err;
}
