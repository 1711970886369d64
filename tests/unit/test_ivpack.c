/* test_ivpack.c - packed address intervals: what goes in comes out, in
 * both widths, at the edges of the address space, and nothing unsorted
 * goes in; the difference of two packs is exactly what one holds and the
 * other does not. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "ivpack.h"

#define N 2000

struct pair {
	uint8_t lo[16], hi[16];
};

/* at += a small number at byte k (with carry); false when it wraps. */
static bool bump(uint8_t *at, size_t k, unsigned by)
{
	for (;; k--) {
		unsigned sum = at[k] + by;

		at[k] = (uint8_t)sum;
		by = sum >> 8;
		if (!by)
			return true;
		if (k == 0)
			return false;
	}
}

/* Up to n sorted, disjoint intervals of width bytes from a fixed seed
 * (gaps and spans of any size: CIDR blocks, single addresses, ragged
 * ranges); returns how many. */
static size_t make(struct pair *v, size_t n, size_t width, unsigned seed)
{
	uint8_t at[16] = { 0 };
	size_t i;

	srand(seed);
	for (i = 0; i < n; i++) {
		size_t low_bytes = width / 2;
		size_t k = width - 1 - (size_t)rand() % low_bytes;

		if (i && !bump(at, k, 1 + (unsigned)rand() % 200))
			break;                      /* gap */
		memcpy(v[i].lo, at, width);
		if (rand() % 2) {                   /* a CIDR-shaped block */
			size_t from = width - (size_t)rand() % low_bytes;

			for (size_t b = from; b < width; b++)
				at[b] = 0xff;
		} else if (!bump(at, width - 1, (unsigned)rand() % 300)) {
			break;
		}
		memcpy(v[i].hi, at, width);
		if (!bump(at, width - 1, 1))
			break;
	}
	return i;
}

static void round_trip(size_t width, unsigned seed)
{
	struct pair *v = calloc(N, sizeof(*v));
	struct ivpack p, q;
	struct ivpack_pos pos;
	uint8_t lo[16], hi[16];
	size_t n = 0, made;

	ck_assert_ptr_nonnull(v);
	made = make(v, N, width, seed);
	ck_assert_uint_gt(made, N / 2);
	ivpack_init(&p, (uint8_t)width);
	ivpack_init(&q, (uint8_t)width);
	ck_assert_int_eq(ivpack_reserve(&p, N), 0);
	for (size_t i = 0; i < made; i++) {
		ck_assert_int_eq(ivpack_add(&p, v[i].lo, v[i].hi), 0);
		ck_assert_int_eq(ivpack_add(&q, v[i].lo, v[i].hi), 0);
	}
	ivpack_trim(&p);
	ck_assert_uint_eq(p.count, made);
	ck_assert(ivpack_equal(&p, &q));
	ivpack_begin(&pos);
	while (ivpack_next(&p, &pos, lo, hi)) {
		ck_assert_mem_eq(lo, v[n].lo, width);
		ck_assert_mem_eq(hi, v[n].hi, width);
		n++;
	}
	ck_assert_uint_eq(n, p.count);
	ivpack_free(&p);
	ivpack_free(&q);
	free(v);
}

START_TEST(round_trips)
{
	for (unsigned seed = 1; seed <= 20; seed++) {
		round_trip(4, seed);
		round_trip(16, seed);
	}
}
END_TEST

START_TEST(edges_of_the_space)
{
	static const size_t widths[] = { 4, 16 };

	for (size_t w = 0; w < 2; w++) {
		size_t width = widths[w];
		uint8_t zero[16] = { 0 }, top[16], lo[16], hi[16];
		struct ivpack p;
		struct ivpack_pos pos;

		memset(top, 0xff, sizeof(top));
		ivpack_init(&p, (uint8_t)width);
		ck_assert_int_eq(ivpack_add(&p, zero, top), 0);  /* all of it */
		ck_assert_int_eq(ivpack_add(&p, top, top), -EINVAL);
		ivpack_begin(&pos);
		ck_assert(ivpack_next(&p, &pos, lo, hi));
		ck_assert_mem_eq(lo, zero, width);
		ck_assert_mem_eq(hi, top, width);
		ck_assert(!ivpack_next(&p, &pos, lo, hi));
		ivpack_free(&p);
		ck_assert_int_eq(ivpack_add(&p, zero, zero), 0);
		ck_assert_int_eq(ivpack_add(&p, top, top), 0);
		ck_assert_uint_eq(p.count, 2);
		ivpack_begin(&pos);
		ck_assert(ivpack_next(&p, &pos, lo, hi));
		ck_assert_mem_eq(hi, zero, width);
		ck_assert(ivpack_next(&p, &pos, lo, hi));
		ck_assert_mem_eq(lo, top, width);
		ck_assert_mem_eq(hi, top, width);
		ivpack_free(&p);
	}
}
END_TEST

START_TEST(unsorted_is_refused)
{
	uint8_t a[4] = { 10, 0, 0, 0 }, b[4] = { 10, 0, 0, 255 };
	uint8_t c[4] = { 10, 0, 0, 128 };
	struct ivpack p;

	ivpack_init(&p, 4);
	ck_assert_int_eq(ivpack_add(&p, b, a), -EINVAL);     /* high < low */
	ck_assert_int_eq(ivpack_add(&p, a, c), 0);
	ck_assert_int_eq(ivpack_add(&p, c, b), -EINVAL);     /* overlaps */
	ck_assert_int_eq(ivpack_add(&p, a, a), -EINVAL);     /* before */
	ck_assert_uint_eq(p.count, 1);
	ivpack_free(&p);
}
END_TEST

/* CIDR-shaped sets, the bulk of a big config, take a few bytes each. */
START_TEST(cidrs_are_small)
{
	struct ivpack p;

	ivpack_init(&p, 16);
	for (unsigned i = 0; i < 1000; i++) {
		uint8_t lo[16] = { 0xfd, 0, 0, 2, 0, 1, (uint8_t)(i >> 7),
				   (uint8_t)(2 * i + 1) };
		uint8_t hi[16];

		memcpy(hi, lo, 8);
		memset(hi + 8, 0xff, 8);
		ck_assert_int_eq(ivpack_add(&p, lo, hi), 0);
	}
	ck_assert_uint_le(p.len, 1000 * 6 + 20);
	ivpack_free(&p);
}
END_TEST

/* The intervals of p, in order, into v (at most n); returns how many. */
static size_t unpack(const struct ivpack *p, struct pair *v, size_t n)
{
	struct ivpack_pos pos;
	size_t k = 0;

	ivpack_begin(&pos);
	while (k < n && ivpack_next(p, &pos, v[k].lo, v[k].hi))
		k++;
	return k;
}

static bool in(const struct pair *v, size_t n, const struct pair *x,
	       size_t width)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(v[i].lo, x->lo, width) &&
		    !memcmp(v[i].hi, x->hi, width))
			return true;
	return false;
}

/* a and b: two subsets of one sorted list, b with one interval split in
 * two (still disjoint); the difference is exactly what a holds and b does
 * not (gone) and the other way round (added). */
static void diff_case(size_t width, unsigned seed)
{
	struct pair *v = calloc(N, sizeof(*v)), *g = calloc(N, sizeof(*g));
	struct pair *ad = calloc(2 * N, sizeof(*ad)), *bv = calloc(2 * N, sizeof(*bv));
	struct pair *av = calloc(N, sizeof(*av));
	struct ivpack a, b, gone, added;
	size_t made, na = 0, nb = 0, ng, nad;

	ck_assert(v && g && ad && bv && av);
	made = make(v, N, width, seed);
	ivpack_init(&a, (uint8_t)width);
	ivpack_init(&b, (uint8_t)width);
	for (size_t i = 0; i < made; i++) {
		if (i % 7)
			ck_assert_int_eq(ivpack_add(&a, v[i].lo, v[i].hi), 0);
		if (i % 5 == 0)
			continue;
		if (i == 11 && memcmp(v[i].lo, v[i].hi, width)) {
			/* [lo, lo] and [hi, hi]: one interval split */
			ck_assert_int_eq(ivpack_add(&b, v[i].lo, v[i].lo), 0);
			if (memcmp(v[i].lo, v[i].hi, width) < 0) {
				uint8_t nx[16];

				memcpy(nx, v[i].lo, width);
				bump(nx, width - 1, 1);
				if (memcmp(nx, v[i].hi, width) < 0)
					ck_assert_int_eq(ivpack_add(&b, v[i].hi,
								    v[i].hi), 0);
			}
			continue;
		}
		ck_assert_int_eq(ivpack_add(&b, v[i].lo, v[i].hi), 0);
	}
	ck_assert_int_eq(ivpack_diff(&a, &b, &gone, &added), 0);
	na = unpack(&a, av, N);
	nb = unpack(&b, bv, 2 * N);
	ng = unpack(&gone, g, N);
	nad = unpack(&added, ad, 2 * N);
	ck_assert_uint_eq(ng, gone.count);
	ck_assert_uint_eq(nad, added.count);
	ck_assert_uint_gt(ng, 0);
	ck_assert_uint_gt(nad, 0);
	for (size_t i = 0; i < na; i++)      /* each of a: kept xor gone */
		ck_assert(in(bv, nb, &av[i], width) != in(g, ng, &av[i], width));
	for (size_t i = 0; i < nb; i++)      /* each of b: kept xor added */
		ck_assert(in(av, na, &bv[i], width) != in(ad, nad, &bv[i], width));
	for (size_t i = 0; i < ng; i++)      /* gone: of a, not of b */
		ck_assert(in(av, na, &g[i], width) && !in(bv, nb, &g[i], width));
	for (size_t i = 0; i < nad; i++)     /* added: of b, not of a */
		ck_assert(in(bv, nb, &ad[i], width) && !in(av, na, &ad[i], width));
	ck_assert_uint_eq(na - ng + nad, nb);
	/* the difference adds up; not the other way round */
	ck_assert(ivpack_diff_holds(&a, &gone, &added, &b));
	ck_assert(!ivpack_diff_holds(&a, &added, &gone, &b));
	ck_assert(!ivpack_diff_holds(&b, &gone, &added, &a));
	/* equal packs: nothing either way */
	ivpack_free(&gone);
	ivpack_free(&added);
	ck_assert_int_eq(ivpack_diff(&a, &a, &gone, &added), 0);
	ck_assert_uint_eq(gone.count, 0);
	ck_assert_uint_eq(added.count, 0);
	ivpack_free(&gone);
	ivpack_free(&added);
	ivpack_free(&a);
	ivpack_free(&b);
	free(v); free(g); free(ad); free(bv); free(av);
}

START_TEST(differences)
{
	struct ivpack a, b, gone, added;

	for (unsigned seed = 1; seed <= 8; seed++) {
		diff_case(4, seed);
		diff_case(16, seed);
	}
	ivpack_init(&a, 4);
	ivpack_init(&b, 16);
	ck_assert_int_eq(ivpack_diff(&a, &b, &gone, &added), -EINVAL);
	ivpack_free(&a);
	ivpack_free(&b);
}
END_TEST

/* A pack of IPv4 intervals given as host-order pairs. */
static void pack4(struct ivpack *p, const uint32_t *v, size_t n)
{
	ivpack_init(p, 4);
	for (size_t i = 0; i < n; i++) {
		uint8_t lo[4], hi[4];

		for (int k = 0; k < 4; k++) {
			lo[k] = (uint8_t)(v[2 * i] >> (24 - 8 * k));
			hi[k] = (uint8_t)(v[2 * i + 1] >> (24 - 8 * k));
		}
		ck_assert_int_eq(ivpack_add(p, lo, hi), 0);
	}
}

/* diff4(A, B, GONE, ADDED): the difference of two hand-made packs is the
 * given one, in order. */
static void diff4(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
		  const uint32_t *g, size_t ng, const uint32_t *ad, size_t nad)
{
	struct ivpack pa, pb, gone, added, want_g, want_a;

	pack4(&pa, a, na);
	pack4(&pb, b, nb);
	pack4(&want_g, g, ng);
	pack4(&want_a, ad, nad);
	ck_assert_int_eq(ivpack_diff(&pa, &pb, &gone, &added), 0);
	ck_assert(ivpack_equal(&gone, &want_g));
	ck_assert(ivpack_equal(&added, &want_a));
	ck_assert(ivpack_diff_holds(&pa, &gone, &added, &pb));
	ivpack_free(&pa); ivpack_free(&pb); ivpack_free(&gone);
	ivpack_free(&added); ivpack_free(&want_g); ivpack_free(&want_a);
}

/* holds4(OLD, GONE, ADDED, NOW): whether ivpack_diff_holds() says so. */
static bool holds4(const uint32_t *o, size_t no, const uint32_t *g, size_t ng,
		   const uint32_t *a, size_t na, const uint32_t *n, size_t nn)
{
	struct ivpack po, pg, pa, pn;
	bool r;

	pack4(&po, o, no);
	pack4(&pg, g, ng);
	pack4(&pa, a, na);
	pack4(&pn, n, nn);
	r = ivpack_diff_holds(&po, &pg, &pa, &pn);
	ivpack_free(&po); ivpack_free(&pg); ivpack_free(&pa); ivpack_free(&pn);
	return r;
}

/* A difference that does not take old to now is caught, whatever is
 * wrong with it: what nft_prove.c relies on instead of ivpack_diff(). */
START_TEST(wrong_differences)
{
	const uint32_t old[] = { 10, 19, 30, 39, 50, 59 };
	const uint32_t now[] = { 10, 19, 35, 39, 50, 59, 70, 79 };
	const uint32_t g[] = { 30, 39 }, ad[] = { 35, 39, 70, 79 };
	const uint32_t none[] = { 0 };

	ck_assert(holds4(old, 3, g, 1, ad, 2, now, 4));
	ck_assert(!holds4(old, 3, g, 1, ad, 1, now, 4));    /* one added less */
	ck_assert(!holds4(old, 3, none, 0, ad, 2, now, 4)); /* nothing gone */
	{
		const uint32_t g2[] = { 30, 39, 40, 45 };   /* one old lacks */
		const uint32_t g3[] = { 30, 38 };           /* another high */
		const uint32_t a2[] = { 35, 39, 70, 79, 90, 99 };

		ck_assert(!holds4(old, 3, g2, 2, ad, 2, now, 4));
		ck_assert(!holds4(old, 3, g3, 1, ad, 2, now, 4));
		ck_assert(!holds4(old, 3, g, 1, a2, 3, now, 4));
	}
	ck_assert(!holds4(old, 3, g, 1, ad, 2, old, 3));     /* now: old */
	ck_assert(holds4(none, 0, none, 0, none, 0, none, 0));
	ck_assert(holds4(old, 3, old, 3, none, 0, none, 0)); /* all went */
	ck_assert(!holds4(old, 3, old, 3, none, 0, old, 3));
}
END_TEST

START_TEST(touching)
{
	const uint32_t apart[] = { 10, 19, 21, 29 }, touch[] = { 10, 19, 20, 29 };
	const uint32_t top[] = { 10, 19, 0xfffffff0u, 0xffffffffu };
	struct ivpack p;

	pack4(&p, apart, 2);
	ck_assert(!ivpack_touches(&p));
	ivpack_free(&p);
	pack4(&p, touch, 2);
	ck_assert(ivpack_touches(&p));
	ivpack_free(&p);
	pack4(&p, top, 2);
	ck_assert(!ivpack_touches(&p));
	ivpack_free(&p);
}
END_TEST

START_TEST(differences_by_hand)
{
	const uint32_t top = 0xffffffffu;
	const uint32_t a[] = { 10, 19, 30, 39, 50, 59 };
	const uint32_t none[] = { 0 };

	diff4(none, 0, none, 0, none, 0, none, 0);          /* both empty */
	diff4(a, 3, none, 0, a, 3, none, 0);                /* all went */
	diff4(none, 0, a, 3, none, 0, a, 3);                /* all came */
	diff4(a, 3, a, 3, none, 0, none, 0);                /* the same */
	{   /* the same high, another low; the same low, another high */
		const uint32_t b[] = { 12, 19, 30, 41, 50, 59 };
		const uint32_t g[] = { 10, 19, 30, 39 }, ad[] = { 12, 19, 30, 41 };

		diff4(a, 3, b, 3, g, 2, ad, 2);
	}
	{   /* b runs out first; then a does */
		const uint32_t b[] = { 10, 19 }, g[] = { 30, 39, 50, 59 };

		diff4(a, 3, b, 1, g, 2, none, 0);
		diff4(b, 1, a, 3, none, 0, g, 2);
	}
	{   /* adjacent intervals, one split in two, one merged */
		const uint32_t x[] = { 10, 19, 20, 29, 40, 49 };
		const uint32_t y[] = { 10, 29, 40, 44, 45, 49 };
		const uint32_t g[] = { 10, 19, 20, 29, 40, 49 };
		const uint32_t ad[] = { 10, 29, 40, 44, 45, 49 };

		diff4(x, 3, y, 3, g, 3, ad, 3);
	}
	{   /* the interval that reaches the top of the space (no end) */
		const uint32_t x[] = { 10, 19, 100, top };
		const uint32_t y[] = { 10, 19, 101, top };
		const uint32_t g[] = { 100, top }, ad[] = { 101, top };

		diff4(x, 2, y, 2, g, 1, ad, 1);
		diff4(x, 2, x, 2, none, 0, none, 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ivpack");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, round_trips);
	tcase_add_test(tc, edges_of_the_space);
	tcase_add_test(tc, unsorted_is_refused);
	tcase_add_test(tc, cidrs_are_small);
	tcase_add_test(tc, differences);
	tcase_add_test(tc, differences_by_hand);
	tcase_add_test(tc, wrong_differences);
	tcase_add_test(tc, touching);
	suite_add_tcase(s, tc);
	return check_run(s);
}
