/* array.h - room in a growable array (items, count, capacity). */
#ifndef SEGMENTD_ARRAY_H
#define SEGMENTD_ARRAY_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* Room for n more items of size bytes after count: one realloc to exactly
 * count + n when it is short (callers that add one at a time double the
 * capacity themselves).  0 or -ENOMEM (*items unchanged). */
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

#endif
