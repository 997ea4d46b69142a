/*
 * vf_hashwork.h - hash workloads: streaming SHA-256 and hash chains.
 *
 * Streaming SHA-256 lets Python digest chunks larger than its read window
 * (files larger than memory) with a context the caller allocates.  A hash
 * chain is the sequential workload h_{t+1} = SHA-256(h_t) from a per-chain
 * seed; a provider returns every checkpoint_every-th value, and a verifier
 * recomputes one segment between two checkpoints.
 */
#ifndef VF_HASHWORK_H
#define VF_HASHWORK_H

#include <stddef.h>
#include <stdint.h>

#define VF_SHA256_BLOCK_SIZE 64
#define VF_HASH_CHAIN_SEED_SIZE 32 /* bytes of job seed */
/* SHA-256 takes messages of fewer than 2^64 bits. */
#define VF_SHA256_MAX_BYTES ((uint64_t)1 << 61)

/* Streaming SHA-256 state.  Initialise with vf_sha256_init; vf_sha256_final
 * retires it (a retired or corrupted context is refused with VF_E_ARG). */
typedef struct {
    uint32_t state[8];
    uint64_t length; /* bytes absorbed so far */
    uint8_t block[VF_SHA256_BLOCK_SIZE];
    uint32_t fill;  /* bytes waiting in block, < 64 */
    uint32_t magic; /* VF__CTX_LIVE while the context accepts data */
} vf_sha256_ctx;

int vf_sha256_init(vf_sha256_ctx *ctx);
int vf_sha256_update(vf_sha256_ctx *ctx, const uint8_t *data, size_t len);
int vf_sha256_final(vf_sha256_ctx *ctx, uint8_t *out, size_t out_len);

/* h_0 of chain `index`: SHA-256("verifiable/hash_chain/v1" || job_seed || u64be(index)). */
int vf_hash_chain_seed(const uint8_t *job_seed, size_t seed_len, uint64_t index, uint8_t *out,
                       size_t out_len);

/* Checkpoints of the chains indices[0..count): out receives, for each chain in
 * order, steps / checkpoint_every values of 32 bytes, value j being
 * h_{(j + 1) * checkpoint_every}.  steps must be a positive multiple of
 * checkpoint_every. */
int vf_hash_chain(const uint8_t *job_seed, size_t seed_len, const uint64_t *indices, size_t count,
                  uint64_t steps, uint64_t checkpoint_every, uint8_t *out, size_t out_len,
                  int nthreads);

/* Recompute segment `segment` of chain `index` (checkpoint_every hashes from
 * checkpoint segment - 1, or from the seed for segment 0) and compare it with
 * checkpoint `segment`.  VF_E_MISMATCH when it differs, VF_E_PROOF_SHAPE when
 * checkpoints_len is not 32 * steps / checkpoint_every. */
int vf_hash_chain_verify_segment(const uint8_t *job_seed, size_t seed_len, uint64_t index,
                                 const uint8_t *checkpoints, size_t checkpoints_len,
                                 uint64_t segment, uint64_t steps, uint64_t checkpoint_every);

#endif /* VF_HASHWORK_H */
