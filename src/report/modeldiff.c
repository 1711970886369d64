/* modeldiff.c - model_diff(): what a candidate config would change.
 *
 * Two passes: the comparison fills a report (sections of items; every string
 * and array lives in one pool), then the report is written as text or JSON
 * (modeldiff_render.c).  The comparison never writes and the writers never
 * compare, so the text and the JSON always say the same.
 *
 * This file: the entry point, the pool, field values and the assembly of
 * items, and the pairing of running's and the candidate's objects by name;
 * the comparison of each kind of object is in modeldiff_flows.c and
 * modeldiff_objects.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modeldiff_internal.h"

/* ---- the pool: everything a report allocates ---- */

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

void *diff_alloc(struct pool *p, size_t n, size_t size)
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
const char *diff_printf(struct pool *p, const char *fmt, ...)
{
	const char *s;
	va_list ap;

	va_start(ap, fmt);
	s = pool_vprintf(p, fmt, ap);
	va_end(ap);
	return s;
}

void diff_pool_free(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

/* ---- values: what a field holds ---- */

bool diff_list_has(const struct list *l, const char *s)
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
	struct list out = { diff_alloc(p, a->n, sizeof(*out.v)), 0 };

	for (size_t i = 0; out.v && i < a->n; i++)
		if (!diff_list_has(b, a->v[i]))
			out.v[out.n++] = a->v[i];
	return out;
}

/* On sets (sorted, unique). */
bool diff_list_equal(const struct list *a, const struct list *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (!diff_list_has(b, a->v[i]))
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
		return diff_list_equal(&a->l, &b->l);
	default:
		return a->num == b->num;
	}
}

/* "a, b, c" (prefix before each) */
const char *diff_list_join(struct pool *p, const struct list *l,
			   const char *prefix)
{
	const char *s = "";

	for (size_t i = 0; i < l->n; i++)
		s = diff_printf(p, "%s%s%s%s", s, i ? ", " : "", prefix,
				l->v[i]);
	return s;
}

/* Free text on one line: white space folded, control characters as '?';
 * NULL when nothing is left. */
const char *diff_clean(struct pool *p, const char *s)
{
	char *out;
	size_t n = 0;
	bool space = false;

	if (!s || !(out = diff_alloc(p, strlen(s) + 1, 1)))
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

/* ---- the report ---- */

void diff_item_push(struct report *r, int s, const struct item *it)
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
void diff_attr_val(struct item *it, const char *key, struct val v)
{
	struct attr *a = attr_add(it, key);

	if (a)
		a->after = v;
}

/* A changed field, or NULL when before and after are equal. */
struct attr *diff_attr(struct report *r, struct item *it, const char *key,
		       struct val before, struct val after)
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
void diff_notable(struct report *r, const char *kind, const char *subject,
		  const char *fmt, ...)
{
	struct item it = { 0 };
	va_list ap;

	va_start(ap, fmt);
	it.text = pool_vprintf(&r->pool, fmt, ap);
	va_end(ap);
	diff_attr_val(&it, "kind", val_word(kind));
	diff_attr_val(&it, "subject", val_word(subject));
	diff_item_push(r, S_NOTABLE, &it);
}

static int named_cmp(const void *x, const void *y)
{
	const struct named *a = x, *b = y;
	int c = strcmp(a->name, b->name);

	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

void diff_merge(struct report *r, struct named *a, size_t na,
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

static struct named *names(struct report *r, const struct model *m,
			   size_t n, name_fn *name)
{
	struct named *v = diff_alloc(&r->pool, n, sizeof(*v));

	for (size_t i = 0; v && i < n; i++)
		v[i] = (struct named){ name(m, i), i };
	return v;
}

void diff_merge_by_name(struct report *r, size_t na, size_t nb,
			name_fn *name, pair_fn *pair)
{
	diff_merge(r, names(r, r->a, na, name), na,
		   names(r, r->b, nb, name), nb, pair);
}

/* ---- model_diff ---- */

static void compare(struct report *r)
{
	diff_flows(r);
	diff_zones(r);
	diff_hosts(r);
	diff_management(r);
	diff_settings(r);
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
			diff_write_json(&r, candidate_diags, changes, out);
		else
			diff_write_text(&r, candidate_diags, changes, out);
	}
	if (r.pool.oom)
		err = -ENOMEM;
	else if (fflush(out) != 0 || ferror(out))
		err = -EIO;
	for (int s = 0; s < S_MAX; s++)
		free(r.sec[s].v);
	diff_pool_free(&r.pool);
	return err ? err : changes;
}
