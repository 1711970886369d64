/* sha256.c - SHA-256 as specified in FIPS 180-4, section 6.2.
 *
 * The compression function in portable C, and on x86-64 CPUs with the SHA
 * extensions (sha256rnds2, sha256msg1/2: Intel since Goldmont and Ice
 * Lake, AMD since Zen) in those instructions, chosen at run time.  The
 * watchdog hashes every element it reads back and expects (tens of MB at
 * 100k networks); the instructions do that several times faster. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define SHA256_X86 1
#endif

#include "sha256.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void compress_one(uint32_t state[8], const uint8_t *p)
{
	uint32_t w[64], v[8];

	for (int t = 0; t < 16; t++)
		w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
		       (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^
			      (w[t - 15] >> 3);
		uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^
			      (w[t - 2] >> 10);

		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	memcpy(v, state, sizeof(v));
	/* the working variables a..h in locals, shifted by assignment: the
	 * compiler keeps them in registers (a memmove of the array each
	 * round was most of the cost) */
	{
		uint32_t a = v[0], b = v[1], c = v[2], d = v[3];
		uint32_t e = v[4], f = v[5], g = v[6], h = v[7];

		for (int t = 0; t < 64; t++) {
			uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) +
				      ((e & f) ^ (~e & g)) + K[t] + w[t];
			uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) +
				      ((a & b) ^ (a & c) ^ (b & c));

			h = g;
			g = f;
			f = e;
			e = d + t1;
			d = c;
			c = b;
			b = a;
			a = t1 + t2;
		}
		v[0] = a; v[1] = b; v[2] = c; v[3] = d;
		v[4] = e; v[5] = f; v[6] = g; v[7] = h;
	}
	for (int i = 0; i < 8; i++)
		state[i] += v[i];
}

static void compress_portable(uint32_t state[8], const uint8_t *p, size_t n)
{
	for (; n; n--, p += 64)
		compress_one(state, p);
}

#ifdef SHA256_X86
/* The same function in the SHA extensions.  sha256rnds2 does two rounds on
 * the state split in two registers, A,B,E,F and C,D,G,H (the highest dword
 * first), taking W+K of its rounds from the low half of its third operand;
 * sha256msg1/msg2 and the alignment in between extend the message four
 * words at a time (W[t-16] + s0(W[t-15]), + W[t-7], + s1(W[t-2])). */
__attribute__((target("sha,sse4.1,ssse3")))
static void compress_x86(uint32_t state[8], const uint8_t *p, size_t n)
{
	/* a byte swap of each dword: the message words are big-endian */
	const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL,
					    0x0405060700010203LL);
	__m128i abcd = _mm_loadu_si128((const __m128i *)&state[0]);
	__m128i efgh = _mm_loadu_si128((const __m128i *)&state[4]);
	__m128i badc = _mm_shuffle_epi32(abcd, 0xB1);
	__m128i hgfe = _mm_shuffle_epi32(efgh, 0x1B);
	__m128i abef = _mm_alignr_epi8(badc, hgfe, 8);     /* F E B A */
	__m128i cdgh = _mm_blend_epi16(hgfe, badc, 0xF0);  /* H G D C */

	for (; n; n--, p += 64) {
		__m128i was_abef = abef, was_cdgh = cdgh, w[4];

		for (int i = 0; i < 4; i++)
			w[i] = _mm_shuffle_epi8(_mm_loadu_si128(
					(const __m128i *)(p + 16 * i)), swap);
		for (int g = 0; g < 16; g++) {
			__m128i wk;

			if (g >= 4) {   /* words 4g..4g+3 over those of g-4 */
				__m128i x = _mm_sha256msg1_epu32(w[g & 3],
							w[(g + 1) & 3]);

				x = _mm_add_epi32(x, _mm_alignr_epi8(
						w[(g + 3) & 3], w[(g + 2) & 3], 4));
				w[g & 3] = _mm_sha256msg2_epu32(x,
							w[(g + 3) & 3]);
			}
			wk = _mm_add_epi32(w[g & 3], _mm_loadu_si128(
					(const __m128i *)&K[4 * g]));
			/* two rounds: the old A,B,E,F are the new C,D,G,H */
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
			abef = _mm_sha256rnds2_epu32(abef, cdgh,
					_mm_shuffle_epi32(wk, 0x0E));
		}
		abef = _mm_add_epi32(abef, was_abef);
		cdgh = _mm_add_epi32(cdgh, was_cdgh);
	}
	{
		__m128i feba = _mm_shuffle_epi32(abef, 0x1B);  /* A B E F */
		__m128i ghcd = _mm_shuffle_epi32(cdgh, 0xB1);  /* G H C D */

		_mm_storeu_si128((__m128i *)&state[0],
				 _mm_blend_epi16(feba, ghcd, 0xF0));
		_mm_storeu_si128((__m128i *)&state[4],
				 _mm_alignr_epi8(ghcd, feba, 8));
	}
}

static bool cpu_has_sha(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) ||
	    !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return b & (1u << 29);    /* CPUID.(EAX=7,ECX=0):EBX.SHA */
}
#endif

static void compress_first(uint32_t state[8], const uint8_t *p, size_t n);
static void (*compress)(uint32_t state[8], const uint8_t *p,
			size_t n) = compress_first;

bool sha256_set_accel(bool on)
{
	compress = compress_portable;
#ifdef SHA256_X86
	if (on && cpu_has_sha())
		compress = compress_x86;
#endif
	return compress != compress_portable;
}

/* The first call chooses. */
static void compress_first(uint32_t state[8], const uint8_t *p, size_t n)
{
	sha256_set_accel(true);
	compress(state, p, n);
}

void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memset(s, 0, sizeof(*s));
	memcpy(s->h, iv, sizeof(iv));
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->length += len;
	while (len) {
		size_t n = 64 - s->used;

		if (s->used == 0 && len >= 64) {   /* whole blocks: no copy */
			size_t blocks = len / 64;

			compress(s->h, p, blocks);
			p += 64 * blocks;
			len -= 64 * blocks;
			continue;
		}

		if (n > len)
			n = len;
		memcpy(s->block + s->used, p, n);
		s->used += n;
		p += n;
		len -= n;
		if (s->used == 64) {
			compress(s->h, s->block, 1);
			s->used = 0;
		}
	}
}

void sha256_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->length * 8;
	uint8_t pad = 0x80, zero = 0, len[8];

	sha256_update(s, &pad, 1);
	while (s->used != 56)
		sha256_update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, len, 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

void sha256_hex(const uint8_t digest[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}
