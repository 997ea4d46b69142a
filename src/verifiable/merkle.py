"""Merkle commitments: RFC 6962 / RFC 9162 trees, proofs and their verifiers.

Hashing (``mode="rfc6962"``, the default)::

    leaf hash = SHA-256(0x00 || data)
    node hash = SHA-256(0x01 || left || right)
    MTH of n > 1 leaves splits at k, the largest power of two smaller than n
    MTH of no leaves = SHA-256(b"")

``mode="merkletools"`` drops the 0x00/0x01 prefixes (leaf hash = SHA-256(data),
node hash = SHA-256(left || right)) to interoperate with the ``merkletools``
package, whose trees have the same shape. It has **no domain separation**: an
interior node can be passed off as a 64-byte leaf. Use it for interoperability
only, never for a commitment an adversary can attack.

All hashing and tree building run in the C kernel, once per batch, with the
GIL released and (for large inputs) on every core.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _bindings, _codec
from ._buffers import HASH_SIZE, as_bytes, as_hash, as_hash_rows, as_int
from .exceptions import DecodeError, InvalidInputError, VerificationError

__all__ = [
    "ConsistencyProof",
    "InclusionProof",
    "MerkleBuilder",
    "MerkleTree",
    "MultiProof",
    "leaf_hash",
    "verify_consistency",
    "verify_inclusion",
    "verify_multiproof",
]

#: Decoding limits: a tree of < 2^64 leaves never needs more.
MAX_PATH = 64
MAX_CONSISTENCY = 65
MAX_MULTIPROOF_INDICES = 2**24


def leaf_hash(data: Any, *, mode: str = "rfc6962") -> bytes:
    """The leaf hash of one leaf's data: SHA-256(0x00 || data), or SHA-256(data) in merkletools mode."""
    return bytes(_leaf_hashes([as_bytes(data, "data")], _bindings.mode_id(mode), 1)[0].tobytes())


def _leaf_source(leaves: Any) -> NDArray[np.uint8] | list[bytes]:
    """Validate raw leaves: a 2-D C-contiguous uint8 array, or a list of their bytes."""
    if isinstance(leaves, np.ndarray):
        if leaves.ndim != 2 or leaves.dtype != np.uint8:
            raise InvalidInputError(
                f"leaves array must be 2-D uint8 (one leaf per row), got {leaves.ndim}-D {leaves.dtype}"
            )
        if not leaves.flags.c_contiguous:
            raise InvalidInputError("leaves array must be C-contiguous (use np.ascontiguousarray)")
        return leaves
    if isinstance(leaves, (bytes, bytearray, memoryview, str)):
        raise InvalidInputError(
            f"leaves must be a sequence of bytes-like objects, not a single {type(leaves).__name__}"
        )
    try:
        return [as_bytes(leaf, f"leaves[{i}]") for i, leaf in enumerate(leaves)]
    except TypeError:
        raise InvalidInputError(
            f"leaves must be a sequence of bytes-like objects, not {type(leaves).__name__}"
        ) from None


def _leaf_hashes(
    leaves: NDArray[np.uint8] | list[bytes], mode: int, threads: int, out: NDArray[np.uint8] | None = None
) -> NDArray[np.uint8]:
    """Leaf hashes of validated raw leaves, in one kernel call (into ``out`` when given)."""
    if isinstance(leaves, np.ndarray):
        return _bindings.hash_leaves_rows(mode, leaves, threads, out)
    offsets = np.zeros(len(leaves) + 1, dtype=np.uint64)
    if leaves:
        np.cumsum([len(b) for b in leaves], out=offsets[1:])
    return _bindings.hash_leaves_offsets(mode, b"".join(leaves), offsets, threads, out)


def _path_sides(index: int, tree_size: int, count: int) -> list[bool]:
    """For each sibling of an audit path, whether it sits on the left (RFC 9162 2.1.3.2 walk)."""
    fn, sn = index, tree_size - 1
    sides = []
    for _ in range(count):
        if sn == 0:
            break
        if fn & 1 or fn == sn:
            sides.append(True)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sides.append(False)
        fn >>= 1
        sn >>= 1
    return sides


def _check_siblings(siblings: Any, name: str) -> tuple[bytes, ...]:
    if isinstance(siblings, (bytes, bytearray, str)) or not isinstance(siblings, (tuple, list)):
        raise InvalidInputError(f"{name} must be a tuple of {HASH_SIZE}-byte hashes")
    return tuple(as_hash(s, f"{name}[{i}]") for i, s in enumerate(siblings))


@dataclass(frozen=True)
class InclusionProof:
    """An RFC 9162 audit path: the siblings from leaf ``index`` up to the root of ``tree_size`` leaves.

    Binary form (big-endian)::

        b"VFIP" | version u8 = 1 | index u64 | tree_size u64 | count u8 | count * 32-byte hash
    """

    index: int
    tree_size: int
    siblings: tuple[bytes, ...]

    _MAGIC = b"VFIP"
    _VERSION = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", as_int(self.index, "index"))
        object.__setattr__(self, "tree_size", as_int(self.tree_size, "tree_size"))
        object.__setattr__(self, "siblings", _check_siblings(self.siblings, "siblings"))
        if len(self.siblings) > MAX_PATH:
            raise InvalidInputError(f"an audit path has at most {MAX_PATH} siblings, got {len(self.siblings)}")

    def to_bytes(self) -> bytes:
        return b"".join(
            [self._MAGIC, _codec.u8(self._VERSION), _codec.u64(self.index), _codec.u64(self.tree_size),
             _codec.u8(len(self.siblings)), *self.siblings]
        )

    @classmethod
    def from_bytes(cls, data: Any) -> InclusionProof:
        r = _codec.Reader(data, "InclusionProof")
        r.magic(cls._MAGIC, cls._VERSION)
        index, size = r.u64(), r.u64()
        n = r.count(r.u8(), HASH_SIZE, MAX_PATH, "sibling")
        siblings = r.hashes(n)
        r.finish()
        return cls(index, size, siblings)

    def to_json(self) -> str:
        return _codec.json_dumps(
            {"type": "inclusion_proof", "version": self._VERSION, "index": self.index,
             "tree_size": self.tree_size, "siblings": [s.hex() for s in self.siblings]}
        )

    @classmethod
    def from_json(cls, text: Any) -> InclusionProof:
        what = "InclusionProof JSON"
        obj = _codec.json_object(text, what, "inclusion_proof", {"version", "index", "tree_size", "siblings"})
        if _codec.json_int(obj, "version", what) != cls._VERSION:
            raise DecodeError(f"{what}: unknown version {obj['version']}")
        sibs = _codec.json_list(obj, "siblings", what)
        if len(sibs) > MAX_PATH:
            raise DecodeError(f"{what}: too many siblings ({len(sibs)} > {MAX_PATH})")
        try:
            return cls(_codec.json_int(obj, "index", what), _codec.json_int(obj, "tree_size", what),
                       tuple(_codec.json_hex(s, what, HASH_SIZE) for s in sibs))
        except DecodeError:
            raise
        except InvalidInputError as exc:
            raise DecodeError(f"{what}: {exc}") from None

    def to_merkletools(self) -> list[dict[str, str]]:
        """This path in merkletools' format: ``[{"left": hex} | {"right": hex}, ...]`` from the leaf up."""
        sides = _path_sides(self.index, self.tree_size, MAX_PATH)
        if len(sides) != len(self.siblings) or self.index >= self.tree_size:
            raise InvalidInputError("this proof's sibling count does not fit its index and tree_size")
        return [{"left" if left else "right": s.hex()} for left, s in zip(sides, self.siblings)]

    @classmethod
    def from_merkletools(cls, items: Any, index: int, tree_size: int) -> InclusionProof:
        """Read a merkletools proof list for leaf ``index`` of a ``tree_size``-leaf tree."""
        what = "merkletools proof"
        if not isinstance(items, (list, tuple)):
            raise DecodeError(f"{what}: expected a list of {{'left'|'right': hex}} items")
        index = as_int(index, "index")
        tree_size = as_int(tree_size, "tree_size", minimum=1)
        if index >= tree_size:
            raise InvalidInputError(f"index {index} is not below tree_size {tree_size}")
        if len(items) > MAX_PATH:
            raise DecodeError(f"{what}: too many items ({len(items)})")
        sides = _path_sides(index, tree_size, len(items))
        siblings = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in ("left", "right"):
                raise DecodeError(f"{what}: item {i} must be a one-key dict 'left' or 'right'")
            (side, value), = item.items()
            if i >= len(sides) or (side == "left") != sides[i]:
                raise DecodeError(f"{what}: item {i} is on the {side}, which does not fit index {index}")
            siblings.append(_codec.json_hex(value, f"{what} item {i}", HASH_SIZE))
        return cls(index, tree_size, tuple(siblings))


@dataclass(frozen=True)
class ConsistencyProof:
    """An RFC 9162 section 2.1.4 consistency proof from ``old_size`` to ``new_size`` leaves.

    Binary form (big-endian)::

        b"VFCP" | version u8 = 1 | old_size u64 | new_size u64 | count u8 | count * 32-byte hash
    """

    old_size: int
    new_size: int
    siblings: tuple[bytes, ...]

    _MAGIC = b"VFCP"
    _VERSION = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "old_size", as_int(self.old_size, "old_size"))
        object.__setattr__(self, "new_size", as_int(self.new_size, "new_size"))
        object.__setattr__(self, "siblings", _check_siblings(self.siblings, "siblings"))
        if len(self.siblings) > MAX_CONSISTENCY:
            raise InvalidInputError(
                f"a consistency proof has at most {MAX_CONSISTENCY} hashes, got {len(self.siblings)}"
            )

    def to_bytes(self) -> bytes:
        return b"".join(
            [self._MAGIC, _codec.u8(self._VERSION), _codec.u64(self.old_size), _codec.u64(self.new_size),
             _codec.u8(len(self.siblings)), *self.siblings]
        )

    @classmethod
    def from_bytes(cls, data: Any) -> ConsistencyProof:
        r = _codec.Reader(data, "ConsistencyProof")
        r.magic(cls._MAGIC, cls._VERSION)
        old, new = r.u64(), r.u64()
        n = r.count(r.u8(), HASH_SIZE, MAX_CONSISTENCY, "hash")
        siblings = r.hashes(n)
        r.finish()
        return cls(old, new, siblings)

    def to_json(self) -> str:
        return _codec.json_dumps(
            {"type": "consistency_proof", "version": self._VERSION, "old_size": self.old_size,
             "new_size": self.new_size, "siblings": [s.hex() for s in self.siblings]}
        )

    @classmethod
    def from_json(cls, text: Any) -> ConsistencyProof:
        what = "ConsistencyProof JSON"
        obj = _codec.json_object(text, what, "consistency_proof", {"version", "old_size", "new_size", "siblings"})
        if _codec.json_int(obj, "version", what) != cls._VERSION:
            raise DecodeError(f"{what}: unknown version {obj['version']}")
        sibs = _codec.json_list(obj, "siblings", what)
        if len(sibs) > MAX_CONSISTENCY:
            raise DecodeError(f"{what}: too many hashes ({len(sibs)} > {MAX_CONSISTENCY})")
        try:
            return cls(_codec.json_int(obj, "old_size", what), _codec.json_int(obj, "new_size", what),
                       tuple(_codec.json_hex(s, what, HASH_SIZE) for s in sibs))
        except DecodeError:
            raise
        except InvalidInputError as exc:
            raise DecodeError(f"{what}: {exc}") from None


@dataclass(frozen=True)
class MultiProof:
    """One proof for several leaves of a ``tree_size``-leaf tree, siblings deduplicated.

    The verifier walks the RFC 6962 tree from the root, left before right,
    depth first; every subtree that holds none of ``indices`` takes the next
    hash of ``siblings``, every subtree that holds some is descended into.
    ``indices`` must be strictly increasing. No sibling is sent twice, and none
    that the opened leaves already determine is sent at all.

    Binary form (big-endian)::

        b"VFMP" | version u8 = 1 | tree_size u64 | k u32 | k * index u64
                | count u32 | count * 32-byte hash
    """

    tree_size: int
    indices: tuple[int, ...]
    siblings: tuple[bytes, ...]

    _MAGIC = b"VFMP"
    _VERSION = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "tree_size", as_int(self.tree_size, "tree_size"))
        if isinstance(self.indices, (bytes, bytearray, str)) or not isinstance(self.indices, (tuple, list)):
            raise InvalidInputError("indices must be a tuple of ints")
        object.__setattr__(
            self, "indices", tuple(as_int(i, f"indices[{n}]") for n, i in enumerate(self.indices))
        )
        object.__setattr__(self, "siblings", _check_siblings(self.siblings, "siblings"))
        if len(self.indices) > MAX_MULTIPROOF_INDICES:
            raise InvalidInputError(f"a multiproof opens at most {MAX_MULTIPROOF_INDICES} indices")
        if len(self.siblings) > max(1, len(self.indices)) * MAX_PATH:
            raise InvalidInputError("a multiproof has at most 64 siblings per index")

    def to_bytes(self) -> bytes:
        return b"".join(
            [self._MAGIC, _codec.u8(self._VERSION), _codec.u64(self.tree_size), _codec.u32(len(self.indices)),
             *(_codec.u64(i) for i in self.indices), _codec.u32(len(self.siblings)), *self.siblings]
        )

    @classmethod
    def from_bytes(cls, data: Any) -> MultiProof:
        r = _codec.Reader(data, "MultiProof")
        r.magic(cls._MAGIC, cls._VERSION)
        size = r.u64()
        k = r.count(r.u32(), 8, MAX_MULTIPROOF_INDICES, "index")
        indices = tuple(r.u64() for _ in range(k))
        n = r.count(r.u32(), HASH_SIZE, max(1, k) * MAX_PATH, "sibling")
        siblings = r.hashes(n)
        r.finish()
        return cls(size, indices, siblings)

    def to_json(self) -> str:
        return _codec.json_dumps(
            {"type": "multiproof", "version": self._VERSION, "tree_size": self.tree_size,
             "indices": list(self.indices), "siblings": [s.hex() for s in self.siblings]}
        )

    @classmethod
    def from_json(cls, text: Any) -> MultiProof:
        what = "MultiProof JSON"
        obj = _codec.json_object(text, what, "multiproof", {"version", "tree_size", "indices", "siblings"})
        if _codec.json_int(obj, "version", what) != cls._VERSION:
            raise DecodeError(f"{what}: unknown version {obj['version']}")
        indices = _codec.json_list(obj, "indices", what)
        sibs = _codec.json_list(obj, "siblings", what)
        if len(indices) > MAX_MULTIPROOF_INDICES or len(sibs) > max(1, len(indices)) * MAX_PATH:
            raise DecodeError(f"{what}: too many indices or siblings")
        if any(isinstance(i, bool) or not isinstance(i, int) for i in indices):
            raise DecodeError(f"{what}: indices must be integers")
        try:
            return cls(_codec.json_int(obj, "tree_size", what), tuple(indices),
                       tuple(_codec.json_hex(s, what, HASH_SIZE) for s in sibs))
        except DecodeError:
            raise
        except InvalidInputError as exc:
            raise DecodeError(f"{what}: {exc}") from None


class MerkleTree:
    """A Merkle tree over a sequence of leaves, with every level kept for proofs.

    ``leaves`` is a sequence of bytes-like objects, or a 2-D C-contiguous
    uint8 numpy array whose rows are the leaves (read without copying). Leaf
    hashing and every level are computed by the C kernel in one call each;
    ``threads=None`` uses every core. Memory: 64 bytes per leaf.
    """

    __slots__ = ("_mode", "_mode_id", "_size", "_store")

    def __init__(self, leaves: Any, *, mode: str = "rfc6962", threads: int | None = None) -> None:
        mid = _bindings.mode_id(mode)
        nthreads = _bindings.threads_arg(threads)
        source = _leaf_source(leaves)
        n = len(source)
        store = _bindings.merkle_new_store(n)
        # leaf hashes go straight into the first rows of the level store
        _leaf_hashes(source, mid, nthreads, store[:n])
        self._finish(mode, mid, store, n, nthreads)

    @classmethod
    def from_leaf_hashes(cls, hashes: Any, *, mode: str = "rfc6962", threads: int | None = None) -> MerkleTree:
        """A tree over leaf hashes computed elsewhere (an (n, 32) uint8 array or 32-byte values)."""
        mid = _bindings.mode_id(mode)
        nthreads = _bindings.threads_arg(threads)
        tree = cls.__new__(cls)
        tree._setup(mode, mid, as_hash_rows(hashes, "hashes"), nthreads)
        return tree

    def _setup(self, mode: str, mid: int, hashes: NDArray[np.uint8], threads: int) -> None:
        n = int(hashes.shape[0])
        store = _bindings.merkle_new_store(n)
        store[:n] = hashes
        self._finish(mode, mid, store, n, threads)

    def _finish(self, mode: str, mid: int, store: NDArray[np.uint8], n: int, threads: int) -> None:
        _bindings.merkle_build(mid, store, n, threads)
        self._mode = mode
        self._mode_id = mid
        self._size = n
        self._store = store

    def __repr__(self) -> str:
        return f"MerkleTree(size={self._size}, mode={self._mode!r}, root={self.root.hex()})"

    def __len__(self) -> int:
        return self._size

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def size(self) -> int:
        """Number of leaves."""
        return self._size

    @property
    def root(self) -> bytes:
        """The 32-byte root (SHA-256(b"") for an empty tree)."""
        if self._size == 0:
            return _bindings.sha256(b"")
        return bytes(self._store[-1].tobytes())

    @property
    def leaf_hashes(self) -> NDArray[np.uint8]:
        """A read-only (size, 32) view of every leaf hash."""
        view = self._store[: self._size]
        view.flags.writeable = False
        return view

    def _index(self, index: Any) -> int:
        i = as_int(index, "index")
        if i >= self._size:
            raise InvalidInputError(f"index {i} is out of range for a tree of {self._size} leaves")
        return i

    def leaf_hash(self, index: int) -> bytes:
        """The leaf hash stored for leaf ``index``."""
        return bytes(self._store[self._index(index)].tobytes())

    def root_at(self, size: int) -> bytes:
        """The root of the tree of the first ``size`` leaves (0 <= size <= self.size)."""
        s = as_int(size, "size")
        if s > self._size:
            raise InvalidInputError(f"size {s} exceeds the tree's {self._size} leaves")
        return _bindings.merkle_root_at(self._mode_id, self._store, self._size, s)

    def inclusion_proof(self, index: int) -> InclusionProof:
        """The RFC 9162 audit path of leaf ``index``."""
        i = self._index(index)
        return InclusionProof(i, self._size, _bindings.merkle_inclusion_proof(self._store, self._size, i))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """The RFC 9162 consistency proof between the first ``old_size`` and ``new_size`` leaves."""
        new = self._size if new_size is None else as_int(new_size, "new_size")
        old = as_int(old_size, "old_size")
        if not 0 < old <= new <= self._size:
            raise InvalidInputError(
                f"need 0 < old_size <= new_size <= {self._size}, got old_size={old}, new_size={new}"
            )
        sibs = _bindings.merkle_consistency_proof(self._mode_id, self._store, self._size, old, new)
        return ConsistencyProof(old, new, sibs)

    def multiproof(self, indices: Iterable[int]) -> MultiProof:
        """One deduplicated proof for every leaf in ``indices`` (sorted, duplicates dropped)."""
        if isinstance(indices, (bytes, bytearray, str)):
            raise InvalidInputError("indices must be an iterable of ints")
        try:
            wanted = sorted({self._index(i) for i in indices})
        except TypeError:
            raise InvalidInputError("indices must be an iterable of ints") from None
        if not wanted:
            raise InvalidInputError("a multiproof needs at least one index")
        idx = np.array(wanted, dtype=np.uint64)
        return MultiProof(self._size, tuple(wanted), _bindings.merkle_multiproof(self._store, self._size, idx))


class MerkleBuilder:
    """Builds the same root as :class:`MerkleTree` one leaf or one batch at a time.

    It keeps one hash per set bit of the leaf count (at most 64 hashes), so a
    provider can commit to more data than fits in memory. Batches are hashed
    and reduced in C.
    """

    __slots__ = ("_mode", "_mode_id", "_state")

    def __init__(self, *, mode: str = "rfc6962") -> None:
        self._mode = mode
        self._mode_id = _bindings.mode_id(mode)
        self._state = _bindings.builder_new(self._mode_id)

    def __repr__(self) -> str:
        return f"MerkleBuilder(size={self.size}, mode={self._mode!r})"

    @property
    def size(self) -> int:
        return _bindings.builder_size(self._state)

    @property
    def root(self) -> bytes:
        return _bindings.builder_root(self._state)

    def append(self, leaf: Any) -> None:
        self.extend([leaf])

    def extend(self, leaves: Any) -> None:
        source = _leaf_source(leaves)
        self.extend_leaf_hashes(_leaf_hashes(source, self._mode_id, _bindings.default_threads()))

    def append_leaf_hash(self, leaf_hash: Any) -> None:
        self.extend_leaf_hashes([leaf_hash])

    def extend_leaf_hashes(self, hashes: Any) -> None:
        _bindings.builder_push(self._state, as_hash_rows(hashes, "hashes"))


def _proof(proof: Any, cls: type, name: str) -> None:
    if not isinstance(proof, cls):
        raise InvalidInputError(f"{name} must be a {cls.__name__}, not {type(proof).__name__}")


def _trusted_size(value: Any, claimed: int, name: str, what: str) -> None:
    """A proof's size field is not authenticated by the root: compare it with the caller's."""
    size = as_int(value, name)
    if size != claimed:
        raise VerificationError(f"{what}: the proof is for {name} {claimed}, the root is for {size}")


def verify_inclusion(
    *, proof: InclusionProof, leaf_hash: Any, root: Any, tree_size: int, mode: str = "rfc6962"
) -> None:
    """Check that ``leaf_hash`` is leaf ``proof.index`` of the ``tree_size``-leaf tree with ``root``.

    ``tree_size`` is the size the caller trusts ``root`` for (from a signed commitment, as an
    RFC 9162 signed tree head carries it): a root does not bind the size by itself, so a proof's
    own ``tree_size`` field is only compared with it. Raises :class:`VerificationError` if not.
    """
    _proof(proof, InclusionProof, "proof")
    mid = _bindings.mode_id(mode)
    leaf, top = as_hash(leaf_hash, "leaf_hash"), as_hash(root, "root")
    _trusted_size(tree_size, proof.tree_size, "tree_size", "inclusion proof")
    if proof.tree_size == 0:
        raise VerificationError("inclusion proof: an empty tree has no leaves")
    if proof.index >= proof.tree_size:
        raise VerificationError(f"inclusion proof: index {proof.index} >= tree_size {proof.tree_size}")
    _bindings.verify_inclusion(mid, proof.index, proof.tree_size, leaf, b"".join(proof.siblings), top)


def verify_consistency(
    *,
    proof: ConsistencyProof,
    old_root: Any,
    new_root: Any,
    old_size: int,
    new_size: int,
    mode: str = "rfc6962",
) -> None:
    """Check that the ``old_size``-leaf tree with ``old_root`` is a prefix of the ``new_size``-leaf
    tree with ``new_root`` (the sizes the caller trusts the roots for)."""
    _proof(proof, ConsistencyProof, "proof")
    mid = _bindings.mode_id(mode)
    old, new = as_hash(old_root, "old_root"), as_hash(new_root, "new_root")
    _trusted_size(old_size, proof.old_size, "old_size", "consistency proof")
    _trusted_size(new_size, proof.new_size, "new_size", "consistency proof")
    if proof.old_size == 0:
        raise VerificationError("consistency proof: consistency from an empty tree is not proved")
    if proof.old_size > proof.new_size:
        raise VerificationError(f"consistency proof: old_size {proof.old_size} > new_size {proof.new_size}")
    _bindings.verify_consistency(mid, proof.old_size, proof.new_size, old, new, b"".join(proof.siblings))


def verify_multiproof(
    *,
    proof: MultiProof,
    leaf_hashes: Mapping[int, Any],
    root: Any,
    tree_size: int,
    mode: str = "rfc6962",
) -> None:
    """Check that each ``leaf_hashes[i]`` is leaf ``i`` of the ``tree_size``-leaf tree with ``root``,
    for every i in ``proof.indices`` (``tree_size``: the size the caller trusts ``root`` for)."""
    _proof(proof, MultiProof, "proof")
    mid = _bindings.mode_id(mode)
    top = as_hash(root, "root")
    _trusted_size(tree_size, proof.tree_size, "tree_size", "multiproof")
    if not isinstance(leaf_hashes, Mapping):
        raise InvalidInputError("leaf_hashes must be a mapping of index -> 32-byte leaf hash")
    idx = proof.indices
    if not idx:
        raise VerificationError("multiproof: no indices")
    if any(b <= a for a, b in itertools.pairwise(idx)):
        raise VerificationError("multiproof: indices must be strictly increasing (no duplicates)")
    if proof.tree_size == 0 or idx[-1] >= proof.tree_size:
        raise VerificationError(f"multiproof: index {idx[-1]} is outside a tree of {proof.tree_size} leaves")
    if set(leaf_hashes) != set(idx) or len(leaf_hashes) != len(idx):
        raise VerificationError("multiproof: the leaf hashes given do not match the proof's indices")
    leaves = b"".join(as_hash(leaf_hashes[i], f"leaf_hashes[{i}]") for i in idx)
    _bindings.verify_multiproof(
        mid, proof.tree_size, np.array(idx, dtype=np.uint64), leaves, b"".join(proof.siblings), top
    )

