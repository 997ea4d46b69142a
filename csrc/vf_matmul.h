/*
 * vf_matmul.h - dense matrix products C = A @ B (matmul.c).
 *
 * A is m x k, B is k x n, C is m x n, all row-major and C-contiguous, with
 * elements of the mode's type:
 *
 *   VF_MM_INT64    int64, exact and wrapping: C = A @ B mod 2^64.
 *   VF_MM_MODP     int64 in, int64 out: C = A @ B mod p, p = 2^61 - 1.  Any
 *                  int64 input is first reduced into [0, p) (its value mod
 *                  p); every output lies in [0, p).
 *   VF_MM_FLOAT32  float32, deterministic (below).
 *   VF_MM_FLOAT64  float64, deterministic (below).
 *
 * Deterministic floats: C[i][j] is the left-to-right chain of fused
 * multiply-adds  s = +0;  s = fma(A[i][l], B[l][j], s) for l = 0 .. k-1,
 * each rounded once to the element type.  Every kernel, blocking and thread
 * count computes exactly that chain (blocks along k carry the running sum
 * through C), so the bits of C depend on A and B alone.  The floating-point
 * environment is set to the IEEE defaults (round to nearest even, no
 * flush-to-zero, no denormals-are-zero) for the call.  A NaN or an infinity
 * in A or B is refused with VF_E_NONFINITE; with finite inputs C holds no NaN
 * (once a chain overflows to +-inf, adding exact finite products keeps it
 * there).
 *
 * The integer modes are exact, so any summation order gives the same result.
 *
 * The caller allocates C and a scratch workspace of the size that
 * vf_matmul_workspace_size reports (an upper bound valid for every kernel).
 * Rows of C are shared among up to nthreads threads; each row is computed by
 * one thread, so the result never depends on the thread count.
 */
#ifndef VF_MATMUL_H
#define VF_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#define VF_MM_INT64 0
#define VF_MM_MODP 1
#define VF_MM_FLOAT32 2
#define VF_MM_FLOAT64 3

/* The prime modulus of VF_MM_MODP: the Mersenne prime 2^61 - 1. */
#define VF_MM_MODULUS 2305843009213693951ULL

/* Kernels, chosen once from the CPU (the fastest available) and overridable. */
#define VF_MM_KERNEL_PORTABLE 0
#define VF_MM_KERNEL_AVX2 1   /* AVX2 + FMA */
#define VF_MM_KERNEL_AVX512 2 /* AVX-512 F/DQ/VL (+ IFMA for mod p when present) */

int vf_matmul_kernel(void);
int vf_matmul_kernel_available(int kernel);
int vf_matmul_set_kernel(int kernel);

/* Bytes of workspace vf_matmul needs for these sizes and up to nthreads threads. */
int vf_matmul_workspace_size(int mode, size_t m, size_t k, size_t n, int nthreads,
                             size_t *out_bytes);

/*
 * C = A @ B.  a_len, b_len and c_len are byte lengths and must equal
 * m*k, k*n and m*n elements exactly; a, b and c must be aligned to the element
 * size.  work is scratch of at least vf_matmul_workspace_size bytes.  After
 * an error (VF_E_NONFINITE included) the contents of C are unspecified.
 */
int vf_matmul(int mode, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, size_t m,
              size_t k, size_t n, uint8_t *c, size_t c_len, uint8_t *work, size_t work_len,
              int nthreads);

#endif /* VF_MATMUL_H */
