/* array.h - room in a growable array (items, count, capacity): one item
 * at a time (doubling) or many at once (exactly). */
#ifndef SEGMENTD_ARRAY_H
#define SEGMENTD_ARRAY_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* Room for n more items of size bytes after count: one realloc to exactly
 * count + n when it is short.  0 or -ENOMEM (*items unchanged). */
static inline int array_reserve(void **items, size_t *capacity, size_t count,
				size_t n, size_t size)
{
	void *p;

	if (*capacity - count >= n)
		return 0;
	if (count + n < count || count + n > SIZE_MAX / size)
		return -ENOMEM;
	p = realloc(*items, (count + n) * size);
	if (!p)
		return -ENOMEM;
	*items = p;
	*capacity = count + n;
	return 0;
}

/* Room for one more item: the capacity doubled (first when empty) when
 * count has reached it.  0 or -ENOMEM (*items unchanged). */
static inline int array_grow(void **items, size_t *capacity, size_t count,
			     size_t size, size_t first)
{
	if (count < *capacity)
		return 0;
	return array_reserve(items, capacity, count,
			     *capacity ? *capacity : first, size);
}

/* Room for n more items: the capacity doubled (from first when empty)
 * until they fit.  0 or -ENOMEM (*items unchanged). */
static inline int array_room(void **items, size_t *capacity, size_t count,
			     size_t n, size_t size, size_t first)
{
	size_t cap = *capacity ? *capacity : first;

	if (*capacity - count >= n)
		return 0;
	while (cap - count < n) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	return array_reserve(items, capacity, count, cap - count, size);
}

#endif
