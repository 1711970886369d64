/* test_sha256.c - FIPS 180-4 test vectors; HMAC-SHA256 against RFC 4231
 * (cases 1 to 7; case 5's truncated tag compared on its first 16 bytes),
 * the incremental HMAC interface and hmac_equal. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmac.h"
#include "sha256.h"
#include "check_main.h"

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

/* _i 0: the portable code, 1: the CPU's SHA instructions where it has
 * them (the two are compared in accel_agrees). */
START_TEST(vectors)
{
	char hex[65];

	sha256_set_accel(_i == 1);

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

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;

	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;

		ck_assert_int_eq(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void expect_tag(const uint8_t *key, size_t key_len, const void *data,
		       size_t len, const char *hex_tag)
{
	uint8_t tag[32], want[32];
	size_t n = unhex(hex_tag, want);

	hmac_sha256(key, key_len, data, len, tag);
	ck_assert_msg(memcmp(tag, want, n) == 0, "tag differs from %s", hex_tag);
}

/* A million 'a's in one update (whole blocks hashed from the input), in
 * pieces of every size from 1 to 200 bytes, and one byte at a time:
 * FIPS 180-4's vector each way. */
START_TEST(blocks_and_pieces)
{
	const char *want = "cdc76e5c9914fb9281a1c7e284d73e67"
			   "f1809a48a497200e046d39ccc7112cd0";
	size_t n = 1000000;
	char *a = malloc(n), hex[65];
	struct sha256 s;
	uint8_t d[32];

	ck_assert_ptr_nonnull(a);
	sha256_set_accel(_i == 1);
	memset(a, 'a', n);
	sha256_init(&s);
	sha256_update(&s, a, n);
	sha256_final(&s, d);
	sha256_hex(d, hex);
	ck_assert_str_eq(hex, want);
	sha256_init(&s);
	for (size_t off = 0, k = 1; off < n; k = k % 200 + 1) {
		size_t m = n - off < k ? n - off : k;

		sha256_update(&s, a + off, m);
		off += m;
	}
	sha256_final(&s, d);
	sha256_hex(d, hex);
	ck_assert_str_eq(hex, want);
	free(a);
}
END_TEST

START_TEST(rfc4231)
{
	uint8_t key[131], data[64];
	const char *big = "Test Using Larger Than Block-Size Key - Hash Key First";
	const char *big2 = "This is a test using a larger than block-size key "
		"and a larger than block-size data. The key needs to be hashed "
		"before being used by the HMAC algorithm.";

	memset(key, 0x0b, 20);   /* case 1 */
	expect_tag(key, 20, "Hi There", 8,
		   "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	expect_tag((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
		   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, 20);   /* case 3 */
	memset(data, 0xdd, 50);
	expect_tag(key, 20, data, 50,
		   "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	for (int i = 0; i < 25; i++)   /* case 4 */
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, 50);
	expect_tag(key, 25, data, 50,
		   "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	memset(key, 0x0c, 20);   /* case 5: the tag truncated to 128 bits */
	expect_tag(key, 20, "Test With Truncation", 20,
		   "a3b6167473100ee06e0c796c2955552b");
	memset(key, 0xaa, 131);  /* cases 6 and 7: a key longer than a block */
	expect_tag(key, 131, big, strlen(big),
		   "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	expect_tag(key, 131, big2, strlen(big2),
		   "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}
END_TEST

START_TEST(incremental)
{
	const char *msg = "what do ya want for nothing?";
	struct hmac_sha256 h;
	uint8_t a[32], b[32];

	hmac_sha256("Jefe", 4, msg, strlen(msg), a);
	hmac_sha256_init(&h, "Jefe", 4);
	for (size_t i = 0; msg[i]; i++)
		hmac_sha256_update(&h, msg + i, 1);
	hmac_sha256_final(&h, b);
	ck_assert(hmac_equal(a, b, sizeof(a)));
	b[31] ^= 1;
	ck_assert(!hmac_equal(a, b, sizeof(a)));
	b[31] ^= 1;
	b[0] ^= 0x80;
	ck_assert(!hmac_equal(a, b, sizeof(a)));
	ck_assert(hmac_equal(a, b, 0));
}
END_TEST

/* Random messages of every length up to 2,100 bytes and some of 64 KiB,
 * fed in random pieces: the CPU's SHA instructions give the portable
 * code's digest for each. */
static void digest_pieces(const uint8_t *m, size_t len, uint64_t seed,
			  uint8_t out[32])
{
	struct sha256 s;

	sha256_init(&s);
	for (size_t off = 0; off < len;) {
		size_t n = test_rng(&seed) % 300;

		if (n > len - off)
			n = len - off;
		sha256_update(&s, m + off, n);
		off += n;
	}
	sha256_final(&s, out);
}

START_TEST(accel_agrees)
{
	size_t max = 65536;
	uint8_t *m = malloc(max), want[32], got[32];
	uint64_t rng = 0x5eed5a256ULL;

	ck_assert_ptr_nonnull(m);
	if (!sha256_set_accel(true))
		fprintf(stderr, "test_sha256: this CPU has no SHA instructions: "
			"the portable code is compared with itself\n");
	for (size_t len = 0; len <= 2100 + 8; len++) {
		size_t n = len <= 2100 ? len : max - (len - 2101) * 61;

		for (size_t i = 0; i < n; i++)
			m[i] = (uint8_t)test_rng(&rng);
		sha256_set_accel(false);
		digest_pieces(m, n, len, want);
		sha256_set_accel(true);
		digest_pieces(m, n, len, got);
		ck_assert_msg(memcmp(want, got, 32) == 0,
			      "digests differ for %zu bytes", n);
	}
	free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, vectors, 0, 2);
	tcase_add_loop_test(tc, blocks_and_pieces, 0, 2);
	tcase_add_test(tc, accel_agrees);
	tcase_add_test(tc, rfc4231);
	tcase_add_test(tc, incremental);
	suite_add_tcase(s, tc);
	return check_run(s);
}
