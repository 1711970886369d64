/* addr.c - IPv4/IPv6 prefixes and interval arithmetic.
 *
 * Addresses are big-endian byte arrays, so memcmp() over addr_len() bytes is
 * the 32- or 128-bit unsigned comparison the interval code needs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "array.h"

#define CIDR_TEXT_MAX 64   /* longer than any IPv6 text with a prefix */

size_t addr_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

static unsigned int family_bits(uint8_t family)
{
	return (unsigned int)addr_len(family) * 8;
}

/* Keeps the first prefix bits of addr and sets the rest to fill (0 or 1). */
static void addr_fill_host_bits(uint8_t *addr, size_t len, unsigned int prefix,
				uint8_t fill)
{
	for (size_t i = 0; i < len; i++) {
		unsigned int first = (unsigned int)i * 8;
		uint8_t keep;

		if (prefix >= first + 8)
			continue;
		keep = prefix > first ? (uint8_t)(0xff << (8 - (prefix - first))) : 0;
		addr[i] = (uint8_t)((addr[i] & keep) | (fill & (uint8_t)~keep));
	}
}

static int prefix_parse(const char *text, unsigned int max, unsigned int *out)
{
	unsigned int v = 0;
	size_t n = 0;

	for (; text[n]; n++) {
		if (text[n] < '0' || text[n] > '9' || n >= 3)
			return -EINVAL;
		v = v * 10 + (unsigned int)(text[n] - '0');
	}
	if (n == 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cidr_parse_explain(const char *text, struct cidr *out, const char **why)
{
	char buf[CIDR_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned int prefix;
	uint8_t masked[16];

	memset(out, 0, sizeof(*out));
	*why = "not an IPv4 or IPv6 address";
	if (alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	out->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(out->family, buf, out->addr) != 1)
		return -EINVAL;
	prefix = family_bits(out->family);
	if (slash && prefix_parse(slash + 1, prefix, &prefix) < 0) {
		*why = "prefix length out of range";
		return -EINVAL;
	}
	out->prefix = (uint8_t)prefix;
	memcpy(masked, out->addr, sizeof(masked));
	addr_fill_host_bits(masked, addr_len(out->family), prefix, 0);
	if (memcmp(masked, out->addr, addr_len(out->family)) != 0) {
		memcpy(out->addr, masked, sizeof(masked));
		*why = "host bits set";
		return -EINVAL;
	}
	*why = NULL;
	return 0;
}

int cidr_parse(const char *text, struct cidr *out)
{
	const char *why;

	return cidr_parse_explain(text, out, &why);
}

void cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	if (cidr_is_single_host(c))
		snprintf(buf, len, "%s", text);
	else
		snprintf(buf, len, "%s/%u", text, c->prefix);
}

bool cidr_is_single_host(const struct cidr *c)
{
	return c->prefix == family_bits(c->family);
}

void cidr_to_interval(const struct cidr *c, struct interval *out)
{
	size_t len = addr_len(c->family);

	memset(out, 0, sizeof(*out));
	memcpy(out->lo, c->addr, len);
	memcpy(out->hi, c->addr, len);
	addr_fill_host_bits(out->lo, len, c->prefix, 0);
	addr_fill_host_bits(out->hi, len, c->prefix, 0xff);
}

/* a and b as intervals x and y; the address length to compare them over,
 * or 0 when their families differ (no address is in both). */
static size_t interval_pair(const struct cidr *a, const struct cidr *b,
			    struct interval *x, struct interval *y)
{
	if (a->family != b->family)
		return 0;
	cidr_to_interval(a, x);
	cidr_to_interval(b, y);
	return addr_len(a->family);
}

bool cidr_contains(const struct cidr *outer, const struct cidr *inner)
{
	struct interval o, i;
	size_t len = interval_pair(outer, inner, &o, &i);

	return len && memcmp(o.lo, i.lo, len) <= 0 &&
	       memcmp(i.hi, o.hi, len) <= 0;
}

bool cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	struct interval x, y;
	size_t len = interval_pair(a, b, &x, &y);

	return len && memcmp(x.lo, y.hi, len) <= 0 &&
	       memcmp(y.lo, x.hi, len) <= 0;
}

void interval_list_init(struct interval_list *l, uint8_t family)
{
	memset(l, 0, sizeof(*l));
	l->family = family;
}

void interval_list_free(struct interval_list *l)
{
	if (!l)
		return;
	free(l->items);
	interval_list_init(l, l->family);
}

int interval_list_reserve(struct interval_list *l, size_t n)
{
	return array_reserve((void **)&l->items, &l->capacity, l->count, n,
			     sizeof(*l->items));
}

int interval_list_add(struct interval_list *l, const struct interval *iv)
{
	if (array_grow((void **)&l->items, &l->capacity, l->count,
		       sizeof(*l->items), 16))
		return -ENOMEM;
	l->items[l->count++] = *iv;
	return 0;
}

static int addr_cmp(const void *a, const void *b, void *len)
{
	return memcmp(a, b, *(const size_t *)len);
}

#define RADIX_MIN 2048          /* below this qsort is cheaper */
#define RADIX_BUCKETS 65536     /* 16-bit digits */

static unsigned int radix_digit(const uint8_t *elem, size_t pos)
{
	return (unsigned int)elem[pos] << 8 | elem[pos + 1];
}

/* One stable counting pass on the digit at pos, src -> dst (n elements of
 * size bytes).  Returns false (nothing moved) when every key has the same
 * digit there. */
static bool radix_pass(const uint8_t *src, uint8_t *dst, size_t n,
		       size_t size, size_t pos, size_t *count)
{
	size_t sum = 0;

	memset(count, 0, RADIX_BUCKETS * sizeof(*count));
	for (size_t i = 0; i < n; i++)
		count[radix_digit(src + i * size, pos)]++;
	if (count[radix_digit(src, pos)] == n)
		return false;
	for (size_t b = 0; b < RADIX_BUCKETS; b++) {
		size_t c = count[b];

		count[b] = sum;
		sum += c;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = src + i * size;

		memcpy(dst + count[radix_digit(e, pos)]++ * size, e, size);
	}
	return true;
}

/* qsort() spent most of normalize's time on 100k prefixes; an LSD radix
 * sort on 16-bit digits is linear: 2 passes for IPv4, at most 8 for IPv6,
 * and passes over digits all keys share are skipped.  Stable. */
void addr_sort(void *v, size_t n, size_t size, size_t len)
{
	uint8_t *tmp = NULL, *src = v, *dst;
	size_t *count = NULL;

	if (n < 2)
		return;
	if (n >= RADIX_MIN) {
		tmp = malloc(n * size);
		count = malloc(RADIX_BUCKETS * sizeof(*count));
	}
	if (!tmp || !count) {
		/* short of memory: slower, and ties in any order */
		qsort_r(v, n, size, addr_cmp, &len);
		goto out;
	}
	dst = tmp;
	for (size_t pos = len; pos >= 2; pos -= 2) {
		if (radix_pass(src, dst, n, size, pos - 2, count)) {
			uint8_t *t = src;

			src = dst;
			dst = t;
		}
	}
	if (src != (uint8_t *)v)
		memcpy(v, src, n * size);
out:
	free(tmp);
	free(count);
}

/* addr + 1; returns false (and leaves addr all-zero) on wrap-around. */
static bool addr_increment(uint8_t *addr, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (++addr[i] != 0)
			return true;
	return false;
}

/* addr - 1; returns false on wrap-around (addr was zero). */
static bool addr_decrement(uint8_t *addr, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (addr[i]-- != 0)
			return true;
	return false;
}

/* Does next start at most one address after cur ends? */
static bool interval_touches(const struct interval *cur,
			     const struct interval *next, size_t len)
{
	uint8_t after[16];

	memcpy(after, cur->hi, sizeof(after));
	if (!addr_increment(after, len))
		return true;    /* cur ends at the top: everything touches */
	return memcmp(next->lo, after, len) <= 0;
}

/* Already sorted by lo (as a list built from a sorted one is)? */
static bool interval_list_sorted(const struct interval_list *l)
{
	size_t len = addr_len(l->family);

	for (size_t i = 1; i < l->count; i++)
		if (memcmp(l->items[i - 1].lo, l->items[i].lo, len) > 0)
			return false;
	return true;
}

void interval_list_normalize(struct interval_list *l)
{
	size_t len = addr_len(l->family), out = 0;

	if (l->count < 2)
		return;
	if (!interval_list_sorted(l))
		addr_sort(l->items, l->count, sizeof(*l->items), len);
	for (size_t i = 1; i < l->count; i++) {
		struct interval *cur = &l->items[out];
		const struct interval *next = &l->items[i];

		if (interval_touches(cur, next, len)) {
			if (memcmp(next->hi, cur->hi, len) > 0)
				memcpy(cur->hi, next->hi, len);
			continue;
		}
		l->items[++out] = *next;
	}
	l->count = out + 1;
}

int interval_list_complement(struct interval_list *l, struct interval_list *out)
{
	struct complement c;
	int err;

	interval_list_normalize(l);
	err = complement_begin(&c, l->family, l->count + 1, out);
	for (size_t i = 0; i < l->count && !err; i++)
		err = complement_add(&c, &l->items[i]);
	return err ?: complement_end(&c);
}

int complement_begin(struct complement *c, uint8_t family, size_t hint,
		     struct interval_list *out)
{
	memset(c, 0, sizeof(*c));    /* gap.lo: the next uncovered address */
	c->len = addr_len(family);
	c->more = true;
	c->out = out;
	interval_list_init(out, family);
	return interval_list_reserve(out, hint);
}

int complement_add(struct complement *c, const struct interval *iv)
{
	if (!c->more || memcmp(iv->hi, c->gap.lo, c->len) < 0)
		return 0;            /* inside what is covered already */
	memcpy(c->gap.hi, iv->lo, c->len);
	if (memcmp(c->gap.lo, iv->lo, c->len) < 0 &&
	    addr_decrement(c->gap.hi, c->len) &&
	    interval_list_add(c->out, &c->gap) < 0)
		goto nomem;
	memcpy(c->gap.lo, iv->hi, c->len);
	c->more = addr_increment(c->gap.lo, c->len);
	return 0;
nomem:
	interval_list_free(c->out);
	return -ENOMEM;
}

int complement_end(struct complement *c)
{
	if (!c->more)
		return 0;
	memset(c->gap.hi, 0xff, c->len);
	if (interval_list_add(c->out, &c->gap) == 0)
		return 0;
	interval_list_free(c->out);
	return -ENOMEM;
}

int interval_list_append_merged(struct interval_list *l,
				const struct interval *iv)
{
	size_t len = addr_len(l->family);
	struct interval *last;

	if (l->count == 0)
		return interval_list_add(l, iv);
	last = &l->items[l->count - 1];
	if (!interval_touches(last, iv, len))
		return interval_list_add(l, iv);
	if (memcmp(iv->hi, last->hi, len) > 0)
		memcpy(last->hi, iv->hi, len);
	return 0;
}

/* Index of the last interval with lo <= addr, or -1. */
static long interval_list_floor(const struct interval_list *l,
				const uint8_t *addr)
{
	size_t len = addr_len(l->family), lo = 0, hi = l->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(l->items[mid].lo, addr, len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

bool interval_list_contains(const struct interval_list *l,
			    const struct interval *iv)
{
	long i = interval_list_floor(l, iv->lo);

	return i >= 0 && memcmp(iv->hi, l->items[i].hi, addr_len(l->family)) <= 0;
}

bool interval_list_overlaps(const struct interval_list *l,
			    const struct interval *iv)
{
	long i = interval_list_floor(l, iv->hi);

	/* Normalized: only the last interval starting at or before iv->hi
	 * can reach iv->lo. */
	return i >= 0 && memcmp(iv->lo, l->items[i].hi, addr_len(l->family)) <= 0;
}
