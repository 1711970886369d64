/* modeldiff_internal.h - the report that model_diff() fills and writes,
 * shared by
 *   modeldiff.c          the entry point; the pool, field values, items and
 *                        the pairing of objects by name (report assembly);
 *   modeldiff_sets.c     services, addresses and names as sets of canonical
 *                        text, and which elements one set does not cover;
 *   modeldiff_flows.c    flows, the isolated-zone exceptions they open or
 *                        widen, and their notable consequences;
 *   modeldiff_objects.c  zones, hosts, management rules and settings;
 *   modeldiff_render.c   the report as text (wrapped) or JSON.
 * The comparison fills the report and never writes; the writers never
 * compare.  Every string and array of a report lives in its pool.
 */
#ifndef SEGMENTD_MODELDIFF_INTERNAL_H
#define SEGMENTD_MODELDIFF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "modeldiff.h"

#define ATTR_MAX 10

/* ---- the pool: everything a report allocates (modeldiff.c) ---- */

struct pool {
	void **v;
	size_t n, cap;
	bool oom;
};

/* Zeroed; NULL (and p->oom set) when out of memory. */
void *diff_alloc(struct pool *p, size_t n, size_t size);

/* Frees everything the pool holds (not p itself). */
void diff_pool_free(struct pool *p);

/* Never NULL: "" when out of memory (p->oom tells). */
__attribute__((format(printf, 2, 3)))
const char *diff_printf(struct pool *p, const char *fmt, ...);

/* ---- values: what a field holds (modeldiff.c) ---- */

struct list {
	const char **v;
	size_t n;
};

enum val_kind { VAL_NONE, VAL_WORD, VAL_TEXT, VAL_LIST, VAL_BOOL, VAL_NUM };

struct val {
	enum val_kind kind;
	const char *s;         /* WORD (a name), TEXT (free text, quoted) */
	struct list l;         /* LIST: sorted, unique */
	long long num;         /* BOOL, NUM */
};

static inline struct val val_word(const char *s)
{
	return (struct val){ .kind = s ? VAL_WORD : VAL_NONE, .s = s };
}

static inline struct val val_text(const char *s)
{
	return (struct val){ .kind = s ? VAL_TEXT : VAL_NONE, .s = s };
}

static inline struct val val_list(struct list l)
{
	return (struct val){ .kind = VAL_LIST, .l = l };
}

static inline struct val val_bool(bool b)
{
	return (struct val){ .kind = VAL_BOOL, .num = b };
}

static inline struct val val_num(long long n)
{
	return (struct val){ .kind = VAL_NUM, .num = n };
}

bool diff_list_has(const struct list *l, const char *s);
/* On sets (sorted, unique). */
bool diff_list_equal(const struct list *a, const struct list *b);
/* "a, b, c" (prefix before each) */
const char *diff_list_join(struct pool *p, const struct list *l,
			   const char *prefix);
/* Free text on one line: white space folded, control characters as '?';
 * NULL when nothing is left. */
const char *diff_clean(struct pool *p, const char *s);

/* ---- sets with coverage: services and prefixes (modeldiff_sets.c) ---- */

/* One element as an inclusive big-endian range; key is the protocol or the
 * address family: only ranges with the same key cover each other. */
struct span {
	unsigned int key;
	size_t len;
	struct interval iv;
};

struct set {
	struct list text;      /* sorted canonical text, unique */
	struct span *spans;    /* parallel to text */
};

/* What b holds that no part of a covers. */
struct list diff_set_wider(struct pool *p, const struct set *a,
			   const struct set *b);
/* What b holds that a does not cover; "any" only where a is not "any". */
struct list diff_cidr_wider(struct pool *p, const struct set *a,
			    const struct set *b);
/* "tcp/443", "udp/1000-2000", "icmp/echo-request", "icmpv6/200" */
struct set diff_service_set(struct pool *p, const struct service *svc,
			    size_t n);
struct set diff_host_addresses(struct pool *p, const struct host *h);
/* The networks; "any" first when the zone has any. */
struct set diff_zone_networks(struct pool *p, const struct zone *z);
/* Sorted, unique. */
struct list diff_word_list(struct pool *p, char *const *words, size_t n);
/* "'a', 'b'" of the names (sorts v), or NULL for none. */
const char *diff_quoted_names(struct pool *p, const char **v, size_t n);

/* ---- the report (modeldiff.c) ---- */

struct attr {
	const char *key;
	struct val before, after;  /* objects: after only */
	struct list plus, minus;   /* list fields: what after adds, removes */
	const char *note;          /* "widens", "extended", ... or NULL */
};

struct item {
	const char *name;          /* NULL: none (management, consequences) */
	const char *text;          /* the one-line form of objects */
	struct attr attrs[ATTR_MAX];
	size_t attr_count;
};

/* The sections before S_ISOLATED are changes (they count); the rest are
 * consequences.  Their titles and marks: modeldiff_render.c. */
enum {
	S_FLOWS_ADDED, S_FLOWS_REMOVED, S_FLOWS_CHANGED,
	S_ZONES_ADDED, S_ZONES_REMOVED, S_ZONES_CHANGED,
	S_HOSTS_ADDED, S_HOSTS_REMOVED, S_HOSTS_CHANGED,
	S_MGMT_ADDED, S_MGMT_REMOVED, S_SETTINGS,
	S_ISOLATED, S_NOTABLE, S_MAX
};

struct items {
	struct item *v;
	size_t n, cap;
};

struct report {
	const struct model *a, *b;    /* running, candidate */
	struct pool pool;
	struct items sec[S_MAX];
};

void diff_item_push(struct report *r, int s, const struct item *it);
/* A field of a whole object. */
void diff_attr_val(struct item *it, const char *key, struct val v);
/* A changed field, or NULL when before and after are equal. */
struct attr *diff_attr(struct report *r, struct item *it, const char *key,
		       struct val before, struct val after);
/* A consequence: kind ("widens", "expiry", ...), what it is about, text. */
__attribute__((format(printf, 4, 5)))
void diff_notable(struct report *r, const char *kind, const char *subject,
		  const char *fmt, ...);

/* Pairs the names of a and b (sorted by name): pair(r, ia, ib) with NULL
 * for the side that has none (never for both). */
struct named {
	const char *name;
	size_t idx;
};

typedef void pair_fn(struct report *r, const size_t *ia, const size_t *ib);
typedef const char *name_fn(const struct model *m, size_t i);

void diff_merge(struct report *r, struct named *a, size_t na,
		struct named *b, size_t nb, pair_fn *pair);
/* diff_merge() of running's and the candidate's na and nb objects. */
void diff_merge_by_name(struct report *r, size_t na, size_t nb,
			name_fn *name, pair_fn *pair);

/* ---- the comparison, one kind of object each ---- */

void diff_flows(struct report *r);        /* modeldiff_flows.c */
void diff_zones(struct report *r);        /* modeldiff_objects.c */
void diff_hosts(struct report *r);
void diff_management(struct report *r);
void diff_settings(struct report *r);

/* ---- the writers (modeldiff_render.c) ---- */

void diff_write_text(struct report *r, const struct diags *d, int changes,
		     FILE *out);
void diff_write_json(struct report *r, const struct diags *d, int changes,
		     FILE *out);

#endif
