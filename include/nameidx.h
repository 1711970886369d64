/* nameidx.h - find an item by name in an append-only array of named items
 * (the model's zones and hosts while the config is read, the compiler's
 * sets) in O(1) instead of a scan: a hash table of indexes kept next to the
 * array by whoever owns it.  It follows the array lazily: items appended
 * since the last lookup are added then.  Like a scan it finds the first
 * item of a name.  Out of memory it falls back to the scan. */
#ifndef SEGMENTD_NAMEIDX_H
#define SEGMENTD_NAMEIDX_H

#include <stddef.h>
#include <stdint.h>

struct nameidx {
	uint32_t *slot;    /* item index + 1; 0: empty */
	size_t cap;        /* slots: 0 or a power of two */
	size_t indexed;    /* items [0, indexed) are in the table */
};

/* The name of item i of items (NULL: a cleared item, never found). */
typedef const char *nameidx_name_fn(const void *items, size_t i);

/* The index of the first of the n items named key, or -ENOENT. */
int nameidx_find(struct nameidx *x, const void *items, size_t n,
		 nameidx_name_fn *name, const char *key);
void nameidx_free(struct nameidx *x);

#endif
