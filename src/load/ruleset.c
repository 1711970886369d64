/* ruleset.c - building and freeing the compiled ruleset (plain data). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "ruleset.h"

/* A zeroed element past the end of *items (of size sz), or NULL.  The
 * caller bumps the count once the element is complete, so one that fails
 * half-way leaves the array as it was. */
static void *slot(void **items, size_t *capacity, size_t count, size_t sz)
{
	if (array_grow(items, capacity, count, sz, 8))
		return NULL;
	return memset((char *)*items + count * sz, 0, sz);
}

static int origin_copy(struct rs_origin *dst, const struct rs_origin *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src)
		return 0;
	*dst = *src;
	dst->what = src->what ? strdup(src->what) : NULL;
	return (src->what && !dst->what) ? -ENOMEM : 0;
}

/* The name and origin every object, set and chain has: both or neither. */
static int name_origin(char **name_out, struct rs_origin *origin,
		       const char *name, const struct rs_origin *o)
{
	*name_out = strdup(name);
	if (*name_out && !origin_copy(origin, o))
		return 0;
	free(*name_out);
	*name_out = NULL;
	return -ENOMEM;
}

void ruleset_init(struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

bool rs_op_has_name(enum rs_op_kind kind)
{
	switch (kind) {
	case RS_OP_IIFNAME_EQ:
	case RS_OP_SADDR_SET:
	case RS_OP_DADDR_SET:
	case RS_OP_CT_MARK_SET_IN:
	case RS_OP_IIFNAME_VMAP:
	case RS_OP_OIFNAME_VMAP:
	case RS_OP_COUNTER:
	case RS_OP_SADDR_VMAP:
	case RS_OP_DADDR_VMAP:
		return true;
	default:
		return false;
	}
}

static void op_free(struct rs_op *op)
{
	if (rs_op_has_name(op->kind))
		free(op->u.name);
	else if (op->kind == RS_OP_LOG)
		free(op->u.log.prefix);
}

void rule_free(struct rs_rule *r)
{
	for (size_t j = 0; j < r->op_count; j++)
		op_free(&r->ops[j]);
	free(r->ops);
	free(r->target);
	free((char *)r->origin.what);
	memset(r, 0, sizeof(*r));
}

static void chain_free(struct rs_chain *c)
{
	for (size_t i = 0; i < c->rule_count; i++)
		rule_free(&c->rules[i]);
	free(c->rules);
	free(c->name);
	free((char *)c->origin.what);
}

void set_free(struct rs_set *s)
{
	for (size_t i = 0; s->elems && i < s->elem_count; i++)
		free(s->elems[i].chain);
	free(s->elems);
	ivpack_free(&s->iv);
	free(s->name);
	free((char *)s->origin.what);
}

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->obj_count; i++) {
		free(rs->objs[i].name);
		free((char *)rs->objs[i].origin.what);
	}
	for (size_t i = 0; i < rs->set_count; i++)
		set_free(&rs->sets[i]);
	for (size_t i = 0; i < rs->chain_count; i++)
		chain_free(&rs->chains[i]);
	free(rs->objs);
	free(rs->sets);
	free(rs->chains);
	free(rs->table);
	nameidx_free(&rs->set_idx);
	ruleset_init(rs);
}

struct rs_obj *ruleset_add_counter(struct ruleset *rs, const char *name,
				   const struct rs_origin *o)
{
	struct rs_obj *obj = slot((void **)&rs->objs, &rs->obj_capacity,
				  rs->obj_count, sizeof(*obj));

	if (!obj || name_origin(&obj->name, &obj->origin, name, o))
		return NULL;
	rs->obj_count++;
	obj->type = RS_OBJ_COUNTER;
	return obj;
}

struct rs_set *ruleset_add_set(struct ruleset *rs, const char *name,
			       enum rs_key key, bool is_map,
			       const struct rs_origin *o)
{
	struct rs_set *s = slot((void **)&rs->sets, &rs->set_capacity,
				rs->set_count, sizeof(*s));

	if (!s || name_origin(&s->name, &s->origin, name, o))
		return NULL;
	s->key = key;
	s->is_map = is_map;
	s->interval = key == RS_KEY_IPV4 || key == RS_KEY_IPV6;
	ivpack_init(&s->iv, key == RS_KEY_IPV4 ? 4 : 16);
	rs->set_count++;
	return s;
}

struct rs_chain *ruleset_add_chain(struct ruleset *rs, const char *name,
				   enum rs_hook hook, const struct rs_origin *o)
{
	struct rs_chain *c = slot((void **)&rs->chains, &rs->chain_capacity,
				  rs->chain_count, sizeof(*c));

	if (!c || name_origin(&c->name, &c->origin, name, o))
		return NULL;
	c->hook = hook;
	rs->chain_count++;
	return c;
}

struct rs_rule *chain_add_rule(struct rs_chain *c, const struct rs_origin *o)
{
	struct rs_rule *r = slot((void **)&c->rules, &c->rule_capacity,
				 c->rule_count, sizeof(*r));

	if (!r || origin_copy(&r->origin, o))
		return NULL;
	c->rule_count++;
	return r;
}

static struct rs_elem *set_new_elem(struct rs_set *s)
{
	struct rs_elem *e = slot((void **)&s->elems, &s->elem_capacity,
				 s->elem_count, sizeof(*e));

	if (e)
		s->elem_count++;
	return e;
}

int set_reserve(struct rs_set *s, size_t n)
{
	if (set_packed(s))
		return ivpack_reserve(&s->iv, n);
	return array_reserve((void **)&s->elems, &s->elem_capacity,
			     s->elem_count, n, sizeof(*s->elems));
}

void set_trim(struct rs_set *s)
{
	if (set_packed(s))
		ivpack_trim(&s->iv);
}

int set_add_interval(struct rs_set *s, const uint8_t *low, const uint8_t *high)
{
	int err = set_packed(s) ? ivpack_add(&s->iv, low, high) : -EINVAL;

	if (!err)
		s->elem_count = s->iv.count;
	return err;
}

void set_iter_begin(struct rs_iter *it)
{
	it->index = 0;
	ivpack_begin(&it->pos);
}

bool set_iter_next(const struct rs_set *s, struct rs_iter *it,
		   struct rs_elem *e)
{
	if (it->index >= s->elem_count)
		return false;
	it->index++;
	if (!set_packed(s)) {
		*e = s->elems[it->index - 1];
		return true;
	}
	memset(e, 0, sizeof(*e));
	return ivpack_next(&s->iv, &it->pos, e->low, e->high);
}

int set_add_ifname(struct rs_set *s, const char *ifname,
		   enum rs_verdict v, const char *chain)
{
	struct rs_elem *e = set_new_elem(s);

	if (!e)
		return -ENOMEM;
	strncpy((char *)e->low, ifname, sizeof(e->low) - 1);
	e->verdict = v;
	if (chain) {
		e->chain = strdup(chain);
		if (!e->chain) {
			s->elem_count--;
			return -ENOMEM;
		}
	}
	return 0;
}

int set_add_mark(struct rs_set *s, uint32_t mark)
{
	struct rs_elem *e = set_new_elem(s);

	if (!e)
		return -ENOMEM;
	memcpy(e->low, &mark, sizeof(mark));
	return 0;
}

int set_add_range(struct rs_set *s, const uint8_t *low, const uint8_t *high,
		  enum rs_verdict v, const char *chain)
{
	size_t w = s->key == RS_KEY_IPV4 ? 4 : 16;
	struct rs_elem *e;

	if (!s->interval || !s->is_map || memcmp(low, high, w) > 0 ||
	    (s->elem_count &&
	     memcmp(s->elems[s->elem_count - 1].high, low, w) >= 0))
		return -EINVAL;
	e = set_new_elem(s);
	if (!e)
		return -ENOMEM;
	memcpy(e->low, low, w);
	memcpy(e->high, high, w);
	e->verdict = v;
	e->chain = chain ? strdup(chain) : NULL;
	if (chain && !e->chain) {
		s->elem_count--;
		return -ENOMEM;
	}
	return 0;
}

void ruleset_take_set(struct ruleset *rs, size_t i, struct rs_set *out)
{
	*out = rs->sets[i];
	memmove(&rs->sets[i], &rs->sets[i + 1],
		(rs->set_count - i - 1) * sizeof(*rs->sets));
	rs->set_count--;
	nameidx_free(&rs->set_idx);     /* the indexes moved */
}

int chain_take_rule(struct rs_chain *c, struct rs_rule *r)
{
	struct rs_rule *to = slot((void **)&c->rules, &c->rule_capacity,
				  c->rule_count, sizeof(*to));

	if (!to)
		return -ENOMEM;
	*to = *r;
	memset(r, 0, sizeof(*r));
	c->rule_count++;
	return 0;
}

/* Appends op to r.  owned: the string op owns (its name or prefix) or
 * NULL; the caller hands it over, so it is freed if op is not appended. */
static int rule_push(struct rs_rule *r, struct rs_op op, char *owned)
{
	struct rs_op *slot_op = slot((void **)&r->ops, &r->op_capacity,
				     r->op_count, sizeof(*slot_op));

	if (!slot_op) {
		free(owned);
		return -ENOMEM;
	}
	*slot_op = op;
	r->op_count++;
	return 0;
}

int rule_num(struct rs_rule *r, enum rs_op_kind kind, uint32_t num)
{
	return rule_push(r, (struct rs_op){ .kind = kind, .u.num = num },
			 NULL);
}

int rule_name(struct rs_rule *r, enum rs_op_kind kind, const char *name,
	      bool neg)
{
	struct rs_op op = { .kind = kind, .neg = neg, .u.name = strdup(name) };

	if (!op.u.name)
		return -ENOMEM;
	/* rule_push keeps the copy in r->ops or frees it (the analyzer loses
	 * track of it in the struct copy and calls it a leak) */
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	return rule_push(r, op, op.u.name);
}

int rule_dport(struct rs_rule *r, uint16_t low, uint16_t high)
{
	return rule_push(r, (struct rs_op){ .kind = RS_OP_DPORT,
					    .u.range = { low, high } }, NULL);
}

int rule_limit(struct rs_rule *r, uint32_t rate, uint32_t burst)
{
	return rule_push(r, (struct rs_op){ .kind = RS_OP_LIMIT,
					    .u.limit = { rate, burst } }, NULL);
}

int rule_log(struct rs_rule *r, uint16_t group, const char *prefix)
{
	struct rs_op op = { .kind = RS_OP_LOG,
			    .u.log = { group, strdup(prefix) } };

	if (!op.u.log.prefix)
		return -ENOMEM;
	/* rule_push keeps the copy in r->ops or frees it (the analyzer loses
	 * track of it in the struct copy and calls it a leak) */
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	return rule_push(r, op, op.u.log.prefix);
}

int rule_verdict(struct rs_rule *r, enum rs_verdict v, const char *target)
{
	r->verdict = v;
	if (!target)
		return 0;
	r->target = strdup(target);
	return r->target ? 0 : -ENOMEM;
}

int rule_op_copy(struct rs_rule *r, const struct rs_op *op)
{
	if (rs_op_has_name(op->kind))
		return rule_name(r, op->kind, op->u.name, op->neg);
	switch (op->kind) {
	case RS_OP_DPORT:
		return rule_dport(r, op->u.range.low, op->u.range.high);
	case RS_OP_LIMIT:
		return rule_limit(r, op->u.limit.rate, op->u.limit.burst);
	case RS_OP_LOG:
		return rule_log(r, op->u.log.group, op->u.log.prefix);
	default:
		return rule_num(r, op->kind, op->u.num);
	}
}

static const char *set_name(const void *items, size_t i)
{
	return ((const struct rs_set *)items)[i].name;
}

const struct rs_set *ruleset_find_set(const struct ruleset *rs,
				      const char *name)
{
	/* the index is a cache: finding does not change the ruleset */
	int i = nameidx_find((struct nameidx *)&rs->set_idx, rs->sets,
			     rs->set_count, set_name, name);

	return i < 0 ? NULL : &rs->sets[i];
}

const struct rs_chain *ruleset_find_chain(const struct ruleset *rs,
					  const char *name)
{
	for (size_t i = 0; i < rs->chain_count; i++)
		if (!strcmp(rs->chains[i].name, name))
			return &rs->chains[i];
	return NULL;
}

size_t ruleset_element_count(const struct ruleset *rs)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->set_count; i++)
		n += rs->sets[i].elem_count;
	return n;
}
