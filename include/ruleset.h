/* ruleset.h - the compiled ruleset: one nftables table as plain data.
 *
 * compile.c builds it from a model, render.c prints it as nft text, nft.c
 * turns it into one libnftnl batch, dump.c reads the kernel back into the
 * same shape.  Rules are short sequences of ops from a deliberately small
 * vocabulary (enum rs_op_kind): everything segmentd needs, nothing more.
 */
#ifndef SEGMENTD_RULESET_H
#define SEGMENTD_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "ivpack.h"
#include "nameidx.h"

#define RS_NAME_MAX 64

enum rs_key {
	RS_KEY_IPV4,     /* ipv4_addr, interval */
	RS_KEY_IPV6,     /* ipv6_addr, interval */
	RS_KEY_IFNAME,   /* ifname */
	RS_KEY_MARK,     /* mark */
	RS_KEY_MAX
};

enum rs_verdict {
	RS_VERDICT_NONE,     /* no verdict: the rule falls through */
	RS_VERDICT_ACCEPT,
	RS_VERDICT_DROP,
	RS_VERDICT_JUMP,
	RS_VERDICT_GOTO,
	RS_VERDICT_MAX
};

/* Where an object came from in the config, for attributing kernel errors. */
struct rs_origin {
	const char *what;    /* "flow 'mail-in'", "zone 'lgwan'", ... (owned) */
	const char *file;    /* not owned (model files) */
	int line;
};

struct rs_elem {
	uint8_t low[16];     /* IPv4/6: first address (network order);
			      * ifname: NUL-padded name; mark: host-order u32 */
	uint8_t high[16];    /* IPv4/6: last address, inclusive */
	enum rs_verdict verdict;   /* maps only: JUMP or GOTO */
	char *chain;         /* maps only: target chain (owned) */
};

/* An address set (interval) keeps its elements packed in iv, sorted and
 * disjoint (the daemon keeps 400k of them at 100k networks); the others
 * (interface names, marks, maps: a few each) in elems.  Read both with
 * set_iter_next(). */
struct rs_set {
	char *name;
	enum rs_key key;
	bool interval;       /* true for address sets */
	bool is_map;         /* verdict map (data = verdict); an interval
			      * one (compile_shard.c) keeps its ranges in
			      * elems, low..high each */
	struct rs_elem *elems;     /* !set_packed() */
	struct ivpack iv;          /* set_packed() */
	size_t elem_count, elem_capacity;
	struct rs_origin origin;
};

/* A read of a set's elements in order. */
struct rs_iter {
	size_t index;
	struct ivpack_pos pos;
};

enum rs_op_kind {
	RS_OP_NFPROTO,        /* u.num: NFPROTO_IPV4 / NFPROTO_IPV6 */
	RS_OP_IIFNAME_EQ,     /* u.name: iifname "lo" */
	RS_OP_SADDR_SET,      /* u.name: set; family from the set's key; neg ok */
	RS_OP_DADDR_SET,      /* u.name: set; neg ok */
	RS_OP_L4PROTO,        /* u.num: IPPROTO_TCP/UDP/ICMP/ICMPV6 */
	RS_OP_DPORT,          /* u.range: low..high (needs L4PROTO tcp/udp) */
	RS_OP_ICMP_TYPE,      /* u.num (needs L4PROTO icmp or icmpv6) */
	RS_OP_HOPLIMIT_EQ,    /* u.num: ip6 hoplimit */
	RS_OP_TTL_EQ,         /* u.num: ip ttl */
	RS_OP_CT_STATE,       /* u.num: NF_CT_STATE_BIT(...) mask, any of */
	RS_OP_CT_MARK_SET_IN, /* u.name: ct mark @set */
	RS_OP_IIFNAME_VMAP,   /* u.name: iifname vmap @map (ends the rule) */
	RS_OP_OIFNAME_VMAP,   /* u.name: oifname vmap @map (ends the rule) */
	RS_OP_LIMIT,          /* u.limit: rate/second, burst packets */
	RS_OP_COUNTER,        /* u.name: named counter object */
	RS_OP_LOG,            /* u.log: NFLOG group + prefix */
	RS_OP_CT_MARK_ASSIGN, /* u.num: ct mark set VALUE */
	RS_OP_SADDR_VMAP,     /* u.name: ip/ip6 saddr vmap @map (interval map;
			       * family from its key; ends the rule) */
	RS_OP_DADDR_VMAP,     /* u.name: ip/ip6 daddr vmap @map */
	RS_OP_KIND_MAX
};

struct rs_op {
	enum rs_op_kind kind;
	bool neg;                 /* SADDR_SET / DADDR_SET: != */
	union {
		uint32_t num;
		char *name;           /* owned */
		struct { uint16_t low, high; } range;
		struct { uint32_t rate, burst; } limit;
		struct { uint16_t group; char *prefix; } log;  /* prefix owned */
	} u;
};

struct rs_rule {
	struct rs_op *ops;
	size_t op_count, op_capacity;
	enum rs_verdict verdict;
	char *target;             /* JUMP/GOTO chain (owned) */
	struct rs_origin origin;
};

enum rs_hook { RS_HOOK_NONE, RS_HOOK_INPUT, RS_HOOK_FORWARD, RS_HOOK_MAX };

struct rs_chain {
	char *name;
	enum rs_hook hook;        /* NONE: regular chain */
	int priority;             /* base chains: 0 (filter) */
	struct rs_rule *rules;    /* base chains always have policy drop */
	size_t rule_count, rule_capacity;
	struct rs_origin origin;
};

enum rs_obj_type { RS_OBJ_COUNTER, RS_OBJ_TYPE_MAX };

struct rs_obj {
	char *name;
	enum rs_obj_type type;
	struct rs_origin origin;
};

struct ruleset {
	char *table;              /* family is always inet */
	bool ownership;           /* request OWNER|PERSIST */
	/* without PERSIST (kernels before 6.9) or with ownership off: OWNER
	 * alone, so the table lives as long as the daemon and no one else
	 * can delete it (a running daemon's guard table: the main table
	 * stays when it goes) */
	bool owned_while_running;
	time_t compiled_at;       /* flows that expired by then are left out */
	struct rs_obj *objs;
	size_t obj_count, obj_capacity;
	struct rs_set *sets;
	size_t set_count, set_capacity;
	struct rs_chain *chains;  /* regular chains first, base chains last */
	size_t chain_count, chain_capacity;
	/* ruleset_find_set's index of the set names: a cache that lookups
	 * on a const ruleset update too (moved with the struct, never
	 * shared by two copies) */
	struct nameidx set_idx;
};

void ruleset_init(struct ruleset *rs);
void ruleset_free(struct ruleset *rs);

/* An address set whose elements are packed in iv (not an interval map). */
static inline bool set_packed(const struct rs_set *s)
{
	return s->interval && !s->is_map;
}

/* Builders: return a pointer into rs (valid until the next add of the same
 * kind) or NULL on ENOMEM.  Names are copied. */
struct rs_obj *ruleset_add_counter(struct ruleset *rs, const char *name,
				   const struct rs_origin *o);
struct rs_set *ruleset_add_set(struct ruleset *rs, const char *name,
			       enum rs_key key, bool is_map,
			       const struct rs_origin *o);
struct rs_chain *ruleset_add_chain(struct ruleset *rs, const char *name,
				   enum rs_hook hook, const struct rs_origin *o);
struct rs_rule *chain_add_rule(struct rs_chain *c, const struct rs_origin *o);
/* Address intervals in ascending order, disjoint: -EINVAL otherwise. */
int set_add_interval(struct rs_set *s, const uint8_t *low, const uint8_t *high);
/* Room for n more elements (one allocation); -ENOMEM. */
int set_reserve(struct rs_set *s, size_t n);
/* Gives back what set_reserve() took and was not used. */
void set_trim(struct rs_set *s);
void set_iter_begin(struct rs_iter *it);
/* The next element of s into *e (its chain, if any, is the set's); false
 * after the last. */
bool set_iter_next(const struct rs_set *s, struct rs_iter *it,
		   struct rs_elem *e);
int set_add_ifname(struct rs_set *s, const char *ifname,
		   enum rs_verdict v, const char *chain);
int set_add_mark(struct rs_set *s, uint32_t mark);
/* An interval map's range low..high -> verdict chain, after the last one
 * (ascending, disjoint): -EINVAL otherwise. */
int set_add_range(struct rs_set *s, const uint8_t *low, const uint8_t *high,
		  enum rs_verdict v, const char *chain);

/* Moving objects out of and into a ruleset (compile_shard.c): set i
 * moved to *out (the others move down); a rule moved to the end of c (*r
 * is left empty).  Return 0 or -ENOMEM; rule_free and set_free free what
 * was moved out. */
void ruleset_take_set(struct ruleset *rs, size_t i, struct rs_set *out);
int chain_take_rule(struct rs_chain *c, struct rs_rule *r);
void rule_free(struct rs_rule *r);
void set_free(struct rs_set *s);

/* Whether ops of this kind hold u.name (a set, interface, chain map or
 * counter). */
bool rs_op_has_name(enum rs_op_kind kind);

/* Rule ops, appended in order.  Return 0 or -ENOMEM. */
int rule_num(struct rs_rule *r, enum rs_op_kind kind, uint32_t num);
int rule_name(struct rs_rule *r, enum rs_op_kind kind, const char *name,
	      bool neg);
int rule_dport(struct rs_rule *r, uint16_t low, uint16_t high);
int rule_limit(struct rs_rule *r, uint32_t rate, uint32_t burst);
int rule_log(struct rs_rule *r, uint16_t group, const char *prefix);
int rule_verdict(struct rs_rule *r, enum rs_verdict v, const char *target);
/* A copy of op (its strings too) appended to r. */
int rule_op_copy(struct rs_rule *r, const struct rs_op *op);

const struct rs_set *ruleset_find_set(const struct ruleset *rs,
				      const char *name);
const struct rs_chain *ruleset_find_chain(const struct ruleset *rs,
					  const char *name);
size_t ruleset_element_count(const struct ruleset *rs);

/* compile.c: model -> ruleset.  Pure: no I/O, no logging.  Flows expired at
 * now are left out.  Returns 0 or -ENOMEM. */
struct model;
int ruleset_compile(const struct model *m, time_t now, struct ruleset *rs);
/* The same with m's networks already sorted (zonenets.h: the load path
 * sorts once for validation and compile). */
struct zone_nets;
int ruleset_compile_nets(const struct model *m, const struct zone_nets *zn,
			 time_t now, struct ruleset *rs);

/* compile.c: the lockdown table, installed when the config is invalid at
 * start and no table of ours exists: nothing is forwarded, the gateway
 * itself stays reachable (so the admin can fix the config). */
int ruleset_compile_lockdown(const char *table, bool ownership,
			     struct ruleset *rs);

/* compile_guard.c: the guard table of a compiled ruleset (named
 * "<table>-guard"): base chains after the main table's, policy drop,
 * accepting only what the main table marked as allowed, so that deleting
 * the main table opens nothing.  Returns 0 or -ENOMEM. */
int ruleset_compile_guard(const struct ruleset *main, struct ruleset *guard);
void ruleset_guard_name(const char *table, char *buf, size_t len);

/* compile_interim.c: the interim table of a compiled ruleset (named
 * "<table>-interim", owned while the daemon runs): the any zone's
 * complement sets left out, each lookup of one spelled with the other
 * zones' sets, for the same verdict on every packet with about half the
 * intervals.  Only when the sets prove it (the complement exact, the
 * others disjoint, at most ANY_NEGATED_MAX of them): else -ENOENT.
 * Returns 0, -ENOENT or -ENOMEM. */
int ruleset_compile_interim(const struct ruleset *rs, struct ruleset *out);
void ruleset_interim_name(const char *table, char *buf, size_t len);

/* ruleset_equal.c: the same table (objects, sets and their elements,
 * chains and their rules, in order)?  Origins and compile time are left
 * out.  Pure. */
bool ruleset_equal(const struct ruleset *a, const struct ruleset *b);
bool ruleset_chain_equal(const struct rs_chain *a, const struct rs_chain *b);
bool ruleset_set_equal(const struct rs_set *a, const struct rs_set *b);
/* A total order of the elements of a set that is not an address set
 * (key, verdict, chain), for qsort and bsearch: 0 exactly when equal. */
int ruleset_elem_cmp(const void *a, const void *b);
/* The same table, objects, set declarations and chains (name, hook,
 * priority), in order: only rules and set elements may differ, so one
 * can become the other by its difference (kernel/nft_update.c). */
bool ruleset_same_shape(const struct ruleset *a, const struct ruleset *b);

/* compile_shard.c: every address set of more than max intervals split
 * into shards of at most max, and each run of rules that looks one up
 * replaced by a lookup in an interval verdict map that jumps to a chain of
 * the run with the set's shard (see there).  The same verdict for every
 * packet; reading the table back no longer walks one long set.  Returns 0,
 * -E2BIG (it would take too many chains: rules that look up several big
 * sets on both sides) or -ENOMEM; rs is then half-lowered: free it. */
#define RS_SHARD_MAX 2048
int ruleset_shard(struct ruleset *rs, size_t max);

/* render.c: the ruleset as nft text that `nft -f` accepts. */
int ruleset_render(const struct ruleset *rs, FILE *out);

#endif
