"""Every cheating provider in verifiable.adversaries is caught: the deterministic ones in every
round, the probabilistic ones at the rate verifiable.soundness predicts (within 2 percentage
points over thousands of real rounds), and an honest provider never."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from verifiable import Commitment, Identity, MerkleTree, ProviderRun, get_workload
from verifiable.adversaries import (
    Adversary,
    CorruptChunks,
    EditAfterCommit,
    Equivocator,
    ForgedSignature,
    Impostor,
    LazyProvider,
    NullSpaceCheat,
    PrecisionDowngrade,
    Replayer,
    StaleResults,
    TruncatedChain,
    WrongInputs,
)
from verifiable.messages import FraudProof, Job, verify_equivocation, verify_fraud_proof
from verifiable.protocol import Provider, Verifier

CHUNK = 64
N_CHUNKS = 400


def ident(n: int) -> Identity:
    return Identity.from_seed(bytes([n]) * 32)


def data(seed: int, n_chunks: int = N_CHUNKS) -> bytes:
    return random.Random(seed).randbytes(CHUNK * n_chunks)


def job_of(payload: bytes) -> tuple[Job, dict[str, Any]]:
    inputs = {"data": payload}
    return Job.create("chunk_digest", {"chunk_size": CHUNK}, inputs), inputs


VERIFIER = Verifier(ident(200))


def rounds(provider: Provider, trials: int, *, samples: int, seed: int) -> list[Any]:
    """``trials`` challenge/respond/verify rounds against one commitment (drawn after it)."""
    job, inputs = job_of(data(1))
    run = provider.run(job, inputs)
    draw = random.Random(seed).randbytes
    results = []
    for _ in range(trials):
        challenge = VERIFIER.challenge(job, run.commitment, samples=samples, rng=draw)
        proof = provider.respond(run, challenge)
        results.append(VERIFIER.verify(job, run.commitment, challenge, proof, inputs=inputs))
    return results


def test_honest_provider_is_never_rejected() -> None:
    results = rounds(Provider(ident(1)), 200, samples=25, seed=7)
    assert all(r.accepted for r in results)
    assert all(r.fraud_proof is None for r in results)
    assert all(r.verdict.detection_probability > 0.2 for r in results)


def deterministic_cheats() -> list[tuple[str, Adversary]]:
    other_job, other_inputs = job_of(data(99))
    stale = Provider(ident(9)).run(other_job, other_inputs)
    return [
        ("corrupt-all", CorruptChunks(ident(2), 1.0)),
        ("lazy-zeros", LazyProvider(ident(3), 1.0, style="zeros")),
        ("lazy-skip", LazyProvider(ident(4), 1.0, style="skip")),
        ("stale", StaleResults(ident(5), stale)),
        ("wrong-inputs", WrongInputs(ident(6), {"data": data(5)})),
        ("edit-after-commit", EditAfterCommit(ident(7))),
        ("forged-signature", ForgedSignature(ident(8))),
        ("impostor", Impostor(ident(10), ident(11))),
    ]


@pytest.mark.parametrize(("name", "adversary"), deterministic_cheats(), ids=lambda v: v if isinstance(v, str) else "")
def test_deterministic_cheats_are_caught_every_round(name: str, adversary: Adversary) -> None:
    assert adversary.deterministic
    results = rounds(adversary, 25, samples=3, seed=11)
    assert not any(r.accepted for r in results), name
    for r in results:
        assert r.verdict.reasons
        r.verdict.verify_signature()
        if r.fraud_proof is not None:
            # the fraud proof convicts the provider for any third party, after a JSON round trip
            finding = verify_fraud_proof(FraudProof.from_json(r.fraud_proof.to_json()))
            assert finding.provider_key == adversary.public_key


def test_wrong_chunk_content_leaves_a_fraud_proof() -> None:
    for adversary in (CorruptChunks(ident(2), 1.0), LazyProvider(ident(3), 1.0), WrongInputs(ident(6), {"data": data(5)})):
        (result,) = rounds(adversary, 1, samples=4, seed=3)
        assert result.fraud_proof is not None
        assert verify_fraud_proof(FraudProof.from_bytes(result.fraud_proof.to_bytes())).provider_key == adversary.public_key


def test_replayed_proof_is_rejected() -> None:
    results = rounds(Replayer(ident(12)), 10, samples=5, seed=5)
    assert results[0].accepted  # the first answer is honest
    assert not any(r.accepted for r in results[1:])
    assert all("challenge" in " ".join(r.verdict.reasons) for r in results[1:])


def test_equivocation_is_proved() -> None:
    adversary = Equivocator(ident(13))
    job, inputs = job_of(data(1))
    adversary.run(job, inputs)
    proof = adversary.equivocation_proof()
    assert verify_equivocation(type(proof).from_bytes(proof.to_bytes())) == adversary.public_key


@pytest.mark.parametrize(
    ("adversary", "samples", "trials"),
    [
        (CorruptChunks(ident(20), 0.02, seed=1), 60, 2000),  # 8 of 400 chunks bad
        (LazyProvider(ident(21), 0.05, style="zeros", seed=2), 20, 2000),  # 20 of 400
        (LazyProvider(ident(22), 0.01, style="skip", seed=3), 100, 2000),  # 4 of 400
    ],
    ids=["corrupt-2%", "lazy-zeros-5%", "lazy-skip-1%"],
)
def test_probabilistic_cheats_are_caught_at_the_predicted_rate(adversary: Adversary, samples: int, trials: int) -> None:
    assert not adversary.deterministic
    job, inputs = job_of(data(1))
    results = rounds(adversary, trials, samples=samples, seed=2024)
    run = adversary.run(job, inputs)
    predicted = adversary.predicted_detection(run, samples)
    observed = float(np.mean([not r.accepted for r in results]))
    assert 0.1 < predicted < 0.95  # a rate that says something
    print(f"{adversary.strategy}: predicted {predicted:.4f} observed {observed:.4f} over {trials} rounds")
    assert abs(observed - predicted) <= 0.02, (observed, predicted)
    # the verdict states the figure for the verifier's target, and every catch leaves a fraud proof
    assert all(r.fraud_proof is not None for r in results if not r.accepted)


def chain_job(chunks: int = 64) -> tuple[Job, dict[str, Any]]:
    params = {"job_seed": bytes(32), "chunks": chunks, "steps": 128, "checkpoint_every": 16}
    return Job.create("hash_chain", params, {}), {}


def test_truncated_chain_is_caught_at_the_predicted_rate() -> None:
    adversary = TruncatedChain(ident(30), skipped=1)  # 1 of 8 segments made up in every chain
    job, inputs = chain_job()
    run = adversary.run(job, inputs)
    draw = random.Random(77).randbytes
    samples, trials = 8, 2000
    caught = 0
    for _ in range(trials):
        challenge = VERIFIER.challenge(job, run.commitment, samples=samples, rng=draw)
        result = VERIFIER.verify(job, run.commitment, challenge, adversary.respond(run, challenge), inputs=inputs)
        if not result.accepted:
            caught += 1
            assert result.fraud_proof is not None
    predicted = adversary.predicted_detection(run, samples)
    assert predicted == pytest.approx(1 - (7 / 8) ** 8)
    print(f"truncated-chain: predicted {predicted:.4f} observed {caught / trials:.4f} over {trials} rounds")
    assert abs(caught / trials - predicted) <= 0.02


def test_truncated_chain_fraud_proof_convicts_without_inputs() -> None:
    adversary = TruncatedChain(ident(31), skipped=8)  # nothing computed at all: caught every time
    job, inputs = chain_job(16)
    run = adversary.run(job, inputs)
    for seed in range(10):
        challenge = VERIFIER.challenge(job, run.commitment, samples=2, rng=random.Random(seed).randbytes)
        result = VERIFIER.verify(job, run.commitment, challenge, adversary.respond(run, challenge), inputs=inputs)
        assert not result.accepted and result.fraud_proof is not None
        assert verify_fraud_proof(FraudProof.from_bytes(result.fraud_proof.to_bytes())).index in challenge.indices


def matrix_job(mode: str = "float64", m: int = 256, k: int = 96, n: int = 80) -> tuple[Job, dict[str, Any]]:
    rng = np.random.default_rng(4)
    inputs = {"a": rng.standard_normal((m, k)).astype(mode), "b": rng.standard_normal((k, n)).astype(mode)}
    return Job.create("matmul", {"mode": mode, "rows_per_chunk": 32}, inputs), inputs


def test_null_space_cheat_fools_a_predictable_probe_but_not_fresh_ones() -> None:
    predicted = bytes(32)
    adversary = NullSpaceCheat(ident(40), predicted)
    job, inputs = matrix_job()
    run = adversary.run(job, inputs)
    workload, params = get_workload("matmul"), dict(job.params)
    honest = Provider(ident(41)).run(job, inputs)
    assert run.outputs != honest.outputs  # a real error, in every block ...
    for i, output in enumerate(run.outputs):  # ... that the predictable probe does not see
        workload.check(params, inputs, i, output, seed=predicted)
    results = rounds_on(adversary, job, inputs, trials=20, samples=2)
    assert not any(r.accepted for r in results)
    assert all(r.fraud_proof is not None for r in results)
    verify_fraud_proof(results[0].fraud_proof)


def test_precision_downgrade_is_caught_every_round() -> None:
    job, inputs = matrix_job()
    results = rounds_on(PrecisionDowngrade(ident(42)), job, inputs, trials=10, samples=1)
    assert not any(r.accepted for r in results)


def test_honest_float_results_from_any_blas_thread_count_are_accepted(tmp_path: Path) -> None:
    """A provider that multiplies with numpy/OpenBLAS (1 or 2 threads) instead of our kernel is
    honest too: its rounding differs, and the Freivalds threshold accepts it."""
    for mode in ("float32", "float64"):
        job, inputs = matrix_job(mode, m=192, k=300, n=64)
        for threads in ("1", "2"):
            code = (
                "import numpy as np, sys; d = np.load(sys.argv[1]); "
                "np.save(sys.argv[2], d['a'] @ d['b'])"
            )
            np.savez(tmp_path / "in.npz", a=inputs["a"], b=inputs["b"])
            env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
            subprocess.run([sys.executable, "-c", code, str(tmp_path / "in.npz"), str(tmp_path / "c.npy")],
                           check=True, env=env)
            c = np.load(tmp_path / "c.npy")
            provider = BlasProvider(ident(43), c)
            results = rounds_on(provider, job, inputs, trials=5, samples=6)
            assert all(r.accepted for r in results), (mode, threads, results[0].verdict.reasons)


class BlasProvider(Provider):
    """An honest provider whose product comes from another BLAS (given as the whole result)."""

    def __init__(self, identity: Identity, c: np.ndarray) -> None:
        super().__init__(identity)
        self.identity, self.c = identity, c

    def run(self, job: Job, inputs: Any) -> ProviderRun:
        outputs = get_workload("matmul").chunks_from_result(dict(job.params), inputs, self.c)
        tree = MerkleTree(outputs)
        return ProviderRun(job, outputs, tree, Commitment.create(self.identity, job, tree.root))


def rounds_on(provider: Provider, job: Job, inputs: dict[str, Any], *, trials: int, samples: int) -> list[Any]:
    run = provider.run(job, inputs)
    draw = random.Random(13).randbytes
    out = []
    for _ in range(trials):
        challenge = VERIFIER.challenge(job, run.commitment, samples=samples, rng=draw)
        out.append(VERIFIER.verify(job, run.commitment, challenge, provider.respond(run, challenge), inputs=inputs))
    return out
