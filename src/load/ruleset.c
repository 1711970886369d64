/* ruleset.c - building and freeing the compiled ruleset (plain data). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "ruleset.h"

/* Grows *items (of size sz) so that one more fits. */
static int grow(void **items, size_t *capacity, size_t count, size_t sz)
{
	return array_grow(items, capacity, count, sz, 8);
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

void ruleset_init(struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

static void op_free(struct rs_op *op)
{
	switch (op->kind) {
	case RS_OP_IIFNAME_EQ:
	case RS_OP_SADDR_SET:
	case RS_OP_DADDR_SET:
	case RS_OP_CT_MARK_SET_IN:
	case RS_OP_IIFNAME_VMAP:
	case RS_OP_OIFNAME_VMAP:
	case RS_OP_COUNTER:
		free(op->u.name);
		break;
	case RS_OP_LOG:
		free(op->u.log.prefix);
		break;
	default:
		break;
	}
}

static void chain_free(struct rs_chain *c)
{
	for (size_t i = 0; i < c->rule_count; i++) {
		struct rs_rule *r = &c->rules[i];

		for (size_t j = 0; j < r->op_count; j++)
			op_free(&r->ops[j]);
		free(r->ops);
		free(r->target);
		free((char *)r->origin.what);
	}
	free(c->rules);
	free(c->name);
	free((char *)c->origin.what);
}

static void set_free(struct rs_set *s)
{
	for (size_t i = 0; i < s->elem_count; i++)
		free(s->elems[i].chain);
	free(s->elems);
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
	struct rs_obj *obj;

	if (grow((void **)&rs->objs, &rs->obj_capacity, rs->obj_count,
		 sizeof(*obj)))
		return NULL;
	obj = &rs->objs[rs->obj_count];
	memset(obj, 0, sizeof(*obj));
	obj->type = RS_OBJ_COUNTER;
	obj->name = strdup(name);
	if (!obj->name || origin_copy(&obj->origin, o)) {
		free(obj->name);
		return NULL;
	}
	rs->obj_count++;
	return obj;
}

struct rs_set *ruleset_add_set(struct ruleset *rs, const char *name,
			       enum rs_key key, bool is_map,
			       const struct rs_origin *o)
{
	struct rs_set *s;

	if (grow((void **)&rs->sets, &rs->set_capacity, rs->set_count,
		 sizeof(*s)))
		return NULL;
	s = &rs->sets[rs->set_count];
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->is_map = is_map;
	s->interval = key == RS_KEY_IPV4 || key == RS_KEY_IPV6;
	s->name = strdup(name);
	if (!s->name || origin_copy(&s->origin, o)) {
		free(s->name);
		return NULL;
	}
	rs->set_count++;
	return s;
}

struct rs_chain *ruleset_add_chain(struct ruleset *rs, const char *name,
				   enum rs_hook hook, const struct rs_origin *o)
{
	struct rs_chain *c;

	if (grow((void **)&rs->chains, &rs->chain_capacity, rs->chain_count,
		 sizeof(*c)))
		return NULL;
	c = &rs->chains[rs->chain_count];
	memset(c, 0, sizeof(*c));
	c->hook = hook;
	c->name = strdup(name);
	if (!c->name || origin_copy(&c->origin, o)) {
		free(c->name);
		return NULL;
	}
	rs->chain_count++;
	return c;
}

struct rs_rule *chain_add_rule(struct rs_chain *c, const struct rs_origin *o)
{
	struct rs_rule *r;

	if (grow((void **)&c->rules, &c->rule_capacity, c->rule_count,
		 sizeof(*r)))
		return NULL;
	r = &c->rules[c->rule_count];
	memset(r, 0, sizeof(*r));
	if (origin_copy(&r->origin, o))
		return NULL;
	c->rule_count++;
	return r;
}

static struct rs_elem *set_new_elem(struct rs_set *s)
{
	struct rs_elem *e;

	if (grow((void **)&s->elems, &s->elem_capacity, s->elem_count,
		 sizeof(*e)))
		return NULL;
	e = &s->elems[s->elem_count++];
	memset(e, 0, sizeof(*e));
	return e;
}

int set_reserve(struct rs_set *s, size_t n)
{
	return array_reserve((void **)&s->elems, &s->elem_capacity,
			     s->elem_count, n, sizeof(*s->elems));
}

int set_add_interval(struct rs_set *s, const uint8_t *low, const uint8_t *high)
{
	size_t len = s->key == RS_KEY_IPV4 ? 4 : 16;
	struct rs_elem *e = set_new_elem(s);

	if (!e)
		return -ENOMEM;
	memcpy(e->low, low, len);
	memcpy(e->high, high, len);
	return 0;
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

static struct rs_op *rule_new_op(struct rs_rule *r, enum rs_op_kind kind)
{
	struct rs_op *op;

	if (grow((void **)&r->ops, &r->op_capacity, r->op_count, sizeof(*op)))
		return NULL;
	op = &r->ops[r->op_count++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

int rule_num(struct rs_rule *r, enum rs_op_kind kind, uint32_t num)
{
	struct rs_op *op = rule_new_op(r, kind);

	if (!op)
		return -ENOMEM;
	op->u.num = num;
	return 0;
}

int rule_name(struct rs_rule *r, enum rs_op_kind kind, const char *name,
	      bool neg)
{
	char *copy = strdup(name);
	struct rs_op *op;

	if (!copy)
		return -ENOMEM;
	op = rule_new_op(r, kind);
	if (!op) {
		free(copy);
		return -ENOMEM;
	}
	op->u.name = copy;
	op->neg = neg;
	return 0;
}

int rule_dport(struct rs_rule *r, uint16_t low, uint16_t high)
{
	struct rs_op *op = rule_new_op(r, RS_OP_DPORT);

	if (!op)
		return -ENOMEM;
	op->u.range.low = low;
	op->u.range.high = high;
	return 0;
}

int rule_limit(struct rs_rule *r, uint32_t rate, uint32_t burst)
{
	struct rs_op *op = rule_new_op(r, RS_OP_LIMIT);

	if (!op)
		return -ENOMEM;
	op->u.limit.rate = rate;
	op->u.limit.burst = burst;
	return 0;
}

int rule_log(struct rs_rule *r, uint16_t group, const char *prefix)
{
	char *copy = strdup(prefix);
	struct rs_op *op;

	if (!copy)
		return -ENOMEM;
	op = rule_new_op(r, RS_OP_LOG);
	if (!op) {
		free(copy);
		return -ENOMEM;
	}
	op->u.log.group = group;
	op->u.log.prefix = copy;
	return 0;
}

int rule_verdict(struct rs_rule *r, enum rs_verdict v, const char *target)
{
	r->verdict = v;
	if (!target)
		return 0;
	r->target = strdup(target);
	return r->target ? 0 : -ENOMEM;
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
