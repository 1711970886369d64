/* ctaudit.c - conntrack entries against the compiled ruleset (ctaudit.h). */
#include "ctaudit.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "compile.h"

static bool set_has_mark(const struct rs_set *s, uint32_t mark)
{
	for (size_t i = 0; s && i < s->elem_count; i++) {
		uint32_t m;

		memcpy(&m, s->elems[i].low, sizeof(m));
		if (m == mark)
			return true;
	}
	return false;
}

bool ctaudit_mark_live(const struct ruleset *rs, uint32_t mark)
{
	return set_has_mark(ruleset_find_set(rs, "flow_marks"), mark);
}

int ctaudit_marks_removed(const struct ruleset *old, const struct ruleset *new,
			  uint32_t **out)
{
	const struct rs_set *was = ruleset_find_set(old, "flow_marks");
	const struct rs_set *now = ruleset_find_set(new, "flow_marks");
	size_t n = 0;

	*out = NULL;
	if (!was || !was->elem_count)
		return 0;
	*out = calloc(was->elem_count, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < was->elem_count; i++) {
		uint32_t m;

		memcpy(&m, was->elems[i].low, sizeof(m));
		if (!set_has_mark(now, m))
			(*out)[n++] = m;
	}
	if (!n) {
		free(*out);
		*out = NULL;
	}
	return (int)n;
}

/* Whether addr (of the entry's family) is in the set; false when the set
 * is of the other family or missing. */
static bool set_has_addr(const struct rs_set *s, const struct ct_entry *e,
			 const uint8_t *addr)
{
	size_t len = e->family == AF_INET ? 4 : 16;
	struct rs_iter it;
	struct rs_elem iv;

	if (!s || s->key != (e->family == AF_INET ? RS_KEY_IPV4 : RS_KEY_IPV6))
		return false;
	set_iter_begin(&it);
	while (set_iter_next(s, &it, &iv))    /* ascending */
		if (memcmp(addr, iv.high, len) <= 0)
			return memcmp(addr, iv.low, len) >= 0;
	return false;
}

/* Why op does not admit e, or NULL when it does (or says nothing about
 * the original tuple: states, counters, interfaces). */
static const char *op_refuses(const struct ruleset *rs, const struct rs_op *op,
			      const struct ct_entry *e)
{
	bool in;

	switch (op->kind) {
	case RS_OP_NFPROTO:
		return op->u.num == e->family ? NULL : "address family";
	case RS_OP_SADDR_SET:
		in = set_has_addr(ruleset_find_set(rs, op->u.name), e, e->src);
		return in != op->neg ? NULL
				     : "source not in the flow's from-networks";
	case RS_OP_DADDR_SET:
		in = set_has_addr(ruleset_find_set(rs, op->u.name), e, e->dst);
		return in != op->neg ? NULL
				     : "destination not in the flow's to-networks";
	case RS_OP_L4PROTO:
		return op->u.num == e->proto ? NULL : "protocol not the service's";
	case RS_OP_DPORT:
		return e->has_ports && e->dport >= op->u.range.low &&
		       e->dport <= op->u.range.high
		       ? NULL : "destination port not the service's";
	case RS_OP_ICMP_TYPE:
		return e->has_icmp && e->icmp_type == op->u.num
		       ? NULL : "ICMP type not the service's";
	default:
		return NULL;
	}
}

static bool assigns(const struct rs_rule *r, uint32_t mark)
{
	for (size_t i = 0; i < r->op_count; i++)
		if (r->ops[i].kind == RS_OP_CT_MARK_ASSIGN &&
		    r->ops[i].u.num == mark)
			return true;
	return false;
}

/* How many ops of r admit e before the first that refuses (*why). */
static size_t rule_reach(const struct ruleset *rs, const struct rs_rule *r,
			 const struct ct_entry *e, const char **why)
{
	size_t i;

	*why = NULL;
	for (i = 0; i < r->op_count; i++)
		if ((*why = op_refuses(rs, &r->ops[i], e)))
			break;
	return i;
}

int ctaudit_check(const struct ruleset *rs, const struct ct_entry *e,
		  struct ctaudit_verdict *v)
{
	size_t best = 0;
	bool any = false;

	v->flow = NULL;
	v->why = "its mark names no enforced flow (stale or forged)";
	if (!(e->mark & CT_MARK_SPACE) || e->mark == compile_gateway_mark())
		return 0;
	for (size_t c = 0; c < rs->chain_count; c++) {
		const struct rs_chain *ch = &rs->chains[c];

		for (size_t i = 0; i < ch->rule_count; i++) {
			const struct rs_rule *r = &ch->rules[i];
			const char *why;
			size_t reach;

			if (!assigns(r, e->mark))
				continue;
			reach = rule_reach(rs, r, e, &why);
			if (!why)
				return 0;
			if (!any || reach > best) {
				v->flow = r->origin.what;
				v->why = why;
				best = reach;
			}
			any = true;
		}
	}
	return 1;
}
