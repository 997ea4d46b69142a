"""RFC 6962 / RFC 9162 known answers over the standard Certificate Transparency test leaves.

Vectors live in ``tests/vectors/rfc6962_ct.json`` (see ``tests/vectors/README.md``), transcribed from:

- google/certificate-transparency, ``cpp/merkletree/merkle_tree_test.cc``: the eight inputs
  ``kInputs``, the roots ``kSHA256Roots`` (sizes 1..8), the audit paths ``kSHA256Paths`` and the
  consistency proofs ``kSHA256Proofs``.
- transparency-dev/merkle, ``proof/verify_test.go`` (the same leaves, roots and audit paths, and one
  more consistency proof, 6 -> 7), ``testonly/constants.go`` (``RootHashes`` from size 0 and
  ``NodeHashes``, every complete subtree of the 8-leaf tree) and ``proof/proof_test.go`` (the
  ``TestInclusion`` / ``TestConsistency`` tables: which tree nodes make up a proof, for sizes up
  to 95).

Index convention: the C++ and Go audit-path tables number leaves from 1 (``leaf - 1`` is used to
index the inputs there); our API is 0-based, so the JSON stores ``index = published - 1`` and keeps
the original in ``published_leaf_number``. The ``proof_test.go`` shape tables are already 0-based.
The Go verifier also accepts consistency from size 0; our contract rejects it, so no vector here
uses old_size 0.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from verifiable import (
    ConsistencyProof,
    InclusionProof,
    InvalidInputError,
    MerkleBuilder,
    MerkleTree,
    VerificationError,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

VECTOR_FILE = Path(__file__).parent / "vectors" / "rfc6962_ct.json"

with VECTOR_FILE.open(encoding="utf-8") as _fh:
    KAT: dict[str, Any] = json.load(_fh)

LEAVES = [bytes.fromhex(x) for x in KAT["leaves"]]
ROOTS = [bytes.fromhex(x) for x in KAT["roots"]]
NODE_HASHES = [[bytes.fromhex(x) for x in row] for row in KAT["node_hashes"]]
LEAF_HASHES = NODE_HASHES[0]
N = len(LEAVES)


def _hashes(hexes: Sequence[str]) -> tuple[bytes, ...]:
    return tuple(bytes.fromhex(x) for x in hexes)


# --- a tiny RFC 6962 reference, hashlib only, used to check the data and to resolve shapes -------


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ref_leaf(data: bytes) -> bytes:
    return _h(b"\x00" + data)


def ref_node(left: bytes, right: bytes) -> bytes:
    return _h(b"\x01" + left + right)


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_root(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return _h(b"")
    if len(leaves) == 1:
        return ref_leaf(leaves[0])
    k = _split(len(leaves))
    return ref_node(ref_root(leaves[:k]), ref_root(leaves[k:]))


def ref_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return ref_path(index, leaves[:k]) + [ref_root(leaves[k:])]
    return ref_path(index - k, leaves[k:]) + [ref_root(leaves[:k])]


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [ref_root(leaves)]
    k = _split(n)
    if m <= k:
        return _subproof(m, leaves[:k], complete) + [ref_root(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [ref_root(leaves[:k])]


def ref_consistency(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    return _subproof(m, leaves, True)


def resolve_shape(
    nodes: Sequence[Sequence[int]], rehash: Sequence[int] | None, leaves: Sequence[bytes]
) -> list[bytes]:
    """Turn a proof_test.go node list into hashes: node [level, i] is the complete subtree over
    leaves [i * 2**level, (i + 1) * 2**level); a rehash range [b, e) folds nodes[b:e] into one
    hash, acc = nodes[b] then acc = node_hash(next, acc), as transparency-dev's Nodes.Rehash."""
    hashes = [ref_root(leaves[i << lvl : (i + 1) << lvl]) for lvl, i in nodes]
    if rehash is None:
        return hashes
    b, e = rehash
    acc = hashes[b]
    for h in hashes[b + 1 : e]:
        acc = ref_node(h, acc)
    return hashes[:b] + [acc] + hashes[e:]


def generic_leaves(n: int) -> list[bytes]:
    return [bytes([i % 256]) for i in range(n)]


# --- the data itself ------------------------------------------------------------------------------


def test_vector_file_agrees_with_hashlib_reference() -> None:
    assert N == 8 and len(ROOTS) == 9
    for n in range(N + 1):
        assert ref_root(LEAVES[:n]) == ROOTS[n], n
    for lvl, row in enumerate(NODE_HASHES):
        for i, h in enumerate(row):
            assert ref_root(LEAVES[i << lvl : (i + 1) << lvl]) == h, (lvl, i)
    for v in KAT["inclusion_proofs"]:
        assert v["index"] == v["published_leaf_number"] - 1
        assert ref_path(v["index"], LEAVES[: v["tree_size"]]) == list(_hashes(v["siblings"]))
    for v in KAT["consistency_proofs"]:
        expected = ref_consistency(v["old_size"], LEAVES[: v["new_size"]])
        assert expected == list(_hashes(v["siblings"]))
    for v in KAT["inclusion_shapes"]:
        leaves = generic_leaves(v["tree_size"])
        assert resolve_shape(v["nodes"], v["rehash"], leaves) == ref_path(v["index"], leaves)
        if "siblings_ct_leaves" in v:
            got = resolve_shape(v["nodes"], v["rehash"], LEAVES[: v["tree_size"]])
            assert got == list(_hashes(v["siblings_ct_leaves"]))
    for v in KAT["consistency_shapes"]:
        leaves = generic_leaves(v["new_size"])
        assert resolve_shape(v["nodes"], v["rehash"], leaves) == ref_consistency(
            v["old_size"], leaves
        )
        if "siblings_ct_leaves" in v:
            got = resolve_shape(v["nodes"], v["rehash"], LEAVES[: v["new_size"]])
            assert got == list(_hashes(v["siblings_ct_leaves"]))


# --- roots ----------------------------------------------------------------------------------------


def test_leaf_hashes(sha_backend: str) -> None:
    tree = MerkleTree(LEAVES)
    for i, data in enumerate(LEAVES):
        assert leaf_hash(data) == LEAF_HASHES[i]
        assert tree.leaf_hash(i) == LEAF_HASHES[i]


@pytest.mark.parametrize("n", range(N + 1))
def test_root_and_root_at(sha_backend: str, n: int) -> None:
    tree = MerkleTree(LEAVES[:n])
    assert tree.size == n
    assert tree.root == ROOTS[n]
    for m in range(n + 1):
        assert tree.root_at(m) == ROOTS[m], m


@pytest.mark.parametrize("n", range(N + 1))
def test_root_from_leaf_hashes(sha_backend: str, n: int) -> None:
    assert MerkleTree.from_leaf_hashes(LEAF_HASHES[:n]).root == ROOTS[n]


def test_builder_one_leaf_at_a_time(sha_backend: str) -> None:
    builder = MerkleBuilder()
    assert builder.size == 0
    assert builder.root == ROOTS[0]
    for n, data in enumerate(LEAVES, start=1):
        builder.append(data)
        assert builder.size == n
        assert builder.root == ROOTS[n], n


@pytest.mark.parametrize("cut", range(N + 1))
def test_builder_in_two_batches(sha_backend: str, cut: int) -> None:
    builder = MerkleBuilder()
    builder.extend(LEAVES[:cut])
    assert (builder.size, builder.root) == (cut, ROOTS[cut])
    builder.extend(LEAVES[cut:])
    assert (builder.size, builder.root) == (N, ROOTS[N])


def test_builder_from_leaf_hashes(sha_backend: str) -> None:
    builder = MerkleBuilder()
    for n, h in enumerate(LEAF_HASHES, start=1):
        builder.append_leaf_hash(h)
        assert builder.root == ROOTS[n], n
    batched = MerkleBuilder()
    batched.extend_leaf_hashes(LEAF_HASHES[:3])
    batched.extend_leaf_hashes(LEAF_HASHES[3:])
    assert batched.root == ROOTS[N]


# --- published audit paths ------------------------------------------------------------------------


def _incl_id(v: dict[str, Any]) -> str:
    return f"i{v['index']}-n{v['tree_size']}"


@pytest.mark.parametrize("vector", KAT["inclusion_proofs"], ids=_incl_id)
def test_published_audit_path(sha_backend: str, vector: dict[str, Any]) -> None:
    index, size = vector["index"], vector["tree_size"]
    expected = _hashes(vector["siblings"])
    proof = MerkleTree(LEAVES[:size]).inclusion_proof(index)
    assert proof == InclusionProof(index, size, expected)
    assert proof.siblings == expected
    published = InclusionProof(index, size, expected)
    verify_inclusion(proof=published, leaf_hash=LEAF_HASHES[index], root=ROOTS[size], tree_size=published.tree_size)


@pytest.mark.parametrize("vector", KAT["inclusion_proofs"], ids=_incl_id)
def test_published_audit_path_rejects_tampering(sha_backend: str, vector: dict[str, Any]) -> None:
    """The probes of the C++/Go verifier tests that stay well-formed under our types."""
    index, size = vector["index"], vector["tree_size"]
    sibs = _hashes(vector["siblings"])
    leaf, root = LEAF_HASHES[index], ROOTS[size]
    bad: list[tuple[InclusionProof, bytes, bytes]] = []
    for wrong_index in {index - 1, index + 1, index ^ 2} - {index}:
        if wrong_index >= 0:  # a negative index does not construct (InvalidInputError)
            bad.append((InclusionProof(wrong_index, size, sibs), leaf, root))
    for wrong_size in {size * 2, size // 2} - {size}:
        bad.append((InclusionProof(index, wrong_size, sibs), leaf, root))
    bad.append((InclusionProof(index, size, sibs), ref_leaf(b"WrongLeaf"), root))
    bad.append((InclusionProof(index, size, sibs), leaf, ROOTS[0]))
    bad.append((InclusionProof(index, size, sibs + (root,)), leaf, root))
    bad.append((InclusionProof(index, size, (root,) + sibs), leaf, root))
    for j in range(len(sibs)):
        flipped = sibs[j][:1] + bytes([sibs[j][1] ^ 0x08]) + sibs[j][2:]
        bad.append((InclusionProof(index, size, sibs[:j] + (flipped,) + sibs[j + 1 :]), leaf, root))
    if sibs:
        bad.append((InclusionProof(index, size, sibs[:-1]), leaf, root))
    for proof, lh, rt in bad:
        with pytest.raises(VerificationError):
            verify_inclusion(proof=proof, leaf_hash=lh, root=rt, tree_size=proof.tree_size)


def test_every_audit_path_verifies_against_published_roots(sha_backend: str) -> None:
    """Every leaf of every prefix of the 8-leaf tree, against the published leaf hashes and roots."""
    for n in range(1, N + 1):
        tree = MerkleTree(LEAVES[:n])
        for i in range(n):
            proof = tree.inclusion_proof(i)
            assert list(proof.siblings) == ref_path(i, LEAVES[:n]), (i, n)
            verify_inclusion(proof=proof, leaf_hash=LEAF_HASHES[i], root=ROOTS[n], tree_size=proof.tree_size)


# --- published consistency proofs -----------------------------------------------------------------


def _cons_id(v: dict[str, Any]) -> str:
    return f"{v['old_size']}to{v['new_size']}"


@pytest.mark.parametrize("vector", KAT["consistency_proofs"], ids=_cons_id)
def test_published_consistency_proof(sha_backend: str, vector: dict[str, Any]) -> None:
    old, new = vector["old_size"], vector["new_size"]
    expected = _hashes(vector["siblings"])
    exact = MerkleTree(LEAVES[:new]).consistency_proof(old)
    assert exact == ConsistencyProof(old, new, expected)
    # the same proof from the full 8-leaf tree, naming new_size explicitly
    assert MerkleTree(LEAVES).consistency_proof(old, new).siblings == expected
    published = ConsistencyProof(old, new, expected)
    verify_consistency(proof=published, old_root=ROOTS[old], new_root=ROOTS[new], old_size=published.old_size, new_size=published.new_size)


@pytest.mark.parametrize(
    "vector", [v for v in KAT["consistency_proofs"] if v["siblings"]], ids=_cons_id
)
def test_published_consistency_proof_rejects_tampering(
    sha_backend: str, vector: dict[str, Any]
) -> None:
    old, new = vector["old_size"], vector["new_size"]
    sibs = _hashes(vector["siblings"])
    r1, r2 = ROOTS[old], ROOTS[new]
    bad: list[tuple[ConsistencyProof, bytes, bytes]] = []
    for wrong_old in {old - 1, old + 1, old ^ 2} - {old}:
        if 0 < wrong_old:  # old_size 0 is refused outright, tested in test_shape_errors
            bad.append((ConsistencyProof(wrong_old, new, sibs), r1, r2))
    for wrong_new in {new * 2, new // 2} - {new}:
        bad.append((ConsistencyProof(old, wrong_new, sibs), r1, r2))
    bad.append((ConsistencyProof(old, new, sibs), ROOTS[0], r2))
    bad.append((ConsistencyProof(old, new, sibs), r1, ROOTS[0]))
    bad.append((ConsistencyProof(old, new, sibs), r2, r1))
    bad.append((ConsistencyProof(old, new, ()), r1, r2))
    bad.append((ConsistencyProof(old, new, sibs + (r1,)), r1, r2))
    bad.append((ConsistencyProof(old, new, sibs + (r2,)), r1, r2))
    bad.append((ConsistencyProof(old, new, (r1,) + sibs), r1, r2))
    bad.append((ConsistencyProof(old, new, (sibs[0],) + sibs), r1, r2))
    bad.append((ConsistencyProof(old, new, sibs[:-1]), r1, r2))
    for j in range(len(sibs)):
        flipped = bytes([sibs[j][0] ^ 0x10]) + sibs[j][1:]
        bad.append((ConsistencyProof(old, new, sibs[:j] + (flipped,) + sibs[j + 1 :]), r1, r2))
    for proof, a, b in bad:
        with pytest.raises(VerificationError):
            verify_consistency(proof=proof, old_root=a, new_root=b, old_size=proof.old_size, new_size=proof.new_size)


def test_every_consistency_proof_verifies_against_published_roots(sha_backend: str) -> None:
    tree = MerkleTree(LEAVES)
    for new in range(1, N + 1):
        for old in range(1, new + 1):
            proof = tree.consistency_proof(old, new)
            assert list(proof.siblings) == ref_consistency(old, LEAVES[:new]), (old, new)
            verify_consistency(proof=proof, old_root=ROOTS[old], new_root=ROOTS[new], old_size=proof.old_size, new_size=proof.new_size)


# --- proof shapes from transparency-dev/merkle proof/proof_test.go --------------------------------


@pytest.mark.parametrize(
    "shape", KAT["inclusion_shapes"], ids=lambda v: f"i{v['index']}-n{v['tree_size']}"
)
def test_inclusion_shape(sha_backend: str, shape: dict[str, Any]) -> None:
    size, index = shape["tree_size"], shape["index"]
    if "siblings_ct_leaves" in shape:
        leaves, expected = LEAVES[:size], _hashes(shape["siblings_ct_leaves"])
        root = ROOTS[size]
    else:
        leaves = generic_leaves(size)
        expected = tuple(resolve_shape(shape["nodes"], shape["rehash"], leaves))
        root = ref_root(leaves)
    tree = MerkleTree(leaves)
    assert tree.root == root
    proof = tree.inclusion_proof(index)
    assert proof.siblings == expected
    verify_inclusion(proof=proof, leaf_hash=ref_leaf(leaves[index]), root=root, tree_size=proof.tree_size)


@pytest.mark.parametrize(
    "shape", KAT["consistency_shapes"], ids=lambda v: f"{v['old_size']}to{v['new_size']}"
)
def test_consistency_shape(sha_backend: str, shape: dict[str, Any]) -> None:
    old, new = shape["old_size"], shape["new_size"]
    if "siblings_ct_leaves" in shape:
        leaves, expected = LEAVES[:new], _hashes(shape["siblings_ct_leaves"])
        old_root, new_root = ROOTS[old], ROOTS[new]
    else:
        leaves = generic_leaves(new)
        expected = tuple(resolve_shape(shape["nodes"], shape["rehash"], leaves))
        old_root, new_root = ref_root(leaves[:old]), ref_root(leaves)
    tree = MerkleTree(leaves)
    assert tree.root_at(old) == old_root
    proof = tree.consistency_proof(old)
    assert proof.siblings == expected
    verify_consistency(proof=proof, old_root=old_root, new_root=new_root, old_size=proof.old_size, new_size=proof.new_size)


def test_shape_errors(sha_backend: str) -> None:
    """proof_test.go's refused (size, index) and (size1, size2) pairs: the tree refuses to make
    them (InvalidInputError) and the verifier refuses an empty proof claiming them."""
    for e in KAT["inclusion_shape_errors"]:
        size, index = e["tree_size"], e["index"]
        with pytest.raises(InvalidInputError):
            MerkleTree(generic_leaves(size)).inclusion_proof(index)
        with pytest.raises(VerificationError):
            verify_inclusion(
                proof=InclusionProof(index, size, ()), leaf_hash=ROOTS[0], root=ROOTS[0], tree_size=(InclusionProof(index, size, ())).tree_size
            )
    for e in KAT["consistency_shape_errors"]:
        old, new = e["old_size"], e["new_size"]
        tree = MerkleTree(generic_leaves(max(old, new)))
        with pytest.raises(InvalidInputError):
            tree.consistency_proof(old, new)
        with pytest.raises(VerificationError):
            verify_consistency(
                proof=ConsistencyProof(old, new, ()), old_root=ROOTS[0], new_root=ROOTS[0], old_size=(ConsistencyProof(old, new, ())).old_size, new_size=(ConsistencyProof(old, new, ())).new_size
            )
    # our contract: consistency from an empty tree is not proved, even though RFC 9162 allows it
    with pytest.raises(InvalidInputError):
        MerkleTree(LEAVES).consistency_proof(0, 4)
    with pytest.raises(VerificationError):
        verify_consistency(proof=ConsistencyProof(0, 4, ()), old_root=ROOTS[0], new_root=ROOTS[4], old_size=(ConsistencyProof(0, 4, ())).old_size, new_size=(ConsistencyProof(0, 4, ())).new_size)
