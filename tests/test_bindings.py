"""The C kernel refuses bad arguments with a status, even where Python already checks.

These tests call the compiled functions directly, past the Python-side validation, to drive the
"cannot happen" paths: NULL pointers, short buffers, out-of-range sizes, bad modes.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from verifiable import InvalidInputError, VerificationError, _bindings
from verifiable._bindings import ffi, lib

NULL = ffi.NULL


def test_abi_stamp_matches():
    assert lib.vf_abi_version() == _bindings.EXPECTED_ABI


def test_every_status_has_a_text():
    texts = {_bindings.strerror(rc) for rc in range(lib.VF_STATUS_COUNT)}
    assert len(texts) == lib.VF_STATUS_COUNT
    assert _bindings.strerror(999) == "unknown status"


def test_check_maps_statuses_to_exceptions():
    _bindings.check(lib.VF_OK, "x")
    with pytest.raises(InvalidInputError, match="out of range"):
        _bindings.check(lib.VF_E_RANGE, "x")
    with pytest.raises(VerificationError, match="out of range"):
        _bindings.check(lib.VF_E_RANGE, "x", verifying=True)
    with pytest.raises(VerificationError):
        _bindings.check(lib.VF_E_MISMATCH, "x")


def test_sha256_refuses_null_and_short_output():
    out = ffi.new("uint8_t[32]")
    assert lib.vf_sha256(NULL, 5, out, 32) == lib.VF_E_NULL
    assert lib.vf_sha256(b"abc", 3, NULL, 32) == lib.VF_E_NULL
    assert lib.vf_sha256(b"abc", 3, out, 31) == lib.VF_E_LENGTH
    assert lib.vf_sha256(NULL, 0, out, 32) == lib.VF_OK
    assert bytes(out) == hashlib.sha256(b"").digest()


def test_sha256_chunks_bounds():
    out = ffi.new("uint8_t[64]")
    assert lib.vf_sha256_chunks(b"abcd", 4, 0, out, 64, 1) == lib.VF_E_ARG
    assert lib.vf_sha256_chunks(b"abcd", 4, 1, out, 64, 1) == lib.VF_E_LENGTH  # needs 4 digests
    assert lib.vf_sha256_chunks(b"abcd", 4, 2, out, 64, 1) == lib.VF_OK
    assert bytes(out)[32:] == hashlib.sha256(b"cd").digest()


def test_backend_selection_refuses_unknown():
    assert lib.vf_sha256_set_backend(7) == lib.VF_E_ARG
    assert lib.vf_sha256_backend_available(7) == 0
    with pytest.raises(InvalidInputError, match="unknown SHA-256 backend"):
        _bindings.set_sha_backend("gpu")


def test_leaf_hashing_bounds():
    out = ffi.new("uint8_t[64]")
    data = b"x" * 10
    assert lib.vf_hash_leaves_rows(5, data, 10, 5, 2, out, 64, 1) == lib.VF_E_ARG
    assert lib.vf_hash_leaves_rows(0, data, 9, 5, 2, out, 64, 1) == lib.VF_E_LENGTH
    assert lib.vf_hash_leaves_rows(0, data, 10, 5, 2, out, 63, 1) == lib.VF_E_LENGTH
    assert lib.vf_hash_leaves_rows(0, data, 10, 2**63, 4, out, 64, 1) == lib.VF_E_OVERFLOW
    offs = ffi.new("uint64_t[3]", [0, 6, 4])
    assert lib.vf_hash_leaves_offsets(0, data, 10, offs, 3, out, 64, 1) == lib.VF_E_ORDER
    offs = ffi.new("uint64_t[3]", [0, 6, 11])
    assert lib.vf_hash_leaves_offsets(0, data, 10, offs, 3, out, 64, 1) == lib.VF_E_LENGTH
    offs = ffi.new("uint64_t[3]", [1, 6, 10])
    assert lib.vf_hash_leaves_offsets(0, data, 10, offs, 3, out, 64, 1) == lib.VF_E_ARG
    assert lib.vf_hash_leaves_offsets(0, data, 10, NULL, 3, out, 64, 1) == lib.VF_E_NULL


def test_tree_functions_refuse_short_stores_and_bad_ranges():
    total = ffi.new("uint64_t *")
    assert lib.vf_merkle_store_size(5, total) == lib.VF_OK and total[0] == 5 + 3 + 2 + 1
    assert lib.vf_merkle_store_size(2**63, total) == lib.VF_E_OVERFLOW
    store = np.zeros((total[0], 32), dtype=np.uint8)
    buf = ffi.from_buffer("uint8_t[]", store, require_writable=True)
    assert lib.vf_merkle_build(0, buf, store.nbytes - 1, 5, 1) == lib.VF_E_LENGTH
    assert lib.vf_merkle_build(9, buf, store.nbytes, 5, 1) == lib.VF_E_ARG
    assert lib.vf_merkle_build(0, buf, store.nbytes, 5, 1) == lib.VF_OK
    out = ffi.new("uint8_t[64]")
    count = ffi.new("size_t *")
    assert lib.vf_merkle_root_at(0, buf, store.nbytes, 5, 6, out, 32) == lib.VF_E_RANGE
    assert lib.vf_merkle_inclusion_proof(buf, store.nbytes, 5, 5, out, 64, count) == lib.VF_E_RANGE
    # the audit path of leaf 0 in a 5-leaf tree has 3 hashes: 64 bytes is too small
    assert lib.vf_merkle_inclusion_proof(buf, store.nbytes, 5, 0, out, 64, count) == lib.VF_E_LENGTH
    assert lib.vf_merkle_consistency_proof(0, buf, store.nbytes, 5, 0, 5, out, 64, count) == lib.VF_E_RANGE
    assert lib.vf_merkle_consistency_proof(0, buf, store.nbytes, 5, 3, 6, out, 64, count) == lib.VF_E_RANGE
    idx = ffi.new("uint64_t[2]", [3, 1])
    assert lib.vf_merkle_multiproof(buf, store.nbytes, 5, idx, 2, out, 64, count) == lib.VF_E_ORDER
    idx = ffi.new("uint64_t[2]", [1, 5])
    assert lib.vf_merkle_multiproof(buf, store.nbytes, 5, idx, 2, out, 64, count) == lib.VF_E_RANGE
    assert lib.vf_merkle_multiproof(buf, store.nbytes, 5, idx, 0, out, 64, count) == lib.VF_E_ARG


def test_verifiers_refuse_shapes_in_c():
    h = b"\x11" * 32
    assert lib.vf_verify_inclusion(0, 3, 3, h, NULL, 0, h) == lib.VF_E_RANGE
    assert lib.vf_verify_inclusion(0, 0, 0, h, NULL, 0, h) == lib.VF_E_RANGE
    assert lib.vf_verify_inclusion(0, 0, 1, h, h, 1, h) == lib.VF_E_PROOF_SHAPE
    assert lib.vf_verify_inclusion(0, 0, 2, h, NULL, 0, h) == lib.VF_E_PROOF_SHAPE
    assert lib.vf_verify_inclusion(0, 0, 1, h, NULL, 0, h) == lib.VF_OK
    assert lib.vf_verify_consistency(0, 0, 4, h, h, h, 1) == lib.VF_E_RANGE
    assert lib.vf_verify_consistency(0, 4, 4, h, h, h, 1) == lib.VF_E_PROOF_SHAPE
    assert lib.vf_verify_consistency(0, 3, 4, h, h, NULL, 0) == lib.VF_E_PROOF_SHAPE
    idx = ffi.new("uint64_t[2]", [1, 1])
    assert lib.vf_verify_multiproof(0, 4, idx, 2, h * 2, h, 1, h) == lib.VF_E_ORDER
    assert lib.vf_verify_multiproof(0, 4, idx, 0, h * 2, h, 1, h) == lib.VF_E_PROOF_SHAPE
    assert lib.vf_verify_multiproof(0, 0, idx, 1, h, h, 1, h) == lib.VF_E_RANGE


def test_builder_refuses_null():
    assert lib.vf_builder_init(NULL, 0) == lib.VF_E_NULL
    b = ffi.new("vf_builder *")
    assert lib.vf_builder_init(b, 3) == lib.VF_E_ARG
    assert lib.vf_builder_init(b, 0) == lib.VF_OK
    assert lib.vf_builder_push(b, NULL, 1) == lib.VF_E_NULL
    out = ffi.new("uint8_t[32]")
    assert lib.vf_builder_root(b, out, 31) == lib.VF_E_LENGTH
