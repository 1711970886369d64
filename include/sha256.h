/* sha256.h - SHA-256 (FIPS 180-4), for ruleset and config fingerprints. */
#ifndef SEGMENTD_SHA256_H
#define SEGMENTD_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t length;       /* bytes hashed so far */
	uint8_t block[64];
	size_t used;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* Whether the CPU's SHA instructions do the hashing (the default where it
 * has them); on = false: the portable code, for the tests that compare the
 * two.  Returns whether the instructions are used now. */
bool sha256_set_accel(bool on);
/* 64 hex digits and a NUL. */
void sha256_hex(const uint8_t digest[32], char out[65]);

#endif
