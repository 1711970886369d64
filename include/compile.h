/* compile.h - shared by compile.c (sets, counters, maps) and
 * compile_chains.c (chains and rules).  Internal to the compiler. */
#ifndef SEGMENTD_COMPILE_H
#define SEGMENTD_COMPILE_H

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "model.h"
#include "ruleset.h"

#define CT_INVALID     NF_CT_STATE_INVALID_BIT
#define CT_NEW         NF_CT_STATE_BIT(IP_CT_NEW)
#define CT_ESTABLISHED NF_CT_STATE_BIT(IP_CT_ESTABLISHED)
#define CT_RELATED     NF_CT_STATE_BIT(IP_CT_RELATED)

/* An ordered pair of zones (indexes) that has a chain: an active flow
 * from a to b (either direction of a bidirectional one) or a == b with
 * intra = "accept".  Every other pair shares in_A's tail (denied_drop). */
struct zone_pair {
	size_t a, b;
};

/* With settings.any_zone = "negated", the "any" zone is matched as "in no
 * other zone's set" (a negated lookup of each) while at most this many
 * other zones have addresses in the family; above, by a set of its own
 * (the complement of theirs), so that a packet costs at most this many
 * lookups more. */
#define ANY_NEGATED_MAX 4

struct compiler {
	const struct model *m;
	const struct zone_nets *zn;   /* m's networks, sorted and merged */
	struct ruleset *rs;
	/* per family (0 IPv4, 1 IPv6): the any zone has no set, its
	 * addresses are those in no other zone's set (compile_any_plan):
	 * the kernel holds each address once, not twice */
	bool any_negated[2];
	time_t now;
	struct zone_pair *pairs;   /* sorted by (a, b), unique */
	size_t pair_count;
	char name[RS_NAME_MAX * 2];
	char what[160];
};

/* Formats a generated object name into c->name (valid until the next call). */
__attribute__((format(printf, 2, 3)))
static inline const char *nm(struct compiler *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->name, sizeof(c->name), fmt, ap);
	va_end(ap);
	return c->name;
}

/* An origin whose text lives in c->what (copied by the ruleset builders). */
static inline struct rs_origin origin_of(struct compiler *c, const char *kind,
					 const char *name,
					 const struct origin *o)
{
	struct rs_origin r = { .what = c->what, .file = o->file,
			       .line = o->line };

	snprintf(c->what, sizeof(c->what), "%s '%s'", kind, name);
	return r;
}

void endpoint_set_name(const struct model *m, const struct endpoint *e,
		       int family, char *buf, size_t len);
int compile_chains(struct compiler *c);
/* Is zone z the any zone matched by negation in family? */
static inline bool compile_any_negated(const struct compiler *c, size_t z,
				       int family)
{
	return c->m->zones[z].any && c->any_negated[family == AF_INET6];
}
/* An address set of one family from l (nothing when l is empty). */
int compile_address_set(struct compiler *c, const char *name, int family,
			const struct interval_list *l,
			const struct rs_origin *o);
/* The prefixes of v in family, as a normalized list (initialised here). */
int compile_cidr_list(const struct cidr *v, size_t n, int family,
		      struct interval_list *out);
/* compile_ha.c: the ha group's address sets, and its input rules (VRRP
 * and the sync link's UDP ports) appended to the main input chain. */
int compile_ha_sets(struct compiler *c);
int compile_ha_input(struct compiler *c, struct rs_chain *ch);
/* Fills c->pairs (see struct zone_pair): O(flows log flows). */
int compile_pairs(struct compiler *c);
/* The conntrack mark of connections to the gateway itself that the main
 * table admitted (management, unzoned input): the guard table's input
 * admits them too. */
uint32_t compile_gateway_mark(void);
/* The start of an input chain, main or guard: loopback, established and
 * related connections, IPv6 neighbour discovery (hop limit 255). */
int compile_input_base(struct rs_chain *ch, const struct rs_origin *o);

#endif
