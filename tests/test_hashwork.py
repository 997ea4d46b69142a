"""Hash workloads: chunk digests of buffers and streamed files, hash chains and segment checks.

References kept in this file: :func:`ref_chain` builds a chain with :mod:`hashlib` alone (the
specification of ``verifiable.hashwork``); chunk digests are compared with ``hashlib.sha256``
of each slice. Public known answers:

- the NIST CAVP SHA-256 LongMsg vectors (``tests/vectors/sha256_nist.json``, see its README)
  drive the streaming SHA-256 context, through files whose chunks exceed the read window;
- Bitcoin's genesis block: its hash is SHA-256(SHA-256(header)), so the second hash is one step
  of a hash chain (SHA-256 of a 32-byte value). The 80-byte header serializes the fields of
  ``CreateGenesisBlock(1231006505, 2083236893, 0x1d00ffff, 1, ...)`` and the hash is
  ``consensus.hashGenesisBlock`` in Bitcoin Core ``src/kernel/chainparams.cpp`` (displayed
  byte-reversed there).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifiable import InvalidInputError, VerificationError, _bindings
from verifiable._bindings import ffi, lib
from verifiable.hashwork import (
    DEFAULT_WINDOW,
    chunk_digest,
    hash_chain,
    hash_chain_seed,
    verify_chain_segment,
)

NULL = ffi.NULL
DOMAIN = b"verifiable/hash_chain/v1"
SEED = bytes(range(32))
FIXTURE_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


# --- pure-Python references -------------------------------------------------------------------


def ref_seed(job_seed: bytes, index: int) -> bytes:
    return hashlib.sha256(DOMAIN + job_seed + struct.pack(">Q", index)).digest()


def ref_chain(job_seed: bytes, index: int, steps: int, every: int) -> list[bytes]:
    """Checkpoints h[every], h[2 every], ..., h[steps] of chain ``index``, with hashlib."""
    h = ref_seed(job_seed, index)
    out = []
    for t in range(1, steps + 1):
        h = hashlib.sha256(h).digest()
        if t % every == 0:
            out.append(h)
    return out


def ref_chunks(data: bytes, chunk: int) -> list[bytes]:
    if not data:
        return [hashlib.sha256(b"").digest()]
    return [hashlib.sha256(data[i : i + chunk]).digest() for i in range(0, len(data), chunk)]


def rows(arr: np.ndarray) -> list[bytes]:
    return [r.tobytes() for r in arr.reshape(-1, 32)]


# --- hash chains: known answers ---------------------------------------------------------------


def test_reference_chain_pinned() -> None:
    """The hashlib reference itself, pinned, so a change of domain or encoding cannot go unseen."""
    assert ref_seed(SEED, 7).hex() == "f0f86a9a72c486eca411a4d655ebe78768425e035578f835f2e2af67a4dfeb8a"
    cps = ref_chain(SEED, 7, 1000, 500)
    assert [c.hex() for c in cps] == [
        "e0929549713718458bf80d37e6fdac374eebc83cacdcf0bb5011d21f6fd58be7",
        "9d632714f9509d9ff4ba2a5b6dc6848d92e1022193c753d9ef356d722f9449da",
    ]


def test_chain_known_answer(sha_backend: str) -> None:
    assert hash_chain_seed(SEED, 7) == ref_seed(SEED, 7)
    out = hash_chain(SEED, [7], 1000, 500)
    assert out.shape == (1, 2, 32) and out.dtype == np.uint8
    assert rows(out) == ref_chain(SEED, 7, 1000, 500)


def test_chain_step_is_bitcoin_second_hash(sha_backend: str) -> None:
    """One chain step from an arbitrary value: Bitcoin's genesis hash is SHA-256 of SHA-256(header)."""
    header = bytes.fromhex(
        "01000000" + "00" * 32
        + "3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a"
        + "29ab5f49" + "ffff001d" + "1dac2b7c"
    )
    first = hashlib.sha256(header).digest()
    assert first.hex() == "af42031e805ff493a07341e2f74ff58149d22ab9ba19f61343e2c86c71c5d66d"
    genesis = bytes.fromhex("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")[::-1]
    # segment 1 of a 2-step chain starts from checkpoint 0, which the caller supplies
    verify_chain_segment(SEED, 0, first + genesis, 1, 2, 1)
    with pytest.raises(VerificationError, match="chunk 0, segment 1"):
        verify_chain_segment(SEED, 0, first + bytes([genesis[0] ^ 1]) + genesis[1:], 1, 2, 1)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13])
def test_chain_every_lane_grouping(sha_backend: str, count: int) -> None:
    indices = [3 * i + 1 for i in range(count)]
    out = hash_chain(SEED, indices, 12, 4, threads=2)
    assert out.shape == (count, 3, 32)
    for k, i in enumerate(indices):
        assert rows(out[k]) == ref_chain(SEED, i, 12, 4)


@FIXTURE_OK
@given(
    job_seed=st.binary(min_size=32, max_size=32),
    indices=st.lists(st.integers(0, 2**64 - 1), max_size=9),
    every=st.integers(1, 17),
    segments=st.integers(1, 5),
    threads=st.integers(1, 3),
)
def test_chain_matches_reference(
    sha_backend: str, job_seed: bytes, indices: list[int], every: int, segments: int, threads: int
) -> None:
    steps = every * segments
    out = hash_chain(job_seed, indices, steps, every, threads=threads)
    assert out.shape == (len(indices), segments, 32)
    for k, i in enumerate(indices):
        expected = ref_chain(job_seed, i, steps, every)
        assert rows(out[k]) == expected
        for j in range(segments):
            verify_chain_segment(job_seed, i, out[k], j, steps, every)
    for i in indices[:2]:
        assert hash_chain_seed(job_seed, i) == ref_seed(job_seed, i)


def test_chain_threads_and_backends_agree() -> None:
    indices = np.arange(50, 71, dtype=np.uint64)
    results = []
    previous = _bindings.sha_backend()
    try:
        for backend in _bindings.available_sha_backends():
            _bindings.set_sha_backend(backend)
            for threads in (1, 2, 3, 8):
                results.append(hash_chain(SEED, indices, 3000, 1000, threads=threads))
    finally:
        _bindings.set_sha_backend(previous)
    for r in results[1:]:
        assert np.array_equal(r, results[0])
    assert rows(results[0][20]) == ref_chain(SEED, 70, 3000, 1000)


def test_chain_indices_forms() -> None:
    expected = hash_chain(SEED, [5, 0, 5], 6, 3)
    assert np.array_equal(expected[0], expected[2])
    for form in (np.array([5, 0, 5], dtype=np.int64), np.array([5, 0, 5], dtype=np.uint8), (5, 0, 5), range(5, -1, -5)):
        got = hash_chain(SEED, form, 6, 3)  # type: ignore[arg-type]
        assert np.array_equal(got[: len(got)], expected[: len(got)])
    strided = np.array([5, 9, 0, 9, 5], dtype=np.uint64)[::2]
    assert np.array_equal(hash_chain(SEED, strided, 6, 3), expected)
    assert hash_chain(SEED, [], 6, 3).shape == (0, 2, 32)
    top = hash_chain(SEED, [2**64 - 1], 1, 1)
    assert rows(top) == ref_chain(SEED, 2**64 - 1, 1, 1)


# --- segment verification -----------------------------------------------------------------------


@pytest.mark.parametrize("position", [0, 17, 31])
def test_flipped_byte_caught_by_exactly_the_segments_that_depend_on_it(sha_backend: str, position: int) -> None:
    steps, every = 60, 10
    good = hash_chain(SEED, [11], steps, every)[0]
    count = steps // every
    for j in range(count):
        bad = good.copy()
        bad[j, position] ^= 0x01
        for seg in range(count):
            if seg in (j, j + 1):
                with pytest.raises(VerificationError, match=f"chunk 11, segment {seg}"):
                    verify_chain_segment(SEED, 11, bad, seg, steps, every)
            else:
                verify_chain_segment(SEED, 11, bad, seg, steps, every)


def test_wrong_chain_or_seed_fails_segment_zero() -> None:
    good = hash_chain(SEED, [3], 8, 4)[0].tobytes()
    verify_chain_segment(SEED, 3, good, 0, 8, 4)
    with pytest.raises(VerificationError, match="chunk 4, segment 0: .*chain seed"):
        verify_chain_segment(SEED, 4, good, 0, 8, 4)
    with pytest.raises(VerificationError):
        verify_chain_segment(bytes(32), 3, good, 0, 8, 4)
    # the later segment only depends on the checkpoint before it
    verify_chain_segment(bytes(32), 3, good, 1, 8, 4)


def test_truncated_or_padded_chain_fails() -> None:
    good = hash_chain(SEED, [2], 40, 10)[0]
    flat = good.tobytes()
    for claimed in (flat[:-32], flat[:-1], flat + bytes(32), b"", good[:3]):
        for seg in (0, 3):
            with pytest.raises(VerificationError, match="chunk 2: expected 4 checkpoints"):
                verify_chain_segment(SEED, 2, claimed, seg, 40, 10)
    for form in (flat, bytearray(flat), memoryview(flat), good, good.reshape(-1)):
        verify_chain_segment(SEED, 2, form, 3, 40, 10)


def test_verify_segment_bad_arguments() -> None:
    good = hash_chain(SEED, [2], 40, 10)[0]
    with pytest.raises(InvalidInputError, match="segment"):
        verify_chain_segment(SEED, 2, good, 4, 40, 10)
    with pytest.raises(InvalidInputError, match="segment"):
        verify_chain_segment(SEED, 2, good, -1, 40, 10)
    with pytest.raises(InvalidInputError, match="multiple"):
        verify_chain_segment(SEED, 2, good, 0, 40, 15)
    with pytest.raises(InvalidInputError, match="job_seed"):
        verify_chain_segment(SEED[:31], 2, good, 0, 40, 10)
    with pytest.raises(InvalidInputError, match="uint8"):
        verify_chain_segment(SEED, 2, good.astype(np.int16), 0, 40, 10)
    with pytest.raises(InvalidInputError, match="shape"):
        verify_chain_segment(SEED, 2, good.reshape(8, 16), 0, 40, 10)
    with pytest.raises(InvalidInputError, match="shape"):
        verify_chain_segment(SEED, 2, good.reshape(1, 4, 32), 0, 40, 10)
    with pytest.raises(InvalidInputError, match="contiguous"):
        verify_chain_segment(SEED, 2, np.repeat(good, 2, axis=0)[::2], 0, 40, 10)
    with pytest.raises(InvalidInputError, match="str"):
        verify_chain_segment(SEED, 2, "00" * 128, 0, 40, 10)
    with pytest.raises(InvalidInputError, match="index"):
        verify_chain_segment(SEED, 2**64, good, 0, 40, 10)


# --- hash chains: bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"job_seed": b"x" * 31}, "job_seed must be 32 bytes"),
        ({"job_seed": "x" * 32}, "job_seed"),
        ({"steps": 0}, "steps"),
        ({"steps": -4}, "steps"),
        ({"steps": 4.0}, "steps"),
        ({"checkpoint_every": 0}, "checkpoint_every"),
        ({"checkpoint_every": 3}, "multiple"),
        ({"checkpoint_every": True}, "checkpoint_every"),
        ({"indices": 3}, "indices"),
        ({"indices": b"\x01\x02"}, "indices"),
        ({"indices": [1, -1]}, r"indices\[1\]"),
        ({"indices": [1, 2**64]}, r"indices\[1\]"),
        ({"indices": [1.0]}, r"indices\[0\]"),
        ({"indices": np.array([1, -1])}, "non-negative"),
        ({"indices": np.array([1.0])}, "integer"),
        ({"indices": np.zeros((2, 2), dtype=np.uint64)}, "1-D"),
        ({"threads": 0}, "threads"),
        ({"steps": 2**62, "checkpoint_every": 1}, "do not fit"),
    ],
)
def test_hash_chain_bad_input(kwargs: dict[str, Any], match: str) -> None:
    args: dict[str, Any] = {"job_seed": SEED, "indices": [0, 1], "steps": 4, "checkpoint_every": 2}
    args.update(kwargs)
    threads = args.pop("threads", None)
    with pytest.raises(InvalidInputError, match=match):
        hash_chain(**args, threads=threads)


def test_hash_chain_seed_bad_input() -> None:
    with pytest.raises(InvalidInputError):
        hash_chain_seed(SEED, -1)
    with pytest.raises(InvalidInputError):
        hash_chain_seed(SEED + b"x", 0)


def test_c_refuses_bad_chain_arguments() -> None:
    out = ffi.new("uint8_t[128]")
    idx = ffi.new("uint64_t[2]", [0, 1])
    cps = bytes(64)
    assert lib.vf_hash_chain_seed(NULL, 32, 0, out, 32) == lib.VF_E_NULL
    assert lib.vf_hash_chain_seed(SEED, 31, 0, out, 32) == lib.VF_E_LENGTH
    assert lib.vf_hash_chain_seed(SEED, 32, 0, out, 31) == lib.VF_E_LENGTH
    assert lib.vf_hash_chain(NULL, 32, idx, 2, 4, 2, out, 128, 1) == lib.VF_E_NULL
    assert lib.vf_hash_chain(SEED, 32, NULL, 2, 4, 2, out, 128, 1) == lib.VF_E_NULL
    assert lib.vf_hash_chain(SEED, 32, idx, 2, 4, 2, NULL, 128, 1) == lib.VF_E_NULL
    assert lib.vf_hash_chain(SEED, 33, idx, 2, 4, 2, out, 128, 1) == lib.VF_E_LENGTH
    assert lib.vf_hash_chain(SEED, 32, idx, 2, 0, 2, out, 128, 1) == lib.VF_E_ARG
    assert lib.vf_hash_chain(SEED, 32, idx, 2, 4, 0, out, 128, 1) == lib.VF_E_ARG
    assert lib.vf_hash_chain(SEED, 32, idx, 2, 5, 2, out, 128, 1) == lib.VF_E_ARG
    assert lib.vf_hash_chain(SEED, 32, idx, 2, 4, 2, out, 127, 1) == lib.VF_E_LENGTH
    assert lib.vf_hash_chain(SEED, 32, idx, 2**62, 2**62, 1, out, 128, 1) == lib.VF_E_OVERFLOW
    assert lib.vf_hash_chain(SEED, 32, idx, 2, 2**63, 1, out, 128, 1) == lib.VF_E_OVERFLOW
    assert lib.vf_hash_chain(SEED, 32, NULL, 0, 4, 2, NULL, 0, 1) == lib.VF_OK
    assert lib.vf_hash_chain(SEED, 32, idx, 2, 4, 2, out, 128, 1) == lib.VF_OK
    assert bytes(out) == b"".join(ref_chain(SEED, 0, 4, 2) + ref_chain(SEED, 1, 4, 2))
    good = bytes(out)[:64]
    v = lib.vf_hash_chain_verify_segment
    assert v(NULL, 32, 0, good, 64, 0, 4, 2) == lib.VF_E_NULL
    assert v(SEED, 32, 0, NULL, 64, 0, 4, 2) == lib.VF_E_NULL
    assert v(SEED, 16, 0, good, 64, 0, 4, 2) == lib.VF_E_LENGTH
    assert v(SEED, 32, 0, good, 64, 2, 4, 2) == lib.VF_E_RANGE
    assert v(SEED, 32, 0, good, 64, 0, 4, 3) == lib.VF_E_ARG
    assert v(SEED, 32, 0, good, 63, 0, 4, 2) == lib.VF_E_PROOF_SHAPE
    assert v(SEED, 32, 0, good + b"x", 65, 0, 4, 2) == lib.VF_E_PROOF_SHAPE
    assert v(SEED, 32, 0, cps, 64, 1, 4, 2) == lib.VF_E_MISMATCH
    assert v(SEED, 32, 0, good, 64, 1, 4, 2) == lib.VF_OK
    assert v(SEED, 32, 0, good, 64, 0, 4, 2) == lib.VF_OK
    assert v(SEED, 32, 1, good, 64, 0, 4, 2) == lib.VF_E_MISMATCH


# --- streaming SHA-256 context ------------------------------------------------------------------


def _ctx_digest(pieces: list[bytes]) -> bytes:
    ctx = _bindings.sha256_ctx_new()
    for p in pieces:
        _bindings.sha256_ctx_update(ctx, p)
    out = np.empty(32, dtype=np.uint8)
    _bindings.sha256_ctx_final(ctx, out)
    return out.tobytes()


@FIXTURE_OK
@given(data=st.binary(max_size=700), cuts=st.lists(st.integers(0, 700), max_size=6))
def test_streaming_context_matches_hashlib(sha_backend: str, data: bytes, cuts: list[int]) -> None:
    bounds = sorted({0, len(data), *(c for c in cuts if c <= len(data))})
    pieces = [data[a:b] for a, b in itertools.pairwise(bounds)] + [b""]
    assert _ctx_digest(pieces) == hashlib.sha256(data).digest()


def test_streaming_context_known_answers(sha_backend: str) -> None:
    """NIST CAVP LongMsg vectors fed in uneven pieces, and FIPS 180's one million 'a'."""
    doc = json.loads((Path(__file__).parent / "vectors" / "sha256_nist.json").read_text())
    sets = {s["name"]: s["vectors"] for s in doc["sets"]}
    for v in sets["SHA256LongMsg"][::7]:
        msg = bytes.fromhex(v["msg"])
        pieces = [msg[i : i + 61] for i in range(0, len(msg), 61)]
        assert _ctx_digest(pieces) == bytes.fromhex(v["md"])
    million = next(v for v in sets["FIPS180_examples"] if v["repeat"] > 1)
    block = bytes.fromhex(million["msg"]) * 1000
    assert _ctx_digest([block] * (million["repeat"] // 1000)) == bytes.fromhex(million["md"])


def test_c_refuses_bad_context_use() -> None:
    ctx = ffi.new("vf_sha256_ctx *")  # zeroed: never initialised
    out = ffi.new("uint8_t[32]")
    assert lib.vf_sha256_update(ctx, b"a", 1) == lib.VF_E_ARG
    assert lib.vf_sha256_final(ctx, out, 32) == lib.VF_E_ARG
    assert lib.vf_sha256_init(NULL) == lib.VF_E_NULL
    assert lib.vf_sha256_init(ctx) == lib.VF_OK
    assert lib.vf_sha256_update(NULL, b"a", 1) == lib.VF_E_NULL
    assert lib.vf_sha256_update(ctx, NULL, 1) == lib.VF_E_NULL
    assert lib.vf_sha256_update(ctx, NULL, 0) == lib.VF_OK
    # refused before a byte is read: SHA-256 messages are shorter than 2^61 bytes
    assert lib.vf_sha256_update(ctx, b"a", lib.VF_SHA256_MAX_BYTES + 1) == lib.VF_E_OVERFLOW
    assert lib.vf_sha256_update(ctx, b"abc", 3) == lib.VF_OK
    assert lib.vf_sha256_final(ctx, NULL, 32) == lib.VF_E_NULL
    assert lib.vf_sha256_final(ctx, out, 31) == lib.VF_E_LENGTH
    assert lib.vf_sha256_final(ctx, out, 32) == lib.VF_OK
    assert bytes(out) == hashlib.sha256(b"abc").digest()
    # retired by final
    assert lib.vf_sha256_update(ctx, b"a", 1) == lib.VF_E_ARG
    assert lib.vf_sha256_final(ctx, out, 32) == lib.VF_E_ARG
    with pytest.raises(InvalidInputError):
        _bindings.sha256_ctx_update(ctx, b"a")


# --- chunk digests ------------------------------------------------------------------------------


def _write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 1000, 4096])
@pytest.mark.parametrize("chunk", [1, 64, 1000, 4096, 5000])
def test_chunk_digest_boundaries(sha_backend: str, tmp_path: Path, size: int, chunk: int) -> None:
    data = bytes((7 * i + size) & 0xFF for i in range(size))
    expected = ref_chunks(data, chunk)
    path = _write(tmp_path, "d.bin", data)
    got = [chunk_digest(data, chunk), chunk_digest(np.frombuffer(data, dtype=np.uint8), chunk)]
    for window in (1, 63, 64, chunk, 3 * chunk, 4095, None):
        got.append(chunk_digest(path, chunk, window=window))
        got.append(chunk_digest(str(path), chunk, window=window, threads=1))
    for g in got:
        assert g.shape == (len(expected), 32) and g.dtype == np.uint8
        assert rows(g) == expected


@FIXTURE_OK
@given(
    data=st.binary(max_size=3000),
    chunk=st.integers(1, 700),
    window=st.integers(1, 2000),
    threads=st.integers(1, 3),
)
def test_chunk_digest_file_matches_hashlib(
    sha_backend: str, data: bytes, chunk: int, window: int, threads: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "d.bin", data)
        got = chunk_digest(path, chunk, window=window, threads=threads)
    assert rows(got) == ref_chunks(data, chunk)


def test_chunk_digest_numpy_raw_bytes_and_threads() -> None:
    rng = np.random.default_rng(1)
    arr = rng.standard_normal((300, 77))
    raw = arr.tobytes()
    expected = ref_chunks(raw, 4000)
    for threads in (1, 2, 5):
        assert rows(chunk_digest(arr, 4000, threads=threads)) == expected
        assert rows(chunk_digest(memoryview(raw), 4000, threads=threads)) == expected
        assert rows(chunk_digest(bytearray(raw), 4000, threads=threads)) == expected


def test_chunk_digest_large_file_threads_agree(tmp_path: Path) -> None:
    data = np.random.default_rng(2).integers(0, 256, 3 << 20, dtype=np.uint8).tobytes() + b"tail"
    path = _write(tmp_path, "big.bin", data)
    expected = ref_chunks(data, 1 << 16)
    for threads in (1, 2, 4):
        for window in (1 << 20, 100_000, None):
            assert rows(chunk_digest(path, 1 << 16, window=window, threads=threads)) == expected
    # chunks larger than the window: hashed incrementally
    assert rows(chunk_digest(path, 1 << 20, window=1 << 16)) == ref_chunks(data, 1 << 20)


@pytest.mark.parametrize("size", [0, 100_000])
@pytest.mark.parametrize(("chunk", "window"), [(1000, 4096), (1000, 4000), (30_000, 4096), (25_000, 4096)])
def test_chunk_digest_of_pipe(tmp_path: Path, size: int, chunk: int, window: int) -> None:
    """Streams are read in order; (1000, 4000) and (25_000, 4096) end on a read boundary."""
    data = os.urandom(size)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as w:
            w.writelines(data[i : i + 7000] for i in range(0, len(data), 7000))

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        got = chunk_digest(fifo, chunk, window=window, threads=2)
    finally:
        writer.join()
    assert rows(got) == ref_chunks(data, chunk)


def test_chunk_digest_of_proc_file() -> None:
    """/proc files report size 0 but have contents: they are read to the end like a pipe."""
    path = Path("/proc/self/cmdline")
    if not path.exists():
        pytest.skip("no /proc")
    assert os.stat(path).st_size == 0
    data = path.read_bytes()
    assert data
    assert rows(chunk_digest(path, 5)) == ref_chunks(data, 5)
    assert rows(chunk_digest(path, 10**9, window=3)) == ref_chunks(data, 10**9)


def test_chunk_digest_refuses_file_that_changes_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "d.bin", b"x" * 1000)
    real = os.fstat

    def lying(size: int) -> Any:
        def fstat(fd: int) -> os.stat_result:
            s = real(fd)
            return os.stat_result((s.st_mode, s.st_ino, s.st_dev, s.st_nlink, s.st_uid, s.st_gid, size,
                                   int(s.st_atime), int(s.st_mtime), int(s.st_ctime)))
        return fstat

    for claimed in (999, 1001, 500, 3000):
        monkeypatch.setattr(os, "fstat", lying(claimed))
        for chunk, window in ((10, 100), (10, 7), (1000, 100)):
            with pytest.raises(InvalidInputError, match="changed size"):
                chunk_digest(path, chunk, window=window)
    monkeypatch.setattr(os, "fstat", real)
    assert rows(chunk_digest(path, 10)) == ref_chunks(b"x" * 1000, 10)


def test_chunk_digest_bad_input(tmp_path: Path) -> None:
    for chunk in (0, -1, 1.5, True, "3", None):
        with pytest.raises(InvalidInputError, match="chunk_size"):
            chunk_digest(b"abc", chunk)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="threads"):
        chunk_digest(b"abc", 1, threads=0)
    for window in (0, -5, 2.0):
        with pytest.raises(InvalidInputError, match="window"):
            chunk_digest(b"abc", 1, window=window)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="source"):
        chunk_digest(42, 1)
    with pytest.raises(InvalidInputError, match="contiguous"):
        chunk_digest(np.zeros((4, 4))[:, ::2], 1)
    with pytest.raises(FileNotFoundError):
        chunk_digest(tmp_path / "missing", 1)
    with pytest.raises(IsADirectoryError):
        chunk_digest(tmp_path, 1)


@pytest.mark.parametrize("threads", [1, 2])
def test_streaming_memory_is_bounded_tracemalloc(tmp_path: Path, threads: int) -> None:
    """Python-side allocations stay at about one window per thread for a file 64 windows long."""
    path = tmp_path / "sparse.bin"
    with open(path, "wb") as f:
        f.truncate(64 << 20)
        f.seek(5 << 20)
        f.write(b"not zero")
    window = 1 << 20
    chunk_digest(path, 1 << 16, window=window, threads=threads)  # warm up imports and caches
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        got = chunk_digest(path, 1 << 16, window=window, threads=threads)
        _, small_chunks = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        got_big = chunk_digest(path, 8 << 20, window=window, threads=threads)
        _, big_chunks = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert small_chunks < threads * window + (1 << 18)
    assert big_chunks < threads * window + (1 << 18)
    data = path.read_bytes()
    assert rows(got) == ref_chunks(data, 1 << 16)
    assert rows(got_big) == ref_chunks(data, 8 << 20)


_RSS_SCRIPT = r"""
import json, resource, sys
from verifiable.hashwork import chunk_digest
path, small, chunk, window = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
chunk_digest(small, chunk, window=window, threads=2)  # warm up: imports, first calls
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = chunk_digest(path, chunk, window=window, threads=2)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.stdout.write(json.dumps({"grew_kib": after - before, "digests": out.tobytes().hex()}))
"""


@pytest.mark.parametrize(("chunk", "window"), [(1 << 20, 4 << 20), (48 << 20, 1 << 20)])
def test_streaming_memory_is_bounded_rss(tmp_path: Path, chunk: int, window: int) -> None:
    """A 384 MiB file digested in a fresh process: its peak RSS grows by about the two windows of
    its two workers (after a warm-up on a tiny file), not with the file."""
    size = 384 << 20
    path = tmp_path / "sparse.bin"
    marks = {0: os.urandom(4096), 100 << 20: os.urandom(5000), size - 3000: os.urandom(3000)}
    with open(path, "wb") as f:
        f.truncate(size)
        for offset, blob in marks.items():
            f.seek(offset)
            f.write(blob)
    small = _write(tmp_path, "small.bin", os.urandom(100))
    proc = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(path), str(small), str(chunk), str(window)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    report = json.loads(proc.stdout)
    assert report["grew_kib"] * 1024 < 2 * window + (16 << 20), report["grew_kib"]
    expected = []
    with open(path, "rb") as f:
        while block := f.read(chunk):
            expected.append(hashlib.sha256(block).digest())
    assert bytes.fromhex(report["digests"]) == b"".join(expected)


def test_default_window_is_8_mib() -> None:
    assert DEFAULT_WINDOW == 8 << 20
