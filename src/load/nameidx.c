/* nameidx.c - name -> index hash table over an append-only array
 * (open addressing, linear probing, at most half full). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nameidx.h"

static uint64_t name_hash(const char *s)   /* FNV-1a, 64 bits */
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t probe(const struct nameidx *x, const void *items,
		    nameidx_name_fn *name, const char *key)
{
	size_t mask = x->cap - 1, i = name_hash(key) & mask;

	while (x->slot[i] && strcmp(name(items, x->slot[i] - 1), key))
		i = (i + 1) & mask;
	return i;
}

static void put(struct nameidx *x, const void *items, nameidx_name_fn *name,
		size_t item)
{
	const char *key = name(items, item);
	size_t i;

	if (!key)
		return;
	i = probe(x, items, name, key);
	if (!x->slot[i])            /* the first of a name stays */
		x->slot[i] = (uint32_t)item + 1;
}

/* Makes room for n items and adds those past x->indexed. */
static int follow(struct nameidx *x, const void *items, size_t n,
		  nameidx_name_fn *name)
{
	if (n > UINT32_MAX - 1)
		return -ENOMEM;
	if (2 * n > x->cap) {
		size_t cap = 64;

		while (cap < 2 * n)
			cap *= 2;
		free(x->slot);
		x->slot = calloc(cap, sizeof(*x->slot));
		x->cap = x->slot ? cap : 0;
		x->indexed = 0;
		if (!x->slot)
			return -ENOMEM;
	}
	for (; x->indexed < n; x->indexed++)
		put(x, items, name, x->indexed);
	return 0;
}

static int scan(const void *items, size_t n, nameidx_name_fn *name,
		const char *key)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = name(items, i);

		if (s && !strcmp(s, key))
			return (int)i;
	}
	return -ENOENT;
}

int nameidx_find(struct nameidx *x, const void *items, size_t n,
		 nameidx_name_fn *name, const char *key)
{
	size_t i;

	if (n < x->indexed)           /* not append-only after all: restart */
		x->indexed = 0, memset(x->slot, 0, x->cap * sizeof(*x->slot));
	if (n > (size_t)INT32_MAX || follow(x, items, n, name) < 0)
		return scan(items, n, name, key);
	if (!n)
		return -ENOENT;
	i = probe(x, items, name, key);
	return x->slot[i] ? (int)(x->slot[i] - 1) : -ENOENT;
}

void nameidx_free(struct nameidx *x)
{
	free(x->slot);
	*x = (struct nameidx){ 0 };
}
