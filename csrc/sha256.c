/*
 * sha256.c - SHA-256 (FIPS 180-4): a portable implementation and an x86-64
 * SHA-NI implementation that keeps several independent messages in flight.
 *
 * A message is presented to the block functions as three runs of blocks: an
 * optional head block assembled on the stack (when a one-byte prefix such as
 * RFC 6962's 0x00/0x01 shifts the data), a run read straight from the
 * caller's memory, and one or two tail blocks holding the last bytes and the
 * padding.  Messages of equal length have the same run structure, so N of them
 * can be compressed side by side: one SHA-NI stream is bound by the latency of
 * sha256rnds2, and interleaving independent streams hides it.
 *
 * The Merkle leaf and node messages (prefix? || 32 or 64 bytes) take a
 * fixed-layout SHA-NI path instead (shani_short): their padded words are
 * assembled in registers at fixed offsets, with no copy into a padding buffer,
 * and they run close to the sha256rnds2 throughput bound (docs/SHA_PERF.md).
 */
#include <stdatomic.h>
#include <string.h>

#include "vf_internal.h"

#if VF_X86
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K256[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* ------------------------------------------------------------------------ */
/* Portable block function.                                                  */

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static inline uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void blocks_portable(uint32_t *st, const uint8_t *p, size_t nblocks)
{
    uint32_t w[64];
    while (nblocks--) {
        for (int i = 0; i < 16; i++)
            w[i] = load_be32(p + 4 * i);
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
        for (int i = 0; i < 64; i++) {
            uint32_t S1 = ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25);
            uint32_t ch = (e & f) ^ (~e & g);
            uint32_t t1 = h + S1 + ch + K256[i] + w[i];
            uint32_t S0 = ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22);
            uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
            uint32_t t2 = S0 + maj;
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        st[0] += a;
        st[1] += b;
        st[2] += c;
        st[3] += d;
        st[4] += e;
        st[5] += f;
        st[6] += g;
        st[7] += h;
        p += 64;
    }
}

/* ------------------------------------------------------------------------ */
/* SHA-NI block functions: N independent streams compressed side by side.   */

#if VF_X86
#define VF_SHANI __attribute__((target("sha,sse4.1,ssse3")))

#define VF_AI inline __attribute__((always_inline))
#define VF_MAX_LANES 8

/* 64 rounds on n streams whose 16 message words (already big-endian
 * converted, four to a register) are in w[l][0..3].  `zero` has bit i set
 * when word i is known to be zero in every stream (a compile-time constant
 * at each call): a message-schedule step whose inputs are known zeros is
 * skipped, which matters for the padding of short messages. */
VF_SHANI static VF_AI void shani_rounds(int n, __m128i *abef, __m128i *cdgh,
                                         __m128i (*w)[4], unsigned zero)
{
#pragma GCC unroll 16
    for (int g = 0; g < 16; g++) {
        const __m128i k = _mm_load_si128((const __m128i *)(K256 + 4 * g));
#pragma GCC unroll 8
        for (int l = 0; l < n; l++) {
            __m128i *wl = w[l];
            if (g >= 4) {
                /* W[g] from W[g-4] (slot g&3), W[g-3], W[g-2], W[g-1].  sha256msg1
                 * adds sigma0 of words 4(g-4)+1 .. 4(g-4)+4 to quad g-4: when those
                 * are all known zeros it is the identity (only for g < 8). */
                __m128i x;
                if (g < 8 && ((zero >> (4 * (g - 4) + 1)) & 0xFu) == 0xFu)
                    x = wl[g & 3];
                else
                    x = _mm_sha256msg1_epu32(wl[g & 3], wl[(g + 1) & 3]);
                x = _mm_add_epi32(x, _mm_alignr_epi8(wl[(g + 3) & 3], wl[(g + 2) & 3], 4));
                wl[g & 3] = _mm_sha256msg2_epu32(x, wl[(g + 3) & 3]);
            }
            __m128i m = _mm_add_epi32(wl[g & 3], k);
            cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], m);
            m = _mm_shuffle_epi32(m, 0x0E);
            abef[l] = _mm_sha256rnds2_epu32(abef[l], cdgh[l], m);
        }
    }
}

/* The compression loop on states already in the (abef, cdgh) register layout. */
VF_SHANI static VF_AI void shani_core(int n, __m128i *abef, __m128i *cdgh,
                                       const uint8_t *const *src, size_t nblocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i w[VF_MAX_LANES][4], save_abef[VF_MAX_LANES], save_cdgh[VF_MAX_LANES];
    const uint8_t *p[VF_MAX_LANES];
    for (int l = 0; l < n; l++)
        p[l] = src[l];
    while (nblocks--) {
        for (int l = 0; l < n; l++) {
            save_abef[l] = abef[l];
            save_cdgh[l] = cdgh[l];
            for (int q = 0; q < 4; q++)
                w[l][q] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p[l] + 16 * q)),
                                           bswap);
        }
        shani_rounds(n, abef, cdgh, w, 0);
        for (int l = 0; l < n; l++) {
            abef[l] = _mm_add_epi32(abef[l], save_abef[l]);
            cdgh[l] = _mm_add_epi32(cdgh[l], save_cdgh[l]);
            p[l] += 64;
        }
    }
}

/* (a,b,c,d),(e,f,g,h) words <-> the (a,b,e,f),(c,d,g,h) layout sha256rnds2 uses */
VF_SHANI static inline __attribute__((always_inline)) void
shani_pack(__m128i abcd, __m128i efgh, __m128i *abef, __m128i *cdgh)
{
    __m128i t = _mm_shuffle_epi32(abcd, 0xB1);
    __m128i u = _mm_shuffle_epi32(efgh, 0x1B);
    *abef = _mm_alignr_epi8(t, u, 8);
    *cdgh = _mm_blend_epi16(u, t, 0xF0);
}

VF_SHANI static inline __attribute__((always_inline)) void
shani_unpack(__m128i abef, __m128i cdgh, __m128i *abcd, __m128i *efgh)
{
    __m128i t = _mm_shuffle_epi32(abef, 0x1B); /* f e b a */
    __m128i u = _mm_shuffle_epi32(cdgh, 0xB1); /* d c h g */
    *abcd = _mm_blend_epi16(t, u, 0xF0);
    *efgh = _mm_alignr_epi8(u, t, 8);
}

/* Continue n streams from the states in st[]. */
VF_SHANI static inline __attribute__((always_inline)) void
shani_lanes(int n, uint32_t *const *st, const uint8_t *const *src, size_t nblocks)
{
    __m128i abef[VF_MAX_LANES], cdgh[VF_MAX_LANES];
    for (int l = 0; l < n; l++)
        shani_pack(_mm_loadu_si128((const __m128i *)st[l]),
                   _mm_loadu_si128((const __m128i *)(st[l] + 4)), &abef[l], &cdgh[l]);
    shani_core(n, abef, cdgh, src, nblocks);
    for (int l = 0; l < n; l++) {
        __m128i abcd, efgh;
        shani_unpack(abef[l], cdgh[l], &abcd, &efgh);
        _mm_storeu_si128((__m128i *)st[l], abcd);
        _mm_storeu_si128((__m128i *)(st[l] + 4), efgh);
    }
}

/* Whole messages: start n streams from the initial hash value, write big-endian digests. */
VF_SHANI static inline __attribute__((always_inline)) void
shani_digest(int n, const uint8_t *const *src, size_t nblocks, uint8_t *const *out)
{
    const __m128i word_bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i abef[VF_MAX_LANES], cdgh[VF_MAX_LANES];
    __m128i abcd0 = _mm_loadu_si128((const __m128i *)H0);
    __m128i efgh0 = _mm_loadu_si128((const __m128i *)(H0 + 4));
    for (int l = 0; l < n; l++)
        shani_pack(abcd0, efgh0, &abef[l], &cdgh[l]);
    shani_core(n, abef, cdgh, src, nblocks);
    for (int l = 0; l < n; l++) {
        __m128i abcd, efgh;
        shani_unpack(abef[l], cdgh[l], &abcd, &efgh);
        _mm_storeu_si128((__m128i *)out[l], _mm_shuffle_epi8(abcd, word_bswap));
        _mm_storeu_si128((__m128i *)(out[l] + 16), _mm_shuffle_epi8(efgh, word_bswap));
    }
}

VF_SHANI static void shani_x1(uint32_t *const *st, const uint8_t *const *src, size_t nb)
{
    shani_lanes(1, st, src, nb);
}
VF_SHANI static void shani_x2(uint32_t *const *st, const uint8_t *const *src, size_t nb)
{
    shani_lanes(2, st, src, nb);
}
VF_SHANI static void shani_x4(uint32_t *const *st, const uint8_t *const *src, size_t nb)
{
    shani_lanes(4, st, src, nb);
}
VF_SHANI static void shani_digest_x1(const uint8_t *const *src, size_t nb, uint8_t *const *out)
{
    shani_digest(1, src, nb, out);
}
VF_SHANI static void shani_digest_x2(const uint8_t *const *src, size_t nb, uint8_t *const *out)
{
    shani_digest(2, src, nb, out);
}
VF_SHANI static void shani_digest_x4(const uint8_t *const *src, size_t nb, uint8_t *const *out)
{
    shani_digest(4, src, nb, out);
}

/* ---- Fixed-layout short messages: the Merkle leaf and node messages. ----
 * prefix? || data[0:len] with len 32 or 64 and an optional one-byte prefix:
 * the padded message is built in registers at fixed offsets (no copy into a
 * padding buffer), words known to be zero skip their schedule steps, and the
 * all-padding block of a 64-byte message uses a precomputed schedule. */

/* W[i] + K[i] for the padding block that follows a 64-byte message: 0x80,
 * zeros, then the length 512 in bits. */
static const uint32_t PAD64_WK[64] __attribute__((aligned(16))) = {
    0xc28a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf374,
    0x649b69c1, 0xf0fe4786, 0x0fe1edc6, 0x240cf254, 0x4fe9346f, 0x6cc984be, 0x61b9411e, 0x16f988fa,
    0xf2c65152, 0xa88e5a6d, 0xb019fc65, 0xb9d99ec7, 0x9a1231c3, 0xe70eeaa0, 0xfdb1232b, 0xc7353eb0,
    0x3069bad5, 0xcb976d5f, 0x5a0f118f, 0xdc1eeefd, 0x0a35b689, 0xde0b7a04, 0x58f4ca9d, 0xe15d5b16,
    0x007f3e86, 0x37088980, 0xa507ea32, 0x6fab9537, 0x17406110, 0x0d8cd6f1, 0xcdaa3b6d, 0xc0bbbe37,
    0x83613bda, 0xdb48a363, 0x0b02e931, 0x6fd15ca7, 0x521afaca, 0x31338431, 0x6ed41a95, 0x6d437890,
    0xc39c91f2, 0x9eccabbd, 0xb5c9a0e6, 0x532fb63c, 0xd2c741c6, 0x07237ea3, 0xa4954b68, 0x4c191d76,
};

/* Word w of the padded message of `total` bytes, for a word that holds no
 * data byte: 0x80 right after the data, the bit length in the last word. */
static VF_AI uint32_t pad_word(int total, int w)
{
    int nb = (total + 9 + 63) / 64;
    uint32_t v = 0;
    if (4 * w == total)
        v |= 0x80000000u;
    if (w == 16 * nb - 1)
        v |= (uint32_t)total * 8;
    return v;
}

/* Bit i set when word 16*b + i of the padded message holds no data and is zero. */
static VF_AI unsigned zero_words(int total, int b)
{
    unsigned z = 0;
    for (int i = 0; i < 16; i++) {
        int w = 16 * b + i;
        if (4 * w >= total && pad_word(total, w) == 0)
            z |= 1u << i;
    }
    return z;
}

/* Quad q (words 4q .. 4q+3) of the padded message pre-byte prefix || p[0:len],
 * pre in {0, 1}, len a multiple of 16 (>= 16).  Reads only p[0:len]. */
VF_SHANI static VF_AI __m128i short_quad(int pre, int len, const uint8_t *p, int q, __m128i pfx)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    int total = pre + len, start = 16 * q - pre; /* data offset of message byte 16q */
    if (start >= 0 && start + 16 <= len)
        return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + start)), bswap);
    if (start < 0) {
        /* prefix, p[0..14]: shift by one byte while converting, the prefix in the top byte */
        const __m128i shift1 = _mm_setr_epi8(2, 1, 0, -128, 6, 5, 4, 3, 10, 9, 8, 7, 14, 13, 12, 11);
        return _mm_or_si128(_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), shift1), pfx);
    }
    if (start < len) {
        /* the last data byte p[len-1], then 0x80 and zeros (never the length word here) */
        const __m128i last = _mm_setr_epi8(-128, -128, -128, 15, -128, -128, -128, -128, -128, -128,
                                           -128, -128, -128, -128, -128, -128);
        return _mm_or_si128(_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + len - 16)), last),
                            _mm_setr_epi32(0x00800000, 0, 0, 0));
    }
    return _mm_setr_epi32((int)pad_word(total, 4 * q), (int)pad_word(total, 4 * q + 1),
                          (int)pad_word(total, 4 * q + 2), (int)pad_word(total, 4 * q + 3));
}

/* 64 rounds of a block whose W + K are the same for every stream. */
VF_SHANI static VF_AI void shani_rounds_const(int n, __m128i *abef, __m128i *cdgh,
                                               const uint32_t *wk)
{
#pragma GCC unroll 16
    for (int g = 0; g < 16; g++) {
        const __m128i m0 = _mm_load_si128((const __m128i *)(wk + 4 * g));
        const __m128i m1 = _mm_loadl_epi64((const __m128i *)(wk + 4 * g + 2));
#pragma GCC unroll 8
        for (int l = 0; l < n; l++) {
            cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], m0);
            abef[l] = _mm_sha256rnds2_epu32(abef[l], cdgh[l], m1);
        }
    }
}

/* n messages prefix? || src[l][0:len] to digests out[l].  Every input is read
 * before any digest is written, so out may overlap the inputs of this call. */
VF_SHANI static VF_AI void shani_short(int n, int pre, int len, uint8_t prefix,
                                        const uint8_t *const *src, uint8_t *const *out)
{
    const __m128i word_bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    const int total = pre + len, nb = (total + 9 + 63) / 64;
    const __m128i pfx = _mm_setr_epi32((int)((uint32_t)prefix << 24), 0, 0, 0);
    __m128i abef0, cdgh0, abef[VF_MAX_LANES], cdgh[VF_MAX_LANES], w[VF_MAX_LANES][4];
    shani_pack(_mm_loadu_si128((const __m128i *)H0), _mm_loadu_si128((const __m128i *)(H0 + 4)),
               &abef0, &cdgh0);
    for (int b = 0; b < nb; b++) {
        __m128i sa[VF_MAX_LANES], sc[VF_MAX_LANES];
        for (int l = 0; l < n; l++) {
            sa[l] = b ? abef[l] : abef0;
            sc[l] = b ? cdgh[l] : cdgh0;
            abef[l] = sa[l];
            cdgh[l] = sc[l];
        }
        if (64 * b >= total) {
            shani_rounds_const(n, abef, cdgh, PAD64_WK); /* only pre == 0, len == 64 */
        } else {
            for (int l = 0; l < n; l++)
                for (int q = 0; q < 4; q++)
                    w[l][q] = short_quad(pre, len, src[l], 4 * b + q, pfx);
            shani_rounds(n, abef, cdgh, w, zero_words(total, b));
        }
        for (int l = 0; l < n; l++) {
            abef[l] = _mm_add_epi32(abef[l], sa[l]);
            cdgh[l] = _mm_add_epi32(cdgh[l], sc[l]);
        }
    }
    for (int l = 0; l < n; l++) {
        __m128i abcd, efgh;
        shani_unpack(abef[l], cdgh[l], &abcd, &efgh);
        _mm_storeu_si128((__m128i *)out[l], _mm_shuffle_epi8(abcd, word_bswap));
        _mm_storeu_si128((__m128i *)(out[l] + 16), _mm_shuffle_epi8(efgh, word_bswap));
    }
}

#ifndef VF_SHORT_LANES
#define VF_SHORT_LANES 4
#endif

/* count messages prefix? || base[i*stride : i*stride+len]; digest i to out + 32i. */
VF_SHANI static VF_AI void shani_short_run(int pre, int len, uint8_t prefix, const uint8_t *base,
                                            size_t stride, size_t count, uint8_t *out)
{
    const uint8_t *src[VF_MAX_LANES];
    uint8_t *dst[VF_MAX_LANES];
    size_t i = 0;
    for (; i + VF_SHORT_LANES <= count; i += VF_SHORT_LANES) {
        for (int l = 0; l < VF_SHORT_LANES; l++) {
            src[l] = base + (i + (size_t)l) * stride;
            dst[l] = out + (i + (size_t)l) * VF_HASH_SIZE;
        }
        shani_short(VF_SHORT_LANES, pre, len, prefix, src, dst);
    }
    for (; i < count; i++) {
        src[0] = base + i * stride;
        dst[0] = out + i * VF_HASH_SIZE;
        shani_short(1, pre, len, prefix, src, dst);
    }
}

VF_SHANI static void shani_run_32(const uint8_t *base, size_t stride, size_t count, uint8_t *out)
{
    shani_short_run(0, 32, 0, base, stride, count, out);
}
VF_SHANI static void shani_run_64(const uint8_t *base, size_t stride, size_t count, uint8_t *out)
{
    shani_short_run(0, 64, 0, base, stride, count, out);
}
VF_SHANI static void shani_run_p32(uint8_t prefix, const uint8_t *base, size_t stride, size_t count,
                                   uint8_t *out)
{
    shani_short_run(1, 32, prefix, base, stride, count, out);
}
VF_SHANI static void shani_run_p64(uint8_t prefix, const uint8_t *base, size_t stride, size_t count,
                                   uint8_t *out)
{
    shani_short_run(1, 64, prefix, base, stride, count, out);
}

/* The fixed-layout path for SHA-NI: returns 0 when the length has none. */
static int shani_short_uniform(int has_prefix, uint8_t prefix, const uint8_t *base, size_t stride,
                               size_t len, size_t count, uint8_t *out)
{
    if (len == 32)
        has_prefix ? shani_run_p32(prefix, base, stride, count, out)
                   : shani_run_32(base, stride, count, out);
    else if (len == 64)
        has_prefix ? shani_run_p64(prefix, base, stride, count, out)
                   : shani_run_64(base, stride, count, out);
    else
        return 0;
    return 1;
}

static int cpu_has_shani(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return ssse3 && sse41 && ((b >> 29) & 1);
}
#else
static int cpu_has_shani(void) { return 0; }
#endif

/* ------------------------------------------------------------------------ */
/* Backend selection: chosen once from CPUID, overridable for tests.         */

static atomic_int g_backend = -1;

static int detect_backend(void) { return cpu_has_shani() ? VF_SHA_SHANI : VF_SHA_PORTABLE; }

int vf_sha256_backend(void)
{
    int b = atomic_load(&g_backend);
    if (b < 0) {
        b = detect_backend();
        atomic_store(&g_backend, b);
    }
    return b;
}

int vf_sha256_backend_available(int backend)
{
    if (backend == VF_SHA_PORTABLE)
        return 1;
    if (backend == VF_SHA_SHANI)
        return cpu_has_shani();
    return 0;
}

int vf_sha256_set_backend(int backend)
{
    if (backend != VF_SHA_PORTABLE && backend != VF_SHA_SHANI)
        return VF_E_ARG;
    if (!vf_sha256_backend_available(backend))
        return VF_E_BACKEND;
    atomic_store(&g_backend, backend);
    return VF_OK;
}

/* Compress n (<= 4) streams of nb blocks each with the current backend. */
static void blocks_lanes(int backend, int n, uint32_t *const *st, const uint8_t *const *src,
                         size_t nb)
{
#if VF_X86
    if (backend == VF_SHA_SHANI) {
        if (n == 4)
            shani_x4(st, src, nb);
        else if (n == 2)
            shani_x2(st, src, nb);
        else
            for (int l = 0; l < n; l++)
                shani_x1(&st[l], &src[l], nb);
        return;
    }
#else
    (void)backend;
#endif
    for (int l = 0; l < n; l++)
        blocks_portable(st[l], src[l], nb);
}

/* ------------------------------------------------------------------------ */
/* Messages as head / direct / tail runs.                                    */

typedef struct {
    uint8_t head[64];
    uint8_t tail[128];
    const uint8_t *direct;
    size_t ndirect; /* blocks read straight from the caller's buffer */
    int nhead;      /* 0 or 1 */
    int ntail;      /* 1 or 2 */
} vf_cursor;

/* A message of a p-byte prefix (p < 64) followed by data[0:len]: a head block
 * (prefix and the first 64 - p data bytes) when the message fills one, then
 * whole blocks read straight from data, then the padded tail. */
static void cursor_init_p(vf_cursor *c, const uint8_t *prefix, size_t p, const uint8_t *data,
                          size_t len)
{
    size_t used = 0; /* bytes of data consumed by head + direct runs */
    size_t total = len + p;
    c->nhead = 0;
    c->ndirect = 0;
    c->direct = data;
    if (p && total >= 64) {
        memcpy(c->head, prefix, p);
        memcpy(c->head + p, data, 64 - p);
        c->nhead = 1;
        used = 64 - p;
    }
    if (!p || c->nhead) {
        c->direct = data + used;
        c->ndirect = (len - used) / 64;
        used += c->ndirect * 64;
    }
    /* the tail: whatever is left (with the prefix if no head took it), 0x80,
     * zeros, and the message length in bits, big-endian */
    size_t rem = len - used, pos = 0;
    memset(c->tail, 0, sizeof c->tail);
    if (p && !c->nhead) {
        memcpy(c->tail, prefix, p);
        pos = p;
    }
    if (rem)
        memcpy(c->tail + pos, data + used, rem);
    pos += rem;
    c->tail[pos++] = 0x80;
    c->ntail = pos + 8 <= 64 ? 1 : 2;
    uint64_t bits = (uint64_t)total * 8;
    uint8_t *end = c->tail + 64 * c->ntail;
    for (int i = 1; i <= 8; i++) {
        end[-i] = (uint8_t)bits;
        bits >>= 8;
    }
}

static void digest_out(const uint32_t *st, uint8_t *out)
{
    for (int i = 0; i < 8; i++)
        store_be32(out + 4 * i, st[i]);
}

/* Whole padded message in one buffer, for messages of at most two blocks:
 * one call into the block function instead of one per run. */
static size_t pad_short(int has_prefix, uint8_t prefix, const uint8_t *data, size_t len,
                        uint8_t *buf)
{
    size_t total = len + (has_prefix ? 1 : 0), pos = 0;
    size_t nb = (total + 9 + 63) / 64;
    if (has_prefix)
        buf[pos++] = prefix;
    if (len)
        memcpy(buf + pos, data, len);
    pos += len;
    buf[pos++] = 0x80;
    memset(buf + pos, 0, nb * 64 - 8 - pos);
    uint64_t bits = (uint64_t)total * 8;
    for (int i = 1; i <= 8; i++) {
        buf[nb * 64 - (size_t)i] = (uint8_t)bits;
        bits >>= 8;
    }
    return nb;
}

/* Hash n (<= 4) messages prefix[l] (p < 64 bytes) || data[l][0:len] side by side. */
static void hash_group_p(int backend, int n, const uint8_t *const *prefix, size_t p,
                         const uint8_t *const *data, size_t len, uint8_t *const *out)
{
    uint32_t state[4][8];
    uint32_t *st[4];
    const uint8_t *src[4];
    vf_cursor cur[4];
    for (int l = 0; l < n; l++) {
        memcpy(state[l], H0, sizeof H0);
        st[l] = state[l];
        cursor_init_p(&cur[l], prefix[l], p, data[l], len);
    }
    if (cur[0].nhead) {
        for (int l = 0; l < n; l++)
            src[l] = cur[l].head;
        blocks_lanes(backend, n, st, src, 1);
    }
    if (cur[0].ndirect) {
        for (int l = 0; l < n; l++)
            src[l] = cur[l].direct;
        blocks_lanes(backend, n, st, src, cur[0].ndirect);
    }
    for (int l = 0; l < n; l++)
        src[l] = cur[l].tail;
    blocks_lanes(backend, n, st, src, (size_t)cur[0].ntail);
    for (int l = 0; l < n; l++)
        digest_out(state[l], out[l]);
}

/* Hash n (<= 4) messages of the same length side by side. */
static void hash_group(int backend, int n, int has_prefix, uint8_t prefix,
                       const uint8_t *const *data, size_t len, uint8_t *const *out)
{
    if (len + (has_prefix ? 1 : 0) + 9 > 128) { /* long messages: head / direct / tail runs */
        const uint8_t *pre[4] = {&prefix, &prefix, &prefix, &prefix};
        hash_group_p(backend, n, pre, has_prefix ? 1 : 0, data, len, out);
        return;
    }
    uint8_t buf[4][128];
    const uint8_t *src[4];
    size_t nb = 0;
    for (int l = 0; l < n; l++) {
        nb = pad_short(has_prefix, prefix, data[l], len, buf[l]);
        src[l] = buf[l];
    }
#if VF_X86
    if (backend == VF_SHA_SHANI) {
        /* whole short messages: no state round trip through memory */
        if (n == 4)
            shani_digest_x4(src, nb, out);
        else if (n == 2)
            shani_digest_x2(src, nb, out);
        else
            for (int l = 0; l < n; l++)
                shani_digest_x1(&src[l], nb, &out[l]);
        return;
    }
#endif
    uint32_t state[4][8];
    uint32_t *st[4];
    for (int l = 0; l < n; l++) {
        memcpy(state[l], H0, sizeof H0);
        st[l] = state[l];
    }
    blocks_lanes(backend, n, st, src, nb);
    for (int l = 0; l < n; l++)
        digest_out(state[l], out[l]);
}

/* How many streams to keep in flight: measured on Zen 3, four streams beat
 * two for short messages; long messages are bandwidth-light and gain from two. */
static int lanes_for(int backend, size_t len)
{
    if (backend != VF_SHA_SHANI)
        return 1;
    return len <= 4096 ? 4 : 2;
}

void vf__sha256_uniform(int has_prefix, uint8_t prefix, const uint8_t *base, size_t stride,
                        size_t len, size_t count, uint8_t *out)
{
    int backend = vf_sha256_backend();
#if VF_X86
    if (backend == VF_SHA_SHANI && shani_short_uniform(has_prefix, prefix, base, stride, len, count, out))
        return;
#endif
    int lanes = lanes_for(backend, len);
    size_t i = 0;
    const uint8_t *data[4];
    uint8_t *dst[4];
    while (i < count) {
        int n = (count - i) >= (size_t)lanes ? lanes : (count - i >= 2 && lanes >= 2 ? 2 : 1);
        for (int l = 0; l < n; l++) {
            data[l] = base + (i + (size_t)l) * stride;
            dst[l] = out + (i + (size_t)l) * VF_HASH_SIZE;
        }
        hash_group(backend, n, has_prefix, prefix, data, len, dst);
        i += (size_t)n;
    }
}

void vf__sha256_one(int has_prefix, uint8_t prefix, const uint8_t *data, size_t len,
                    uint8_t *out)
{
#if VF_X86
    if (vf_sha256_backend() == VF_SHA_SHANI &&
        shani_short_uniform(has_prefix, prefix, data, len, len, 1, out))
        return;
#endif
    hash_group(vf_sha256_backend(), 1, has_prefix, prefix, &data, len, &out);
}

void vf__node_hash(int mode, const uint8_t *left, const uint8_t *right, uint8_t *out)
{
    uint8_t buf[2 * VF_HASH_SIZE];
    memcpy(buf, left, VF_HASH_SIZE);
    memcpy(buf + VF_HASH_SIZE, right, VF_HASH_SIZE);
    vf__sha256_one(mode == VF_MODE_RFC6962, 0x01, buf, sizeof buf, out);
}

/* ------------------------------------------------------------------------ */
/* Public entry points.                                                      */

int vf_sha256(const uint8_t *data, size_t len, uint8_t *out, size_t out_len)
{
    if ((data == NULL && len) || out == NULL)
        return VF_E_NULL;
    if (out_len < VF_HASH_SIZE)
        return VF_E_LENGTH;
    vf__sha256_one(0, 0, data, len, out);
    return VF_OK;
}

typedef struct {
    const uint8_t *data;
    size_t chunk;
    uint8_t *out;
} chunks_ctx;

static void chunks_range(void *vctx, size_t lo, size_t hi)
{
    chunks_ctx *c = (chunks_ctx *)vctx;
    vf__sha256_uniform(0, 0, c->data + lo * c->chunk, c->chunk, c->chunk, hi - lo,
                       c->out + lo * VF_HASH_SIZE);
}

int vf_sha256_chunks(const uint8_t *data, size_t len, size_t chunk_size, uint8_t *out,
                     size_t out_len, int nthreads)
{
    if ((data == NULL && len) || out == NULL)
        return VF_E_NULL;
    if (chunk_size == 0)
        return VF_E_ARG;
    size_t full = len / chunk_size, rem = len % chunk_size;
    size_t n = full + (rem || len == 0 ? 1 : 0), need;
    if (!vf__mul_ok(n, VF_HASH_SIZE, &need))
        return VF_E_OVERFLOW;
    if (out_len < need)
        return VF_E_LENGTH;
    /* grain: at least ~64 KiB of input per thread */
    size_t grain = chunk_size >= 65536 ? 1 : 65536 / chunk_size;
    chunks_ctx ctx = {data, chunk_size, out};
    vf__parallel(nthreads, full, grain, chunks_range, &ctx);
    if (rem || len == 0)
        vf__sha256_one(0, 0, data + full * chunk_size, rem, out + full * VF_HASH_SIZE);
    return VF_OK;
}

/* ------------------------------------------------------------------------ */
/* Internal primitives for other kernels (hashwork.c).                       */

void vf__sha256_compress(uint32_t state[8], const uint8_t *blocks, size_t nblocks)
{
    uint32_t *st = state;
    blocks_lanes(vf_sha256_backend(), 1, &st, &blocks, nblocks);
}

/*
 * n (<= 4) lanes, each a 64-byte block whose first 32 bytes hold the value and
 * whose last 32 bytes hold the padding of a 32-byte message: every step hashes
 * the block and writes the digest back over the value, so the next message is
 * ready where the block function reads it.
 */
static void iterate_lanes(int backend, int n, uint8_t (*blk)[64], uint64_t steps)
{
    const uint8_t *src[4];
    uint8_t *dst[4];
    for (int l = 0; l < n; l++) {
        src[l] = blk[l];
        dst[l] = blk[l];
    }
#if VF_X86
    if (backend == VF_SHA_SHANI) {
        if (n == 4)
            while (steps--)
                shani_digest_x4(src, 1, dst);
        else if (n == 2)
            while (steps--)
                shani_digest_x2(src, 1, dst);
        else
            for (int l = 0; l < n; l++)
                for (uint64_t s = steps; s; s--)
                    shani_digest_x1(&src[l], 1, &dst[l]);
        return;
    }
#else
    (void)backend;
#endif
    for (int l = 0; l < n; l++) {
        for (uint64_t s = steps; s; s--) {
            uint32_t st[8];
            memcpy(st, H0, sizeof H0);
            blocks_portable(st, blk[l], 1);
            digest_out(st, blk[l]);
        }
    }
}

void vf__sha256_iterate32(uint8_t *values, size_t count, uint64_t steps)
{
    int backend = vf_sha256_backend();
    int lanes = backend == VF_SHA_SHANI ? VF_SHORT_LANES : 1;
    uint8_t blk[4][64];
    for (int l = 0; l < 4; l++) {
        memset(blk[l] + VF_HASH_SIZE, 0, 64 - VF_HASH_SIZE);
        blk[l][VF_HASH_SIZE] = 0x80;
        blk[l][62] = 0x01; /* message length: 256 bits, big-endian */
    }
    size_t i = 0;
    while (i < count) {
        int n = (count - i) >= (size_t)lanes ? lanes : (count - i >= 2 && lanes >= 2 ? 2 : 1);
        for (int l = 0; l < n; l++)
            memcpy(blk[l], values + (i + (size_t)l) * VF_HASH_SIZE, VF_HASH_SIZE);
        iterate_lanes(backend, n, blk, steps);
        for (int l = 0; l < n; l++)
            memcpy(values + (i + (size_t)l) * VF_HASH_SIZE, blk[l], VF_HASH_SIZE);
        i += (size_t)n;
    }
}

/* ---- messages with a prefix of their own: prefix_i || data[i * stride : ...] ---- */

typedef struct {
    const uint8_t *prefixes, *data;
    size_t prefix_len, stride, len;
    uint8_t *out;
} prefixed_ctx;

static void prefixed_range(void *vctx, size_t lo, size_t hi)
{
    prefixed_ctx *c = (prefixed_ctx *)vctx;
    int backend = vf_sha256_backend();
    int lanes = lanes_for(backend, c->len);
    const uint8_t *pre[4], *data[4];
    uint8_t *dst[4];
    size_t i = lo;
    while (i < hi) {
        int n = (hi - i) >= (size_t)lanes ? lanes : (hi - i >= 2 && lanes >= 2 ? 2 : 1);
        for (int l = 0; l < n; l++) {
            size_t j = i + (size_t)l;
            pre[l] = c->prefixes + j * c->prefix_len;
            data[l] = c->data + j * c->stride;
            dst[l] = c->out + j * VF_HASH_SIZE;
        }
        hash_group_p(backend, n, pre, c->prefix_len, data, c->len, dst);
        i += (size_t)n;
    }
}

int vf_sha256_prefixed(const uint8_t *prefixes, size_t prefixes_len, size_t prefix_len,
                       const uint8_t *data, size_t data_len, size_t stride, size_t len,
                       size_t count, uint8_t *out, size_t out_len, int nthreads)
{
    if (prefix_len > VF_PREFIX_MAX)
        return VF_E_ARG;
    if (count == 0)
        return VF_OK;
    if ((prefixes == NULL && prefix_len) || (data == NULL && len) || out == NULL)
        return VF_E_NULL;
    size_t need_pre, need_out, last, need_data;
    if (!vf__mul_ok(count, prefix_len, &need_pre) || !vf__mul_ok(count, VF_HASH_SIZE, &need_out) ||
        !vf__mul_ok(count - 1, stride, &last) || last > SIZE_MAX - len)
        return VF_E_OVERFLOW;
    need_data = last + len;
    if (prefixes_len < need_pre || data_len < need_data || out_len < need_out)
        return VF_E_LENGTH;
    if (stride < len && count > 1)
        return VF_E_ARG; /* messages may not overlap: each is read as its own slice */
    prefixed_ctx ctx = {prefixes, data, prefix_len, stride, len, out};
    size_t grain = len >= 65536 ? 1 : 65536 / (len + 1) + 1;
    vf__parallel(nthreads, count, grain, prefixed_range, &ctx);
    return VF_OK;
}
