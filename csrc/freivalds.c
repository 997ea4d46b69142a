/*
 * freivalds.c - Freivalds checks of a claimed product C = A @ B.
 *
 * All rounds are fused: the rounds x n probe matrix P is applied to B in one
 * pass (Y = B P^T, k x rounds), then one pass over the rows of A and C gives
 * A[i] Y and C[i] P^T for every round at once.  The passes run over row
 * ranges on vf__parallel, each row computed by exactly one thread, so the
 * result does not depend on the thread count.
 *
 * Float modes run the check in double precision (float32 inputs are widened
 * exactly).  For float64 the rows of B are split by Rump's extraction into a
 * high part whose sums with +-1 probes are exact and a tiny low part, so
 * Y = B P^T is accurate to about one rounding even under heavy cancellation.
 * The tight threshold, the rigorous bound on the check's own error and the
 * exact recomputation of flagged rows are derived in docs/FREIVALDS.md.
 */
#include <math.h>
#include <string.h>

#include "vf_freivalds.h"
#include "vf_internal.h"

#if VF_X86
#include <immintrin.h>
#endif

/* Helpers on vectors narrower than the target's own are inlined; no vector crosses a call
 * boundary of a function compiled for a narrower target, so GCC's ABI note does not apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

/* Tile length of the probe products: fresh lane accumulators every FV_STEPS vector steps,
 * so a term meets at most FV_STEPS in-tile additions on every target. */
#define FV_STEPS 32
#define FV_JT (FV_STEPS * FV_W)
#define FV_SB 64    /* rounds whose tile totals are kept at once */
#define FV_GSMAX 128 /* rows that share one pass over each probe tile (a super-group) */
#define FV_G 8      /* rows whose tiles sit in L1 at once (8 streams + probes fit 12-way sets) */
#define FV_FRT 64    /* columns per tile of the Four-Russians products (panel_fr, panel_frs) */
#define FV_FRF 32    /* tiles whose totals are summed before they go into the running total */
#define FV_FR_MIN 6  /* rounds from which B P^T and C P^T go through panel_fr / panel_frs */
#define FV_RCJ 256  /* columns per unit of the exact recomputation */
#define FV_RC_OUT VF_FV_RECHECK_OUT
#define FV_SLOTS 64 /* at most this many threads */
#define FV_MIN_WORK (1u << 16) /* multiply-adds below which a thread is not worth starting */

/* Unit roundoff and underflow unit of double, and of float (the inputs). */
#define FV_U64 0x1p-53
#define FV_ETA64 0x1p-1074
#define FV_U32 0x1p-24
#define FV_ETA32 0x1p-149

/* Safety factor of the tight threshold (calibrated in docs/FREIVALDS.md). */
#define FV_TAU 2.0

/* ---- the per-instruction-set kernels ------------------------------------------------------ */

/*
 * Register blocks.  A block of g rows x rb rounds keeps g*rb accumulators (twice
 * that for the extraction block) plus g row vectors and one probe vector in
 * registers; the shapes below fit 16 registers (SSE2, AVX2) or 32 (AVX-512), and
 * a single round gets more rows so that enough independent additions are in
 * flight to hide the FMA latency.  The case lists name exactly those shapes.
 */
#define FV_CR(M, A, RB, G) M(A, G, RB)
#define FV_G1(M, A, RB) M(A, 1, RB)
#define FV_G2(M, A, RB) FV_G1(M, A, RB) M(A, 2, RB)
#define FV_G4(M, A, RB) FV_G2(M, A, RB) M(A, 3, RB) M(A, 4, RB)
#define FV_G8(M, A, RB) FV_G4(M, A, RB) M(A, 5, RB) M(A, 6, RB) M(A, 7, RB) M(A, 8, RB)
#define FV_XC(A, NR, RB) FV_XCASE(NR, RB)
#define FV_UC(A, NR, RB) FV_UCASE(NR, RB)
/* 16 registers: float/integer blocks 4x1, 2x2..2x4; extraction blocks 2x1, 1x2..1x4 */
#define FV_ROWS16(rb) ((rb) == 1 ? 4 : 2)
#define FV_XROWS16(rb) ((rb) == 1 ? 2 : 1)
#define FV_CASES16(M, A) FV_G4(M, A, 1) FV_G2(M, A, 2) FV_G2(M, A, 3) FV_G2(M, A, 4)
#define FV_XCASES16(M, A) FV_G2(M, A, 1) FV_G1(M, A, 2) FV_G1(M, A, 3) FV_G1(M, A, 4)
/* 32 registers: float/integer blocks 8x1, 4x2..4x4; extraction blocks 4x1, 2x2..2x4 */
#define FV_ROWS32(rb) ((rb) == 1 ? 8 : 4)
#define FV_XROWS32(rb) ((rb) == 1 ? 4 : 2)
#define FV_CASES32(M, A) FV_G8(M, A, 1) FV_G4(M, A, 2) FV_G4(M, A, 3) FV_G4(M, A, 4)
#define FV_XCASES32(M, A) FV_G4(M, A, 1) FV_G2(M, A, 2) FV_G2(M, A, 3) FV_G2(M, A, 4)

#define FV_RBMAX 4

/* portable: 2 lanes (SSE2 on x86-64), 16 registers */
#define FV_SUFFIX portable
#define FV_TARGET
#define FV_W 2
#define FV_FMA_KIND 0
#define FV_NRMAX 4
#define FV_XNRMAX 2
#define FV_PROWS(rb) FV_ROWS16(rb)
#define FV_UROWS(rb) FV_XROWS16(rb)
#define FV_XROWS(rb) FV_XROWS16(rb)
#define FV_PCASES(BLK) FV_CASES16(FV_PCASE, BLK)
#define FV_XCASES FV_XCASES16(FV_XC, 0)
#define FV_UCASES FV_XCASES16(FV_UC, 0)
#include "freivalds_simd.inc"
#undef FV_SUFFIX
#undef FV_TARGET
#undef FV_W
#undef FV_FMA_KIND

#if VF_X86
/* AVX2: 4 lanes, 16 ymm registers; the same block shapes */
#define FV_SUFFIX avx2
#define FV_TARGET __attribute__((target("avx2,fma")))
#define FV_W 4
#define FV_FMA_KIND 1
#include "freivalds_simd.inc"
#undef FV_SUFFIX
#undef FV_TARGET
#undef FV_W
#undef FV_FMA_KIND
#undef FV_NRMAX
#undef FV_XNRMAX
#undef FV_PROWS
#undef FV_UROWS
#undef FV_XROWS
#undef FV_PCASES
#undef FV_XCASES
#undef FV_UCASES

/* AVX-512: 8 lanes, 32 zmm registers */
#define FV_SUFFIX avx512
#define FV_TARGET __attribute__((target("avx512f,avx512dq,avx2,fma")))
#define FV_W 8
#define FV_FMA_KIND 2
#define FV_NRMAX 8
#define FV_XNRMAX 4
#define FV_PROWS(rb) FV_ROWS32(rb)
#define FV_UROWS(rb) FV_ROWS32(rb)
#define FV_XROWS(rb) FV_XROWS32(rb)
#define FV_PCASES(BLK) FV_CASES32(FV_PCASE, BLK)
#define FV_XCASES FV_XCASES32(FV_XC, 0)
#define FV_UCASES FV_CASES32(FV_UC, 0)
#include "freivalds_simd.inc"
#undef FV_SUFFIX
#undef FV_TARGET
#undef FV_W
#undef FV_FMA_KIND
#endif
#undef FV_NRMAX
#undef FV_XNRMAX
#undef FV_PROWS
#undef FV_UROWS
#undef FV_XROWS
#undef FV_PCASES
#undef FV_XCASES
#undef FV_UCASES

typedef struct {
    void (*panel_d)(const double *const *, int, size_t, const double *, size_t, size_t, size_t,
                    double *, const double *, double *, double *, double *);
    void (*panel_f)(const float *const *, int, size_t, const double *, size_t, size_t, size_t,
                    double *, const double *, double *, double *, double *);
    void (*panel_x)(const double *const *, int, const double *, size_t, const double *, size_t,
                    size_t, size_t, double *, double *, double *, const double *const *, int);
    void (*panel_fr)(const double *const *, int, const double *, size_t, const uint8_t *,
                     const double *, size_t, double *, double *, double *, const double *const *,
                     int);
    void (*panel_frs_d)(const double *const *, int, size_t, const uint8_t *, const double *,
                        size_t, double *, double *, double *);
    void (*panel_frs_f)(const float *const *, int, size_t, const uint8_t *, const double *,
                        size_t, double *, double *, double *);
    void (*panel_u)(const uint64_t *const *, int, size_t, const uint64_t *, size_t, size_t,
                    uint64_t *);
    void (*brow_d)(const double *const *, int, size_t, double *, double *);
    void (*recheck_f32)(const float *const *, int, const float *, size_t, size_t, size_t,
                        size_t, double *, double *);
    void (*recheck_f64)(const double *const *, int, const double *, size_t, size_t, size_t,
                        size_t, double *, double *, double *);
    int lanes;
} fv_ops;

#define FV_OPS(S, W)                                                                             \
    {                                                                                            \
        panel_d_##S, panel_f_##S, panel_x_##S, panel_fr_##S, panel_frs_d_##S, panel_frs_f_##S,   \
            panel_u_##S, brow_d_##S, recheck_f32_##S, recheck_f64_##S, W                         \
    }

static const fv_ops fv_ops_portable = FV_OPS(portable, 2);
#if VF_X86
static const fv_ops fv_ops_avx2 = FV_OPS(avx2, 4);
static const fv_ops fv_ops_avx512 = FV_OPS(avx512, 8);
#endif

int vf_freivalds_kernel_available(int kernel)
{
    switch (kernel) {
    case VF_FV_KERNEL_PORTABLE:
        return 1;
#if VF_X86
    case VF_FV_KERNEL_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case VF_FV_KERNEL_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    default:
        return 0;
    }
}

int vf_freivalds_best_kernel(void)
{
    if (vf_freivalds_kernel_available(VF_FV_KERNEL_AVX512))
        return VF_FV_KERNEL_AVX512;
    if (vf_freivalds_kernel_available(VF_FV_KERNEL_AVX2))
        return VF_FV_KERNEL_AVX2;
    return VF_FV_KERNEL_PORTABLE;
}

static const fv_ops *fv_pick(int kernel)
{
    if (kernel == VF_FV_KERNEL_AUTO)
        kernel = vf_freivalds_best_kernel();
    if (!vf_freivalds_kernel_available(kernel))
        return NULL;
#if VF_X86
    if (kernel == VF_FV_KERNEL_AVX512)
        return &fv_ops_avx512;
    if (kernel == VF_FV_KERNEL_AVX2)
        return &fv_ops_avx2;
#endif
    return &fv_ops_portable;
}

/* ---- sizes -------------------------------------------------------------------------------- */

static int fv_add_ok(size_t a, size_t b, size_t *out)
{
    if (a > SIZE_MAX - b)
        return 0;
    *out = a + b;
    return 1;
}

/* Element counts rounded up to whole 64-byte lines, so every segment starts aligned. */
static int fv_seg(size_t *total, size_t count)
{
    size_t rounded;
    if (!fv_add_ok(count, 7, &rounded))
        return 0;
    rounded &= ~(size_t)7;
    return fv_add_ok(*total, rounded, total);
}

static size_t fv_slots(int nthreads)
{
    if (nthreads < 1)
        return 1;
    return nthreads > FV_SLOTS ? FV_SLOTS : (size_t)nthreads;
}

/* Rows per super-group for R rounds: the running totals (rows x min(R, FV_SB)
 * vectors) and the per-row products (rows x R) stay a few hundred KB. */
static size_t fv_super_rows(size_t rounds)
{
    /* up to 16 rounds the probes and Y sit in L2 anyway and 8 rows stream best */
    size_t g = rounds <= 16 ? FV_G : rounds >= 1024 ? FV_G : (8192 / rounds) & ~(size_t)7;
    return g < FV_G ? FV_G : g > FV_GSMAX ? FV_GSMAX : g;
}

/* For many rounds, B P^T and C P^T go through the Four-Russians sums (panel_fr, panel_frs) */
static int fv_use_fr(int mode, size_t rounds)
{
    return (mode == VF_FV_FLOAT64 || mode == VF_FV_FLOAT32) && rounds >= FV_FR_MIN;
}

/* Workspace layout, in 8-byte words. */
typedef struct {
    size_t y, nb, yerr, mx, yb, pi, yi, fp, fs, tmp, total;
    size_t per_slot_tmp; /* the panels' scratch, then the products of a super-group of A and C */
    size_t scratch_words;
} fv_layout;

static int fv_layout_for(int mode, size_t k, size_t n, size_t rounds, size_t slots, fv_layout *L)
{
    size_t rk, tmp, bytes;
    int is_float = mode == VF_FV_FLOAT32 || mode == VF_FV_FLOAT64;
    memset(L, 0, sizeof *L);
    if (!vf__mul_ok(rounds, k, &rk) || !fv_seg(&L->total, rk))
        return 0;
    L->nb = L->total;
    if (is_float && !fv_seg(&L->total, k))
        return 0;
    L->yerr = L->total;
    if (is_float && !fv_seg(&L->total, k))
        return 0;
    L->mx = L->total;
    if (is_float && !fv_seg(&L->total, k))
        return 0;
    L->yb = L->total;
    if (is_float && !fv_seg(&L->total, rounds))
        return 0;
    /* the float probes and B P^T again, interleaved (fv_interleave): rows padded to 8 */
    L->pi = L->total; /* (not with the Four-Russians tables, which replace it) */
    if (is_float && !fv_use_fr(mode, rounds) &&
        (!fv_add_ok(n, 7, &tmp) || !vf__mul_ok(rounds, tmp, &tmp) || !fv_seg(&L->total, tmp)))
        return 0;
    L->yi = L->total;
    if (is_float && (!fv_add_ok(k, 7, &tmp) || !vf__mul_ok(rounds, tmp, &tmp) ||
                     !fv_seg(&L->total, tmp)))
        return 0;
    /* the patterns (bytes) and signs of panel_fr, per group of 4 probe columns and round */
    L->fp = L->total;
    L->fs = L->total;
    if (fv_use_fr(mode, rounds)) {
        size_t groups, words;
        if (!fv_add_ok(n, 3, &groups) || !vf__mul_ok(groups / 4, rounds, &tmp) ||
            !fv_add_ok(tmp, 7, &words) || !fv_seg(&L->total, words / 8))
            return 0;
        L->fs = L->total;
        if (!fv_seg(&L->total, tmp))
            return 0;
    }
    /* per slot: panel scratch (two sets of running totals, statistics; or panel_fr's sums
     * and totals), then the probe products of one super-group of rows of A and of C */
    {
        size_t gs = is_float ? fv_super_rows(rounds) : 0;
        size_t sb = rounds < FV_SB ? rounds : FV_SB;
        L->scratch_words = (2 * gs * sb + 2 * gs) * 8; /* vectors of up to 8 lanes */
        if (fv_use_fr(mode, rounds) && L->scratch_words < (4 * FV_FRT + 4 * rounds) * 8)
            L->scratch_words = (4 * FV_FRT + 4 * rounds) * 8;
    }
    if (!vf__mul_ok(rounds, 2 * fv_super_rows(rounds), &tmp) ||
        !fv_add_ok(tmp, L->scratch_words + 7, &tmp))
        return 0;
    L->per_slot_tmp = tmp & ~(size_t)7;
    if (!vf__mul_ok(L->per_slot_tmp, slots, &tmp))
        return 0;
    L->tmp = L->total;
    if (!fv_add_ok(L->total, tmp, &L->total))
        return 0;
    return vf__mul_ok(L->total, 8, &bytes);
}

int vf_freivalds_work_size(int mode, size_t m, size_t k, size_t n, size_t rounds, int nthreads,
                           size_t *out_bytes)
{
    (void)m;
    fv_layout L;
    if (!out_bytes)
        return VF_E_NULL;
    if (mode < VF_FV_INT64 || mode > VF_FV_FLOAT64)
        return VF_E_ARG;
    if (rounds < 1 || rounds > VF_FV_MAX_ROUNDS)
        return VF_E_ARG;
    if (!fv_layout_for(mode, k, n, rounds, fv_slots(nthreads), &L))
        return VF_E_OVERFLOW;
    *out_bytes = L.total * 8;
    return VF_OK;
}

/* Argument checks shared by the entry points; *elt receives the element size. */
static int fv_check_common(int mode, const void *a, size_t a_bytes, const void *b, size_t b_bytes,
                           const void *c, size_t c_bytes, size_t m, size_t k, size_t n)
{
    size_t elt = mode == VF_FV_FLOAT32 ? 4 : 8, mk, kn, mn;
    if (mode < VF_FV_INT64 || mode > VF_FV_FLOAT64)
        return VF_E_ARG;
    if (!vf__mul_ok(m, k, &mk) || !vf__mul_ok(mk, elt, &mk) || !vf__mul_ok(k, n, &kn) ||
        !vf__mul_ok(kn, elt, &kn) || !vf__mul_ok(m, n, &mn) || !vf__mul_ok(mn, elt, &mn))
        return VF_E_OVERFLOW;
    if ((!a && a_bytes) || (!b && b_bytes) || (!c && c_bytes))
        return VF_E_NULL;
    if (a_bytes != mk || b_bytes != kn || c_bytes != mn)
        return VF_E_LENGTH;
    if (((uintptr_t)a | (uintptr_t)b | (uintptr_t)c) % elt)
        return VF_E_ARG;
    /* the extraction needs n <= 2^50; the error bounds want k, n far below 1/u */
    if (n > ((size_t)1 << 40) || k > ((size_t)1 << 40))
        return VF_E_RANGE;
    return VF_OK;
}

/* Hand out the next group of `size` rows of [0, count): work is shared dynamically, so a
 * thread the OS delays does not hold the others up; each group's result is the same
 * whichever thread computes it. */
static int fv_next_group(size_t *next, size_t count, size_t size, size_t *lo, size_t *hi)
{
    size_t grp = __atomic_fetch_add(next, 1, __ATOMIC_RELAXED);
    if (grp >= count / size + (count % size != 0))
        return 0;
    *lo = grp * size;
    *hi = count - *lo < size ? count : *lo + size;
    return 1;
}

static size_t fv_use_slots(size_t slots, size_t rows, size_t work_per_row)
{
    unsigned __int128 total = (unsigned __int128)rows * (work_per_row ? work_per_row : 1);
    unsigned __int128 want = total / FV_MIN_WORK + 1;
    size_t s = want < slots ? (size_t)want : slots;
    if (s > rows)
        s = rows;
    return s ? s : 1;
}

/* gamma_j = j u / (1 - j u), +inf when j u >= 1. */
static double fv_gamma(double j, double u)
{
    double ju = j * u;
    return ju < 1.0 ? ju / (1.0 - ju) : HUGE_VAL;
}

/*
 * How many roundings a term goes through in a probe product of length len on
 * `lanes`-wide vectors (panel_d / panel_f): the product, up to FV_STEPS in-tile
 * additions, one per tile total, log2(lanes) in the lane sum, one spare.
 */
static double fv_nround(size_t len, int lanes)
{
    size_t w = (size_t)lanes, jt = FV_STEPS * w, in_tile = (len < jt ? len : jt) + w - 1, lg = 0;
    while (((size_t)1 << lg) < w)
        lg++;
    return (double)(1 + in_tile / w + (len + jt - 1) / jt + lg + 1);
}

/* ---- exact modes -------------------------------------------------------------------------- */

static inline uint64_t fv_modp_reduce(unsigned __int128 v)
{
    const uint64_t p = VF_FV_PRIME;
    unsigned __int128 r = (v & p) + (v >> 61); /* < 2^68 */
    uint64_t s = (uint64_t)(r & p) + (uint64_t)(r >> 61); /* < 2^61 + 2^7 */
    return s >= p ? s - p : s;
}

/* out[r * R + t] = sum_j x_r[j] p_t[j] mod p; every input < p. */
static void fv_modp_panel(const uint64_t *const *x, int nr, size_t len, const uint64_t *p,
                          size_t pstride, size_t R, uint64_t *out)
{
    const uint64_t P = VF_FV_PRIME;
    for (int r = 0; r < nr; r++) {
        const uint64_t *xr = x[r];
        size_t t = 0;
        for (; t + 2 <= R; t += 2) {
            const uint64_t *p0 = p + t * pstride, *p1 = p0 + pstride;
            unsigned __int128 a0 = 0, a1 = 0;
            for (size_t j0 = 0; j0 < len; j0 += 32) {
                size_t j1 = len - j0 < 32 ? len : j0 + 32;
                for (size_t j = j0; j < j1; j++) {
                    a0 += (unsigned __int128)xr[j] * p0[j];
                    a1 += (unsigned __int128)xr[j] * p1[j];
                }
                /* < 2^61 + 2^68 after folding, so 32 more products (< 2^122 each) fit */
                a0 = (a0 & P) + (a0 >> 61);
                a1 = (a1 & P) + (a1 >> 61);
            }
            out[(size_t)r * R + t] = fv_modp_reduce(a0);
            out[(size_t)r * R + t + 1] = fv_modp_reduce(a1);
        }
        if (t < R) {
            const uint64_t *p0 = p + t * pstride;
            unsigned __int128 a0 = 0;
            for (size_t j0 = 0; j0 < len; j0 += 32) {
                size_t j1 = len - j0 < 32 ? len : j0 + 32;
                for (size_t j = j0; j < j1; j++)
                    a0 += (unsigned __int128)xr[j] * p0[j];
                a0 = (a0 & P) + (a0 >> 61);
            }
            out[(size_t)r * R + t] = fv_modp_reduce(a0);
        }
    }
}

static int fv_modp_row_ok(const uint64_t *x, size_t len)
{
    uint64_t mx = 0;
    for (size_t j = 0; j < len; j++)
        mx = x[j] > mx ? x[j] : mx;
    return mx < VF_FV_PRIME;
}

/* What both the exact and the float check carry: the job's sizes, its kernel and how its
 * rows are handed out (fv_job_start, fv_job_phase). */
typedef struct {
    const fv_ops *ops;
    int mode;
    size_t m, k, n, R, slots;
    size_t tmp_stride;
    size_t gs;   /* rows per super-group */
    size_t next; /* the next group of rows to hand out */
} fv_job;

static void fv_job_start(fv_job *J, const fv_ops *ops, int mode, size_t m, size_t k, size_t n,
                         size_t rounds, const fv_layout *L)
{
    J->ops = ops;
    J->mode = mode;
    J->m = m;
    J->k = k;
    J->n = n;
    J->R = rounds;
    J->tmp_stride = L->per_slot_tmp;
    J->gs = fv_super_rows(rounds);
}

/* One phase over `rows` rows on at most `slots` threads, each slot taking groups of rows. */
static void fv_job_phase(fv_job *J, size_t slots, size_t rows, size_t work_per_row,
                         vf_range_fn fn, void *ctx)
{
    J->slots = fv_use_slots(slots, rows, work_per_row);
    J->next = 0;
    vf__parallel((int)J->slots, J->slots, 1, fn, ctx);
}

typedef struct {
    fv_job j;
    const uint64_t *a, *b, *c, *pr;
    uint64_t *Y, *tmp;
    uint8_t *row_bad;
    int status[FV_SLOTS];
} fve_ctx;

static void fve_phase_b(void *vctx, size_t s_lo, size_t s_hi)
{
    fve_ctx *X = vctx;
    for (size_t s = s_lo; s < s_hi; s++) {
        uint64_t *tmp = X->tmp + s * X->j.tmp_stride;
        size_t l, hi;
        while (fv_next_group(&X->j.next, X->j.k, X->j.gs, &l, &hi)) {
            int g = (int)(hi - l);
            const uint64_t *xs[FV_GSMAX];
            for (int i = 0; i < g; i++) {
                xs[i] = X->b + (l + (size_t)i) * X->j.n;
                if (X->j.mode == VF_FV_MODP && !fv_modp_row_ok(xs[i], X->j.n))
                    X->status[s] = VF_E_RANGE;
            }
            if (X->status[s])
                return;
            if (X->j.mode == VF_FV_MODP)
                fv_modp_panel(xs, g, X->j.n, X->pr, X->j.n, X->j.R, tmp);
            else
                X->j.ops->panel_u(xs, g, X->j.n, X->pr, X->j.n, X->j.R, tmp);
            for (int i = 0; i < g; i++)
                for (size_t t = 0; t < X->j.R; t++)
                    X->Y[t * X->j.k + l + (size_t)i] = tmp[(size_t)i * X->j.R + t];
        }
    }
}

static void fve_phase_ac(void *vctx, size_t s_lo, size_t s_hi)
{
    fve_ctx *X = vctx;
    for (size_t s = s_lo; s < s_hi; s++) {
        uint64_t *ta = X->tmp + s * X->j.tmp_stride, *tc = ta + X->j.gs * X->j.R;
        size_t i0, hi;
        while (fv_next_group(&X->j.next, X->j.m, X->j.gs, &i0, &hi)) {
            int g = (int)(hi - i0);
            const uint64_t *as[FV_GSMAX], *cs[FV_GSMAX];
            for (int i = 0; i < g; i++) {
                as[i] = X->a + (i0 + (size_t)i) * X->j.k;
                cs[i] = X->c + (i0 + (size_t)i) * X->j.n;
                if (X->j.mode == VF_FV_MODP &&
                    (!fv_modp_row_ok(as[i], X->j.k) || !fv_modp_row_ok(cs[i], X->j.n)))
                    X->status[s] = VF_E_RANGE;
            }
            if (X->status[s])
                return;
            if (X->j.mode == VF_FV_MODP) {
                fv_modp_panel(as, g, X->j.k, X->Y, X->j.k, X->j.R, ta);
                fv_modp_panel(cs, g, X->j.n, X->pr, X->j.n, X->j.R, tc);
            } else {
                X->j.ops->panel_u(as, g, X->j.k, X->Y, X->j.k, X->j.R, ta);
                X->j.ops->panel_u(cs, g, X->j.n, X->pr, X->j.n, X->j.R, tc);
            }
            for (int i = 0; i < g; i++) {
                uint8_t bad = 0;
                for (size_t t = 0; t < X->j.R; t++)
                    bad |= ta[(size_t)i * X->j.R + t] != tc[(size_t)i * X->j.R + t];
                X->row_bad[i0 + (size_t)i] = bad;
            }
        }
    }
}

/* The checks both entry points start with: operands, kernel, rounds. */
static int fv_begin(int mode, int kernel, const void *a, size_t a_bytes, const void *b,
                    size_t b_bytes, const void *c, size_t c_bytes, size_t m, size_t k, size_t n,
                    size_t rounds, const fv_ops **ops)
{
    int rc = fv_check_common(mode, a, a_bytes, b, b_bytes, c, c_bytes, m, k, n);
    if (rc)
        return rc;
    *ops = fv_pick(kernel);
    if (!*ops)
        return kernel == VF_FV_KERNEL_AUTO || (kernel >= 0 && kernel <= 2) ? VF_E_BACKEND
                                                                            : VF_E_ARG;
    if (rounds < 1 || rounds > VF_FV_MAX_ROUNDS)
        return VF_E_ARG;
    return VF_OK;
}

int vf_freivalds_exact(int mode, int kernel, const void *a, size_t a_bytes, const void *b,
                       size_t b_bytes, const void *c, size_t c_bytes, size_t m, size_t k, size_t n,
                       const uint64_t *probes, size_t probes_len, size_t rounds, void *work,
                       size_t work_bytes, uint8_t *row_bad, size_t row_bad_len, int nthreads)
{
    if (mode != VF_FV_INT64 && mode != VF_FV_MODP)
        return VF_E_ARG;
    const fv_ops *ops = NULL;
    int rc = fv_begin(mode, kernel, a, a_bytes, b, b_bytes, c, c_bytes, m, k, n, rounds, &ops);
    if (rc)
        return rc;
    size_t rn, need;
    if (!vf__mul_ok(rounds, n, &rn))
        return VF_E_OVERFLOW;
    if ((!probes && rn) || (!row_bad && m) || !work)
        return VF_E_NULL;
    if (probes_len != rn || row_bad_len < m)
        return VF_E_LENGTH;
    if ((uintptr_t)work % 8 || (uintptr_t)probes % 8)
        return VF_E_ARG;
    size_t slots = fv_slots(nthreads);
    fv_layout L;
    if (!fv_layout_for(mode, k, n, rounds, slots, &L))
        return VF_E_OVERFLOW;
    need = L.total * 8;
    if (work_bytes < need)
        return VF_E_LENGTH;
    if (mode == VF_FV_MODP)
        for (size_t i = 0; i < rn; i++)
            if (probes[i] >= VF_FV_PRIME)
                return VF_E_RANGE;

    uint64_t *w = work;
    fve_ctx X;
    memset(&X, 0, sizeof X);
    fv_job_start(&X.j, ops, mode, m, k, n, rounds, &L);
    X.a = a;
    X.b = b;
    X.c = c;
    X.pr = probes;
    X.Y = w + L.y;
    X.tmp = w + L.tmp;
    X.row_bad = row_bad;

    fv_job_phase(&X.j, slots, k, n * rounds, fve_phase_b, &X);
    for (size_t s = 0; s < X.j.slots; s++)
        if (X.status[s])
            return X.status[s];
    fv_job_phase(&X.j, slots, m, (k + n) * rounds, fve_phase_ac, &X);
    for (size_t s = 0; s < X.j.slots; s++)
        if (X.status[s])
            return X.status[s];
    return VF_OK;
}

/* ---- float modes -------------------------------------------------------------------------- */

typedef struct {
    fv_job j;
    const uint8_t *a, *b, *c;
    const double *pr;
    double *Y; /* B P^T, the R values of row l at Y + l R */
    double *nb, *yerr, *mx, *yb, *tmp;
    double *pi, *yi; /* the probes and Y interleaved (fv_interleave) */
    const uint8_t *fp; /* panel_fr's patterns and signs (fv_fr_tables), or NULL */
    const double *fs;
    size_t w;        /* the kernel's lanes */
    double ey, gA, gC, gB, tscale;
    size_t scratch_words;
    double *out;
    int bad[FV_SLOTS]; /* a non-finite value appeared in this slot */
} fvf_ctx;

/* sigma = 2^e >= 2 n max|b| so that the high parts of a row sum exactly (docs/FREIVALDS.md). */
static int fv_sigma_exp(double mx, size_t n)
{
    if (mx == 0.0)
        return -1000;
    if (!(mx <= 0x1p1023))
        return 2000; /* NaN or infinity: it shows up as a non-finite result */
    int pw = 0;
    while (((size_t)1 << pw) < 2 * n)
        pw++;
    int e = ilogb(mx) + 1 + pw;
    return e < -1000 ? -1000 : e;
}

/*
 * Where value t of position j goes when R probes are interleaved for a kernel of w lanes:
 * the R values of one vector step are consecutive, so one tile of every probe is one
 * contiguous block (probes one per row, at strides that are multiples of 4 KiB, would
 * share L1 sets with each other and with the rows they multiply).  The panels read it
 * with pt = w, pj = R.
 */
static inline size_t fv_ipos(size_t t, size_t j, size_t R, size_t w)
{
    return (j / w) * R * w + t * w + j % w;
}

/* The same, without a division per value: block by block of w positions. */
static void fv_interleave(const double *src, size_t R, size_t len, size_t w, double *dst)
{
    for (size_t j0 = 0; j0 < len; j0 += w) {
        size_t cnt = len - j0 < w ? len - j0 : w;
        double *d = dst + fv_ipos(0, j0, R, w);
        for (size_t t = 0; t < R; t++)
            memcpy(d + t * w, src + t * len + j0, cnt * sizeof(double));
    }
}

/*
 * For panel_fr: per group c of 4 probe columns and round t, pat = the signs of
 * r_t[4c + a] r_t[4c] for a = 1, 2, 3 as bits 0, 1, 2 (set: -1) and sgn = r_t[4c]
 * (columns past len count as +1; they multiply zeros).
 */
static void fv_fr_tables(const double *probes, size_t R, size_t len, uint8_t *pat, double *sgn)
{
    for (size_t c = 0; c < (len + 3) / 4; c++)
        for (size_t t = 0; t < R; t++) {
            const double *p = probes + t * len + 4 * c;
            double s0 = p[0];
            unsigned bits = 0;
            for (size_t a = 1; a < 4 && 4 * c + a < len; a++)
                bits |= (unsigned)(p[a] != s0) << (a - 1);
            pat[c * R + t] = (uint8_t)bits;
            sgn[c * R + t] = s0;
        }
}

/* Roundings of a term in panel_fr (a low part) and panel_frs: its group's sum (3), the
 * tile (FV_FRT / 4 groups), the tile totals (up to FV_FRF), their sums (one per FV_FRF
 * tiles), one spare. */
static double fv_nround_fr(size_t len)
{
    size_t tiles = (len + FV_FRT - 1) / FV_FRT;
    return (double)(3 + FV_FRT / 4 + (tiles < FV_FRF ? tiles : FV_FRF) +
                    (tiles + FV_FRF - 1) / FV_FRF + 1);
}

static void fvf_phase_b(void *vctx, size_t s_lo, size_t s_hi)
{
    fvf_ctx *X = vctx;
    const size_t n = X->j.n, k = X->j.k, R = X->j.R;
    for (size_t s = s_lo; s < s_hi; s++) {
        double *scr = X->tmp + s * X->j.tmp_stride, *tmp = scr + X->scratch_words;
        if (X->j.mode == VF_FV_FLOAT64) {
            const double *B = (const double *)(const void *)X->b;
            /* the next group is claimed before this one is worked on, so that its rows are
             * read into L2 while this group's products are computed (panel_x) */
            size_t l, hi, nl = 0, nhi = 0;
            int have = fv_next_group(&X->j.next, k, FV_G, &l, &hi);
            if (have) {
                const double *xs[FV_G];
                for (int i = 0; i < (int)(hi - l); i++)
                    xs[i] = B + (l + (size_t)i) * n;
                X->j.ops->brow_d(xs, (int)(hi - l), n, &X->nb[l], &X->mx[l / FV_G]);
            }
            while (have) {
                int g = (int)(hi - l), more = fv_next_group(&X->j.next, k, FV_G, &nl, &nhi);
                const double *xs[FV_G], *nx[FV_G];
                double sigma[FV_G], elo[FV_G];
                for (int i = 0; i < g; i++)
                    xs[i] = B + (l + (size_t)i) * n;
                for (int i = 0; more && i < (int)(nhi - nl); i++)
                    nx[i] = B + (nl + (size_t)i) * n;
                for (int i = 0; i < g; i++) {
                    /* sqrt(sum b^2) >= max |b|, widened for squares that underflow */
                    double bound = sqrt(X->nb[l + (size_t)i]) + sqrt((double)n) * 0x1p-537;
                    int e = fv_sigma_exp(bound, n);
                    sigma[i] = e > 1023 ? HUGE_VAL : ldexp(1.0, e);
                    elo[i] = e > 1023 ? HUGE_VAL : ldexp(1.0, e - 53);
                }
                if (X->fp) {
                    /* FV_W rows at a time; the next group's rows are prefetched by the first */
                    for (int r0 = 0; r0 < g; r0 += (int)X->w) {
                        int gr = g - r0 < (int)X->w ? g - r0 : (int)X->w;
                        X->j.ops->panel_fr(xs + r0, gr, sigma + r0, n, X->fp, X->fs, R,
                                           tmp + (size_t)r0 * R, tmp + (size_t)(FV_G + r0) * R,
                                           scr, nx, more && r0 == 0 ? (int)(nhi - nl) : 0);
                    }
                } else {
                    X->j.ops->panel_x(xs, g, sigma, n, X->pi, X->w, R, R, tmp,
                                      tmp + (size_t)FV_G * R, scr, nx, more ? (int)(nhi - nl) : 0);
                }
                for (int i = 0; i < g; i++) {
                    double *yi = X->yi + fv_ipos(0, l + (size_t)i, R, X->w);
                    for (size_t t = 0; t < R; t++)
                        X->Y[(l + (size_t)i) * R + t] = yi[t * X->w] =
                            tmp[(size_t)i * R + t] + tmp[(size_t)(FV_G + i) * R + t];
                    X->yerr[l + (size_t)i] = X->gB * (double)n * elo[i] + FV_ETA64;
                }
                if (!more)
                    break;
                l = nl;
                hi = nhi;
                for (int i = 0; i < (int)(hi - l); i++)
                    xs[i] = B + (l + (size_t)i) * n;
                X->j.ops->brow_d(xs, (int)(hi - l), n, &X->nb[l], &X->mx[l / FV_G]);
            }
        } else {
            const float *B = (const float *)(const void *)X->b;
            size_t l, hi;
            while (fv_next_group(&X->j.next, k, FV_G, &l, &hi)) {
                int g = (int)(hi - l);
                const float *xs[FV_G];
                for (int i = 0; i < g; i++)
                    xs[i] = B + (l + (size_t)i) * n;
                if (X->fp)
                    for (int r0 = 0; r0 < g; r0 += (int)X->w)
                        X->j.ops->panel_frs_f(xs + r0, g - r0 < (int)X->w ? g - r0 : (int)X->w, n,
                                              X->fp, X->fs, R, tmp + (size_t)r0 * R,
                                              &X->nb[l + (size_t)r0], scr);
                else
                    X->j.ops->panel_f(xs, g, n, X->pi, X->w, R, R, tmp, NULL, &X->nb[l], NULL,
                                      scr);
                double share = 0.0; /* this group's share of ||B||_F^2 >= of any column norm^2 */
                for (int i = 0; i < g; i++) {
                    double *yi = X->yi + fv_ipos(0, l + (size_t)i, R, X->w);
                    for (size_t t = 0; t < R; t++)
                        X->Y[(l + (size_t)i) * R + t] = yi[t * X->w] = tmp[(size_t)i * R + t];
                    /* products with +-1 are exact; sum |b| <= sqrt(n sum b^2) */
                    X->yerr[l + (size_t)i] = X->gB * sqrt((double)n * X->nb[l + (size_t)i]);
                    share += X->nb[l + (size_t)i];
                }
                X->mx[l / FV_G] = share;
            }
        }
    }
}

static void fvf_phase_ac(void *vctx, size_t s_lo, size_t s_hi)
{
    fvf_ctx *X = vctx;
    const size_t n = X->j.n, k = X->j.k, R = X->j.R, m = X->j.m;
    const int f64 = X->j.mode == VF_FV_FLOAT64;
    const double eta_in = f64 ? FV_ETA64 : FV_ETA32;
    const double u = FV_U64;
    const double floor_t = (double)n * ((double)k + 2.0) * eta_in;
    for (size_t s = s_lo; s < s_hi; s++) {
        double *scr = X->tmp + s * X->j.tmp_stride, *ta = scr + X->scratch_words;
        double *tc = ta + X->j.gs * R;
        size_t i0, hi;
        while (fv_next_group(&X->j.next, m, X->j.gs, &i0, &hi)) {
            int g = (int)(hi - i0);
            double sa2[FV_GSMAX], sa2w[FV_GSMAX], sc2[FV_GSMAX];
            /* A (B P^T) with the statistics of A, then C P^T (Four-Russians sums for many
             * rounds, W rows at a time), for float64 or float32 rows */
#define FV_AC_PASS(XT, PANEL, FRS)                                                               \
    do {                                                                                         \
        const XT *A = (const XT *)(const void *)X->a, *C = (const XT *)(const void *)X->c;       \
        const XT *as[FV_GSMAX], *cs[FV_GSMAX];                                                   \
        for (int i = 0; i < g; i++) {                                                            \
            as[i] = A + (i0 + (size_t)i) * k;                                                    \
            cs[i] = C + (i0 + (size_t)i) * n;                                                    \
        }                                                                                        \
        X->j.ops->PANEL(as, g, k, X->yi, X->w, R, R, ta, X->nb, sa2, sa2w, scr);                 \
        if (X->fp)                                                                               \
            for (int r0 = 0; r0 < g; r0 += (int)X->w)                                            \
                X->j.ops->FRS(cs + r0, g - r0 < (int)X->w ? g - r0 : (int)X->w, n, X->fp, X->fs, \
                              R, tc + (size_t)r0 * R, sc2 + r0, scr);                            \
        else                                                                                     \
            X->j.ops->PANEL(cs, g, n, X->pi, X->w, R, R, tc, NULL, sc2, NULL, scr);              \
    } while (0)
            if (f64)
                FV_AC_PASS(double, panel_d, panel_frs_d);
            else
                FV_AC_PASS(float, panel_f, panel_frs_f);
#undef FV_AC_PASS
            if (k == 0)
                for (int i = 0; i < g; i++)
                    sa2[i] = sa2w[i] = 0.0;
            if (n == 0)
                for (int i = 0; i < g; i++)
                    sc2[i] = 0.0;
            for (int i = 0; i < g; i++) {
                size_t row = i0 + (size_t)i;
                /* squares below 2^-1022 may underflow: each loses at most 2^-1074 */
                double ra = sqrt(sa2[i]) + sqrt((double)k) * 0x1p-537;
                double rc = sqrt((double)n * sc2[i]) + (double)n * 0x1p-537;
                double resid = 0.0, kmax = 0.0;
                int finite = isfinite(ra) && isfinite(rc) && isfinite(sa2w[i]);
                for (size_t t = 0; t < R; t++) {
                    double d = tc[(size_t)i * R + t] - ta[(size_t)i * R + t];
                    double ad = fabs(d);
                    finite &= isfinite(ad);
                    resid = ad > resid ? ad : resid;
                    double kt = ra * ((X->gA + 2.0 * u) * X->yb[t] + X->ey) +
                                (X->gC + u) * rc + ((double)k + 4.0) * FV_ETA64;
                    kmax = kt > kmax ? kt : kmax;
                }
                double thr = X->tscale * sqrt(sc2[i] + sa2w[i]) + floor_t;
                finite &= isfinite(thr) && isfinite(kmax);
                if (!finite)
                    X->bad[s] = 1;
                X->out[row] = resid;
                X->out[m + row] = thr;
                X->out[2 * m + row] = kmax * (1.0 + 0x1p-20);
            }
        }
    }
}

/*
 * An upper bound on the 2-norm of x[0], x[stride], ... (count values) that neither
 * underflows nor overflows: the values are scaled by a power of two near their
 * largest magnitude first (NaN or infinity in, NaN or infinity out).
 */
static double fv_norm_upper(const double *x, size_t count, size_t stride)
{
    double mx = 0.0, s2 = 0.0;
    for (size_t i = 0; i < count; i++) {
        double v = fabs(x[i * stride]);
        if (!(v <= mx))
            mx = v;
    }
    if (mx == 0.0 || !isfinite(mx))
        return mx;
    int e = ilogb(mx) + 1;
    if (e > -1000 && e < 1000) {
        double scale = ldexp(1.0, -e); /* a normal power of two: the products are ldexp's */
        for (size_t i = 0; i < count; i++) {
            double v = x[i * stride] * scale; /* |v| < 1, exact unless it underflows */
            s2 += v * v;
        }
    } else {
        for (size_t i = 0; i < count; i++) {
            double v = ldexp(x[i * stride], -e);
            s2 += v * v;
        }
    }
    /* each scaled square is off by at most u relative or 2^-1074 absolute; the largest is
     * >= 1/4, so a relative widening of 2^-40 covers every rounding and underflow here */
    return ldexp(sqrt(s2) * (1.0 + 0x1p-40), e);
}

static int fv_all_finite_d(const double *x, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

static int fv_all_finite_f(const float *x, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* Something overflowed or an input is not finite: tell the two apart. */
static int fv_nonfinite_status(int mode, const void *a, const void *b, const void *c, size_t m,
                               size_t k, size_t n)
{
    int ok;
    if (mode == VF_FV_FLOAT64)
        ok = fv_all_finite_d(a, m * k) && fv_all_finite_d(b, k * n) && fv_all_finite_d(c, m * n);
    else
        ok = fv_all_finite_f(a, m * k) && fv_all_finite_f(b, k * n) && fv_all_finite_f(c, m * n);
    return ok ? VF_E_RANGE : VF_E_NONFINITE;
}

int vf_freivalds_float(int mode, int kernel, const void *a, size_t a_bytes, const void *b,
                       size_t b_bytes, const void *c, size_t c_bytes, size_t m, size_t k, size_t n,
                       const double *probes, size_t probes_len, size_t rounds, void *work,
                       size_t work_bytes, double *out, size_t out_len, int nthreads)
{
    if (mode != VF_FV_FLOAT32 && mode != VF_FV_FLOAT64)
        return VF_E_ARG;
    const fv_ops *ops = NULL;
    int rc = fv_begin(mode, kernel, a, a_bytes, b, b_bytes, c, c_bytes, m, k, n, rounds, &ops);
    if (rc)
        return rc;
    size_t rn, m3;
    if (!vf__mul_ok(rounds, n, &rn) || !vf__mul_ok(m, 3, &m3))
        return VF_E_OVERFLOW;
    if ((!probes && rn) || (!out && m) || !work)
        return VF_E_NULL;
    if (probes_len != rn || out_len < m3)
        return VF_E_LENGTH;
    if ((uintptr_t)work % 8 || (uintptr_t)probes % 8 || (uintptr_t)out % 8)
        return VF_E_ARG;
    int bad_probe = 0;
    for (size_t i = 0; i < rn; i++)
        bad_probe |= fabs(probes[i]) != 1.0; /* NaN too */
    if (bad_probe)
        return VF_E_ARG;
    size_t slots = fv_slots(nthreads);
    fv_layout L;
    if (!fv_layout_for(mode, k, n, rounds, slots, &L))
        return VF_E_OVERFLOW;
    if (work_bytes < L.total * 8)
        return VF_E_LENGTH;

    double *w = work;
    fvf_ctx X;
    memset(&X, 0, sizeof X);
    fv_job_start(&X.j, ops, mode, m, k, n, rounds, &L);
    X.a = a;
    X.b = b;
    X.c = c;
    X.pr = probes;
    X.Y = w + L.y;
    X.pi = w + L.pi;
    X.yi = w + L.yi;
    X.w = (size_t)ops->lanes;
    X.nb = w + L.nb;
    X.yerr = w + L.yerr;
    X.mx = w + L.mx;
    X.yb = w + L.yb;
    X.tmp = w + L.tmp;
    X.out = out;
    if (fv_use_fr(mode, rounds)) {
        /* B P^T and C P^T through the sums of panel_fr / panel_frs: the tables replace
         * the interleaved probes, which nothing reads then */
        uint8_t *pat = (uint8_t *)(void *)(w + L.fp);
        fv_fr_tables(probes, rounds, n, pat, w + L.fs);
        X.fp = pat;
        X.fs = w + L.fs;
    } else {
        fv_interleave(probes, rounds, n, X.w, X.pi);
    }
    X.scratch_words = L.scratch_words;
    /* roundings of a term in the products of length n (B P^T and C P^T) and k (A Y) */
    double nrc = X.fp ? fv_nround_fr(n) : fv_nround(n, ops->lanes);
    X.gB = fv_gamma(nrc, FV_U64);
    X.gA = fv_gamma(fv_nround(k, ops->lanes), FV_U64);
    X.gC = fv_gamma(nrc, FV_U64);
    {
        /* the tight threshold: honest rounding u_in sqrt(k), and the check's own (double)
         * rounding u sqrt(n_r) for the longest chain it runs (docs/FREIVALDS.md) */
        double nr = fv_nround(k, ops->lanes);
        double u_in = mode == VF_FV_FLOAT64 ? FV_U64 : FV_U32;
        X.tscale = FV_TAU * (u_in * sqrt((double)k) + FV_U64 * sqrt(nr > nrc ? nr : nrc));
    }

    /* phase 1: Y = B P^T with the row norms of B and bounds on its column norms */
    fv_job_phase(&X.j, slots, k, n * rounds * 2, fvf_phase_b, &X);
    if (n == 0)
        for (size_t l = 0; l < k; l++)
            X.nb[l] = X.mx[l] = X.yerr[l] = 0.0;

    /* the flip-robust bounds Yb_t >= ||B r|| for r = r_t and its one-sign flips (docs) */
    int finite = fv_all_finite_d(X.nb, k) && fv_all_finite_d(X.yerr, k) &&
                 fv_all_finite_d(X.Y, rounds * k);
    /* every column norm^2 of B is at most the sum over row groups of the group's largest
     * column share (squares that underflow lose at most 2^-1074 each) */
    double cmax2 = 0.0;
    for (size_t g = 0; g < k / FV_G + (k % FV_G != 0); g++)
        cmax2 += X.mx[g];
    double cmax = sqrt(cmax2) * (1.0 + 0x1p-40) + sqrt((double)k) * 0x1p-537;
    X.ey = fv_norm_upper(X.yerr, k, 1) + sqrt((double)k) * FV_ETA64;
    finite &= isfinite(cmax) && isfinite(X.ey);
    for (size_t t = 0; t < rounds; t++) {
        X.yb[t] = (1.0 + 3.0 * FV_U64) * fv_norm_upper(X.Y + t, k, rounds) +
                  2.0 * (1.0 + FV_U64) * cmax + 3.0 * X.ey;
        finite &= isfinite(X.yb[t]) != 0;
    }
    if (!finite)
        return fv_nonfinite_status(mode, a, b, c, m, k, n);

    /* phase 2: A (B P^T) and C P^T, row by row */
    fv_job_phase(&X.j, slots, m, (k + n) * rounds, fvf_phase_ac, &X);
    for (size_t s = 0; s < X.j.slots; s++)
        if (X.bad[s])
            return fv_nonfinite_status(mode, a, b, c, m, k, n);
    return VF_OK;
}

/* ---- exact recomputation of flagged rows -------------------------------------------------- */

int vf_freivalds_recheck_work_size(size_t n, size_t nrows, size_t *out_bytes)
{
    size_t chunks = n / FV_RCJ + (n % FV_RCJ != 0), t;
    if (!out_bytes)
        return VF_E_NULL;
    if (!vf__mul_ok(chunks, nrows, &t) || !vf__mul_ok(t, FV_RC_OUT * sizeof(double), &t))
        return VF_E_OVERFLOW;
    *out_bytes = t;
    return VF_OK;
}

typedef struct {
    const fv_ops *ops;
    int mode;
    const uint8_t *a, *b, *c;
    size_t m, k, n, nrows, chunks, groups;
    const uint64_t *rows;
    double *part; /* [row][chunk][FV_RC_OUT] */
} fvr_ctx;

static void fvr_unit(void *vctx, size_t lo, size_t hi)
{
    fvr_ctx *X = vctx;
    const size_t k = X->k, n = X->n;
    const int f64 = X->mode == VF_FV_FLOAT64;
    const double u = FV_U64;
    /* honest bound G = gamma_{k+2}(u_in) sum|a b| + 2 (k+2) eta_in, widened for the rounding
     * of sum|a b| itself; errS bounds the error of the recomputed value */
    const double g_in = fv_gamma((double)k + 2.0, f64 ? FV_U64 : FV_U32);
    const int vacuous = g_in == HUGE_VAL; /* (k + 2) u_in >= 1: no entry can be ruled out */
    const double eta_in = f64 ? FV_ETA64 : FV_ETA32;
    const double widen = 1.0 + fv_gamma((double)k + 2.0, FV_U64);
    const double g_s = f64 ? 2.0 * ((double)k + 2.0) * ((double)k + 2.0) * u * u
                           : fv_gamma((double)k + 1.0, FV_U64);
    double s1[4 * FV_RCJ], s2[4 * FV_RCJ], s3[4 * FV_RCJ];
    for (size_t unit = lo; unit < hi; unit++) {
        size_t gidx = unit / X->chunks, ch = unit % X->chunks;
        size_t r0 = gidx * 4, j0 = ch * FV_RCJ;
        int nr = X->nrows - r0 < 4 ? (int)(X->nrows - r0) : 4;
        size_t jl = n - j0 < FV_RCJ ? n - j0 : FV_RCJ;
        if (f64) {
            const double *ar[4];
            for (int r = 0; r < nr; r++)
                ar[r] = (const double *)(const void *)X->a + X->rows[r0 + (size_t)r] * k;
            X->ops->recheck_f64(ar, nr, (const double *)(const void *)X->b, k, n, j0, jl, s1, s2,
                                s3);
        } else {
            const float *ar[4];
            for (int r = 0; r < nr; r++)
                ar[r] = (const float *)(const void *)X->a + X->rows[r0 + (size_t)r] * k;
            X->ops->recheck_f32(ar, nr, (const float *)(const void *)X->b, k, n, j0, jl, s1, s2);
        }
        for (int r = 0; r < nr; r++) {
            size_t row = X->rows[r0 + (size_t)r];
            double count = 0.0, worst = -1.0, wcol = 0.0, wval = 0.0, sse = 0.0;
            for (size_t j = 0; j < jl; j++) {
                double cij, diff, ab, exact, bound;
                if (f64) {
                    cij = ((const double *)(const void *)X->c)[row * n + j0 + j];
                    double hi_ = s1[r * FV_RCJ + j], lo_ = s2[r * FV_RCJ + j];
                    ab = s3[r * FV_RCJ + j];
                    diff = fabs((cij - hi_) - lo_);
                    exact = hi_ + lo_;
                    double G = vacuous ? HUGE_VAL
                                       : g_in * ab * widen + 2.0 * ((double)k + 2.0) * eta_in;
                    double errS = g_s * ab + 2.0 * ((double)k + 2.0) * FV_ETA64;
                    bound = (G + errS + u * fabs(lo_)) * (1.0 + 8.0 * u);
                } else {
                    cij = ((const float *)(const void *)X->c)[row * n + j0 + j];
                    exact = s1[r * FV_RCJ + j];
                    ab = s2[r * FV_RCJ + j];
                    diff = fabs(cij - exact);
                    double G = vacuous ? HUGE_VAL
                                       : g_in * ab * widen + 2.0 * ((double)k + 2.0) * eta_in;
                    double errS = g_s * ab;
                    bound = (G + errS) * (1.0 + 8.0 * u);
                }
                double ratio = diff / bound; /* bound > 0: it holds 2 (k+2) eta */
                sse += diff * diff;
                if (ratio > 1.0)
                    count += 1.0;
                if (ratio > worst) {
                    worst = ratio;
                    wcol = (double)(j0 + j);
                    wval = exact;
                }
            }
            double *p = X->part + ((r0 + (size_t)r) * X->chunks + ch) * FV_RC_OUT;
            p[0] = count;
            p[1] = wcol;
            p[2] = worst;
            p[3] = wval;
            p[4] = sse;
        }
    }
}

int vf_freivalds_recheck(int mode, int kernel, const void *a, size_t a_bytes, const void *b,
                         size_t b_bytes, const void *c, size_t c_bytes, size_t m, size_t k,
                         size_t n, const uint64_t *rows, size_t nrows, void *work,
                         size_t work_bytes, double *out, size_t out_len, int nthreads)
{
    if (mode != VF_FV_FLOAT32 && mode != VF_FV_FLOAT64)
        return VF_E_ARG;
    int rc = fv_check_common(mode, a, a_bytes, b, b_bytes, c, c_bytes, m, k, n);
    if (rc)
        return rc;
    const fv_ops *ops = fv_pick(kernel);
    if (!ops)
        return kernel == VF_FV_KERNEL_AUTO || (kernel >= 0 && kernel <= 2) ? VF_E_BACKEND
                                                                            : VF_E_ARG;
    size_t need, o4;
    if (!vf__mul_ok(nrows, FV_RC_OUT, &o4))
        return VF_E_OVERFLOW;
    rc = vf_freivalds_recheck_work_size(n, nrows, &need);
    if (rc)
        return rc;
    if ((!rows && nrows) || (!out && nrows) || (!work && need))
        return VF_E_NULL;
    if (out_len < o4 || work_bytes < need)
        return VF_E_LENGTH;
    if ((uintptr_t)work % 8 || (uintptr_t)out % 8 || (uintptr_t)rows % 8)
        return VF_E_ARG;
    for (size_t r = 0; r < nrows; r++)
        if (rows[r] >= m)
            return VF_E_RANGE;
    fvr_ctx X;
    memset(&X, 0, sizeof X);
    X.ops = ops;
    X.mode = mode;
    X.a = a;
    X.b = b;
    X.c = c;
    X.m = m;
    X.k = k;
    X.n = n;
    X.rows = rows;
    X.nrows = nrows;
    X.chunks = n / FV_RCJ + (n % FV_RCJ != 0);
    X.groups = nrows / 4 + (nrows % 4 != 0);
    X.part = work;
    size_t units = X.chunks * X.groups;
    if (units)
        vf__parallel(nthreads, units, 1, fvr_unit, &X);
    for (size_t r = 0; r < nrows; r++) {
        double count = 0.0, worst = 0.0, wcol = 0.0, wval = 0.0, sse = 0.0;
        for (size_t ch = 0; ch < X.chunks; ch++) {
            const double *p = X.part + (r * X.chunks + ch) * FV_RC_OUT;
            count += p[0];
            sse += p[4];
            if (p[2] > worst || ch == 0) {
                worst = p[2];
                wcol = p[1];
                wval = p[3];
            }
        }
        out[FV_RC_OUT * r] = count;
        out[FV_RC_OUT * r + 1] = wcol;
        out[FV_RC_OUT * r + 2] = worst;
        out[FV_RC_OUT * r + 3] = wval;
        out[FV_RC_OUT * r + 4] = sse;
    }
    return VF_OK;
}
