"""A small, deliberately naive Merkle tree reference (hashlib only), written from the RFCs.

RFC 6962 section 2.1 / RFC 9162 section 2.1, with one helper per definition:

- ``mth``        MTH(D[n]): the Merkle Tree Hash (2.1.1), here over *leaf hashes*.
- ``path``       PATH(m, D[n]): the audit path of leaf m (2.1.3.1).
- ``proof``      PROOF(m, D[n]) = SUBPROOF(m, D[n], true): a consistency proof (2.1.4.1).
- ``verify_inclusion`` / ``verify_consistency``: the verification algorithms of 2.1.3.2 / 2.1.4.2.
- ``multiproof`` / ``verify_multiproof``: one proof for several leaves. The tree is walked from the
  root, left before right; a subtree holding none of the indices contributes one sibling hash, a
  subtree holding some is descended into.

Every function takes ``mode``: ``"rfc6962"`` (leaf = SHA-256(0x00 || d), node = SHA-256(0x01 || l || r))
or ``"merkletools"`` (leaf = SHA-256(d), node = SHA-256(l || r), no prefixes). The tree shape is the
same in both: split at the largest power of two smaller than n.

Inputs ``hashes`` are lists of leaf hashes (not leaf data), so ``mth(hashes)`` is the tree built by
``MerkleTree.from_leaf_hashes(hashes)``. Nothing here is fast; it is meant to be obviously right.
Verifiers return ``True``/``False`` rather than raising.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

MODES = ("rfc6962", "merkletools")
EMPTY_ROOT = hashlib.sha256(b"").digest()


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(data: bytes, mode: str = "rfc6962") -> bytes:
    return _sha256(data) if mode == "merkletools" else _sha256(b"\x00" + data)


def node_hash(left: bytes, right: bytes, mode: str = "rfc6962") -> bytes:
    return _sha256(left + right) if mode == "merkletools" else _sha256(b"\x01" + left + right)


def split(n: int) -> int:
    """k, the largest power of two smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(hashes: Sequence[bytes], mode: str = "rfc6962") -> bytes:
    """MTH over leaf hashes; the empty tree hashes to SHA-256 of the empty string."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[0]
    k = split(n)
    return node_hash(mth(hashes[:k], mode), mth(hashes[k:], mode), mode)


def path(m: int, hashes: Sequence[bytes], mode: str = "rfc6962") -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf m, from the leaf up to the root."""
    n = len(hashes)
    if n == 1:
        return []
    k = split(n)
    if m < k:
        return path(m, hashes[:k], mode) + [mth(hashes[k:], mode)]
    return path(m - k, hashes[k:], mode) + [mth(hashes[:k], mode)]


def _subproof(m: int, hashes: Sequence[bytes], b: bool, mode: str) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if b else [mth(hashes, mode)]
    k = split(n)
    if m <= k:
        return _subproof(m, hashes[:k], b, mode) + [mth(hashes[k:], mode)]
    return _subproof(m - k, hashes[k:], False, mode) + [mth(hashes[:k], mode)]


def proof(m: int, hashes: Sequence[bytes], mode: str = "rfc6962") -> list[bytes]:
    """PROOF(m, D[n]): the consistency proof from the first m leaves to all n (0 < m <= n)."""
    return _subproof(m, hashes, True, mode)


def verify_inclusion(
    index: int,
    tree_size: int,
    leaf: bytes,
    siblings: Sequence[bytes],
    root: bytes,
    mode: str = "rfc6962",
) -> bool:
    """RFC 9162 2.1.3.2."""
    if index >= tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf
    for p in siblings:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r, mode)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p, mode)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    siblings: Sequence[bytes],
    mode: str = "rfc6962",
) -> bool:
    """RFC 9162 2.1.4.2, plus the equal-sizes case (empty proof, equal roots); old_size 0 is refused."""
    if old_size == 0 or old_size > new_size:
        return False
    if old_size == new_size:
        return not siblings and old_root == new_root
    if not siblings:
        return False
    path_ = list(siblings)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is the first node
        path_.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path_[0]
    for c in path_[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr, mode), node_hash(c, sr, mode)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c, mode)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


def multiproof(
    indices: Sequence[int], hashes: Sequence[bytes], mode: str = "rfc6962"
) -> list[bytes]:
    """Siblings of one proof for the (sorted, distinct) ``indices``: depth first, left before right."""
    wanted = set(indices)

    def walk(lo: int, hi: int) -> list[bytes]:
        if not any(lo <= i < hi for i in wanted):
            return [mth(hashes[lo:hi], mode)]
        if hi - lo == 1:
            return []
        k = split(hi - lo)
        return walk(lo, lo + k) + walk(lo + k, hi)

    return walk(0, len(hashes))


def verify_multiproof(
    tree_size: int,
    indices: Sequence[int],
    leaves: Mapping[int, bytes],
    siblings: Sequence[bytes],
    root: bytes,
    mode: str = "rfc6962",
) -> bool:
    """Recompute the root from ``leaves`` (index -> leaf hash) and ``siblings``; strict on everything."""
    idx = list(indices)
    if not idx or idx != sorted(set(idx)) or idx[-1] >= tree_size or set(leaves) != set(idx):
        return False
    feed = iter(siblings)

    def walk(lo: int, hi: int) -> bytes | None:
        if not any(lo <= i < hi for i in idx):
            return next(feed, None)
        if hi - lo == 1:
            return leaves[lo]
        k = split(hi - lo)
        left = walk(lo, lo + k)
        right = walk(lo + k, hi) if left is not None else None
        return None if left is None or right is None else node_hash(left, right, mode)

    top = walk(0, tree_size)
    return top is not None and next(feed, None) is None and top == root
