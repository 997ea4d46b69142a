"""Interoperability with merkletools 1.0.3 (``mode="merkletools"``), on random trees of every size 1..300.

merkletools builds its tree level by level: adjacent nodes are paired with SHA-256(left || right)
and an odd last node is carried up unchanged. ``test_merkletools_has_the_rfc6962_shape`` checks,
against the pure-Python reference, that this is exactly the RFC 6962 shape (split at the largest
power of two smaller than n) for every size here: same roots, same audit paths. The other tests
compare merkletools with our C tree: roots from leaf hashes and from raw leaves, our proofs through
``MerkleTools.validate_proof``, and merkletools' proofs through our verifier.

merkletools 1.0.3 is installed with ``--no-deps`` (its pysha3 dependency does not build on Python
3.10+); it then warns "sha3 is not working!" at import, which is harmless for SHA-256 and filtered.
``add_leaf(value, do_hash=True)`` hashes ``value.encode("utf-8")``, so it takes ``str`` leaves; the
matching raw leaf on our side is those UTF-8 bytes.
"""

from __future__ import annotations

import random
import warnings
from functools import cache

import pytest

import merkle_reference as ref
from verifiable import InclusionProof, MerkleTree, VerificationError, leaf_hash, verify_inclusion

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="sha3 is not working", category=UserWarning)
    from merkletools import MerkleTools

SIZES = range(1, 301)
MODE = "merkletools"


@cache
def leaf_hashes(n: int) -> tuple[bytes, ...]:
    """n random 32-byte leaf hashes, seeded by n."""
    rng = random.Random(f"hashes {n}")
    return tuple(rng.randbytes(32) for _ in range(n))


@cache
def text_leaves(n: int) -> tuple[str, ...]:
    """n random text leaves (ASCII and beyond, some empty), seeded by n."""
    rng = random.Random(f"text {n}")
    alphabet = "abcxyz019 ~é€漢😀"
    return tuple("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(n))


def their_tree(hashes: tuple[bytes, ...]) -> MerkleTools:
    mt = MerkleTools(hash_type="sha256")
    mt.add_leaf([h.hex() for h in hashes])
    mt.make_tree()
    return mt


@cache
def their_cached_tree(n: int) -> MerkleTools:
    return their_tree(leaf_hashes(n))


def trees(n: int) -> tuple[MerkleTools, MerkleTree]:
    """merkletools' tree (built once) and ours (built each time, under the current SHA backend)."""
    return their_cached_tree(n), MerkleTree.from_leaf_hashes(leaf_hashes(n), mode=MODE)


def proof_siblings(items: list[dict[str, str]]) -> list[bytes]:
    return [bytes.fromhex(value) for item in items for value in item.values()]


def test_merkletools_has_the_rfc6962_shape() -> None:
    """merkletools' root equals the reference MTH for every size, and every one of its audit paths
    is accepted by the RFC 9162 verification algorithm; for a few leaves per size the path is
    exactly the reference PATH(m, D[n])."""
    for n in SIZES:
        hashes = leaf_hashes(n)
        mt = their_tree(hashes)
        root = ref.mth(hashes, MODE)
        assert mt.get_merkle_root() == root.hex(), n
        for i in range(n):
            siblings = proof_siblings(mt.get_proof(i))
            assert ref.verify_inclusion(i, n, hashes[i], siblings, root, MODE), (n, i)
        for i in {0, n // 3, n // 2, n - 2, n - 1} - {-1}:
            assert proof_siblings(mt.get_proof(i)) == ref.path(i, hashes, MODE), (n, i)


def test_roots_from_leaf_hashes(sha_backend: str) -> None:
    for n in SIZES:
        mt, ours = trees(n)
        assert ours.root.hex() == mt.get_merkle_root(), n
        assert ours.size == mt.get_leaf_count() == n


def test_roots_from_raw_leaves(sha_backend: str) -> None:
    """MerkleTree(raw, mode="merkletools") hashes leaves like add_leaf(..., do_hash=True)."""
    for n in SIZES:
        leaves = text_leaves(n)
        mt = MerkleTools(hash_type="sha256")
        mt.add_leaf(list(leaves), do_hash=True)
        mt.make_tree()
        raw = [s.encode("utf-8") for s in leaves]
        ours = MerkleTree(raw, mode=MODE)
        assert ours.root.hex() == mt.get_merkle_root(), n
        for i in {0, n // 2, n - 1}:
            assert ours.leaf_hash(i).hex() == mt.get_leaf(i) == leaf_hash(raw[i], mode=MODE).hex()


def test_our_proofs_pass_merkletools_validate_proof(sha_backend: str) -> None:
    for n in SIZES:
        mt, ours = trees(n)
        root = ours.root.hex()
        for i in range(n):
            items = ours.inclusion_proof(i).to_merkletools()
            assert items == mt.get_proof(i), (n, i)  # the same list, item for item
            assert mt.validate_proof(items, ours.leaf_hash(i).hex(), root), (n, i)


def test_merkletools_proofs_pass_our_verifier(sha_backend: str) -> None:
    for n in SIZES:
        mt, ours = trees(n)
        hashes = leaf_hashes(n)
        for i in range(n):
            proof = InclusionProof.from_merkletools(mt.get_proof(i), index=i, tree_size=n)
            assert proof == ours.inclusion_proof(i), (n, i)
            verify_inclusion(proof=proof, leaf_hash=hashes[i], root=ours.root, mode=MODE, tree_size=proof.tree_size)


@pytest.mark.parametrize("n", [2, 3, 7, 100, 300])
def test_tampered_merkletools_proofs_fail_our_verifier(n: int) -> None:
    mt, ours = trees(n)
    hashes = leaf_hashes(n)
    for i in {0, n // 2, n - 1}:
        items = mt.get_proof(i)
        for j, item in enumerate(items):
            ((side, value),) = item.items()
            bad = "%02x" % (int(value[:2], 16) ^ 1) + value[2:]
            forged = items[:j] + [{side: bad}] + items[j + 1 :]
            assert not mt.validate_proof(forged, hashes[i].hex(), ours.root.hex())
            proof = InclusionProof.from_merkletools(forged, index=i, tree_size=n)
            with pytest.raises(VerificationError):
                verify_inclusion(proof=proof, leaf_hash=hashes[i], root=ours.root, mode=MODE, tree_size=proof.tree_size)


def test_merkletools_mode_differs_from_rfc6962() -> None:
    """The two modes never give the same root (the 0x00/0x01 prefixes change every hash)."""
    for n in (1, 2, 3, 300):
        raw = [s.encode("utf-8") for s in text_leaves(n)]
        assert MerkleTree(raw, mode=MODE).root != MerkleTree(raw).root
