"""Merkle and chunk-hashing benchmarks (issue 2, section 6).

Run:  .venv/bin/python -m pytest benchmarks/test_bench_merkle.py --benchmark-only
      (``make bench`` runs every benchmarks/test_bench_*.py and then benchmarks/report.py)

Each benchmark tags itself (group / impl / label, see report.py) so that report.py pairs ours
with the alternatives measured in the same run. Inputs are seeded; every alternative is checked
once, outside the timing, to give the same root (or digests) as ours. Every alternative gets its
input already in the form its API wants (list of bytes, list of hex strings), prepared outside
the timing, so the conversion from our (n, 32) numpy array is never charged to it.

- Tree build, 2^10 / 2^14 / 2^17 / 2^20 leaves of 32 random bytes:
  ours ``MerkleTree(arr, threads=1|2)`` (leaf hashing + all levels kept) against
  * hashlib: a pure-Python RFC 6962 tree, level by level (below), all levels kept;
  * merkletools 1.0.3: ``add_leaf(hex_leaves)`` (do_hash=False: the 32-byte values are taken as
    the leaf hashes, so it hashes about half as much as the others: no leaf hashing) then
    ``make_tree()``; plain SHA-256(l || r), compared with ours in mode="merkletools";
  * pymerkle 7.0.0: ``SqliteTree(":memory:")`` + ``append_entries`` (its bulk insert: hashes the
    leaves and inserts them in executemany batches) + ``get_root()`` (pymerkle computes the
    interior nodes lazily, so the root is part of building); RFC 6962 hashing, same root as ours;
  * pymerkle 7.0.0 ``InmemoryTree`` (per-leaf appends), for reference at 2^10 and 2^14 only.
- SHA-256 of 1 MiB chunks of a 256 MiB buffer: ``digest_chunks(buf, 2**20, threads=1|2)`` against
  hashlib one chunk at a time on a memoryview.
- Multiproof of k = 16, 264, 1024 random leaves of a 2^20-leaf tree against k inclusion proofs:
  sizes (hashes, serialized bytes) in extra_info["sizes"]; the timing is proof generation.
- ``verify_inclusion`` of one proof in a 2^20-leaf tree, called from Python (target <= 20 us),
  with a pure-Python hashlib RFC 9162 verifier for reference.
"""

from __future__ import annotations

import hashlib
import warnings
from typing import Any

import numpy as np
import pytest

from verifiable import MerkleTree, digest_chunks, verify_inclusion, verify_multiproof

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # merkletools warns that pysha3 is missing; it is not needed
    from merkletools import MerkleTools

from pymerkle import InmemoryTree, SqliteTree

SEED = 20240602
LOG_SIZES = (10, 14, 17, 20)
BIG = 1 << 17  # from this size on, the slow pure-Python alternatives run a fixed number of rounds
SLOW_ROUNDS = {1 << 17: 5, 1 << 20: 5}
CHUNK = 1 << 20
BUFFER = 256 << 20
TREE_TARGETS_1 = {"hashlib": 8.0, "merkletools": 10.0, "pymerkle-sqlite": 50.0}
TREE_TARGETS_2 = {"hashlib": 14.0, "merkletools": 10.0, "pymerkle-sqlite": 50.0}


def tag(benchmark: Any, group: str, impl: str, label: str, **extra: Any) -> None:
    """Fill in the report.py extra_info convention and use the group in pytest-benchmark's table."""
    assert impl in ("ours", "alt")
    benchmark.group = group
    benchmark.extra_info.update({"group": group, "impl": impl, "label": label, **extra})


# --- pure-Python baselines (hashlib) ----------------------------------------------------------


def py_rfc6962_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """RFC 6962 tree level by level: H(0x00||leaf), H(0x01||l||r), an odd last node promoted.

    Promoting the odd node gives exactly RFC 6962's split at the largest power of two below n.
    All levels are kept (as MerkleTree keeps them), so proofs could be read off.
    """
    sha = hashlib.sha256
    level = [sha(b"\x00" + x).digest() for x in leaves]
    levels = [level]
    while len(level) > 1:
        nxt = [sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) & 1:
            nxt.append(level[-1])
        levels.append(nxt)
        level = nxt
    return levels


def py_verify_inclusion(index: int, size: int, path: tuple[bytes, ...], leaf: bytes, root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2, in pure Python."""
    if index >= size:
        return False
    sha = hashlib.sha256
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = sha(b"\x01" + p + r).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = sha(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# --- inputs (seeded, built once per module) ---------------------------------------------------

_cache: dict[Any, Any] = {}


def leaves(n: int) -> np.ndarray:
    key = ("arr", n)
    if key not in _cache:
        _cache[key] = np.random.default_rng(SEED + n).integers(0, 256, size=(n, 32), dtype=np.uint8)
    return _cache[key]


def leaf_bytes(n: int) -> list[bytes]:
    key = ("bytes", n)
    if key not in _cache:
        flat = leaves(n).tobytes()
        _cache[key] = [flat[i : i + 32] for i in range(0, len(flat), 32)]
    return _cache[key]


def leaf_hex(n: int) -> list[str]:
    key = ("hex", n)
    if key not in _cache:
        _cache[key] = [b.hex() for b in leaf_bytes(n)]
    return _cache[key]


def our_root(n: int, mode: str = "rfc6962") -> bytes:
    key = ("root", n, mode)
    if key not in _cache:
        if mode == "rfc6962":
            _cache[key] = MerkleTree(leaves(n)).root
        else:
            _cache[key] = MerkleTree.from_leaf_hashes(leaves(n), mode=mode).root
    return _cache[key]


def size_id(log: int) -> str:
    return f"2^{log}"


def run(benchmark: Any, fn: Any, n: int, *, setup: Any = None) -> Any:
    """Auto-calibrated rounds for small inputs; a fixed number of rounds for the slow ones."""
    if n >= BIG:
        return benchmark.pedantic(fn, setup=setup, rounds=SLOW_ROUNDS[n], iterations=1)
    if setup is not None:
        return benchmark.pedantic(fn, setup=setup, rounds=5, iterations=1)
    return benchmark(fn)


# --- tree build -------------------------------------------------------------------------------


@pytest.mark.parametrize("threads", [1, 2], ids=lambda t: f"threads={t}")
@pytest.mark.parametrize("log", LOG_SIZES, ids=size_id)
def test_build_ours(benchmark: Any, log: int, threads: int) -> None:
    n = 1 << log
    arr = leaves(n)
    tag(benchmark, f"merkle_build_2^{log}", "ours", f"threads={threads}", size=n,
        targets=(TREE_TARGETS_1 if threads == 1 else TREE_TARGETS_2) if n == 1 << 20 else {})
    tree = benchmark(MerkleTree, arr, threads=threads)
    assert tree.root == our_root(n) and tree.size == n


@pytest.mark.parametrize("log", LOG_SIZES, ids=size_id)
def test_build_hashlib(benchmark: Any, log: int) -> None:
    n = 1 << log
    data = leaf_bytes(n)
    assert py_rfc6962_levels(data)[-1][0] == our_root(n)  # same root, checked outside the timing
    tag(benchmark, f"merkle_build_2^{log}", "alt", "hashlib", size=n,
        note="pure-Python RFC 6962 tree over hashlib, level by level, all levels kept")
    levels = run(benchmark, lambda: py_rfc6962_levels(data), n)
    assert levels[-1][0] == our_root(n)


@pytest.mark.parametrize("log", LOG_SIZES, ids=size_id)
def test_build_merkletools(benchmark: Any, log: int) -> None:
    n = 1 << log
    hexes = leaf_hex(n)

    def build() -> MerkleTools:
        mt = MerkleTools(hash_type="sha256")
        mt.add_leaf(hexes)  # do_hash=False: the values are the leaf hashes (no leaf hashing)
        mt.make_tree()
        return mt

    assert bytes.fromhex(build().get_merkle_root()) == our_root(n, "merkletools")
    tag(benchmark, f"merkle_build_2^{log}", "alt", "merkletools", size=n,
        note="merkletools 1.0.3 add_leaf(hex, do_hash=False) + make_tree(): no leaf hashing, "
             "about half the hashing of the others")
    mt = run(benchmark, build, n)
    assert bytes.fromhex(mt.get_merkle_root()) == our_root(n, "merkletools")


@pytest.mark.parametrize("log", LOG_SIZES, ids=size_id)
def test_build_pymerkle_sqlite(benchmark: Any, log: int) -> None:
    n = 1 << log
    data = leaf_bytes(n)
    opened: list[SqliteTree] = []

    def close_previous() -> None:  # untimed: drop the previous round's database
        while opened:
            opened.pop().close()

    def build() -> bytes:
        t = SqliteTree(":memory:")
        opened.append(t)
        t.append_entries(data)
        return t.get_root()

    assert build() == our_root(n)
    close_previous()
    tag(benchmark, f"merkle_build_2^{log}", "alt", "pymerkle-sqlite", size=n,
        note='pymerkle 7.0.0 SqliteTree(":memory:") + append_entries (bulk) + get_root()')
    root = run(benchmark, build, n, setup=close_previous)
    close_previous()
    assert root == our_root(n)


@pytest.mark.parametrize("log", [10, 14], ids=size_id)
def test_build_pymerkle_inmemory(benchmark: Any, log: int) -> None:
    n = 1 << log
    data = leaf_bytes(n)

    def build() -> bytes:
        t = InmemoryTree()
        t.append_entries(data)
        return t.get_root()

    assert build() == our_root(n)
    tag(benchmark, f"merkle_build_2^{log}", "alt", "pymerkle-inmemory", size=n,
        note="pymerkle 7.0.0 InmemoryTree + append_entries + get_root() (reference, small sizes)")
    assert run(benchmark, build, n) == our_root(n)


# --- SHA-256 of 1 MiB chunks ------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_buffer() -> bytes:
    return np.random.default_rng(SEED).bytes(BUFFER)


def hashlib_chunks(buf: bytes) -> list[bytes]:
    mv = memoryview(buf)
    return [hashlib.sha256(mv[i : i + CHUNK]).digest() for i in range(0, len(mv), CHUNK)]


@pytest.mark.parametrize("threads", [1, 2], ids=lambda t: f"threads={t}")
def test_chunks_ours(benchmark: Any, big_buffer: bytes, threads: int) -> None:
    tag(benchmark, "sha256_1MiB_chunks_256MiB", "ours", f"threads={threads}", bytes=BUFFER,
        targets={"hashlib": 0.95 if threads == 1 else 1.8})
    out = benchmark(digest_chunks, big_buffer, CHUNK, threads=threads)
    assert out.shape == (BUFFER // CHUNK, 32)
    assert out[-1].tobytes() == hashlib.sha256(big_buffer[-CHUNK:]).digest()


def test_chunks_hashlib(benchmark: Any, big_buffer: bytes) -> None:
    expected = digest_chunks(big_buffer, CHUNK, threads=1)
    tag(benchmark, "sha256_1MiB_chunks_256MiB", "alt", "hashlib", bytes=BUFFER,
        note="hashlib.sha256 one 1 MiB memoryview slice at a time, one thread")
    out = benchmark(hashlib_chunks, big_buffer)
    assert b"".join(out) == expected.tobytes()


# --- proofs on a 2^20-leaf tree ---------------------------------------------------------------


@pytest.fixture(scope="module")
def tree_2_20() -> MerkleTree:
    return MerkleTree(leaves(1 << 20))


def random_indices(k: int, n: int = 1 << 20) -> list[int]:
    rng = np.random.default_rng(SEED + k)
    return sorted(int(i) for i in rng.choice(n, size=k, replace=False))


@pytest.mark.parametrize("k", [16, 264, 1024], ids=lambda k: f"k={k}")
def test_multiproof_ours(benchmark: Any, tree_2_20: MerkleTree, k: int) -> None:
    idx = random_indices(k)
    mp = tree_2_20.multiproof(idx)
    verify_multiproof(proof=mp, leaf_hashes={i: tree_2_20.leaf_hash(i) for i in idx}, root=tree_2_20.root, tree_size=mp.tree_size)
    singles = [tree_2_20.inclusion_proof(i) for i in idx]
    sizes = [
        {"what": "hashes", "ours": len(mp.siblings), "alt": sum(len(p.siblings) for p in singles)},
        {"what": "bytes (to_bytes)", "ours": len(mp.to_bytes()),
         "alt": sum(len(p.to_bytes()) for p in singles)},
    ]
    tag(benchmark, f"multiproof_2^20_k={k}", "ours", "multiproof", k=k, tree_size=1 << 20, sizes=sizes,
        note="timing: generating the proof(s); sizes: one multiproof vs k separate inclusion proofs")
    out = benchmark(tree_2_20.multiproof, idx)
    assert out == mp


@pytest.mark.parametrize("k", [16, 264, 1024], ids=lambda k: f"k={k}")
def test_multiproof_vs_inclusion_proofs(benchmark: Any, tree_2_20: MerkleTree, k: int) -> None:
    idx = random_indices(k)
    tag(benchmark, f"multiproof_2^20_k={k}", "alt", "k inclusion proofs", k=k, tree_size=1 << 20)
    out = benchmark(lambda: [tree_2_20.inclusion_proof(i) for i in idx])
    assert len(out) == k


def test_verify_inclusion_ours(benchmark: Any, tree_2_20: MerkleTree) -> None:
    i = random_indices(1)[0]
    proof, leaf, root = tree_2_20.inclusion_proof(i), tree_2_20.leaf_hash(i), tree_2_20.root
    tag(benchmark, "verify_inclusion_2^20", "ours", "verify_inclusion", limit_us=20.0,
        siblings=len(proof.siblings))
    assert benchmark(verify_inclusion, proof=proof, leaf_hash=leaf, root=root) is None


def test_verify_inclusion_hashlib(benchmark: Any, tree_2_20: MerkleTree) -> None:
    i = random_indices(1)[0]
    proof, leaf, root = tree_2_20.inclusion_proof(i), tree_2_20.leaf_hash(i), tree_2_20.root
    assert not py_verify_inclusion(i, proof.tree_size, proof.siblings, leaf, bytes(32))
    tag(benchmark, "verify_inclusion_2^20", "alt", "hashlib",
        note="pure-Python RFC 9162 verifier over hashlib")
    assert benchmark(py_verify_inclusion, i, proof.tree_size, proof.siblings, leaf, root)
