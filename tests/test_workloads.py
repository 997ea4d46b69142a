"""The workload layer: registry, the default runner, recomputation checks, a user workload."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from verifiable import InvalidInputError, VerificationError
from verifiable.workloads import (
    CheckReport,
    Workload,
    array_digest,
    get_workload,
    register_workload,
    registered_workloads,
)


class Squares(Workload):
    """The docs' example of a user workload, verbatim in spirit: squares of the chunk indices."""

    name = "test-squares"

    def normalize_params(self, params):
        return {"count": int(params["count"])}

    def chunk_count(self, params, inputs):
        return params["count"]

    def compute_chunk(self, params, inputs, index):
        return (index * index).to_bytes(16, "big")


def test_user_workload_registers_computes_and_checks():
    w = register_workload(Squares(), replace=True)
    assert get_workload("test-squares") is w and "test-squares" in registered_workloads()
    params = w.normalize_params({"count": 50})
    outs = w.compute(params, {})
    assert outs[7] == (49).to_bytes(16, "big")
    assert w.compute(params, {}, threads=1) == w.compute(params, {}, threads=2)
    assert w.check(params, {}, 7, outs[7], seed=b"\0" * 32) == CheckReport(7, "recompute", 0.0)
    with pytest.raises(VerificationError, match="chunk 7"):
        w.check(params, {}, 7, outs[8], seed=b"\0" * 32)
    with pytest.raises(InvalidInputError, match="out of range"):
        w.compute(params, {}, [50])


def test_registry_refuses_duplicates_and_bad_names():
    register_workload(Squares(), replace=True)
    with pytest.raises(InvalidInputError, match="already registered"):
        register_workload(Squares())
    bad = Squares()
    bad.name = "Bad Name"
    with pytest.raises(InvalidInputError, match="name"):
        register_workload(bad)
    with pytest.raises(InvalidInputError, match="no workload named"):
        get_workload("nope")
    with pytest.raises(InvalidInputError):
        register_workload(object())


def test_chunk_digest_workload_matches_hashlib():
    w = get_workload("chunk_digest")
    data = bytes(range(256)) * 41  # 10496 bytes: 10 full chunks of 1000 and a short one
    params = w.normalize_params({"chunk_size": 1000})
    outs = w.compute(params, {"data": data})
    assert len(outs) == w.chunk_count(params, {"data": data}) == 11
    assert outs == [hashlib.sha256(data[i : i + 1000]).digest() for i in range(0, len(data), 1000)]
    assert w.compute(params, {"data": data}, [10, 3]) == [outs[10], outs[3]]
    assert w.check(params, {"data": data}, 10, outs[10], seed=bytes(32)).method == "recompute"
    with pytest.raises(VerificationError):
        w.check(params, {"data": data}, 10, outs[9], seed=bytes(32))
    with pytest.raises(InvalidInputError, match="unknown parameters"):
        w.normalize_params({"chunk_size": 10, "extra": 1})
    with pytest.raises(InvalidInputError, match="chunk_size"):
        w.normalize_params({"chunk_size": 0})


def test_array_digest_names_dtype_and_shape():
    a = np.arange(12, dtype=np.int64)
    assert array_digest(a) != array_digest(a.reshape(3, 4))
    assert array_digest(a) != array_digest(a.astype(np.uint64))
    assert array_digest(a.reshape(3, 4)) == array_digest(np.asfortranarray(a.reshape(3, 4)))
    assert array_digest(b"abc") == hashlib.sha256(b"abc").digest()
    with pytest.raises(InvalidInputError):
        array_digest("abc")


def test_workload_names_with_a_trailing_newline_are_refused():
    class Bad(Squares):
        name = "squares\n"

    with pytest.raises(InvalidInputError, match="workload name"):
        register_workload(Bad())
