/* test_sha256.c - FIPS 180-4 test vectors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static void digest_of(const char *msg, size_t repeat, char hex[65])
{
	struct sha256 s;
	uint8_t d[32];

	sha256_init(&s);
	for (size_t i = 0; i < repeat; i++)
		sha256_update(&s, msg, strlen(msg));
	sha256_final(&s, d);
	sha256_hex(d, hex);
}

START_TEST(vectors)
{
	char hex[65];

	digest_of("abc", 1, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
			      "b00361a396177a9cb410ff61f20015ad");
	digest_of("", 1, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
			      "27ae41e4649b934ca495991b7852b855");
	digest_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  1, hex);
	ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039"
			      "a33ce45964ff2167f6ecedd419db06c1");
	digest_of("a", 1000000, hex);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
			      "f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, vectors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
