/* test_bad.c - every .conf file in tests/bad must be refused, with the error its
 * first line announces:
 *
 *   # expect: <line>: error: <message>
 *
 * (or "# expect: error: <message>" when the error has no line).  The files
 * are loaded from inside tests/bad, so messages name them without a
 * directory; the file name before the line is left out of the expectation
 * because it may be an included file. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "check_main.h"

#define NOW ((time_t)1768435200)   /* 2026-01-15 00:00 UTC */
#define BAD_DIR TOP_SRCDIR "/tests/bad"
#define EXPECT "# expect: "

static char **names;
static size_t name_count;

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect(void)
{
	DIR *dp = opendir(BAD_DIR);
	struct dirent *e;
	size_t cap = 0;

	while (dp && (e = readdir(dp))) {
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		if (name_count == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				abort();
		}
		names[name_count++] = strdup(e->d_name);
	}
	if (dp)
		closedir(dp);
	if (name_count)
		qsort(names, name_count, sizeof(*names), name_cmp);
}

/* The text after "# expect: " on the first line, or NULL. */
static char *expectation(const char *name)
{
	char line[1024];
	FILE *f = fopen(name, "r");
	char *nl;

	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f) || strncmp(line, EXPECT, strlen(EXPECT))) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';
	return strdup(line + strlen(EXPECT));
}

static char *printed(const struct diags *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	diags_print(d, f);
	fclose(f);
	return text;
}

START_TEST(corpus_size)
{
	ck_assert_uint_ge(name_count, 50);
}
END_TEST

START_TEST(refused)
{
	const char *name = names[_i];
	char *want, *text, *got;
	struct model m;
	struct diags d;
	int r;

	ck_assert_int_eq(chdir(BAD_DIR), 0);
	want = expectation(name);
	ck_assert_msg(want, "%s: the first line must be '# expect: ...'", name);
	ck_assert_int_ge(asprintf(&text, "%s%s", want[0] == 'e' ? ": " : ":",
				  want), 0);
	diags_init(&d);
	r = config_load(name, &m, &d);
	if (r == 0 || m.zone_count)
		r = model_validate(&m, NOW, &d) < 0 ? -EINVAL : r;
	got = printed(&d);
	ck_assert_msg(r == -EINVAL && d.errors > 0, "%s was accepted", name);
	ck_assert_msg(strstr(got, text), "%s: expected\n  %s\nin\n%s", name,
		      want, got);
	free(got);
	free(text);
	free(want);
	model_free(&m);
	diags_free(&d);
}
END_TEST

/* The one load path refuses them too, without compiling anything. */
START_TEST(policy_refuses)
{
	struct ruleset rs;
	struct model m;
	struct diags d;

	ck_assert_int_eq(chdir(BAD_DIR), 0);
	diags_init(&d);
	ck_assert_int_eq(policy_load(names[_i], NOW, &m, &rs, &d), -EINVAL);
	ck_assert_int_gt(d.errors, 0);
	ck_assert_uint_eq(rs.chain_count, 0);
	ruleset_free(&rs);
	model_free(&m);
	diags_free(&d);
}
END_TEST

static Suite *bad_suite(void)
{
	Suite *s = suite_create("bad");
	TCase *tc = tcase_create("corpus");

	tcase_add_test(tc, corpus_size);
	tcase_add_loop_test(tc, refused, 0, (int)name_count);
	tcase_add_loop_test(tc, policy_refuses, 0, (int)name_count);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	collect();
	sr = srunner_create(bad_suite());
	failed = check_run_runner(sr);
	for (size_t i = 0; i < name_count; i++)
		free(names[i]);
	free(names);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
