"""Strict, bounded binary and JSON decoding shared by every serialized object.

Binary forms are big-endian. A reader refuses a short read, a length beyond a
stated limit (before allocating anything), and trailing bytes; JSON helpers
refuse unknown or missing keys, bools posing as ints, and non-canonical hex.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from .exceptions import DecodeError


class Reader:
    """Reads fields from a byte string front to back; ``finish()`` refuses leftovers."""

    __slots__ = ("_data", "_pos", "_what")

    def __init__(self, data: Any, what: str) -> None:
        if isinstance(data, str) or not isinstance(data, (bytes, bytearray, memoryview)):
            raise DecodeError(f"{what}: expected bytes, not {type(data).__name__}")
        self._data = bytes(data)
        self._pos = 0
        self._what = what

    def take(self, n: int) -> bytes:
        if n < 0 or self._pos + n > len(self._data):
            raise DecodeError(
                f"{self._what}: truncated (needs {n} more bytes at offset {self._pos}, "
                f"{len(self._data) - self._pos} left)"
            )
        out = self._data[self._pos : self._pos + n]
        self._pos += n
        return out

    def remaining(self) -> int:
        return len(self._data) - self._pos

    def u8(self) -> int:
        return self.take(1)[0]

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack(">Q", self.take(8))[0])

    def magic(self, expected: bytes, version: int) -> None:
        got = self.take(len(expected))
        if got != expected:
            raise DecodeError(f"{self._what}: wrong magic {got!r}, expected {expected!r}")
        v = self.u8()
        if v != version:
            raise DecodeError(f"{self._what}: unknown version {v}, this library reads version {version}")

    def count(self, n: int, item_size: int, limit: int, name: str) -> int:
        """Check a declared element count against a limit and the bytes left."""
        if n > limit:
            raise DecodeError(f"{self._what}: {name} count {n} exceeds the limit {limit}")
        if n * item_size > self.remaining():
            raise DecodeError(f"{self._what}: truncated ({n} {name} declared, {self.remaining()} bytes left)")
        return n

    def hashes(self, n: int) -> tuple[bytes, ...]:
        raw = self.take(32 * n)
        return tuple(raw[i : i + 32] for i in range(0, len(raw), 32))

    def finish(self) -> None:
        if self._pos != len(self._data):
            raise DecodeError(f"{self._what}: {len(self._data) - self._pos} trailing bytes")


def u8(v: int) -> bytes:
    return struct.pack(">B", v)


def u16(v: int) -> bytes:
    return struct.pack(">H", v)


def u32(v: int) -> bytes:
    return struct.pack(">I", v)


def u64(v: int) -> bytes:
    return struct.pack(">Q", v)


def f64(v: float) -> bytes:
    return struct.pack(">d", v)


# ---- JSON ----

def json_dumps(obj: dict[str, Any]) -> str:
    """Deterministic JSON: sorted keys, no spaces."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def json_object(text: Any, what: str, kind: str, keys: set[str]) -> dict[str, Any]:
    """Parse ``text`` as a JSON object of type ``kind`` with exactly ``keys`` (plus type)."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError(f"{what}: JSON is not UTF-8") from None
    if not isinstance(text, str):
        raise DecodeError(f"{what}: expected a JSON string, not {type(text).__name__}")
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise DecodeError(f"{what}: invalid JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise DecodeError(f"{what}: JSON must be an object")
    if obj.get("type") != kind:
        raise DecodeError(f"{what}: JSON type must be {kind!r}, got {obj.get('type')!r}")
    want = keys | {"type"}
    if set(obj) != want:
        extra, missing = sorted(set(obj) - want), sorted(want - set(obj))
        raise DecodeError(f"{what}: JSON keys differ (unexpected {extra}, missing {missing})")
    return obj


def json_int(obj: dict[str, Any], key: str, what: str) -> int:
    v = obj[key]
    if isinstance(v, bool) or not isinstance(v, int):
        raise DecodeError(f"{what}: {key} must be an integer")
    return v


def json_hex(v: Any, what: str, size: int | None = None) -> bytes:
    if not isinstance(v, str) or v != v.lower():
        raise DecodeError(f"{what}: expected lowercase hex")
    try:
        raw = bytes.fromhex(v)
    except ValueError:
        raise DecodeError(f"{what}: not hex") from None
    if raw.hex() != v:
        raise DecodeError(f"{what}: non-canonical hex")
    if size is not None and len(raw) != size:
        raise DecodeError(f"{what}: expected {size} bytes, got {len(raw)}")
    return raw


def json_list(obj: dict[str, Any], key: str, what: str) -> list[Any]:
    v = obj[key]
    if not isinstance(v, list):
        raise DecodeError(f"{what}: {key} must be a list")
    return v
