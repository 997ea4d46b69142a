"""sha256_prefixed: many messages prefix_i || data[i * stride : i * stride + length] at once,
against hashlib, on both SHA backends and thread counts; bad arguments refused."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifiable import InvalidInputError
from verifiable._bindings import ffi, lib
from verifiable.hashing import sha256_prefixed


def reference(prefixes: list[bytes], data: bytes, length: int, stride: int) -> list[bytes]:
    return [hashlib.sha256(p + data[i * stride : i * stride + length]).digest() for i, p in enumerate(prefixes)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix_len=st.integers(0, 63),
    length=st.integers(0, 3000),
    extra=st.integers(0, 70),
    count=st.integers(0, 13),
    threads=st.sampled_from([1, 2]),
    seed=st.integers(0, 2**32 - 1),
)
def test_matches_hashlib(sha_backend: str, prefix_len: int, length: int, extra: int, count: int, threads: int,
                         seed: int) -> None:
    rng = np.random.default_rng(seed)
    stride = length + extra
    data = rng.integers(0, 256, size=max(0, count * stride), dtype=np.uint8).tobytes()
    prefixes = [rng.integers(0, 256, size=prefix_len, dtype=np.uint8).tobytes() for _ in range(count)]
    got = sha256_prefixed(prefixes, data, length, stride=stride, threads=threads)
    assert got.shape == (count, 32)
    assert [bytes(r) for r in got] == reference(prefixes, data, length, stride)


@pytest.mark.parametrize("prefix_len", [0, 1, 48, 49, 63])
@pytest.mark.parametrize("length", [0, 14, 15, 16, 55, 63, 64, 65, 119, 4096, 65536 + 7])
def test_block_boundaries(sha_backend: str, prefix_len: int, length: int) -> None:
    data = bytes(range(256)) * ((9 * length) // 256 + 1)
    prefixes = [bytes([i]) * prefix_len for i in range(9)]
    got = sha256_prefixed(prefixes, data, length, threads=2)
    assert [bytes(r) for r in got] == reference(prefixes, data, length, length)


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInputError, match="one length"):
        sha256_prefixed([b"a", b"bc"], b"x" * 10, 5)
    with pytest.raises(InvalidInputError, match="63"):
        sha256_prefixed([b"a" * 64], b"x" * 10, 5)
    with pytest.raises(InvalidInputError, match="need"):
        sha256_prefixed([b"a"] * 3, b"x" * 10, 4)
    with pytest.raises(InvalidInputError):
        sha256_prefixed([b"a"], "text", 1)
    out = ffi.new("uint8_t[64]")
    pre = ffi.new("uint8_t[2]")
    data = ffi.new("uint8_t[16]")
    assert lib.vf_sha256_prefixed(pre, 2, 64, data, 16, 8, 8, 1, out, 64, 1) == lib.VF_E_ARG
    assert lib.vf_sha256_prefixed(pre, 1, 1, data, 16, 8, 8, 2, out, 64, 1) == lib.VF_E_LENGTH
    assert lib.vf_sha256_prefixed(pre, 2, 1, data, 15, 8, 8, 2, out, 64, 1) == lib.VF_E_LENGTH
    assert lib.vf_sha256_prefixed(pre, 2, 1, data, 16, 8, 8, 2, out, 63, 1) == lib.VF_E_LENGTH
    assert lib.vf_sha256_prefixed(pre, 2, 1, data, 16, 4, 8, 2, out, 64, 1) == lib.VF_E_ARG
    assert lib.vf_sha256_prefixed(pre, 2, 1, data, 16, 2**63, 8, 3, out, 96, 1) == lib.VF_E_OVERFLOW
    assert lib.vf_sha256_prefixed(ffi.NULL, 2, 1, data, 16, 8, 8, 2, out, 64, 1) == lib.VF_E_NULL
    assert lib.vf_sha256_prefixed(pre, 2, 1, data, 16, 8, 8, 0, ffi.NULL, 0, 1) == lib.VF_OK
