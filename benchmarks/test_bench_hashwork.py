"""Hash workload benchmarks (issue 3, section 3): chunk digests and hash chains.

Run:  .venv/bin/python -m pytest benchmarks/test_bench_hashwork.py --benchmark-only
      (``make bench`` runs every benchmarks/test_bench_*.py and then benchmarks/report.py)

Each benchmark tags itself (group / impl / label, see report.py); every alternative is checked
once, outside the timing, against our output.

- ``chunk_digest`` of a 256 MiB buffer in 1 MiB chunks, ``threads=1|2``, against hashlib one
  memoryview slice at a time.
- ``chunk_digest`` of a 256 MiB file (warm in the page cache) in 1 MiB chunks, default 8 MiB
  window, ``threads=1|2``, against hashlib over ``readinto`` into one reused 1 MiB buffer; and
  with 64 MiB chunks through 4 MiB windows (each chunk hashed incrementally), ``threads=1|2``.
- ``hash_chain`` of 64 chains x 2^14 steps (checkpoint every 2^10), ``threads=1|2``, against
  the pure-Python loop ``h = hashlib.sha256(h).digest()``. extra_info["hashes"] holds the number
  of SHA-256 evaluations per call (steps per second = hashes / time).
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from verifiable.hashwork import chunk_digest, hash_chain

SEED = 20240603
CHUNK = 1 << 20
BUFFER = 256 << 20
CHAINS = 64
STEPS = 1 << 14
EVERY = 1 << 10
JOB_SEED = bytes(range(32))


def tag(benchmark: Any, group: str, impl: str, label: str, **extra: Any) -> None:
    """Fill in the report.py extra_info convention and use the group in pytest-benchmark's table."""
    assert impl in ("ours", "alt")
    benchmark.group = group
    benchmark.extra_info.update({"group": group, "impl": impl, "label": label, **extra})


@pytest.fixture(scope="module")
def big_buffer() -> bytes:
    return np.random.default_rng(SEED).bytes(BUFFER)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory, big_buffer: bytes) -> Path:
    path = tmp_path_factory.mktemp("hashwork") / "256MiB.bin"
    path.write_bytes(big_buffer)
    return path


@pytest.fixture(scope="module")
def expected_chunks(big_buffer: bytes) -> bytes:
    return chunk_digest(big_buffer, CHUNK, threads=2).tobytes()


def hashlib_buffer(buf: bytes, chunk: int = CHUNK) -> list[bytes]:
    mv = memoryview(buf)
    return [hashlib.sha256(mv[i : i + chunk]).digest() for i in range(0, len(mv), chunk)]


def hashlib_file(path: Path, chunk: int = CHUNK) -> list[bytes]:
    buf = bytearray(chunk)
    mv = memoryview(buf)
    out = []
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            out.append(hashlib.sha256(mv[:n]).digest())
    return out


# --- chunk digests ------------------------------------------------------------------------------


@pytest.mark.parametrize("threads", [1, 2], ids=lambda t: f"threads={t}")
def test_chunk_digest_memory_ours(
    benchmark: Any, big_buffer: bytes, expected_chunks: bytes, threads: int
) -> None:
    tag(benchmark, "chunk_digest_1MiB_of_256MiB_memory", "ours", f"threads={threads}", bytes=BUFFER,
        targets={"hashlib": 0.95 if threads == 1 else 1.7})
    out = benchmark(chunk_digest, big_buffer, CHUNK, threads=threads)
    assert out.tobytes() == expected_chunks


def test_chunk_digest_memory_hashlib(benchmark: Any, big_buffer: bytes, expected_chunks: bytes) -> None:
    tag(benchmark, "chunk_digest_1MiB_of_256MiB_memory", "alt", "hashlib", bytes=BUFFER,
        note="hashlib.sha256 of one 1 MiB memoryview slice at a time, one thread")
    out = benchmark(hashlib_buffer, big_buffer)
    assert b"".join(out) == expected_chunks


@pytest.mark.parametrize("threads", [1, 2], ids=lambda t: f"threads={t}")
def test_chunk_digest_file_ours(
    benchmark: Any, big_file: Path, expected_chunks: bytes, threads: int
) -> None:
    tag(benchmark, "chunk_digest_1MiB_of_256MiB_file", "ours", f"threads={threads}", bytes=BUFFER,
        targets={"hashlib-readinto": 0.9 if threads == 1 else 1.4},
        note="file in the page cache, default 8 MiB window per worker")
    out = benchmark(chunk_digest, big_file, CHUNK, threads=threads)
    assert out.tobytes() == expected_chunks


def test_chunk_digest_file_hashlib(benchmark: Any, big_file: Path, expected_chunks: bytes) -> None:
    tag(benchmark, "chunk_digest_1MiB_of_256MiB_file", "alt", "hashlib-readinto", bytes=BUFFER,
        note="readinto one reused 1 MiB buffer, hashlib.sha256 of each, one thread")
    out = benchmark(hashlib_file, big_file)
    assert b"".join(out) == expected_chunks


@pytest.mark.parametrize("threads", [1, 2], ids=lambda t: f"threads={t}")
def test_chunk_digest_file_big_chunks_ours(
    benchmark: Any, big_file: Path, big_buffer: bytes, threads: int
) -> None:
    tag(benchmark, "chunk_digest_64MiB_of_256MiB_file", "ours", f"threads={threads}", bytes=BUFFER,
        targets={"hashlib-readinto": 0.9 if threads == 1 else 1.4},
        note="64 MiB chunks through 4 MiB windows: streaming SHA-256 contexts, a chunk per worker")
    out = benchmark(chunk_digest, big_file, 64 << 20, window=4 << 20, threads=threads)
    assert out[-1].tobytes() == hashlib.sha256(big_buffer[-(64 << 20) :]).digest()


def hashlib_file_big_chunks(path: Path, chunk: int, window: int) -> list[bytes]:
    buf = bytearray(window)
    mv = memoryview(buf)
    out = []
    with open(path, "rb", buffering=0) as f:
        while True:
            h, got = hashlib.sha256(), 0
            while got < chunk and (n := f.readinto(mv[: min(window, chunk - got)])):
                h.update(mv[:n])
                got += n
            if not got:
                return out
            out.append(h.digest())


def test_chunk_digest_file_big_chunks_hashlib(benchmark: Any, big_file: Path) -> None:
    tag(benchmark, "chunk_digest_64MiB_of_256MiB_file", "alt", "hashlib-readinto", bytes=BUFFER,
        note="readinto a reused 4 MiB buffer, hashlib.sha256().update per window, one thread")
    out = benchmark(hashlib_file_big_chunks, big_file, 64 << 20, 4 << 20)
    assert b"".join(out) == chunk_digest(big_file, 64 << 20).tobytes()


# --- hash chains --------------------------------------------------------------------------------


def hashlib_chains(job_seed: bytes, count: int, steps: int, every: int) -> list[bytes]:
    sha = hashlib.sha256
    out = []
    for i in range(count):
        h = sha(b"verifiable/hash_chain/v1" + job_seed + struct.pack(">Q", i)).digest()
        for _ in range(steps // every):
            for _ in range(every):
                h = sha(h).digest()
            out.append(h)
    return out


@pytest.fixture(scope="module")
def expected_chains() -> bytes:
    return hash_chain(JOB_SEED, range(CHAINS), STEPS, EVERY, threads=2).tobytes()


@pytest.mark.parametrize("threads", [1, 2], ids=lambda t: f"threads={t}")
def test_hash_chain_ours(benchmark: Any, expected_chains: bytes, threads: int) -> None:
    tag(benchmark, "hash_chain_64x2^14", "ours", f"threads={threads}", hashes=CHAINS * STEPS,
        targets={"hashlib": 6.0 if threads == 1 else 11.0})
    out = benchmark(hash_chain, JOB_SEED, range(CHAINS), STEPS, EVERY, threads=threads)
    assert out.tobytes() == expected_chains


def test_hash_chain_hashlib(benchmark: Any, expected_chains: bytes) -> None:
    tag(benchmark, "hash_chain_64x2^14", "alt", "hashlib", hashes=CHAINS * STEPS,
        note="pure Python: h = hashlib.sha256(h).digest(), one chain after another")
    out = benchmark.pedantic(hashlib_chains, args=(JOB_SEED, CHAINS, STEPS, EVERY), rounds=3, iterations=1)
    assert b"".join(out) == expected_chains
