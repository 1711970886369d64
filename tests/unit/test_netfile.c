/* test_netfile.c - the networks_file parser (netfile.c). */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netfile.h"

struct parsed {
	struct cidr *items;
	size_t count;
	struct diags d;
	int r;
	char *printed;
};

static void parse(const char *text, struct parsed *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	memset(p, 0, sizeof(*p));
	diags_init(&p->d);
	p->r = netfile_parse(text, strlen(text), "nets.txt", SIZE_MAX, &p->items,
			     &p->count, &p->d);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	diags_print(&p->d, f);
	fclose(f);
	p->printed = buf;
}

static void done(struct parsed *p)
{
	free(p->items);
	free(p->printed);
	diags_free(&p->d);
}

static void assert_item(const struct parsed *p, size_t i, const char *want,
			int line)
{
	char buf[64];

	ck_assert_uint_lt(i, p->count);
	cidr_format(&p->items[i], buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(p->items[i].line, line);
}

/* text must be refused with exactly the message want (file:line: ...). */
static void assert_bad(const char *text, const char *want)
{
	struct parsed p;

	parse(text, &p);
	ck_assert_int_eq(p.r, -EINVAL);
	ck_assert_msg(strstr(p.printed, want), "expected\n  %s\nin\n%s", want,
		      p.printed);
	done(&p);
}

START_TEST(good_lines)
{
	struct parsed p;

	parse("# header\n10.0.0.0/8\n\n  192.0.2.1  \t# a host\r\n"
	      "2001:db8::/32\n\t\n::1\n198.51.100.0/24", &p);
	ck_assert_int_eq(p.r, 0);
	ck_assert_uint_eq(p.count, 5);
	assert_item(&p, 0, "10.0.0.0/8", 2);
	assert_item(&p, 1, "192.0.2.1", 4);
	assert_item(&p, 2, "2001:db8::/32", 5);
	assert_item(&p, 3, "::1", 7);
	assert_item(&p, 4, "198.51.100.0/24", 8);   /* no final newline */
	ck_assert_int_eq(p.d.errors, 0);
	done(&p);
}
END_TEST

START_TEST(empty_and_comments)
{
	struct parsed p;

	parse("", &p);
	ck_assert_int_eq(p.r, 0);
	ck_assert_uint_eq(p.count, 0);
	done(&p);
	parse("#\n# only comments\n   \n", &p);
	ck_assert_int_eq(p.r, 0);
	ck_assert_uint_eq(p.count, 0);
	done(&p);
}
END_TEST

START_TEST(appends)
{
	struct parsed p;
	struct cidr *v = calloc(1, sizeof(*v));
	size_t n = 1;
	struct diags d;

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(cidr_parse("10.9.0.0/16", v), 0);
	diags_init(&d);
	ck_assert_int_eq(netfile_parse("10.1.0.0/16\n", 12, "f", SIZE_MAX, &v,
				       &n, &d), 0);
	ck_assert_uint_eq(n, 2);
	p.items = v;
	p.count = n;
	assert_item(&p, 1, "10.1.0.0/16", 1);
	free(v);
	diags_free(&d);
}
END_TEST

START_TEST(errors)
{
	assert_bad("10.0.0.0/8\n10.0.0.1/8\n", "nets.txt:2: error: invalid "
		   "network '10.0.0.1/8': host bits set (did you mean "
		   "'10.0.0.0/8'?)");
	assert_bad("\n\nfoo\n", "nets.txt:3: error: invalid network 'foo': "
		   "not an IPv4 or IPv6 address");
	assert_bad("10.0.0.0/33\n", "nets.txt:1: error: invalid network "
		   "'10.0.0.0/33': prefix length out of range");
	assert_bad("2001:db8::/129\n", "nets.txt:1: error: invalid network "
		   "'2001:db8::/129': prefix length out of range");
	assert_bad("10.0.0.0/8 10.1.0.0/16\n", "nets.txt:1: error: "
		   "'10.0.0.0/8 10.1.0.0/16': one network per line");
	assert_bad("10.0.0.0/8,\n", "nets.txt:1: error: invalid network "
		   "'10.0.0.0/8,'");
	assert_bad("\"10.0.0.0/8\"\n", "nets.txt:1: error: invalid network");
	assert_bad("any\n", "nets.txt:1: error: 'any' is not allowed in a "
		   "networks file");
	assert_bad("10.0.0.0/\n", "nets.txt:1: error: invalid network "
		   "'10.0.0.0/'");
}
END_TEST

START_TEST(long_and_binary_tokens)
{
	char text[300];

	memset(text, '1', sizeof(text) - 2);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	assert_bad(text, "nets.txt:1: error: invalid network '1111");
	assert_bad(text, "...': not an IPv4 or IPv6 address");
	assert_bad("10.0.0.0/8\x01\n", "nets.txt:1: error: invalid network "
		   "'10.0.0.0/8?'");
}
END_TEST

START_TEST(nul_byte)
{
	struct parsed p;
	static const char text[] = "10.0.0.0/8\n1.2.3.0/24\0junk\n";

	memset(&p, 0, sizeof(p));
	diags_init(&p.d);
	p.r = netfile_parse(text, sizeof(text) - 1, "nets.txt", SIZE_MAX,
			    &p.items,
			    &p.count, &p.d);
	ck_assert_int_eq(p.r, -EINVAL);
	ck_assert_int_eq(p.d.errors, 1);
	ck_assert_int_eq(p.d.items[0].line, 2);
	done(&p);
}
END_TEST

/* Past NETFILE_MAX_ERRORS, one summary line instead of thousands. */
START_TEST(error_cap)
{
	struct parsed p;
	size_t n = NETFILE_MAX_ERRORS + 30;
	char *text = malloc(n * 4 + 1), *q = text;

	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < n; i++)
		q += sprintf(q, "xx\n");
	parse(text, &p);
	ck_assert_int_eq(p.r, -EINVAL);
	ck_assert_uint_eq(p.d.count, NETFILE_MAX_ERRORS + 1);
	ck_assert_msg(strstr(p.printed, "nets.txt: error: 30 more invalid "
			     "lines not shown"), "%s", p.printed);
	done(&p);
	free(text);
}
END_TEST

START_TEST(read_missing)
{
	struct cidr *v = NULL;
	size_t n = 0;
	struct diags d;

	diags_init(&d);
	ck_assert_int_eq(netfile_read("/nonexistent/nets.txt", "/nonexistent/nets.txt", SIZE_MAX, &v, &n, &d),
			 -EINVAL);
	ck_assert_int_eq(d.errors, 1);
	ck_assert_str_eq(d.items[0].file, "/nonexistent/nets.txt");
	ck_assert_int_eq(netfile_read("/", "/", SIZE_MAX, &v, &n, &d), -EINVAL);
	ck_assert_int_eq(d.errors, 2);
	free(v);
	diags_free(&d);
}
END_TEST

/* max counts what this file adds (one network already there): the line of
 * one more is the error, and the reading ends there */
START_TEST(limit)
{
	const char *text = "10.1.0.0/16\n# two\n10.2.0.0/16\n10.3.0.0/16\n"
			   "bad\n";
	struct cidr *v = calloc(1, sizeof(*v));
	size_t n = 1;
	struct diags d;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(cidr_parse("10.9.0.0/16", v), 0);
	diags_init(&d);
	ck_assert_int_eq(netfile_parse(text, strlen(text), "f", 2, &v, &n, &d),
			 -EINVAL);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(d.errors, 1);
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	diags_print(&d, f);
	fclose(f);
	ck_assert_str_eq(out, "f:4: error: one network more than the 2 this "
			 "file may add (the limit of networks of all zones "
			 "together, see segmentd.conf(5) LIMITS)\n");
	free(out);
	free(v);
	diags_free(&d);
}
END_TEST

static Suite *netfile_suite(void)
{
	Suite *s = suite_create("netfile");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, good_lines);
	tcase_add_test(tc, empty_and_comments);
	tcase_add_test(tc, appends);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, long_and_binary_tokens);
	tcase_add_test(tc, nul_byte);
	tcase_add_test(tc, error_cap);
	tcase_add_test(tc, read_missing);
	tcase_add_test(tc, limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(netfile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
