/* ruleset_equal.c - are two compiled rulesets the same table?  Pure.
 *
 * Used by the daemon to tell an unchanged reload from a change: the new
 * compiled ruleset is compared with the one that was last verified in the
 * kernel (never with a read of the kernel); and a change of the same shape
 * (only rules and set elements differ), which kernel/nft_update.c
 * programs by its difference, from one that needs a full apply.  Origins (file:line, for error
 * messages) and the compile time are not part of the table and are left
 * out. */
#include <string.h>

#include "ruleset.h"

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

typedef bool item_eq(const void *a, const void *b);

/* Are the n items of size sz at a and b pairwise equal by eq? */
static bool all_eq(const void *a, const void *b, size_t n, size_t sz,
		   item_eq *eq)
{
	for (size_t i = 0; i < n; i++)
		if (!eq((const char *)a + i * sz, (const char *)b + i * sz))
			return false;
	return true;
}

int ruleset_elem_cmp(const void *pa, const void *pb)
{
	const struct rs_elem *a = pa, *b = pb;
	int c = memcmp(a->low, b->low, sizeof(a->low));

	c = c ?: memcmp(a->high, b->high, sizeof(a->high));
	c = c ?: (a->verdict > b->verdict) - (a->verdict < b->verdict);
	if (c || !a->chain || !b->chain)   /* no chain before any chain */
		return c ?: (a->chain != NULL) - (b->chain != NULL);
	return strcmp(a->chain, b->chain);
}

static bool elem_eq(const void *pa, const void *pb)
{
	return ruleset_elem_cmp(pa, pb) == 0;
}

static bool set_eq(const void *pa, const void *pb)
{
	const struct rs_set *a = pa, *b = pb;

	return str_eq(a->name, b->name) && a->key == b->key &&
	       a->interval == b->interval && a->is_map == b->is_map &&
	       a->elem_count == b->elem_count &&
	       (set_packed(a) ? ivpack_equal(&a->iv, &b->iv) :
		all_eq(a->elems, b->elems, a->elem_count, sizeof(*a->elems),
		       elem_eq));
}

static bool op_eq(const void *pa, const void *pb)
{
	const struct rs_op *a = pa, *b = pb;

	if (a->kind != b->kind || a->neg != b->neg)
		return false;
	switch (a->kind) {
	case RS_OP_IIFNAME_EQ: case RS_OP_SADDR_SET: case RS_OP_DADDR_SET:
	case RS_OP_CT_MARK_SET_IN: case RS_OP_IIFNAME_VMAP:
	case RS_OP_OIFNAME_VMAP: case RS_OP_COUNTER:
	case RS_OP_SADDR_VMAP: case RS_OP_DADDR_VMAP:
		return str_eq(a->u.name, b->u.name);
	case RS_OP_DPORT:
		return a->u.range.low == b->u.range.low &&
		       a->u.range.high == b->u.range.high;
	case RS_OP_LIMIT:
		return a->u.limit.rate == b->u.limit.rate &&
		       a->u.limit.burst == b->u.limit.burst;
	case RS_OP_LOG:
		return a->u.log.group == b->u.log.group &&
		       str_eq(a->u.log.prefix, b->u.log.prefix);
	default:
		return a->u.num == b->u.num;
	}
}

static bool rule_eq(const void *pa, const void *pb)
{
	const struct rs_rule *a = pa, *b = pb;

	return a->op_count == b->op_count && a->verdict == b->verdict &&
	       str_eq(a->target, b->target) &&
	       all_eq(a->ops, b->ops, a->op_count, sizeof(*a->ops), op_eq);
}

static bool chain_eq(const void *pa, const void *pb)
{
	const struct rs_chain *a = pa, *b = pb;

	return str_eq(a->name, b->name) && a->hook == b->hook &&
	       a->priority == b->priority && a->rule_count == b->rule_count &&
	       all_eq(a->rules, b->rules, a->rule_count, sizeof(*a->rules),
		      rule_eq);
}

bool ruleset_chain_equal(const struct rs_chain *a, const struct rs_chain *b)
{
	return chain_eq(a, b);
}

static bool obj_eq(const void *pa, const void *pb)
{
	const struct rs_obj *a = pa, *b = pb;

	return str_eq(a->name, b->name) && a->type == b->type;
}

bool ruleset_set_equal(const struct rs_set *a, const struct rs_set *b)
{
	return set_eq(a, b);
}

static bool set_decl_eq(const void *pa, const void *pb)
{
	const struct rs_set *a = pa, *b = pb;

	return str_eq(a->name, b->name) && a->key == b->key &&
	       a->interval == b->interval && a->is_map == b->is_map;
}

static bool chain_decl_eq(const void *pa, const void *pb)
{
	const struct rs_chain *a = pa, *b = pb;

	return str_eq(a->name, b->name) && a->hook == b->hook &&
	       a->priority == b->priority;
}

bool ruleset_same_shape(const struct ruleset *a, const struct ruleset *b)
{
	return str_eq(a->table, b->table) && a->ownership == b->ownership &&
	       a->owned_while_running == b->owned_while_running &&
	       a->obj_count == b->obj_count && a->set_count == b->set_count &&
	       a->chain_count == b->chain_count &&
	       all_eq(a->objs, b->objs, a->obj_count, sizeof(*a->objs),
		      obj_eq) &&
	       all_eq(a->sets, b->sets, a->set_count, sizeof(*a->sets),
		      set_decl_eq) &&
	       all_eq(a->chains, b->chains, a->chain_count,
		      sizeof(*a->chains), chain_decl_eq);
}

bool ruleset_equal(const struct ruleset *a, const struct ruleset *b)
{
	return ruleset_same_shape(a, b) &&
	       all_eq(a->sets, b->sets, a->set_count, sizeof(*a->sets),
		      set_eq) &&
	       all_eq(a->chains, b->chains, a->chain_count,
		      sizeof(*a->chains), chain_eq);
}
