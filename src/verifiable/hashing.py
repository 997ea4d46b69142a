"""SHA-256 from the C kernel: one message, or many fixed-size chunks at once.

The kernel picks its SHA-256 implementation once from the CPU (SHA-NI on
x86-64 when present, portable C otherwise); ``VERIFIABLE_SHA=portable`` in the
environment forces the portable one, and :func:`set_sha_backend` switches at
run time (the test suite runs every SHA and Merkle test under each backend).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _bindings
from ._buffers import as_int, byte_view
from .exceptions import InvalidInputError

__all__ = ["available_sha_backends", "digest_chunks", "set_sha_backend", "sha256", "sha256_parts", "sha256_prefixed", "sha_backend"]


def sha256(data: Any) -> bytes:
    """SHA-256 digest of a bytes-like object (32 bytes)."""
    return _bindings.sha256(byte_view(data, "data"))


def sha256_parts(parts: Any) -> bytes:
    """SHA-256 of the concatenation of ``parts`` (bytes-like objects), without concatenating them.

    The parts are fed to the C kernel's streaming context one after the other (the GIL is
    released for each), so a header and a large buffer are hashed as one message with no copy.
    """
    ctx = _bindings.sha256_ctx_new()
    for i, part in enumerate(parts):
        _bindings.sha256_ctx_update(ctx, byte_view(part, f"parts[{i}]"))
    out = np.empty(32, dtype=np.uint8)
    _bindings.sha256_ctx_final(ctx, out)
    return out.tobytes()


def sha256_prefixed(
    prefixes: Sequence[bytes], data: Any, length: int, *, stride: int | None = None, threads: int | None = None
) -> NDArray[np.uint8]:
    """SHA-256 of ``prefixes[i] || data[i * stride : i * stride + length]`` for every i, at once.

    All prefixes have one length (at most 63 bytes); ``stride`` defaults to ``length``. The
    messages are hashed several at a time in C (SHA-NI lanes) on ``threads`` threads, read
    straight from ``data`` with no copy: this is how a header and a row block of a large array
    become one leaf hash. Returns a ``(len(prefixes), 32)`` uint8 array.
    """
    count = len(prefixes)
    size = as_int(length, "length")
    step = size if stride is None else as_int(stride, "stride")
    plen = len(prefixes[0]) if count else 0
    if plen > _bindings.PREFIX_MAX or any(len(p) != plen for p in prefixes):
        raise InvalidInputError(f"prefixes must all have one length of at most {_bindings.PREFIX_MAX} bytes")
    view = byte_view(data, "data")
    if count and (count - 1) * step + size > len(view):
        raise InvalidInputError(f"data holds {len(view)} bytes, {count} messages need {(count - 1) * step + size}")
    return _bindings.sha256_prefixed(b"".join(prefixes), plen, view, step, size, count,
                                     _bindings.threads_arg(threads))


def digest_chunks(data: Any, chunk_size: int, *, threads: int | None = None) -> NDArray[np.uint8]:
    """SHA-256 of each consecutive ``chunk_size``-byte slice of ``data``.

    The last slice may be shorter. Returns an ``(n, 32)`` uint8 array; an empty
    input gives one digest, of the empty string. ``data`` is any C-contiguous
    buffer (bytes, bytearray, memoryview, numpy array of any dtype), read
    without copying. ``threads=None`` uses every core the process may run on.
    """
    view = byte_view(data, "data")
    size = as_int(chunk_size, "chunk_size", minimum=1)
    return _bindings.sha256_chunks(view, size, _bindings.threads_arg(threads))


def sha_backend() -> str:
    """The SHA-256 implementation in use: ``"shani"`` or ``"portable"``."""
    return _bindings.sha_backend()


def available_sha_backends() -> tuple[str, ...]:
    """Every SHA-256 implementation this CPU can run."""
    return _bindings.available_sha_backends()


def set_sha_backend(name: str) -> None:
    """Switch the SHA-256 implementation for the whole process."""
    _bindings.set_sha_backend(name)
