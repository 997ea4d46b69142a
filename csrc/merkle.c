/*
 * merkle.c - RFC 6962 / RFC 9162 Merkle trees over a flat level store.
 *
 * The store of an n-leaf tree keeps every level one after the other: level 0
 * is the n leaf hashes, level k+1 has ceil(len(level k) / 2) nodes, and the
 * last level holds the root.  Node j of level k+1 hashes nodes 2j and 2j+1 of
 * level k; when 2j+1 does not exist, node 2j is promoted unchanged.  Node j of
 * level k is then exactly MTH(D[j*2^k : min((j+1)*2^k, n)]) of RFC 6962, so
 * every subtree the RFC's recursive definitions name is either stored or (for
 * a right edge of an older, smaller tree) recomputed from stored nodes in
 * O(log n) hashes.  The two children of a node are adjacent in memory, so a
 * whole level is hashed as a batch of equal-length 64-byte messages.
 */
#include <string.h>

#include "vf_internal.h"

#define H VF_HASH_SIZE
#define NODE_GRAIN 2048 /* nodes per thread before a level is split */

static int mode_ok(int mode) { return mode == VF_MODE_RFC6962 || mode == VF_MODE_MERKLETOOLS; }

/* Largest power of two strictly smaller than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    /* largest power of two below n (n >= 2); written so that k never overflows */
    uint64_t k = 1;
    while (k <= (n - 1) >> 1)
        k <<= 1;
    return k;
}

/* Levels of an n-leaf tree: offsets (in hashes) and node counts. */
typedef struct {
    int levels;
    uint64_t off[VF_MAX_DEPTH + 1];
    uint64_t cnt[VF_MAX_DEPTH + 1];
    uint64_t total;
} layout;

static void layout_of(uint64_t n, layout *L)
{
    L->levels = 0;
    L->total = 0;
    if (n == 0)
        return;
    uint64_t c = n;
    for (;;) {
        L->off[L->levels] = L->total;
        L->cnt[L->levels] = c;
        L->total += c;
        L->levels++;
        if (c == 1)
            break;
        c = c / 2 + (c & 1);
    }
}

/* Validates a store against n and fills the layout. */
static int check_store(const uint8_t *store, size_t store_len, uint64_t n, layout *L)
{
    if (n > (uint64_t)(SIZE_MAX / H / 2))
        return VF_E_OVERFLOW;
    layout_of(n, L);
    if (n && store == NULL)
        return VF_E_NULL;
    if (store_len < L->total * H)
        return VF_E_LENGTH;
    return VF_OK;
}

static const uint8_t *node_at(const uint8_t *store, const layout *L, int level, uint64_t j)
{
    return store + (L->off[level] + j) * H;
}

int vf_merkle_store_size(uint64_t n_leaves, uint64_t *out_nodes)
{
    if (out_nodes == NULL)
        return VF_E_NULL;
    if (n_leaves > (uint64_t)(SIZE_MAX / H / 2))
        return VF_E_OVERFLOW;
    layout L;
    layout_of(n_leaves, &L);
    *out_nodes = L.total;
    return VF_OK;
}

/* ---- leaf hashing ---- */

typedef struct {
    int prefixed;
    const uint8_t *data;
    size_t row;
    uint8_t *out;
} rows_ctx;

static void rows_range(void *vctx, size_t lo, size_t hi)
{
    rows_ctx *c = (rows_ctx *)vctx;
    vf__sha256_uniform(c->prefixed, 0x00, c->data + lo * c->row, c->row, c->row, hi - lo,
                       c->out + lo * H);
}

int vf_hash_leaves_rows(int mode, const uint8_t *data, size_t data_len, size_t row_size,
                        size_t count, uint8_t *out, size_t out_len, int nthreads)
{
    size_t need_in, need_out;
    if (!mode_ok(mode))
        return VF_E_ARG;
    if (!vf__mul_ok(row_size, count, &need_in) || !vf__mul_ok(count, H, &need_out))
        return VF_E_OVERFLOW;
    if ((data == NULL && need_in) || (out == NULL && count))
        return VF_E_NULL;
    if (data_len < need_in || out_len < need_out)
        return VF_E_LENGTH;
    rows_ctx ctx = {mode == VF_MODE_RFC6962, data, row_size, out};
    size_t grain = row_size >= 4096 ? 16 : 4096 / (row_size + 1) + 64;
    vf__parallel(nthreads, count, grain, rows_range, &ctx);
    return VF_OK;
}

typedef struct {
    int prefixed;
    const uint8_t *data;
    const uint64_t *off;
    uint8_t *out;
} offs_ctx;

static void offsets_range(void *vctx, size_t lo, size_t hi)
{
    offs_ctx *c = (offs_ctx *)vctx;
    size_t i = lo;
    while (i < hi) {
        /* a run of equal-length, back-to-back leaves is hashed as one batch */
        uint64_t len = c->off[i + 1] - c->off[i];
        size_t j = i + 1;
        while (j < hi && c->off[j + 1] - c->off[j] == len)
            j++;
        vf__sha256_uniform(c->prefixed, 0x00, c->data + c->off[i], (size_t)len, (size_t)len,
                           j - i, c->out + i * H);
        i = j;
    }
}

int vf_hash_leaves_offsets(int mode, const uint8_t *data, size_t data_len,
                           const uint64_t *offsets, size_t offsets_len, uint8_t *out,
                           size_t out_len, int nthreads)
{
    size_t need_out;
    if (!mode_ok(mode))
        return VF_E_ARG;
    if (offsets == NULL)
        return VF_E_NULL;
    if (offsets_len == 0)
        return VF_E_LENGTH;
    size_t count = offsets_len - 1;
    if (!vf__mul_ok(count, H, &need_out))
        return VF_E_OVERFLOW;
    if (out == NULL && count)
        return VF_E_NULL;
    if (out_len < need_out)
        return VF_E_LENGTH;
    if (offsets[0] != 0)
        return VF_E_ARG;
    for (size_t i = 0; i < count; i++)
        if (offsets[i + 1] < offsets[i])
            return VF_E_ORDER;
    if (offsets[count] > data_len)
        return VF_E_LENGTH;
    if (data == NULL && offsets[count])
        return VF_E_NULL;
    offs_ctx ctx = {mode == VF_MODE_RFC6962, data, offsets, out};
    vf__parallel(nthreads, count, 4096, offsets_range, &ctx);
    return VF_OK;
}

/* ---- building the levels ---- */

typedef struct {
    int prefixed;
    const uint8_t *below;
    uint8_t *level;
} level_ctx;

static void level_range(void *vctx, size_t lo, size_t hi)
{
    level_ctx *c = (level_ctx *)vctx;
    vf__sha256_uniform(c->prefixed, 0x01, c->below + lo * 2 * H, 2 * H, 2 * H, hi - lo,
                       c->level + lo * H);
}

int vf_merkle_build(int mode, uint8_t *store, size_t store_len, uint64_t n_leaves, int nthreads)
{
    layout L;
    if (!mode_ok(mode))
        return VF_E_ARG;
    int rc = check_store(store, store_len, n_leaves, &L);
    if (rc != VF_OK)
        return rc;
    for (int k = 1; k < L.levels; k++) {
        uint8_t *below = store + L.off[k - 1] * H, *level = store + L.off[k] * H;
        uint64_t pairs = L.cnt[k - 1] / 2;
        level_ctx ctx = {mode == VF_MODE_RFC6962, below, level};
        vf__parallel(nthreads, (size_t)pairs, NODE_GRAIN, level_range, &ctx);
        if (L.cnt[k - 1] & 1) /* the odd node out is promoted */
            memcpy(level + pairs * H, below + 2 * pairs * H, H);
    }
    return VF_OK;
}

/* MTH(D[lo:hi]) for 0 <= lo < hi <= n, lo aligned as RFC 6962's recursion
 * aligns it; stored nodes are looked up, right edges of older trees hashed. */
static void subtree_hash(int mode, const uint8_t *store, const layout *L, uint64_t n,
                         uint64_t lo, uint64_t hi, uint8_t *out)
{
    uint64_t s = hi - lo;
    int k = 0;
    while (((uint64_t)1 << k) < s)
        k++;
    uint64_t width = (uint64_t)1 << k;
    if ((lo & (width - 1)) == 0 && (hi == lo + width || hi == n)) {
        memcpy(out, node_at(store, L, k, lo >> k), H);
        return;
    }
    uint64_t split = split_point(s);
    uint8_t left[H], right[H];
    subtree_hash(mode, store, L, n, lo, lo + split, left);
    subtree_hash(mode, store, L, n, lo + split, hi, right);
    vf__node_hash(mode, left, right, out);
}

int vf_merkle_root_at(int mode, const uint8_t *store, size_t store_len, uint64_t n_leaves,
                      uint64_t size, uint8_t *out, size_t out_len)
{
    layout L;
    if (!mode_ok(mode))
        return VF_E_ARG;
    int rc = check_store(store, store_len, n_leaves, &L);
    if (rc != VF_OK)
        return rc;
    if (out == NULL)
        return VF_E_NULL;
    if (out_len < H)
        return VF_E_LENGTH;
    if (size > n_leaves)
        return VF_E_RANGE;
    if (size == 0)
        vf__sha256_one(0, 0, (const uint8_t *)"", 0, out);
    else
        subtree_hash(mode, store, &L, n_leaves, 0, size, out);
    return VF_OK;
}

int vf_merkle_inclusion_proof(const uint8_t *store, size_t store_len, uint64_t n_leaves,
                              uint64_t index, uint8_t *out, size_t out_len, size_t *out_count)
{
    layout L;
    int rc = check_store(store, store_len, n_leaves, &L);
    if (rc != VF_OK)
        return rc;
    if (out_count == NULL || (out == NULL && out_len))
        return VF_E_NULL;
    if (index >= n_leaves)
        return VF_E_RANGE;
    size_t m = 0;
    for (int k = 0; k + 1 < L.levels; k++) {
        uint64_t sib = (index >> k) ^ 1;
        if (sib < L.cnt[k]) {
            if ((m + 1) * H > out_len)
                return VF_E_LENGTH;
            memcpy(out + m * H, node_at(store, &L, k, sib), H);
            m++;
        }
    }
    *out_count = m;
    return VF_OK;
}

int vf_merkle_consistency_proof(int mode, const uint8_t *store, size_t store_len,
                                uint64_t n_leaves, uint64_t old_size, uint64_t new_size,
                                uint8_t *out, size_t out_len, size_t *out_count)
{
    layout L;
    if (!mode_ok(mode))
        return VF_E_ARG;
    int rc = check_store(store, store_len, n_leaves, &L);
    if (rc != VF_OK)
        return rc;
    if (out_count == NULL || (out == NULL && out_len))
        return VF_E_NULL;
    if (old_size == 0 || old_size > new_size || new_size > n_leaves)
        return VF_E_RANGE;
    /* RFC 9162 SUBPROOF(m, D[lo:hi], b), unrolled: the hashes appended on the
     * way down come out last-first after the base case's hash. */
    uint8_t pending[VF_MAX_DEPTH][H];
    int npending = 0, have_base = 0;
    uint8_t base[H];
    uint64_t lo = 0, hi = new_size, m = old_size;
    int complete = 1; /* b: whether D[lo:lo+m] is the whole old tree */
    while (m != hi - lo) {
        uint64_t k = split_point(hi - lo);
        if (m <= k) {
            subtree_hash(mode, store, &L, n_leaves, lo + k, hi, pending[npending++]);
            hi = lo + k;
        } else {
            subtree_hash(mode, store, &L, n_leaves, lo, lo + k, pending[npending++]);
            lo += k;
            m -= k;
            complete = 0;
        }
    }
    if (!complete) {
        subtree_hash(mode, store, &L, n_leaves, lo, hi, base);
        have_base = 1;
    }
    size_t count = (size_t)npending + (size_t)have_base;
    if (count * H > out_len)
        return VF_E_LENGTH;
    size_t w = 0;
    if (have_base)
        memcpy(out + H * w++, base, H);
    for (int i = npending - 1; i >= 0; i--)
        memcpy(out + H * w++, pending[i], H);
    *out_count = count;
    return VF_OK;
}

/* ---- multiproofs ----
 * Walk the tree from the root.  A subtree holding none of the indices is a
 * sibling: it is emitted (generation) or consumed (verification) in the order
 * the walk meets it, left before right, depth first.  A subtree holding some
 * is descended into.  Both sides walk the same shape, fixed by tree_size and
 * the indices, so the siblings carry no positions and none is repeated. */

typedef struct {
    int mode;
    const uint8_t *store;
    const layout *L;
    uint64_t n;
    const uint64_t *idx;
    uint8_t *out;
    size_t cap, count;
    int rc;
} mp_gen;

static void mp_generate(mp_gen *g, uint64_t lo, uint64_t hi, size_t a, size_t b)
{
    if (g->rc != VF_OK || hi - lo == 1)
        return;
    uint64_t mid = lo + split_point(hi - lo);
    size_t m = a;
    while (m < b && g->idx[m] < mid)
        m++;
    uint64_t bounds[2][2] = {{lo, mid}, {mid, hi}};
    size_t parts[2][2] = {{a, m}, {m, b}};
    for (int side = 0; side < 2; side++) {
        if (parts[side][0] < parts[side][1]) {
            mp_generate(g, bounds[side][0], bounds[side][1], parts[side][0], parts[side][1]);
        } else {
            if ((g->count + 1) * H > g->cap) {
                g->rc = VF_E_LENGTH;
                return;
            }
            subtree_hash(g->mode, g->store, g->L, g->n, bounds[side][0], bounds[side][1],
                         g->out + g->count * H);
            g->count++;
        }
    }
}

static int indices_ok(const uint64_t *idx, size_t k, uint64_t n)
{
    for (size_t i = 0; i < k; i++) {
        if (i && idx[i] <= idx[i - 1])
            return VF_E_ORDER;
        if (idx[i] >= n)
            return VF_E_RANGE;
    }
    return VF_OK;
}

int vf_merkle_multiproof(const uint8_t *store, size_t store_len, uint64_t n_leaves,
                         const uint64_t *indices, size_t k, uint8_t *out, size_t out_len,
                         size_t *out_count)
{
    layout L;
    int rc = check_store(store, store_len, n_leaves, &L);
    if (rc != VF_OK)
        return rc;
    if (indices == NULL || out_count == NULL || (out == NULL && out_len))
        return VF_E_NULL;
    if (k == 0)
        return VF_E_ARG;
    rc = indices_ok(indices, k, n_leaves);
    if (rc != VF_OK)
        return rc;
    /* sibling hashes never depend on the mode: they are read from the store */
    mp_gen g = {VF_MODE_RFC6962, store, &L, n_leaves, indices, out, out_len, 0, VF_OK};
    mp_generate(&g, 0, n_leaves, 0, k);
    if (g.rc != VF_OK)
        return g.rc;
    *out_count = g.count;
    return VF_OK;
}

typedef struct {
    int mode;
    const uint64_t *idx;
    const uint8_t *leaves;
    const uint8_t *sib;
    size_t nsib, used;
    int rc;
} mp_ver;

static void mp_verify(mp_ver *v, uint64_t lo, uint64_t hi, size_t a, size_t b, uint8_t *out)
{
    if (v->rc != VF_OK)
        return;
    if (hi - lo == 1) { /* a < b and idx[a] == lo, by construction */
        memcpy(out, v->leaves + a * H, H);
        return;
    }
    uint64_t mid = lo + split_point(hi - lo);
    size_t m = a;
    while (m < b && v->idx[m] < mid)
        m++;
    uint8_t child[2][H];
    uint64_t bounds[2][2] = {{lo, mid}, {mid, hi}};
    size_t parts[2][2] = {{a, m}, {m, b}};
    for (int side = 0; side < 2; side++) {
        if (parts[side][0] < parts[side][1]) {
            mp_verify(v, bounds[side][0], bounds[side][1], parts[side][0], parts[side][1],
                      child[side]);
            if (v->rc != VF_OK)
                return;
        } else {
            if (v->used >= v->nsib) {
                v->rc = VF_E_PROOF_SHAPE;
                return;
            }
            memcpy(child[side], v->sib + v->used * H, H);
            v->used++;
        }
    }
    vf__node_hash(v->mode, child[0], child[1], out);
}

int vf_verify_multiproof(int mode, uint64_t tree_size, const uint64_t *indices, size_t k,
                         const uint8_t *leaf_hashes, const uint8_t *siblings, size_t n_siblings,
                         const uint8_t *root)
{
    if (!mode_ok(mode))
        return VF_E_ARG;
    if (indices == NULL || leaf_hashes == NULL || root == NULL || (siblings == NULL && n_siblings))
        return VF_E_NULL;
    if (k == 0)
        return VF_E_PROOF_SHAPE;
    if (tree_size == 0)
        return VF_E_RANGE;
    int rc = indices_ok(indices, k, tree_size);
    if (rc != VF_OK)
        return rc;
    mp_ver v = {mode, indices, leaf_hashes, siblings, n_siblings, 0, VF_OK};
    uint8_t got[H];
    mp_verify(&v, 0, tree_size, 0, k, got);
    if (v.rc != VF_OK)
        return v.rc;
    if (v.used != n_siblings)
        return VF_E_PROOF_SHAPE;
    return memcmp(got, root, H) == 0 ? VF_OK : VF_E_MISMATCH;
}

/* ---- RFC 9162 verifiers ---- */

int vf_verify_inclusion(int mode, uint64_t index, uint64_t tree_size, const uint8_t *leaf_hash,
                        const uint8_t *siblings, size_t n_siblings, const uint8_t *root)
{
    if (!mode_ok(mode))
        return VF_E_ARG;
    if (leaf_hash == NULL || root == NULL || (siblings == NULL && n_siblings))
        return VF_E_NULL;
    if (index >= tree_size)
        return VF_E_RANGE;
    uint64_t fn = index, sn = tree_size - 1;
    uint8_t r[H];
    memcpy(r, leaf_hash, H);
    for (size_t i = 0; i < n_siblings; i++) {
        const uint8_t *p = siblings + i * H;
        if (sn == 0)
            return VF_E_PROOF_SHAPE;
        if ((fn & 1) || fn == sn) {
            vf__node_hash(mode, p, r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            vf__node_hash(mode, r, p, r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return VF_E_PROOF_SHAPE;
    return memcmp(r, root, H) == 0 ? VF_OK : VF_E_MISMATCH;
}

int vf_verify_consistency(int mode, uint64_t old_size, uint64_t new_size, const uint8_t *old_root,
                          const uint8_t *new_root, const uint8_t *siblings, size_t n_siblings)
{
    if (!mode_ok(mode))
        return VF_E_ARG;
    if (old_root == NULL || new_root == NULL || (siblings == NULL && n_siblings))
        return VF_E_NULL;
    if (old_size == 0 || old_size > new_size)
        return VF_E_RANGE;
    if (old_size == new_size) {
        if (n_siblings != 0)
            return VF_E_PROOF_SHAPE;
        return memcmp(old_root, new_root, H) == 0 ? VF_OK : VF_E_MISMATCH;
    }
    if (n_siblings == 0)
        return VF_E_PROOF_SHAPE;
    /* RFC 9162 section 2.1.4.2 */
    const uint8_t *c0 = siblings;
    size_t start = 0;
    if ((old_size & (old_size - 1)) == 0) /* an exact power of two: old_root is c0 */
        c0 = old_root;
    else
        start = 1;
    uint64_t fn = old_size - 1, sn = new_size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[H], sr[H];
    memcpy(fr, c0, H);
    memcpy(sr, c0, H);
    for (size_t i = start; i < n_siblings; i++) {
        const uint8_t *c = siblings + i * H;
        if (sn == 0)
            return VF_E_PROOF_SHAPE;
        if ((fn & 1) || fn == sn) {
            vf__node_hash(mode, c, fr, fr);
            vf__node_hash(mode, c, sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            vf__node_hash(mode, sr, c, sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return VF_E_PROOF_SHAPE;
    if (memcmp(fr, old_root, H) != 0 || memcmp(sr, new_root, H) != 0)
        return VF_E_MISMATCH;
    return VF_OK;
}

/* ---- incremental builder ----
 * stack holds the roots of the perfect subtrees that make up the first
 * `count` leaves, largest first: one for each set bit of count. */

int vf_builder_init(vf_builder *b, int mode)
{
    if (b == NULL)
        return VF_E_NULL;
    if (!mode_ok(mode))
        return VF_E_ARG;
    memset(b, 0, sizeof *b);
    b->mode = mode;
    return VF_OK;
}

static int popcount64(uint64_t x)
{
    int c = 0;
    while (x) {
        x &= x - 1;
        c++;
    }
    return c;
}

/* Push the root of a perfect subtree of 2^height leaves; count must be a
 * multiple of 2^height. */
static void builder_push_subtree(vf_builder *b, const uint8_t *root, int height)
{
    uint8_t h[H];
    memcpy(h, root, H);
    int top = popcount64(b->count);
    uint64_t c = b->count >> height;
    while (c & 1) {
        vf__node_hash(b->mode, b->stack[top - 1], h, h);
        top--;
        c >>= 1;
    }
    memcpy(b->stack[top], h, H);
    b->count += (uint64_t)1 << height;
}

#define BATCH_LOG 9 /* perfect subtrees of up to 512 leaves are reduced as batches */

int vf_builder_push(vf_builder *b, const uint8_t *leaf_hashes, size_t count)
{
    if (b == NULL || (leaf_hashes == NULL && count))
        return VF_E_NULL;
    if (!mode_ok(b->mode) || popcount64(b->count) > VF_MAX_DEPTH)
        return VF_E_ARG;
    if (count > UINT64_MAX - b->count)
        return VF_E_OVERFLOW;
    uint8_t scratch[((size_t)1 << (BATCH_LOG - 1)) * H];
    size_t i = 0;
    while (i < count) {
        int t = BATCH_LOG;
        while (t > 0 && ((b->count & (((uint64_t)1 << t) - 1)) || count - i < ((size_t)1 << t)))
            t--;
        if (t == 0) {
            builder_push_subtree(b, leaf_hashes + i * H, 0);
            i++;
            continue;
        }
        /* reduce 2^t leaf hashes to one root, level by level, in scratch.
         * Reducing in place is safe: output j lands at 32j, below the 64j
         * where its own input starts, and a batch writes its digests only
         * after it has read its inputs. */
        size_t width = (size_t)1 << t;
        const uint8_t *below = leaf_hashes + i * H;
        int prefixed = b->mode == VF_MODE_RFC6962;
        for (size_t w = width / 2; w >= 1; w /= 2) {
            vf__sha256_uniform(prefixed, 0x01, below, 2 * H, 2 * H, w, scratch);
            below = scratch;
        }
        builder_push_subtree(b, scratch, t);
        i += width;
    }
    return VF_OK;
}

int vf_builder_root(const vf_builder *b, uint8_t *out, size_t out_len)
{
    if (b == NULL || out == NULL)
        return VF_E_NULL;
    if (out_len < H)
        return VF_E_LENGTH;
    if (!mode_ok(b->mode) || popcount64(b->count) > VF_MAX_DEPTH)
        return VF_E_ARG;
    int top = popcount64(b->count);
    if (top == 0) {
        vf__sha256_one(0, 0, (const uint8_t *)"", 0, out);
        return VF_OK;
    }
    uint8_t acc[H];
    memcpy(acc, b->stack[top - 1], H);
    for (int i = top - 2; i >= 0; i--)
        vf__node_hash(b->mode, b->stack[i], acc, acc);
    memcpy(out, acc, H);
    return VF_OK;
}
