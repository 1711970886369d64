/* addr.h - IPv4/IPv6 prefixes and interval arithmetic (pure, no I/O). */
#ifndef SEGMENTD_ADDR_H
#define SEGMENTD_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One prefix as written in the config.  Addresses are stored in network
 * byte order in the first 4 (IPv4) or 16 (IPv6) bytes of addr. */
struct cidr {
	uint8_t family;  /* AF_INET or AF_INET6 */
	uint8_t prefix;  /* 0..32 or 0..128 */
	uint8_t addr[16];
	int line;        /* config line it came from, 0 if generated */
};

/* An inclusive address range [lo, hi] in one family (network byte order). */
struct interval {
	uint8_t lo[16];
	uint8_t hi[16];
};

struct interval_list {
	uint8_t family;
	struct interval *items;
	size_t count, capacity;
};

/* Parses "10.0.0.0/8", "192.0.2.1" (a /32), "2001:db8::/32", "::1".
 * Host bits set below the prefix ("10.0.0.1/8") are an error: -EINVAL.
 * Returns 0 or -EINVAL. */
int cidr_parse(const char *text, struct cidr *out);
/* The same, with *why set to a static explanation on -EINVAL ("not an IPv4
 * or IPv6 address", "prefix length out of range", "host bits set").  With
 * "host bits set", *out holds the prefix with the host bits cleared, so the
 * caller can suggest it. */
int cidr_parse_explain(const char *text, struct cidr *out, const char **why);
/* Writes the canonical text ("10.0.0.0/8", "192.0.2.1" for a /32). */
void cidr_format(const struct cidr *c, char *buf, size_t len);
size_t addr_len(uint8_t family);           /* 4 or 16 */
bool cidr_is_single_host(const struct cidr *c);
bool cidr_contains(const struct cidr *outer, const struct cidr *inner);
bool cidr_overlaps(const struct cidr *a, const struct cidr *b);
void cidr_to_interval(const struct cidr *c, struct interval *out);

/* Sorts n elements of size bytes by the address in their first len bytes
 * (an element starts with an address or a struct interval: by lo).  Ties
 * keep their order: a radix sort from 2048 elements on, below that
 * qsort_r(), which glibc runs as a merge sort while it can allocate (C
 * does not promise it); only overlap messages depend on it. */
void addr_sort(void *v, size_t n, size_t size, size_t len);

void interval_list_init(struct interval_list *l, uint8_t family);
void interval_list_free(struct interval_list *l);
int interval_list_add(struct interval_list *l, const struct interval *iv);
/* Room for n more items (one allocation); -ENOMEM. */
int interval_list_reserve(struct interval_list *l, size_t n);
/* Sorts and merges overlapping and adjacent intervals in place. */
void interval_list_normalize(struct interval_list *l);
/* out = the whole address space of l->family minus l (l normalized first).
 * Returns 0 or -ENOMEM. */
int interval_list_complement(struct interval_list *l, struct interval_list *out);
/* The same, fed one interval at a time in order of lo (they may overlap):
 * complement_begin (hint: room to reserve), complement_add each,
 * complement_end.  Each returns 0 or -ENOMEM (out is then freed). */
struct complement {
	struct interval gap;   /* gap.lo: the next address not yet covered */
	bool more;             /* is there address space after the last hi? */
	size_t len;
	struct interval_list *out;
};
int complement_begin(struct complement *c, uint8_t family, size_t hint,
		     struct interval_list *out);
int complement_add(struct complement *c, const struct interval *iv);
int complement_end(struct complement *c);
/* Adds iv to a normalized l whose items all start at or before iv->lo,
 * merging it into the last one where they touch: l stays normalized.
 * 0 or -ENOMEM. */
int interval_list_append_merged(struct interval_list *l,
				const struct interval *iv);
/* On a normalized list, O(log n): is iv inside one interval of l, does it
 * share an address with any interval of l? */
bool interval_list_contains(const struct interval_list *l,
			    const struct interval *iv);
bool interval_list_overlaps(const struct interval_list *l,
			    const struct interval *iv);

#endif
