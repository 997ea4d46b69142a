/*
 * vf_freivalds.h - Freivalds checks of a claimed matrix product C = A @ B.
 *
 * A is m x k, B is k x n, C is m x n, all row-major and C-contiguous.  The
 * caller draws `rounds` probe vectors (rows of the rounds x n matrix `probes`)
 * and the kernel computes, reading each matrix once for all rounds,
 *
 *     Y = B probes^T  (k x rounds),   then per row i:  A[i] Y  and  C[i] probes^T.
 *
 * Exact modes (int64 wrapping mod 2^64, modp mod 2^61 - 1) flag every row whose
 * two sides differ in some round.  Float modes report per row the largest
 * |C r - A (B r)| over the rounds, the row's tight threshold and a rigorous
 * bound on the check's own rounding error; rows over their threshold are then
 * settled entry by entry by vf_freivalds_recheck against a rigorous bound on
 * the rounding error of any honest (classical) product.  docs/FREIVALDS.md has
 * the formulas and the proofs.
 *
 * Buffer lengths are in bytes for the matrices and the workspace, in elements
 * for everything else.  The kernel allocates nothing: the caller sizes the
 * workspace with vf_freivalds_work_size / vf_freivalds_recheck_work_size.
 */
#ifndef VF_FREIVALDS_H
#define VF_FREIVALDS_H

#include <stddef.h>
#include <stdint.h>

/* Arithmetic modes (the same numbering as the matmul kernel). */
#define VF_FV_INT64 0
#define VF_FV_MODP 1
#define VF_FV_FLOAT32 2
#define VF_FV_FLOAT64 3

/* The prime of the modp mode, 2^61 - 1. */
#define VF_FV_PRIME 2305843009213693951ULL

/* Kernels (instruction sets); VF_FV_KERNEL_AUTO picks the best this CPU has. */
#define VF_FV_KERNEL_AUTO (-1)
#define VF_FV_KERNEL_PORTABLE 0
#define VF_FV_KERNEL_AVX2 1   /* AVX2 + FMA */
#define VF_FV_KERNEL_AVX512 2 /* AVX-512 F + DQ */

#define VF_FV_MAX_ROUNDS 4096

/* Doubles vf_freivalds_recheck writes per row. */
#define VF_FV_RECHECK_OUT 5

/* 1 if `kernel` runs on this CPU, else 0. */
int vf_freivalds_kernel_available(int kernel);
/* The kernel VF_FV_KERNEL_AUTO resolves to. */
int vf_freivalds_best_kernel(void);

/* Workspace bytes vf_freivalds_exact / vf_freivalds_float need. */
int vf_freivalds_work_size(int mode, size_t m, size_t k, size_t n, size_t rounds, int nthreads,
                           size_t *out_bytes);

/*
 * Exact modes.  probes: rounds x n uint64 (modp: each < p).  row_bad[i] is set
 * to 1 when row i of C disagrees with A @ B in some round, else 0.  modp
 * entries must be < p (VF_E_RANGE otherwise).
 */
int vf_freivalds_exact(int mode, int kernel, const void *a, size_t a_bytes, const void *b,
                       size_t b_bytes, const void *c, size_t c_bytes, size_t m, size_t k, size_t n,
                       const uint64_t *probes, size_t probes_len, size_t rounds, void *work,
                       size_t work_bytes, uint8_t *row_bad, size_t row_bad_len, int nthreads);

/*
 * Float modes.  probes: rounds x n doubles, each +1.0 or -1.0.  out holds 3*m
 * doubles: out[i] = max over rounds of |(C r)_i - (A (B r))_i| as computed,
 * out[m + i] = the tight threshold T_i, out[2m + i] = max over rounds of the
 * rigorous bound K_i on the check's own error (widened for the soundness
 * argument, see docs/FREIVALDS.md).  VF_E_NONFINITE if an input holds a NaN or
 * an infinity, VF_E_RANGE if finite inputs are too large for the check to run
 * without overflow.
 */
int vf_freivalds_float(int mode, int kernel, const void *a, size_t a_bytes, const void *b,
                       size_t b_bytes, const void *c, size_t c_bytes, size_t m, size_t k, size_t n,
                       const double *probes, size_t probes_len, size_t rounds, void *work,
                       size_t work_bytes, double *out, size_t out_len, int nthreads);

/* Workspace bytes vf_freivalds_recheck needs for `nrows` rows of n columns. */
int vf_freivalds_recheck_work_size(size_t n, size_t nrows, size_t *out_bytes);

/*
 * Float modes: recompute rows `rows[0..nrows)` of A @ B entry by entry in
 * extended precision and compare each c_ij with the exact value against the
 * rigorous bound G_ij on the error of any honest classical product.  out holds
 * 4*nrows doubles per listed row r: [4r] number of entries beyond the bound,
 * [4r+1] the column of the largest ratio |c_ij - exact_ij| / bound_ij,
 * [4r+2] that ratio (> 1 exactly when the entry is beyond the bound),
 * [4r+3] the exact value there (rounded to double).
 */
int vf_freivalds_recheck(int mode, int kernel, const void *a, size_t a_bytes, const void *b,
                         size_t b_bytes, const void *c, size_t c_bytes, size_t m, size_t k,
                         size_t n, const uint64_t *rows, size_t nrows, void *work,
                         size_t work_bytes, double *out, size_t out_len, int nthreads);

#endif /* VF_FREIVALDS_H */
