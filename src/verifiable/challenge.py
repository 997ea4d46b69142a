"""Which chunks a verifier checks: challenge seeds and the indices derived from them.

A challenge is a 32-byte seed. The verifier either draws it after the
provider's commitment (:func:`interactive_seed`, fresh randomness) or derives
it from a public randomness beacon and the commitment (:func:`beacon_seed`,
non-interactive). Both sides then compute the same chunk indices with
:func:`derive_indices`, and one probe seed per checked chunk with
:func:`probe_seed`.

Byte-exact specification (``||`` is concatenation, ``u32be``/``u64be`` are
unsigned big-endian integers of 4 and 8 bytes, SHA-256 is FIPS 180-4):

``derive_indices(seed, n, s)``, with ``seed`` 32 bytes, ``1 <= n <= 2^64 - 1``,
``1 <= s <= n``:

1. If ``s == n`` the result is ``[0, 1, ..., n - 1]``.
2. Otherwise let ``limit = floor(2^64 / n) * n``. For ``j = 0, 1, 2, ...``
   compute ``block_j = SHA-256(b"verifiable/challenge/v1" || seed || u64be(n)
   || u64be(s) || u64be(j))`` and read it as four 8-byte big-endian words
   ``w = block_j[0:8], block_j[8:16], block_j[16:24], block_j[24:32]``, in
   that order. A word ``w >= limit`` is skipped (rejection sampling, so every
   residue is equally likely); otherwise ``w mod n`` is a candidate index. A
   candidate already taken is skipped. Stop as soon as ``s`` distinct indices
   are taken, in the middle of a block if need be.
3. The result is the taken indices in increasing order.

``beacon_seed(beacon, commitment_digest) = SHA-256(b"verifiable/beacon/v1" ||
u32be(len(beacon)) || beacon || commitment_digest)``, with ``beacon`` 1 to 1024
bytes (a drand round signature, a block hash ...) and ``commitment_digest`` 32
bytes.

``probe_seed(seed, index) = SHA-256(b"verifiable/probe/v1" || seed ||
u64be(index))``, with ``seed`` 32 bytes and ``0 <= index <= 2^64 - 1``.

Grinding. An interactive seed is drawn after the commitment, so the provider
gets one try. A beacon seed is a deterministic function of the commitment: a
provider who can re-commit cheaply can try ``2^g`` commitments (for instance
by reordering or re-salting work it does not mind redoing) and keep one whose
challenge misses its wrong chunks, multiplying its chance of escaping by up to
``2^g``. :func:`beacon_samples` therefore asks the per-attempt miss probability
to be ``(1 - confidence) / 2^g``, ``g`` = :data:`BEACON_MARGIN_BITS` (20) by
default. Filecoin pays the same price in its non-interactive PoRep: it uses
``ceil(12.8 * 176) = 2253`` challenges where interactive PoRep uses 176.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import struct
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._buffers import U64_MAX, as_bytes, as_int
from .exceptions import InvalidInputError
from .hashing import digest_chunks
from .soundness import MAX_CHUNKS, bad_chunk_count, log_miss_target, samples_for_miss

__all__ = [
    "BEACON_MARGIN_BITS",
    "BEACON_PREFIX",
    "CHALLENGE_PREFIX",
    "MAX_BEACON_SIZE",
    "PROBE_PREFIX",
    "SEED_SIZE",
    "beacon_samples",
    "beacon_seed",
    "derive_indices",
    "interactive_seed",
    "probe_seed",
]

SEED_SIZE = 32
MAX_BEACON_SIZE = 1024
CHALLENGE_PREFIX = b"verifiable/challenge/v1"
BEACON_PREFIX = b"verifiable/beacon/v1"
PROBE_PREFIX = b"verifiable/probe/v1"

#: Default number of doublings of a beacon challenge's attempts a provider is assumed to
#: afford: 2^20, about a million re-commitments per challenge window.
BEACON_MARGIN_BITS = 20

_MAX_GRINDING_BITS = 1024


def _seed(value: Any, name: str = "seed") -> bytes:
    if isinstance(value, str) or not isinstance(value, (bytes, bytearray, memoryview)):
        raise InvalidInputError(f"{name} must be bytes, not {type(value).__name__}")
    raw = as_bytes(value, name)
    if len(raw) != SEED_SIZE:
        raise InvalidInputError(f"{name} must be {SEED_SIZE} bytes, got {len(raw)}")
    return raw


def interactive_seed() -> bytes:
    """32 fresh bytes from the operating system's CSPRNG, drawn after the commitment."""
    return secrets.token_bytes(SEED_SIZE)


def beacon_seed(beacon: Any, commitment_digest: Any) -> bytes:
    """The challenge seed of a non-interactive challenge: ``SHA-256(b"verifiable/beacon/v1"
    || u32be(len(beacon)) || beacon || commitment_digest)``.

    ``beacon`` (1 to 1024 bytes) is public randomness published after the commitment
    (a drand round signature, a block hash); ``commitment_digest`` (32 bytes) binds the
    seed to the commitment being challenged.
    """
    if isinstance(beacon, str) or not isinstance(beacon, (bytes, bytearray, memoryview)):
        raise InvalidInputError(f"beacon must be bytes, not {type(beacon).__name__}")
    raw = as_bytes(beacon, "beacon")
    if not 1 <= len(raw) <= MAX_BEACON_SIZE:
        raise InvalidInputError(f"beacon must be 1 to {MAX_BEACON_SIZE} bytes, got {len(raw)}")
    digest = _seed(commitment_digest, "commitment_digest")
    return hashlib.sha256(BEACON_PREFIX + struct.pack(">I", len(raw)) + raw + digest).digest()


def probe_seed(seed: Any, index: int) -> bytes:
    """The per-chunk check seed ``SHA-256(b"verifiable/probe/v1" || seed || u64be(index))``
    (a Freivalds probe vector's seed, a hash-chain segment choice ...)."""
    raw = _seed(seed)
    i = as_int(index, "index", maximum=U64_MAX)
    return hashlib.sha256(PROBE_PREFIX + raw + struct.pack(">Q", i)).digest()


def derive_indices(seed: Any, n_chunks: int, samples: int) -> list[int]:
    """``samples`` distinct chunk indices in ``[0, n_chunks)``, sorted, uniform without
    replacement, from a SHA-256 counter-mode stream keyed by the 32-byte ``seed``.

    Deterministic: the exact procedure is in this module's docstring and in
    docs/SOUNDNESS.md. ``1 <= samples <= n_chunks <= 2^64 - 1``. Above 256 samples the
    blocks are hashed in batches by the C SHA-256 kernel and deduplicated with numpy, in
    stream order, which gives the same indices.
    """
    raw = _seed(seed)
    n = as_int(n_chunks, "n_chunks", minimum=1, maximum=U64_MAX)
    s = as_int(samples, "samples", minimum=1, maximum=n)
    if s == n:
        return list(range(n))
    prefix = CHALLENGE_PREFIX + raw + struct.pack(">QQ", n, s)
    if s <= _SMALL_SAMPLES:
        return _indices_small(prefix, n, s)
    return _indices_batched(prefix, n, s)


_SMALL_SAMPLES = 256  # below this, hashlib one block at a time beats array set-up
_MAX_BATCH_BLOCKS = 1 << 18  # 8 MiB of digests per batch


def _indices_small(prefix: bytes, n: int, s: int) -> list[int]:
    limit = (2**64 // n) * n
    state = hashlib.sha256(prefix)
    unpack = struct.Struct(">4Q").unpack
    taken: set[int] = set()
    j = 0
    while True:
        h = state.copy()
        h.update(j.to_bytes(8, "big"))
        for w in unpack(h.digest()):
            if w < limit:
                taken.add(w % n)
                if len(taken) == s:
                    return sorted(taken)
        j += 1


def _indices_batched(prefix: bytes, n: int, s: int) -> list[int]:
    """The same stream, hashed a batch of blocks at a time by the C kernel, deduplicated with
    numpy in stream order (first occurrences only), so the result equals _indices_small's."""
    limit = (2**64 // n) * n
    accept = limit / 2.0**64
    # expected words for s distinct draws out of n: -n log(1 - s/n) (coupon collector)
    words = -n * math.log1p(-s / n) / accept
    blocks = min(_MAX_BATCH_BLOCKS, int(words * 1.05 / 4) + 16)
    row = len(prefix) + 8
    taken = np.empty(0, dtype=np.uint64)
    need = s
    j = 0
    n64 = np.uint64(n)
    while need:
        batch = np.empty((blocks, row), dtype=np.uint8)
        batch[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
        counters = np.arange(j, j + blocks, dtype=">u8")
        batch[:, len(prefix) :] = counters.view(np.uint8).reshape(blocks, 8)
        digests = digest_chunks(batch, row, threads=None)
        w = digests.view(">u8").reshape(-1).astype(np.uint64)
        if limit < 2**64:
            w = w[w < np.uint64(limit)]
        candidates = w % n64
        if len(taken):
            candidates = candidates[~np.isin(candidates, taken)]
        fresh = _first_occurrences(candidates)[:need]
        taken = np.sort(np.concatenate([taken, fresh])) if len(taken) else np.sort(fresh)
        need -= len(fresh)
        j += blocks
        blocks = min(_MAX_BATCH_BLOCKS, max(16, blocks))
    result: list[int] = taken.tolist()
    return result


def _first_occurrences(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The distinct values of ``values`` in the order of their first occurrence."""
    if len(values) == 0:
        return values
    order = np.argsort(values)
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    first_positions = np.sort(np.minimum.reduceat(order, starts))
    out: NDArray[np.uint64] = values[first_positions]
    return out


def beacon_samples(
    n_chunks: int,
    bad_fraction: float,
    confidence: float,
    grinding_attempts_log2: int = BEACON_MARGIN_BITS,
    *,
    check_false_accept: float = 0.0,
) -> int:
    """Spot checks for a beacon (non-interactive) challenge: ``samples_needed`` at a miss
    probability of ``(1 - confidence) / 2^grinding_attempts_log2``.

    A provider who can make ``2^g`` commitments and keep the one whose beacon challenge
    misses its cheat escapes with probability up to ``2^g`` times the per-attempt miss;
    dividing the allowed miss by ``2^g`` restores ``confidence`` against such a provider.
    """
    g = as_int(grinding_attempts_log2, "grinding_attempts_log2", maximum=_MAX_GRINDING_BITS)
    n = as_int(n_chunks, "n_chunks", minimum=1, maximum=MAX_CHUNKS)
    b = bad_chunk_count(n, bad_fraction)
    target = log_miss_target(confidence, g)
    return samples_for_miss(n, b, target, check_false_accept)
