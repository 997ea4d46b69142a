"""Property tests: the C Merkle tree, its proofs and verifiers agree with ``tests/merkle_reference.py``.

Random trees (up to a few thousand leaves, leaves of random lengths, both modes) are built by the C
kernel and by the pure-Python reference; roots, leaf hashes, prefix roots, audit paths, consistency
proofs and multiproofs must be identical, each verifier must accept the other's proofs, the
incremental ``MerkleBuilder`` and numpy input must give the same roots, and every proof must survive
``to_bytes``/``from_bytes`` and ``to_json``/``from_json`` exactly.

Every test takes the ``sha_backend`` fixture, so it runs once per SHA-256 backend. The fixture is
function-scoped while hypothesis runs many examples per call; that is what we want here (the backend
is selected once, every example runs under it, the fixture restores it afterwards), so the
``function_scoped_fixture`` health check is suppressed on purpose.
"""

from __future__ import annotations

import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import merkle_reference as ref
from verifiable import (
    ConsistencyProof,
    InclusionProof,
    MerkleBuilder,
    MerkleTree,
    MultiProof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
    verify_multiproof,
)

MAX_LEAVES = 3000

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

modes = st.sampled_from(ref.MODES)


@st.composite
def leaf_lists(draw: st.DrawFn, min_size: int = 0, max_size: int = MAX_LEAVES) -> list[bytes]:
    """n leaves of random lengths: small trees, sizes next to a power of two, and any size up to
    ``max_size``. The bytes come from a seeded PRNG (hypothesis draws the seed, the size and the
    length bound), which keeps big trees cheap to generate."""
    near_power = st.builds(
        lambda k, d: 2**k + d, st.integers(0, max_size.bit_length() - 1), st.integers(-1, 1)
    )
    n = draw(
        st.one_of(
            st.integers(min_size, max(min_size, 70)), near_power, st.integers(min_size, max_size)
        ).filter(lambda m: min_size <= m <= max_size)
    )
    max_len = draw(st.sampled_from([0, 1, 31, 55, 56, 64, 119, 200]))  # around SHA-256 block edges
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    return [rng.randbytes(rng.randint(0, max_len)) for _ in range(n)]


def ref_leaf_hashes(leaves: list[bytes], mode: str) -> list[bytes]:
    return [ref.leaf_hash(x, mode) for x in leaves]


def some_indices(draw: st.DrawFn, n: int, count: int = 4) -> list[int]:
    """The first and last leaf plus a few random ones."""
    extra = draw(st.lists(st.integers(0, n - 1), max_size=count))
    return sorted({0, n - 1, *extra})


# ---- trees -----------------------------------------------------------------------------------


@SETTINGS
@given(mode=modes, leaves=leaf_lists(), data=st.data())
def test_tree_matches_reference(
    sha_backend: str, mode: str, leaves: list[bytes], data: st.DataObject
) -> None:
    hashes = ref_leaf_hashes(leaves, mode)
    n = len(leaves)
    tree = MerkleTree(leaves, mode=mode)
    assert tree.size == n
    assert tree.root == ref.mth(hashes, mode)
    assert [tree.leaf_hash(i) for i in range(n)] == hashes
    for x in leaves[:5]:
        assert leaf_hash(x, mode=mode) == ref.leaf_hash(x, mode)
    sizes = {0, n, *data.draw(st.lists(st.integers(0, n), max_size=4))}
    for s in sorted(sizes):
        assert tree.root_at(s) == ref.mth(hashes[:s], mode), s
    # the same tree from leaf hashes, as a list and as an (n, 32) array
    assert MerkleTree.from_leaf_hashes(hashes, mode=mode).root == tree.root
    array = np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(n, 32)
    assert MerkleTree.from_leaf_hashes(array, mode=mode).root == tree.root


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mode=modes, leaves=leaf_lists(min_size=4000, max_size=12000))
def test_threads_do_not_change_the_tree(sha_backend: str, mode: str, leaves: list[bytes]) -> None:
    """Trees big enough for the kernel to split levels across threads."""
    root = ref.mth(ref_leaf_hashes(leaves, mode), mode)
    for threads in (1, 2, 3, None):
        tree = MerkleTree(leaves, mode=mode, threads=threads)
        assert tree.root == root, threads
        assert (
            MerkleTree.from_leaf_hashes(tree.leaf_hashes, mode=mode, threads=threads).root == root
        )


# ---- inclusion proofs ------------------------------------------------------------------------


@SETTINGS
@given(mode=modes, leaves=leaf_lists(min_size=1), data=st.data())
def test_inclusion_proofs_match_reference(
    sha_backend: str, mode: str, leaves: list[bytes], data: st.DataObject
) -> None:
    hashes = ref_leaf_hashes(leaves, mode)
    n = len(leaves)
    tree = MerkleTree(leaves, mode=mode)
    root = ref.mth(hashes, mode)
    for i in some_indices(data.draw, n):
        expected = ref.path(i, hashes, mode)
        proof = tree.inclusion_proof(i)
        assert (proof.index, proof.tree_size, proof.siblings) == (i, n, tuple(expected))
        verify_inclusion(proof=proof, leaf_hash=hashes[i], root=root, mode=mode, tree_size=proof.tree_size)
        assert ref.verify_inclusion(i, n, hashes[i], proof.siblings, root, mode)
        # a proof built by the reference alone
        verify_inclusion(
            proof=InclusionProof(i, n, tuple(expected)), leaf_hash=hashes[i], root=root, mode=mode, tree_size=(InclusionProof(i, n, tuple(expected))).tree_size
        )


# ---- consistency proofs ----------------------------------------------------------------------


@SETTINGS
@given(mode=modes, leaves=leaf_lists(min_size=1), data=st.data())
def test_consistency_proofs_match_reference(
    sha_backend: str, mode: str, leaves: list[bytes], data: st.DataObject
) -> None:
    hashes = ref_leaf_hashes(leaves, mode)
    n = len(leaves)
    tree = MerkleTree(leaves, mode=mode)
    pairs = {(1, n), (n, n)}
    for _ in range(4):
        new = data.draw(st.integers(1, n))
        pairs.add((data.draw(st.integers(1, new)), new))
    for old, new in sorted(pairs):
        expected = ref.proof(old, hashes[:new], mode)
        proof = tree.consistency_proof(old, new)
        if new == n:
            assert tree.consistency_proof(old) == proof  # new_size defaults to the whole tree
        assert (proof.old_size, proof.new_size, proof.siblings) == (old, new, tuple(expected))
        old_root, new_root = ref.mth(hashes[:old], mode), ref.mth(hashes[:new], mode)
        verify_consistency(proof=proof, old_root=old_root, new_root=new_root, mode=mode, old_size=proof.old_size, new_size=proof.new_size)
        assert ref.verify_consistency(old, new, old_root, new_root, proof.siblings, mode)
        verify_consistency(
            proof=ConsistencyProof(old, new, tuple(expected)),
            old_root=old_root,
            new_root=new_root,
            mode=mode, old_size=(ConsistencyProof(old, new, tuple(expected))).old_size, new_size=(ConsistencyProof(old, new, tuple(expected))).new_size
        )


# ---- multiproofs -----------------------------------------------------------------------------


@SETTINGS
@given(mode=modes, leaves=leaf_lists(min_size=1), data=st.data())
def test_multiproofs_match_reference_and_are_smaller(
    sha_backend: str, mode: str, leaves: list[bytes], data: st.DataObject
) -> None:
    hashes = ref_leaf_hashes(leaves, mode)
    n = len(leaves)
    tree = MerkleTree(leaves, mode=mode)
    root = ref.mth(hashes, mode)
    for _ in range(3):
        asked = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=min(n, 64) * 2))
        indices = sorted(set(asked))
        proof = tree.multiproof(asked)  # unsorted, with repeats: the tree sorts and de-duplicates
        assert proof.tree_size == n
        assert proof.indices == tuple(indices)
        assert proof.siblings == tuple(ref.multiproof(indices, hashes, mode))
        opened = {i: hashes[i] for i in indices}
        verify_multiproof(proof=proof, leaf_hashes=opened, root=root, mode=mode, tree_size=proof.tree_size)
        assert ref.verify_multiproof(n, indices, opened, proof.siblings, root, mode)
        reference_proof = MultiProof(
            n, tuple(indices), tuple(ref.multiproof(indices, hashes, mode))
        )
        verify_multiproof(proof=reference_proof, leaf_hashes=opened, root=root, mode=mode, tree_size=reference_proof.tree_size)
        # versus k separate inclusion proofs: each of the k - 1 branching nodes saves at least two
        separate = sum(len(tree.inclusion_proof(i).siblings) for i in indices)
        k = len(indices)
        assert len(proof.siblings) <= separate
        if k >= 2:
            assert len(proof.siblings) <= separate - 2 * (k - 1) < separate
        assert len(set(proof.siblings)) == len(proof.siblings) or len(set(hashes)) < n


# ---- MerkleBuilder ---------------------------------------------------------------------------


@SETTINGS
@given(mode=modes, leaves=leaf_lists(), data=st.data())
def test_builder_matches_tree(
    sha_backend: str, mode: str, leaves: list[bytes], data: st.DataObject
) -> None:
    n = len(leaves)
    tree = MerkleTree(leaves, mode=mode)
    hashes = [tree.leaf_hash(i) for i in range(n)]

    one = MerkleBuilder(mode=mode)
    assert (one.size, one.root) == (0, ref.EMPTY_ROOT)
    for i, leaf in enumerate(leaves):
        one.append(leaf)
        if i < 70 or i % 97 == 0:
            assert one.root == tree.root_at(i + 1), i + 1
    assert (one.size, one.root) == (n, tree.root)

    by_hash = MerkleBuilder(mode=mode)
    for h in hashes:
        by_hash.append_leaf_hash(h)
    assert (by_hash.size, by_hash.root) == (n, tree.root)

    # random batches (some empty): raw leaves, and leaf hashes as lists and as (k, 32) arrays
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1)))
    largest = data.draw(st.sampled_from([1, 2, 7, 64, max(1, n // 3)]))
    batched, hashed = MerkleBuilder(mode=mode), MerkleBuilder(mode=mode)
    pos = 0
    while pos < n:
        end = min(n, pos + rng.randint(0, largest))
        batched.extend(leaves[pos:end])
        chunk = hashes[pos:end]
        if rng.random() < 0.5:
            hashed.extend_leaf_hashes(chunk)
        else:
            hashed.extend_leaf_hashes(
                np.frombuffer(b"".join(chunk), dtype=np.uint8).reshape(len(chunk), 32)
            )
        pos = end
        assert batched.size == hashed.size == pos
        assert batched.root == hashed.root == tree.root_at(pos), pos
    assert batched.root == hashed.root == tree.root


# ---- numpy leaves ----------------------------------------------------------------------------


@SETTINGS
@given(
    mode=modes,
    rows=st.one_of(st.integers(0, 70), st.integers(0, MAX_LEAVES)),
    width=st.sampled_from([0, 1, 8, 32, 55, 64, 100]),
    seed=st.integers(0, 2**32 - 1),
)
def test_numpy_rows_are_the_leaves(
    sha_backend: str, mode: str, rows: int, width: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    array = rng.integers(0, 256, size=(rows, width), dtype=np.uint8)
    as_list = [bytes(row) for row in array]
    tree = MerkleTree(array, mode=mode)
    assert tree.size == rows
    assert (
        tree.root
        == MerkleTree(as_list, mode=mode).root
        == ref.mth(ref_leaf_hashes(as_list, mode), mode)
    )
    assert np.array_equal(tree.leaf_hashes, MerkleTree(as_list, mode=mode).leaf_hashes)
    builder = MerkleBuilder(mode=mode)
    builder.extend(array[: rows // 2])  # a row slice is still C-contiguous
    builder.extend(array[rows // 2 :])
    assert (builder.size, builder.root) == (rows, tree.root)


# ---- serialization ---------------------------------------------------------------------------


def _round_trips(proof: InclusionProof | ConsistencyProof | MultiProof) -> None:
    cls = type(proof)
    raw = proof.to_bytes()
    assert isinstance(raw, bytes)
    again = cls.from_bytes(raw)
    assert again == proof and type(again) is cls
    assert again.to_bytes() == raw
    text = proof.to_json()
    assert isinstance(text, str)
    again = cls.from_json(text)
    assert again == proof and type(again) is cls
    assert again.to_json() == text


@SETTINGS
@given(leaves=leaf_lists(min_size=1), data=st.data())
def test_proofs_round_trip_exactly(
    sha_backend: str, leaves: list[bytes], data: st.DataObject
) -> None:
    tree = MerkleTree(leaves)
    n = tree.size
    for i in some_indices(data.draw, n, count=2):
        _round_trips(tree.inclusion_proof(i))
    new = data.draw(st.integers(1, n))
    _round_trips(tree.consistency_proof(data.draw(st.integers(1, new)), new))
    _round_trips(tree.consistency_proof(n, n))  # the empty proof
    _round_trips(
        tree.multiproof(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=40)))
    )
    _round_trips(tree.multiproof(range(n)))  # every leaf: no siblings at all
