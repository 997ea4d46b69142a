"""The main job: commit, check workloads, and run a whole verification round against cheaters.

Run it with ``make demo`` (or ``python -m verifiable.demo``). Three parts:

1. **Commitment.** A generated dataset of a few hundred MB in fixed-size chunks is committed to
   one Merkle root (against hashlib doing the same), a few random chunks are opened with one
   multiproof and verified, and a tampered chunk is rejected.
2. **Workloads.** A matrix product is computed by the C kernel and checked by Freivalds in
   O(n^2); a chunk of a hash chain is checked by recomputing one segment. The verifier's time
   is printed next to the provider's.
3. **A verification round.** A scheduler hands a matrix job and a hash job to nine providers,
   honest and cheating; it challenges each after its commitment, verifies the signed proofs and
   prints one line per provider. Every fraud proof is written to ``demo-data/fraud/`` and
   re-checked from its file with :func:`verify_fraud_proof`, trusting nobody.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from . import MerkleTree, VerificationError, leaf_hash, verify_multiproof
from ._bindings import default_threads
from .adversaries import (
    CorruptChunks,
    EditAfterCommit,
    Equivocator,
    ForgedSignature,
    NullSpaceCheat,
    PrecisionDowngrade,
    StaleResults,
    TruncatedChain,
)
from .hashwork import hash_chain, verify_chain_segment
from .identity import Identity
from .matrix import matmul
from .messages import FraudProof, Job, verify_equivocation, verify_fraud_proof
from .protocol import Provider, Verifier


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.1f} ms"


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def _hashlib_root(chunks: np.ndarray) -> bytes:
    """The same RFC 6962 root computed with hashlib, one chunk at a time, for comparison."""
    level = []
    for row in chunks:
        h = hashlib.sha256(b"\x00")
        h.update(row)
        level.append(h.digest())
    while len(level) > 1:
        nxt = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


# ---- part 1 ------------------------------------------------------------------------------


def part_commitment(megabytes: int, chunk_kib: int, samples: int) -> int:
    print("== 1. Commit to a dataset, open chunks, catch a tampered one")
    chunk = chunk_kib * 1024
    n_chunks = max(1, megabytes * 1024 * 1024 // chunk)
    print(f"dataset: {n_chunks} chunks of {chunk_kib} KiB ({n_chunks * chunk / 2**20:.0f} MiB), from a fixed seed")
    data = np.random.default_rng(2026).integers(0, 256, size=(n_chunks, chunk), dtype=np.uint8)
    tree, t_ours = _timed(lambda: MerkleTree(data))
    reference, t_hashlib = _timed(lambda: _hashlib_root(data))
    if reference != tree.root:  # pragma: no cover - would be a kernel bug
        print("the kernel and hashlib disagree: this is a bug")
        return 1
    print(f"root:    {tree.root.hex()}")
    print(f"commit:  {_ms(t_ours)} with verifiable ({default_threads()} threads, "
          f"{n_chunks * chunk / t_ours / 1e9:.2f} GB/s)")
    print(f"         {_ms(t_hashlib)} with hashlib, one chunk at a time (same root; {t_hashlib / t_ours:.1f}x slower)")

    rng = secrets.SystemRandom()  # the verifier picks chunks only after seeing the root
    picked = sorted(rng.sample(range(n_chunks), min(samples, n_chunks)))
    proof = tree.multiproof(picked)
    separate = sum(len(tree.inclusion_proof(i).siblings) for i in picked)
    opened = {i: data[i].tobytes() for i in picked}
    _, t_verify = _timed(lambda: verify_multiproof(
        proof=proof, leaf_hashes={i: leaf_hash(c) for i, c in opened.items()}, root=tree.root, tree_size=tree.size))
    print(f"opened:  {len(picked)} chunks with one multiproof of {len(proof.siblings)} hashes "
          f"(instead of {separate} in separate audit paths), verified in {t_verify * 1e3:.2f} ms")
    victim = picked[len(picked) // 2]
    tampered = bytearray(opened[victim])
    tampered[rng.randrange(len(tampered))] ^= 1 << rng.randrange(8)
    forged = {**opened, victim: bytes(tampered)}
    try:
        verify_multiproof(proof=proof, leaf_hashes={i: leaf_hash(c) for i, c in forged.items()},
                          root=tree.root, tree_size=tree.size)
    except VerificationError as exc:
        print(f"tamper:  one bit flipped in chunk {victim} -> rejected: {exc}")
    else:  # pragma: no cover - would be a soundness bug
        print("tamper:  NOT DETECTED (this is a bug)")
        return 1
    return 0


# ---- part 2 ------------------------------------------------------------------------------


def part_workloads(n: int) -> int:
    from .freivalds import freivalds_check

    print("\n== 2. Workloads: a product checked by Freivalds, a hash chain checked by one segment")
    rng = np.random.default_rng(7)
    a = rng.integers(-(2**62), 2**62, size=(n, n), dtype=np.int64)
    b = rng.integers(-(2**62), 2**62, size=(n, n), dtype=np.int64)
    c, t_c = _timed(lambda: matmul(a, b, mode="int64"))
    _, t_np = _timed(lambda: a[: n // 4] @ b)
    report, t_f = _timed(lambda: freivalds_check(a, b, c, mode="int64", rounds=40))
    print(f"matmul int64 {n}x{n}: provider {_ms(t_c)} (C kernel; numpy int64 would take about "
          f"{_ms(t_np * 4).strip()}), verifier {_ms(t_f)} for 40 fused Freivalds rounds, "
          f"false accept <= {report.false_accept_bound:.1e}")
    wrong = c.copy()
    wrong[n // 3, n // 5] += 1
    try:
        freivalds_check(a, b, wrong, mode="int64", rounds=40)
    except VerificationError as exc:
        print(f"         one entry off by one -> rejected: {str(exc)[:90]}")
    else:  # pragma: no cover
        print("         a wrong product was NOT DETECTED (this is a bug)")
        return 1

    af = rng.standard_normal((n, n)).astype(np.float32)
    bf = rng.standard_normal((n, n)).astype(np.float32)
    cf, t_blas = _timed(lambda: af @ bf)
    report, t_ff = _timed(lambda: freivalds_check(af, bf, cf, mode="float32", rounds=2))
    print(f"matmul float32 {n}x{n} by numpy/BLAS: provider {_ms(t_blas)}, verifier {_ms(t_ff)} (2 rounds, "
          f"rounding-aware threshold)")

    seed, steps, every = bytes(32), 1 << 16, 1 << 12
    chains, t_chain = _timed(lambda: hash_chain(seed, range(4), steps, every))
    segment = secrets.randbelow(steps // every)
    _, t_seg = _timed(lambda: verify_chain_segment(seed, 2, chains[2], segment, steps, every))
    print(f"hash_chain 4 chains x {steps} steps: provider {_ms(t_chain)}, verifier {_ms(t_seg)} "
          f"for segment {segment} of chunk 2 ({every} hashes instead of {steps})")
    return 0


# ---- part 3 ------------------------------------------------------------------------------


def part_round(out_dir: Path, n: int) -> int:
    print("\n== 3. A verification round: one scheduler, nine providers")
    rng = np.random.default_rng(11)
    # a batch of 8192 input rows times an n x n weight matrix, in blocks of 64 rows
    mat_inputs = {"a": rng.standard_normal((8192, n)), "b": rng.standard_normal((n, n))}
    mat_job = Job.create("matmul", {"mode": "float64", "rows_per_chunk": 64}, mat_inputs)
    hash_inputs: dict[str, Any] = {}
    hash_job = Job.create("hash_chain", {"job_seed": hashlib.sha256(b"demo").digest(), "chunks": 256,
                                         "steps": 4096, "checkpoint_every": 512, "segments_checked": 2}, hash_inputs)
    old_inputs = {"a": rng.standard_normal((8192, n)), "b": rng.standard_normal((n, n))}
    old_job = Job.create("matmul", {"mode": "float64", "rows_per_chunk": 64}, old_inputs)

    def key(i: int) -> Identity:
        return Identity.from_seed(hashlib.sha256(b"demo provider %d" % i).digest())

    stale_run = Provider(key(99)).run(old_job, old_inputs)
    providers: list[tuple[str, Provider, Job, dict[str, Any]]] = [
        ("honest", Provider(key(1)), mat_job, mat_inputs),
        ("honest", Provider(key(2)), hash_job, hash_inputs),
        ("corrupt 10% of chunks", CorruptChunks(key(3), 0.10, seed=3), mat_job, mat_inputs),
        ("precision downgrade", PrecisionDowngrade(key(4)), mat_job, mat_inputs),
        ("stale results", StaleResults(key(5), stale_run), mat_job, mat_inputs),
        ("null space of a probe", NullSpaceCheat(key(10), bytes(32)), mat_job, mat_inputs),
        ("truncated chains (1/2)", TruncatedChain(key(6), skipped=4), hash_job, hash_inputs),
        ("edits after commit", EditAfterCommit(key(7)), hash_job, hash_inputs),
        ("forged signature", ForgedSignature(key(8)), hash_job, hash_inputs),
    ]
    scheduler = Verifier(Identity.from_seed(hashlib.sha256(b"demo scheduler").digest()),
                         bad_fraction=0.10, confidence=0.999)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.vfp"):
        old.unlink()
    header = f"{'provider':<10} {'job':<11} {'strategy':<24} {'verdict':<9} {'samples':>7} {'P(catch 10%)':>12} " \
             f"{'compute':>10} {'verify':>10}"
    print(header)
    print("-" * len(header))
    wrong = 0
    written: list[tuple[str, Path]] = []
    for strategy, provider, job, inputs in providers:
        run, t_run = _timed(partial(provider.run, job, inputs))
        t0 = time.perf_counter()
        challenge = scheduler.challenge(job, run.commitment)
        t_ch = time.perf_counter() - t0
        proof = provider.respond(run, challenge)
        result, t_ver = _timed(partial(scheduler.verify, job, run.commitment, challenge, proof, inputs=inputs))
        verdict = result.verdict
        honest = strategy == "honest"
        wrong += verdict.accepted != honest
        print(f"{provider.public_key.hex()[:8]:<10} {job.workload:<11} {strategy:<24} "
              f"{'ACCEPT' if verdict.accepted else 'REJECT':<9} {len(challenge.indices):>7} "
              f"{verdict.detection_probability:>12.6f} {_ms(t_run):>10} {_ms(t_ch + t_ver):>10}")
        if not verdict.accepted:
            print(f"{'':<10} reason: {verdict.reasons[0][:100]}")
        if result.fraud_proof is not None:
            path = out_dir / f"{provider.public_key.hex()[:8]}-{job.workload}.vfp"
            path.write_bytes(result.fraud_proof.to_bytes())
            written.append((strategy, path))

    equivocator = Equivocator(key(9))
    equivocator.run(mat_job, mat_inputs)
    eq = equivocator.equivocation_proof()
    print(f"{equivocator.public_key.hex()[:8]:<10} {'matmul':<11} {'equivocation':<24} "
          f"{'CONVICTED':<9} two signed roots for one job: {verify_equivocation(eq) == equivocator.public_key}")

    print(f"\nfraud proofs written to {out_dir}/, re-checked from the files by a third party:")
    for strategy, path in written:
        raw = path.read_bytes()
        finding, t_fp = _timed(partial(_recheck, raw))
        print(f"  {path.name:<22} {len(raw) / 1e6:6.2f} MB  convicts {finding.provider_key.hex()[:8]} "
              f"({strategy}) on chunk {finding.index}, checked in {t_fp * 1e3:.1f} ms")
    if wrong:  # pragma: no cover - would be a soundness or completeness bug
        print(f"{wrong} verdicts were wrong: this is a bug")
        return 1
    return 0


def _recheck(raw: bytes) -> Any:
    return verify_fraud_proof(FraudProof.from_bytes(raw))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=256, help="part 1 dataset size (default 256)")
    parser.add_argument("--chunk-kib", type=int, default=64, help="part 1 chunk size in KiB (default 64)")
    parser.add_argument("--samples", type=int, default=16, help="part 1 chunks to open (default 16)")
    parser.add_argument("--n", type=int, default=1024, help="part 2 matrix size (default 1024)")
    parser.add_argument("--round-n", type=int, default=512, help="part 3 weight matrix size (default 512)")
    parser.add_argument("--out", type=Path, default=Path("demo-data/fraud"), help="where fraud proofs go")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    status = (part_commitment(args.megabytes, args.chunk_kib, args.samples)
              or part_workloads(args.n) or part_round(args.out, args.round_n))
    print(f"\ndone in {time.perf_counter() - t0:.1f} s")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
