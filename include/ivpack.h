/* ivpack.h - sorted, disjoint address intervals packed into bytes.
 *
 * The big address sets of a compiled ruleset (100k networks a set) are
 * kept for as long as they are enforced; as 32-byte pairs they were most
 * of the daemon's memory.  Each interval is stored against the end of the
 * one before it as two numbers, the gap before it (low - previous end) and
 * its span (high - low), each as the count of its trailing zero (gap) or
 * one (span) bits and the rest as a LEB128 varint: a CIDR-shaped set
 * takes 2-6 bytes an interval.  The same intervals always pack to the
 * same bytes, so two packs are equal exactly when their bytes are.
 * Reading is sequential (ivpack_next).
 */
#ifndef SEGMENTD_IVPACK_H
#define SEGMENTD_IVPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ivpack {
	uint8_t *buf;
	size_t len, cap;
	size_t count;        /* intervals */
	uint8_t width;       /* address bytes: 4 or 16 */
	bool closed;         /* the last interval ends at the top address */
	uint64_t end[2];     /* the last interval's high + 1 (appending):
			      * high and low 64 bits */
};

/* Where a sequential read is. */
struct ivpack_pos {
	size_t off;
	uint64_t end[2];
};

void ivpack_init(struct ivpack *p, uint8_t width);
void ivpack_free(struct ivpack *p);
/* Appends [low, high] (width bytes each, network order): -EINVAL unless
 * low <= high and low lies after the last interval; -ENOMEM. */
int ivpack_add(struct ivpack *p, const uint8_t *low, const uint8_t *high);
/* Room for about n more intervals (a hint; -ENOMEM). */
int ivpack_reserve(struct ivpack *p, size_t n);
/* Gives back the unused capacity. */
void ivpack_trim(struct ivpack *p);
bool ivpack_equal(const struct ivpack *a, const struct ivpack *b);
/* dst (initialised here, its own bytes) holds what src holds; -ENOMEM. */
int ivpack_copy(struct ivpack *dst, const struct ivpack *src);
/* The intervals of a that b does not hold exactly (gone) and those of b
 * that a does not (added), both initialised here: an interval that
 * changed its bounds is in both.  Returns 0, -EINVAL (widths differ) or
 * -ENOMEM (then both are freed). */
int ivpack_diff(const struct ivpack *a, const struct ivpack *b,
		struct ivpack *gone, struct ivpack *added);

/* Whether old without the intervals of gone, with those of added, is
 * exactly now (every gone interval one of old's): a check of a
 * difference by its result, not by the way it was computed. */
bool ivpack_diff_holds(const struct ivpack *old, const struct ivpack *gone,
		       const struct ivpack *added, const struct ivpack *now);
/* Whether two intervals of p touch (one ends where the next begins). */
bool ivpack_touches(const struct ivpack *p);

void ivpack_begin(struct ivpack_pos *pos);
/* The next interval into low and high (width bytes each); false at the
 * end (or on bytes that do not decode, which ivpack_add never writes). */
bool ivpack_next(const struct ivpack *p, struct ivpack_pos *pos,
		 uint8_t *low, uint8_t *high);

#endif
