"""SHA-256 known answers for the C kernel, under every SHA backend the CPU offers.

Vectors live in ``tests/vectors/sha256_nist.json`` (see ``tests/vectors/README.md``):

- NIST CAVP SHAVS byte-oriented vectors, ``SHA256ShortMsg.rsp`` (65 messages, 0..512 bits) and
  ``SHA256LongMsg.rsp`` (64 messages, 1304..51200 bits), from NIST's ``shabytetestvectors.zip``
  (CAVS 11.0). Read from the ``cryptography-vectors`` package (pyca/cryptography,
  ``cryptography_vectors/hashes/SHA2/``); both files' SHA-256 checksums match a published list for
  the NIST archive, and LongMsg was compared with the copy in ``openSVM/firedancer``
  (``src/ballet/sha256/cavp/SHA256LongMsg.rsp``).
- The FIPS 180-2 / 180-4 examples: "abc", the 448-bit "abcdbcdecdef...nopq" message, one million
  "a", and the 896-bit two-block message "abcdefghbcdefghi...nopqrstu".

Every vector in the file agrees with :mod:`hashlib`; ``test_vector_file_is_intact`` keeps it so.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from verifiable.hashing import digest_chunks, sha256

VECTOR_FILE = Path(__file__).parent / "vectors" / "sha256_nist.json"
SET_IDS = {"SHA256ShortMsg": "short", "SHA256LongMsg": "long", "FIPS180_examples": "fips"}
EXPECTED_COUNTS = {"SHA256ShortMsg": 65, "SHA256LongMsg": 64, "FIPS180_examples": 4}


def _load() -> dict[str, list[dict[str, Any]]]:
    with VECTOR_FILE.open(encoding="utf-8") as fh:
        doc = json.load(fh)
    return {s["name"]: s["vectors"] for s in doc["sets"]}


SETS = _load()


def _message(vector: dict[str, Any]) -> bytes:
    return bytes.fromhex(vector["msg"]) * vector.get("repeat", 1)


def _cases(*names: str) -> list[Any]:
    cases = []
    for name in names:
        for i, v in enumerate(SETS[name]):
            tag = f"{SET_IDS[name]}-{v['len_bits']}" if name != "FIPS180_examples" else f"fips{i}"
            cases.append(pytest.param(v, id=tag))
    return cases


ALL_CASES = _cases("SHA256ShortMsg", "SHA256LongMsg", "FIPS180_examples")
CAVP_CASES = _cases("SHA256ShortMsg", "SHA256LongMsg")
# chunk_size must be at least 1, so the empty message has its own digest_chunks test below.
NONEMPTY_CAVP_CASES = [c for c in CAVP_CASES if c.values[0]["len_bits"] > 0]

# ShortMsg holds one message of every byte length 0..64, handy as a known short tail.
SHORT_BY_BYTES = {v["len_bits"] // 8: v for v in SETS["SHA256ShortMsg"]}


def test_vector_file_is_intact() -> None:
    """The transcribed data itself: full sets, consistent lengths, and hashlib agrees with all."""
    for name, count in EXPECTED_COUNTS.items():
        assert len(SETS[name]) == count, name
    assert [v["len_bits"] for v in SETS["SHA256ShortMsg"]] == list(range(0, 513, 8))
    assert [v["len_bits"] for v in SETS["SHA256LongMsg"]] == [1304 + 792 * k for k in range(64)]
    for name in SETS:
        for v in SETS[name]:
            msg = _message(v)
            assert len(msg) * 8 == v["len_bits"]
            assert hashlib.sha256(msg).hexdigest() == v["md"], (name, v["len_bits"])


@pytest.mark.parametrize("vector", ALL_CASES)
def test_sha256_known_answer(sha_backend: str, vector: dict[str, Any]) -> None:
    assert sha256(_message(vector)) == bytes.fromhex(vector["md"])


@pytest.mark.parametrize("vector", CAVP_CASES)
def test_sha256_known_answer_unaligned_view(sha_backend: str, vector: dict[str, Any]) -> None:
    # The same message read through a memoryview that starts one byte into its buffer.
    buf = b"\xa5" + bytes.fromhex(vector["msg"])
    assert sha256(memoryview(buf)[1:]) == bytes.fromhex(vector["md"])


@pytest.mark.parametrize("threads", [1, None], ids=["1thread", "allthreads"])
@pytest.mark.parametrize("vector", NONEMPTY_CAVP_CASES)
def test_digest_chunks_known_answers(
    sha_backend: str, vector: dict[str, Any], threads: int | None
) -> None:
    """Five copies of a vector's message, then a shorter known message as the short last chunk.

    With ``chunk_size`` equal to the message length every full chunk must give the vector's digest
    (equal-length messages side by side, as the multi-lane path hashes them) and the tail must
    give its own digest.
    """
    msg = bytes.fromhex(vector["msg"])
    size = len(msg)
    copies = 5
    expected = [bytes.fromhex(vector["md"])] * copies
    data = msg * copies
    if size > 1:
        tail = SHORT_BY_BYTES[min(size - 1, 64)]
        data += bytes.fromhex(tail["msg"])
        expected.append(bytes.fromhex(tail["md"]))
    out = digest_chunks(data, size, threads=threads)
    assert out.shape == (len(expected), 32)
    assert out.dtype == np.uint8
    assert [bytes(row.tobytes()) for row in out] == expected


def test_digest_chunks_of_empty_input_is_the_empty_message_digest(sha_backend: str) -> None:
    empty = SHORT_BY_BYTES[0]
    out = digest_chunks(b"", 64)
    assert out.shape == (1, 32)
    assert bytes(out[0].tobytes()) == bytes.fromhex(empty["md"])


@pytest.mark.parametrize("threads", [1, None], ids=["1thread", "allthreads"])
def test_digest_chunks_one_million_a_from_numpy(sha_backend: str, threads: int | None) -> None:
    """FIPS 180-2's one million 'a', three times over, as a numpy array: three equal rows."""
    (million,) = [v for v in SETS["FIPS180_examples"] if v.get("repeat", 1) == 1_000_000]
    arr = np.full(3 * 1_000_000, ord("a"), dtype=np.uint8)
    out = digest_chunks(arr, 1_000_000, threads=threads)
    assert out.shape == (3, 32)
    for row in out:
        assert bytes(row.tobytes()) == bytes.fromhex(million["md"])
