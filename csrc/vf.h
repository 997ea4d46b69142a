/*
 * vf.h - the C contract of the verifiable kernel.
 *
 * Every function returns an int status (vf_status); outputs are written into
 * buffers the caller allocated, and every buffer comes with its length so the
 * kernel can refuse one that is too small instead of overrunning it.  The
 * kernel keeps no mutable global state apart from the SHA-256 backend choice
 * (an atomic int), so every call is reentrant and may run with the GIL
 * released.  Randomness never originates here: callers pass it in.
 *
 * csrc/vf.cdef mirrors the declarations below for cffi; the generated module
 * includes this header, so a drift between the two is a compile error.
 */
#ifndef VF_H
#define VF_H

#include <stddef.h>
#include <stdint.h>

/* Bump whenever a prototype, a struct or the meaning of a status changes. */
#define VF_ABI_VERSION 2

#define VF_HASH_SIZE 32
#define VF_MAX_DEPTH 64 /* a tree of < 2^64 leaves has at most 64 levels */

typedef enum {
    VF_OK = 0,
    VF_E_NULL = 1,        /* a required pointer was NULL */
    VF_E_LENGTH = 2,      /* a buffer length is inconsistent or too small */
    VF_E_RANGE = 3,       /* an index or size is out of range */
    VF_E_ARG = 4,         /* an argument has an invalid value (mode, flag) */
    VF_E_MISMATCH = 5,    /* a proof or check did not reproduce the commitment */
    VF_E_PROOF_SHAPE = 6, /* a proof has too many or too few elements */
    VF_E_ORDER = 7,       /* indices are not strictly increasing */
    VF_E_THREAD = 8,      /* a worker thread could not be started */
    VF_E_BACKEND = 9,     /* the requested backend is not available on this CPU */
    VF_E_OVERFLOW = 10,   /* a size computation would overflow */
    VF_E_NONFINITE = 11,  /* a NaN or an infinity was found */
    VF_STATUS_COUNT = 12
} vf_status;

/* Merkle hashing modes. */
#define VF_MODE_RFC6962 0    /* leaf = H(0x00||d), node = H(0x01||l||r) */
#define VF_MODE_MERKLETOOLS 1 /* leaf = H(d), node = H(l||r): no domain separation */

/* SHA-256 backends. */
#define VF_SHA_PORTABLE 0
#define VF_SHA_SHANI 1

int vf_abi_version(void);
const char *vf_strerror(int status);

/* ---- SHA-256 (sha256.c) ---- */
int vf_sha256_backend(void);
int vf_sha256_backend_available(int backend);
int vf_sha256_set_backend(int backend);
int vf_sha256(const uint8_t *data, size_t len, uint8_t *out, size_t out_len);
/* SHA-256 of consecutive chunk_size slices of data; the last may be short.
 * out holds ceil(len / chunk_size) digests (one digest of b"" when len == 0). */
int vf_sha256_chunks(const uint8_t *data, size_t len, size_t chunk_size, uint8_t *out,
                     size_t out_len, int nthreads);

/* SHA-256 of count messages prefixes[i * prefix_len : (i + 1) * prefix_len] ||
 * data[i * stride : i * stride + len] (prefix_len <= VF_PREFIX_MAX), several in flight;
 * digest i goes to out + 32 * i. */
#define VF_PREFIX_MAX 63
int vf_sha256_prefixed(const uint8_t *prefixes, size_t prefixes_len, size_t prefix_len,
                       const uint8_t *data, size_t data_len, size_t stride, size_t len,
                       size_t count, uint8_t *out, size_t out_len, int nthreads);

/* ---- Merkle trees (merkle.c) ---- */
/* Leaf hashes of `count` rows of `row_size` bytes each at `data`. */
int vf_hash_leaves_rows(int mode, const uint8_t *data, size_t data_len, size_t row_size,
                        size_t count, uint8_t *out, size_t out_len, int nthreads);
/* Leaf hashes of data[offsets[i] : offsets[i+1]] for i < count. */
int vf_hash_leaves_offsets(int mode, const uint8_t *data, size_t data_len,
                           const uint64_t *offsets, size_t offsets_len, uint8_t *out,
                           size_t out_len, int nthreads);
/* Number of node slots (hashes) the level store of an n-leaf tree needs. */
int vf_merkle_store_size(uint64_t n_leaves, uint64_t *out_nodes);
/* The store begins with the n leaf hashes; fill every level above them. */
int vf_merkle_build(int mode, uint8_t *store, size_t store_len, uint64_t n_leaves, int nthreads);
/* Root of the tree of the first `size` leaves (size <= n_leaves). */
int vf_merkle_root_at(int mode, const uint8_t *store, size_t store_len, uint64_t n_leaves,
                      uint64_t size, uint8_t *out, size_t out_len);
/* RFC 9162 audit path of leaf `index`; *out_count receives the number of hashes. */
int vf_merkle_inclusion_proof(const uint8_t *store, size_t store_len, uint64_t n_leaves,
                              uint64_t index, uint8_t *out, size_t out_len, size_t *out_count);
/* RFC 9162 consistency proof between old_size and new_size (<= n_leaves). */
int vf_merkle_consistency_proof(int mode, const uint8_t *store, size_t store_len,
                                uint64_t n_leaves, uint64_t old_size, uint64_t new_size,
                                uint8_t *out, size_t out_len, size_t *out_count);
/* Deduplicated multiproof for strictly increasing indices. */
int vf_merkle_multiproof(const uint8_t *store, size_t store_len, uint64_t n_leaves,
                         const uint64_t *indices, size_t k, uint8_t *out, size_t out_len,
                         size_t *out_count);

int vf_verify_inclusion(int mode, uint64_t index, uint64_t tree_size, const uint8_t *leaf_hash,
                        const uint8_t *siblings, size_t n_siblings, const uint8_t *root);
int vf_verify_consistency(int mode, uint64_t old_size, uint64_t new_size, const uint8_t *old_root,
                          const uint8_t *new_root, const uint8_t *siblings, size_t n_siblings);
/* leaf_hashes[i] belongs to indices[i]; indices strictly increasing. */
int vf_verify_multiproof(int mode, uint64_t tree_size, const uint64_t *indices, size_t k,
                         const uint8_t *leaf_hashes, const uint8_t *siblings, size_t n_siblings,
                         const uint8_t *root);

/* Incremental builder: O(log n) state, caller-allocated. */
typedef struct {
    uint64_t count;
    int mode;
    uint8_t stack[VF_MAX_DEPTH][VF_HASH_SIZE];
} vf_builder;

int vf_builder_init(vf_builder *b, int mode);
int vf_builder_push(vf_builder *b, const uint8_t *leaf_hashes, size_t count);
int vf_builder_root(const vf_builder *b, uint8_t *out, size_t out_len);

#endif /* VF_H */
