"""Hash workloads: SHA-256 digests of chunks of large inputs, and hash chains.

Chunk digests
    :func:`chunk_digest` hashes every ``chunk_size`` slice of a buffer, a numpy array or a
    file. A file is streamed through reused read buffers (one *window* per worker thread), so a
    file larger than memory can be digested and the memory used does not grow with the file
    (only the ``(n, 32)`` result does).

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
import threading
from collections.abc import Callable, Sequence
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

#: Default read buffer per thread for files: 8 MiB (rounded down to whole chunks). Small enough
#: for the data just read to still be in the cache when it is hashed: 64 MiB windows were about
#: 1.5x slower (see docs/HASHWORK.md).
DEFAULT_WINDOW = 8 << 20

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
    empty string. ``threads=None`` uses every core; the result does not depend on it.

    A file is streamed: it is read into reused buffers of ``window`` bytes (default
    :data:`DEFAULT_WINDOW`, rounded down to a whole number of chunks) and nothing else of it is
    kept, so the memory used is about ``threads * window`` plus the result, whatever the file's
    size. A regular file is read with ``os.preadv`` by ``threads`` workers, each reading and
    hashing its own windows; a pipe or device is read in order with ``readinto``. A chunk
    larger than the window is hashed incrementally, one window at a time (chunks in parallel).
    A regular file that changes size while it is read raises
    :class:`~verifiable.exceptions.InvalidInputError`; ``OSError`` from opening or reading the
    file is passed on. ``window`` is ignored for in-memory sources.
    """
    chunk = as_int(chunk_size, "chunk_size", minimum=1)
    nthreads = _bindings.threads_arg(threads)
    buffer_size = DEFAULT_WINDOW if window is None else as_int(window, "window", minimum=1)
    if isinstance(source, (str, os.PathLike)):
        return _digest_file(source, chunk, nthreads, buffer_size)
    return digest_chunks(byte_view(source, "source"), chunk, threads=nthreads)


class _FileChanged(Exception):
    pass


def _digest_file(path: str | os.PathLike[str], chunk: int, threads: int, window: int) -> NDArray[np.uint8]:
    with open(path, "rb", buffering=0) as f:
        info = os.fstat(f.fileno())
        try:
            # pipes, devices and /proc-style files of size 0 are read to their end, in order
            if stat.S_ISREG(info.st_mode) and info.st_size > 0 and hasattr(os, "preadv"):
                return _digest_regular(f.fileno(), info.st_size, chunk, threads, window)
            return _digest_stream(f, chunk, threads, window)
        except _FileChanged:
            raise InvalidInputError(f"file {os.fsdecode(path)!r} changed size while it was read") from None


def _pread_full(fd: int, view: memoryview, offset: int) -> None:
    """Fill ``view`` from ``fd`` at ``offset``; the file ending first means it shrank."""
    got = 0
    while got < len(view):
        n = os.preadv(fd, [view[got:]], offset + got)
        if not n:
            raise _FileChanged
        got += n


def _digest_regular(fd: int, size: int, chunk: int, threads: int, window: int) -> NDArray[np.uint8]:
    """A file of known size, cut into units read at their offsets by ``threads`` workers.

    A unit is a window of whole chunks, or one chunk when chunks are larger than the window.
    Worker ``k`` takes units ``k, k + workers, ...``; every unit writes only its own rows.
    """
    big = chunk > window
    span = chunk if big else window // chunk * chunk
    units = -(-size // span)
    out = np.empty((-(-size // chunk), HASH_SIZE), dtype=np.uint8)
    workers = min(threads, units)
    inner = max(1, threads // workers)  # C threads per worker: all of them for a single unit

    def work(k: int) -> None:
        buf = memoryview(bytearray(min(span, window, size)))
        for u in range(k, units, workers):
            offset = u * span
            length = min(span, size - offset)
            if big:
                ctx = _bindings.sha256_ctx_new()
                for pos in range(0, length, len(buf)):
                    piece = buf[: min(len(buf), length - pos)]
                    _pread_full(fd, piece, offset + pos)
                    _bindings.sha256_ctx_update(ctx, piece)
                _bindings.sha256_ctx_final(ctx, out[u])
            else:
                _pread_full(fd, buf[:length], offset)
                first = offset // chunk
                rows = out[first : first + -(-length // chunk)]
                _bindings.sha256_chunks_into(buf[:length], chunk, rows, inner)

    _run_workers(work, workers)
    if os.pread(fd, 1, size):
        raise _FileChanged  # it grew
    return out


def _run_workers(work: Callable[[int], None], workers: int) -> None:
    """``work(0)`` here and ``work(1..workers-1)`` on threads; the first error is raised."""
    errors: list[BaseException] = []

    def guarded(k: int) -> None:
        try:
            work(k)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread below
            errors.append(exc)

    pool = [threading.Thread(target=guarded, args=(k,), daemon=True) for k in range(1, workers)]
    for t in pool:
        t.start()
    try:
        work(0)
    finally:
        for t in pool:
            t.join()
    if errors:
        raise errors[0]


def _read_full(f: io.FileIO, view: memoryview) -> int:
    """Fill ``view`` from ``f``; fewer bytes only at the end of the stream."""
    got = 0
    while got < len(view):
        n = f.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _digest_stream(f: io.FileIO, chunk: int, threads: int, window: int) -> NDArray[np.uint8]:
    """A stream read in order: each window's chunks hashed on ``threads`` threads."""
    parts: list[NDArray[np.uint8]] = []
    if chunk <= window:
        span = window // chunk * chunk
        view = memoryview(bytearray(span))
        while True:
            got = _read_full(f, view)
            if got or not parts:
                parts.append(_bindings.sha256_chunks(view[:got], chunk, threads))
            if got < span:
                break
    else:
        view = memoryview(bytearray(window))
        while True:
            ctx = _bindings.sha256_ctx_new()
            in_chunk = 0
            while in_chunk < chunk:
                want = min(window, chunk - in_chunk)
                got = _read_full(f, view[:want])
                _bindings.sha256_ctx_update(ctx, view[:got])
                in_chunk += got
                if got < want:
                    break
            if in_chunk == 0 and parts:
                break  # the stream ended on a chunk boundary
            row = np.empty((1, HASH_SIZE), dtype=np.uint8)
            _bindings.sha256_ctx_final(ctx, row[0])
            parts.append(row)
            if in_chunk < chunk:
                break
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


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
