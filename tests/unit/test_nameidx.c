/* test_nameidx.c - the name index against a linear scan: the first item of
 * a name, items appended between lookups, a shrunk array, cleared items
 * (NULL names) and misses, over enough items to grow the table. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nameidx.h"
#include "check_main.h"

#define N 5000

static char *names[N];

static const char *name_of(const void *items, size_t i)
{
	return ((char *const *)items)[i];
}

static int scan(size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], key))
			return (int)i;
	return -ENOENT;
}

static void fill(void)
{
	for (size_t i = 0; i < N; i++) {
		free(names[i]);
		names[i] = malloc(16);
		ck_assert_ptr_nonnull(names[i]);
		/* every name twice: items i and i + N/2 share one */
		snprintf(names[i], 16, "n%zu", i % (N / 2));
	}
}

static void empty(void)
{
	for (size_t i = 0; i < N; i++) {
		free(names[i]);
		names[i] = NULL;
	}
}

START_TEST(matches_scan)
{
	struct nameidx x = { 0 };
	char key[16];

	fill();
	/* the array grows between lookups, as while a config is read */
	for (size_t n = 0; n <= N; n += 7) {
		snprintf(key, sizeof(key), "n%zu", n / 3);
		ck_assert_int_eq(nameidx_find(&x, names, n, name_of, key),
				 scan(n, key));
	}
	for (size_t i = 0; i < N / 2; i++) {
		snprintf(key, sizeof(key), "n%zu", i);
		ck_assert_int_eq(nameidx_find(&x, names, N, name_of, key),
				 (int)i);   /* the first of the two */
	}
	ck_assert_int_eq(nameidx_find(&x, names, N, name_of, "nope"), -ENOENT);
	ck_assert_int_eq(nameidx_find(&x, names, N, name_of, ""), -ENOENT);
	nameidx_free(&x);
	ck_assert_ptr_null(x.slot);
	empty();
}
END_TEST

START_TEST(shrunk_and_cleared)
{
	struct nameidx x = { 0 };

	fill();
	ck_assert_int_eq(nameidx_find(&x, names, N, name_of, "n10"), 10);
	/* item 10 cleared and the array cut below the second "n10": the
	 * index starts over and finds nothing, like the scan */
	free(names[10]);
	names[10] = NULL;
	ck_assert_int_eq(nameidx_find(&x, names, 100, name_of, "n10"),
			 -ENOENT);
	ck_assert_int_eq(nameidx_find(&x, names, 100, name_of, "n99"), 99);
	ck_assert_int_eq(nameidx_find(&x, names, N, name_of, "n10"),
			 N / 2 + 10);
	ck_assert_int_eq(nameidx_find(&x, names, 0, name_of, "n1"), -ENOENT);
	nameidx_free(&x);
	empty();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nameidx");
	TCase *t = tcase_create("core");

	tcase_add_test(t, matches_scan);
	tcase_add_test(t, shrunk_and_cleared);
	suite_add_tcase(s, t);
	return check_run(s);
}
