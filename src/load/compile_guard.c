/* compile_guard.c - the guard table: enforcement that survives the loss of
 * the main table (kernels without table persistence, `nft flush ruleset`,
 * anyone deleting it while ownership is off).
 *
 * Its base chains hook after the main table's (priority filter + 10) with
 * policy drop, and accept only what the main table let through: forwarded
 * packets whose connection carries the conntrack mark of a live flow (the
 * main table marks a flow's connection as it accepts its first packet),
 * and to the gateway itself loopback, established connections, IPv6
 * neighbour discovery and connections marked by the main table's
 * management rules.  While the main table is there the guard drops nothing
 * (its counter stays 0); when it is gone, nothing new is forwarded and the
 * allowed connections go on, until the watchdog puts the main table back.
 * Deleting the guard costs nothing: the main table enforces alone.
 */
#include <netinet/in.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

#define GUARD_PRIORITY 10

static struct rs_rule *guard_rule(struct rs_chain *ch)
{
	struct rs_origin o = { .what = (char *)"guard table" };

	return chain_add_rule(ch, &o);
}

static int accept_marked(struct rs_chain *ch, const char *set)
{
	struct rs_rule *r = guard_rule(ch);
	int err;

	if (!r)
		return -ENOMEM;
	err = rule_name(r, RS_OP_CT_MARK_SET_IN, set, false);
	return err ?: rule_verdict(r, RS_VERDICT_ACCEPT, NULL);
}

static int drop_counted(struct rs_chain *ch)
{
	struct rs_rule *r = guard_rule(ch);
	int err;

	if (!r)
		return -ENOMEM;
	err = rule_name(r, RS_OP_COUNTER, "guard_drop", false);
	return err ?: rule_verdict(r, RS_VERDICT_DROP, NULL);
}

static int guard_input(struct rs_chain *ch)
{
	struct rs_origin o = { .what = (char *)"guard table" };
	int err = compile_input_base(ch, &o);

	err = err ?: accept_marked(ch, "gateway_marks");
	return err ?: drop_counted(ch);
}

/* The live flows' marks: the main table's own set, copied. */
static int guard_sets(const struct ruleset *main, struct ruleset *g)
{
	struct rs_origin o = { .what = (char *)"guard table" };
	const struct rs_set *live = ruleset_find_set(main, "flow_marks");
	struct rs_set *s = ruleset_add_set(g, "flow_marks", RS_KEY_MARK,
					   false, &o);

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; live && i < live->elem_count; i++) {
		uint32_t mark;

		memcpy(&mark, live->elems[i].low, sizeof(mark));
		if (set_add_mark(s, mark))
			return -ENOMEM;
	}
	s = ruleset_add_set(g, "gateway_marks", RS_KEY_MARK, false, &o);
	return s && !set_add_mark(s, compile_gateway_mark()) ? 0 : -ENOMEM;
}

void ruleset_guard_name(const char *table, char *buf, size_t len)
{
	snprintf(buf, len, "%s-guard", table);
}

int ruleset_compile_guard(const struct ruleset *main, struct ruleset *g)
{
	struct rs_origin o = { .what = (char *)"guard table" };
	struct rs_chain *fwd, *in;
	char name[RS_NAME_MAX + 8];
	int err;

	ruleset_init(g);
	ruleset_guard_name(main->table, name, sizeof(name));
	g->table = strdup(name);
	g->ownership = main->ownership;
	g->owned_while_running = true;
	g->compiled_at = main->compiled_at;
	if (!g->table || !ruleset_add_counter(g, "guard_drop", &o))
		goto nomem;
	err = guard_sets(main, g);
	fwd = err ? NULL : ruleset_add_chain(g, "forward", RS_HOOK_FORWARD, &o);
	in = fwd ? ruleset_add_chain(g, "input", RS_HOOK_INPUT, &o) : NULL;
	if (!in)
		goto nomem;
	fwd = &g->chains[g->chain_count - 2];   /* the add may have moved it */
	fwd->priority = GUARD_PRIORITY;
	in->priority = GUARD_PRIORITY;
	err = accept_marked(fwd, "flow_marks");
	err = err ?: drop_counted(fwd);
	err = err ?: guard_input(in);
	if (err)
		goto nomem;
	return 0;
nomem:
	ruleset_free(g);
	return -ENOMEM;
}
