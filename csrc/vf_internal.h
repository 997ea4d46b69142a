/*
 * vf_internal.h - helpers shared between the kernel's translation units.
 * Not part of the contract: nothing here is visible to Python.
 */
#ifndef VF_INTERNAL_H
#define VF_INTERNAL_H

#include "vf.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VF_X86 1
#else
#define VF_X86 0
#endif

/*
 * Hash `count` messages of equal length.  Message i is the optional one-byte
 * prefix (when has_prefix is non-zero) followed by `len` bytes at
 * base + i * stride.  Digest i goes to out + 32 * i.  Several messages are
 * kept in flight at once on the SHA-NI backend.
 */
void vf__sha256_uniform(int has_prefix, uint8_t prefix, const uint8_t *base, size_t stride,
                        size_t len, size_t count, uint8_t *out);

/* One message: optional prefix byte, then data[0:len]. */
void vf__sha256_one(int has_prefix, uint8_t prefix, const uint8_t *data, size_t len,
                    uint8_t *out);

/* Continue one SHA-256 state (host-order words) over nblocks whole 64-byte
 * blocks with the current backend: the building block of streaming hashes. */
void vf__sha256_compress(uint32_t state[8], const uint8_t *blocks, size_t nblocks);

/* Replace each of the `count` 32-byte values at `values` by SHA-256 applied
 * `steps` times (h <- SHA-256(h)); several values are kept in flight on SHA-NI. */
void vf__sha256_iterate32(uint8_t *values, size_t count, uint64_t steps);

/* Interior node hash of two children that need not be adjacent in memory. */
void vf__node_hash(int mode, const uint8_t *left, const uint8_t *right, uint8_t *out);

/*
 * Run fn(ctx, lo, hi) over [0, count) split into contiguous ranges, one per
 * thread (the calling thread takes the first).  Runs inline when nthreads <= 1
 * or when count < 2 * grain.  If a thread cannot be started its range runs
 * inline, so the result never depends on the number of threads.
 */
typedef void (*vf_range_fn)(void *ctx, size_t lo, size_t hi);
void vf__parallel(int nthreads, size_t count, size_t grain, vf_range_fn fn, void *ctx);

/* Checks that a * b fits in size_t; stores the product. Returns 0 on overflow. */
static inline int vf__mul_ok(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return 0;
    *out = a * b;
    return 1;
}

#endif /* VF_INTERNAL_H */
