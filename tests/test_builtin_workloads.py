"""The built-in matmul and hash_chain workloads: chunking, canonical bytes, checks, whole rounds."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

from verifiable import (
    Identity,
    InvalidInputError,
    Job,
    Provider,
    VerificationError,
    Verifier,
    get_workload,
)
from verifiable.matrix import MODP, parse_row_block

MATMUL = get_workload("matmul")
CHAIN = get_workload("hash_chain")
SEED = bytes(range(32))


def operands(mode: str, m: int = 37, k: int = 29, n: int = 23, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    if mode in ("int64", "modp"):
        hi = MODP if mode == "modp" else 2**63 - 1
        return {"a": rng.integers(-hi, hi, size=(m, k), dtype=np.int64) if mode == "int64" else rng.integers(0, hi, size=(m, k), dtype=np.int64),
                "b": rng.integers(-hi, hi, size=(k, n), dtype=np.int64) if mode == "int64" else rng.integers(0, hi, size=(k, n), dtype=np.int64)}
    dt = np.dtype(mode)
    return {"a": rng.standard_normal((m, k)).astype(dt), "b": rng.standard_normal((k, n)).astype(dt)}


@pytest.mark.parametrize("mode", ["int64", "modp", "float32", "float64"])
def test_matmul_chunks_are_canonical_row_blocks(mode: str) -> None:
    inputs = operands(mode)
    params = MATMUL.normalize_params({"mode": mode, "rows_per_chunk": 8})
    assert MATMUL.chunk_count(params, inputs) == 5  # 37 rows in blocks of 8
    outputs = MATMUL.compute(params, inputs)
    assert MATMUL.compute(params, inputs, [4, 1]) == [outputs[4], outputs[1]]
    assert MATMUL.compute(params, inputs, threads=1) == outputs
    for i, raw in enumerate(outputs):
        block = parse_row_block(raw, mode=mode, shape=(37, 29, 23), row_start=8 * i, row_stop=min(8 * i + 8, 37))
        assert block.values.shape == (min(8, 37 - 8 * i), 23)
    if mode == "int64":
        expected = inputs["a"] @ inputs["b"]  # numpy's int64 product wraps too
        assert np.array_equal(parse_row_block(outputs[2]).values, expected[16:24])


@pytest.mark.parametrize("mode", ["int64", "modp", "float32", "float64"])
def test_matmul_check_accepts_honest_and_rejects_wrong_or_misplaced_blocks(mode: str) -> None:
    inputs = operands(mode, seed=3)
    params = MATMUL.normalize_params({"mode": mode, "rows_per_chunk": 8})
    outputs = MATMUL.compute(params, inputs)
    for i, raw in enumerate(outputs):
        report = MATMUL.check(params, inputs, i, raw, seed=os.urandom(32))
        assert report.method in ("freivalds", "recompute") and report.false_accept <= 2**-8
    block = parse_row_block(outputs[1])
    values = block.values.copy()
    values[3, 5] += 1 if mode in ("int64", "modp") else values[3, 5] * 1e-2 + 1
    if mode == "modp":
        values[3, 5] %= MODP
    wrong = type(block)(block.mode, block.m, block.k, block.n, block.row_start, block.row_stop, values).to_bytes()
    with pytest.raises(VerificationError):
        MATMUL.check(params, inputs, 1, wrong, seed=os.urandom(32))
    with pytest.raises(VerificationError, match="not the block"):
        MATMUL.check(params, inputs, 2, outputs[1], seed=os.urandom(32))  # right bytes, wrong place
    with pytest.raises(VerificationError):
        MATMUL.check(params, inputs, 1, outputs[1][:-1], seed=os.urandom(32))


def test_matmul_worst_case_int64_error_is_caught_by_freivalds() -> None:
    """An error of 2^63 in every entry of a block survives one int64 probe with probability 1/2
    (Z/2^64 has zero divisors); the workload's 40 fused rounds make that 2^-40 per check."""
    inputs = operands("int64", m=256, k=256, n=256, seed=5)
    params = MATMUL.normalize_params({"mode": "int64", "rows_per_chunk": 256})
    block = parse_row_block(MATMUL.compute(params, inputs, [0])[0])
    assert MATMUL.check(params, inputs, 0, block.to_bytes(), seed=SEED).method == "freivalds"
    values = (block.values.view(np.uint64) + np.uint64(2**63)).view(np.int64)
    wrong = type(block)(block.mode, block.m, block.k, block.n, 0, 256, values).to_bytes()
    for t in range(50):
        with pytest.raises(VerificationError):
            MATMUL.check(params, inputs, 0, wrong, seed=hashlib.sha256(t.to_bytes(4, "big")).digest())


def test_matmul_bad_parameters_and_inputs() -> None:
    with pytest.raises(InvalidInputError, match="mode"):
        MATMUL.normalize_params({"mode": "int32", "rows_per_chunk": 8})
    with pytest.raises(InvalidInputError, match="unknown"):
        MATMUL.normalize_params({"mode": "int64", "rows_per_chunk": 8, "extra": 1})
    params = MATMUL.normalize_params({"mode": "float64", "rows_per_chunk": 8})
    with pytest.raises(InvalidInputError, match="float64"):
        MATMUL.chunk_count(params, operands("float32"))
    bad = operands("float64")
    bad["b"] = bad["b"][:-1]
    with pytest.raises(InvalidInputError, match="chain"):
        MATMUL.chunk_count(params, bad)


def chain_params(**extra: int) -> dict[str, object]:
    return CHAIN.normalize_params({"job_seed": SEED, "chunks": 6, "steps": 64, "checkpoint_every": 16, **extra})


def reference_chain(index: int, steps: int, every: int) -> bytes:
    h = hashlib.sha256(b"verifiable/hash_chain/v1" + SEED + index.to_bytes(8, "big")).digest()
    out = b""
    for t in range(1, steps + 1):
        h = hashlib.sha256(h).digest()
        if t % every == 0:
            out += h
    return out


def test_hash_chain_outputs_match_a_hashlib_reference() -> None:
    params = chain_params()
    outputs = CHAIN.compute(params, {})
    assert outputs == [reference_chain(i, 64, 16) for i in range(6)]
    assert CHAIN.compute(params, {}, [5, 0]) == [outputs[5], outputs[0]]
    report = CHAIN.check(params, {}, 3, outputs[3], seed=os.urandom(32))
    assert report.method == "segments" and report.false_accept == pytest.approx(0.75)
    report = CHAIN.check(chain_params(segments_checked=4), {}, 3, outputs[3], seed=os.urandom(32))
    assert report.false_accept == 0.0


def test_hash_chain_one_wrong_segment_is_caught_by_exactly_the_checks_that_draw_it() -> None:
    params = chain_params()
    honest = CHAIN.compute(params, {}, [2])[0]
    bad = bytearray(honest)
    bad[2 * 32] ^= 1  # checkpoint 2 is wrong: segments 2 and 3 no longer check out
    caught = 0
    for t in range(400):
        seed = hashlib.sha256(b"t" + t.to_bytes(4, "big")).digest()
        (segment,) = CHAIN.segments_for(params, seed)
        try:
            CHAIN.check(params, {}, 2, bytes(bad), seed=seed)
        except VerificationError:
            caught += 1
            assert segment in (2, 3)
        else:
            assert segment in (0, 1)
    assert 150 < caught < 250
    with pytest.raises(VerificationError, match="checkpoints"):
        CHAIN.check(params, {}, 2, honest[:-32], seed=SEED)  # a truncated chain


def test_hash_chain_bad_parameters() -> None:
    for bad, match in (({"job_seed": b"short"}, "32 bytes"), ({"steps": 60}, "multiple"),
                       ({"segments_checked": 5}, "segments_checked"), ({"chunks": 0}, "chunks")):
        with pytest.raises(InvalidInputError, match=match):
            CHAIN.normalize_params({"job_seed": SEED, "chunks": 6, "steps": 64, "checkpoint_every": 16, **bad})


@pytest.mark.parametrize("workload", ["matmul", "hash_chain"])
def test_whole_rounds_with_the_builtin_workloads(workload: str) -> None:
    if workload == "matmul":
        inputs = operands("float32", m=64, k=48, n=40, seed=9)
        job = Job.create("matmul", {"mode": "float32", "rows_per_chunk": 4}, inputs)
    else:
        inputs = {}
        job = Job.create("hash_chain", {"job_seed": SEED, "chunks": 32, "steps": 256, "checkpoint_every": 32}, inputs)
    provider, verifier = Provider(Identity.from_seed(b"p" * 32)), Verifier(Identity.from_seed(b"v" * 32))
    run = provider.run(job, inputs)
    challenge = verifier.challenge(job, run.commitment, samples=6)
    result = verifier.verify(job, run.commitment, challenge, provider.respond(run, challenge), inputs=inputs)
    assert result.accepted, result.verdict.reasons
    assert 0 < result.verdict.detection_probability <= 1


@pytest.mark.parametrize("mode", ["int64", "modp", "float32", "float64"])
@pytest.mark.parametrize("threads", [1, 2])
def test_streamed_leaf_hashes_give_the_committed_root(mode: str, threads: int) -> None:
    from verifiable import MerkleTree

    inputs = operands(mode, m=53, k=7, n=9, seed=11)
    params = MATMUL.normalize_params({"mode": mode, "rows_per_chunk": 5})
    c = np.vstack([parse_row_block(x).values for x in MATMUL.compute(params, inputs)])
    expected = MerkleTree(MATMUL.compute(params, inputs)).root
    hashes = MATMUL.leaf_hashes(params, inputs, c, threads=threads)
    assert hashes.shape == (11, 32)
    assert MerkleTree.from_leaf_hashes(hashes).root == expected
    assert MerkleTree.from_leaf_hashes(MATMUL.leaf_hashes(params, inputs, np.asfortranarray(c))).root == expected
    with pytest.raises(VerificationError, match="shape"):
        MATMUL.leaf_hashes(params, inputs, c[:-1])
    with pytest.raises(VerificationError, match="array"):
        MATMUL.leaf_hashes(params, inputs, np.zeros(c.shape, dtype=np.uint8))
