/* test_zonenets.c - the zones' networks sorted once (zonenets.c): each
 * zone's merged intervals and what no zone claims must equal what the
 * per-zone path computes (sort and merge each zone on its own, complement
 * of the union), for unpacked and packed models; the index is sorted by
 * first address with ties in zone order; the complement stepper takes
 * overlapping and nested input. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check_main.h"
#include "model.h"
#include "zonenets.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	return test_rng(&rng_state);
}

/* A random prefix of family: short ones now and then (they swallow
 * others), host bits cleared; the first bytes drawn from a few values so
 * networks overlap, nest and touch. */
static struct cidr random_net(uint8_t family)
{
	size_t len = addr_len(family);
	unsigned max = (unsigned)len * 8;
	struct cidr c;

	memset(&c, 0, sizeof(c));
	c.family = family;
	for (size_t b = 0; b < len; b++)
		c.addr[b] = (uint8_t)rng();
	c.addr[0] = (uint8_t)(10 + rng() % 3);
	c.addr[1] = (uint8_t)(rng() % 64);
	c.prefix = (uint8_t)(rng() % 200 == 0 ? 18 + rng() % 5
					       : max - rng() % 12);
	for (unsigned bit = c.prefix; bit < max; bit++)
		c.addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	c.line = 1;
	return c;
}

/* zones: z0 (n0 networks), z1 (n1, some equal to z0's), z2 = "any". */
static void make_model(struct model *m, size_t n0, size_t n1)
{
	const size_t n[2] = { n0, n1 };

	model_init(m);
	m->zone_count = 3;
	m->zones = calloc(3, sizeof(*m->zones));
	ck_assert_ptr_nonnull(m->zones);
	for (size_t z = 0; z < 3; z++) {
		ck_assert_ptr_nonnull(m->zones[z].name = strdup("z"));
		m->zones[z].any = z == 2;
	}
	for (size_t z = 0; z < 2; z++) {
		struct zone *zone = &m->zones[z];

		zone->networks = calloc(n[z], sizeof(*zone->networks));
		ck_assert_ptr_nonnull(zone->networks);
		zone->network_count = n[z];
		for (size_t i = 0; i < n[z]; i++)
			zone->networks[i] = z == 1 && i % 10 == 0 && i < n0 ?
				m->zones[0].networks[i] :
				random_net(i % 3 ? AF_INET : AF_INET6);
	}
}

static void assert_same(const struct interval_list *a,
			const struct interval_list *b)
{
	ck_assert_uint_eq(a->family, b->family);
	ck_assert_uint_eq(a->count, b->count);
	ck_assert(a->count == 0 ||
		  memcmp(a->items, b->items, a->count * sizeof(*a->items)) == 0);
}

/* The per-zone path: each zone's networks sorted and merged on their own,
 * the union of all of them complemented. */
static void assert_like_per_zone(const struct model *m,
				 const struct zone_nets *zn)
{
	static const uint8_t fams[2] = { AF_INET, AF_INET6 };

	for (int f = 0; f < 2; f++) {
		struct interval_list all, want, got;

		interval_list_init(&all, fams[f]);
		for (size_t z = 0; z < m->zone_count; z++) {
			struct zone_net_iter it;
			struct cidr c;
			struct interval iv;

			interval_list_init(&want, fams[f]);
			zone_net_begin(&it);
			while (zone_network_next(&m->zones[z], &it, &c)) {
				if (c.family != fams[f])
					continue;
				cidr_to_interval(&c, &iv);
				ck_assert_int_eq(interval_list_add(&want, &iv), 0);
				ck_assert_int_eq(interval_list_add(&all, &iv), 0);
			}
			interval_list_normalize(&want);
			assert_same(zone_nets_of(zn, z, fams[f]), &want);
			/* merged lists of some size: the cases are not trivial */
			ck_assert(m->zones[z].network_count < 9000 ||
				  want.count > m->zones[z].network_count / 4);
			interval_list_free(&want);
		}
		ck_assert_int_eq(interval_list_complement(&all, &want), 0);
		ck_assert_int_eq(zone_nets_unclaimed(zn, fams[f], &got), 0);
		assert_same(&got, &want);
		interval_list_free(&got);
		interval_list_free(&want);
		interval_list_free(&all);
	}
}

/* sorted[] holds every network once, by first address, ties in zone
 * order, and each entry names its zone's network. */
static void assert_index(const struct model *m, const struct zone_nets *zn)
{
	size_t total = 0;

	for (int s = 0; s < 2; s++) {
		size_t len = zone_nets_len(s);

		for (size_t i = 0; i < zn->count[s]; i++) {
			uint32_t z = zone_nets_zone(zn, s, i);
			const struct cidr *c =
				&m->zones[z].networks[zone_nets_index(zn, s, i)];
			struct interval want, got;
			int order;

			cidr_to_interval(c, &want);
			zone_nets_interval(zn, s, i, &got);
			ck_assert(memcmp(&want, &got, sizeof(want)) == 0);
			if (i == 0)
				continue;
			order = memcmp(zone_nets_lo(zn, s, i - 1),
				       zone_nets_lo(zn, s, i), len);
			ck_assert_int_le(order, 0);
			if (order == 0)
				ck_assert_uint_le(zone_nets_zone(zn, s, i - 1), z);
		}
		total += zn->count[s];
	}
	ck_assert_uint_eq(total, m->zones[0].network_count +
				 m->zones[1].network_count);
}

static void check_sizes(size_t n0, size_t n1)
{
	struct model m;
	struct zone_nets zn, packed;

	make_model(&m, n0, n1);
	ck_assert_int_eq(zone_nets_build(&m, &zn), 0);
	assert_index(&m, &zn);
	assert_like_per_zone(&m, &zn);
	/* a kept (packed) model gives the same lists */
	ck_assert_int_eq(model_pack(&m), 0);
	ck_assert(n0 == 0 || m.zones[0].networks == NULL);
	ck_assert_int_eq(zone_nets_build(&m, &packed), 0);
	for (size_t z = 0; z < 3; z++) {
		assert_same(zone_nets_of(&packed, z, AF_INET),
			    zone_nets_of(&zn, z, AF_INET));
		assert_same(zone_nets_of(&packed, z, AF_INET6),
			    zone_nets_of(&zn, z, AF_INET6));
	}
	assert_like_per_zone(&m, &packed);
	zone_nets_free(&packed);
	zone_nets_free(&zn);
	model_free(&m);
}

START_TEST(like_per_zone)
{
	check_sizes(0, 0);
	check_sizes(1, 0);
	check_sizes(7, 5);
	/* over the radix sort's threshold, both families */
	check_sizes(30000, 9000);
}
END_TEST

static struct interval v4(const char *lo, const char *hi)
{
	struct cidr a, b;
	struct interval iv, t;

	ck_assert_int_eq(cidr_parse(lo, &a), 0);
	ck_assert_int_eq(cidr_parse(hi, &b), 0);
	cidr_to_interval(&a, &iv);
	cidr_to_interval(&b, &t);
	memcpy(iv.hi, t.hi, sizeof(iv.hi));
	return iv;
}

START_TEST(complement_stepper)
{
	/* nested, overlapping and touching input, in order of lo */
	const struct interval in[] = {
		v4("0.0.0.0", "9.255.255.255"),
		v4("10.0.0.0", "10.255.255.255"),
		v4("10.1.0.0", "10.1.0.255"),      /* nested */
		v4("10.200.0.0", "11.0.0.255"),    /* overlaps the end */
		v4("11.0.1.0", "11.0.1.255"),      /* touches */
		v4("11.0.3.0", "11.0.3.255"),
		v4("200.0.0.0", "255.255.255.255"),
		v4("210.0.0.0", "210.0.0.0"),      /* after the top is covered */
	};
	const struct interval want[] = {
		v4("11.0.2.0", "11.0.2.255"),
		v4("11.0.4.0", "199.255.255.255"),
	};
	const struct interval rest = v4("10.0.0.0", "255.255.255.255");
	struct complement c;
	struct interval_list out;

	ck_assert_int_eq(complement_begin(&c, AF_INET, 1, &out), 0);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		ck_assert_int_eq(complement_add(&c, &in[i]), 0);
	ck_assert_int_eq(complement_end(&c), 0);
	ck_assert_uint_eq(out.count, 2);
	ck_assert(memcmp(out.items, want, sizeof(want)) == 0);
	interval_list_free(&out);

	/* nothing in: everything out; everything in: nothing out */
	ck_assert_int_eq(complement_begin(&c, AF_INET6, 0, &out), 0);
	ck_assert_int_eq(complement_end(&c), 0);
	ck_assert_uint_eq(out.count, 1);
	ck_assert_uint_eq(out.items[0].lo[0], 0);
	ck_assert_uint_eq(out.items[0].hi[15], 0xff);
	interval_list_free(&out);
	ck_assert_int_eq(complement_begin(&c, AF_INET, 0, &out), 0);
	ck_assert_int_eq(complement_add(&c, &in[0]), 0);
	ck_assert_int_eq(complement_add(&c, &rest), 0);
	ck_assert_int_eq(complement_end(&c), 0);
	ck_assert_uint_eq(out.count, 0);
	interval_list_free(&out);
}
END_TEST

/* addr_sort on elements of other sizes than an interval: by the address
 * at their start, stable. */
struct elem {
	uint8_t lo[4];
	uint32_t index;
};

START_TEST(sort_stable)
{
	enum { N = 5000 };
	struct elem *v = calloc(N, sizeof(*v));

	ck_assert_ptr_nonnull(v);
	for (uint32_t i = 0; i < N; i++) {
		v[i].lo[0] = 10;
		v[i].lo[2] = (uint8_t)(rng() % 7);
		v[i].lo[3] = (uint8_t)(rng() % 3);
		v[i].index = i;
	}
	addr_sort(v, N, sizeof(*v), 4);
	for (size_t i = 1; i < N; i++) {
		int order = memcmp(v[i - 1].lo, v[i].lo, 4);

		ck_assert_int_le(order, 0);
		if (order == 0)
			ck_assert_uint_lt(v[i - 1].index, v[i].index);
	}
	free(v);
}
END_TEST

static Suite *zonenets_suite(void)
{
	Suite *s = suite_create("zonenets");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, like_per_zone);
	tcase_add_test(tc, complement_stepper);
	tcase_add_test(tc, sort_stable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(zonenets_suite());
}
