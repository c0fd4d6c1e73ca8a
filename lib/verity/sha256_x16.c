/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sixteen salted SHA-256 block digests at once, one per 32-bit lane of AVX-512 registers.
 *
 * Where the SHA extensions' sha256rnds2 is the bottleneck (on Intel's Golden Cove and later
 * cores one stream already saturates it, so interleaving streams gains nothing), the plain
 * vector units are free: sixteen messages hashed side by side with rotates (vprord) and
 * three-input logic (vpternlogd) compute SHA-256 faster than the SHA unit. The messages have
 * the same layout here (same salt, same block size), so they share the block loop; the
 * 64-byte blocks that mix salt, data and padding are one masked load per message over a
 * frame of salt and padding built once. Each 64-byte step loads one row per message and transposes the
 * 16x16 words so that word i of every message sits in one register. */
#include <stdint.h>
#include <string.h>
#include "verity/verity.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#include "verity/sha256_k.h"

#define TARGET __attribute__((target("avx512f,avx512bw")))
#define LANES 16

static const uint32_t IV[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

bool verity_sha256_x16_supported(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid_max(0, NULL) < 7 || !__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return false;
	/* the OS must save the opmask and the upper halves of zmm0-31 (XCR0 bits 1, 2, 5, 6, 7) */
	unsigned lo, hi;
	__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 0xe6) != 0xe6)
		return false;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & bit_AVX512F) && (b & bit_AVX512BW);
}

#define ROR(x, n) _mm512_ror_epi32((x), (n))
#define XOR3(a, b, c) _mm512_ternarylogic_epi32((a), (b), (c), 0x96)

/* words i of the 16 rows r[0..15] into w[i] (lane j = row j) */
TARGET static inline __attribute__((always_inline)) void transpose(__m512i r[16])
{
	__m512i t[16], u[16];

	for (int i = 0; i < 16; i += 2) {
		t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
		t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
	}
	for (int i = 0; i < 16; i += 4) {
		u[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
		u[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
		u[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
		u[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
	}
	/* u[4q + k], 128-bit lane L: rows 4q..4q+3 of column 4L + k */
	for (int k = 0; k < 4; k++) {
		__m512i alo = _mm512_shuffle_i32x4(u[k], u[4 + k], 0x44), ahi = _mm512_shuffle_i32x4(u[k], u[4 + k], 0xee);
		__m512i blo = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0x44), bhi = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0xee);
		r[k] = _mm512_shuffle_i32x4(alo, blo, 0x88);
		r[4 + k] = _mm512_shuffle_i32x4(alo, blo, 0xdd);
		r[8 + k] = _mm512_shuffle_i32x4(ahi, bhi, 0x88);
		r[12 + k] = _mm512_shuffle_i32x4(ahi, bhi, 0xdd);
	}
}

/* One 64-byte block of each of the 16 messages (row i: message i, as loaded) into the
 * state s[0..7] (a..h, one lane per message). */
TARGET static inline __attribute__((always_inline)) void compress(__m512i s[8], __m512i w[16])
{
	const __m512i bswap = _mm512_broadcast_i32x4(_mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL));
	__m512i a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];

	for (int i = 0; i < 16; i++)
		w[i] = _mm512_shuffle_epi8(w[i], bswap);
	transpose(w);
#pragma GCC unroll 64
	for (int t = 0; t < 64; t++) {
		__m512i wt;
		if (t < 16) {
			wt = w[t];
		} else {
			__m512i w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
			__m512i s0 = XOR3(ROR(w15, 7), ROR(w15, 18), _mm512_srli_epi32(w15, 3));
			__m512i s1 = XOR3(ROR(w2, 17), ROR(w2, 19), _mm512_srli_epi32(w2, 10));
			wt = _mm512_add_epi32(_mm512_add_epi32(w[t & 15], s0), _mm512_add_epi32(w[(t - 7) & 15], s1));
			w[t & 15] = wt;
		}
		__m512i t1 = _mm512_add_epi32(_mm512_add_epi32(h, XOR3(ROR(e, 6), ROR(e, 11), ROR(e, 25))),
					      _mm512_add_epi32(_mm512_ternarylogic_epi32(e, f, g, 0xca),
							       _mm512_add_epi32(wt, _mm512_set1_epi32((int)verity_sha256_k[t]))));
		__m512i t2 = _mm512_add_epi32(XOR3(ROR(a, 2), ROR(a, 13), ROR(a, 22)),
					      _mm512_ternarylogic_epi32(a, b, c, 0xe8));
		h = g;
		g = f;
		f = e;
		e = _mm512_add_epi32(d, t1);
		d = c;
		c = b;
		b = a;
		a = _mm512_add_epi32(t1, t2);
	}
	s[0] = _mm512_add_epi32(s[0], a);
	s[1] = _mm512_add_epi32(s[1], b);
	s[2] = _mm512_add_epi32(s[2], c);
	s[3] = _mm512_add_epi32(s[3], d);
	s[4] = _mm512_add_epi32(s[4], e);
	s[5] = _mm512_add_epi32(s[5], f);
	s[6] = _mm512_add_epi32(s[6], g);
	s[7] = _mm512_add_epi32(s[7], h);
}

/* The bytes of 64-byte block `base` of the padded message that are not data (salt, the 0x80,
 * zeros, the bit length) into out, and in the result a mask of the bytes that are data:
 * the same for every message, so they are built once per call, and each message's block
 * is one masked load over them. */
static uint64_t frame(uint8_t out[64], uint64_t base, const uint8_t *salt, size_t salt_size, bool salt_first,
		      uint64_t len, uint64_t padded)
{
	uint64_t total = salt_size + len, sstart = salt_first ? 0 : len, dstart = salt_first ? salt_size : 0;
	uint64_t mask = 0;

	for (unsigned i = 0; i < 64; i++) {
		uint64_t at = base + i;
		uint8_t v = 0;
		if (at >= dstart && at < dstart + len)
			mask |= 1ull << i;
		else if (at >= sstart && at < sstart + salt_size)
			v = salt[at - sstart];
		else if (at == total)
			v = 0x80;
		else if (at >= padded - 8)
			v = (uint8_t)((total * 8) >> (8 * (padded - 1 - at)));
		out[i] = v;
	}
	return mask;
}

TARGET void verity_sha256_x16(const uint8_t *salt, size_t salt_size, bool salt_first, const uint8_t *blocks,
			      unsigned n, size_t len, uint8_t *out)
{
	__m512i s[8], w[16];
	uint64_t total = (uint64_t)salt_size + len, padded = (total + 9 + 63) & ~(uint64_t)63;
	uint64_t dstart = salt_first ? salt_size : 0, dend = dstart + len;
	uint8_t tmpl[64];
	uint32_t st[8][LANES] __attribute__((aligned(64)));

	if (n == 0 || n > LANES)
		return;
	for (int i = 0; i < 8; i++)
		s[i] = _mm512_set1_epi32((int)IV[i]);
	for (uint64_t base = 0; base < padded; base += 64) {
		if (base >= dstart && base + 64 <= dend) {
			/* all data: straight from each message; lanes past n repeat message 0 */
			for (unsigned k = 0; k < LANES; k++)
				w[k] = _mm512_loadu_si512((const void *)(blocks + (k < n ? k : 0) * len + (base - dstart)));
		} else {
			uint64_t mask = frame(tmpl, base, salt, salt_size, salt_first, len, padded);
			__m512i t = _mm512_loadu_si512((const void *)tmpl);
			for (unsigned k = 0; k < LANES; k++) {
				/* masked-off bytes are never touched, so the address may lie outside the
				 * message where mask is 0 (computed as an integer, never dereferenced there) */
				uintptr_t at = (uintptr_t)(blocks + (k < n ? k : 0) * len) + (uintptr_t)base - (uintptr_t)dstart;
				w[k] = mask ? _mm512_mask_loadu_epi8(t, mask, (const void *)at) : t;
			}
		}
		compress(s, w);
	}
	for (int i = 0; i < 8; i++)
		_mm512_store_si512((void *)st[i], s[i]);
	for (unsigned k = 0; k < n; k++)
		for (int i = 0; i < 8; i++) {
			uint32_t v = st[i][k];
			out[32 * k + 4 * i] = (uint8_t)(v >> 24);
			out[32 * k + 4 * i + 1] = (uint8_t)(v >> 16);
			out[32 * k + 4 * i + 2] = (uint8_t)(v >> 8);
			out[32 * k + 4 * i + 3] = (uint8_t)v;
		}
}

#else

bool verity_sha256_x16_supported(void)
{
	return false;
}

void verity_sha256_x16(const uint8_t *salt, size_t salt_size, bool salt_first, const uint8_t *blocks,
		       unsigned n, size_t len, uint8_t *out)
{
	(void)salt, (void)salt_size, (void)salt_first, (void)blocks, (void)n, (void)len, (void)out;
}

#endif
