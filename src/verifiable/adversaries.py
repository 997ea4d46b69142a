"""Cheating providers, for testing a scheduler's integration against the ways providers cheat.

Each adversary is a :class:`~verifiable.protocol.Provider` with the same interface (``run``,
``respond``), so a scheduler can drop one in where it expects an honest provider and check
that its pipeline rejects it. Every adversary states whether it is caught *deterministically*
(every challenge that opens at least one chunk rejects it) and, if not, the probability that a
challenge of ``samples`` chunks catches it (:meth:`Adversary.predicted_detection`), which the
test suite checks against thousands of real rounds.

=======================  ==========================================================  =============
strategy                 what the provider does                                      caught
=======================  ==========================================================  =============
``corrupt``              flips a byte in a random fraction of the chunks it commits  by sampling
``lazy-zeros``           commits zero bytes instead of computing (a fraction)        by sampling
``lazy-skip``            commits empty outputs for chunks it skipped (a fraction)    by sampling
``stale``                commits the outputs of another job as this job's            always
``wrong-inputs``         computes on other inputs than the job names                 always
``edit-after-commit``    commits honest outputs, opens edited ones                   always
``equivocate``           signs two different roots for one job                       always [#]_
``replay``               answers a new challenge with an old proof                   always
``forged-signature``     sends a proof whose signature is not valid                  always
``impostor``             signs its proof with a key other than the committed one     always
``precision-downgrade``  computes a float64 product in float32                       always
``null-space``           an error invisible to a predictable Freivalds probe         always [#]_
``truncated-chain``      computes only the first part of each hash chain             by segments
=======================  ==========================================================  =============

.. [#] by whoever sees both commitments (:meth:`Equivocator.equivocation_proof`).
.. [#] when probes are fresh, as :class:`~verifiable.protocol.Verifier` draws them; a verifier
   that reused a known probe would be fooled, which :class:`NullSpaceCheat` demonstrates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ._buffers import as_int
from .exceptions import InvalidInputError
from .identity import Identity
from .merkle import MerkleTree
from .messages import Challenge, Commitment, EquivocationProof, Job, SpotCheckProof
from .protocol import Provider, ProviderRun, _canonical_params
from .soundness import detection_probability

__all__ = [
    "ADVERSARIES",
    "Adversary",
    "CorruptChunks",
    "EditAfterCommit",
    "Equivocator",
    "ForgedSignature",
    "Impostor",
    "LazyProvider",
    "NullSpaceCheat",
    "PrecisionDowngrade",
    "Replayer",
    "StaleResults",
    "TruncatedChain",
    "WrongInputs",
]


class Adversary(Provider):
    """A provider that cheats in one named way. Subclasses set the class attributes."""

    strategy: str
    description: str
    #: True when every challenge opening at least one chunk catches it.
    deterministic: bool = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.strategy}, {self.public_key.hex()[:16]})"

    def predicted_detection(self, run: ProviderRun, samples: int, check_false_accept: float = 0.0) -> float:
        """Probability that a challenge opening ``samples`` of ``run``'s chunks rejects it."""
        return 1.0

    # ---- helpers for subclasses ---------------------------------------------------------

    def _commit(self, job: Job, outputs: list[bytes]) -> ProviderRun:
        tree = MerkleTree(outputs, threads=self._threads)
        return ProviderRun(job, outputs, tree, Commitment.create(self._identity, job, tree.root))

    def _commit_product(self, job: Job, params: Mapping[str, Any], inputs: Mapping[str, Any], c: Any) -> ProviderRun:
        """Commit to a whole (made-up) matrix product as the matmul workload's row blocks."""
        from .workloads import get_workload

        return self._commit(job, get_workload("matmul").chunks_from_result(params, inputs, c))  # type: ignore[attr-defined]

    def _honest_outputs(self, job: Job, inputs: Mapping[str, Any]) -> list[bytes]:
        return list(super().run(job, inputs).outputs)


def _fraction(value: Any) -> float:
    f = float(value)
    if not 0.0 < f <= 1.0:
        raise InvalidInputError(f"fraction must be in (0, 1], got {value!r}")
    return f


def _pick(n: int, fraction: float, seed: int) -> list[int]:
    """``ceil(fraction * n)`` distinct chunk indices, from a seeded generator (the cheat's own choice)."""
    count = min(n, max(1, math.ceil(fraction * n - 1e-9)))
    return sorted(int(i) for i in np.random.default_rng(seed).choice(n, size=count, replace=False))


def _flip(output: bytes) -> bytes:
    if not output:
        return b"\x01"
    return output[:-1] + bytes([output[-1] ^ 0x01])


class _SomeChunksBad(Adversary):
    """Commits wrong outputs for a fixed set of chunks chosen before any challenge."""

    deterministic = False

    def __init__(self, identity: Identity, fraction: float, *, seed: int = 0, threads: int | None = None) -> None:
        super().__init__(identity, threads=threads)
        self.fraction = _fraction(fraction)
        self.seed = as_int(seed, "seed")
        self.deterministic = self.fraction >= 1.0
        self.bad: list[int] = []

    def _spoil(self, output: bytes) -> bytes:
        raise NotImplementedError

    def run(self, job: Job, inputs: Mapping[str, Any]) -> ProviderRun:
        outputs = self._honest_outputs(job, inputs)
        self.bad = _pick(len(outputs), self.fraction, self.seed)
        for i in self.bad:
            outputs[i] = self._spoil(outputs[i])
        return self._commit(job, outputs)

    def predicted_detection(self, run: ProviderRun, samples: int, check_false_accept: float = 0.0) -> float:
        return detection_probability(run.job.n_chunks, len(self.bad), samples, check_false_accept)


class CorruptChunks(_SomeChunksBad):
    """Flips one byte of a random ``fraction`` of the chunk outputs before committing."""

    strategy = "corrupt"
    description = "random corruption of a fraction of the chunks"

    def _spoil(self, output: bytes) -> bytes:
        return _flip(output)


class LazyProvider(_SomeChunksBad):
    """Does not compute a ``fraction`` of the chunks: commits zeros, or nothing, in their place."""

    description = "lazy: zeros or empty outputs instead of work"

    def __init__(
        self, identity: Identity, fraction: float = 1.0, *, style: str = "zeros", seed: int = 0,
        threads: int | None = None,
    ) -> None:
        if style not in ("zeros", "skip"):
            raise InvalidInputError(f"style must be 'zeros' or 'skip', got {style!r}")
        super().__init__(identity, fraction, seed=seed, threads=threads)
        self.style = style
        self.strategy = f"lazy-{style}"

    def _spoil(self, output: bytes) -> bytes:
        zeros = bytes(len(output))
        if self.style == "skip":
            return b""
        return zeros if zeros != output else _flip(output)


class StaleResults(Adversary):
    """Commits the outputs of an earlier job (``stale``: a run of another job) as this job's."""

    strategy = "stale"
    description = "stale results from another job"

    def __init__(self, identity: Identity, stale: ProviderRun, *, threads: int | None = None) -> None:
        super().__init__(identity, threads=threads)
        if not isinstance(stale, ProviderRun):
            raise InvalidInputError("stale must be the ProviderRun of another job")
        self.stale = stale

    def run(self, job: Job, inputs: Mapping[str, Any]) -> ProviderRun:
        _canonical_params(job)
        old = list(self.stale.outputs)
        outputs = [old[i % len(old)] for i in range(job.n_chunks)]
        return self._commit(job, outputs)


class WrongInputs(Adversary):
    """Computes the job's workload on other inputs than the ones the job names."""

    strategy = "wrong-inputs"
    description = "results computed on the wrong inputs"

    def __init__(self, identity: Identity, wrong_inputs: Mapping[str, Any], *, threads: int | None = None) -> None:
        super().__init__(identity, threads=threads)
        self.wrong_inputs = dict(wrong_inputs)

    def run(self, job: Job, inputs: Mapping[str, Any]) -> ProviderRun:
        params = _canonical_params(job)
        workload = job.get_workload()
        outputs = workload.compute(params, self.wrong_inputs, threads=self._threads)
        if len(outputs) != job.n_chunks:
            raise InvalidInputError("the wrong inputs must give the job's chunk count")
        return self._commit(job, list(outputs))


class EditAfterCommit(Adversary):
    """Commits honest outputs, then opens edited ones (hoping the verifier skips the multiproof)."""

    strategy = "edit-after-commit"
    description = "edits chunks after committing to them"

    def respond(self, run: ProviderRun, challenge: Challenge) -> SpotCheckProof:
        honest = super().respond(run, challenge)
        edited = tuple(_flip(o) for o in honest.outputs)
        return replace(honest, outputs=edited).signed(self._identity)


class Equivocator(Adversary):
    """Signs two different roots for the same job (shows one to some verifiers, one to others)."""

    strategy = "equivocate"
    description = "equivocation: two signed roots for one job"

    def __init__(self, identity: Identity, *, threads: int | None = None) -> None:
        super().__init__(identity, threads=threads)
        self.other: Commitment | None = None
        self.first: Commitment | None = None

    def run(self, job: Job, inputs: Mapping[str, Any]) -> ProviderRun:
        run = super().run(job, inputs)
        outputs = list(run.outputs)
        outputs[-1] = _flip(outputs[-1])
        self.first = run.commitment
        self.other = self._commit(job, outputs).commitment
        return run

    def equivocation_proof(self) -> EquivocationProof:
        """What a scheduler that saw both commitments publishes."""
        if self.first is None or self.other is None:
            raise InvalidInputError("run a job first")
        return EquivocationProof(self.first, self.other)


class Replayer(Adversary):
    """Answers every challenge after the first with the proof it made for the first."""

    strategy = "replay"
    description = "replays an old proof"

    def __init__(self, identity: Identity, *, threads: int | None = None) -> None:
        super().__init__(identity, threads=threads)
        self.old: SpotCheckProof | None = None

    def respond(self, run: ProviderRun, challenge: Challenge) -> SpotCheckProof:
        if self.old is None:
            self.old = super().respond(run, challenge)
        return self.old


class ForgedSignature(Adversary):
    """Sends a proof whose signature does not verify (one bit of it flipped)."""

    strategy = "forged-signature"
    description = "forged signature on the proof"

    def respond(self, run: ProviderRun, challenge: Challenge) -> SpotCheckProof:
        honest = super().respond(run, challenge)
        sig = bytearray(honest.signature)
        sig[0] ^= 0x01
        return replace(honest, signature=bytes(sig))


class Impostor(Adversary):
    """Commits under its own key but has the proof signed by another key (a swapped signer)."""

    strategy = "impostor"
    description = "proof signed by a key other than the committed one"

    def __init__(self, identity: Identity, signer: Identity, *, threads: int | None = None) -> None:
        super().__init__(identity, threads=threads)
        self.signer = signer

    def respond(self, run: ProviderRun, challenge: Challenge) -> SpotCheckProof:
        return super().respond(run, challenge).signed(self.signer)


class PrecisionDowngrade(Adversary):
    """Takes a float64 matrix job, computes it in float32 (cheaper) and claims float64."""

    strategy = "precision-downgrade"
    description = "float32 computed, float64 claimed"

    def run(self, job: Job, inputs: Mapping[str, Any]) -> ProviderRun:
        from .matrix import matmul

        params = _canonical_params(job)
        if job.workload != "matmul" or params["mode"] != "float64":
            raise InvalidInputError("precision-downgrade needs a float64 matmul job")
        a, b = inputs["a"], inputs["b"]
        low = matmul(a.astype(np.float32), b.astype(np.float32), mode="float32", threads=self._threads)
        return self._commit_product(job, params, inputs, low.astype(np.float64))


class NullSpaceCheat(Adversary):
    """Adds an error to a float64 product that a *predictable* Freivalds probe cannot see.

    The provider guesses the check seed a careless verifier would use (``predicted_seed``),
    derives the probe vectors r_1..r_R that seed gives, and adds u v^T to every block with v
    orthogonal to all of them: (C + u v^T) r = C r for those probes, so a check with that
    seed passes. :class:`~verifiable.protocol.Verifier` draws fresh seeds after the commitment,
    so the error shows and the cheat is caught every time.
    """

    strategy = "null-space"
    description = "error in the null space of a predictable Freivalds probe"

    def __init__(self, identity: Identity, predicted_seed: bytes, *, scale: float = 1.0,
                 threads: int | None = None) -> None:
        super().__init__(identity, threads=threads)
        self.predicted_seed = bytes(predicted_seed)
        self.scale = float(scale)

    def error_vector(self, params: Mapping[str, Any], n: int) -> np.ndarray:
        """A vector orthogonal to every probe the predicted seed yields (unit entries on average)."""
        from .freivalds import _draw_probes
        from .workloads import MatrixProduct, _probe_rng

        mode = str(params["mode"])
        probes = _draw_probes(mode, MatrixProduct.ROUNDS[mode], n,
                              _probe_rng(self.predicted_seed, b"verifiable/matmul/probe/v1")).astype(np.float64)
        v = np.random.default_rng(1).standard_normal(n)
        q, _ = np.linalg.qr(probes.T)  # orthonormal basis of the probes' span
        v -= q @ (q.T @ v)
        return v * (self.scale * math.sqrt(n) / float(np.linalg.norm(v)))

    def run(self, job: Job, inputs: Mapping[str, Any]) -> ProviderRun:
        from .matrix import matmul

        params = _canonical_params(job)
        if job.workload != "matmul" or params["mode"] != "float64":
            raise InvalidInputError("null-space needs a float64 matmul job")
        a, b = inputs["a"], inputs["b"]
        c = matmul(a, b, mode="float64", threads=self._threads)
        if b.shape[1] <= 8:
            raise InvalidInputError("the product needs more columns than probes")
        c[:, :] += np.outer(np.ones(a.shape[0]), self.error_vector(params, b.shape[1]))
        return self._commit_product(job, params, inputs, c)


class TruncatedChain(Adversary):
    """Computes only the first part of each hash chain and makes up the remaining checkpoints.

    ``skipped`` of the S segments of every chain are fake (the last ones): each check of
    ``segments_checked`` segments catches a chunk with probability
    ``1 - C(S - skipped, c) / C(S, c)``, so it is caught by sampling, not every time.
    """

    strategy = "truncated-chain"
    description = "truncated hash chains (the last segments made up)"
    deterministic = False

    def __init__(self, identity: Identity, skipped: int = 1, *, threads: int | None = None) -> None:
        super().__init__(identity, threads=threads)
        self.skipped = as_int(skipped, "skipped", minimum=1)

    def _shape(self, params: Mapping[str, Any]) -> tuple[int, int]:
        total = int(params["steps"]) // int(params["checkpoint_every"])
        return total, int(params.get("segments_checked", 1))

    def run(self, job: Job, inputs: Mapping[str, Any]) -> ProviderRun:
        from .hashwork import hash_chain

        params = _canonical_params(job)
        if job.workload != "hash_chain":
            raise InvalidInputError("truncated-chain needs a hash_chain job")
        total, _ = self._shape(params)
        if self.skipped > total:
            raise InvalidInputError(f"a chain has only {total} segments to skip")
        keep = total - self.skipped
        every = int(params["checkpoint_every"])
        outputs = []
        if keep:
            done = hash_chain(bytes(params["job_seed"]), range(job.n_chunks), keep * every, every,
                              threads=self._threads)
        for i in range(job.n_chunks):
            honest = done[i].tobytes() if keep else b""
            # the made-up tail: the last honest checkpoint repeated (a cheap-looking guess)
            last = honest[-32:] if keep else bytes(32)
            outputs.append(honest + last * self.skipped)
        return self._commit(job, outputs)

    def predicted_detection(self, run: ProviderRun, samples: int, check_false_accept: float = 0.0) -> float:
        total, checked = self._shape(run.job.params)
        miss_one = math.comb(total - self.skipped, checked) / math.comb(total, checked)
        n = run.job.n_chunks
        return detection_probability(n, n, samples, max(miss_one, check_false_accept))


#: Every adversary class by strategy name (the data-dependent ones are added as their
#: workloads are registered).
ADVERSARIES: dict[str, type[Adversary]] = {
    "corrupt": CorruptChunks,
    "lazy": LazyProvider,
    "stale": StaleResults,
    "wrong-inputs": WrongInputs,
    "edit-after-commit": EditAfterCommit,
    "equivocate": Equivocator,
    "replay": Replayer,
    "forged-signature": ForgedSignature,
    "impostor": Impostor,
    "precision-downgrade": PrecisionDowngrade,
    "null-space": NullSpaceCheat,
    "truncated-chain": TruncatedChain,
}
