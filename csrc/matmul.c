/*
 * matmul.c - dense matrix products: int64 mod 2^64, int64 mod 2^61 - 1 and
 * deterministic float32 / float64 (see vf_matmul.h for the contract).
 *
 * Layout (the classic Goto / BLIS scheme).  The rows of C are split into one
 * contiguous part per thread.  Within a part:
 *
 *   for each NC-wide column panel of B
 *     for each KC-deep slice along k:   pack B[pc:pc+kc, jc:jc+nc] into NR-wide strips
 *       for each MC-tall row block:     pack A[ic:ic+mc, pc:pc+kc] into MR-tall strips
 *         for each (NR strip, MR strip): the micro-kernel updates one MR x NR tile of C
 *
 * Packing zero-pads the last strips, so a micro-kernel always computes a whole
 * tile; a tile that sticks out of C goes through a small buffer.  The
 * micro-kernel of the first k slice starts from zero, the later ones start from
 * the values already in C: for floats that continues exactly the same chain of
 * fused multiply-adds, so the blocking (and the kernel, and the thread count)
 * never changes a bit of the result.
 *
 * Kernels: portable C, AVX2 + FMA, AVX-512; chosen at run time from the CPU
 * (functions compiled with __attribute__((target))), never with -march=native.
 *
 * int64: unsigned arithmetic (wrapping is defined there).  The vector kernels
 * multiply with 32 x 32 -> 64-bit products: with a = ah*2^32 + al and
 * b = bh*2^32 + bl,  a*b = al*bl + ((al*bh + ah*bl) << 32)  (mod 2^64), so the
 * strips carry the high halves next to the values.
 *
 * mod p, p = 2^61 - 1: inputs are reduced into [0, p) when packed.  The
 * portable kernel sums products (< 2^122) in 128 bits, folding every 32 with
 * 2^61 = 1 (mod p):  x = (x mod 2^61) + (x >> 61)  (mod p).  The vector
 * kernels split operands into limbs: 31 bits for AVX2 (mk_modp_avx2, also
 * used by AVX-512 CPUs without IFMA), 52 bits for AVX-512 IFMA (mk_modp_ifma).
 */
#include <fenv.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "vf_internal.h"
#include "vf_matmul.h"

#if VF_X86
#include <immintrin.h>
#endif

#define P61 ((uint64_t)VF_MM_MODULUS)
#define MR_MAX 16
#define NR_MAX 32
#define ALIGN 64
/* At most this many row parts (threads); parts beyond the cores only cost memory. */
#define MM_MAX_PARTS 64
/* Fewer multiply-adds than this run on one thread: starting one costs more. */
#define MM_PARALLEL_MIN ((uint64_t)1 << 20)

typedef unsigned __int128 u128;

/* One micro-kernel call: the MR x NR tile at c (row stride ldc elements) is
 * set (acc == 0) or updated (acc != 0) with the kc-deep product of an A strip
 * and a B strip. */
typedef void (*mm_micro)(size_t kc, const void *ap, const void *bp, void *c, size_t ldc, int acc);

typedef struct {
    int mr, nr;     /* micro-tile */
    int mc, kc, nc; /* cache blocks; mc is a multiple of mr, nc of nr */
    int split;      /* 0, or strips hold v mod 2^split then v >> split (limb kernels) */
    mm_micro micro;
} mm_impl;

/* ------------------------------------------------------------------------ */
/* Scalar helpers.                                                           */

/* The int64 whose two's complement bits are u, reduced into [0, p). */
static inline uint64_t modp_from_i64(uint64_t u)
{
    uint64_t r = (u & P61) + (u >> 61); /* = u (mod p), at most p + 7 */
    r = r >= P61 ? r - P61 : r;
    if (u >> 63) /* the value is u - 2^64, and 2^64 = 8 (mod p) */
        r = r >= 8 ? r - 8 : r + P61 - 8;
    return r;
}

/* x < 2^128 to a congruent value below 2^62 + 2^6. */
static inline uint64_t modp_fold(u128 x)
{
    return ((uint64_t)x & P61) + ((uint64_t)(x >> 61) & P61) + (uint64_t)(x >> 122);
}

/* x < 2^64 into [0, p). */
static inline uint64_t modp_final(uint64_t x)
{
    x = (x & P61) + (x >> 61);
    return x >= P61 ? x - P61 : x;
}

/* ------------------------------------------------------------------------ */
/* Portable micro-kernels.                                                   */

#define PT_MR 4
#define PT_NR 4

static void mk_i64_portable(size_t kc, const void *ap_, const void *bp_, void *c_, size_t ldc,
                            int acc)
{
    const uint64_t *ap = ap_, *bp = bp_;
    uint64_t *c = c_, t[PT_MR][PT_NR];
    for (int i = 0; i < PT_MR; i++)
        for (int j = 0; j < PT_NR; j++)
            t[i][j] = acc ? c[(size_t)i * ldc + (size_t)j] : 0;
    for (size_t l = 0; l < kc; l++, ap += PT_MR, bp += PT_NR)
        for (int i = 0; i < PT_MR; i++)
            for (int j = 0; j < PT_NR; j++)
                t[i][j] += ap[i] * bp[j];
    for (int i = 0; i < PT_MR; i++)
        for (int j = 0; j < PT_NR; j++)
            c[(size_t)i * ldc + (size_t)j] = t[i][j];
}

#define MODP_MR 1
#define MODP_NR 4
#define MODP_LAZY 32 /* products summed in 128 bits between two folds */

/* Scalar mod p tile, shared by every kernel (the vector ones recompile it
 * with BMI2 so the 64 x 64 -> 128-bit products use mulx). */
static inline __attribute__((always_inline)) void
modp_tile_scalar(size_t kc, const uint64_t *ap, const uint64_t *bp, uint64_t *c, size_t ldc,
                 int acc)
{
    u128 t[MODP_MR][MODP_NR];
    for (int i = 0; i < MODP_MR; i++)
        for (int j = 0; j < MODP_NR; j++)
            t[i][j] = acc ? c[(size_t)i * ldc + (size_t)j] : 0;
    size_t l = 0;
    while (l < kc) {
        size_t end = kc - l > MODP_LAZY ? l + MODP_LAZY : kc;
        for (; l < end; l++, ap += MODP_MR, bp += MODP_NR)
            for (int i = 0; i < MODP_MR; i++)
                for (int j = 0; j < MODP_NR; j++)
                    t[i][j] += (u128)ap[i] * bp[j];
        for (int i = 0; i < MODP_MR; i++)
            for (int j = 0; j < MODP_NR; j++)
                t[i][j] = modp_fold(t[i][j]);
    }
    for (int i = 0; i < MODP_MR; i++)
        for (int j = 0; j < MODP_NR; j++)
            c[(size_t)i * ldc + (size_t)j] = modp_final((uint64_t)t[i][j]);
}

static void mk_modp_portable(size_t kc, const void *ap, const void *bp, void *c, size_t ldc,
                             int acc)
{
    modp_tile_scalar(kc, ap, bp, c, ldc, acc);
}

/* The reference chain s = fma(a, b, s): fma() is correctly rounded by C99. */
static void mk_f64_portable(size_t kc, const void *ap_, const void *bp_, void *c_, size_t ldc,
                            int acc)
{
    const double *ap = ap_, *bp = bp_;
    double *c = c_, t[PT_MR][PT_NR];
    for (int i = 0; i < PT_MR; i++)
        for (int j = 0; j < PT_NR; j++)
            t[i][j] = acc ? c[(size_t)i * ldc + (size_t)j] : 0.0;
    for (size_t l = 0; l < kc; l++, ap += PT_MR, bp += PT_NR)
        for (int i = 0; i < PT_MR; i++)
            for (int j = 0; j < PT_NR; j++)
                t[i][j] = fma(ap[i], bp[j], t[i][j]);
    for (int i = 0; i < PT_MR; i++)
        for (int j = 0; j < PT_NR; j++)
            c[(size_t)i * ldc + (size_t)j] = t[i][j];
}

static void mk_f32_portable(size_t kc, const void *ap_, const void *bp_, void *c_, size_t ldc,
                            int acc)
{
    const float *ap = ap_, *bp = bp_;
    float *c = c_, t[PT_MR][PT_NR];
    for (int i = 0; i < PT_MR; i++)
        for (int j = 0; j < PT_NR; j++)
            t[i][j] = acc ? c[(size_t)i * ldc + (size_t)j] : 0.0f;
    for (size_t l = 0; l < kc; l++, ap += PT_MR, bp += PT_NR)
        for (int i = 0; i < PT_MR; i++)
            for (int j = 0; j < PT_NR; j++)
                t[i][j] = fmaf(ap[i], bp[j], t[i][j]);
    for (int i = 0; i < PT_MR; i++)
        for (int j = 0; j < PT_NR; j++)
            c[(size_t)i * ldc + (size_t)j] = t[i][j];
}

/* ------------------------------------------------------------------------ */
/* Vector micro-kernels.                                                     */

#if VF_X86
#define VF_AVX2 __attribute__((target("avx2,fma,bmi2")))
#define VF_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,bmi2")))
#define VF_IFMA                                                                                   \
    __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx512ifma,avx2,fma,bmi2")))

#define VF_BC512D(p) _mm512_set1_pd(*(p))
#define VF_BC512S(p) _mm512_set1_ps(*(p))

/*
 * A float tile of MR rows x NV vectors of W lanes: per step l, NV vectors of
 * B and MR broadcasts of A, MR * NV fused multiply-adds.
 */
#define VF_FLOAT_MICRO(NAME, ATTR, T, VT, MR, NV, W, LOADU, STOREU, ZERO, BCAST, FMADD)         \
    ATTR static void NAME(size_t kc, const void *ap_, const void *bp_, void *c_, size_t ldc,     \
                          int acc)                                                                \
    {                                                                                             \
        const T *ap = ap_, *bp = bp_;                                                             \
        T *c = c_;                                                                                \
        VT t[MR][NV];                                                                             \
        _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                                     \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                                  \
                t[i][v] = acc ? LOADU(c + (size_t)i * ldc + (size_t)(v * W)) : ZERO();            \
        for (size_t l = 0; l < kc; l++, ap += MR, bp += NV * W) {                                \
            VT b[NV];                                                                             \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) b[v] = LOADU(bp + v * W);        \
            _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                                 \
            {                                                                                     \
                VT a = BCAST(ap + i);                                                             \
                _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) t[i][v] =                    \
                    FMADD(a, b[v], t[i][v]);                                                      \
            }                                                                                     \
        }                                                                                         \
        _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                                     \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                                  \
                STOREU(c + (size_t)i * ldc + (size_t)(v * W), t[i][v]);                           \
    }

/* micro-tiles: MR rows x NV vectors */
#define F64_AVX2_MR 4
#define F64_AVX2_NV 3
#define F32_AVX2_MR 4
#define F32_AVX2_NV 3
#define F64_AVX512_MR 12
#define F64_AVX512_NV 2
#define F32_AVX512_MR 12
#define F32_AVX512_NV 2

VF_FLOAT_MICRO(mk_f64_avx2, VF_AVX2, double, __m256d, F64_AVX2_MR, F64_AVX2_NV, 4,
               _mm256_loadu_pd, _mm256_storeu_pd, _mm256_setzero_pd, _mm256_broadcast_sd,
               _mm256_fmadd_pd)
VF_FLOAT_MICRO(mk_f32_avx2, VF_AVX2, float, __m256, F32_AVX2_MR, F32_AVX2_NV, 8,
               _mm256_loadu_ps, _mm256_storeu_ps, _mm256_setzero_ps, _mm256_broadcast_ss,
               _mm256_fmadd_ps)
VF_FLOAT_MICRO(mk_f64_avx512, VF_AVX512, double, __m512d, F64_AVX512_MR, F64_AVX512_NV, 8,
               _mm512_loadu_pd, _mm512_storeu_pd, _mm512_setzero_pd, VF_BC512D, _mm512_fmadd_pd)
VF_FLOAT_MICRO(mk_f32_avx512, VF_AVX512, float, __m512, F32_AVX512_MR, F32_AVX512_NV, 16,
               _mm512_loadu_ps, _mm512_storeu_ps, _mm512_setzero_ps, VF_BC512S, _mm512_fmadd_ps)

/*
 * int64 tile with 32 x 32 -> 64-bit products: lo collects al*bl, hi collects
 * al*bh + ah*bl (only its low 32 bits matter), c = lo + (hi << 32).
 * Strips: per step, MR (resp. NR) values then their high halves.  (One
 * vpmulld of a against b with swapped halves gives both cross terms at once,
 * but measured 8% slower on the Intel machine here: vpmulld is 2 uops.)
 */
#define VF_I64_SPLIT_MICRO(NAME, ATTR, VT, MR, NV, W, LOADU, STOREU, ZERO, SET1, MUL, ADD, SLLI)  \
    ATTR static void NAME(size_t kc, const void *ap_, const void *bp_, void *c_, size_t ldc,     \
                          int acc)                                                                \
    {                                                                                             \
        const uint64_t *ap = ap_, *bp = bp_;                                                      \
        uint64_t *c = c_;                                                                         \
        VT lo[MR][NV], hi[MR][NV];                                                                \
        _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                                     \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                                  \
            {                                                                                     \
                lo[i][v] = acc ? LOADU((const void *)(c + (size_t)i * ldc + (size_t)(v * W)))     \
                               : ZERO();                                                          \
                hi[i][v] = ZERO();                                                                \
            }                                                                                     \
        for (size_t l = 0; l < kc; l++, ap += 2 * MR, bp += 2 * NV * W) {                        \
            VT bl[NV], bh[NV];                                                                    \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                                  \
            {                                                                                     \
                bl[v] = LOADU((const void *)(bp + v * W));                                        \
                bh[v] = LOADU((const void *)(bp + NV * W + v * W));                               \
            }                                                                                     \
            _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                                 \
            {                                                                                     \
                VT al = SET1((long long)ap[i]), ah = SET1((long long)ap[MR + i]);                 \
                _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                              \
                {                                                                                 \
                    lo[i][v] = ADD(lo[i][v], MUL(al, bl[v]));                                     \
                    hi[i][v] = ADD(hi[i][v], ADD(MUL(al, bh[v]), MUL(ah, bl[v])));                \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
        _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                                     \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                                  \
                STOREU((void *)(c + (size_t)i * ldc + (size_t)(v * W)),                           \
                       ADD(lo[i][v], SLLI(hi[i][v], 32)));                                        \
    }

#define I64_AVX2_MR 4
#define I64_AVX2_NV 1
VF_I64_SPLIT_MICRO(mk_i64_avx2, VF_AVX2, __m256i, I64_AVX2_MR, I64_AVX2_NV, 4,
                   _mm256_loadu_si256, _mm256_storeu_si256, _mm256_setzero_si256,
                   _mm256_set1_epi64x, _mm256_mul_epu32, _mm256_add_epi64, _mm256_slli_epi64)

/* int64 tile with AVX-512DQ's 64 x 64 -> low 64-bit vpmullq. */
#define I64Q_MR 8
#define I64Q_NV 2
VF_AVX512 static void mk_i64_avx512(size_t kc, const void *ap_, const void *bp_, void *c_,
                                    size_t ldc, int acc)
{
    const uint64_t *ap = ap_, *bp = bp_;
    uint64_t *c = c_;
    __m512i t[I64Q_MR][I64Q_NV];
#pragma GCC unroll 16
    for (int i = 0; i < I64Q_MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < I64Q_NV; v++)
            t[i][v] = acc ? _mm512_loadu_si512(c + (size_t)i * ldc + (size_t)(8 * v))
                          : _mm512_setzero_si512();
    for (size_t l = 0; l < kc; l++, ap += I64Q_MR, bp += 8 * I64Q_NV) {
        __m512i b[I64Q_NV];
#pragma GCC unroll 4
        for (int v = 0; v < I64Q_NV; v++)
            b[v] = _mm512_loadu_si512((const void *)(bp + 8 * v));
#pragma GCC unroll 16
        for (int i = 0; i < I64Q_MR; i++) {
            __m512i a = _mm512_set1_epi64((long long)ap[i]);
#pragma GCC unroll 4
            for (int v = 0; v < I64Q_NV; v++)
                t[i][v] = _mm512_add_epi64(t[i][v], _mm512_mullo_epi64(a, b[v]));
        }
    }
#pragma GCC unroll 16
    for (int i = 0; i < I64Q_MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < I64Q_NV; v++)
            _mm512_storeu_si512((void *)(c + (size_t)i * ldc + (size_t)(8 * v)), t[i][v]);
}

/*
 * mod p with AVX-512 IFMA (52 x 52 -> 104-bit products, low or high 52 bits
 * added to a 64-bit lane).  With a = a0 + a1 2^52 and b = b0 + b1 2^52
 * (a0, b0 < 2^52; a1, b1 < 2^9):
 *   a b = lo(a0 b0)                                   weight 2^0   -> s0
 *       + hi(a0 b0) + lo(a0 b1) + lo(a1 b0)           weight 2^52  -> s1
 *       + hi(a0 b1) + hi(a1 b0) + lo(a1 b1)           weight 2^104 -> s2
 * (a1 b1 < 2^18 has no high part): 7 IFMAs for 8 products.  Over kc <= 256
 * steps from s0 < p: s0 < 2^61 + 2^60, s1 < 3 * 2^60, s2 < 2^27.  Then
 * 2^61 = 1 and 2^104 = 2^43 (mod p) fold the three into one lane.
 */
#define IFMA_MR 4
#define IFMA_NV 2
#define IFMA_KC 256

VF_IFMA static inline __m512i ifma_fold(__m512i s0, __m512i s1, __m512i s2)
{
    const __m512i p = _mm512_set1_epi64((long long)P61);
    __m512i x = s0;
    /* s1 2^52 = (s1 >> 9) 2^61 + (s1 mod 2^9) 2^52 = (s1 >> 9) + (s1 mod 2^9) 2^52 */
    x = _mm512_add_epi64(x, _mm512_srli_epi64(s1, 9));
    x = _mm512_add_epi64(x, _mm512_slli_epi64(_mm512_and_si512(s1, _mm512_set1_epi64(511)), 52));
    /* s2 2^104 = s2 2^43 = (s2 >> 18) + (s2 mod 2^18) 2^43 */
    x = _mm512_add_epi64(x, _mm512_srli_epi64(s2, 18));
    x = _mm512_add_epi64(
        x, _mm512_slli_epi64(_mm512_and_si512(s2, _mm512_set1_epi64((1 << 18) - 1)), 43));
    /* x < 2^63: one Mersenne fold leaves at most p + 3, one conditional subtraction */
    x = _mm512_add_epi64(_mm512_and_si512(x, p), _mm512_srli_epi64(x, 61));
    return _mm512_min_epu64(x, _mm512_sub_epi64(x, p));
}

VF_IFMA static void mk_modp_ifma(size_t kc, const void *ap_, const void *bp_, void *c_,
                                 size_t ldc, int acc)
{
    const uint64_t *ap = ap_, *bp = bp_;
    uint64_t *c = c_;
    __m512i s0[IFMA_MR][IFMA_NV], s1[IFMA_MR][IFMA_NV], s2[IFMA_MR][IFMA_NV];
#pragma GCC unroll 16
    for (int i = 0; i < IFMA_MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < IFMA_NV; v++) {
            s0[i][v] = acc ? _mm512_loadu_si512(c + (size_t)i * ldc + (size_t)(8 * v))
                           : _mm512_setzero_si512();
            s1[i][v] = s2[i][v] = _mm512_setzero_si512();
        }
    for (size_t l = 0; l < kc; l++, ap += 2 * IFMA_MR, bp += 16 * IFMA_NV) {
        __m512i b0[IFMA_NV], b1[IFMA_NV];
#pragma GCC unroll 4
        for (int v = 0; v < IFMA_NV; v++) {
            b0[v] = _mm512_loadu_si512((const void *)(bp + 8 * v));
            b1[v] = _mm512_loadu_si512((const void *)(bp + 8 * IFMA_NV + 8 * v));
        }
#pragma GCC unroll 16
        for (int i = 0; i < IFMA_MR; i++) {
            __m512i a0 = _mm512_set1_epi64((long long)ap[i]);
            __m512i a1 = _mm512_set1_epi64((long long)ap[IFMA_MR + i]);
#pragma GCC unroll 4
            for (int v = 0; v < IFMA_NV; v++) {
                s0[i][v] = _mm512_madd52lo_epu64(s0[i][v], a0, b0[v]);
                s1[i][v] = _mm512_madd52hi_epu64(s1[i][v], a0, b0[v]);
                s1[i][v] = _mm512_madd52lo_epu64(s1[i][v], a0, b1[v]);
                s1[i][v] = _mm512_madd52lo_epu64(s1[i][v], a1, b0[v]);
                s2[i][v] = _mm512_madd52hi_epu64(s2[i][v], a0, b1[v]);
                s2[i][v] = _mm512_madd52hi_epu64(s2[i][v], a1, b0[v]);
                s2[i][v] = _mm512_madd52lo_epu64(s2[i][v], a1, b1[v]);
            }
        }
    }
#pragma GCC unroll 16
    for (int i = 0; i < IFMA_MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < IFMA_NV; v++)
            _mm512_storeu_si512((void *)(c + (size_t)i * ldc + (size_t)(8 * v)),
                                ifma_fold(s0[i][v], s1[i][v], s2[i][v]));
}

/*
 * mod p with AVX2's 32 x 32 -> 64-bit vpmuludq.  With a = a1 2^31 + a0 and
 * b = b1 2^31 + b0 (a0, b0 < 2^31; a1, b1 < 2^30):
 *   a b = a0 b0 + (a0 b1 + a1 b0) 2^31 + a1 b1 2^62
 * collected in s0, s1, s2 (weights 1, 2^31, 2^62).  A step adds less than
 * 2^62 to s0 and s1 and 2^60 to s2, so every 3 steps the three are folded
 * back below 2^35 (s0) and 2^34 (s1), s2 to 0, with 2^61 = 1 (mod p):
 *   s0 = h0 2^31 + l0,  s1 = h1 2^30 + l1,  2 s2 = h2 2^31 + l2:
 *   V = l0 + h0 2^31 + h1 2^61 + l1 2^31 + s2 2^62
 *     = (l0 + h1 + l2) + (l1 + h0 + h2) 2^31   (mod p).
 * 4 multiplies and 4 additions per product, about 4 more operations per 3.
 */
#define MODP2_MR 3
#define MODP2_NV 1
#define MODP2_GROUP 3

VF_AVX2 static inline void modp2_fold(__m256i *s0, __m256i *s1, __m256i *s2)
{
    const __m256i m31 = _mm256_set1_epi64x(((long long)1 << 31) - 1);
    const __m256i m30 = _mm256_set1_epi64x(((long long)1 << 30) - 1);
    __m256i t = _mm256_add_epi64(*s2, *s2);
    __m256i lo = _mm256_add_epi64(_mm256_and_si256(*s0, m31), _mm256_srli_epi64(*s1, 30));
    __m256i hi = _mm256_add_epi64(_mm256_and_si256(*s1, m30), _mm256_srli_epi64(*s0, 31));
    *s0 = _mm256_add_epi64(lo, _mm256_and_si256(t, m31));
    *s1 = _mm256_add_epi64(hi, _mm256_srli_epi64(t, 31));
    *s2 = _mm256_setzero_si256();
}

/* s0 + s1 2^31 (folded: s0 < 2^35, s1 < 2^34) into [0, p). */
VF_AVX2 static inline __m256i modp2_final(__m256i s0, __m256i s1)
{
    const __m256i p = _mm256_set1_epi64x((long long)P61);
    const __m256i m30 = _mm256_set1_epi64x(((long long)1 << 30) - 1);
    /* s1 2^31 = (s1 >> 30) 2^61 + (s1 mod 2^30) 2^31 = (s1 >> 30) + (s1 mod 2^30) 2^31 */
    __m256i x = _mm256_add_epi64(s0, _mm256_srli_epi64(s1, 30));
    x = _mm256_add_epi64(x, _mm256_slli_epi64(_mm256_and_si256(s1, m30), 31));
    /* x < 2^62: one Mersenne fold leaves at most p + 1 */
    x = _mm256_add_epi64(_mm256_and_si256(x, p), _mm256_srli_epi64(x, 61));
    __m256i ge = _mm256_cmpgt_epi64(x, _mm256_sub_epi64(p, _mm256_set1_epi64x(1)));
    return _mm256_sub_epi64(x, _mm256_and_si256(ge, p));
}

VF_AVX2 static void mk_modp_avx2(size_t kc, const void *ap_, const void *bp_, void *c_,
                                 size_t ldc, int acc)
{
    const uint64_t *ap = ap_, *bp = bp_;
    uint64_t *c = c_;
    __m256i s0[MODP2_MR][MODP2_NV], s1[MODP2_MR][MODP2_NV], s2[MODP2_MR][MODP2_NV];
#pragma GCC unroll 16
    for (int i = 0; i < MODP2_MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < MODP2_NV; v++) {
            /* a value of C below p < 2^61: 3 steps add < 3 * 2^62, total < 2^64 */
            s0[i][v] = acc ? _mm256_loadu_si256((const void *)(c + (size_t)i * ldc + 4 * (size_t)v))
                           : _mm256_setzero_si256();
            s1[i][v] = s2[i][v] = _mm256_setzero_si256();
        }
    size_t l = 0;
    while (l < kc) {
        size_t end = kc - l > MODP2_GROUP ? l + MODP2_GROUP : kc;
        for (; l < end; l++, ap += 2 * MODP2_MR, bp += 8 * MODP2_NV) {
            __m256i b0[MODP2_NV], b1[MODP2_NV];
#pragma GCC unroll 4
            for (int v = 0; v < MODP2_NV; v++) {
                b0[v] = _mm256_loadu_si256((const void *)(bp + 4 * v));
                b1[v] = _mm256_loadu_si256((const void *)(bp + 4 * MODP2_NV + 4 * v));
            }
#pragma GCC unroll 16
            for (int i = 0; i < MODP2_MR; i++) {
                __m256i a0 = _mm256_set1_epi64x((long long)ap[i]);
                __m256i a1 = _mm256_set1_epi64x((long long)ap[MODP2_MR + i]);
#pragma GCC unroll 4
                for (int v = 0; v < MODP2_NV; v++) {
                    s0[i][v] = _mm256_add_epi64(s0[i][v], _mm256_mul_epu32(a0, b0[v]));
                    s1[i][v] = _mm256_add_epi64(
                        s1[i][v], _mm256_add_epi64(_mm256_mul_epu32(a0, b1[v]),
                                                   _mm256_mul_epu32(a1, b0[v])));
                    s2[i][v] = _mm256_add_epi64(s2[i][v], _mm256_mul_epu32(a1, b1[v]));
                }
            }
        }
#pragma GCC unroll 16
        for (int i = 0; i < MODP2_MR; i++)
#pragma GCC unroll 4
            for (int v = 0; v < MODP2_NV; v++)
                modp2_fold(&s0[i][v], &s1[i][v], &s2[i][v]);
    }
#pragma GCC unroll 16
    for (int i = 0; i < MODP2_MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < MODP2_NV; v++)
            _mm256_storeu_si256((void *)(c + (size_t)i * ldc + (size_t)(4 * v)),
                                modp2_final(s0[i][v], s1[i][v]));
}
#endif /* VF_X86 */

/* ------------------------------------------------------------------------ */
/* Kernel table and selection.                                               */

#define MODES 4
#define KERNELS 3

/* Every tile fits edge_tile's buffer.  (Blocks are whole tiles, mc % mr == 0 and nc % nr == 0,
 * only for speed: a block edge inside C would go through edge_tile.) */
_Static_assert(PT_MR <= MR_MAX && MODP_MR <= MR_MAX && PT_NR <= NR_MAX && MODP_NR <= NR_MAX,
               "portable tiles");
#if VF_X86
_Static_assert(F32_AVX512_MR <= MR_MAX && F64_AVX512_MR <= MR_MAX && I64Q_MR <= MR_MAX &&
                   16 * F32_AVX512_NV <= NR_MAX && 8 * F64_AVX512_NV <= NR_MAX &&
                   8 * I64Q_NV <= NR_MAX && 8 * IFMA_NV <= NR_MAX && IFMA_MR <= MR_MAX &&
                   8 * F32_AVX2_NV <= NR_MAX && F32_AVX2_MR <= MR_MAX && MODP2_MR <= MR_MAX,
               "vector tiles");
_Static_assert(IFMA_KC <= 256, "mk_modp_ifma's bounds assume at most 256 steps");
#endif

static const mm_impl g_impls[KERNELS][MODES] = {
    [VF_MM_KERNEL_PORTABLE] =
        {
            [VF_MM_INT64] = {PT_MR, PT_NR, 128, 256, 2048, 0, mk_i64_portable},
            [VF_MM_MODP] = {MODP_MR, MODP_NR, 128, 256, 2048, 0, mk_modp_portable},
            [VF_MM_FLOAT32] = {PT_MR, PT_NR, 128, 256, 2048, 0, mk_f32_portable},
            [VF_MM_FLOAT64] = {PT_MR, PT_NR, 128, 256, 2048, 0, mk_f64_portable},
        },
#if VF_X86
    [VF_MM_KERNEL_AVX2] =
        {
            [VF_MM_INT64] = {I64_AVX2_MR, 4 * I64_AVX2_NV, 128, 256, 2048, 32, mk_i64_avx2},
            [VF_MM_MODP] = {MODP2_MR, 4 * MODP2_NV, 129, 256, 2048, 31, mk_modp_avx2},
            [VF_MM_FLOAT32] = {F32_AVX2_MR, 8 * F32_AVX2_NV, 144, 256, 4080, 0, mk_f32_avx2},
            [VF_MM_FLOAT64] = {F64_AVX2_MR, 4 * F64_AVX2_NV, 144, 256, 2040, 0, mk_f64_avx2},
        },
    [VF_MM_KERNEL_AVX512] =
        {
            [VF_MM_INT64] = {I64Q_MR, 8 * I64Q_NV, 128, 256, 2048, 0, mk_i64_avx512},
            [VF_MM_MODP] = {MODP2_MR, 4 * MODP2_NV, 129, 256, 2048, 31, mk_modp_avx2},
            [VF_MM_FLOAT32] =
                {F32_AVX512_MR, 16 * F32_AVX512_NV, 144, 256, 4096, 0, mk_f32_avx512},
            [VF_MM_FLOAT64] =
                {F64_AVX512_MR, 8 * F64_AVX512_NV, 144, 256, 2048, 0, mk_f64_avx512},
        },
#endif
};

#if VF_X86
/* The AVX-512 kernel's mod p micro-kernel when the CPU has IFMA. */
static const mm_impl g_modp_ifma = {IFMA_MR, 8 * IFMA_NV, 128, IFMA_KC, 2048, 52, mk_modp_ifma};

static int cpu_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("bmi2");
}

static int cpu_avx512(void)
{
    return cpu_avx2() && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw");
}

static int cpu_ifma(void) { return cpu_avx512() && __builtin_cpu_supports("avx512ifma"); }
#endif

static const mm_impl *impl_for(int kernel, int mode)
{
#if VF_X86
    if (kernel == VF_MM_KERNEL_AVX512 && mode == VF_MM_MODP && cpu_ifma())
        return &g_modp_ifma;
#endif
    return &g_impls[kernel][mode];
}

int vf_matmul_kernel_available(int kernel)
{
    switch (kernel) {
    case VF_MM_KERNEL_PORTABLE:
        return 1;
#if VF_X86
    case VF_MM_KERNEL_AVX2:
        return cpu_avx2();
    case VF_MM_KERNEL_AVX512:
        return cpu_avx512();
#endif
    default:
        return 0;
    }
}

static atomic_int g_kernel = -1;

int vf_matmul_kernel(void)
{
    int k = atomic_load(&g_kernel);
    if (k < 0) {
        k = VF_MM_KERNEL_PORTABLE;
        if (vf_matmul_kernel_available(VF_MM_KERNEL_AVX512))
            k = VF_MM_KERNEL_AVX512;
        else if (vf_matmul_kernel_available(VF_MM_KERNEL_AVX2))
            k = VF_MM_KERNEL_AVX2;
        atomic_store(&g_kernel, k);
    }
    return k;
}

int vf_matmul_set_kernel(int kernel)
{
    if (kernel < 0 || kernel >= KERNELS)
        return VF_E_ARG;
    if (!vf_matmul_kernel_available(kernel))
        return VF_E_BACKEND;
    atomic_store(&g_kernel, kernel);
    return VF_OK;
}

/* ------------------------------------------------------------------------ */
/* Packing.                                                                  */

static size_t elem_size(int mode) { return mode == VF_MM_FLOAT32 ? 4 : 8; }

/* Exponent fields: all ones for a NaN or an infinity. */
#define EXP64 0x7ff0000000000000ULL
#define EXP32 0x7f800000U

/*
 * The packers copy A[0:rows, 0:kc] (row stride lda) into MR-tall strips and
 * B[0:kc, 0:cols] (row stride ldb) into NR-wide strips, zero-padded, reducing
 * mod p values on the way (modp) and appending high parts (split).  They
 * return non-zero when a float64 (f64) or float32 value is a NaN or an
 * infinity: the inputs are checked as they are read anyway.
 */
static int pack_a64(const uint64_t *a, size_t lda, size_t rows, size_t kc, size_t mr, int split,
                    int modp, int f64, uint64_t *dst)
{
    uint64_t low = ((uint64_t)1 << (split & 63)) - 1;
    int bad = 0;
    for (size_t s = 0; s < rows; s += mr) {
        size_t h = rows - s < mr ? rows - s : mr;
        const uint64_t *src = a + s * lda;
        for (size_t l = 0; l < kc; l++) {
            size_t i = 0;
            for (; i < h; i++) {
                uint64_t v = src[i * lda + l];
                if (modp)
                    v = modp_from_i64(v);
                bad |= (v & EXP64) == EXP64;
                dst[i] = split ? v & low : v;
                if (split)
                    dst[mr + i] = v >> split;
            }
            for (; i < mr; i++) {
                dst[i] = 0;
                if (split)
                    dst[mr + i] = 0;
            }
            dst += split ? 2 * mr : mr;
        }
    }
    return f64 && bad;
}

static int pack_b64(const uint64_t *b, size_t ldb, size_t kc, size_t cols, size_t nr, int split,
                    int modp, int f64, uint64_t *dst)
{
    uint64_t low = ((uint64_t)1 << (split & 63)) - 1;
    int bad = 0;
    for (size_t s = 0; s < cols; s += nr) {
        size_t w = cols - s < nr ? cols - s : nr;
        for (size_t l = 0; l < kc; l++) {
            const uint64_t *src = b + l * ldb + s;
            size_t j = 0;
            for (; j < w; j++) {
                uint64_t v = src[j];
                if (modp)
                    v = modp_from_i64(v);
                bad |= (v & EXP64) == EXP64;
                dst[j] = split ? v & low : v;
                if (split)
                    dst[nr + j] = v >> split;
            }
            for (; j < nr; j++) {
                dst[j] = 0;
                if (split)
                    dst[nr + j] = 0;
            }
            dst += split ? 2 * nr : nr;
        }
    }
    return f64 && bad;
}

static int pack_a32(const uint32_t *a, size_t lda, size_t rows, size_t kc, size_t mr,
                    uint32_t *dst)
{
    int bad = 0;
    for (size_t s = 0; s < rows; s += mr) {
        size_t h = rows - s < mr ? rows - s : mr;
        const uint32_t *src = a + s * lda;
        for (size_t l = 0; l < kc; l++, dst += mr) {
            size_t i = 0;
            for (; i < h; i++) {
                uint32_t v = src[i * lda + l];
                bad |= (v & EXP32) == EXP32;
                dst[i] = v;
            }
            for (; i < mr; i++)
                dst[i] = 0;
        }
    }
    return bad;
}

static int pack_b32(const uint32_t *b, size_t ldb, size_t kc, size_t cols, size_t nr,
                    uint32_t *dst)
{
    int bad = 0;
    for (size_t s = 0; s < cols; s += nr) {
        size_t w = cols - s < nr ? cols - s : nr;
        for (size_t l = 0; l < kc; l++, dst += nr) {
            const uint32_t *src = b + l * ldb + s;
            size_t j = 0;
            for (; j < w; j++) {
                uint32_t v = src[j];
                bad |= (v & EXP32) == EXP32;
                dst[j] = v;
            }
            for (; j < nr; j++)
                dst[j] = 0;
        }
    }
    return bad;
}

/* ------------------------------------------------------------------------ */
/* Workspace.                                                                */

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

/* Bytes of one thread's packed A and B buffers (each 64-byte aligned), or 0 on overflow. */
static int part_bytes(const mm_impl *im, size_t es, size_t m, size_t k, size_t n, size_t *a_bytes,
                      size_t *b_bytes)
{
    size_t mr = (size_t)im->mr, nr = (size_t)im->nr, f = im->split ? 2 : 1;
    size_t kc = k < (size_t)im->kc ? k : (size_t)im->kc;
    /* a block of min(MC, m) rows packs into whole MR strips (likewise for columns);
     * m, n < SIZE_MAX / 16 is checked by the callers, so the round-ups cannot wrap */
    size_t mc = round_up(m < (size_t)im->mc ? m : (size_t)im->mc, mr);
    size_t nc = round_up(n < (size_t)im->nc ? n : (size_t)im->nc, nr);
    size_t x, y;
    if (!vf__mul_ok(mc, kc, &x) || !vf__mul_ok(x, es * f, &x) || x > SIZE_MAX - ALIGN)
        return 0;
    if (!vf__mul_ok(nc, kc, &y) || !vf__mul_ok(y, es * f, &y) || y > SIZE_MAX - ALIGN)
        return 0;
    *a_bytes = round_up(x, ALIGN);
    *b_bytes = round_up(y, ALIGN);
    return *a_bytes <= SIZE_MAX - *b_bytes - ALIGN;
}

static int check_sizes(int mode, size_t m, size_t k, size_t n, size_t *mk, size_t *kn, size_t *mn)
{
    size_t es = elem_size(mode);
    if (m > SIZE_MAX / 16 || k > SIZE_MAX / 16 || n > SIZE_MAX / 16)
        return VF_E_OVERFLOW;
    if (!vf__mul_ok(m, k, mk) || !vf__mul_ok(*mk, es, mk))
        return VF_E_OVERFLOW;
    if (!vf__mul_ok(k, n, kn) || !vf__mul_ok(*kn, es, kn))
        return VF_E_OVERFLOW;
    if (!vf__mul_ok(m, n, mn) || !vf__mul_ok(*mn, es, mn))
        return VF_E_OVERFLOW;
    return VF_OK;
}

int vf_matmul_workspace_size(int mode, size_t m, size_t k, size_t n, int nthreads,
                             size_t *out_bytes)
{
    if (out_bytes == NULL)
        return VF_E_NULL;
    if (mode < 0 || mode >= MODES || nthreads < 1)
        return VF_E_ARG;
    size_t mk, kn, mn, need = 0;
    int rc = check_sizes(mode, m, k, n, &mk, &kn, &mn);
    if (rc != VF_OK)
        return rc;
    /* vf_matmul uses at most min(nthreads, MM_MAX_PARTS, row strips) parts; a strip has a row */
    size_t parts = (size_t)nthreads < MM_MAX_PARTS ? (size_t)nthreads : MM_MAX_PARTS;
    if (parts > m)
        parts = m > 0 ? m : 1;
    /* the largest over every kernel, so a kernel switch in between cannot make it short */
    for (int kern = 0; kern <= KERNELS; kern++) {
        const mm_impl *im = kern < KERNELS ? &g_impls[kern][mode] : NULL;
        size_t ab, bb, part;
#if VF_X86
        if (kern == KERNELS && mode == VF_MM_MODP)
            im = &g_modp_ifma;
#endif
        if (im == NULL || im->micro == NULL) /* not compiled for this architecture */
            continue;
        if (!part_bytes(im, elem_size(mode), m, k, n, &ab, &bb))
            return VF_E_OVERFLOW;
        if (!vf__mul_ok(ab + bb + ALIGN, parts, &part))
            return VF_E_OVERFLOW;
        if (part > need)
            need = part;
    }
    *out_bytes = need;
    return VF_OK;
}

/* ------------------------------------------------------------------------ */
/* The blocked product.                                                      */

typedef struct {
    const mm_impl *im;
    int mode;
    size_t es;
    const uint8_t *a, *b;
    uint8_t *c;
    size_t m, k, n;
    uint8_t *work;
    size_t a_bytes, b_bytes;
    size_t parts, strips; /* row parts (one per thread) and MR-tall row strips */
    atomic_int *bad;      /* set when a float input is a NaN or an infinity */
} mm_job;

/* A tile sticking out of C (h < MR or w < NR) goes through a zero-filled buffer. */
static void edge_tile(const mm_impl *im, size_t es, size_t kc, const void *ap, const void *bp,
                      uint8_t *c, size_t ldc, size_t h, size_t w, int acc)
{
    uint64_t buf[MR_MAX * NR_MAX];
    uint8_t *t = (uint8_t *)buf;
    size_t nr = (size_t)im->nr;
    memset(buf, 0, sizeof buf);
    if (acc)
        for (size_t i = 0; i < h; i++)
            memcpy(t + i * nr * es, c + i * ldc * es, w * es);
    im->micro(kc, ap, bp, t, nr, acc);
    for (size_t i = 0; i < h; i++)
        memcpy(c + i * ldc * es, t + i * nr * es, w * es);
}

/* Rows [r0, r1) of C belong to part p: whole MR strips, shared out evenly. */
static void part_rows(const mm_job *job, size_t p, size_t *r0, size_t *r1)
{
    size_t mr = (size_t)job->im->mr;
    *r0 = job->strips * p / job->parts * mr;
    *r1 = job->strips * (p + 1) / job->parts * mr;
    if (*r1 > job->m)
        *r1 = job->m;
}

static int mm_part(const mm_job *job, size_t part)
{
    const mm_impl *im = job->im;
    size_t mr = (size_t)im->mr, nr = (size_t)im->nr, es = job->es;
    size_t k = job->k, n = job->n, r0, r1;
    part_rows(job, part, &r0, &r1);
    uintptr_t base = (uintptr_t)(job->work + part * (job->a_bytes + job->b_bytes + ALIGN));
    uint8_t *ap = (uint8_t *)((base + ALIGN - 1) / ALIGN * ALIGN);
    uint8_t *bp = ap + job->a_bytes;
    int f = im->split ? 2 : 1, modp = job->mode == VF_MM_MODP, bad = 0;
    int f64 = job->mode == VF_MM_FLOAT64;

    for (size_t jc = 0; jc < n; jc += (size_t)im->nc) {
        size_t nc = n - jc < (size_t)im->nc ? n - jc : (size_t)im->nc;
        for (size_t pc = 0; pc < k; pc += (size_t)im->kc) {
            size_t kc = k - pc < (size_t)im->kc ? k - pc : (size_t)im->kc;
            int acc = pc > 0;
            if (es == 8)
                bad |= pack_b64((const uint64_t *)job->b + pc * n + jc, n, kc, nc, nr, im->split,
                                modp, f64, (uint64_t *)bp);
            else
                bad |= pack_b32((const uint32_t *)job->b + pc * n + jc, n, kc, nc, nr,
                                (uint32_t *)bp);
            for (size_t ic = r0; ic < r1; ic += (size_t)im->mc) {
                size_t mc = r1 - ic < (size_t)im->mc ? r1 - ic : (size_t)im->mc;
                if (es == 8)
                    bad |= pack_a64((const uint64_t *)job->a + ic * k + pc, k, mc, kc, mr,
                                    im->split, modp, f64, (uint64_t *)ap);
                else
                    bad |= pack_a32((const uint32_t *)job->a + ic * k + pc, k, mc, kc, mr,
                                    (uint32_t *)ap);
                for (size_t jr = 0; jr < nc; jr += nr) {
                    const uint8_t *bs = bp + jr * kc * es * (size_t)f;
                    size_t w = nc - jr < nr ? nc - jr : nr;
                    for (size_t ir = 0; ir < mc; ir += mr) {
                        const uint8_t *as = ap + ir * kc * es * (size_t)f;
                        uint8_t *ct = job->c + ((ic + ir) * n + jc + jr) * es;
                        size_t h = mc - ir < mr ? mc - ir : mr;
                        if (h == mr && w == nr)
                            im->micro(kc, as, bs, ct, n, acc);
                        else
                            edge_tile(im, es, kc, as, bs, ct, n, h, w, acc);
                    }
                }
            }
        }
    }
    return bad;
}

static void mm_range(void *ctx, size_t lo, size_t hi)
{
    const mm_job *job = ctx;
    int fl = job->mode == VF_MM_FLOAT32 || job->mode == VF_MM_FLOAT64;
    /* floats: IEEE defaults (round to nearest even, no flush-to-zero or
     * denormals-are-zero) whatever the caller's thread had set */
#if VF_X86
    unsigned int csr = _mm_getcsr();
    if (fl)
        _mm_setcsr(0x1f80);
#else
    int round = fegetround();
    if (fl)
        fesetround(FE_TONEAREST);
#endif
    for (size_t p = lo; p < hi; p++)
        if (mm_part(job, p))
            atomic_store(job->bad, 1);
#if VF_X86
    _mm_setcsr(csr);
#else
    fesetround(round);
#endif
}

/* Non-zero when a float array holds a NaN or an infinity (exponent all ones). */
static int has_nonfinite(int mode, const uint8_t *p, size_t bytes)
{
    int bad = 0;
    if (mode == VF_MM_FLOAT64) {
        const uint64_t *v = (const uint64_t *)p;
        for (size_t i = 0; i < bytes / 8; i++)
            bad |= (v[i] & 0x7ff0000000000000ULL) == 0x7ff0000000000000ULL;
    } else {
        const uint32_t *v = (const uint32_t *)p;
        for (size_t i = 0; i < bytes / 4; i++)
            bad |= (v[i] & 0x7f800000U) == 0x7f800000U;
    }
    return bad;
}

int vf_matmul(int mode, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, size_t m,
              size_t k, size_t n, uint8_t *c, size_t c_len, uint8_t *work, size_t work_len,
              int nthreads)
{
    if (mode < 0 || mode >= MODES || nthreads < 1)
        return VF_E_ARG;
    size_t mk, kn, mn, es = elem_size(mode);
    int rc = check_sizes(mode, m, k, n, &mk, &kn, &mn);
    if (rc != VF_OK)
        return rc;
    if (a_len != mk || b_len != kn || c_len != mn)
        return VF_E_LENGTH;
    if ((mk && a == NULL) || (kn && b == NULL) || (mn && c == NULL))
        return VF_E_NULL;
    if ((mk && (uintptr_t)a % es) || (kn && (uintptr_t)b % es) || (mn && (uintptr_t)c % es))
        return VF_E_ARG;
    int fl = mode == VF_MM_FLOAT32 || mode == VF_MM_FLOAT64;
    if (mn == 0) /* nothing to compute, but still nothing to accept with a NaN */
        return fl && (has_nonfinite(mode, a, mk) || has_nonfinite(mode, b, kn)) ? VF_E_NONFINITE
                                                                                 : VF_OK;
    if (k == 0) { /* empty sums: +0 (all-zero bits) in every mode */
        memset(c, 0, mn);
        return VF_OK;
    }

    const mm_impl *im = impl_for(vf_matmul_kernel(), mode);

    size_t strips = (m + (size_t)im->mr - 1) / (size_t)im->mr;
    size_t parts = (size_t)nthreads < strips ? (size_t)nthreads : strips;
    if (parts > MM_MAX_PARTS)
        parts = MM_MAX_PARTS;
    if (m * k < MM_PARALLEL_MIN && n < MM_PARALLEL_MIN && m * k * n < MM_PARALLEL_MIN)
        parts = 1;
    size_t ab, bb, need;
    if (!part_bytes(im, es, m, k, n, &ab, &bb) || !vf__mul_ok(ab + bb + ALIGN, parts, &need))
        return VF_E_OVERFLOW;
    if (work == NULL || work_len < need)
        return work == NULL ? VF_E_NULL : VF_E_LENGTH;

    atomic_int bad = 0;
    mm_job job = {im, mode, es, a, b, c, m, k, n, work, ab, bb, parts, strips, &bad};
    vf__parallel((int)parts, parts, 1, mm_range, &job);
    /* every element of A and B went through a packer (m, k, n > 0 here) */
    return atomic_load(&bad) ? VF_E_NONFINITE : VF_OK;
}
