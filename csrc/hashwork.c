/*
 * hashwork.c - hash workloads: streaming SHA-256 over a caller-allocated
 * context, and hash chains (h_{t+1} = SHA-256(h_t)) with checkpoints.
 *
 * Chains are independent, so a batch of them is split across threads in
 * groups of four, and the four chains of a group advance side by side in the
 * SHA-NI lanes (vf__sha256_iterate32).  The result never depends on the
 * number of threads or on the backend.
 */
#include <string.h>

#include "vf_hashwork.h"
#include "vf_internal.h"

#define VF__CTX_LIVE 0x56465348u /* "VFSH" */

static const uint8_t CHAIN_DOMAIN[] = "verifiable/hash_chain/v1";
#define CHAIN_DOMAIN_LEN (sizeof CHAIN_DOMAIN - 1)

/* ------------------------------------------------------------------------ */
/* Streaming SHA-256.                                                        */

static const uint32_t SHA256_IV[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

static int ctx_ok(const vf_sha256_ctx *ctx)
{
    return ctx->magic == VF__CTX_LIVE && ctx->fill < VF_SHA256_BLOCK_SIZE &&
           ctx->length <= VF_SHA256_MAX_BYTES && ctx->length % VF_SHA256_BLOCK_SIZE == ctx->fill;
}

int vf_sha256_init(vf_sha256_ctx *ctx)
{
    if (ctx == NULL)
        return VF_E_NULL;
    memset(ctx, 0, sizeof *ctx);
    memcpy(ctx->state, SHA256_IV, sizeof SHA256_IV);
    ctx->magic = VF__CTX_LIVE;
    return VF_OK;
}

int vf_sha256_update(vf_sha256_ctx *ctx, const uint8_t *data, size_t len)
{
    if (ctx == NULL || (data == NULL && len))
        return VF_E_NULL;
    if (!ctx_ok(ctx))
        return VF_E_ARG;
    if ((uint64_t)len > VF_SHA256_MAX_BYTES - ctx->length)
        return VF_E_OVERFLOW;
    ctx->length += len;
    if (ctx->fill) {
        size_t take = VF_SHA256_BLOCK_SIZE - ctx->fill;
        if (take > len)
            take = len;
        memcpy(ctx->block + ctx->fill, data, take);
        ctx->fill += (uint32_t)take;
        data += take;
        len -= take;
        if (ctx->fill < VF_SHA256_BLOCK_SIZE)
            return VF_OK;
        vf__sha256_compress(ctx->state, ctx->block, 1);
        ctx->fill = 0;
    }
    size_t whole = len / VF_SHA256_BLOCK_SIZE;
    if (whole) {
        vf__sha256_compress(ctx->state, data, whole);
        data += whole * VF_SHA256_BLOCK_SIZE;
        len -= whole * VF_SHA256_BLOCK_SIZE;
    }
    if (len) {
        memcpy(ctx->block, data, len);
        ctx->fill = (uint32_t)len;
    }
    return VF_OK;
}

int vf_sha256_final(vf_sha256_ctx *ctx, uint8_t *out, size_t out_len)
{
    if (ctx == NULL || out == NULL)
        return VF_E_NULL;
    if (!ctx_ok(ctx))
        return VF_E_ARG;
    if (out_len < VF_HASH_SIZE)
        return VF_E_LENGTH;
    uint8_t tail[2 * VF_SHA256_BLOCK_SIZE];
    size_t pos = ctx->fill;
    memset(tail, 0, sizeof tail);
    memcpy(tail, ctx->block, pos);
    tail[pos++] = 0x80;
    size_t nb = pos + 8 <= VF_SHA256_BLOCK_SIZE ? 1 : 2;
    uint64_t bits = ctx->length * 8;
    for (size_t i = 1; i <= 8; i++) {
        tail[nb * VF_SHA256_BLOCK_SIZE - i] = (uint8_t)bits;
        bits >>= 8;
    }
    vf__sha256_compress(ctx->state, tail, nb);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(ctx->state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(ctx->state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(ctx->state[i] >> 8);
        out[4 * i + 3] = (uint8_t)ctx->state[i];
    }
    memset(ctx, 0, sizeof *ctx); /* retired: magic cleared */
    return VF_OK;
}

/* ------------------------------------------------------------------------ */
/* Hash chains.                                                              */

static void chain_seed(const uint8_t *job_seed, uint64_t index, uint8_t *out)
{
    uint8_t msg[CHAIN_DOMAIN_LEN + VF_HASH_CHAIN_SEED_SIZE + 8];
    memcpy(msg, CHAIN_DOMAIN, CHAIN_DOMAIN_LEN);
    memcpy(msg + CHAIN_DOMAIN_LEN, job_seed, VF_HASH_CHAIN_SEED_SIZE);
    for (int i = 0; i < 8; i++)
        msg[CHAIN_DOMAIN_LEN + VF_HASH_CHAIN_SEED_SIZE + (size_t)i] =
            (uint8_t)(index >> (56 - 8 * i));
    vf__sha256_one(0, 0, msg, sizeof msg, out);
}

int vf_hash_chain_seed(const uint8_t *job_seed, size_t seed_len, uint64_t index, uint8_t *out,
                       size_t out_len)
{
    if (job_seed == NULL || out == NULL)
        return VF_E_NULL;
    if (seed_len != VF_HASH_CHAIN_SEED_SIZE || out_len < VF_HASH_SIZE)
        return VF_E_LENGTH;
    chain_seed(job_seed, index, out);
    return VF_OK;
}

/* Chains per group: the chains of a group share the SHA-NI lanes. */
#define CHAIN_GROUP 4

typedef struct {
    const uint8_t *job_seed;
    const uint64_t *indices;
    size_t count;
    uint64_t every;
    size_t ncheck;
    uint8_t *out;
} chain_ctx;

static void chain_range(void *vctx, size_t lo, size_t hi)
{
    const chain_ctx *c = (const chain_ctx *)vctx;
    uint8_t vals[CHAIN_GROUP * VF_HASH_SIZE];
    for (size_t g = lo; g < hi; g++) {
        size_t first = g * CHAIN_GROUP;
        size_t n = c->count - first < CHAIN_GROUP ? c->count - first : CHAIN_GROUP;
        for (size_t l = 0; l < n; l++)
            chain_seed(c->job_seed, c->indices[first + l], vals + l * VF_HASH_SIZE);
        for (size_t j = 0; j < c->ncheck; j++) {
            vf__sha256_iterate32(vals, n, c->every);
            for (size_t l = 0; l < n; l++)
                memcpy(c->out + ((first + l) * c->ncheck + j) * VF_HASH_SIZE,
                       vals + l * VF_HASH_SIZE, VF_HASH_SIZE);
        }
    }
}

/* steps / checkpoint_every as a size_t, or a status. */
static int chain_checkpoints(uint64_t steps, uint64_t every, size_t *ncheck)
{
    if (steps == 0 || every == 0 || steps % every)
        return VF_E_ARG;
    if (steps / every > SIZE_MAX)
        return VF_E_OVERFLOW;
    *ncheck = (size_t)(steps / every);
    return VF_OK;
}

int vf_hash_chain(const uint8_t *job_seed, size_t seed_len, const uint64_t *indices, size_t count,
                  uint64_t steps, uint64_t checkpoint_every, uint8_t *out, size_t out_len,
                  int nthreads)
{
    if (job_seed == NULL || (indices == NULL && count) || (out == NULL && count))
        return VF_E_NULL;
    if (seed_len != VF_HASH_CHAIN_SEED_SIZE)
        return VF_E_LENGTH;
    size_t ncheck, rows, need;
    int rc = chain_checkpoints(steps, checkpoint_every, &ncheck);
    if (rc != VF_OK)
        return rc;
    if (!vf__mul_ok(count, ncheck, &rows) || !vf__mul_ok(rows, VF_HASH_SIZE, &need))
        return VF_E_OVERFLOW;
    if (out_len < need)
        return VF_E_LENGTH;
    if (count == 0)
        return VF_OK;
    size_t groups = count / CHAIN_GROUP + (count % CHAIN_GROUP ? 1 : 0);
    /* grain: a thread is worth starting for some 2^13 hashes */
    size_t grain = steps >= 8192 ? 1 : (size_t)(8192 / steps) / CHAIN_GROUP + 1;
    chain_ctx ctx = {job_seed, indices, count, checkpoint_every, ncheck, out};
    vf__parallel(nthreads, groups, grain, chain_range, &ctx);
    return VF_OK;
}

int vf_hash_chain_verify_segment(const uint8_t *job_seed, size_t seed_len, uint64_t index,
                                 const uint8_t *checkpoints, size_t checkpoints_len,
                                 uint64_t segment, uint64_t steps, uint64_t checkpoint_every)
{
    if (job_seed == NULL || (checkpoints == NULL && checkpoints_len))
        return VF_E_NULL;
    if (seed_len != VF_HASH_CHAIN_SEED_SIZE)
        return VF_E_LENGTH;
    size_t ncheck, need;
    int rc = chain_checkpoints(steps, checkpoint_every, &ncheck);
    if (rc != VF_OK)
        return rc;
    if (segment >= ncheck)
        return VF_E_RANGE;
    if (!vf__mul_ok(ncheck, VF_HASH_SIZE, &need))
        return VF_E_OVERFLOW;
    if (checkpoints_len != need)
        return VF_E_PROOF_SHAPE;
    uint8_t h[VF_HASH_SIZE];
    if (segment == 0)
        chain_seed(job_seed, index, h);
    else
        memcpy(h, checkpoints + (size_t)(segment - 1) * VF_HASH_SIZE, VF_HASH_SIZE);
    vf__sha256_iterate32(h, 1, checkpoint_every);
    /* not secret: a plain comparison is fine */
    if (memcmp(h, checkpoints + (size_t)segment * VF_HASH_SIZE, VF_HASH_SIZE) != 0)
        return VF_E_MISMATCH;
    return VF_OK;
}
