/* hmac.c - HMAC-SHA256: H((K ^ opad) || H((K ^ ipad) || message)). */
#include <string.h>

#include "hmac.h"

static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

void hmac_sha256_init(struct hmac_sha256 *h, const void *key, size_t key_len)
{
	uint8_t k[64] = { 0 }, ipad[64];

	if (key_len > sizeof(k)) {
		struct sha256 s;

		sha256_init(&s);
		sha256_update(&s, key, key_len);
		sha256_final(&s, k);
	} else if (key_len > 0) {
		memcpy(k, key, key_len);
	}
	for (size_t i = 0; i < sizeof(k); i++) {
		ipad[i] = k[i] ^ 0x36;
		h->opad_key[i] = k[i] ^ 0x5c;
	}
	sha256_init(&h->inner);
	sha256_update(&h->inner, ipad, sizeof(ipad));
	wipe(k, sizeof(k));
	wipe(ipad, sizeof(ipad));
}

void hmac_sha256_update(struct hmac_sha256 *h, const void *data, size_t len)
{
	sha256_update(&h->inner, data, len);
}

void hmac_sha256_final(struct hmac_sha256 *h, uint8_t out[HMAC_SHA256_LEN])
{
	uint8_t inner[32];
	struct sha256 outer;

	sha256_final(&h->inner, inner);
	sha256_init(&outer);
	sha256_update(&outer, h->opad_key, sizeof(h->opad_key));
	sha256_update(&outer, inner, sizeof(inner));
	sha256_final(&outer, out);
	wipe(inner, sizeof(inner));
	wipe(h, sizeof(*h));
	wipe(&outer, sizeof(outer));
}

void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		 uint8_t out[HMAC_SHA256_LEN])
{
	struct hmac_sha256 h;

	hmac_sha256_init(&h, key, key_len);
	hmac_sha256_update(&h, data, len);
	hmac_sha256_final(&h, out);
}

bool hmac_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}
