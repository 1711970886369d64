/* test_json.c - the JSON writer: commas, nesting, escaping, UTF-8. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"
#include "check_main.h"

struct buf {
	char *text;
	size_t len;
	FILE *f;
	struct json j;
};

static void buf_open(struct buf *b)
{
	b->f = open_memstream(&b->text, &b->len);
	ck_assert_ptr_nonnull(b->f);
	json_init(&b->j, b->f);
}

static void buf_expect(struct buf *b, const char *want, int finish)
{
	ck_assert_int_eq(json_finish(&b->j), finish);
	fclose(b->f);
	ck_assert_str_eq(b->text, want);
	free(b->text);
}

static void string_is(const char *in, size_t len, const char *want)
{
	struct buf b;

	buf_open(&b);
	json_strn(&b.j, in, len);
	buf_expect(&b, want, 0);
}

START_TEST(nesting_and_commas)
{
	struct buf b;

	buf_open(&b);
	json_object_open(&b.j);
	json_kstr(&b.j, "a", "x");
	json_kint(&b.j, "n", -3);
	json_kuint(&b.j, "u", 18446744073709551615ULL);
	json_kbool(&b.j, "t", true);
	json_key(&b.j, "list");
	json_array_open(&b.j);
	json_str(&b.j, NULL);
	json_null(&b.j);
	json_object_open(&b.j);
	json_object_close(&b.j);
	json_array_open(&b.j);
	json_array_close(&b.j);
	json_fixed(&b.j, 1.5, 3);
	json_fixed(&b.j, NAN, 3);
	json_array_close(&b.j);
	json_object_close(&b.j);
	buf_expect(&b, "{\"a\":\"x\",\"n\":-3,\"u\":18446744073709551615,"
		   "\"t\":true,\"list\":[\"\",null,{},[],1.500,null]}", 0);
}
END_TEST

START_TEST(escapes)
{
	string_is("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	string_is("\n\t\r\x01\x1f\x7f", 6, "\"\\n\\t\\r\\u0001\\u001f\\u007f\"");
	string_is("a\0b", 3, "\"a\\u0000b\"");
	string_is("/", 1, "\"/\"");
}
END_TEST

START_TEST(utf8)
{
	/* valid: 2, 3 and 4 byte sequences pass unchanged */
	string_is("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
		  "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	/* a lone continuation byte, a lead byte cut short, 0xff */
	string_is("a\x80z", 3, "\"a\\ufffdz\"");
	string_is("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");
	string_is("\xff", 1, "\"\\ufffd\"");
	/* overlong '/', a surrogate, above U+10FFFF */
	string_is("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	string_is("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	string_is("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	string_is("\xe0\x80\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
}
END_TEST

START_TEST(keys_escaped)
{
	struct buf b;

	buf_open(&b);
	json_object_open(&b.j);
	json_kstr(&b.j, "k\"", "\xff");
	json_object_close(&b.j);
	buf_expect(&b, "{\"k\\\"\":\"\\ufffd\"}", 0);
}
END_TEST

/* Untrusted text (a process name from the kernel) made printable. */
START_TEST(text_escaped)
{
	char out[64];
	const char in[] = "q\"\\\001\377\t<\xe3\x81\x82\x7f";

	ck_assert_uint_eq(text_escape(out, sizeof(out), in, sizeof(in) - 1),
			  strlen(out));
	ck_assert_str_eq(out, "q\"\\\\\\x01\\xff\\x09<\xe3\x81\x82\\x7f");
	/* cut at a whole escape or character, always terminated */
	text_escape(out, 6, in, sizeof(in) - 1);
	ck_assert_str_eq(out, "q\"\\\\");
	text_escape(out, 1, in, sizeof(in) - 1);
	ck_assert_str_eq(out, "");
	/* a UTF-8 sequence cut short is not UTF-8 */
	text_escape(out, sizeof(out), "a\xe3\x81", 3);
	ck_assert_str_eq(out, "a\\xe3\\x81");
}
END_TEST

START_TEST(misuse_reported)
{
	struct buf b;

	buf_open(&b);
	json_object_open(&b.j);
	buf_expect(&b, "{", -EINVAL);
	buf_open(&b);
	json_array_close(&b.j);
	buf_expect(&b, "]", -EINVAL);
	buf_open(&b);
	json_object_open(&b.j);
	json_key(&b.j, "k");
	json_object_close(&b.j);
	buf_expect(&b, "{\"k\":}", -EINVAL);
	buf_open(&b);
	for (int i = 0; i < JSON_DEPTH_MAX + 2; i++)
		json_array_open(&b.j);
	ck_assert_int_eq(json_finish(&b.j), -EINVAL);
	fclose(b.f);
	free(b.text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, nesting_and_commas);
	tcase_add_test(tc, escapes);
	tcase_add_test(tc, utf8);
	tcase_add_test(tc, keys_escaped);
	tcase_add_test(tc, misuse_reported);
	tcase_add_test(tc, text_escaped);
	suite_add_tcase(s, tc);
	return check_run(s);
}
