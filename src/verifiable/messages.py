"""The protocol's messages: what is signed, hashed, sent and kept as evidence.

Every message is a frozen dataclass with one versioned, deterministic binary
encoding (``to_bytes``/``from_bytes``) - exactly the bytes that are signed and
hashed - and a JSON form for transport (``to_json``/``from_json``); both round
trip exactly. ``digest()`` is SHA-256 of the binary encoding, signature
included.

Every encoding starts with ``b"VFPR" | type u8 | version u8`` (big-endian
integers throughout); docs/PROTOCOL.md gives the byte layout of each. A signed
message is its *body* (every byte before the signature) followed by a 64-byte
Ed25519 signature over ``b"verifiable/" + domain + b"\\x00" + body``; every type
signs under its own domain (:data:`DOMAINS`), and the body starts with the type
tag, so a message of one type can never pass as another.

Each class lists its fields in encoding order in ``FIELDS``, each with a codec (a hash, an
integer, a length-prefixed string, a sorted name map, a nested message, ...) that does the
constructor's checks, the bytes and the JSON of that field; the class itself holds only the
protocol's logic and the checks that span several fields.

Decoding is strict and bounded: wrong magic, type or version, truncation,
trailing bytes, counts or lengths beyond the limits below, unsorted or
duplicate keys and non-minimal integers all raise :class:`DecodeError`, and
every declared length is checked against the bytes actually present before
anything is allocated.

    Job                a workload, its canonical parameters, input digests, chunk count
    Commitment         a provider's signed Merkle root of the job's chunk outputs
    Challenge          a verifier's signed choice of chunks to open (after the commitment)
    SpotCheckProof     the provider's signed answer: opened outputs and one multiproof
    Verdict            the verifier's signed decision with its soundness figure
    FraudProof         self-contained evidence that a provider signed a wrong chunk
    EquivocationProof  two signed commitments of one provider to one job, different roots
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from . import _bindings, _codec
from ._buffers import HASH_SIZE, as_bytes, as_hash, as_int
from .challenge import beacon_seed, derive_indices, probe_seed
from .exceptions import DecodeError, InvalidInputError, VerificationError
from .identity import Identity, verify_signature
from .merkle import MultiProof, _leaf_hashes, verify_multiproof
from .workloads import Workload, get_workload

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "DOMAINS",
    "Challenge",
    "Commitment",
    "EmbeddedInput",
    "EquivocationProof",
    "FraudFinding",
    "FraudProof",
    "Job",
    "SpotCheckProof",
    "Verdict",
    "verify_equivocation",
    "verify_exchange",
    "verify_fraud_proof",
]

MAGIC = b"VFPR"
VERSION = 1
SIGNATURE_SIZE = 64
KEY_SIZE = 32

#: Type tags (the byte after the magic).
TYPE_JOB = 1
TYPE_COMMITMENT = 2
TYPE_CHALLENGE = 3
TYPE_SPOT_CHECK_PROOF = 4
TYPE_VERDICT = 5
TYPE_FRAUD_PROOF = 6
TYPE_EQUIVOCATION_PROOF = 7

#: Signing domains: the signature covers b"verifiable/" + domain + b"\x00" + body.
DOMAINS: Mapping[str, bytes] = MappingProxyType(
    {
        "commitment": b"commitment/v1",
        "challenge": b"challenge/v1",
        "spot_check_proof": b"spot-check-proof/v1",
        "verdict": b"verdict/v1",
    }
)

#: Decoding limits.
MAX_NAME = 255  # bytes of a parameter key or input name (UTF-8)
MAX_PARAMS = 256  # parameters in a job
MAX_PARAM_VALUE = 2**16  # bytes of one str or bytes parameter
MAX_INT_BYTES = 32  # magnitude bytes of an int parameter (|v| < 2^256)
MAX_INPUTS = 256  # named inputs in a job
MAX_OPENED = 2**20  # chunks opened by one challenge
MAX_CHUNK_OUTPUT = 64 * 2**20  # bytes of one opened chunk output
MAX_BEACON = 1024  # bytes of a public beacon value
MAX_REASONS = 64  # reasons in a verdict
MAX_TEXT = 1024  # bytes of one reason or of the soundness words
MAX_EMBEDDED_INPUT = 2**40  # bytes of one input embedded in a fraud proof
MAX_NESTED = 2**46  # bytes of a message nested in a fraud or equivocation proof

TREE_MODES: Mapping[str, int] = MappingProxyType({"rfc6962": 1})
CHALLENGE_METHODS: Mapping[str, int] = MappingProxyType({"interactive": 1, "beacon": 2})
_INPUT_KINDS: Mapping[str, int] = MappingProxyType({"bytes": 1, "array": 2})

_WORKLOAD_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_DECIMAL = re.compile(r"^(0|-?[1-9][0-9]*)$")

ParamValue = int | str | bytes


# ---------------------------------------------------------------------------------------------
# Encoding helpers


_u8, _u64, _f64 = _codec.u8, _codec.u64, _codec.f64


def _header(type_tag: int) -> bytes:
    return MAGIC + _u8(type_tag) + _u8(VERSION)


def _utf8(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise InvalidInputError(f"{what} must be a str, not {type(text).__name__}")
    try:
        return text.encode("utf-8", "strict")
    except UnicodeEncodeError:
        raise InvalidInputError(f"{what} is not encodable as UTF-8: {text!r}") from None


def _fixed(value: Any, size: int, name: str) -> bytes:
    raw = as_bytes(value, name)
    if len(raw) != size:
        raise InvalidInputError(f"{name} must be {size} bytes, got {len(raw)}")
    return raw


def _int_magnitude(v: int) -> bytes:
    return v.to_bytes((v.bit_length() + 7) // 8, "big")


class _Reader(_codec.Reader):
    """The shared strict reader plus the protocol's header (the field kinds are codecs below)."""

    __slots__ = ()

    @property
    def what(self) -> str:
        """The name of what is being decoded, for error messages."""
        return self._what

    def header(self, type_tag: int) -> None:
        got = self.take(len(MAGIC))
        if got != MAGIC:
            raise DecodeError(f"{self._what}: wrong magic {got!r}, expected {MAGIC!r}")
        tag = self.u8()
        if tag != type_tag:
            kind = _TYPE_NAMES.get(tag, f"unknown type {tag}")
            raise DecodeError(f"{self._what}: these bytes encode a {kind}, not a {self._what}")
        version = self.u8()
        if version != VERSION:
            raise DecodeError(f"{self._what}: unknown version {version}, this library reads version {VERSION}")

    def blob(self, length: int, limit: int, name: str) -> bytes:
        return self.take(self.count(length, 1, limit, f"{name} byte"))


_TYPE_NAMES = {
    TYPE_JOB: "Job",
    TYPE_COMMITMENT: "Commitment",
    TYPE_CHALLENGE: "Challenge",
    TYPE_SPOT_CHECK_PROOF: "SpotCheckProof",
    TYPE_VERDICT: "Verdict",
    TYPE_FRAUD_PROOF: "FraudProof",
    TYPE_EQUIVOCATION_PROOF: "EquivocationProof",
}


# ---- JSON helpers (strict: duplicate keys, unknown keys and bools posing as ints refused) ----


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DecodeError(f"duplicate JSON key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise DecodeError(f"JSON constant {name} is not allowed")


def _json_load(text: Any, what: str) -> Any:
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError(f"{what}: JSON is not UTF-8") from None
    if not isinstance(text, str):
        raise DecodeError(f"{what}: expected a JSON string, not {type(text).__name__}")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except DecodeError as exc:
        raise DecodeError(f"{what}: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"{what}: invalid JSON ({exc})") from None


def _json_fields(obj: Any, what: str, kind: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise DecodeError(f"{what}: JSON must be an object")
    if obj.get("type") != kind:
        raise DecodeError(f"{what}: JSON type must be {kind!r}, got {obj.get('type')!r}")
    want = keys | {"type", "version"}
    if set(obj) != want:
        extra, missing = sorted(set(obj) - want), sorted(want - set(obj))
        raise DecodeError(f"{what}: JSON keys differ (unexpected {extra}, missing {missing})")
    if _codec.json_int(obj, "version", what) != VERSION:
        raise DecodeError(f"{what}: unknown version {obj['version']}, this library reads version {VERSION}")
    return obj


# ---------------------------------------------------------------------------------------------
# The field codec: every message lists its fields in encoding order (``FIELDS``), each with a
# codec that checks a constructor argument, encodes it, decodes it strictly and converts it to
# and from JSON. The base class runs the table; a message class adds only its protocol logic
# and the checks that span several fields (``_validate``).
#
# Error messages name the field: ``name`` is its name, or ``name[k]`` / ``name['key']`` for an
# item of a list or mapping.


class _Codec:
    """How one kind of field is checked, encoded, decoded and written as JSON."""

    #: The fewest bytes an encoding takes (a declared count is checked against what is left).
    size = 0
    #: What a value is, in words, for "must be a tuple of ..." messages.
    desc = "values"
    #: The JSON type of a value (a bool is no int) and its words for "must be ..." messages.
    json_type: type = object
    json_desc = "a JSON value"

    def check(self, value: Any, name: str) -> Any:
        """The normalized constructor argument; raise InvalidInputError naming ``name``."""
        return value

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> Any:
        """Read one value; ``done`` holds the fields of the message decoded before it."""
        raise NotImplementedError

    def decode_many(self, r: _Reader, n: int, name: str, done: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(self.decode(r, f"{name}[{k}]", done) for k in range(n))

    def to_json(self, value: Any) -> Any:
        return value

    def from_json(self, value: Any, what: str, name: str) -> Any:
        if not isinstance(value, self.json_type) or (isinstance(value, bool) and self.json_type is not bool):
            raise DecodeError(f"{what}: {name} must be {self.json_desc}")
        return value


class _UInt(_Codec):
    """A big-endian unsigned integer of ``size`` bytes, at least ``minimum``; JSON: a number."""

    desc, json_type, json_desc = "ints", int, "an integer"

    def __init__(self, size: int, minimum: int = 0) -> None:
        self.size, self.minimum = size, minimum
        self._format = {1: "B", 2: "H", 4: "I", 8: "Q"}[size]

    def check(self, value: Any, name: str) -> int:
        return as_int(value, name, minimum=self.minimum, maximum=2 ** (8 * self.size) - 1)

    def encode(self, value: int) -> bytes:
        return struct.pack(">" + self._format, value)

    def read(self, r: _Reader) -> int:
        return int(struct.unpack(">" + self._format, r.take(self.size))[0])

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> int:
        return self.read(r)

    def decode_many(self, r: _Reader, n: int, name: str, done: Mapping[str, Any]) -> tuple[int, ...]:
        return tuple(struct.unpack(f">{n}{self._format}", r.take(self.size * n)))


_U8, _U16, _U32, _U64 = _UInt(1), _UInt(2), _UInt(4), _UInt(8)
_COUNT = _UInt(8, minimum=1)  # a chunk count


class _Fixed(_Codec):
    """Exactly ``size`` bytes (a hash, key or signature); JSON: lowercase hex."""

    def __init__(self, size: int) -> None:
        self.size, self.desc = size, f"{size}-byte values"

    def check(self, value: Any, name: str) -> bytes:
        return _fixed(value, self.size, name)

    def encode(self, value: bytes) -> bytes:
        return value

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> bytes:
        return r.take(self.size)

    def decode_many(self, r: _Reader, n: int, name: str, done: Mapping[str, Any]) -> tuple[bytes, ...]:
        raw = r.take(self.size * n)
        return tuple(raw[i : i + self.size] for i in range(0, len(raw), self.size))

    def to_json(self, value: bytes) -> str:
        return value.hex()

    def from_json(self, value: Any, what: str, name: str) -> bytes:
        return _codec.json_hex(value, f"{what} {name}", self.size)


_HASH, _KEY, _SIGNATURE = _Fixed(HASH_SIZE), _Fixed(KEY_SIZE), _Fixed(SIGNATURE_SIZE)


class _Bytes(_Codec):
    """At most ``limit`` bytes after a ``prefix`` length; JSON: lowercase hex."""

    desc = "bytes"

    def __init__(self, prefix: _UInt, limit: int) -> None:
        self.prefix, self.limit, self.size = prefix, limit, prefix.size

    def check(self, value: Any, name: str) -> bytes:
        raw = as_bytes(value, name)
        if len(raw) > self.limit:
            raise InvalidInputError(f"{name} is {len(raw)} bytes, more than the limit {self.limit}")
        return raw

    def encode(self, value: bytes) -> bytes:
        return self.prefix.encode(len(value)) + value

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> bytes:
        return r.blob(self.prefix.read(r), self.limit, name)

    def to_json(self, value: bytes) -> str:
        return value.hex()

    def from_json(self, value: Any, what: str, name: str) -> bytes:
        return _codec.json_hex(value, f"{what} {name}")


class _Text(_Codec):
    """A str of at most ``limit`` bytes of UTF-8 after a ``prefix`` length; JSON: a string."""

    desc, json_type, json_desc = "str", str, "a string"

    def __init__(self, prefix: _UInt, limit: int) -> None:
        self.raw, self.limit, self.size = _Bytes(prefix, limit), limit, prefix.size

    def check(self, value: Any, name: str) -> str:
        raw = _utf8(value, name)
        if len(raw) > self.limit:
            raise InvalidInputError(f"{name} is {len(raw)} bytes of UTF-8, more than the limit {self.limit}")
        return str(value)

    def encode(self, value: str) -> bytes:
        return self.raw.encode(value.encode("utf-8"))

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> str:
        try:
            return self.raw.decode(r, name, done).decode("utf-8", "strict")
        except UnicodeDecodeError:
            raise DecodeError(f"{r.what}: {name} is not valid UTF-8") from None


class _Bool(_Codec):
    """One byte, 0 or 1; JSON: true or false."""

    size, json_type, json_desc = 1, bool, "true or false"

    def check(self, value: Any, name: str) -> bool:
        if not isinstance(value, bool):
            raise InvalidInputError(f"{name} must be a bool")
        return value

    def encode(self, value: bool) -> bytes:
        return _u8(int(value))

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> bool:
        v = r.u8()
        if v > 1:
            raise DecodeError(f"{r.what}: {name} must be 0 or 1, got {v}")
        return v == 1


class _Probability(_Codec):
    """A float64 in [0, 1], never -0.0 or NaN; JSON: a number with a fraction or exponent."""

    size, json_type, json_desc = 8, float, "a JSON number with a fraction or exponent"

    def check(self, value: Any, name: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidInputError(f"{name} must be a float, not {type(value).__name__}")
        v = float(value)
        if not 0.0 <= v <= 1.0 or math.isnan(v):
            raise InvalidInputError(f"{name} must be in [0, 1], got {value!r}")
        return v + 0.0  # turns -0.0 into 0.0

    def encode(self, value: float) -> bytes:
        return _f64(value)

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> float:
        v = float(struct.unpack(">d", r.take(8))[0])
        if not 0.0 <= v <= 1.0 or math.copysign(1.0, v) < 0:
            raise DecodeError(f"{r.what}: {name} {v!r} is not a probability in [0, 1] (or is a negative zero)")
        return v


class _Enum(_Codec):
    """One of the names in ``table``, encoded as its one-byte code; JSON: the name."""

    size, json_type, json_desc = 1, str, "a string"

    def __init__(self, table: Mapping[str, int], label: str) -> None:
        self.table, self.label = table, label

    def check(self, value: Any, name: str) -> str:
        if not isinstance(value, str) or value not in self.table:
            raise InvalidInputError(f"{name} must be one of {sorted(self.table)}, got {value!r}")
        return value

    def encode(self, value: str) -> bytes:
        return _u8(self.table[value])

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> str:
        code = r.u8()
        for value, c in self.table.items():
            if c == code:
                return value
        raise DecodeError(f"{r.what}: unknown {self.label} {code}")


class _List(_Codec):
    """A tuple of at most ``limit`` ``item``s, each a ``word``: after a ``count`` prefix, or
    (``count`` a field name) as many as that earlier field has, with no count of its own."""

    desc = "tuples"

    def __init__(self, count: _UInt | str, item: _Codec, limit: int, word: str) -> None:
        self.count, self.item, self.limit, self.word = count, item, limit, word
        self.size = count.size if isinstance(count, _UInt) else 0

    def check(self, value: Any, name: str) -> tuple[Any, ...]:
        if isinstance(value, (bytes, bytearray, str)) or not isinstance(value, (tuple, list)):
            raise InvalidInputError(f"{name} must be a tuple of {self.item.desc}")
        if len(value) > self.limit:
            raise InvalidInputError(f"{name} has {len(value)} items, more than the limit {self.limit}")
        return tuple(self.item.check(v, f"{name}[{k}]") for k, v in enumerate(value))

    def encode(self, value: tuple[Any, ...]) -> bytes:
        head = self.count.encode(len(value)) if isinstance(self.count, _UInt) else b""
        return head + b"".join(self.item.encode(v) for v in value)

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> tuple[Any, ...]:
        if isinstance(self.count, _UInt):
            n = r.count(self.count.read(r), self.item.size, self.limit, self.word)
        else:
            n = len(done[self.count])
        return self.item.decode_many(r, n, name, done)

    def to_json(self, value: tuple[Any, ...]) -> list[Any]:
        return [self.item.to_json(v) for v in value]

    def from_json(self, value: Any, what: str, name: str) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise DecodeError(f"{what}: {name} must be a list")
        if len(value) > self.limit:
            raise DecodeError(f"{what}: {name} has {len(value)} items, more than the limit {self.limit}")
        return tuple(self.item.from_json(v, what, f"{name}[{k}]") for k, v in enumerate(value))


class _Names(_Codec):
    """A mapping of at most ``limit`` names (1-255 bytes of UTF-8) to ``value``s, each entry a
    ``word``: a u16 count, then name (u8 length, bytes) and value, by strictly increasing name.
    JSON: an object."""

    size = 2
    desc = "mappings"

    _KEY = _Text(_U8, MAX_NAME)

    def __init__(self, value: _Codec, limit: int, word: str) -> None:
        self.value, self.limit, self.word = value, limit, word

    def check(self, value: Any, name: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise InvalidInputError(f"{name} must be a mapping of names to {self.value.desc}")
        if len(value) > self.limit:
            raise InvalidInputError(f"{name} has {len(value)} entries, more than the limit {self.limit}")
        for key in value:
            if not 1 <= len(_utf8(key, f"{self.word} name")) <= MAX_NAME:
                raise InvalidInputError(f"{self.word} name must be 1-{MAX_NAME} bytes of UTF-8, got {key!r}")
        # sorted by code point, which is the order of the UTF-8 encodings
        return MappingProxyType({k: self.value.check(value[k], f"{name}[{k!r}]") for k in sorted(value)})

    def encode(self, value: Mapping[str, Any]) -> bytes:
        items = (self._KEY.encode(key) + self.value.encode(item) for key, item in value.items())
        return _U16.encode(len(value)) + b"".join(items)

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> dict[str, Any]:
        n = r.count(_U16.read(r), 2 + self.value.size, self.limit, self.word)
        out: dict[str, Any] = {}
        last = b""
        for _ in range(n):
            key = self._KEY.decode(r, f"{self.word} name", done)
            if not key:
                raise DecodeError(f"{r.what}: empty {self.word} name")
            raw = key.encode("utf-8")
            if out and raw <= last:
                raise DecodeError(f"{r.what}: {self.word} names must be strictly increasing (sorted, no duplicates)")
            last = raw
            out[key] = self.value.decode(r, f"{name}[{key!r}]", done)
        return out

    def to_json(self, value: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self.value.to_json(v) for k, v in value.items()}

    def from_json(self, value: Any, what: str, name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise DecodeError(f"{what}: {name} must be an object")
        if len(value) > self.limit:
            raise DecodeError(f"{what}: {name} has {len(value)} entries, more than the limit {self.limit}")
        return {k: self.value.from_json(v, what, f"{name}[{k!r}]") for k, v in value.items()}


class _Param(_Codec):
    """A job parameter: an int (tag 1 if >= 0 else 2, u8 length, minimal big-endian magnitude
    of at most MAX_INT_BYTES), a str (tag 3) or bytes (tag 4) of at most MAX_PARAM_VALUE
    bytes. JSON: ``{"int": decimal string}``, ``{"str": string}`` or ``{"bytes": hex}``."""

    size = 2
    desc = "int | str | bytes values"
    _STR, _BYTES = _Text(_U32, MAX_PARAM_VALUE), _Bytes(_U32, MAX_PARAM_VALUE)

    def check(self, value: Any, name: str) -> ParamValue:
        if isinstance(value, bool):
            raise InvalidInputError(f"{name}: bool is not a parameter type (use an int)")
        if isinstance(value, int):
            if len(_int_magnitude(abs(value))) > MAX_INT_BYTES:
                raise InvalidInputError(f"{name}: |value| must be below 2^{8 * MAX_INT_BYTES}")
            return int(value)
        if isinstance(value, str):
            return self._STR.check(value, name)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return self._BYTES.check(value, name)
        raise InvalidInputError(f"{name} must be an int, str or bytes, not {type(value).__name__}")

    def encode(self, value: ParamValue) -> bytes:
        if isinstance(value, int):
            mag = _int_magnitude(abs(value))
            return _u8(1 if value >= 0 else 2) + _u8(len(mag)) + mag
        if isinstance(value, str):
            return _u8(3) + self._STR.encode(value)
        return _u8(4) + self._BYTES.encode(value)

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> ParamValue:
        tag = r.u8()
        if tag in (1, 2):
            n = r.u8()
            if n > MAX_INT_BYTES:
                raise DecodeError(f"{r.what}: {name} has a {n}-byte integer (limit {MAX_INT_BYTES})")
            mag = r.take(n)
            if n and mag[0] == 0:
                raise DecodeError(f"{r.what}: {name} is a non-minimal integer (leading zero byte)")
            if tag == 2 and n == 0:
                raise DecodeError(f"{r.what}: {name} is a negative zero")
            v = int.from_bytes(mag, "big")
            return v if tag == 1 else -v
        if tag == 3:
            return self._STR.decode(r, name, done)
        if tag == 4:
            return self._BYTES.decode(r, name, done)
        raise DecodeError(f"{r.what}: {name} has unknown type tag {tag}")

    def to_json(self, value: ParamValue) -> dict[str, str]:
        if isinstance(value, int):
            return {"int": str(value)}
        if isinstance(value, str):
            return {"str": value}
        return {"bytes": value.hex()}

    def from_json(self, value: Any, what: str, name: str) -> ParamValue:
        if not isinstance(value, dict) or len(value) != 1:
            raise DecodeError(f"{what}: {name} must be one of {{'int'|'str'|'bytes': value}}")
        ((kind, v),) = value.items()
        if kind == "int":
            if not isinstance(v, str) or len(v) > 80 or not _DECIMAL.fullmatch(v):
                raise DecodeError(f"{what}: {name} must be a canonical decimal string, got {v!r}")
            return int(v)
        if kind == "str":
            return str(self._STR.from_json(v, what, name))
        if kind == "bytes":
            return self._BYTES.from_json(v, what, name)
        raise DecodeError(f"{what}: {name} has unknown parameter kind {kind!r}")


class _Nested(_Codec):
    """A whole message of class ``cls`` after a ``prefix`` length; JSON: its JSON object."""

    def __init__(self, cls: Any, prefix: _UInt) -> None:
        self.cls, self.prefix, self.size = cls, prefix, prefix.size

    def check(self, value: Any, name: str) -> Any:
        if not isinstance(value, self.cls):
            raise InvalidInputError(f"{name} must be a {self.cls.__name__}, not {type(value).__name__}")
        return value

    def encode(self, value: Any) -> bytes:
        raw: bytes = value.to_bytes()
        return self.prefix.encode(len(raw)) + raw

    def limit(self, done: Mapping[str, Any]) -> int:
        return MAX_NESTED

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> Any:
        return self.cls.from_bytes(r.blob(self.prefix.read(r), self.limit(done), name))

    def to_json(self, value: Any) -> Any:
        return value._full_obj()

    def from_json(self, value: Any, what: str, name: str) -> Any:
        return self.cls._parse_obj(value, f"{what} {name}")


class _MultiProofField(_Nested):
    """A :class:`MultiProof` opening as many leaves as the field ``outputs`` has items."""

    def __init__(self) -> None:
        super().__init__(MultiProof, _U32)

    def limit(self, done: Mapping[str, Any]) -> int:
        # magic, version, tree_size, k, k indices, count, at most 64 siblings per index
        k = len(done["outputs"])
        return 4 + 1 + 8 + 4 + 8 * k + 4 + HASH_SIZE * 64 * max(1, k)

    def to_json(self, value: Any) -> Any:
        return json.loads(value.to_json())

    def from_json(self, value: Any, what: str, name: str) -> Any:
        if not isinstance(value, dict):
            raise DecodeError(f"{what}: {name} must be an object")
        return MultiProof.from_json(_codec.json_dumps(value))


_Fields = tuple[tuple[str, _Codec], ...]


# ---------------------------------------------------------------------------------------------
# The common base


class _Message:
    """Shared machinery: the field table, cached encoding, digest, strict decoding, JSON."""

    TYPE: ClassVar[int]
    KIND: ClassVar[str]
    #: the class's own name, for error messages (set for every subclass)
    NAME: ClassVar[str]
    #: (field name, codec) in encoding order; a signed message's last field is its signature.
    FIELDS: ClassVar[_Fields]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.NAME = cls.__name__

    def __post_init__(self) -> None:
        for name, codec in self.FIELDS:
            object.__setattr__(self, name, codec.check(getattr(self, name), name))
        self._validate()

    def _validate(self) -> None:
        """Checks that span several fields (each field's own checks are its codec's)."""

    @classmethod
    def _check_canonical(cls, fields: Mapping[str, Any], what: str) -> None:
        """Refuse decoded fields the constructor would accept only by normalizing them."""

    def _encode_fields(self, fields: _Fields) -> bytes:
        return _header(self.TYPE) + b"".join(codec.encode(getattr(self, name)) for name, codec in fields)

    def _encode(self) -> bytes:
        return self._encode_fields(self.FIELDS)

    @classmethod
    def _decode(cls, r: _Reader) -> Self:
        fields: dict[str, Any] = {}
        for name, codec in cls.FIELDS:
            fields[name] = codec.decode(r, name, fields)
        cls._check_canonical(fields, cls.NAME)
        return cls(**fields)

    def _obj(self) -> dict[str, Any]:
        return {name: codec.to_json(getattr(self, name)) for name, codec in self.FIELDS}

    @classmethod
    def _from_obj(cls, obj: Any, what: str) -> Self:
        obj = _json_fields(obj, what, cls.KIND, {name for name, _ in cls.FIELDS})
        fields = {name: codec.from_json(obj[name], what, name) for name, codec in cls.FIELDS}
        cls._check_canonical(fields, what)
        return cls(**fields)

    def to_bytes(self) -> bytes:
        """The canonical binary encoding (what is hashed and, minus the signature, signed)."""
        cached = self.__dict__.get("_encoded")
        if cached is None:
            cached = self._encode()
            object.__setattr__(self, "_encoded", cached)
        return bytes(cached)

    def digest(self) -> bytes:
        """SHA-256 of :meth:`to_bytes`."""
        cached = self.__dict__.get("_digest")
        if cached is None:
            cached = hashlib.sha256(self.to_bytes()).digest()
            object.__setattr__(self, "_digest", cached)
        return bytes(cached)

    @classmethod
    def from_bytes(cls, data: Any) -> Self:
        """Decode strictly; raise :class:`DecodeError` on any deviation from the canonical form."""
        r = _Reader(data, cls.NAME)
        r.header(cls.TYPE)
        try:
            msg = cls._decode(r)
        except DecodeError:
            raise
        except InvalidInputError as exc:
            raise DecodeError(f"{cls.NAME}: {exc}") from None
        r.finish()
        return msg

    def to_json(self) -> str:
        """The JSON transport form (sorted keys, no spaces; bytes as lowercase hex)."""
        return _codec.json_dumps(self._full_obj())

    def _full_obj(self) -> dict[str, Any]:
        return {"type": self.KIND, "version": VERSION, **self._obj()}

    @classmethod
    def from_json(cls, text: Any) -> Self:
        """Decode the JSON form strictly (raise :class:`DecodeError`)."""
        what = f"{cls.NAME} JSON"
        return cls._parse_obj(_json_load(text, what), what)

    @classmethod
    def _parse_obj(cls, obj: Any, what: str) -> Self:
        try:
            return cls._from_obj(obj, what)
        except DecodeError:
            raise
        except InvalidInputError as exc:
            raise DecodeError(f"{what}: {exc}") from None


class _Signed(_Message):
    """A message whose last 64 bytes are an Ed25519 signature over its body."""

    #: the signature's domain separation, DOMAINS[KIND] (set for every subclass with a KIND)
    DOMAIN: ClassVar[bytes]
    signature: bytes

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "KIND" in vars(cls):
            cls.DOMAIN = DOMAINS[cls.KIND]

    def body(self) -> bytes:
        """The signed part of the encoding: every byte before the signature."""
        return self.to_bytes()[:-SIGNATURE_SIZE]

    def _body(self) -> bytes:
        return self._encode_fields(self.FIELDS[:-1])

    def _encode(self) -> bytes:
        return self._body() + self.signature

    def signed(self, identity: Identity) -> Self:
        """This message with its signature (re)made by ``identity``."""
        signature = _sign(identity, self.DOMAIN, self._body())
        return dataclasses.replace(self, signature=signature)  # type: ignore[type-var]

    def _check_signature(self, public_key: bytes) -> None:
        try:
            verify_signature(public_key, self.DOMAIN, self.body(), self.signature)
        except VerificationError as exc:
            raise VerificationError(f"{self.NAME}: bad signature ({exc})") from None


def _sign(identity: Identity, domain: bytes, body: bytes) -> bytes:
    if not isinstance(identity, Identity):
        raise InvalidInputError(f"expected an Identity to sign with, not {type(identity).__name__}")
    return identity.sign(domain, body)


def _key_of(identity: Identity) -> bytes:
    if not isinstance(identity, Identity):
        raise InvalidInputError(f"expected an Identity, not {type(identity).__name__}")
    return bytes(identity.public_key)


_NO_SIGNATURE = bytes(SIGNATURE_SIZE)


# ---------------------------------------------------------------------------------------------
# Job


@dataclass(frozen=True)
class Job(_Message):
    """A unit of work: a registered workload, canonical parameters, input digests, chunk count.

    ``job_id`` is the digest of the encoding. Parameters are ints, strs or bytes (the output
    of the workload's ``normalize_params``); inputs are named by their digests only (see
    :func:`verifiable.workloads.array_digest`), so a job stays small however large its inputs.
    """

    workload: str
    params: Mapping[str, ParamValue]
    input_digests: Mapping[str, bytes]
    n_chunks: int

    TYPE: ClassVar[int] = TYPE_JOB
    KIND: ClassVar[str] = "job"
    FIELDS: ClassVar[_Fields] = (
        ("workload", _Text(_U8, MAX_NAME)),
        ("params", _Names(_Param(), MAX_PARAMS, "parameter")),
        ("input_digests", _Names(_HASH, MAX_INPUTS, "input")),
        ("n_chunks", _COUNT),
    )

    def _validate(self) -> None:
        if not _WORKLOAD_NAME.fullmatch(self.workload):
            raise InvalidInputError(f"workload name {self.workload!r} is not a valid workload name")

    def __hash__(self) -> int:
        return hash(self.digest())

    @classmethod
    def create(cls, workload_name: str, params: Mapping[str, Any], inputs: Mapping[str, Any]) -> Job:
        """The job of running ``workload_name`` on ``inputs``: normalizes the parameters through
        the workload, hashes the inputs and counts the chunks."""
        workload = get_workload(workload_name)
        if not isinstance(inputs, Mapping):
            raise InvalidInputError("inputs must be a mapping of name -> bytes-like or numpy array")
        norm = workload.normalize_params(params)
        return cls(workload_name, norm, workload.input_digests(norm, inputs), workload.chunk_count(norm, inputs))

    @property
    def job_id(self) -> bytes:
        """The 32-byte identifier of this job: its :meth:`digest`."""
        return self.digest()

    def get_workload(self) -> Workload:
        """The registered workload this job names."""
        return get_workload(self.workload)

    def check_inputs(self, inputs: Mapping[str, Any]) -> None:
        """Raise :class:`InvalidInputError` unless ``inputs`` are exactly this job's inputs."""
        if not isinstance(inputs, Mapping):
            raise InvalidInputError("inputs must be a mapping of name -> bytes-like or numpy array")
        if set(inputs) != set(self.input_digests):
            raise InvalidInputError(
                f"inputs are named {sorted(inputs)}, the job's inputs are {sorted(self.input_digests)}"
            )
        got = self.get_workload().input_digests(dict(self.params), inputs)
        for name, digest in self.input_digests.items():
            if got.get(name) != digest:
                raise InvalidInputError(f"input {name!r} does not match the job's input digest")


# ---------------------------------------------------------------------------------------------
# Commitment


@dataclass(frozen=True)
class Commitment(_Signed):
    """A provider's signed Merkle root over the canonical outputs of every chunk of one job.

    Leaf ``i`` of the tree is the output of chunk ``i``; the tree is RFC 6962 (the only
    ``tree_mode``: a commitment an adversary can attack needs domain-separated hashing).
    """

    job_id: bytes
    provider_key: bytes
    n_chunks: int
    tree_mode: str
    root: bytes
    signature: bytes

    TYPE: ClassVar[int] = TYPE_COMMITMENT
    KIND: ClassVar[str] = "commitment"
    FIELDS: ClassVar[_Fields] = (
        ("job_id", _HASH),
        ("provider_key", _KEY),
        ("n_chunks", _COUNT),
        ("tree_mode", _Enum(TREE_MODES, "tree mode")),
        ("root", _HASH),
        ("signature", _SIGNATURE),
    )

    @classmethod
    def create(cls, identity: Identity, job: Job, root: bytes, *, tree_mode: str = "rfc6962") -> Commitment:
        """The commitment of ``identity`` to ``root`` as the tree of ``job``'s outputs, signed."""
        if not isinstance(job, Job):
            raise InvalidInputError(f"job must be a Job, not {type(job).__name__}")
        unsigned = cls(job.job_id, _key_of(identity), job.n_chunks, tree_mode, root, _NO_SIGNATURE)
        return unsigned.signed(identity)

    def verify_signature(self) -> None:
        """Raise :class:`VerificationError` unless the provider named inside signed this."""
        self._check_signature(self.provider_key)

    def check_binding(self, job: Job) -> None:
        """Raise :class:`VerificationError` unless this commits to ``job`` (id and chunk count)."""
        if self.job_id != job.job_id:
            raise VerificationError("commitment is for another job (job_id differs)")
        if self.n_chunks != job.n_chunks:
            raise VerificationError(f"commitment has {self.n_chunks} chunks, the job {job.n_chunks}")


# ---------------------------------------------------------------------------------------------
# Challenge


@dataclass(frozen=True)
class Challenge(_Signed):
    """A verifier's signed choice of which chunks of a commitment to open, made after it.

    ``indices`` are ``derive_indices(seed, n_chunks, len(indices))`` and chunk ``i`` is checked
    with ``check_seeds[k] = probe_seed(seed, i)``. ``method`` says where the seed came from:
    ``"interactive"`` (the verifier's CSPRNG) or ``"beacon"`` (``seed = beacon_seed(beacon,
    commitment_digest)``, so anyone can re-derive it). ``nonce`` makes every challenge unique,
    so an answer to one can never be replayed as the answer to another.
    """

    job_id: bytes
    commitment_digest: bytes
    n_chunks: int
    method: str
    beacon: bytes
    seed: bytes
    nonce: bytes
    verifier_key: bytes
    indices: tuple[int, ...]
    check_seeds: tuple[bytes, ...]
    signature: bytes

    TYPE: ClassVar[int] = TYPE_CHALLENGE
    KIND: ClassVar[str] = "challenge"
    FIELDS: ClassVar[_Fields] = (
        ("job_id", _HASH),
        ("commitment_digest", _HASH),
        ("n_chunks", _COUNT),
        ("method", _Enum(CHALLENGE_METHODS, "challenge method")),
        ("beacon", _Bytes(_U16, MAX_BEACON)),
        ("seed", _HASH),
        ("nonce", _HASH),
        ("verifier_key", _KEY),
        ("indices", _List(_U32, _U64, MAX_OPENED, "index")),
        ("check_seeds", _List("indices", _HASH, MAX_OPENED, "check seed")),  # one count for both
        ("signature", _SIGNATURE),
    )

    def _validate(self) -> None:
        if self.method == "beacon" and not self.beacon:
            raise InvalidInputError(f"a beacon challenge needs a beacon of 1-{MAX_BEACON} bytes")
        if self.method == "interactive" and self.beacon:
            raise InvalidInputError("an interactive challenge has no beacon")
        indices = self.indices
        if not indices:
            raise InvalidInputError(f"a challenge opens 1-{MAX_OPENED} chunks, got 0")
        if any(b <= a for a, b in itertools.pairwise(indices)):
            raise InvalidInputError("challenge indices must be strictly increasing")
        if indices[-1] >= self.n_chunks:
            raise InvalidInputError(f"challenge index {indices[-1]} is out of range for {self.n_chunks} chunks")
        if len(self.check_seeds) != len(indices):
            raise InvalidInputError(f"{len(indices)} indices but {len(self.check_seeds)} check seeds")

    @classmethod
    def create(
        cls,
        identity: Identity,
        commitment: Commitment,
        *,
        samples: int,
        nonce: bytes,
        seed: bytes | None = None,
        beacon: bytes | None = None,
    ) -> Challenge:
        """A signed challenge opening ``samples`` chunks of ``commitment``.

        Give exactly one of ``seed`` (32 fresh random bytes: an interactive challenge) and
        ``beacon`` (public randomness published after the commitment: the seed is
        ``beacon_seed(beacon, commitment.digest())``).
        """
        if not isinstance(commitment, Commitment):
            raise InvalidInputError(f"commitment must be a Commitment, not {type(commitment).__name__}")
        if (seed is None) == (beacon is None):
            raise InvalidInputError("give exactly one of seed (interactive) and beacon")
        n = commitment.n_chunks
        k = as_int(samples, "samples", minimum=1, maximum=min(n, MAX_OPENED))
        if beacon is not None:
            method, beacon_bytes = "beacon", as_bytes(beacon, "beacon")
            draw = beacon_seed(beacon_bytes, commitment.digest())
        else:
            method, beacon_bytes, draw = "interactive", b"", as_hash(seed, "seed")
        indices = tuple(derive_indices(draw, n, k))
        unsigned = cls(
            commitment.job_id, commitment.digest(), n, method, beacon_bytes, draw, nonce, _key_of(identity),
            indices, tuple(probe_seed(draw, i) for i in indices), _NO_SIGNATURE,
        )
        return unsigned.signed(identity)

    def verify_signature(self) -> None:
        """Raise :class:`VerificationError` unless the verifier named inside signed this."""
        self._check_signature(self.verifier_key)

    def check_binding(self, commitment: Commitment) -> None:
        """Raise :class:`VerificationError` unless this challenges ``commitment`` and its
        indices and check seeds are derived from its seed as the protocol says."""
        if self.job_id != commitment.job_id:
            raise VerificationError("challenge is for another job (job_id differs)")
        if self.commitment_digest != commitment.digest():
            raise VerificationError("challenge names another commitment (commitment digest differs)")
        if self.n_chunks != commitment.n_chunks:
            raise VerificationError("challenge and commitment disagree on the chunk count")
        self.check_derivation()

    def check_derivation(self) -> None:
        """Raise :class:`VerificationError` unless seed, indices and check seeds are derived as specified."""
        if self.method == "beacon" and self.seed != beacon_seed(self.beacon, self.commitment_digest):
            raise VerificationError("challenge seed is not beacon_seed(beacon, commitment digest)")
        if tuple(derive_indices(self.seed, self.n_chunks, len(self.indices))) != self.indices:
            raise VerificationError("challenge indices are not derive_indices(seed, n_chunks, samples)")
        if any(probe_seed(self.seed, i) != s for i, s in zip(self.indices, self.check_seeds)):
            raise VerificationError("challenge check seeds are not probe_seed(seed, index)")


# ---------------------------------------------------------------------------------------------
# SpotCheckProof


@dataclass(frozen=True)
class SpotCheckProof(_Signed):
    """The provider's signed answer to one challenge: the opened chunk outputs, in index
    order, and one multiproof opening them all against the committed root."""

    challenge_digest: bytes
    outputs: tuple[bytes, ...]
    multiproof: MultiProof
    signature: bytes

    TYPE: ClassVar[int] = TYPE_SPOT_CHECK_PROOF
    KIND: ClassVar[str] = "spot_check_proof"
    FIELDS: ClassVar[_Fields] = (
        ("challenge_digest", _HASH),
        ("outputs", _List(_U32, _Bytes(_U32, MAX_CHUNK_OUTPUT), MAX_OPENED, "output")),
        ("multiproof", _MultiProofField()),
        ("signature", _SIGNATURE),
    )

    def _validate(self) -> None:
        if not self.outputs:
            raise InvalidInputError(f"a proof opens 1-{MAX_OPENED} chunks, got 0")
        if len(self.multiproof.indices) != len(self.outputs):
            raise InvalidInputError(
                f"the multiproof opens {len(self.multiproof.indices)} leaves but {len(self.outputs)} outputs are given"
            )

    @classmethod
    def create(
        cls, identity: Identity, challenge: Challenge, outputs: Any, multiproof: MultiProof
    ) -> SpotCheckProof:
        """The signed answer of ``identity`` to ``challenge``."""
        if not isinstance(challenge, Challenge):
            raise InvalidInputError(f"challenge must be a Challenge, not {type(challenge).__name__}")
        return cls(challenge.digest(), tuple(outputs), multiproof, _NO_SIGNATURE).signed(identity)

    def verify_signature(self, provider_key: bytes) -> None:
        """Raise :class:`VerificationError` unless ``provider_key`` signed this."""
        self._check_signature(_fixed(provider_key, KEY_SIZE, "provider_key"))

    def check_binding(self, challenge: Challenge) -> None:
        """Raise :class:`VerificationError` unless this answers ``challenge`` (by digest)."""
        if self.challenge_digest != challenge.digest():
            raise VerificationError("proof answers another challenge (challenge digest differs)")

    def verify_openings(self, commitment: Commitment, challenge: Challenge) -> dict[int, tuple[bytes, bytes]]:
        """Check the multiproof against the committed root; return ``{index: (output, check_seed)}``.

        Costs one leaf hash per opened chunk and the multiproof's hashes: proportional to the
        samples, never to the job.
        """
        mp = self.multiproof
        if mp.tree_size != commitment.n_chunks:
            raise VerificationError(
                f"proof's tree has {mp.tree_size} leaves, the commitment {commitment.n_chunks}"
            )
        if mp.indices != challenge.indices:
            raise VerificationError("proof opens other chunks than the challenge asked for")
        # every leaf hash in one kernel call
        hashes = _leaf_hashes(list(self.outputs), _bindings.mode_id("rfc6962"), _bindings.default_threads()).tobytes()
        leaves = {i: hashes[HASH_SIZE * k : HASH_SIZE * (k + 1)] for k, i in enumerate(mp.indices)}
        try:
            verify_multiproof(proof=mp, leaf_hashes=leaves, root=commitment.root, tree_size=commitment.n_chunks)
        except VerificationError as exc:
            raise VerificationError(f"opened chunks do not match the committed root ({exc})") from None
        return {i: (out, seed) for i, out, seed in zip(mp.indices, self.outputs, challenge.check_seeds)}


# ---------------------------------------------------------------------------------------------
# Verdict


@dataclass(frozen=True)
class Verdict(_Signed):
    """The verifier's signed decision about one spot check.

    ``detection_probability`` is the probability that this check would have caught a
    provider that got a ``bad_fraction`` of the chunks wrong; ``soundness`` says it in words.
    An accepted verdict has no reasons, a rejected one at least one. The four digests name
    the job, commitment, challenge and proof the verdict is about.
    """

    accepted: bool
    reasons: tuple[str, ...]
    bad_fraction: float
    detection_probability: float
    soundness: str
    job_id: bytes
    commitment_digest: bytes
    challenge_digest: bytes
    proof_digest: bytes
    verifier_key: bytes
    signature: bytes

    TYPE: ClassVar[int] = TYPE_VERDICT
    KIND: ClassVar[str] = "verdict"
    FIELDS: ClassVar[_Fields] = (  # the encoding's order, not the constructor's
        ("accepted", _Bool()),
        ("job_id", _HASH),
        ("commitment_digest", _HASH),
        ("challenge_digest", _HASH),
        ("proof_digest", _HASH),
        ("bad_fraction", _Probability()),
        ("detection_probability", _Probability()),
        ("soundness", _Text(_U16, MAX_TEXT)),
        ("reasons", _List(_U16, _Text(_U16, MAX_TEXT), MAX_REASONS, "reason")),
        ("verifier_key", _KEY),
        ("signature", _SIGNATURE),
    )

    def _validate(self) -> None:
        if self.accepted == bool(self.reasons):
            raise InvalidInputError("an accepted verdict has no reasons; a rejected one needs at least one")

    def verify_signature(self) -> None:
        """Raise :class:`VerificationError` unless the verifier named inside signed this."""
        self._check_signature(self.verifier_key)


# ---------------------------------------------------------------------------------------------
# Checking a whole exchange


def verify_exchange(
    job: Job, commitment: Commitment, challenge: Challenge, proof: SpotCheckProof
) -> dict[int, tuple[bytes, bytes]]:
    """Check everything about one spot check except the chunks themselves.

    In order: the three signatures (commitment by its provider, challenge by its verifier,
    proof by the commitment's provider), the bindings (commitment -> job, challenge ->
    commitment with its derivation, proof -> challenge) and the multiproof against the
    committed root. Returns ``{index: (opened output, check seed)}``; raises
    :class:`VerificationError` naming the first check that fails.
    """
    for value, cls in ((job, Job), (commitment, Commitment), (challenge, Challenge), (proof, SpotCheckProof)):
        if not isinstance(value, cls):
            raise InvalidInputError(f"expected a {cls.__name__}, not {type(value).__name__}")
    commitment.verify_signature()
    challenge.verify_signature()
    proof.verify_signature(commitment.provider_key)
    commitment.check_binding(job)
    challenge.check_binding(commitment)
    proof.check_binding(challenge)
    return proof.verify_openings(commitment, challenge)


# ---------------------------------------------------------------------------------------------
# FraudProof

_ARRAY_MAGIC = b"VFAR\x01"
_ARRAY_KINDS = frozenset("biufc")
#: Platform-dependent dtypes (x87 long double) that decode on one machine and not another.
_NOT_PORTABLE = frozenset({"<f16", "<c32"})
MAX_NDIM = 32


def _array_payload(arr: np.ndarray[Any, Any]) -> bytes:
    """The bytes :func:`verifiable.workloads.array_digest` hashes: a dtype/shape header, then data."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    if arr.dtype.kind not in _ARRAY_KINDS or arr.ndim > MAX_NDIM or arr.dtype.str in _NOT_PORTABLE:
        raise InvalidInputError(f"cannot embed an array of dtype {arr.dtype} and {arr.ndim} dimensions")
    dtype = arr.dtype.str.encode()
    header = _ARRAY_MAGIC + _u8(len(dtype)) + dtype + _u8(arr.ndim) + b"".join(_u64(d) for d in arr.shape)
    return header + arr.tobytes()


def _parse_array(data: bytes) -> np.ndarray[Any, Any]:
    r = _Reader(data, "embedded array")
    if r.take(len(_ARRAY_MAGIC)) != _ARRAY_MAGIC:
        raise DecodeError("embedded array: wrong header")
    code = r.take(r.u8())
    try:
        dtype = np.dtype(code.decode("ascii"))
    except (UnicodeDecodeError, TypeError, ValueError):
        raise DecodeError(f"embedded array: unknown dtype {code!r}") from None
    if (dtype.str.encode() != code or dtype.kind not in _ARRAY_KINDS or dtype.byteorder == ">"
            or dtype.str in _NOT_PORTABLE):
        raise DecodeError(f"embedded array: dtype {code!r} is not a canonical little-endian numeric dtype")
    ndim = r.u8()
    if ndim > MAX_NDIM:
        raise DecodeError(f"embedded array: {ndim} dimensions (limit {MAX_NDIM})")
    shape = tuple(r.u64() for _ in range(ndim))
    size = dtype.itemsize
    for d in shape:
        size *= d
    if size != r.remaining():
        raise DecodeError(f"embedded array: shape {shape} of {dtype} needs {size} bytes, {r.remaining()} present")
    return np.frombuffer(r.take(size), dtype=dtype).reshape(shape)


@dataclass(frozen=True)
class EmbeddedInput:
    """One job input carried inside a fraud proof, as the canonical bytes its digest covers.

    ``kind="bytes"``: the input's bytes. ``kind="array"``: the header and little-endian data
    that :func:`verifiable.workloads.array_digest` hashes, so ``SHA-256(data)`` is the
    input's digest either way.
    """

    kind: str
    data: bytes

    def __post_init__(self) -> None:
        if self.kind not in _INPUT_KINDS:
            raise InvalidInputError(f"input kind must be one of {sorted(_INPUT_KINDS)}, got {self.kind!r}")
        object.__setattr__(self, "data", as_bytes(self.data, "data"))
        if len(self.data) > MAX_EMBEDDED_INPUT:
            raise InvalidInputError(f"an embedded input has at most {MAX_EMBEDDED_INPUT} bytes")
        if self.kind == "array":
            _parse_array(self.data)

    @classmethod
    def of(cls, value: Any) -> EmbeddedInput:
        """Embed a job input: a numpy array or a bytes-like object."""
        if isinstance(value, np.ndarray):
            return cls("array", _array_payload(value))
        return cls("bytes", as_bytes(value, "input"))

    def value(self) -> Any:
        """The input again: ``bytes``, or a read-only numpy array."""
        return _parse_array(self.data) if self.kind == "array" else self.data


@dataclass(frozen=True)
class FraudFinding:
    """What a fraud proof proves: ``provider_key`` signed a wrong output for chunk ``index``."""

    provider_key: bytes
    job_id: bytes
    commitment_digest: bytes
    challenge_digest: bytes
    index: int
    reason: str


class _Embedded(_Codec):
    """An :class:`EmbeddedInput`: its kind (u8) and its data (u64 length, bytes)."""

    size = 9
    desc = "EmbeddedInputs"
    _KIND, _DATA = _Enum(_INPUT_KINDS, "input kind"), _Bytes(_U64, MAX_EMBEDDED_INPUT)

    def check(self, value: Any, name: str) -> EmbeddedInput:
        if not isinstance(value, EmbeddedInput):
            raise InvalidInputError(f"{name} must be an EmbeddedInput")
        return value

    def encode(self, value: EmbeddedInput) -> bytes:
        return self._KIND.encode(value.kind) + self._DATA.encode(value.data)

    def decode(self, r: _Reader, name: str, done: Mapping[str, Any]) -> EmbeddedInput:
        kind = self._KIND.decode(r, name, done)
        return EmbeddedInput(kind, self._DATA.decode(r, name, done))

    def to_json(self, value: EmbeddedInput) -> dict[str, str]:
        return {"kind": value.kind, "data": value.data.hex()}

    def from_json(self, value: Any, what: str, name: str) -> EmbeddedInput:
        if not isinstance(value, dict) or set(value) != {"kind", "data"}:
            raise DecodeError(f"{what} {name}: expected an object with keys ['data', 'kind']")
        kind = self._KIND.from_json(value["kind"], what, f"{name} kind")
        return EmbeddedInput(kind, self._DATA.from_json(value["data"], what, f"{name} data"))


@dataclass(frozen=True)
class FraudProof(_Message):
    """Self-contained evidence that a provider committed to, and signed, a wrong chunk.

    It holds the job, the provider's signed commitment, the verifier's signed challenge, the
    provider's signed proof, the failing chunk's index and every input of the job, embedded
    as canonical bytes (checked against the job's input digests). Anyone can re-check it with
    :func:`verify_fraud_proof`, trusting nobody. Size: the four messages plus the job's
    inputs in full (a job whose workload needs no inputs, like a hash chain, costs nothing
    more; a chunk_digest job carries its whole data input).
    """

    job: Job
    commitment: Commitment
    challenge: Challenge
    proof: SpotCheckProof
    index: int
    inputs: Mapping[str, EmbeddedInput]

    TYPE: ClassVar[int] = TYPE_FRAUD_PROOF
    KIND: ClassVar[str] = "fraud_proof"
    FIELDS: ClassVar[_Fields] = (  # the encoding's order, not the constructor's
        ("index", _U64),
        ("job", _Nested(Job, _U32)),
        ("commitment", _Nested(Commitment, _U32)),
        ("challenge", _Nested(Challenge, _U32)),
        ("proof", _Nested(SpotCheckProof, _U64)),
        ("inputs", _Names(_Embedded(), MAX_INPUTS, "input")),
    )

    def __hash__(self) -> int:
        return hash(self.digest())

    @classmethod
    def create(
        cls, job: Job, commitment: Commitment, challenge: Challenge, proof: SpotCheckProof, index: int,
        inputs: Mapping[str, Any],
    ) -> FraudProof:
        """A fraud proof against chunk ``index``, embedding the job's inputs from ``inputs``."""
        if not isinstance(job, Job):
            raise InvalidInputError(f"job must be a Job, not {type(job).__name__}")
        missing = sorted(set(job.input_digests) - set(inputs))
        if missing:
            raise InvalidInputError(f"inputs {missing} of the job are missing")
        embedded = {name: EmbeddedInput.of(inputs[name]) for name in job.input_digests}
        return cls(job, commitment, challenge, proof, index, embedded)

    def input_values(self) -> dict[str, Any]:
        """The embedded inputs as bytes or numpy arrays, by name."""
        return {name: item.value() for name, item in self.inputs.items()}


def verify_fraud_proof(fraud_proof: FraudProof) -> FraudFinding:
    """Re-check a fraud proof from scratch; return what it proves or raise :class:`VerificationError`.

    Trusts nobody, in particular not the verifier who made it: checks every signature and
    binding and the multiproof (:func:`verify_exchange`), that the job's parameters are the
    workload's canonical ones, that the embedded inputs are the job's (by digest) and give
    its chunk count, and finally that the opened output of the accused chunk fails the
    workload's check, run with the challenge's check seed for that chunk (so a probabilistic
    check is reproducible). A check that passes means no fraud: VerificationError.
    """
    if not isinstance(fraud_proof, FraudProof):
        raise InvalidInputError(f"expected a FraudProof, not {type(fraud_proof).__name__}")
    fp = fraud_proof
    try:
        openings = verify_exchange(fp.job, fp.commitment, fp.challenge, fp.proof)
    except VerificationError as exc:
        raise VerificationError(f"fraud proof does not convict: {exc}") from None
    if fp.index not in openings:
        raise VerificationError(f"fraud proof does not convict: chunk {fp.index} was not opened")
    try:
        workload = fp.job.get_workload()
        params = dict(fp.job.params)
        if workload.normalize_params(params) != params:
            raise VerificationError("the job's parameters are not the workload's canonical form")
        inputs = fp.input_values()
        if set(inputs) != set(fp.job.input_digests):
            raise VerificationError(
                f"embedded inputs {sorted(inputs)} are not the job's inputs {sorted(fp.job.input_digests)}"
            )
        digests = workload.input_digests(params, inputs)
        if any(digests.get(k) != v for k, v in fp.job.input_digests.items()):
            raise VerificationError("an embedded input does not match the job's input digest")
        if workload.chunk_count(params, inputs) != fp.job.n_chunks:
            raise VerificationError("the embedded inputs do not give the job's chunk count")
    except (VerificationError, InvalidInputError) as exc:
        raise VerificationError(f"fraud proof does not convict: {exc}") from None
    output, seed = openings[fp.index]
    try:
        workload.check(params, inputs, fp.index, output, seed=seed)
    except (VerificationError, InvalidInputError) as exc:
        return FraudFinding(
            fp.commitment.provider_key, fp.job.job_id, fp.commitment.digest(), fp.challenge.digest(),
            fp.index, str(exc),
        )
    raise VerificationError(f"fraud proof does not convict: chunk {fp.index} passes its check")


# ---------------------------------------------------------------------------------------------
# EquivocationProof


@dataclass(frozen=True)
class EquivocationProof(_Message):
    """Two commitments one provider signed for the same job with different roots.

    The pair is kept in canonical order (by encoding), so one pair has one encoding.
    """

    first: Commitment
    second: Commitment

    TYPE: ClassVar[int] = TYPE_EQUIVOCATION_PROOF
    KIND: ClassVar[str] = "equivocation_proof"
    FIELDS: ClassVar[_Fields] = (("first", _Nested(Commitment, _U32)), ("second", _Nested(Commitment, _U32)))

    def _validate(self) -> None:
        a, b = self.first, self.second
        if a.to_bytes() == b.to_bytes():
            raise InvalidInputError("an equivocation proof needs two different commitments")
        if b.to_bytes() < a.to_bytes():
            object.__setattr__(self, "first", b)
            object.__setattr__(self, "second", a)

    @classmethod
    def _check_canonical(cls, fields: Mapping[str, Any], what: str) -> None:
        if not fields["first"].to_bytes() < fields["second"].to_bytes():
            raise DecodeError(f"{what}: the two commitments must be in increasing byte order")


def verify_equivocation(proof: EquivocationProof) -> bytes:
    """Check that one provider signed two different commitments to one job; return its key.

    Raises :class:`VerificationError` unless both signatures hold, the provider and job are
    the same, and the two commit to different trees (root or chunk count). Two signatures
    over the same commitment body are not equivocation.
    """
    if not isinstance(proof, EquivocationProof):
        raise InvalidInputError(f"expected an EquivocationProof, not {type(proof).__name__}")
    a, b = proof.first, proof.second
    a.verify_signature()
    b.verify_signature()
    if a.provider_key != b.provider_key:
        raise VerificationError("not an equivocation: the commitments are from different providers")
    if a.job_id != b.job_id:
        raise VerificationError("not an equivocation: the commitments are for different jobs")
    if (a.root, a.n_chunks, a.tree_mode) == (b.root, b.n_chunks, b.tree_mode):
        raise VerificationError("not an equivocation: both commit to the same tree")
    return a.provider_key
