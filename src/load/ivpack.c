/* ivpack.c - sorted, disjoint address intervals packed into bytes
 * (ivpack.h).  Numbers are 128 bits, kept as two 64-bit halves so that no
 * compiler extension is needed; IPv4 addresses use the low 32 bits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "ivpack.h"

struct u128 {
	uint64_t hi, lo;
};

#define VARINT_MAX 19            /* 128 bits, 7 a byte */
#define ENTRY_MAX (2 * (1 + VARINT_MAX))

static struct u128 u128_load(const uint8_t *p, size_t width)
{
	struct u128 v = { 0, 0 };

	for (size_t i = 0; i < width; i++) {
		v.hi = v.hi << 8 | v.lo >> 56;
		v.lo = v.lo << 8 | p[i];
	}
	return v;
}

static void u128_store(struct u128 v, uint8_t *p, size_t width)
{
	for (size_t i = width; i-- > 0;) {
		p[i] = (uint8_t)v.lo;
		v.lo = v.lo >> 8 | v.hi << 56;
		v.hi >>= 8;
	}
}

static struct u128 u128_add(struct u128 a, struct u128 b)
{
	struct u128 r = { a.hi + b.hi, a.lo + b.lo };

	r.hi += r.lo < a.lo;
	return r;
}

static struct u128 u128_sub(struct u128 a, struct u128 b)
{
	struct u128 r = { a.hi - b.hi, a.lo - b.lo };

	r.hi -= a.lo < b.lo;
	return r;
}

static int u128_cmp(struct u128 a, struct u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static struct u128 u128_shr(struct u128 v, unsigned n)
{
	if (n >= 128)
		return (struct u128){ 0, 0 };
	if (n >= 64)
		return (struct u128){ 0, v.hi >> (n - 64) };
	if (n == 0)
		return v;
	return (struct u128){ v.hi >> n, v.lo >> n | v.hi << (64 - n) };
}

static struct u128 u128_shl(struct u128 v, unsigned n)
{
	if (n >= 128)
		return (struct u128){ 0, 0 };
	if (n >= 64)
		return (struct u128){ v.lo << (n - 64), 0 };
	if (n == 0)
		return v;
	return (struct u128){ v.hi << n | v.lo >> (64 - n), v.lo << n };
}

/* Trailing zero bits; 128 for zero. */
static unsigned u128_ctz(struct u128 v)
{
	if (v.lo)
		return (unsigned)__builtin_ctzll(v.lo);
	if (v.hi)
		return 64 + (unsigned)__builtin_ctzll(v.hi);
	return 128;
}

/* The lowest n bits set. */
static struct u128 u128_ones(unsigned n)
{
	struct u128 one = { 0, 1 };

	if (n >= 128)
		return (struct u128){ UINT64_MAX, UINT64_MAX };
	return u128_sub(u128_shl(one, n), one);
}

/* The top address of width bytes. */
static struct u128 u128_top(size_t width)
{
	return u128_ones((unsigned)width * 8);
}

static bool u128_is(struct u128 v, struct u128 w)
{
	return v.hi == w.hi && v.lo == w.lo;
}

static size_t varint_put(uint8_t *out, struct u128 v)
{
	size_t n = 0;

	while (v.hi || v.lo >= 0x80) {
		out[n++] = (uint8_t)(v.lo & 0x7f) | 0x80;
		v = u128_shr(v, 7);
	}
	out[n++] = (uint8_t)v.lo;
	return n;
}

static bool varint_get(const struct ivpack *p, size_t *off, struct u128 *v)
{
	*v = (struct u128){ 0, 0 };
	for (unsigned shift = 0; *off < p->len && shift < 7 * VARINT_MAX;
	     shift += 7) {
		uint8_t b = p->buf[(*off)++];
		struct u128 part = { 0, b & 0x7f };

		*v = u128_add(*v, u128_shl(part, shift));
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* A number as its trailing bits (zeros, or ones) and the rest. */
static size_t number_put(uint8_t *out, struct u128 v, bool ones)
{
	struct u128 inv = { ~v.hi, ~v.lo };
	unsigned t = u128_ctz(ones ? inv : v);

	if (!ones && t == 128)
		t = 0;              /* zero: no trailing count needed */
	out[0] = (uint8_t)t;
	return 1 + varint_put(out + 1, u128_shr(v, t));
}

static bool number_get(const struct ivpack *p, size_t *off, bool ones,
		       struct u128 *v)
{
	unsigned t;

	if (*off >= p->len || p->buf[*off] > 128)
		return false;
	t = p->buf[(*off)++];
	if (!varint_get(p, off, v))
		return false;
	*v = u128_shl(*v, t);
	if (ones) {
		struct u128 low = u128_ones(t);

		v->hi |= low.hi;
		v->lo |= low.lo;
	}
	return true;
}

void ivpack_init(struct ivpack *p, uint8_t width)
{
	memset(p, 0, sizeof(*p));
	p->width = width;
}

void ivpack_free(struct ivpack *p)
{
	free(p->buf);
	ivpack_init(p, p->width);
}

static int room(struct ivpack *p, size_t n)
{
	return array_room((void **)&p->buf, &p->cap, p->len, n, 1, 64);
}

int ivpack_reserve(struct ivpack *p, size_t n)
{
	return n > SIZE_MAX / 8 ? -ENOMEM : room(p, 4 * n + ENTRY_MAX);
}

int ivpack_add(struct ivpack *p, const uint8_t *low, const uint8_t *high)
{
	struct u128 lo = u128_load(low, p->width);
	struct u128 hi = u128_load(high, p->width);
	struct u128 end = { p->end[0], p->end[1] };

	if (p->closed || u128_cmp(lo, end) < 0 || u128_cmp(hi, lo) < 0)
		return -EINVAL;
	if (room(p, ENTRY_MAX))
		return -ENOMEM;
	p->len += number_put(p->buf + p->len, u128_sub(lo, end), false);
	p->len += number_put(p->buf + p->len, u128_sub(hi, lo), true);
	p->count++;
	p->closed = u128_is(hi, u128_top(p->width));
	end = u128_add(hi, (struct u128){ 0, 1 });
	p->end[0] = end.hi;
	p->end[1] = end.lo;
	return 0;
}

void ivpack_trim(struct ivpack *p)
{
	uint8_t *buf;

	if (p->cap == p->len)
		return;
	if (!p->len) {
		free(p->buf);
		p->buf = NULL;
		p->cap = 0;
		return;
	}
	buf = realloc(p->buf, p->len);
	if (buf) {
		p->buf = buf;
		p->cap = p->len;
	}
}

bool ivpack_equal(const struct ivpack *a, const struct ivpack *b)
{
	return a->width == b->width && a->count == b->count &&
	       a->len == b->len && (!a->len || !memcmp(a->buf, b->buf, a->len));
}

int ivpack_copy(struct ivpack *dst, const struct ivpack *src)
{
	*dst = *src;
	dst->buf = NULL;
	dst->cap = 0;
	if (!src->len)
		return 0;
	dst->buf = malloc(src->len);
	if (!dst->buf) {
		ivpack_init(dst, src->width);
		return -ENOMEM;
	}
	memcpy(dst->buf, src->buf, src->len);
	dst->cap = src->len;
	return 0;
}

void ivpack_begin(struct ivpack_pos *pos)
{
	memset(pos, 0, sizeof(*pos));
}

bool ivpack_next(const struct ivpack *p, struct ivpack_pos *pos,
		 uint8_t *low, uint8_t *high)
{
	struct u128 end = { pos->end[0], pos->end[1] }, gap, span, lo, hi;

	if (pos->off >= p->len || !number_get(p, &pos->off, false, &gap) ||
	    !number_get(p, &pos->off, true, &span))
		return false;
	lo = u128_add(end, gap);
	hi = u128_add(lo, span);
	u128_store(lo, low, p->width);
	u128_store(hi, high, p->width);
	end = u128_add(hi, (struct u128){ 0, 1 });
	pos->end[0] = end.hi;
	pos->end[1] = end.lo;
	return true;
}

/* Appends [low, high] to out, or remembers the error. */
static void diff_put(struct ivpack *out, const uint8_t *low,
		     const uint8_t *high, int *err)
{
	if (!*err)
		*err = ivpack_add(out, low, high);
}

int ivpack_diff(const struct ivpack *a, const struct ivpack *b,
		struct ivpack *gone, struct ivpack *added)
{
	uint8_t alo[16], ahi[16], blo[16], bhi[16];
	struct ivpack_pos pa, pb;
	size_t w = a->width;
	bool ha, hb;
	int err = 0;

	if (a->width != b->width)
		return -EINVAL;
	ivpack_init(gone, a->width);
	ivpack_init(added, a->width);
	ivpack_begin(&pa);
	ivpack_begin(&pb);
	ha = ivpack_next(a, &pa, alo, ahi);
	hb = ivpack_next(b, &pb, blo, bhi);
	while ((ha || hb) && !err) {
		int c = !ha ? 1 : !hb ? -1 : memcmp(alo, blo, w);

		if (c == 0 && !memcmp(ahi, bhi, w)) {     /* kept */
			ha = ivpack_next(a, &pa, alo, ahi);
			hb = ivpack_next(b, &pb, blo, bhi);
			continue;
		}
		if (c <= 0) {      /* a's interval is not in b (as it is) */
			diff_put(gone, alo, ahi, &err);
			ha = ivpack_next(a, &pa, alo, ahi);
		}
		if (c >= 0) {      /* b's interval is not in a */
			diff_put(added, blo, bhi, &err);
			hb = ivpack_next(b, &pb, blo, bhi);
		}
	}
	if (err) {
		ivpack_free(gone);
		ivpack_free(added);
	}
	return err;
}

/* A sequential read of one pack, the interval at hand in low and high. */
struct ivs {
	const struct ivpack *p;
	struct ivpack_pos pos;
	uint8_t low[16], high[16];
	bool more;
};

static void ivs_begin(struct ivs *s, const struct ivpack *p)
{
	s->p = p;
	ivpack_begin(&s->pos);
	s->more = ivpack_next(p, &s->pos, s->low, s->high);
}

static void ivs_next(struct ivs *s)
{
	s->more = ivpack_next(s->p, &s->pos, s->low, s->high);
}

static bool ivs_same(const struct ivs *a, const struct ivs *b, size_t w)
{
	return !memcmp(a->low, b->low, w) && !memcmp(a->high, b->high, w);
}

bool ivpack_diff_holds(const struct ivpack *old, const struct ivpack *gone,
		       const struct ivpack *added, const struct ivpack *now)
{
	size_t w = now->width;
	struct ivs o, g, a, n;

	if (old->width != w || gone->width != w || added->width != w)
		return false;
	ivs_begin(&o, old);
	ivs_begin(&g, gone);
	ivs_begin(&a, added);
	ivs_begin(&n, now);
	for (;;) {
		struct ivs *next;

		while (o.more && g.more && ivs_same(&o, &g, w)) {
			ivs_next(&o);      /* gone from old */
			ivs_next(&g);
		}
		if (!o.more && !a.more)
			break;
		/* the lower of the old one left and the added one */
		next = !a.more || (o.more && memcmp(o.low, a.low, w) < 0) ? &o
									  : &a;
		if (next == &o && g.more && memcmp(g.low, o.low, w) <= 0)
			return false;      /* a gone interval old lacks */
		if (!n.more || !ivs_same(next, &n, w))
			return false;
		ivs_next(next);
		ivs_next(&n);
	}
	return !g.more && !n.more;
}

bool ivpack_touches(const struct ivpack *p)
{
	uint8_t low[16], high[16];
	struct ivpack_pos pos;
	struct u128 end = { 0, 0 };
	bool first = true;

	ivpack_begin(&pos);
	while (ivpack_next(p, &pos, low, high)) {
		if (!first && u128_is(u128_load(low, p->width), end))
			return true;
		first = false;
		end = u128_add(u128_load(high, p->width), (struct u128){ 0, 1 });
	}
	return false;
}
