"""The fixed-layout SHA-256 paths for Merkle leaf and node messages, against hashlib.

The kernel hashes messages ``prefix? || data`` with ``len(data)`` 32 or 64 (RFC 6962 leaf and node
messages, merkletools' unprefixed ones, 32/64-byte chunks) without building a padding buffer:
the padded words are assembled in registers at fixed offsets, several messages in flight, and a
remainder that does not fill a group of lanes goes one message at a time. These tests drive every
combination of prefix / no prefix, 32 / 64 bytes and group remainder, with byte patterns that
catch a wrong shuffle or padding mask (all 0x00, all 0xff, a counting pattern, random), and
compare with hashlib (the reference: FIPS 180-4 as implemented by OpenSSL). Every test runs under
each SHA-256 backend the CPU offers (``sha_backend`` fixture), so the portable path is checked
too.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifiable import MerkleBuilder, MerkleTree, leaf_hash
from verifiable.hashing import digest_chunks, sha256

COUNTS = list(range(12)) + [17, 31, 64, 65]
MODES = ("rfc6962", "merkletools")


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _rows(kind: str, count: int, width: int) -> np.ndarray:
    if kind == "zeros":
        return np.zeros((count, width), dtype=np.uint8)
    if kind == "ones":
        return np.full((count, width), 0xFF, dtype=np.uint8)
    if kind == "counting":
        return (np.arange(count * width, dtype=np.int64) % 251).astype(np.uint8).reshape(count, width)
    return np.random.default_rng(count * 1000 + width).integers(0, 256, (count, width), dtype=np.uint8)


def _leaf_ref(row: bytes, mode: str) -> bytes:
    return _sha(b"\x00" + row) if mode == "rfc6962" else _sha(row)


def _root_ref(hashes: list[bytes], mode: str) -> bytes:
    """Level-by-level root over leaf hashes, the odd node promoted (RFC 6962's split)."""
    prefix = b"\x01" if mode == "rfc6962" else b""
    level = hashes
    while len(level) > 1:
        nxt = [_sha(prefix + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) & 1:
            nxt.append(level[-1])
        level = nxt
    return level[0]


@pytest.mark.parametrize("kind", ["zeros", "ones", "counting", "random"])
@pytest.mark.parametrize("width", [32, 64])
@pytest.mark.parametrize("mode", MODES)
def test_leaf_rows_of_32_and_64_bytes(sha_backend: str, mode: str, width: int, kind: str) -> None:
    for count in COUNTS:
        if count == 0:
            continue
        rows = _rows(kind, count, width)
        tree = MerkleTree(rows, mode=mode, threads=1)
        want = [_leaf_ref(r.tobytes(), mode) for r in rows]
        assert [bytes(h) for h in tree.leaf_hashes] == want, (count, kind)
        assert tree.root == _root_ref(want, mode), (count, kind)


@pytest.mark.parametrize("kind", ["zeros", "ones", "counting", "random"])
@pytest.mark.parametrize("mode", MODES)
def test_node_levels_every_size(sha_backend: str, mode: str, kind: str) -> None:
    """Every prefix size of a 70-leaf tree: levels of every parity and group remainder."""
    hashes = _rows(kind, 70, 32)
    as_bytes = [h.tobytes() for h in hashes]
    tree = MerkleTree.from_leaf_hashes(hashes, mode=mode, threads=1)
    for size in range(1, 71):
        assert tree.root_at(size) == _root_ref(as_bytes[:size], mode), size
        assert MerkleTree.from_leaf_hashes(hashes[:size], mode=mode, threads=2).root == tree.root_at(size)


@pytest.mark.parametrize("mode", MODES)
def test_builder_reduces_in_place(sha_backend: str, mode: str) -> None:
    """MerkleBuilder reduces 2^t-leaf batches in place (output j over input 2j): same root."""
    hashes = _rows("random", 1000, 32)
    b = MerkleBuilder(mode=mode)
    b.extend_leaf_hashes(hashes[:512])
    b.extend_leaf_hashes(hashes[512:])
    assert b.root == _root_ref([h.tobytes() for h in hashes], mode)


@pytest.mark.parametrize("chunk", [32, 64])
def test_chunks_of_32_and_64_bytes(sha_backend: str, chunk: int) -> None:
    data = _rows("random", 1, 11 * chunk + 5).tobytes()
    for n in range(0, 11 * chunk + 6, 7):
        part = data[:n]
        want = [_sha(part[i : i + chunk]) for i in range(0, max(n, 1), chunk)]
        got = digest_chunks(part, chunk, threads=1)
        assert [bytes(r) for r in got] == want, n


@pytest.mark.parametrize("length", [32, 64])
def test_single_messages_unaligned(sha_backend: str, length: int) -> None:
    buf = bytes(range(256)) * 2
    for start in range(17):
        msg = buf[start : start + length]
        assert sha256(memoryview(buf)[start : start + length]) == _sha(msg)
        assert leaf_hash(msg) == _sha(b"\x00" + msg)
        assert leaf_hash(msg, mode="merkletools") == _sha(msg)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    width=st.sampled_from([32, 64]),
    rows=st.integers(min_value=1, max_value=40),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    mode=st.sampled_from(MODES),
)
def test_random_batches_match_hashlib(sha_backend: str, width: int, rows: int, seed: int, mode: str) -> None:
    arr = np.random.default_rng(seed).integers(0, 256, (rows, width), dtype=np.uint8)
    tree = MerkleTree(arr, mode=mode, threads=1)
    want = [_leaf_ref(r.tobytes(), mode) for r in arr]
    assert [bytes(h) for h in tree.leaf_hashes] == want
    assert tree.root == _root_ref(want, mode)
