"""The two roles of a spot check: the provider who computes and commits, the verifier who checks.

One round::

    job = Job.create("chunk_digest", {"chunk_size": 4096}, {"data": data})
    run = provider.run(job, inputs)                       # compute, build the tree, sign a Commitment
    challenge = verifier.challenge(job, run.commitment)   # drawn after the commitment, signed
    proof = provider.respond(run, challenge)              # opened outputs + one multiproof, signed
    result = verifier.verify(job, run.commitment, challenge, proof, inputs=inputs)
    result.verdict.accepted, result.fraud_proof           # a signed Verdict; a FraudProof if a chunk failed

The verifier's work is proportional to the number of opened chunks, never to the job: it
checks three signatures, the bindings between the messages, one multiproof, and the opened
chunks with the workload's check. docs/PROTOCOL.md states every check in order.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._buffers import as_int
from .challenge import beacon_samples, interactive_seed
from .exceptions import DecodeError, InvalidInputError, VerificationError
from .identity import Identity
from .merkle import MerkleTree
from .messages import (
    MAX_OPENED,
    MAX_REASONS,
    Challenge,
    Commitment,
    FraudProof,
    Job,
    SpotCheckProof,
    Verdict,
    verify_exchange,
)
from .soundness import bad_chunk_count, describe, detection_probability, samples_needed

__all__ = ["Provider", "ProviderRun", "VerificationResult", "Verifier"]

#: Defaults of a verifier's soundness target: catch a cheat on 1% of the chunks with
#: probability at least 0.99.
DEFAULT_BAD_FRACTION = 0.01
DEFAULT_CONFIDENCE = 0.99

_NO_DIGEST = bytes(32)
_REASON_CHARS = 250  # at most 1000 bytes of UTF-8, under the verdict's 1024-byte limit

Rng = Callable[[int], bytes]


def _identity(identity: Any) -> Identity:
    if not isinstance(identity, Identity):
        raise InvalidInputError(f"expected an Identity, not {type(identity).__name__}")
    return identity


def _job(job: Any) -> Job:
    if not isinstance(job, Job):
        raise InvalidInputError(f"job must be a Job, not {type(job).__name__}")
    return job


def _canonical_params(job: Job) -> dict[str, Any]:
    workload = job.get_workload()
    params = dict(job.params)
    if workload.normalize_params(params) != params:
        raise InvalidInputError(f"the job's parameters are not the canonical parameters of {job.workload!r}")
    return params


@dataclass(frozen=True, eq=False)
class ProviderRun:
    """What a provider keeps after running a job: every output, the tree and its commitment."""

    job: Job
    outputs: list[bytes]
    tree: MerkleTree
    commitment: Commitment


class Provider:
    """Runs jobs, commits to their outputs and answers challenges, signing with ``identity``.

    ``threads=None`` computes chunks and builds the tree on every core.
    """

    def __init__(self, identity: Identity, *, threads: int | None = None) -> None:
        self._identity = _identity(identity)
        self._threads = threads

    def __repr__(self) -> str:
        return f"Provider({self._identity.fingerprint})"

    @property
    def public_key(self) -> bytes:
        return self._identity.public_key

    def run(self, job: Job, inputs: Mapping[str, Any]) -> ProviderRun:
        """Compute every chunk of ``job`` and sign the Merkle root of the outputs.

        Refuses (InvalidInputError) a job whose parameters are not the workload's canonical
        ones, inputs that do not match the job's digests, or a wrong chunk count: a provider
        signs only a job it can stand behind.
        """
        job = _job(job)
        params = _canonical_params(job)
        job.check_inputs(inputs)
        workload = job.get_workload()
        if workload.chunk_count(params, inputs) != job.n_chunks:
            raise InvalidInputError("the job's chunk count is not the workload's for these inputs")
        outputs = workload.compute(params, inputs, threads=self._threads)
        if len(outputs) != job.n_chunks:
            raise InvalidInputError(f"workload {job.workload!r} returned {len(outputs)} outputs for {job.n_chunks} chunks")
        tree = MerkleTree(outputs, threads=self._threads)
        return ProviderRun(job, outputs, tree, Commitment.create(self._identity, job, tree.root))

    def respond(self, run: ProviderRun, challenge: Challenge) -> SpotCheckProof:
        """Open the challenged chunks of ``run`` in one signed proof.

        Raises VerificationError if the challenge is not validly signed, does not name this
        run's commitment, or was not derived as the protocol says.
        """
        if not isinstance(run, ProviderRun):
            raise InvalidInputError(f"run must be a ProviderRun, not {type(run).__name__}")
        if not isinstance(challenge, Challenge):
            raise InvalidInputError(f"challenge must be a Challenge, not {type(challenge).__name__}")
        challenge.verify_signature()
        challenge.check_binding(run.commitment)
        outputs = [run.outputs[i] for i in challenge.indices]
        return SpotCheckProof.create(self._identity, challenge, outputs, run.tree.multiproof(challenge.indices))


@dataclass(frozen=True)
class VerificationResult:
    """A signed verdict, and a fraud proof when an opened chunk failed its check."""

    verdict: Verdict
    fraud_proof: FraudProof | None

    @property
    def accepted(self) -> bool:
        return self.verdict.accepted


def _reason(text: str) -> str:
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 3] + "..."


def _decoded(value: Any, cls: Any, name: str) -> tuple[Any, bytes, str | None]:
    """(message or None, digest, failure reason or None) for a message or its bytes."""
    if isinstance(value, cls):
        return value, value.digest(), None
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            msg = cls.from_bytes(raw)
        except DecodeError as exc:
            return None, hashlib.sha256(raw).digest(), _reason(f"{name} does not decode: {exc}")
        return msg, msg.digest(), None
    raise InvalidInputError(f"{name} must be a {cls.__name__} or its bytes, not {type(value).__name__}")


class Verifier:
    """Challenges providers' commitments and checks their proofs, signing with ``identity``.

    ``bad_fraction`` and ``confidence`` are the default soundness target: a challenge opens
    enough chunks to catch a cheat on ``bad_fraction`` of the chunks with probability at
    least ``confidence``, and a verdict states the probability it actually achieved.
    """

    def __init__(
        self,
        identity: Identity,
        *,
        bad_fraction: float = DEFAULT_BAD_FRACTION,
        confidence: float = DEFAULT_CONFIDENCE,
    ) -> None:
        self._identity = _identity(identity)
        self.bad_fraction = bad_fraction
        self.confidence = confidence

    def __repr__(self) -> str:
        return f"Verifier({self._identity.fingerprint})"

    @property
    def public_key(self) -> bytes:
        return self._identity.public_key

    # ---- challenge ----------------------------------------------------------------------

    def challenge(
        self,
        job: Job,
        commitment: Commitment,
        *,
        samples: int | None = None,
        confidence: float | None = None,
        bad_fraction: float | None = None,
        beacon: bytes | None = None,
        rng: Rng | None = None,
    ) -> Challenge:
        """A signed challenge to ``commitment``, drawn now (after it).

        Checks the commitment's signature and that it commits to ``job`` first
        (VerificationError otherwise). ``samples`` defaults to the fewest that catch a cheat
        on ``bad_fraction`` of the chunks with probability ``confidence``
        (:func:`verifiable.soundness.samples_needed`; for a beacon challenge
        :func:`verifiable.challenge.beacon_samples`, which also defeats a provider grinding
        commitments against a known beacon). Without ``beacon`` the seed comes from the OS
        CSPRNG; with it, the seed is ``beacon_seed(beacon, commitment digest)``. ``rng(n)``
        (default :func:`secrets.token_bytes`) supplies the nonce and an interactive seed;
        pass a deterministic one only for test vectors.
        """
        job = _job(job)
        if not isinstance(commitment, Commitment):
            raise InvalidInputError(f"commitment must be a Commitment, not {type(commitment).__name__}")
        commitment.verify_signature()
        commitment.check_binding(job)
        n = commitment.n_chunks
        if samples is None:
            bf = self.bad_fraction if bad_fraction is None else bad_fraction
            conf = self.confidence if confidence is None else confidence
            samples = beacon_samples(n, bf, conf) if beacon is not None else samples_needed(n, bf, conf)
        elif confidence is not None or bad_fraction is not None:
            raise InvalidInputError("give samples, or confidence/bad_fraction to derive them, not both")
        samples = min(as_int(samples, "samples", minimum=1), n, MAX_OPENED)
        draw = secrets.token_bytes if rng is None else rng
        nonce = _random(draw, "nonce")
        if beacon is not None:
            return Challenge.create(self._identity, commitment, samples=samples, nonce=nonce, beacon=beacon)
        seed = interactive_seed() if rng is None else _random(draw, "seed")
        return Challenge.create(self._identity, commitment, samples=samples, nonce=nonce, seed=seed)

    # ---- verify a spot check -----------------------------------------------------------

    def check_openings(
        self, job: Job, commitment: Commitment, challenge: Challenge, proof: SpotCheckProof
    ) -> dict[int, tuple[bytes, bytes]]:
        """Every check of :meth:`verify` but the chunks themselves, in its order, raising
        VerificationError at the first failure; returns ``{index: (output, check seed)}``."""
        if not isinstance(challenge, Challenge):
            raise InvalidInputError(f"challenge must be a Challenge, not {type(challenge).__name__}")
        self._own(challenge)
        return verify_exchange(_job(job), commitment, challenge, proof)

    def _own(self, challenge: Challenge) -> None:
        if challenge.verifier_key != self.public_key:
            raise VerificationError("challenge was not issued by this verifier")

    def verify(
        self,
        job: Job,
        commitment: Commitment | bytes,
        challenge: Challenge | bytes,
        proof: SpotCheckProof | bytes,
        *,
        inputs: Mapping[str, Any],
        bad_fraction: float | None = None,
    ) -> VerificationResult:
        """Check a provider's answer to this verifier's challenge; return a signed verdict.

        The order (docs/PROTOCOL.md): decode; signatures (commitment by its provider,
        challenge by this verifier, proof by the commitment's provider); bindings
        (commitment -> job, challenge -> commitment and its derivation from its seed, proof
        -> challenge, which carries the nonce); the multiproof against the committed root;
        then each opened chunk with ``workload.check(params, inputs, index, output,
        seed=check_seed)``. Any failure gives a rejected verdict naming it, never an
        exception; a failing chunk also gives a :class:`FraudProof`. The tree is never
        rebuilt and ``inputs`` are hashed only to build a fraud proof (they must be the
        job's inputs: InvalidInputError otherwise).

        The verdict's detection probability is that of catching a cheat on ``bad_fraction``
        (default: the verifier's) of the chunks with the opened samples, each check fooled
        with probability at most the checks' reported false-accept bound.
        """
        job = _job(job)
        bf = self.bad_fraction if bad_fraction is None else bad_fraction
        bad_chunk_count(job.n_chunks, bf)  # refuse a bad fraction before doing any work
        com, com_digest, why_c = _decoded(commitment, Commitment, "commitment")
        ch, ch_digest, why_ch = _decoded(challenge, Challenge, "challenge")
        pr, pr_digest, why_p = _decoded(proof, SpotCheckProof, "proof")
        reasons = [r for r in (why_c, why_ch, why_p) if r is not None]
        false_accept = 0.0
        fraud: FraudProof | None = None
        if not reasons:
            try:
                openings = self.check_openings(job, com, ch, pr)
            except VerificationError as exc:
                reasons.append(_reason(str(exc)))
            else:
                false_accept, failed = self._check_chunks(job, openings, inputs, reasons)
                if failed is not None:
                    job.check_inputs(inputs)
                    fraud = FraudProof.create(job, com, ch, pr, failed, inputs)
        samples = len(ch.indices) if ch is not None else 0
        verdict = self._verdict(
            job, bf, samples, false_accept, reasons, com_digest, ch_digest, pr_digest
        )
        return VerificationResult(verdict, fraud)

    def _check_chunks(
        self, job: Job, openings: dict[int, tuple[bytes, bytes]], inputs: Mapping[str, Any], reasons: list[str]
    ) -> tuple[float, int | None]:
        workload = job.get_workload()
        params = dict(job.params)
        worst = 0.0
        failed: int | None = None
        for index, (output, seed) in openings.items():
            try:
                report = workload.check(params, inputs, index, output, seed=seed)
            except (VerificationError, InvalidInputError) as exc:
                if failed is None:
                    failed = index
                if len(reasons) < MAX_REASONS:
                    reasons.append(_reason(f"chunk {index} fails its check: {exc}"))
                continue
            worst = max(worst, float(report.false_accept))
        return worst, failed

    def _verdict(
        self, job: Job, bad_fraction: float, samples: int, false_accept: float, reasons: list[str],
        commitment_digest: bytes, challenge_digest: bytes, proof_digest: bytes,
    ) -> Verdict:
        n = job.n_chunks
        bad = bad_chunk_count(n, bad_fraction)
        samples = min(samples, n)  # a mismatched challenge may claim more chunks than the job has
        p = detection_probability(n, bad, samples, false_accept) if samples else 0.0
        words = describe(p)
        unsigned = Verdict(
            not reasons, tuple(reasons), float(bad_fraction), p, words, job.job_id, commitment_digest,
            challenge_digest, proof_digest, self.public_key, bytes(64),
        )
        return unsigned.signed(self._identity)

    # ---- verify a whole delivered result -----------------------------------------------

    def verify_result(
        self,
        job: Job,
        commitment: Commitment,
        result: Any,
        *,
        inputs: Mapping[str, Any],
        rng: Any = None,
    ) -> VerificationResult:
        """Check a whole delivered result (a matrix product, say) against its commitment.

        For workloads that deliver their full result: the workload must provide
        ``chunks_from_result(params, result) -> list[bytes]`` (the canonical chunk outputs
        the provider committed to) and ``check_result(params, inputs, result, rng)`` (a
        whole-result check such as Freivalds', raising VerificationError on a wrong result
        and returning an object with ``false_accept`` or a float bound); otherwise
        InvalidInputError. The commitment's signature and binding are checked, its root is
        recomputed from the delivered chunks (this costs a tree over the result, which the
        verifier holds anyway), then the result is checked. ``rng`` is passed to
        ``check_result`` unchanged (default: a numpy Generator seeded from the OS CSPRNG).

        The verdict names no challenge (digest of zeros); its proof digest is the root
        recomputed from the result; its detection probability is ``1 - false_accept`` for a
        cheat on a single chunk (``bad_fraction = 1 / n_chunks``).
        """
        job = _job(job)
        workload = job.get_workload()
        chunks_from_result = getattr(workload, "chunks_from_result", None)
        check_result = getattr(workload, "check_result", None)
        if not callable(chunks_from_result) or not callable(check_result):
            raise InvalidInputError(
                f"workload {job.workload!r} cannot verify a whole result: it needs "
                "chunks_from_result(params, result) and check_result(params, inputs, result, rng)"
            )
        if not isinstance(commitment, Commitment):
            raise InvalidInputError(f"commitment must be a Commitment, not {type(commitment).__name__}")
        params = dict(job.params)
        reasons: list[str] = []
        root = _NO_DIGEST
        p = 0.0
        try:
            commitment.verify_signature()
            commitment.check_binding(job)
            try:
                chunks = list(chunks_from_result(params, result))
            except InvalidInputError as exc:  # a malformed result is the provider's fault
                raise VerificationError(f"the delivered result is malformed: {exc}") from None
            if len(chunks) != commitment.n_chunks:
                raise VerificationError(
                    f"the result has {len(chunks)} chunks, the commitment {commitment.n_chunks}"
                )
            root = MerkleTree(chunks).root
            if root != commitment.root:
                raise VerificationError("the delivered result does not match the committed root")
            generator = np.random.default_rng(secrets.randbits(128)) if rng is None else rng
            report = check_result(params, inputs, result, generator)
            false_accept = report if isinstance(report, float) else float(getattr(report, "false_accept", 0.0))
            p = 1.0 - false_accept
        except VerificationError as exc:
            reasons.append(_reason(str(exc)))
        fraction = 1.0 / job.n_chunks
        unsigned = Verdict(
            not reasons, tuple(reasons), fraction, p, describe(p), job.job_id, commitment.digest(), _NO_DIGEST,
            root, self.public_key, bytes(64),
        )
        return VerificationResult(unsigned.signed(self._identity), None)


def _random(draw: Rng, what: str) -> bytes:
    value = draw(32)
    if not isinstance(value, bytes) or len(value) != 32:
        raise InvalidInputError(f"rng(32) must return 32 bytes for the {what}")
    return value

