"""Hash workloads: SHA-256 digests of chunks of large inputs, and hash chains.

Chunk digests
    :func:`chunk_digest` hashes every ``chunk_size`` slice of a buffer, a numpy array or a
    file. A file is streamed through one reused read buffer (the *window*), so a file larger
    than memory can be digested and the memory used does not grow with the file (only the
    ``(n, 32)`` result does).

Hash chains
    A chain is the inherently sequential computation ``h[t+1] = SHA-256(h[t])`` (each message is
    the 32-byte previous digest), started from a per-chain seed::

        h[0] = SHA-256(b"verifiable/hash_chain/v1" || job_seed || u64be(index))

    A job of chains is a proof-of-sequential-work style workload: chunk ``index`` of the job is
    the chain of that index, and its canonical output bytes are its *checkpoints* concatenated,
    ``h[e], h[2e], ..., h[steps]`` for ``e = checkpoint_every``: ``steps // e`` values of 32
    bytes, i.e. ``hash_chain(job_seed, [index], steps, e)[0].tobytes()``. There is no other
    serialization.

    A verifier checks one *segment* ``j`` (the ``e`` hashes from checkpoint ``j - 1``, or from
    the seed for ``j = 0``, to checkpoint ``j``) with :func:`verify_chain_segment`, at the cost
    of ``e`` hashes instead of ``steps``. A provider who skips the work of ``w`` of the
    ``steps // e`` segments must leave at least ``w`` segments that do not check out, so one
    segment drawn uniformly at random after the commitment catches it with probability at
    least ``w / (steps // e)``.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _bindings
from ._buffers import HASH_SIZE, as_hash, as_int, byte_view
from .exceptions import InvalidInputError, VerificationError
from .hashing import digest_chunks

__all__ = [
    "DEFAULT_WINDOW",
    "chunk_digest",
    "hash_chain",
    "hash_chain_seed",
    "verify_chain_segment",
]

#: Default read buffer for files: 64 MiB (rounded down to whole chunks).
DEFAULT_WINDOW = 64 << 20

_U64_MAX = 2**64 - 1


# ---------------------------------------------------------------------------------------------
# Chunk digests


def chunk_digest(
    source: Any,
    chunk_size: int,
    *,
    threads: int | None = None,
    window: int | None = None,
) -> NDArray[np.uint8]:
    """SHA-256 of each consecutive ``chunk_size``-byte slice of ``source``.

    ``source`` is a bytes-like object or a numpy array (C-contiguous; its raw bytes are hashed,
    without copying), or the path of a file (``str`` or ``os.PathLike``; a ``bytes`` object is
    always data, never a path). Returns an ``(n, 32)`` uint8 array, ``n = ceil(size /
    chunk_size)``; the last slice may be shorter. As with :func:`verifiable.hashing.digest_chunks`
    (which this calls for in-memory sources), an empty source gives one row: the digest of the
    empty string.

    A file is read with ``readinto`` into one reused buffer of ``window`` bytes (default
    :data:`DEFAULT_WINDOW`, rounded down to a whole number of chunks), each window's chunks
    hashed on ``threads`` threads (``None``: every core) while nothing else of the file is
    kept. A chunk larger than the window is hashed incrementally, one window at a time, on one
    thread. A regular file that changes size while it is read raises
    :class:`~verifiable.exceptions.InvalidInputError`; ``OSError`` from opening or reading the
    file is passed on.
    """
    chunk = as_int(chunk_size, "chunk_size", minimum=1)
    nthreads = _bindings.threads_arg(threads)
    buffer_size = DEFAULT_WINDOW if window is None else as_int(window, "window", minimum=1)
    if isinstance(source, (str, os.PathLike)):
        return _digest_file(source, chunk, nthreads, buffer_size)
    return digest_chunks(byte_view(source, "source"), chunk, threads=nthreads)


class _Rows:
    """Where the digests of a file go: a preallocated array when its size is known, else a list."""

    def __init__(self, expected: int | None) -> None:
        self.expected = expected
        self.filled = 0
        self.array = np.empty((expected if expected is not None else 0, HASH_SIZE), dtype=np.uint8)
        self.parts: list[NDArray[np.uint8]] = []

    def take(self, count: int) -> NDArray[np.uint8]:
        """A writable ``(count, 32)`` block for the next ``count`` digests."""
        if self.expected is None:
            block = np.empty((count, HASH_SIZE), dtype=np.uint8)
            self.parts.append(block)
        elif self.filled + count > self.expected:
            raise _FileChanged
        else:
            block = self.array[self.filled : self.filled + count]
        self.filled += count
        return block

    def result(self) -> NDArray[np.uint8]:
        if self.expected is None:
            return np.concatenate(self.parts) if len(self.parts) != 1 else self.parts[0]
        if self.filled != self.expected:
            raise _FileChanged
        return self.array


class _FileChanged(Exception):
    pass


def _chunk_count(size: int, chunk: int) -> int:
    return max(1, -(-size // chunk))


def _read_full(f: io.FileIO, view: memoryview) -> int:
    """Fill ``view`` from ``f``; fewer bytes only at the end of the file."""
    got = 0
    while got < len(view):
        n = f.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _digest_file(path: str | os.PathLike[str], chunk: int, threads: int, window: int) -> NDArray[np.uint8]:
    with open(path, "rb", buffering=0) as f:
        info = os.fstat(f.fileno())
        # A regular file's size is known up front (the result is allocated once and a file that
        # changes size is refused); pipes, devices and /proc-style files of size 0 are read to
        # their end, collecting digests as they come.
        size = info.st_size if stat.S_ISREG(info.st_mode) and info.st_size > 0 else None
        rows = _Rows(None if size is None else _chunk_count(size, chunk))
        try:
            if chunk <= window:
                total = _digest_windows(f, chunk, window // chunk * chunk, threads, rows)
            else:
                total = _digest_big_chunks(f, chunk, window, rows)
            if size is not None and (total != size or f.read(1)):
                raise _FileChanged
            return rows.result()
        except _FileChanged:
            raise InvalidInputError(f"file {os.fsdecode(path)!r} changed size while it was read") from None


def _digest_windows(f: io.FileIO, chunk: int, span: int, threads: int, rows: _Rows) -> int:
    """Whole chunks, ``span // chunk`` of them per read; returns the bytes read."""
    view = memoryview(bytearray(span))
    total = 0
    while True:
        got = _read_full(f, view)
        if got:
            _bindings.sha256_chunks_into(view[:got], chunk, rows.take(-(-got // chunk)), threads)
            total += got
        if got < span:
            break
    if total == 0:
        _bindings.sha256_chunks_into(b"", chunk, rows.take(1), 1)
    return total


def _digest_big_chunks(f: io.FileIO, chunk: int, window: int, rows: _Rows) -> int:
    """Chunks larger than the window, each hashed incrementally; returns the bytes read."""
    view = memoryview(bytearray(window))
    total = 0
    while True:
        ctx = _bindings.sha256_ctx_new()
        in_chunk = 0
        while in_chunk < chunk:
            want = min(window, chunk - in_chunk)
            got = _read_full(f, view[:want])
            if got:
                _bindings.sha256_ctx_update(ctx, view[:got])
                in_chunk += got
            if got < want:
                break
        if in_chunk == 0 and total > 0:
            return total  # the file ended on a chunk boundary
        _bindings.sha256_ctx_final(ctx, rows.take(1)[0])
        total += in_chunk
        if in_chunk < chunk:
            return total


# ---------------------------------------------------------------------------------------------
# Hash chains


def hash_chain_seed(job_seed: bytes, index: int) -> bytes:
    """``h[0]`` of chain ``index``: SHA-256(b"verifiable/hash_chain/v1" || job_seed || u64be(index)).

    ``job_seed`` is 32 bytes; ``index`` is in [0, 2**64 - 1].
    """
    seed = as_hash(job_seed, "job_seed")
    return _bindings.hash_chain_seed(seed, as_int(index, "index"))


def _chain_shape(steps: int, checkpoint_every: int) -> tuple[int, int, int]:
    total = as_int(steps, "steps", minimum=1)
    every = as_int(checkpoint_every, "checkpoint_every", minimum=1)
    if total % every:
        raise InvalidInputError(
            f"steps ({total}) must be a multiple of checkpoint_every ({every})"
        )
    return total, every, total // every


def _indices(indices: Any) -> NDArray[np.uint64]:
    if isinstance(indices, np.ndarray):
        if indices.ndim != 1 or indices.dtype.kind not in "iu":
            raise InvalidInputError(
                f"indices must be a 1-D integer array, got {indices.dtype} with shape {indices.shape}"
            )
        if indices.dtype.kind == "i" and indices.size and int(indices.min()) < 0:
            raise InvalidInputError("indices must be non-negative")
        return np.ascontiguousarray(indices, dtype=np.uint64)
    if isinstance(indices, (str, bytes, bytearray, memoryview)) or not isinstance(indices, Sequence):
        raise InvalidInputError(f"indices must be a sequence of ints, not {type(indices).__name__}")
    values = [as_int(v, f"indices[{k}]") for k, v in enumerate(indices)]
    return np.array(values, dtype=np.uint64)


def hash_chain(
    job_seed: bytes,
    indices: Sequence[int] | NDArray[np.integer[Any]],
    steps: int,
    checkpoint_every: int,
    *,
    threads: int | None = None,
) -> NDArray[np.uint8]:
    """Checkpoints of the hash chains ``indices`` of a job.

    Chain ``i`` starts at ``h[0] = hash_chain_seed(job_seed, i)`` and runs ``steps`` hashes
    ``h[t+1] = SHA-256(h[t])``. Returns a ``(len(indices), steps // checkpoint_every, 32)``
    uint8 array whose ``[k, j]`` entry is ``h[(j + 1) * checkpoint_every]`` of chain
    ``indices[k]``; row ``k``'s bytes are that chunk's canonical output. ``steps`` must be a
    positive multiple of ``checkpoint_every``. Chains run side by side in the SHA-NI lanes and
    are split over ``threads`` threads (``None``: every core); the result does not depend on
    either.
    """
    seed = as_hash(job_seed, "job_seed")
    total, every, count = _chain_shape(steps, checkpoint_every)
    wanted = _indices(indices)
    if len(wanted) * count > sys.maxsize // HASH_SIZE:
        raise InvalidInputError(
            f"{len(wanted)} chains of {count} checkpoints do not fit in memory"
        )
    return _bindings.hash_chain(seed, wanted, total, every, _bindings.threads_arg(threads))


def _checkpoint_bytes(checkpoints: Any) -> Any:
    if isinstance(checkpoints, np.ndarray):
        if checkpoints.dtype != np.uint8:
            raise InvalidInputError(f"checkpoints must be a uint8 array, not {checkpoints.dtype}")
        if checkpoints.ndim not in (1, 2) or (checkpoints.ndim == 2 and checkpoints.shape[1] != HASH_SIZE):
            raise InvalidInputError(
                f"checkpoints must have shape (m, {HASH_SIZE}) or (m * {HASH_SIZE},), "
                f"got {checkpoints.shape}"
            )
    return byte_view(checkpoints, "checkpoints")


def verify_chain_segment(
    job_seed: bytes,
    index: int,
    checkpoints: Any,
    segment: int,
    steps: int,
    checkpoint_every: int,
) -> None:
    """Check segment ``segment`` of chain ``index`` against the claimed ``checkpoints``.

    ``checkpoints`` is the chunk's claimed output: its checkpoints concatenated (bytes-like),
    or a uint8 array of shape ``(m, 32)`` or ``(m * 32,)``. Recomputes ``checkpoint_every``
    hashes from checkpoint ``segment - 1`` (from the seed for segment 0) and compares the
    result with checkpoint ``segment``.

    Raises :class:`~verifiable.exceptions.VerificationError` naming the chunk and segment if
    they differ, or if the output does not hold exactly ``steps // checkpoint_every``
    checkpoints (truncated or padded); :class:`~verifiable.exceptions.InvalidInputError` for a
    malformed argument (``segment`` out of range, ``steps`` not a multiple of
    ``checkpoint_every``, wrong types).
    """
    seed = as_hash(job_seed, "job_seed")
    chain = as_int(index, "index")
    total, every, count = _chain_shape(steps, checkpoint_every)
    which = as_int(segment, "segment", maximum=count - 1)
    claimed = _checkpoint_bytes(checkpoints)
    if len(claimed) != count * HASH_SIZE:
        raise VerificationError(
            f"chunk {chain}: expected {count} checkpoints ({count * HASH_SIZE} bytes), "
            f"got {len(claimed)} bytes"
        )
    try:
        _bindings.hash_chain_verify_segment(seed, chain, claimed, which, total, every)
    except VerificationError:
        raise VerificationError(
            f"chunk {chain}, segment {which}: checkpoint {which} is not {every} hashes after "
            + ("the chain seed" if which == 0 else f"checkpoint {which - 1}")
        ) from None
