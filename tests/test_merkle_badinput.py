"""Bad input: every malformed argument raises a clear InvalidInputError (a ValueError), never a crash.

Wrong types, wrong lengths, negative and huge integers, bad arrays (non-contiguous, wrong dtype or
number of dimensions), unknown modes, and serialized proofs that are empty, truncated, padded, of
another type or version, or not JSON at all. Each test checks the exception type and that the
message names the problem. Bytes and JSON that do not decode raise DecodeError, a subclass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from verifiable import (
    ConsistencyProof,
    DecodeError,
    InclusionProof,
    InvalidInputError,
    MerkleBuilder,
    MerkleTree,
    MultiProof,
    VerifiableError,
    VerificationError,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
    verify_multiproof,
)

N = 11
TREE = MerkleTree([b"leaf %d" % i for i in range(N)])
H = TREE.leaf_hash(0)
ROOT = TREE.root
INCLUSION = TREE.inclusion_proof(3)
CONSISTENCY = TREE.consistency_proof(5)
MULTI = TREE.multiproof([1, 4, 9])
PROOFS = [INCLUSION, CONSISTENCY, MULTI]
PROOF_IDS = ["inclusion", "consistency", "multiproof"]

BAD_INTS = [
    (-1, r"\[0, "),
    (2**64, r"\[0, "),
    (2**200, r"\[0, "),
    (1.0, "int.*float"),
    (True, "int.*bool"),
    ("1", "int.*str"),
    (None, "int.*NoneType"),
    (b"\x01", "int.*bytes"),
]
BAD_HASHES = [
    (b"\x00" * 31, "32 bytes, got 31"),
    (b"\x00" * 33, "32 bytes, got 33"),
    (b"", "32 bytes, got 0"),
    ("0" * 32, "bytes-like.*str"),
    ("00" * 32, "bytes-like.*str"),
    (None, "bytes-like.*NoneType"),
    (12345, "bytes-like.*int"),
]


def test_invalid_input_is_a_value_error() -> None:
    assert issubclass(InvalidInputError, ValueError)
    assert issubclass(InvalidInputError, VerifiableError)
    assert issubclass(DecodeError, InvalidInputError)
    assert not issubclass(VerificationError, ValueError)


# ---- modes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sha3", "RFC6962", "", None, 0, "merkle-tools"])
def test_unknown_mode(mode: Any) -> None:
    calls: list[Callable[[], object]] = [
        lambda: leaf_hash(b"x", mode=mode),
        lambda: MerkleTree([b"x"], mode=mode),
        lambda: MerkleTree.from_leaf_hashes([H], mode=mode),
        lambda: MerkleBuilder(mode=mode),
        lambda: verify_inclusion(
            proof=INCLUSION, leaf_hash=TREE.leaf_hash(3), root=ROOT, mode=mode, tree_size=INCLUSION.tree_size
        ),
        lambda: verify_consistency(
            proof=CONSISTENCY, old_root=TREE.root_at(5), new_root=ROOT, mode=mode, old_size=CONSISTENCY.old_size, new_size=CONSISTENCY.new_size
        ),
        lambda: verify_multiproof(
            proof=MULTI, leaf_hashes={i: TREE.leaf_hash(i) for i in (1, 4, 9)}, root=ROOT, mode=mode, tree_size=MULTI.tree_size
        ),
    ]
    for call in calls:
        with pytest.raises(InvalidInputError, match="unknown Merkle mode"):
            call()


# ---- leaves ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        ("abc", "bytes-like.*str"),
        (None, "bytes-like"),
        (42, "bytes-like"),
        (1.5, "bytes-like"),
        (memoryview(b"abcdef")[::2], "contiguous"),
    ],
)
def test_leaf_hash_bad_data(data: Any, pattern: str) -> None:
    with pytest.raises(InvalidInputError, match=pattern):
        leaf_hash(data)


def test_bytes_like_leaves_are_accepted() -> None:
    """Not bad input: bytes, bytearray, memoryview and contiguous arrays are the same leaf."""
    raw = b"some leaf"
    expected = leaf_hash(raw)
    for same in (bytearray(raw), memoryview(raw), np.frombuffer(raw, dtype=np.uint8)):
        assert leaf_hash(same) == expected
    assert MerkleTree([bytearray(raw), memoryview(raw)]).root == MerkleTree([raw, raw]).root


@pytest.mark.parametrize(
    ("leaves", "pattern"),
    [
        ("abc", "sequence of bytes-like.*str"),
        (b"abc", "sequence of bytes-like.*bytes"),
        (bytearray(b"abc"), "sequence of bytes-like.*bytearray"),
        (None, "sequence of bytes-like.*NoneType"),
        (42, "sequence of bytes-like.*int"),
        ([b"a", "b"], r"leaves\[1\].*bytes-like.*str"),
        ([b"a", None], r"leaves\[1\].*bytes-like"),
        ([b"a", 7], r"leaves\[1\].*bytes-like"),
        ([memoryview(b"abcdef")[::2]], r"leaves\[0\].*contiguous"),
    ],
)
def test_merkle_tree_bad_leaves(leaves: Any, pattern: str) -> None:
    with pytest.raises(InvalidInputError, match=pattern):
        MerkleTree(leaves)


@pytest.mark.parametrize(
    ("array", "pattern"),
    [
        (np.zeros((8, 16), dtype=np.uint8)[:, ::2], "C-contiguous"),
        (np.zeros((8, 16), dtype=np.uint8)[::2], "C-contiguous"),
        (np.asfortranarray(np.zeros((8, 16), dtype=np.uint8)), "C-contiguous"),
        (np.zeros((8, 16), dtype=np.uint8).T, "C-contiguous"),
        (np.zeros((8, 16), dtype=np.int8), "uint8"),
        (np.zeros((8, 16), dtype=np.int32), "uint8"),
        (np.zeros((8, 16), dtype=np.float64), "uint8"),
        (np.zeros((8, 16), dtype=bool), "uint8"),
        (np.zeros(16, dtype=np.uint8), "2-D"),
        (np.zeros((2, 4, 8), dtype=np.uint8), "2-D"),
        (np.array(7, dtype=np.uint8), "2-D"),
    ],
    ids=[
        "cols-strided",
        "rows-strided",
        "fortran",
        "transposed",
        "int8",
        "int32",
        "float64",
        "bool",
        "1-D",
        "3-D",
        "0-D",
    ],
)
def test_merkle_tree_bad_arrays(array: np.ndarray, pattern: str) -> None:
    with pytest.raises(InvalidInputError, match=pattern):
        MerkleTree(array)
    builder = MerkleBuilder()
    with pytest.raises(InvalidInputError, match=pattern):
        builder.extend(array)
    assert builder.size == 0


@pytest.mark.parametrize(
    ("threads", "pattern"), [(0, ">= 1"), (-2, ">= 1"), (1.5, "int"), (True, "int"), ("2", "int")]
)
def test_bad_threads(threads: Any, pattern: str) -> None:
    with pytest.raises(InvalidInputError, match=f"threads.*{pattern}"):
        MerkleTree([b"a"], threads=threads)
    with pytest.raises(InvalidInputError, match=f"threads.*{pattern}"):
        MerkleTree.from_leaf_hashes([H], threads=threads)


# ---- leaf hashes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hashes", "pattern"),
    [
        ([H, b"\x00" * 31], r"hashes\[1\].*32 bytes, got 31"),
        ([b"\x00" * 33], r"hashes\[0\].*32 bytes, got 33"),
        ([H, "00" * 32], r"hashes\[1\].*bytes-like.*str"),
        ([None], r"hashes\[0\].*bytes-like"),
        (H + H, "sequence of 32-byte hashes.*bytes"),
        ("00" * 32, "sequence of 32-byte hashes.*str"),
        (None, "sequence of 32-byte hashes"),
        (7, "sequence of 32-byte hashes"),
        (np.zeros((3, 31), dtype=np.uint8), r"\(n, 32\) uint8"),
        (np.zeros((3, 33), dtype=np.uint8), r"\(n, 32\) uint8"),
        (np.zeros(96, dtype=np.uint8), r"\(n, 32\) uint8"),
        (np.zeros((3, 32), dtype=np.int64), r"\(n, 32\) uint8"),
        (np.zeros((3, 32, 1), dtype=np.uint8), r"\(n, 32\) uint8"),
    ],
)
def test_bad_leaf_hashes(hashes: Any, pattern: str) -> None:
    with pytest.raises(InvalidInputError, match=pattern):
        MerkleTree.from_leaf_hashes(hashes)
    builder = MerkleBuilder()
    builder.append_leaf_hash(H)
    with pytest.raises(InvalidInputError, match=pattern):
        builder.extend_leaf_hashes(hashes)
    assert (builder.size, builder.root) == (1, H)  # a refused batch changes nothing


def test_strided_leaf_hash_array_is_read_correctly() -> None:
    """A non-contiguous (n, 32) view of leaf hashes is either refused or read row by row."""
    wide = np.zeros((N, 64), dtype=np.uint8)
    wide[:, :32] = TREE.leaf_hashes
    view = wide[:, :32]
    assert not view.flags.c_contiguous
    try:
        tree = MerkleTree.from_leaf_hashes(view)
    except InvalidInputError as exc:
        assert "contiguous" in str(exc)
    else:
        assert tree.root == ROOT


@pytest.mark.parametrize(("value", "pattern"), BAD_HASHES)
def test_builder_bad_single_values(value: Any, pattern: str) -> None:
    builder = MerkleBuilder()
    builder.append(b"first")
    before = builder.root
    with pytest.raises(InvalidInputError, match=pattern):
        builder.append_leaf_hash(value)
    if not isinstance(value, (bytes, bytearray)):
        with pytest.raises(InvalidInputError, match="bytes-like"):
            builder.append(value)
    with pytest.raises(InvalidInputError, match=r"leaves\[1\]"):
        builder.extend([b"fine", "not fine"])  # validated before anything is appended
    assert (builder.size, builder.root) == (1, before)


# ---- tree accessors --------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "pattern"), BAD_INTS)
def test_tree_accessors_bad_ints(value: Any, pattern: str) -> None:
    with pytest.raises(InvalidInputError, match=f"index.*{pattern}"):
        TREE.leaf_hash(value)
    with pytest.raises(InvalidInputError, match=f"index.*{pattern}"):
        TREE.inclusion_proof(value)
    with pytest.raises(InvalidInputError, match=f"index.*{pattern}"):
        TREE.multiproof([0, value])
    with pytest.raises(InvalidInputError, match=f"size.*{pattern}"):
        TREE.root_at(value)
    with pytest.raises(InvalidInputError, match=f"old_size.*{pattern}"):
        TREE.consistency_proof(value)
    if value is not None:  # new_size=None means the whole tree
        with pytest.raises(InvalidInputError, match=f"new_size.*{pattern}"):
            TREE.consistency_proof(1, value)


def test_tree_accessors_out_of_range() -> None:
    with pytest.raises(InvalidInputError, match=f"index {N} is out of range.*{N} leaves"):
        TREE.leaf_hash(N)
    with pytest.raises(InvalidInputError, match="out of range"):
        TREE.inclusion_proof(N + 100)
    with pytest.raises(InvalidInputError, match="out of range"):
        TREE.multiproof(range(N + 1))
    with pytest.raises(InvalidInputError, match=f"exceeds.*{N}"):
        TREE.root_at(N + 1)
    for old, new in ((0, N), (0, None), (6, 5), (1, N + 1), (N + 1, None)):
        with pytest.raises(InvalidInputError, match="old_size.*new_size"):
            TREE.consistency_proof(old, new)


@pytest.mark.parametrize(
    ("indices", "pattern"),
    [
        ([], "at least one"),
        ((), "at least one"),
        ("ab", "iterable of ints"),
        (b"\x01", "iterable of ints"),
        (None, "iterable of ints"),
        (5, "iterable of ints"),
        ([1.5], "int.*float"),
        ([None], "int"),
    ],
)
def test_multiproof_bad_indices(indices: Any, pattern: str) -> None:
    with pytest.raises(InvalidInputError, match=pattern):
        TREE.multiproof(indices)


def test_numpy_integers_are_ints() -> None:
    """Not bad input: numpy integer scalars are indices like any other int."""
    assert TREE.inclusion_proof(np.int64(3)) == INCLUSION
    assert TREE.leaf_hash(np.uint32(0)) == H
    assert TREE.multiproof(np.array([9, 1, 4])) == MULTI


# ---- proof constructors ----------------------------------------------------------------------


def _constructors(field: str, value: Any) -> list[Callable[[], object]]:
    """Each proof class built with ``value`` in the place of an integer field called ``field``."""
    return {
        "index": [lambda: InclusionProof(value, N, ())],
        "tree_size": [lambda: InclusionProof(0, value, ()), lambda: MultiProof(value, (0,), ())],
        "old_size": [lambda: ConsistencyProof(value, N, ())],
        "new_size": [lambda: ConsistencyProof(1, value, ())],
        "indices": [lambda: MultiProof(N, (0, value), ())],
    }[field]


@pytest.mark.parametrize("field", ["index", "tree_size", "old_size", "new_size", "indices"])
@pytest.mark.parametrize(("value", "pattern"), BAD_INTS)
def test_proof_constructors_bad_ints(field: str, value: Any, pattern: str) -> None:
    for build in _constructors(field, value):
        with pytest.raises(InvalidInputError, match=pattern):
            build()


@pytest.mark.parametrize("cls", [InclusionProof, ConsistencyProof, MultiProof])
@pytest.mark.parametrize(
    ("siblings", "pattern"),
    [
        ((H, b"\x00" * 31), r"siblings\[1\].*32 bytes, got 31"),
        ((b"\x00" * 33,), r"siblings\[0\].*32 bytes, got 33"),
        (("00" * 32,), r"siblings\[0\].*bytes-like.*str"),
        ((None,), r"siblings\[0\].*bytes-like"),
        (H, "siblings must be a tuple"),
        ("ab", "siblings must be a tuple"),
        (None, "siblings must be a tuple"),
        (iter([H]), "siblings must be a tuple"),
        ({H: 1}, "siblings must be a tuple"),
    ],
)
def test_proof_constructors_bad_siblings(cls: type, siblings: Any, pattern: str) -> None:
    args = (N, (0,), siblings) if cls is MultiProof else (0, N, siblings)
    with pytest.raises(InvalidInputError, match=pattern):
        cls(*args)


@pytest.mark.parametrize(
    ("indices", "pattern"),
    [
        ("ab", "indices"),
        (None, "indices"),
        (5, "indices"),
        (b"\x00", "indices"),
        ({1, 2}, "indices"),
    ],
)
def test_multiproof_constructor_bad_indices(indices: Any, pattern: str) -> None:
    with pytest.raises(InvalidInputError, match=pattern):
        MultiProof(N, indices, ())


def test_proof_constructors_bound_the_sibling_count() -> None:
    with pytest.raises(InvalidInputError, match="at most 64"):
        InclusionProof(0, N, (H,) * 65)
    with pytest.raises(InvalidInputError, match="at most 65"):
        ConsistencyProof(1, N, (H,) * 66)
    with pytest.raises(InvalidInputError, match="at most 64"):
        MultiProof(N, (0,), (H,) * 65)


def test_proofs_are_frozen() -> None:
    for proof in PROOFS:
        with pytest.raises(AttributeError):
            proof.siblings = ()  # type: ignore[misc]


# ---- verifiers -------------------------------------------------------------------------------


def _verify_calls(**bad: Any) -> list[Callable[[], None]]:
    """The three verifiers with honest arguments except those in ``bad``."""
    opened = {i: TREE.leaf_hash(i) for i in MULTI.indices}
    size = TREE.size
    args_i = {"proof": INCLUSION, "leaf_hash": TREE.leaf_hash(3), "root": ROOT, "tree_size": size}
    args_c = {
        "proof": CONSISTENCY, "old_root": TREE.root_at(5), "new_root": ROOT,
        "old_size": CONSISTENCY.old_size, "new_size": CONSISTENCY.new_size,
    }
    args_m = {"proof": MULTI, "leaf_hashes": opened, "root": ROOT, "tree_size": size}
    calls = []
    for verify, args in (
        (verify_inclusion, args_i),
        (verify_consistency, args_c),
        (verify_multiproof, args_m),
    ):
        if all(k in args for k in bad):
            calls.append(lambda verify=verify, args=args: verify(**{**args, **bad}))
    return calls


def test_honest_arguments_verify() -> None:
    for call in _verify_calls():
        call()


@pytest.mark.parametrize(("value", "pattern"), [(-1, "must be in \\[0, "), ("7", "int"),
                                                (None, "int"), (2**64, "range|\\[0, "), (7.0, "int")])
def test_verifiers_bad_trusted_sizes(value: Any, pattern: str) -> None:
    for name in ("tree_size", "old_size", "new_size"):
        calls = _verify_calls(**{name: value})
        assert calls
        for call in calls:
            with pytest.raises(InvalidInputError, match=pattern):
                call()


def test_verifiers_refuse_a_size_other_than_the_trusted_one() -> None:
    for name, delta in (("tree_size", 1), ("tree_size", -1), ("old_size", 1), ("new_size", 1)):
        for call in _verify_calls(**{name: {"tree_size": TREE.size, "old_size": 5,
                                            "new_size": CONSISTENCY.new_size}[name] + delta}):
            with pytest.raises(VerificationError, match=name):
                call()


@pytest.mark.parametrize(("value", "pattern"), BAD_HASHES)
def test_verifiers_bad_hashes(value: Any, pattern: str) -> None:
    for name in ("root", "leaf_hash", "old_root", "new_root"):
        calls = _verify_calls(**{name: value})
        assert calls
        for call in calls:
            with pytest.raises(InvalidInputError, match=f"{name}.*{pattern}"):
                call()
    # a bad value among a multiproof's leaf hashes
    with pytest.raises(InvalidInputError, match=pattern):
        verify_multiproof(
            proof=MULTI,
            leaf_hashes={1: TREE.leaf_hash(1), 4: value, 9: TREE.leaf_hash(9)},
            root=ROOT, tree_size=MULTI.tree_size
        )


@pytest.mark.parametrize(
    "proof", [None, "proof", b"\x00" * 32, {"index": 3}, 3, INCLUSION, CONSISTENCY, MULTI]
)
def test_verifiers_bad_proof_objects(proof: Any) -> None:
    for verify, cls, extra in (
        (verify_inclusion, InclusionProof,
         {"leaf_hash": TREE.leaf_hash(3), "root": ROOT, "tree_size": TREE.size}),
        (verify_consistency, ConsistencyProof,
         {"old_root": TREE.root_at(5), "new_root": ROOT, "old_size": 5, "new_size": TREE.size}),
        (verify_multiproof, MultiProof,
         {"leaf_hashes": {1: H, 4: H, 9: H}, "root": ROOT, "tree_size": TREE.size}),
    ):
        if isinstance(proof, cls):
            continue
        with pytest.raises(InvalidInputError, match=f"proof must be a.*{cls.__name__}"):
            verify(proof=proof, **extra)


@pytest.mark.parametrize("leaf_hashes", [None, [H, H, H], H, "abc", 5, {(1, 4, 9): H}.items()])
def test_verify_multiproof_leaf_hashes_not_a_mapping(leaf_hashes: Any) -> None:
    with pytest.raises(InvalidInputError, match="leaf_hashes must be a mapping"):
        verify_multiproof(proof=MULTI, leaf_hashes=leaf_hashes, root=ROOT, tree_size=MULTI.tree_size)


def test_verifiers_take_keywords_only() -> None:
    with pytest.raises(TypeError):
        verify_inclusion(INCLUSION, TREE.leaf_hash(3), ROOT)  # type: ignore[misc]


# ---- from_bytes ------------------------------------------------------------------------------


@pytest.mark.parametrize("proof", PROOFS, ids=PROOF_IDS)
def test_from_bytes_truncated(proof: Any) -> None:
    raw = proof.to_bytes()
    for cut in range(len(raw)):
        with pytest.raises(DecodeError, match="truncated"):
            type(proof).from_bytes(raw[:cut])


@pytest.mark.parametrize("proof", PROOFS, ids=PROOF_IDS)
@pytest.mark.parametrize("garbage", [b"\x00", b"\xff" * 7, b"\x00" * 32, None])
def test_from_bytes_trailing_garbage(proof: Any, garbage: bytes | None) -> None:
    raw = proof.to_bytes()
    extra = raw if garbage is None else garbage  # None: the whole encoding twice
    with pytest.raises(DecodeError, match="trailing"):
        type(proof).from_bytes(raw + extra)


@pytest.mark.parametrize("proof", PROOFS, ids=PROOF_IDS)
def test_from_bytes_wrong_magic_or_version(proof: Any) -> None:
    cls = type(proof)
    raw = proof.to_bytes()
    for other in PROOFS:
        if type(other) is not cls:
            with pytest.raises(DecodeError, match="magic"):
                cls.from_bytes(other.to_bytes())
    with pytest.raises(DecodeError, match="magic"):
        cls.from_bytes(b"XXXX" + raw[4:])
    for version in (0, 2, 255):
        with pytest.raises(DecodeError, match="version"):
            cls.from_bytes(raw[:4] + bytes([version]) + raw[5:])


@pytest.mark.parametrize("cls", [InclusionProof, ConsistencyProof, MultiProof])
@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        (b"", "truncated"),
        ("", "expected bytes.*str"),
        ("VFIP", "expected bytes.*str"),
        (None, "expected bytes.*NoneType"),
        (12, "expected bytes.*int"),
        ([1, 2], "expected bytes.*list"),
    ],
)
def test_from_bytes_not_bytes_or_empty(cls: Any, data: Any, pattern: str) -> None:
    with pytest.raises(DecodeError, match=pattern):
        cls.from_bytes(data)


def test_from_bytes_accepts_bytes_like() -> None:
    for proof in PROOFS:
        raw = proof.to_bytes()
        assert type(proof).from_bytes(bytearray(raw)) == proof
        assert type(proof).from_bytes(memoryview(raw)) == proof


def test_from_bytes_counts_beyond_limits() -> None:
    """Declared counts are checked before anything is allocated or read."""
    head = INCLUSION.to_bytes()[:21]  # magic, version, index, tree_size
    with pytest.raises(DecodeError, match="limit"):
        InclusionProof.from_bytes(head + bytes([65]) + H * 65)
    with pytest.raises(DecodeError, match="truncated"):
        InclusionProof.from_bytes(head + bytes([2]) + H)
    chead = CONSISTENCY.to_bytes()[:21]
    with pytest.raises(DecodeError, match="limit"):
        ConsistencyProof.from_bytes(chead + bytes([66]) + H * 66)
    mhead = MULTI.to_bytes()[:13]  # magic, version, tree_size
    with pytest.raises(DecodeError, match="limit"):
        MultiProof.from_bytes(mhead + (2**32 - 1).to_bytes(4, "big"))
    with pytest.raises(DecodeError, match="truncated"):
        MultiProof.from_bytes(mhead + (1000).to_bytes(4, "big") + b"\x00" * 8)
    one_index = mhead + (1).to_bytes(4, "big") + (0).to_bytes(8, "big")
    with pytest.raises(DecodeError, match="limit"):
        MultiProof.from_bytes(one_index + (2**32 - 1).to_bytes(4, "big"))
    with pytest.raises(DecodeError, match="truncated"):
        MultiProof.from_bytes(one_index + (3).to_bytes(4, "big") + H * 2)


# ---- from_json -------------------------------------------------------------------------------


GARBAGE_JSON = [
    ("", "invalid JSON"),
    ("garbage", "invalid JSON"),
    ("{", "invalid JSON"),
    ("null", "object"),
    ("[]", "object"),
    ("1", "object"),
    ('"text"', "object"),
    ("{}", "type"),
    ("[" * 100_000 + "]" * 100_000, "invalid JSON|object"),
    (None, "expected a JSON string"),
    (12, "expected a JSON string"),
    (b"\xff\xfe", "UTF-8"),
]


@pytest.mark.parametrize("cls", [InclusionProof, ConsistencyProof, MultiProof])
@pytest.mark.parametrize(("text", "pattern"), GARBAGE_JSON)
def test_from_json_garbage(cls: Any, text: Any, pattern: str) -> None:
    with pytest.raises(DecodeError, match=pattern):
        cls.from_json(text)


def _json_mutations(proof: Any) -> list[tuple[str, dict[str, Any], str]]:
    """(what, mutated JSON object, expected message pattern) for one proof's JSON."""
    obj = json.loads(proof.to_json())
    ints = [k for k, v in obj.items() if isinstance(v, int) and k != "version"]
    first = ints[0]
    out = [
        ("other type", {**obj, "type": "something_else"}, "type"),
        ("extra key", {**obj, "extra": 1}, "unexpected.*extra"),
        (
            "missing siblings",
            {k: v for k, v in obj.items() if k != "siblings"},
            "missing.*siblings",
        ),
        ("version 2", {**obj, "version": 2}, "version"),
        ("version str", {**obj, "version": "1"}, "version.*integer"),
        ("bool int", {**obj, first: True}, f"{first}.*integer"),
        ("float int", {**obj, first: 1.0}, f"{first}.*integer"),
        ("str int", {**obj, first: "1"}, f"{first}.*integer"),
        ("null int", {**obj, first: None}, f"{first}.*integer"),
        ("negative int", {**obj, first: -1}, r"\[0, "),
        ("huge int", {**obj, first: 2**64}, r"\[0, "),
        ("siblings not a list", {**obj, "siblings": "00" * 32}, "siblings.*list"),
        ("short hex", {**obj, "siblings": ["00" * 31]}, "32 bytes"),
        ("long hex", {**obj, "siblings": ["00" * 33]}, "32 bytes"),
        ("odd hex", {**obj, "siblings": ["0" * 63]}, "hex"),
        ("upper hex", {**obj, "siblings": ["AB" * 32]}, "lowercase hex"),
        ("not hex", {**obj, "siblings": ["zz" * 32]}, "hex"),
        ("spaced hex", {**obj, "siblings": ["00 " * 31 + "00"]}, "hex"),
        ("sibling int", {**obj, "siblings": [0]}, "hex"),
    ]
    if "indices" in obj:
        out += [
            ("indices not a list", {**obj, "indices": 1}, "indices.*list"),
            ("index float", {**obj, "indices": [1.5]}, "indices.*integer"),
            ("index bool", {**obj, "indices": [True]}, "indices.*integer"),
            ("index negative", {**obj, "indices": [-1]}, r"\[0, "),
            ("index huge", {**obj, "indices": [2**70]}, r"\[0, "),
        ]
    return out


@pytest.mark.parametrize("proof", PROOFS, ids=PROOF_IDS)
def test_from_json_malformed_fields(proof: Any) -> None:
    cls = type(proof)
    assert cls.from_json(proof.to_json()) == proof
    for what, obj, pattern in _json_mutations(proof):
        with pytest.raises(DecodeError, match=pattern):
            cls.from_json(json.dumps(obj))
            pytest.fail(f"accepted: {what}")
    for other in PROOFS:
        if type(other) is not cls:
            with pytest.raises(DecodeError, match="type"):
                cls.from_json(other.to_json())


# ---- merkletools proof lists -----------------------------------------------------------------


def test_from_merkletools_malformed() -> None:
    proof = MerkleTree([b"%d" % i for i in range(N)], mode="merkletools").inclusion_proof(3)
    items = proof.to_merkletools()
    assert InclusionProof.from_merkletools(items, index=3, tree_size=N) == proof
    flipped = [{("right" if k == "left" else "left"): v for k, v in item.items()} for item in items]
    value = next(iter(items[0].values()))
    cases: list[tuple[Any, str]] = [
        ("not a list", "list"),
        (None, "list"),
        ({"left": value}, "list"),
        ([value] + items[1:], "item 0"),
        ([{"left": value, "right": value}] + items[1:], "item 0"),
        ([{"up": value}] + items[1:], "item 0"),
        (flipped, "item 0.*does not fit"),
        (items + [{"right": value}], "item"),
        ([{k: v.upper() for k, v in items[0].items()}] + items[1:], "hex"),
        ([{k: v[:-2] for k, v in items[0].items()}] + items[1:], "32 bytes"),
        ([{k: "zz" + v[2:] for k, v in items[0].items()}] + items[1:], "hex"),
        ([{k: bytes.fromhex(v) for k, v in items[0].items()}] + items[1:], "hex"),
        (items * 40, "too many"),
    ]
    for bad, pattern in cases:
        with pytest.raises(DecodeError, match=pattern):
            InclusionProof.from_merkletools(bad, index=3, tree_size=N)
    for index, tree_size, pattern in (
        (N, N, "not below"),
        (0, 0, r"tree_size.*\[1, "),
        (-1, N, r"\[0, "),
        (1.0, N, "int"),
        (3, True, "int"),
        (2**64, N, r"\[0, "),
    ):
        with pytest.raises(InvalidInputError, match=pattern):
            InclusionProof.from_merkletools(items, index=index, tree_size=tree_size)


def test_to_merkletools_refuses_an_inconsistent_proof() -> None:
    for proof in (
        InclusionProof(3, N, ()),
        InclusionProof(3, N, INCLUSION.siblings + (H,)),
        InclusionProof(N, N, INCLUSION.siblings),
        InclusionProof(0, 0, ()),
    ):
        with pytest.raises(InvalidInputError, match="does not fit|sibling count"):
            proof.to_merkletools()
