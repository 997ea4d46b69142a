"""Argument checking shared by the public modules: ints, hashes, byte buffers."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .exceptions import InvalidInputError

HASH_SIZE = 32
U64_MAX = 2**64 - 1


def as_int(value: Any, name: str, *, minimum: int = 0, maximum: int = U64_MAX) -> int:
    """An int in [minimum, maximum]; bools and floats are refused."""
    if isinstance(value, (bool, float)):
        raise InvalidInputError(f"{name} must be an int, not {type(value).__name__}")
    try:
        number = operator.index(value)
    except TypeError:
        raise InvalidInputError(f"{name} must be an int, not {type(value).__name__}") from None
    if number < minimum or number > maximum:
        raise InvalidInputError(f"{name} must be in [{minimum}, {maximum}], got {number}")
    return number


def as_bytes(value: Any, name: str) -> bytes:
    """The bytes of a bytes-like object (bytes, bytearray, memoryview, contiguous array)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        raise InvalidInputError(f"{name} must be bytes-like, not str (encode it first)")
    try:
        view = memoryview(value)
    except TypeError:
        raise InvalidInputError(f"{name} must be bytes-like, not {type(value).__name__}") from None
    if not view.c_contiguous:
        raise InvalidInputError(f"{name} must be a C-contiguous buffer")
    return view.tobytes()


def as_hash(value: Any, name: str) -> bytes:
    """A 32-byte hash value."""
    raw = as_bytes(value, name)
    if len(raw) != HASH_SIZE:
        raise InvalidInputError(f"{name} must be {HASH_SIZE} bytes, got {len(raw)}")
    return raw


def as_hash_rows(values: Any, name: str) -> NDArray[np.uint8]:
    """An (n, 32) uint8 array from such an array or from a sequence of 32-byte values."""
    if isinstance(values, np.ndarray):
        if values.dtype != np.uint8 or values.ndim != 2 or values.shape[1] != HASH_SIZE:
            raise InvalidInputError(
                f"{name} must be an (n, {HASH_SIZE}) uint8 array, got {values.dtype} {values.shape}"
            )
        return np.ascontiguousarray(values)
    if isinstance(values, (bytes, bytearray, memoryview, str)):
        raise InvalidInputError(f"{name} must be a sequence of {HASH_SIZE}-byte hashes, not one {type(values).__name__}")
    try:
        items = list(values)
    except TypeError:
        raise InvalidInputError(f"{name} must be a sequence of {HASH_SIZE}-byte hashes") from None
    raw = b"".join(as_hash(h, f"{name}[{i}]") for i, h in enumerate(items))
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(items), HASH_SIZE)


def byte_view(data: Any, name: str) -> Any:
    """A flat, C-contiguous, read-only view of any buffer, without copying."""
    if isinstance(data, str):
        raise InvalidInputError(f"{name} must be bytes-like, not str (encode it first)")
    if isinstance(data, np.ndarray):
        if not data.flags.c_contiguous:
            raise InvalidInputError(f"{name} must be a C-contiguous array")
        return data.reshape(-1).view(np.uint8)
    try:
        view = memoryview(data)
    except TypeError:
        raise InvalidInputError(f"{name} must be bytes-like, not {type(data).__name__}") from None
    if not view.c_contiguous:
        raise InvalidInputError(f"{name} must be a C-contiguous buffer")
    return view.cast("B") if view.ndim != 1 or view.format != "B" else view
