/* ruleset_equal.c - are two compiled rulesets the same table?  Pure.
 *
 * Used by the daemon to tell an unchanged reload from a change: the new
 * compiled ruleset is compared with the one that was last verified in the
 * kernel (never with a read of the kernel).  Origins (file:line, for error
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

static bool elem_eq(const struct rs_elem *a, const struct rs_elem *b)
{
	return !memcmp(a->low, b->low, sizeof(a->low)) &&
	       !memcmp(a->high, b->high, sizeof(a->high)) &&
	       a->verdict == b->verdict && str_eq(a->chain, b->chain);
}

static bool set_eq(const struct rs_set *a, const struct rs_set *b)
{
	if (!str_eq(a->name, b->name) || a->key != b->key ||
	    a->interval != b->interval || a->is_map != b->is_map ||
	    a->elem_count != b->elem_count)
		return false;
	for (size_t i = 0; i < a->elem_count; i++)
		if (!elem_eq(&a->elems[i], &b->elems[i]))
			return false;
	return true;
}

static bool op_eq(const struct rs_op *a, const struct rs_op *b)
{
	if (a->kind != b->kind || a->neg != b->neg)
		return false;
	switch (a->kind) {
	case RS_OP_IIFNAME_EQ: case RS_OP_SADDR_SET: case RS_OP_DADDR_SET:
	case RS_OP_CT_MARK_SET_IN: case RS_OP_IIFNAME_VMAP:
	case RS_OP_OIFNAME_VMAP: case RS_OP_COUNTER:
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

static bool rule_eq(const struct rs_rule *a, const struct rs_rule *b)
{
	if (a->op_count != b->op_count || a->verdict != b->verdict ||
	    !str_eq(a->target, b->target))
		return false;
	for (size_t i = 0; i < a->op_count; i++)
		if (!op_eq(&a->ops[i], &b->ops[i]))
			return false;
	return true;
}

bool ruleset_chain_equal(const struct rs_chain *a, const struct rs_chain *b)
{
	if (!str_eq(a->name, b->name) || a->hook != b->hook ||
	    a->priority != b->priority || a->rule_count != b->rule_count)
		return false;
	for (size_t i = 0; i < a->rule_count; i++)
		if (!rule_eq(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

bool ruleset_equal(const struct ruleset *a, const struct ruleset *b)
{
	if (!str_eq(a->table, b->table) || a->ownership != b->ownership ||
	    a->obj_count != b->obj_count || a->set_count != b->set_count ||
	    a->chain_count != b->chain_count)
		return false;
	for (size_t i = 0; i < a->obj_count; i++)
		if (!str_eq(a->objs[i].name, b->objs[i].name) ||
		    a->objs[i].type != b->objs[i].type)
			return false;
	for (size_t i = 0; i < a->set_count; i++)
		if (!set_eq(&a->sets[i], &b->sets[i]))
			return false;
	for (size_t i = 0; i < a->chain_count; i++)
		if (!ruleset_chain_equal(&a->chains[i], &b->chains[i]))
			return false;
	return true;
}
