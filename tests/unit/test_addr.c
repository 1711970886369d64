/* test_addr.c - prefixes and interval arithmetic (addr.c). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "addr.h"
#include "check_main.h"

static struct cidr parse(const char *text)
{
	struct cidr c;

	ck_assert_msg(cidr_parse(text, &c) == 0, "cidr_parse('%s')", text);
	return c;
}

static void assert_format(const char *text, const char *want)
{
	struct cidr c = parse(text);
	char buf[64];

	cidr_format(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

static void assert_bad(const char *text, const char *why_want)
{
	struct cidr c;
	const char *why = NULL;

	ck_assert_int_eq(cidr_parse_explain(text, &c, &why), -EINVAL);
	ck_assert_str_eq(why, why_want);
	ck_assert_int_eq(cidr_parse(text, &c), -EINVAL);
}

/* "a-b" in one family into an interval; a and b are addresses. */
static struct interval iv(const char *lo, const char *hi)
{
	struct cidr a = parse(lo), b = parse(hi);
	struct interval out;

	memset(&out, 0, sizeof(out));
	memcpy(out.lo, a.addr, addr_len(a.family));
	memcpy(out.hi, b.addr, addr_len(b.family));
	return out;
}

static void assert_interval(const struct interval_list *l, size_t i,
			    const char *lo, const char *hi)
{
	struct interval want = iv(lo, hi);
	size_t len = addr_len(l->family);

	ck_assert_uint_lt(i, l->count);
	ck_assert_msg(memcmp(l->items[i].lo, want.lo, len) == 0 &&
		      memcmp(l->items[i].hi, want.hi, len) == 0,
		      "interval %zu is not %s-%s", i, lo, hi);
}

START_TEST(parse_good)
{
	struct cidr c = parse("10.0.0.0/8");

	ck_assert_int_eq(c.family, AF_INET);
	ck_assert_int_eq(c.prefix, 8);
	ck_assert_int_eq(c.addr[0], 10);
	c = parse("192.0.2.1");
	ck_assert_int_eq(c.prefix, 32);
	ck_assert(cidr_is_single_host(&c));
	c = parse("2001:db8::/32");
	ck_assert_int_eq(c.family, AF_INET6);
	ck_assert_int_eq(c.prefix, 32);
	c = parse("::1");
	ck_assert_int_eq(c.prefix, 128);
	ck_assert(cidr_is_single_host(&c));
	c = parse("0.0.0.0/0");
	ck_assert_int_eq(c.prefix, 0);
	c = parse("::/0");
	ck_assert_int_eq(c.prefix, 0);
	ck_assert(!cidr_is_single_host(&c));
	c = parse("::ffff:10.0.0.1");
	ck_assert_int_eq(c.family, AF_INET6);
}
END_TEST

START_TEST(parse_bad)
{
	const char *not_addr = "not an IPv4 or IPv6 address";
	const char *prefix = "prefix length out of range";

	assert_bad("", not_addr);
	assert_bad("any", not_addr);
	assert_bad("10.0.0", not_addr);
	assert_bad("10.0.0.256", not_addr);
	assert_bad(" 10.0.0.1", not_addr);
	assert_bad("10.0.0.1 ", not_addr);
	assert_bad("fe80::1%eth0", not_addr);
	assert_bad("2001:db8:::1", not_addr);
	assert_bad("/8", not_addr);
	assert_bad("1111111111111111111111111111111111111111111111111111111111"
		   "1111111/8", not_addr);
	assert_bad("10.2.0.0/33", prefix);
	assert_bad("10.0.0.0/", prefix);
	assert_bad("10.0.0.0/-1", prefix);
	assert_bad("10.0.0.0/8/8", prefix);
	assert_bad("10.0.0.0/ 8", prefix);
	assert_bad("10.0.0.0/0008", prefix);
	assert_bad("2001:db8::/129", prefix);
	assert_bad("10.0.0.1/8", "host bits set");
	assert_bad("2001:db8::1/64", "host bits set");
	assert_bad("0.0.0.1/0", "host bits set");
}
END_TEST

START_TEST(parse_host_bits_suggests)
{
	struct cidr c;
	const char *why;
	char buf[64];

	ck_assert_int_eq(cidr_parse_explain("10.1.2.3/16", &c, &why), -EINVAL);
	cidr_format(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.1.0.0/16");
	ck_assert_int_eq(cidr_parse_explain("2001:db8::1:2/127", &c, &why), 0);
	ck_assert_ptr_eq(why, NULL);
	ck_assert_int_eq(cidr_parse_explain("2001:db8::1:3/127", &c, &why),
			 -EINVAL);
	cidr_format(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2001:db8::1:2/127");
}
END_TEST

START_TEST(format)
{
	assert_format("10.0.0.0/8", "10.0.0.0/8");
	assert_format("192.0.2.1/32", "192.0.2.1");
	assert_format("2001:0db8:0000::/32", "2001:db8::/32");
	assert_format("::1/128", "::1");
	assert_format("0.0.0.0/0", "0.0.0.0/0");
	assert_format("::/0", "::/0");
	assert_format("10.1.2.0/23", "10.1.2.0/23");
}
END_TEST

START_TEST(contains_overlaps)
{
	struct cidr a = parse("10.0.0.0/8"), b = parse("10.1.0.0/16");
	struct cidr c = parse("11.0.0.0/8"), all = parse("0.0.0.0/0");
	struct cidr v6 = parse("::/0"), h = parse("10.255.255.255");

	ck_assert(cidr_contains(&a, &b));
	ck_assert(!cidr_contains(&b, &a));
	ck_assert(cidr_contains(&a, &a));
	ck_assert(cidr_contains(&a, &h));
	ck_assert(!cidr_contains(&c, &h));
	ck_assert(cidr_contains(&all, &c));
	ck_assert(!cidr_contains(&v6, &a));   /* families never mix */
	ck_assert(cidr_overlaps(&a, &b));
	ck_assert(cidr_overlaps(&b, &a));
	ck_assert(!cidr_overlaps(&a, &c));
	ck_assert(cidr_overlaps(&all, &c));
	ck_assert(!cidr_overlaps(&v6, &a));
	b = parse("2001:db8::/32");
	c = parse("2001:db8:ffff:ffff::/64");
	ck_assert(cidr_contains(&b, &c));
	ck_assert(cidr_overlaps(&v6, &c));
}
END_TEST

START_TEST(to_interval)
{
	struct cidr c = parse("10.1.0.0/16");
	struct interval out, want = iv("10.1.0.0", "10.1.255.255");

	cidr_to_interval(&c, &out);
	ck_assert(memcmp(&out, &want, sizeof(out)) == 0);
	c = parse("2001:db8::/33");
	want = iv("2001:db8::", "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff");
	cidr_to_interval(&c, &out);
	ck_assert(memcmp(&out, &want, sizeof(out)) == 0);
}
END_TEST

static void add(struct interval_list *l, const char *lo, const char *hi)
{
	struct interval x = iv(lo, hi);

	ck_assert_int_eq(interval_list_add(l, &x), 0);
}

START_TEST(normalize)
{
	struct interval_list l;

	interval_list_init(&l, AF_INET);
	add(&l, "10.0.2.0", "10.0.2.255");
	add(&l, "10.0.0.0", "10.0.0.255");
	add(&l, "10.0.1.0", "10.0.1.255");      /* adjacent on both sides */
	add(&l, "10.0.0.10", "10.0.0.20");     /* inside */
	add(&l, "192.168.0.0", "192.168.0.10");
	add(&l, "192.168.0.5", "192.168.0.20"); /* overlapping */
	add(&l, "192.168.0.22", "192.168.0.22"); /* a gap of one */
	interval_list_normalize(&l);
	ck_assert_uint_eq(l.count, 3);
	assert_interval(&l, 0, "10.0.0.0", "10.0.2.255");
	assert_interval(&l, 1, "192.168.0.0", "192.168.0.20");
	assert_interval(&l, 2, "192.168.0.22", "192.168.0.22");
	interval_list_free(&l);
	interval_list_free(NULL);
}
END_TEST

START_TEST(normalize_top_of_space)
{
	struct interval_list l;

	interval_list_init(&l, AF_INET6);
	add(&l, "ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	add(&l, "ffff:ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	add(&l, "::", "::1");
	interval_list_normalize(&l);
	ck_assert_uint_eq(l.count, 2);
	assert_interval(&l, 0, "::", "::1");
	assert_interval(&l, 1, "ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	interval_list_free(&l);
}
END_TEST

START_TEST(complement_v4)
{
	struct interval_list l, out;

	interval_list_init(&l, AF_INET);
	add(&l, "10.0.0.0", "10.255.255.255");
	add(&l, "192.168.0.0", "192.168.255.255");
	ck_assert_int_eq(interval_list_complement(&l, &out), 0);
	ck_assert_uint_eq(out.count, 3);
	assert_interval(&out, 0, "0.0.0.0", "9.255.255.255");
	assert_interval(&out, 1, "11.0.0.0", "192.167.255.255");
	assert_interval(&out, 2, "192.169.0.0", "255.255.255.255");
	interval_list_free(&out);
	interval_list_free(&l);
}
END_TEST

START_TEST(complement_edges)
{
	struct interval_list l, out;

	/* empty -> the whole space */
	interval_list_init(&l, AF_INET);
	ck_assert_int_eq(interval_list_complement(&l, &out), 0);
	ck_assert_uint_eq(out.count, 1);
	assert_interval(&out, 0, "0.0.0.0", "255.255.255.255");
	interval_list_free(&out);
	/* the whole space -> empty */
	add(&l, "0.0.0.0", "255.255.255.255");
	ck_assert_int_eq(interval_list_complement(&l, &out), 0);
	ck_assert_uint_eq(out.count, 0);
	interval_list_free(&out);
	interval_list_free(&l);
	/* single hosts at both ends */
	interval_list_init(&l, AF_INET);
	add(&l, "255.255.255.255", "255.255.255.255");
	add(&l, "0.0.0.0", "0.0.0.0");
	ck_assert_int_eq(interval_list_complement(&l, &out), 0);
	ck_assert_uint_eq(out.count, 1);
	assert_interval(&out, 0, "0.0.0.1", "255.255.255.254");
	interval_list_free(&out);
	interval_list_free(&l);
}
END_TEST

START_TEST(complement_v6)
{
	struct interval_list l, out;
	const char *top = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

	interval_list_init(&l, AF_INET6);
	add(&l, "::", "::");
	add(&l, top, top);
	add(&l, "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	ck_assert_int_eq(interval_list_complement(&l, &out), 0);
	ck_assert_uint_eq(out.count, 2);
	assert_interval(&out, 0, "::1", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_interval(&out, 1, "2001:db9::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	interval_list_free(&out);
	interval_list_free(&l);
	/* ::/0 complemented is empty; empty complemented is ::/0 */
	interval_list_init(&l, AF_INET6);
	add(&l, "::", top);
	ck_assert_int_eq(interval_list_complement(&l, &out), 0);
	ck_assert_uint_eq(out.count, 0);
	interval_list_free(&out);
	interval_list_free(&l);
	ck_assert_int_eq(interval_list_complement(&l, &out), 0);
	ck_assert_uint_eq(out.count, 1);
	assert_interval(&out, 0, "::", top);
	interval_list_free(&out);
}
END_TEST

START_TEST(lookup)
{
	struct interval_list l;
	struct interval a = iv("10.0.1.0", "10.0.1.255");
	struct interval b = iv("10.0.0.200", "10.0.1.10");
	struct interval c = iv("10.0.3.0", "10.0.3.0");
	struct interval e = iv("9.0.0.0", "9.255.255.255");

	interval_list_init(&l, AF_INET);
	add(&l, "10.0.0.0", "10.0.0.127");
	add(&l, "10.0.0.128", "10.0.1.255");   /* merged with the first */
	add(&l, "10.0.2.10", "10.0.2.20");
	interval_list_normalize(&l);
	ck_assert(interval_list_contains(&l, &a));
	ck_assert(interval_list_contains(&l, &b));
	ck_assert(!interval_list_contains(&l, &c));
	ck_assert(!interval_list_contains(&l, &e));
	ck_assert(interval_list_overlaps(&l, &b));
	ck_assert(!interval_list_overlaps(&l, &c));
	ck_assert(!interval_list_overlaps(&l, &e));
	c = iv("10.0.2.0", "10.0.2.10");
	ck_assert(interval_list_overlaps(&l, &c));
	ck_assert(!interval_list_contains(&l, &c));
	interval_list_free(&l);
	ck_assert(!interval_list_contains(&l, &a));
	ck_assert(!interval_list_overlaps(&l, &a));
}
END_TEST

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
	return test_rng(&rng_state);
}

static int ref_cmp(const void *a, const void *b)
{
	return memcmp(((const struct interval *)a)->lo,
		      ((const struct interval *)b)->lo, 16);
}

/* The obvious normalize: qsort, then merge with 128-bit "+1" by hand. */
static size_t ref_normalize(struct interval *v, size_t n, size_t len)
{
	size_t out = 0;

	qsort(v, n, sizeof(*v), ref_cmp);
	for (size_t i = 1; i < n; i++) {
		uint8_t next[16];
		bool wrapped = true;

		memcpy(next, v[out].hi, 16);
		for (size_t b = len; b-- > 0 && wrapped;)
			wrapped = ++next[b] == 0;
		if (wrapped || memcmp(v[i].lo, next, len) <= 0) {
			if (memcmp(v[i].hi, v[out].hi, len) > 0)
				memcpy(v[out].hi, v[i].hi, 16);
		} else {
			v[++out] = v[i];
		}
	}
	return n ? out + 1 : 0;
}

/* Random intervals, many sharing their high bytes (as real prefixes do;
 * the first `fixed` bytes are the same in all), normalized by the library
 * (radix sort above a few thousand) and by the reference must agree. */
static void random_normalize(uint8_t family, size_t n, size_t fixed)
{
	size_t len = addr_len(family), want;
	struct interval *ref = calloc(n, sizeof(*ref));
	struct interval_list l;

	ck_assert_ptr_nonnull(ref);
	interval_list_init(&l, family);
	for (size_t i = 0; i < n; i++) {
		struct interval x;
		uint64_t r = rng();

		memset(&x, 0, sizeof(x));
		x.lo[0] = i % 3 ? 0x20 : (uint8_t)r;
		for (size_t b = 1; b < len; b++)
			x.lo[b] = (uint8_t)(rng() >> 8);
		memset(x.lo, 0x0a, fixed);
		memcpy(x.hi, x.lo, len);
		x.hi[len - 1] |= (uint8_t)(r >> 16) & 0x3f;   /* short spans */
		if (i % 7 == 0)
			memset(x.hi + len - 2, 0xff, 2);
		ref[i] = x;
		ck_assert_int_eq(interval_list_add(&l, &x), 0);
	}
	want = ref_normalize(ref, n, len);
	interval_list_normalize(&l);
	ck_assert_uint_eq(l.count, want);
	ck_assert(memcmp(l.items, ref, want * sizeof(*ref)) == 0);
	interval_list_free(&l);
	free(ref);
}

START_TEST(normalize_random)
{
	/* even and odd numbers of radix passes (shared digits are skipped) */
	random_normalize(AF_INET, 100, 0);
	random_normalize(AF_INET, 50000, 0);
	random_normalize(AF_INET, 50000, 2);
	random_normalize(AF_INET6, 100, 0);
	random_normalize(AF_INET6, 50000, 0);
	random_normalize(AF_INET6, 50000, 2);
	random_normalize(AF_INET6, 50000, 4);
}
END_TEST

/* Parses and normalizes n shuffled /24s from 10.0.0.0 on; milliseconds
 * (the best of three runs). */
static double parse_normalize_ms(unsigned int n)
{
	double best = 1e12;

	for (int run = 0; run < 3; run++) {
		struct interval_list l;
		struct timespec t0, t1;
		char text[64];
		int bad = 0;
		double ms;

		interval_list_init(&l, AF_INET);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (unsigned int i = 0; i < n; i++) {
			unsigned int k = (unsigned int)((unsigned long long)i *
							35761 % n);
			struct cidr c;
			struct interval x;

			snprintf(text, sizeof(text), "%u.%u.%u.0/24",
				 10 + (k >> 16), (k >> 8) & 255, k & 255);
			/* no ck_assert in the loop: each one costs a write */
			bad |= cidr_parse(text, &c);
			cidr_to_interval(&c, &x);
			bad |= interval_list_add(&l, &x);
		}
		interval_list_normalize(&l);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ck_assert_int_eq(bad, 0);
		ck_assert_uint_eq(l.count, 1);
		interval_list_free(&l);
		ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		best = ms < best ? ms : best;
	}
	return best;
}

/* 100,000 prefixes parse and normalize in a few ms.  Shared machines and
 * valgrind make absolute times meaningless, so the check is the growth:
 * ten times the input may cost ~12 times (n log n), never ~100 (n^2). */
START_TEST(speed)
{
	double small = parse_normalize_ms(10000), large;

	large = parse_normalize_ms(100000);
	ck_assert_msg(large < 30 * (small > 0.05 ? small : 0.05),
		      "100k prefixes: %.1f ms, 10k: %.1f ms", large, small);
	ck_assert_msg(large < 10000, "100k prefixes took %.1f ms", large);
	if (getenv("SEGMENTD_TIMING"))
		fprintf(stderr, "addr: 10k %.2f ms, 100k %.2f ms\n", small, large);
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_good);
	tcase_add_test(tc, parse_bad);
	tcase_add_test(tc, parse_host_bits_suggests);
	tcase_add_test(tc, format);
	tcase_add_test(tc, contains_overlaps);
	tcase_add_test(tc, to_interval);
	tcase_add_test(tc, normalize);
	tcase_add_test(tc, normalize_top_of_space);
	tcase_add_test(tc, normalize_random);
	tcase_add_test(tc, complement_v4);
	tcase_add_test(tc, complement_edges);
	tcase_add_test(tc, complement_v6);
	tcase_add_test(tc, lookup);
	tcase_add_test(tc, speed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(addr_suite());
}
