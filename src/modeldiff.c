/* modeldiff.c - model_diff(): what a candidate config would change.
 *
 * Two passes: the comparison fills a report (sections of items; every string
 * and array lives in one pool), then the report is written as text or JSON.
 * The comparison never writes and the writers never compare, so the text and
 * the JSON always say the same.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "modeldiff.h"

#define ATTR_MAX 10
#define CIDR_TEXT 64
#define CONT_INDENT 4      /* continuation lines of a wrapped line */

/* ---- the pool: everything a report allocates ---- */

struct pool {
	void **v;
	size_t n, cap;
	bool oom;
};

static void *pool_keep(struct pool *p, void *ptr)
{
	if (!ptr) {
		p->oom = true;
		return NULL;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		void **v = realloc(p->v, cap * sizeof(*v));

		if (!v) {
			free(ptr);
			p->oom = true;
			return NULL;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = ptr;
	return ptr;
}

static void *pool_alloc(struct pool *p, size_t n, size_t size)
{
	return pool_keep(p, calloc(n ? n : 1, size));
}

/* Never NULL: "" when out of memory (p->oom tells). */
__attribute__((format(printf, 2, 0)))
static const char *pool_vprintf(struct pool *p, const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	s = pool_keep(p, s);
	return s ? s : "";
}

__attribute__((format(printf, 2, 3)))
static const char *pool_printf(struct pool *p, const char *fmt, ...)
{
	const char *s;
	va_list ap;

	va_start(ap, fmt);
	s = pool_vprintf(p, fmt, ap);
	va_end(ap);
	return s;
}

static void pool_free(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

/* ---- values: what a field holds ---- */

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

static struct val val_word(const char *s)
{
	return (struct val){ .kind = s ? VAL_WORD : VAL_NONE, .s = s };
}

static struct val val_text(const char *s)
{
	return (struct val){ .kind = s ? VAL_TEXT : VAL_NONE, .s = s };
}

static struct val val_list(struct list l)
{
	return (struct val){ .kind = VAL_LIST, .l = l };
}

static struct val val_bool(bool b)
{
	return (struct val){ .kind = VAL_BOOL, .num = b };
}

static struct val val_num(long long n)
{
	return (struct val){ .kind = VAL_NUM, .num = n };
}

static bool list_has(const struct list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* What a has and b has not, in a's order. */
static struct list list_minus(struct pool *p, const struct list *a,
			      const struct list *b)
{
	struct list out = { pool_alloc(p, a->n, sizeof(*out.v)), 0 };

	for (size_t i = 0; out.v && i < a->n; i++)
		if (!list_has(b, a->v[i]))
			out.v[out.n++] = a->v[i];
	return out;
}

/* On sets (sorted, unique). */
static bool list_equal(const struct list *a, const struct list *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (!list_has(b, a->v[i]))
			return false;
	return a->n == b->n;
}

static bool val_equal(const struct val *a, const struct val *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case VAL_NONE:
		return true;
	case VAL_WORD:
	case VAL_TEXT:
		return strcmp(a->s, b->s) == 0;
	case VAL_LIST:
		return list_equal(&a->l, &b->l);
	default:
		return a->num == b->num;
	}
}

/* "a, b, c" (prefix before each) */
static const char *list_join(struct pool *p, const struct list *l,
			     const char *prefix)
{
	const char *s = "";

	for (size_t i = 0; i < l->n; i++)
		s = pool_printf(p, "%s%s%s%s", s, i ? ", " : "", prefix,
				l->v[i]);
	return s;
}

/* Free text on one line: white space folded, control characters as '?';
 * NULL when nothing is left. */
static const char *clean(struct pool *p, const char *s)
{
	char *out;
	size_t n = 0;
	bool space = false;

	if (!s || !(out = pool_alloc(p, strlen(s) + 1, 1)))
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == ' ' || (c >= '\t' && c <= '\r')) {
			space = n > 0;
			continue;
		}
		if (space)
			out[n++] = ' ';
		space = false;
		out[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	return n ? out : NULL;
}

/* ---- sets with coverage: services and prefixes ---- */

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

/* Is s inside the union of v? */
static bool span_covered(const struct span *s, const struct span *v, size_t n)
{
	uint8_t at[16];

	memcpy(at, s->iv.lo, s->len);
	for (;;) {
		const uint8_t *best = NULL;

		for (size_t i = 0; i < n; i++) {
			if (v[i].key != s->key || v[i].len != s->len ||
			    memcmp(v[i].iv.lo, at, s->len) > 0 ||
			    memcmp(at, v[i].iv.hi, s->len) > 0)
				continue;
			if (!best || memcmp(v[i].iv.hi, best, s->len) > 0)
				best = v[i].iv.hi;
		}
		if (!best)
			return false;
		if (memcmp(best, s->iv.hi, s->len) >= 0)
			return true;
		/* best < s->iv.hi: the increment cannot wrap */
		memcpy(at, best, s->len);
		for (size_t i = s->len; i-- > 0 && ++at[i] == 0;)
			;
	}
}

/* What b holds that no part of a covers. */
static struct list set_wider(struct pool *p, const struct set *a,
			     const struct set *b)
{
	struct list out = { pool_alloc(p, b->text.n, sizeof(*out.v)), 0 };

	for (size_t i = 0; out.v && i < b->text.n; i++)
		if (!span_covered(&b->spans[i], a->spans, a->text.n))
			out.v[out.n++] = b->text.v[i];
	return out;
}

static bool set_alloc(struct pool *p, size_t n, struct set *s)
{
	s->text.n = 0;
	s->text.v = pool_alloc(p, n, sizeof(*s->text.v));
	s->spans = pool_alloc(p, n, sizeof(*s->spans));
	return s->text.v && s->spans;
}

static int proto_rank(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return 0;
	case IPPROTO_UDP: return 1;
	case IPPROTO_ICMP: return 2;
	case IPPROTO_ICMPV6: return 3;
	default: return 4;
	}
}

static const char *proto_name(uint8_t proto)
{
	static const char *const names[] = { "tcp", "udp", "icmp", "icmpv6",
					     "?" };

	return names[proto_rank(proto)];
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static int service_cmp(const void *x, const void *y)
{
	const struct service *a = x, *b = y;

	if (a->proto != b->proto)
		return proto_rank(a->proto) - proto_rank(b->proto);
	if (a->port_low != b->port_low)
		return a->port_low < b->port_low ? -1 : 1;
	if (a->port_high != b->port_high)
		return a->port_high < b->port_high ? -1 : 1;
	return (int)a->icmp_type - (int)b->icmp_type;
}

/* "tcp/443", "udp/1000-2000", "icmp/echo-request", "icmpv6/200" */
static const char *service_text(struct pool *p, const struct service *s)
{
	const char *proto = proto_name(s->proto), *type;

	if (has_ports(s->proto) && s->port_low == s->port_high)
		return pool_printf(p, "%s/%u", proto, s->port_low);
	if (has_ports(s->proto))
		return pool_printf(p, "%s/%u-%u", proto, s->port_low,
				   s->port_high);
	type = icmp_type_name(s->proto, s->icmp_type);
	if (type)
		return pool_printf(p, "%s/%s", proto, type);
	return pool_printf(p, "%s/%u", proto, s->icmp_type);
}

static void service_span(const struct service *s, struct span *out)
{
	memset(out, 0, sizeof(*out));
	out->key = s->proto;
	out->len = 2;
	if (has_ports(s->proto)) {
		out->iv.lo[0] = (uint8_t)(s->port_low >> 8);
		out->iv.lo[1] = (uint8_t)s->port_low;
		out->iv.hi[0] = (uint8_t)(s->port_high >> 8);
		out->iv.hi[1] = (uint8_t)s->port_high;
	} else {
		out->iv.lo[0] = out->iv.hi[0] = s->icmp_type;
	}
}

static struct set service_set(struct pool *p, const struct service *svc,
			      size_t n)
{
	struct service *v = pool_alloc(p, n, sizeof(*v));   /* shallow */
	struct set s;

	if (!set_alloc(p, n, &s) || !v)
		return (struct set){ { NULL, 0 }, NULL };
	if (n)
		memcpy(v, svc, n * sizeof(*v));
	qsort(v, n, sizeof(*v), service_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && service_cmp(&v[i - 1], &v[i]) == 0)
			continue;
		service_span(&v[i], &s.spans[s.text.n]);
		s.text.v[s.text.n++] = service_text(p, &v[i]);
	}
	return s;
}

static int cidr_cmp(const void *x, const void *y)
{
	const struct cidr *a = x, *b = y;
	int r;

	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	r = memcmp(a->addr, b->addr, addr_len(a->family));
	if (r)
		return r;
	return (int)a->prefix - (int)b->prefix;
}

/* The prefixes as canonical text; "any" first when any is set. */
static struct set cidr_set(struct pool *p, const struct cidr *c, size_t n,
			   bool any)
{
	struct cidr *v = pool_alloc(p, n, sizeof(*v));
	struct set s;

	if (!set_alloc(p, n + 1, &s) || !v)
		return (struct set){ { NULL, 0 }, NULL };
	if (any) {
		/* the whole of both families: covers everything */
		s.spans[0] = (struct span){ .key = 0, .len = 0 };
		s.text.v[s.text.n++] = "any";
	}
	if (n)
		memcpy(v, c, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cidr_cmp);
	for (size_t i = 0; i < n; i++) {
		char text[CIDR_TEXT];

		if (i > 0 && cidr_cmp(&v[i - 1], &v[i]) == 0)
			continue;
		cidr_format(&v[i], text, sizeof(text));
		s.spans[s.text.n].key = v[i].family;
		s.spans[s.text.n].len = addr_len(v[i].family);
		cidr_to_interval(&v[i], &s.spans[s.text.n].iv);
		s.text.v[s.text.n++] = pool_printf(p, "%s", text);
	}
	return s;
}

/* What b holds that a does not cover; "any" only where a is not "any". */
static struct list cidr_wider(struct pool *p, const struct set *a,
			      const struct set *b)
{
	if (list_has(&a->text, "any"))
		return (struct list){ NULL, 0 };
	if (list_has(&b->text, "any"))
		return (struct list){ b->text.v, 1 };
	return set_wider(p, a, b);
}

static struct set host_addresses(struct pool *p, const struct host *h)
{
	return cidr_set(p, h->addresses, h->address_count, false);
}

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static struct list word_list(struct pool *p, char *const *words, size_t n)
{
	struct list l = { pool_alloc(p, n, sizeof(*l.v)), 0 };

	if (!l.v)
		return l;
	for (size_t i = 0; i < n; i++)
		l.v[i] = words[i];
	qsort(l.v, n, sizeof(*l.v), str_cmp);
	for (size_t i = 0; i < n; i++)
		if (l.n == 0 || strcmp(l.v[l.n - 1], l.v[i]) != 0)
			l.v[l.n++] = l.v[i];
	return l;
}

/* ---- the report ---- */

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

enum section_kind {
	SK_OBJECTS,    /* whole objects: added, removed, consequences */
	SK_CHANGED,    /* an object's fields, before -> after */
	SK_SETTINGS,   /* one field each */
};

enum {
	S_FLOWS_ADDED, S_FLOWS_REMOVED, S_FLOWS_CHANGED,
	S_ZONES_ADDED, S_ZONES_REMOVED, S_ZONES_CHANGED,
	S_HOSTS_ADDED, S_HOSTS_REMOVED, S_HOSTS_CHANGED,
	S_MGMT_ADDED, S_MGMT_REMOVED, S_SETTINGS,
	S_ISOLATED, S_NOTABLE, S_MAX
};

/* The sections before S_ISOLATED are changes (they count); the rest are
 * consequences, whose JSON objects carry their text line too. */
struct section_def {
	const char *title, *key, *mark;
	enum section_kind kind;
};

static const struct section_def sections[S_MAX] = {
	[S_FLOWS_ADDED] = { "Flows added", "flows_added", "+ ", SK_OBJECTS },
	[S_FLOWS_REMOVED] = { "Flows removed", "flows_removed", "- ",
			      SK_OBJECTS },
	[S_FLOWS_CHANGED] = { "Flows changed", "flows_changed", "~ ",
			      SK_CHANGED },
	[S_ZONES_ADDED] = { "Zones added", "zones_added", "+ ", SK_OBJECTS },
	[S_ZONES_REMOVED] = { "Zones removed", "zones_removed", "- ",
			      SK_OBJECTS },
	[S_ZONES_CHANGED] = { "Zones changed", "zones_changed", "~ ",
			      SK_CHANGED },
	[S_HOSTS_ADDED] = { "Hosts added", "hosts_added", "+ ", SK_OBJECTS },
	[S_HOSTS_REMOVED] = { "Hosts removed", "hosts_removed", "- ",
			      SK_OBJECTS },
	[S_HOSTS_CHANGED] = { "Hosts changed", "hosts_changed", "~ ",
			      SK_CHANGED },
	[S_MGMT_ADDED] = { "Management added", "management_added", "+ ",
			   SK_OBJECTS },
	[S_MGMT_REMOVED] = { "Management removed", "management_removed", "- ",
			     SK_OBJECTS },
	[S_SETTINGS] = { "Settings changed", "settings_changed", "",
			 SK_SETTINGS },
	[S_ISOLATED] = { "Isolated-zone exceptions", "isolated_exceptions",
			 "! ", SK_OBJECTS },
	[S_NOTABLE] = { "Notable", "notable", "* ", SK_OBJECTS },
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

static void item_push(struct report *r, int s, const struct item *it)
{
	struct items *l = &r->sec[s];

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct item *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			r->pool.oom = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *it;
}

static struct attr *attr_add(struct item *it, const char *key)
{
	struct attr *a;

	if (it->attr_count == ATTR_MAX)    /* not reached: ATTR_MAX fits all */
		return NULL;
	a = &it->attrs[it->attr_count++];
	memset(a, 0, sizeof(*a));
	a->key = key;
	return a;
}

/* A field of a whole object. */
static void attr_val(struct item *it, const char *key, struct val v)
{
	struct attr *a = attr_add(it, key);

	if (a)
		a->after = v;
}

/* A changed field, or NULL when before and after are equal. */
static struct attr *attr_diff(struct report *r, struct item *it,
			      const char *key, struct val before,
			      struct val after)
{
	struct attr *a;

	if (val_equal(&before, &after) || !(a = attr_add(it, key)))
		return NULL;
	a->before = before;
	a->after = after;
	if (before.kind == VAL_LIST && after.kind == VAL_LIST) {
		a->plus = list_minus(&r->pool, &after.l, &before.l);
		a->minus = list_minus(&r->pool, &before.l, &after.l);
	}
	return a;
}

/* A consequence: kind ("widens", "expiry", ...), what it is about, text. */
__attribute__((format(printf, 4, 5)))
static void notable(struct report *r, const char *kind, const char *subject,
		    const char *fmt, ...)
{
	struct item it = { 0 };
	va_list ap;

	va_start(ap, fmt);
	it.text = pool_vprintf(&r->pool, fmt, ap);
	va_end(ap);
	attr_val(&it, "kind", val_word(kind));
	attr_val(&it, "subject", val_word(subject));
	item_push(r, S_NOTABLE, &it);
}

/* Pairs the names of a and b (sorted by name): pair(r, ia, ib) with NULL
 * for the side that has none. */
struct named {
	const char *name;
	size_t idx;
};

typedef void pair_fn(struct report *r, const size_t *ia, const size_t *ib);

static int named_cmp(const void *x, const void *y)
{
	const struct named *a = x, *b = y;
	int c = strcmp(a->name, b->name);

	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static void merge(struct report *r, struct named *a, size_t na,
		  struct named *b, size_t nb, pair_fn *pair)
{
	size_t i = 0, j = 0;

	if (!a || !b)
		return;
	qsort(a, na, sizeof(*a), named_cmp);
	qsort(b, nb, sizeof(*b), named_cmp);
	while (i < na || j < nb) {
		int c = i == na ? 1
			: j == nb ? -1 : strcmp(a[i].name, b[j].name);

		pair(r, c <= 0 ? &a[i].idx : NULL, c >= 0 ? &b[j].idx : NULL);
		i += c <= 0;
		j += c >= 0;
	}
}

typedef const char *name_fn(const struct model *m, size_t i);

static struct named *names(struct report *r, const struct model *m,
			   size_t n, name_fn *name)
{
	struct named *v = pool_alloc(&r->pool, n, sizeof(*v));

	for (size_t i = 0; v && i < n; i++)
		v[i] = (struct named){ name(m, i), i };
	return v;
}

static void merge_by_name(struct report *r, size_t na, size_t nb,
			  name_fn *name, pair_fn *pair)
{
	merge(r, names(r, r->a, na, name), na, names(r, r->b, nb, name), nb,
	      pair);
}

/* "'a', 'b'" of the sorted names, or NULL for none. */
static const char *quoted_names(struct report *r, const char **v, size_t n)
{
	const char *s = NULL;

	if (n == 0)
		return NULL;
	qsort(v, n, sizeof(*v), str_cmp);
	for (size_t i = 0; i < n; i++)
		s = pool_printf(&r->pool, "%s%s'%s'", s ? s : "", s ? ", " : "",
				v[i]);
	return s;
}

/* ---- flows ---- */

enum expiry_change {
	EXPIRY_SAME, EXPIRY_EXTENDED, EXPIRY_SHORTENED, EXPIRY_UNLIMITED,
	EXPIRY_ADDED
};

static const char *const expiry_notes[] = {
	[EXPIRY_SAME] = NULL,
	[EXPIRY_EXTENDED] = "extended",
	[EXPIRY_SHORTENED] = "shortened",
	[EXPIRY_UNLIMITED] = "no longer expires",
	[EXPIRY_ADDED] = "now expires",
};

static const char *flow_expires(const struct flow *f)
{
	return f->has_expiry ? f->expires_text : NULL;
}

static enum expiry_change expiry_change(const struct flow *a,
					const struct flow *b)
{
	if (a->has_expiry && b->has_expiry && a->expires != b->expires)
		return b->expires > a->expires ? EXPIRY_EXTENDED
					       : EXPIRY_SHORTENED;
	if (a->has_expiry && !b->has_expiry)
		return EXPIRY_UNLIMITED;
	if (!a->has_expiry && b->has_expiry)
		return EXPIRY_ADDED;
	return EXPIRY_SAME;
}

/* The isolated zone a flow touches (from's first), or NULL. */
static const char *flow_isolated(const struct model *m, const struct flow *f)
{
	const struct zone *from = &m->zones[endpoint_zone(m, &f->from)];
	const struct zone *to = &m->zones[endpoint_zone(m, &f->to)];

	if (from->class == ZONE_ISOLATED)
		return from->name;
	return to->class == ZONE_ISOLATED ? to->name : NULL;
}

static bool flow_lgwan_internet(const struct model *m, const struct flow *f)
{
	enum zone_class x = m->zones[endpoint_zone(m, &f->from)].class;
	enum zone_class y = m->zones[endpoint_zone(m, &f->to)].class;

	return (x == ZONE_LGWAN && y == ZONE_INTERNET) ||
	       (x == ZONE_INTERNET && y == ZONE_LGWAN);
}

/* "a -> b tcp/443, udp/53" ("<->" both ways) */
static const char *flow_route(struct report *r, const struct model *m,
			      const struct flow *f)
{
	struct set s = service_set(&r->pool, f->services, f->service_count);

	return pool_printf(&r->pool, "%s %s %s %s", endpoint_name(m, &f->from),
			   f->bidirectional ? "<->" : "->",
			   endpoint_name(m, &f->to),
			   list_join(&r->pool, &s.text, ""));
}

static void flow_object(struct report *r, int sec, const struct model *m,
			const struct flow *f)
{
	struct pool *p = &r->pool;
	const char *just = clean(p, f->justification);
	const char *comment = clean(p, f->comment), *t;
	struct item it = { .name = f->name };

	attr_val(&it, "from", val_word(endpoint_name(m, &f->from)));
	attr_val(&it, "to", val_word(endpoint_name(m, &f->to)));
	attr_val(&it, "services", val_list(service_set(p, f->services,
						       f->service_count).text));
	attr_val(&it, "both", val_bool(f->bidirectional));
	attr_val(&it, "expires", val_word(flow_expires(f)));
	attr_val(&it, "justification", val_text(just));
	attr_val(&it, "comment", val_text(comment));
	t = pool_printf(p, "%s: %s", f->name, flow_route(r, m, f));
	if (f->has_expiry)
		t = pool_printf(p, "%s; expires %s", t, f->expires_text);
	if (just)
		t = pool_printf(p, "%s; justification '%s'", t, just);
	if (comment)
		t = pool_printf(p, "%s; comment '%s'", t, comment);
	it.text = t;
	item_push(r, sec, &it);
}

/* An item of the isolated-zone exceptions; m and f say the flow as it is
 * after the event (as it was, for "removed"). */
static void iso_event(struct report *r, const char *event, const char *zone,
		      const struct model *m, const struct flow *f,
		      const char *detail)
{
	struct pool *p = &r->pool;
	struct item it = { 0 };

	attr_val(&it, "event", val_word(event));
	attr_val(&it, "zone", val_word(zone));
	attr_val(&it, "flow", val_word(f->name));
	attr_val(&it, "from", val_word(endpoint_name(m, &f->from)));
	attr_val(&it, "to", val_word(endpoint_name(m, &f->to)));
	attr_val(&it, "services", val_list(service_set(p, f->services,
						       f->service_count).text));
	attr_val(&it, "both", val_bool(f->bidirectional));
	attr_val(&it, "justification", val_text(clean(p, f->justification)));
	attr_val(&it, "expires", val_word(flow_expires(f)));
	it.text = pool_printf(p, "EXCEPTION to the isolated zone '%s' %s: "
			      "flow '%s' %s", zone, event, f->name, detail);
	item_push(r, S_ISOLATED, &it);
}

static void exception_added(struct report *r, const char *zone,
			    const struct flow *f)
{
	const char *just = clean(&r->pool, f->justification);
	const char *detail = pool_printf(&r->pool, "%s; justification: %s%s%s",
					 flow_route(r, r->b, f),
					 just ? "'" : "", just ? just : "none",
					 just ? "'" : "");

	if (f->has_expiry)
		detail = pool_printf(&r->pool, "%s; expires %s", detail,
				     f->expires_text);
	else
		detail = pool_printf(&r->pool, "%s; no expiry", detail);
	iso_event(r, "added", zone, r->b, f, detail);
}

/* What a changed flow now allows beyond the running one. */
struct flow_delta {
	struct list wider;          /* services not covered before */
	bool both_on;               /* both: false -> true */
	bool ends_changed;
	const char *whole_zone[2];  /* from, to: host -> its whole zone */
	enum expiry_change expiry;
};

/* ea (a host in running) became eb, the whole zone it was in. */
static bool endpoint_widens(const struct report *r, const struct endpoint *ea,
			    const struct endpoint *eb)
{
	return ea->kind == ENDPOINT_HOST && eb->kind == ENDPOINT_ZONE &&
	       strcmp(r->a->zones[r->a->hosts[ea->index].zone].name,
		      r->b->zones[eb->index].name) == 0;
}

/* "+tcp/8443; now both ways; 'from' is now the whole zone 'x'", or NULL */
static const char *widening(struct report *r, const struct flow_delta *d)
{
	static const char *const end[2] = { "from", "to" };
	const char *s = NULL;

	if (d->wider.n)
		s = list_join(&r->pool, &d->wider, "+");
	if (d->both_on)
		s = pool_printf(&r->pool, "%s%snow both ways", s ? s : "",
				s ? "; " : "");
	for (int i = 0; i < 2; i++)
		if (d->whole_zone[i])
			s = pool_printf(&r->pool, "%s%s'%s' is now the whole "
					"zone '%s'", s ? s : "", s ? "; " : "",
					end[i], d->whole_zone[i]);
	return s;
}

static const char *expiry_text(struct report *r, const struct flow *fa,
			       const struct flow *fb, enum expiry_change e)
{
	if (e == EXPIRY_EXTENDED)
		return pool_printf(&r->pool, "expires %s -> %s",
				   fa->expires_text, fb->expires_text);
	if (e == EXPIRY_UNLIMITED)
		return pool_printf(&r->pool, "no longer expires (was %s)",
				   fa->expires_text);
	return NULL;
}

/* A host at an end of an exception whose addresses change. */
static void exception_hosts(struct report *r, const char *zone,
			    const struct flow *fb)
{
	const struct endpoint *ends[2] = { &fb->from, &fb->to };

	for (int i = 0; i < 2; i++) {
		const struct host *hb, *ha;
		struct set sa, sb;
		int j;

		if (ends[i]->kind != ENDPOINT_HOST)
			continue;
		hb = &r->b->hosts[ends[i]->index];
		if ((j = model_find_host(r->a, hb->name)) < 0)
			continue;
		ha = &r->a->hosts[j];
		sa = host_addresses(&r->pool, ha);
		sb = host_addresses(&r->pool, hb);
		if (list_equal(&sa.text, &sb.text))
			continue;
		iso_event(r, "readdressed", zone, r->b, fb,
			  pool_printf(&r->pool, "host '%s' addresses %s -> %s",
				      hb->name,
				      list_join(&r->pool, &sa.text, ""),
				      list_join(&r->pool, &sb.text, "")));
	}
}

/* A flow in both: exceptions that open, widen, last longer; or, outside
 * the isolated zones, what it allows beyond the running flow. */
static void flow_consequences(struct report *r, const struct flow *fa,
			      const struct flow *fb, const struct flow_delta *d)
{
	const char *za = flow_isolated(r->a, fa), *zb = flow_isolated(r->b, fb);
	const char *wide = widening(r, d);
	const char *longer = expiry_text(r, fa, fb, d->expiry);

	if (za && !zb)
		iso_event(r, "removed", za, r->a, fa, flow_route(r, r->a, fa));
	if (zb && !za) {
		exception_added(r, zb, fb);
	} else if (zb && d->ends_changed) {
		iso_event(r, "changed", zb, r->b, fb, pool_printf(&r->pool,
			  "now %s (was %s)", flow_route(r, r->b, fb),
			  flow_route(r, r->a, fa)));
	} else if (zb && wide) {
		iso_event(r, "widened", zb, r->b, fb, pool_printf(&r->pool,
			  "%s (%s)", flow_route(r, r->b, fb), wide));
	} else if (!zb && wide) {
		notable(r, "widens", fb->name, "flow '%s' widens: %s", fb->name,
			wide);
	}
	if (zb && za && longer)
		iso_event(r, "extended", zb, r->b, fb, longer);
	else if (!zb && d->expiry == EXPIRY_EXTENDED)
		notable(r, "expiry", fb->name, "flow '%s' expiry extended: "
			"%s -> %s", fb->name, fa->expires_text,
			fb->expires_text);
	else if (!zb && longer)
		notable(r, "expiry", fb->name, "flow '%s' %s", fb->name,
			longer);
	if (zb && za)
		exception_hosts(r, zb, fb);
}

static void flow_endpoint_diff(struct report *r, struct item *it, int i,
			       const struct endpoint *ea,
			       const struct endpoint *eb, struct flow_delta *d)
{
	static const char *const keys[2] = { "from", "to" };
	struct attr *x = attr_diff(r, it, keys[i],
				   val_word(endpoint_name(r->a, ea)),
				   val_word(endpoint_name(r->b, eb)));

	if (!x)
		return;
	d->ends_changed = true;
	if (endpoint_widens(r, ea, eb)) {
		x->note = "widens: the whole zone";
		d->whole_zone[i] = endpoint_name(r->b, eb);
	}
}

static void flow_changed(struct report *r, const struct flow *fa,
			 const struct flow *fb)
{
	struct pool *p = &r->pool;
	struct item it = { .name = fb->name };
	struct flow_delta d = { .expiry = expiry_change(fa, fb) };
	struct set sa = service_set(p, fa->services, fa->service_count);
	struct set sb = service_set(p, fb->services, fb->service_count);
	struct attr *x;

	flow_endpoint_diff(r, &it, 0, &fa->from, &fb->from, &d);
	flow_endpoint_diff(r, &it, 1, &fa->to, &fb->to, &d);
	x = attr_diff(r, &it, "services", val_list(sa.text), val_list(sb.text));
	if (x && (d.wider = set_wider(p, &sa, &sb)).n)
		x->note = "widens";
	x = attr_diff(r, &it, "both", val_bool(fa->bidirectional),
		      val_bool(fb->bidirectional));
	if (x && fb->bidirectional) {
		x->note = "widens";
		d.both_on = true;
	}
	x = attr_diff(r, &it, "expires", val_word(flow_expires(fa)),
		      val_word(flow_expires(fb)));
	if (x)
		x->note = expiry_notes[d.expiry];
	attr_diff(r, &it, "justification",
		  val_text(clean(p, fa->justification)),
		  val_text(clean(p, fb->justification)));
	attr_diff(r, &it, "comment", val_text(clean(p, fa->comment)),
		  val_text(clean(p, fb->comment)));
	if (it.attr_count)
		item_push(r, S_FLOWS_CHANGED, &it);
	flow_consequences(r, fa, fb, &d);
}

static void flow_pair(struct report *r, const size_t *ia, const size_t *ib)
{
	const struct flow *fa = ia ? &r->a->flows[*ia] : NULL;
	const struct flow *fb = ib ? &r->b->flows[*ib] : NULL;
	const char *zone;

	if (fa && fb) {
		flow_changed(r, fa, fb);
	} else if (fb) {
		flow_object(r, S_FLOWS_ADDED, r->b, fb);
		if ((zone = flow_isolated(r->b, fb)))
			exception_added(r, zone, fb);
	} else if (fa) {
		flow_object(r, S_FLOWS_REMOVED, r->a, fa);
		if ((zone = flow_isolated(r->a, fa)))
			iso_event(r, "removed", zone, r->a, fa,
				  flow_route(r, r->a, fa));
	}
}

static const char *flow_name(const struct model *m, size_t i)
{
	return m->flows[i].name;
}

/* ---- zones ---- */

static struct set zone_networks(struct pool *p, const struct zone *z)
{
	return cidr_set(p, z->networks, z->network_count, z->any);
}

static const char *intra_name(const struct zone *z)
{
	return z->intra_accept ? "accept" : "drop";
}

static void zone_object(struct report *r, int sec, const struct zone *z)
{
	struct pool *p = &r->pool;
	struct list ifs = word_list(p, z->interfaces, z->interface_count);
	struct list nets = zone_networks(p, z).text;
	struct item it = { .name = z->name };

	attr_val(&it, "class", val_word(zone_class_name(z->class)));
	attr_val(&it, "interfaces", val_list(ifs));
	attr_val(&it, "networks", val_list(nets));
	attr_val(&it, "intra", val_word(intra_name(z)));
	it.text = pool_printf(p, "%s: class %s; interfaces %s; networks %s; "
			      "intra %s", z->name, zone_class_name(z->class),
			      list_join(p, &ifs, ""), list_join(p, &nets, ""),
			      intra_name(z));
	item_push(r, sec, &it);
}

static bool flow_uses(const struct model *m, const struct flow *f,
		      const char *endpoint)
{
	return strcmp(endpoint_name(m, &f->from), endpoint) == 0 ||
	       strcmp(endpoint_name(m, &f->to), endpoint) == 0;
}

static bool mgmt_uses(const struct model *m, const char *endpoint)
{
	for (size_t i = 0; i < m->mgmt_count; i++)
		if (strcmp(endpoint_name(m, &m->mgmt[i].from), endpoint) == 0)
			return true;
	return false;
}

/* Whether running has flow f (by name) between the same endpoint too. */
static bool flow_kept(const struct report *r, const struct flow *f,
		      const char *endpoint)
{
	for (size_t i = 0; i < r->a->flow_count; i++)
		if (strcmp(r->a->flows[i].name, f->name) == 0 &&
		    flow_uses(r->a, &r->a->flows[i], endpoint))
			return true;
	return false;
}

/* The flows (and management) that use endpoint (a zone or host name) in
 * both configs, as "flows 'a', 'b'", or NULL when none: what now applies
 * to more addresses without being changed itself. */
static const char *endpoint_users(struct report *r, const char *endpoint)
{
	const struct model *m = r->b;
	const char **v = pool_alloc(&r->pool, m->flow_count, sizeof(*v));
	const char *flows, *s = NULL;
	size_t n = 0;

	for (size_t i = 0; v && i < m->flow_count; i++)
		if (flow_uses(m, &m->flows[i], endpoint) &&
		    flow_kept(r, &m->flows[i], endpoint))
			v[n++] = m->flows[i].name;
	if ((flows = quoted_names(r, v, n)))
		s = pool_printf(&r->pool, "flow%s %s", n == 1 ? "" : "s",
				flows);
	if (mgmt_uses(r->a, endpoint) && mgmt_uses(m, endpoint))
		s = pool_printf(&r->pool, "%s%sgateway management",
				s ? s : "", s ? ", " : "");
	return s;
}

/* A zone or host whose new addresses (wider) unchanged flows now cover. */
static void gains_addresses(struct report *r, const char *kind,
			    const char *name, const char *what,
			    const struct list *wider)
{
	const char *users;

	if (wider->n && (users = endpoint_users(r, name)))
		notable(r, "addresses", name, "%s '%s' gains %s %s, now also "
			"covered by %s", kind, name, what,
			list_join(&r->pool, wider, "+"), users);
}

static void zone_class_consequence(struct report *r, const struct zone *za,
				   const struct zone *zb)
{
	const char *what = "the guardrails now judge its flows by the new "
			   "class";

	if (za->class == ZONE_ISOLATED)
		what = "it is no longer isolated: its flows leave the "
		       "isolated-zone guardrails";
	else if (zb->class == ZONE_ISOLATED)
		what = "it becomes isolated: its flows must meet the "
		       "isolated-zone guardrails";
	notable(r, "zone-class", zb->name, "zone '%s' changes class %s -> %s; "
		"%s", zb->name, zone_class_name(za->class),
		zone_class_name(zb->class), what);
}

static void zone_changed(struct report *r, const struct zone *za,
			 const struct zone *zb)
{
	struct pool *p = &r->pool;
	struct item it = { .name = zb->name };
	struct set na = zone_networks(p, za), nb = zone_networks(p, zb);
	struct list wider = { NULL, 0 };
	struct attr *x;

	if (attr_diff(r, &it, "class", val_word(zone_class_name(za->class)),
		      val_word(zone_class_name(zb->class))))
		zone_class_consequence(r, za, zb);
	attr_diff(r, &it, "interfaces",
		  val_list(word_list(p, za->interfaces, za->interface_count)),
		  val_list(word_list(p, zb->interfaces, zb->interface_count)));
	x = attr_diff(r, &it, "networks", val_list(na.text), val_list(nb.text));
	if (x && (wider = cidr_wider(p, &na, &nb)).n)
		x->note = "widens";
	x = attr_diff(r, &it, "intra", val_word(intra_name(za)),
		      val_word(intra_name(zb)));
	if (x && zb->intra_accept) {
		x->note = "widens";
		notable(r, "intra", zb->name, "zone '%s' now accepts all "
			"traffic between its own addresses (intra accept)",
			zb->name);
	}
	if (it.attr_count)
		item_push(r, S_ZONES_CHANGED, &it);
	gains_addresses(r, "zone", zb->name, "networks", &wider);
}

static void zone_pair(struct report *r, const size_t *ia, const size_t *ib)
{
	if (ia && ib)
		zone_changed(r, &r->a->zones[*ia], &r->b->zones[*ib]);
	else if (ib)
		zone_object(r, S_ZONES_ADDED, &r->b->zones[*ib]);
	else
		zone_object(r, S_ZONES_REMOVED, &r->a->zones[*ia]);
}

static const char *zone_name(const struct model *m, size_t i)
{
	return m->zones[i].name;
}

/* ---- hosts ---- */

static void host_object(struct report *r, int sec, const struct model *m,
			const struct host *h)
{
	struct pool *p = &r->pool;
	struct list addrs = host_addresses(p, h).text;
	struct item it = { .name = h->name };
	const char *t;

	attr_val(&it, "zone", val_word(m->zones[h->zone].name));
	attr_val(&it, "role", val_word(host_role_name(h->role)));
	attr_val(&it, "addresses", val_list(addrs));
	t = pool_printf(p, "%s: zone %s", h->name, m->zones[h->zone].name);
	if (h->role != ROLE_NONE)
		t = pool_printf(p, "%s; role %s", t, host_role_name(h->role));
	it.text = pool_printf(p, "%s; addresses %s", t,
			      list_join(p, &addrs, ""));
	item_push(r, sec, &it);
}

/* Running LGWAN <-> internet flows with host ia at an end. */
static const char *relay_flows(struct report *r, size_t ia)
{
	const struct model *m = r->a;
	const char **v = pool_alloc(&r->pool, m->flow_count, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; v && i < m->flow_count; i++) {
		const struct flow *f = &m->flows[i];

		if (flow_lgwan_internet(m, f) &&
		    ((f->from.kind == ENDPOINT_HOST && f->from.index == ia) ||
		     (f->to.kind == ENDPOINT_HOST && f->to.index == ia)))
			v[n++] = f->name;
	}
	return quoted_names(r, v, n);
}

static void host_role_consequence(struct report *r, const struct host *ha,
				  const struct host *hb, size_t ia)
{
	const char *flows;

	if (host_role_is_relay(ha->role) && !host_role_is_relay(hb->role) &&
	    (flows = relay_flows(r, ia)))
		notable(r, "relay-role", hb->name, "host '%s' loses relay role "
			"'%s' (now %s); LGWAN<->internet flows through it: %s",
			hb->name, host_role_name(ha->role),
			host_role_name(hb->role), flows);
	else if (!host_role_is_relay(ha->role) && host_role_is_relay(hb->role))
		notable(r, "relay-role", hb->name, "host '%s' becomes a relay "
			"(%s): guardrails let it carry LGWAN<->internet flows",
			hb->name, host_role_name(hb->role));
	else if (ha->role != ROLE_LBO_SERVICE && hb->role == ROLE_LBO_SERVICE)
		notable(r, "relay-role", hb->name, "host '%s' becomes an "
			"lbo-service host: guardrails let the LGWAN zone reach "
			"it directly (tcp/443)", hb->name);
}

static void host_changed(struct report *r, size_t ia, size_t ib)
{
	struct pool *p = &r->pool;
	const struct host *ha = &r->a->hosts[ia], *hb = &r->b->hosts[ib];
	struct set sa = host_addresses(p, ha), sb = host_addresses(p, hb);
	struct item it = { .name = hb->name };
	struct list wider = { NULL, 0 };
	struct attr *x;

	attr_diff(r, &it, "zone", val_word(r->a->zones[ha->zone].name),
		  val_word(r->b->zones[hb->zone].name));
	if (attr_diff(r, &it, "role", val_word(host_role_name(ha->role)),
		      val_word(host_role_name(hb->role))))
		host_role_consequence(r, ha, hb, ia);
	x = attr_diff(r, &it, "addresses", val_list(sa.text),
		      val_list(sb.text));
	if (x && (wider = set_wider(p, &sa, &sb)).n)
		x->note = "widens";
	if (it.attr_count)
		item_push(r, S_HOSTS_CHANGED, &it);
	gains_addresses(r, "host", hb->name, "addresses", &wider);
}

static void host_pair(struct report *r, const size_t *ia, const size_t *ib)
{
	if (ia && ib)
		host_changed(r, *ia, *ib);
	else if (ib)
		host_object(r, S_HOSTS_ADDED, r->b, &r->b->hosts[*ib]);
	else
		host_object(r, S_HOSTS_REMOVED, r->a, &r->a->hosts[*ia]);
}

static const char *host_name(const struct model *m, size_t i)
{
	return m->hosts[i].name;
}

/* ---- management: keyed by "from: services" ---- */

static struct named *mgmt_keys(struct report *r, const struct model *m)
{
	struct named *v = pool_alloc(&r->pool, m->mgmt_count, sizeof(*v));

	for (size_t i = 0; v && i < m->mgmt_count; i++) {
		const struct mgmt_rule *rule = &m->mgmt[i];
		struct set s = service_set(&r->pool, rule->services,
					   rule->service_count);

		v[i].name = pool_printf(&r->pool, "%s: %s",
					endpoint_name(m, &rule->from),
					list_join(&r->pool, &s.text, ""));
		v[i].idx = i;
	}
	return v;
}

static void mgmt_object(struct report *r, int sec, const struct model *m,
			size_t i)
{
	const struct mgmt_rule *rule = &m->mgmt[i];
	struct set s = service_set(&r->pool, rule->services,
				   rule->service_count);
	const char *comment = clean(&r->pool, rule->comment);
	struct item it = { 0 };

	attr_val(&it, "from", val_word(endpoint_name(m, &rule->from)));
	attr_val(&it, "services", val_list(s.text));
	attr_val(&it, "comment", val_text(comment));
	it.text = pool_printf(&r->pool, "%s: %s%s%s%s",
			      endpoint_name(m, &rule->from),
			      list_join(&r->pool, &s.text, ""),
			      comment ? "; comment '" : "",
			      comment ? comment : "", comment ? "'" : "");
	item_push(r, sec, &it);
}

static void mgmt_pair(struct report *r, const size_t *ia, const size_t *ib)
{
	if (ia && ib)
		return;            /* the key is all there is to compare */
	if (ib)
		mgmt_object(r, S_MGMT_ADDED, r->b, *ib);
	else
		mgmt_object(r, S_MGMT_REMOVED, r->a, *ia);
}

/* ---- settings ---- */

/* Whether the setting changed. */
static bool setting(struct report *r, const char *key, struct val before,
		    struct val after)
{
	struct item it = { .name = key };

	if (!attr_diff(r, &it, key, before, after))
		return false;
	item_push(r, S_SETTINGS, &it);
	return true;
}

static void settings_diff(struct report *r)
{
	const struct settings *a = &r->a->settings, *b = &r->b->settings;
	bool x;

	setting(r, "table", val_word(a->table), val_word(b->table));
	x = setting(r, "ownership", val_bool(a->ownership),
		    val_bool(b->ownership));
	if (x && !b->ownership)
		notable(r, "setting", "ownership", "ownership off: the kernel "
			"no longer refuses changes to table '%s' by other "
			"processes", b->table);
	x = setting(r, "log.enabled", val_bool(a->log_denied),
		    val_bool(b->log_denied));
	if (x && !b->log_denied)
		notable(r, "setting", "log.enabled", "denied packets are no "
			"longer logged");
	setting(r, "log.group", val_num(a->log_group), val_num(b->log_group));
	setting(r, "log.rate", val_num(a->log_rate), val_num(b->log_rate));
	setting(r, "log.burst", val_num(a->log_burst), val_num(b->log_burst));
	x = setting(r, "unzoned_input",
		    val_word(a->unzoned_input_accept ? "accept" : "drop"),
		    val_word(b->unzoned_input_accept ? "accept" : "drop"));
	if (x && b->unzoned_input_accept)
		notable(r, "setting", "unzoned_input", "input to the gateway "
			"from interfaces in no zone is now accepted");
	x = setting(r, "verify_interval", val_num(a->verify_interval_ms),
		    val_num(b->verify_interval_ms));
	if (x && b->verify_interval_ms > a->verify_interval_ms)
		notable(r, "setting", "verify_interval", "drift is found "
			"later: cheap check every %u ms (was %u ms)",
			b->verify_interval_ms, a->verify_interval_ms);
	x = setting(r, "full_verify_interval",
		    val_num(a->full_verify_interval_s),
		    val_num(b->full_verify_interval_s));
	if (x && b->full_verify_interval_s > a->full_verify_interval_s)
		notable(r, "setting", "full_verify_interval", "drift is found "
			"later: full compare every %u s (was %u s)",
			b->full_verify_interval_s, a->full_verify_interval_s);
	setting(r, "control_group", val_word(a->control_group),
		val_word(b->control_group));
}

/* ---- text ---- */

/* The UTF-8 character at s: its length in bytes (an invalid byte is one
 * character) and its width in columns (East Asian wide: 2). */
static size_t utf8_char(const char *s, unsigned int *width)
{
	static const uint32_t wide[][2] = {
		{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff },
		{ 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf },
		{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe30, 0xfe4f },
		{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
		{ 0x1f900, 0x1f9ff }, { 0x20000, 0x3fffd },
	};
	const unsigned char *u = (const unsigned char *)s;
	size_t len = u[0] >= 0xf0 && u[0] < 0xf8 ? 4 : u[0] >= 0xe0 ? 3 :
		     u[0] >= 0xc0 ? 2 : 1;
	uint32_t cp = len == 1 ? u[0] : u[0] & (0x7f >> len);

	*width = 1;
	if (u[0] >= 0xf8)
		return 1;
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 1;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (cp >= wide[i][0] && cp <= wide[i][1])
			*width = 2;
	return len;
}

/* Writes text at indent, wrapped on spaces at MODEL_DIFF_WIDTH columns,
 * continuation lines CONT_INDENT deeper; a word longer than a line is cut
 * between characters. */
static void emit(FILE *out, unsigned int indent, const char *text)
{
	const unsigned int cont = indent + CONT_INDENT;
	unsigned int col = indent;
	bool empty = true;          /* nothing on this line after the indent */

	fprintf(out, "%*s", (int)indent, "");
	while (*text) {
		const char *word = text;
		unsigned int w = 0, cw;

		if (*text == ' ') {
			text++;
			continue;
		}
		while (*text && *text != ' ')
			text += utf8_char(text, &cw), w += cw;
		if (!empty && col + 1 + w > MODEL_DIFF_WIDTH) {
			fprintf(out, "\n%*s", (int)cont, "");
			col = cont;
			empty = true;
		}
		if (!empty)
			fputc(' ', out), col++;
		while (word < text) {
			size_t n = utf8_char(word, &cw);

			if (!empty && col + cw > MODEL_DIFF_WIDTH) {
				fprintf(out, "\n%*s", (int)cont, "");
				col = cont;
			}
			fwrite(word, 1, n, out);
			word += n;
			col += cw;
			empty = false;
		}
	}
	fputc('\n', out);
}

static const char *val_str(struct pool *p, const struct val *v)
{
	switch (v->kind) {
	case VAL_WORD:
		return v->s;
	case VAL_TEXT:
		return pool_printf(p, "'%s'", v->s);
	case VAL_LIST:
		return v->l.n ? list_join(p, &v->l, "") : "(none)";
	case VAL_BOOL:
		return v->num ? "true" : "false";
	case VAL_NUM:
		return pool_printf(p, "%lld", v->num);
	default:
		return "(none)";
	}
}

/* " (+a, +b; -c; widens)" or "" */
static const char *attr_notes(struct pool *p, const struct attr *a)
{
	const char *s = "";

	if (a->plus.n)
		s = list_join(p, &a->plus, "+");
	if (a->minus.n)
		s = pool_printf(p, "%s%s%s", s, *s ? "; " : "",
				list_join(p, &a->minus, "-"));
	if (a->note)
		s = pool_printf(p, "%s%s%s", s, *s ? "; " : "", a->note);
	return *s ? pool_printf(p, " (%s)", s) : "";
}

static const char *attr_line(struct pool *p, const struct attr *a)
{
	return pool_printf(p, "%s: %s -> %s%s", a->key, val_str(p, &a->before),
			   val_str(p, &a->after), attr_notes(p, a));
}

static void text_item(struct report *r, int s, const struct item *it,
		      FILE *out)
{
	struct pool *p = &r->pool;
	const struct section_def *def = &sections[s];

	if (def->kind == SK_OBJECTS) {
		emit(out, 2, pool_printf(p, "%s%s", def->mark, it->text));
	} else if (def->kind == SK_SETTINGS) {
		emit(out, 2, attr_line(p, &it->attrs[0]));
	} else {
		emit(out, 2, pool_printf(p, "%s%s:", def->mark, it->name));
		for (size_t i = 0; i < it->attr_count; i++)
			emit(out, 6, attr_line(p, &it->attrs[i]));
	}
}

static const char *diag_line(struct pool *p, const struct diag *x)
{
	const char *sev = x->severity == DIAG_ERROR ? "error" : "warning";

	if (x->file && x->line > 0)
		return pool_printf(p, "%s:%d: %s: %s", x->file, x->line, sev,
				   x->message);
	return pool_printf(p, "%s: %s: %s", x->file ? x->file : "segmentd",
			   sev, x->message);
}

static void text_diags(struct report *r, const struct diags *d,
		       enum diag_severity sev, FILE *out)
{
	for (size_t i = 0; d && i < d->count; i++)
		if (d->items[i].severity == sev)
			emit(out, 2, diag_line(&r->pool, &d->items[i]));
}

static const char *file_of(const struct model *m)
{
	return m->file_count && m->files[0] ? m->files[0] : "(unnamed)";
}

static void write_text(struct report *r, const struct diags *d, int changes,
		       FILE *out)
{
	emit(out, 0, pool_printf(&r->pool, "segmentd change review: %s -> %s",
				 file_of(r->a), file_of(r->b)));
	for (int s = 0; s < S_MAX; s++) {
		if (r->sec[s].n == 0)
			continue;
		fprintf(out, "%s:\n", sections[s].title);
		for (size_t i = 0; i < r->sec[s].n; i++)
			text_item(r, s, &r->sec[s].v[i], out);
	}
	if (d && d->warnings > 0) {
		fprintf(out, "Candidate warnings:\n");
		text_diags(r, d, DIAG_WARNING, out);
	}
	if (!d) {
		fprintf(out, "guardrails: not checked\n");
	} else if (d->errors == 0) {
		fprintf(out, "guardrails: all pass\n");
	} else {
		emit(out, 0, pool_printf(&r->pool, "guardrails: FAILED with %d "
					 "error%s: the candidate would be "
					 "refused", d->errors,
					 d->errors == 1 ? "" : "s"));
		text_diags(r, d, DIAG_ERROR, out);
	}
	if (changes == 0)
		fprintf(out, "no changes\n");
	else
		fprintf(out, "%d change%s\n", changes, changes == 1 ? "" : "s");
}

/* ---- JSON ---- */

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
		}
	}
	fputc('"', out);
}

static void json_list(FILE *out, const struct list *l)
{
	fputc('[', out);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputs(", ", out);
		json_string(out, l->v[i]);
	}
	fputc(']', out);
}

static void json_val(FILE *out, const struct val *v)
{
	switch (v->kind) {
	case VAL_WORD:
	case VAL_TEXT:
		json_string(out, v->s);
		break;
	case VAL_LIST:
		json_list(out, &v->l);
		break;
	case VAL_BOOL:
		fputs(v->num ? "true" : "false", out);
		break;
	case VAL_NUM:
		fprintf(out, "%lld", v->num);
		break;
	default:
		fputs("null", out);
	}
}

/* "key": value, with a separator before all but the first of an object */
static void json_key(FILE *out, bool *first, const char *key)
{
	fputs(*first ? "" : ", ", out);
	*first = false;
	json_string(out, key);
	fputs(": ", out);
}

static void json_change(FILE *out, bool *first, const struct attr *a)
{
	json_key(out, first, "old");
	json_val(out, &a->before);
	json_key(out, first, "new");
	json_val(out, &a->after);
	if (a->before.kind == VAL_LIST && a->after.kind == VAL_LIST) {
		json_key(out, first, "added");
		json_list(out, &a->plus);
		json_key(out, first, "removed");
		json_list(out, &a->minus);
	}
	if (a->note) {
		json_key(out, first, "note");
		json_string(out, a->note);
	}
}

static void json_item(int s, const struct item *it, FILE *out)
{
	const struct section_def *def = &sections[s];
	bool first = true;

	fputc('{', out);
	if (def->kind == SK_SETTINGS) {
		json_key(out, &first, "setting");
		json_string(out, it->name);
		json_change(out, &first, &it->attrs[0]);
		fputc('}', out);
		return;
	}
	if (it->name) {
		json_key(out, &first, "name");
		json_string(out, it->name);
	}
	if (def->kind == SK_CHANGED)
		json_key(out, &first, "changes"), fputc('[', out);
	for (size_t i = 0; i < it->attr_count; i++) {
		const struct attr *a = &it->attrs[i];
		bool inner = true;

		if (def->kind == SK_OBJECTS) {
			json_key(out, &first, a->key);
			json_val(out, &a->after);
			continue;
		}
		fputs(i ? ", {" : "{", out);
		json_key(out, &inner, "field");
		json_string(out, a->key);
		json_change(out, &inner, a);
		fputc('}', out);
	}
	if (def->kind == SK_CHANGED)
		fputc(']', out);
	if (s >= S_ISOLATED) {
		json_key(out, &first, "text");
		json_string(out, it->text);
	}
	fputc('}', out);
}

static void json_diags(FILE *out, const struct diags *d,
		       enum diag_severity sev)
{
	bool any = false;

	fputc('[', out);
	for (size_t i = 0; d && i < d->count; i++) {
		const struct diag *x = &d->items[i];

		if (x->severity != sev)
			continue;
		fputs(any ? ",\n      " : "\n      ", out);
		fputs("{\"file\": ", out);
		if (x->file)
			json_string(out, x->file);
		else
			fputs("null", out);
		fprintf(out, ", \"line\": %d, \"message\": ", x->line);
		json_string(out, x->message);
		fputc('}', out);
		any = true;
	}
	fputs(any ? "\n    ]" : "]", out);
}

static void write_json(struct report *r, const struct diags *d, int changes,
		       FILE *out)
{
	fputs("{\n  \"running\": ", out);
	json_string(out, file_of(r->a));
	fputs(",\n  \"candidate\": ", out);
	json_string(out, file_of(r->b));
	fputs(",\n", out);
	for (int s = 0; s < S_MAX; s++) {
		fprintf(out, "  \"%s\": [", sections[s].key);
		for (size_t i = 0; i < r->sec[s].n; i++) {
			fputs(i ? ",\n    " : "\n    ", out);
			json_item(s, &r->sec[s].v[i], out);
		}
		fputs(r->sec[s].n ? "\n  ],\n" : "],\n", out);
	}
	fprintf(out, "  \"guardrails\": {\n    \"checked\": %s, \"pass\": %s, "
		"\"refused\": %s,\n    \"errors\": ", d ? "true" : "false",
		d && d->errors == 0 ? "true" : "false",
		d && d->errors > 0 ? "true" : "false");
	json_diags(out, d, DIAG_ERROR);
	fputs(",\n    \"warnings\": ", out);
	json_diags(out, d, DIAG_WARNING);
	fprintf(out, "\n  },\n  \"changes\": %d\n}\n", changes);
}

/* ---- model_diff ---- */

static void compare(struct report *r)
{
	const struct model *a = r->a, *b = r->b;

	merge_by_name(r, a->flow_count, b->flow_count, flow_name, flow_pair);
	merge_by_name(r, a->zone_count, b->zone_count, zone_name, zone_pair);
	merge_by_name(r, a->host_count, b->host_count, host_name, host_pair);
	merge(r, mgmt_keys(r, a), a->mgmt_count, mgmt_keys(r, b),
	      b->mgmt_count, mgmt_pair);
	settings_diff(r);
}

int model_diff(const struct model *running, const struct model *candidate,
	       const struct diags *candidate_diags, bool json, FILE *out)
{
	struct report r = { .a = running, .b = candidate };
	int changes = 0, err = 0;

	if (!running || !candidate || !out)
		return -EINVAL;
	compare(&r);
	for (int s = 0; s < S_MAX; s++)
		if (s < S_ISOLATED)
			changes += (int)r.sec[s].n;
	if (!r.pool.oom) {
		if (json)
			write_json(&r, candidate_diags, changes, out);
		else
			write_text(&r, candidate_diags, changes, out);
	}
	if (r.pool.oom)
		err = -ENOMEM;
	else if (fflush(out) != 0 || ferror(out))
		err = -EIO;
	for (int s = 0; s < S_MAX; s++)
		free(r.sec[s].v);
	pool_free(&r.pool);
	return err ? err : changes;
}
