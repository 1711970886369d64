/* hmac.h - HMAC-SHA256 (RFC 2104, FIPS 198-1) over src/base/sha256.c, and a
 * comparison of digests that takes the same time wherever they differ. */
#ifndef SEGMENTD_HMAC_H
#define SEGMENTD_HMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define HMAC_SHA256_LEN 32

struct hmac_sha256 {
	struct sha256 inner;
	uint8_t opad_key[64];   /* key ^ 0x5c, for the outer hash */
};

/* A key longer than the 64-byte block is hashed first (RFC 2104). */
void hmac_sha256_init(struct hmac_sha256 *h, const void *key, size_t key_len);
void hmac_sha256_update(struct hmac_sha256 *h, const void *data, size_t len);
/* Writes the tag and wipes the key material from h. */
void hmac_sha256_final(struct hmac_sha256 *h, uint8_t out[HMAC_SHA256_LEN]);
void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		 uint8_t out[HMAC_SHA256_LEN]);
/* True when the n bytes are equal; the time does not depend on where
 * they differ (for tags: no timing oracle). */
bool hmac_equal(const uint8_t *a, const uint8_t *b, size_t n);

#endif
