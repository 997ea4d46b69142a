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
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

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


_u8, _u16, _u32, _u64, _f64 = _codec.u8, _codec.u16, _codec.u32, _codec.u64, _codec.f64


def _header(type_tag: int) -> bytes:
    return MAGIC + _u8(type_tag) + _u8(VERSION)


def _utf8(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise InvalidInputError(f"{what} must be a str, not {type(text).__name__}")
    try:
        return text.encode("utf-8", "strict")
    except UnicodeEncodeError:
        raise InvalidInputError(f"{what} is not encodable as UTF-8: {text!r}") from None


def _name_bytes(name: Any, what: str) -> bytes:
    raw = _utf8(name, what)
    if not 1 <= len(raw) <= MAX_NAME:
        raise InvalidInputError(f"{what} must be 1-{MAX_NAME} bytes of UTF-8, got {name!r}")
    return raw


def _text_bytes(text: Any, what: str, limit: int) -> bytes:
    raw = _utf8(text, what)
    if len(raw) > limit:
        raise InvalidInputError(f"{what} is {len(raw)} bytes of UTF-8, more than the limit {limit}")
    return raw


def _fixed(value: Any, size: int, name: str) -> bytes:
    raw = as_bytes(value, name)
    if len(raw) != size:
        raise InvalidInputError(f"{name} must be {size} bytes, got {len(raw)}")
    return raw


def _probability(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInputError(f"{name} must be a float, not {type(value).__name__}")
    v = float(value)
    if not 0.0 <= v <= 1.0 or math.isnan(v):
        raise InvalidInputError(f"{name} must be in [0, 1], got {value!r}")
    return v + 0.0  # turns -0.0 into 0.0


def _int_magnitude(v: int) -> bytes:
    return v.to_bytes((v.bit_length() + 7) // 8, "big")


class _Reader(_codec.Reader):
    """The shared strict reader plus the field kinds the protocol messages use."""

    __slots__ = ()

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def f64(self) -> float:
        return float(struct.unpack(">d", self.take(8))[0])

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

    def name(self, what: str) -> str:
        n = self.u8()
        if n == 0:
            raise DecodeError(f"{self._what}: empty {what}")
        return self.text(self.take(n), what)

    def text(self, raw: bytes, what: str) -> str:
        try:
            return raw.decode("utf-8", "strict")
        except UnicodeDecodeError:
            raise DecodeError(f"{self._what}: {what} is not valid UTF-8") from None

    def boolean(self, what: str) -> bool:
        v = self.u8()
        if v > 1:
            raise DecodeError(f"{self._what}: {what} must be 0 or 1, got {v}")
        return v == 1

    def enum(self, table: Mapping[str, int], what: str) -> str:
        v = self.u8()
        for key, code in table.items():
            if code == v:
                return key
        raise DecodeError(f"{self._what}: unknown {what} {v}")


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


def _jint(obj: dict[str, Any], key: str, what: str) -> int:
    return _codec.json_int(obj, key, what)


def _jhex(obj: dict[str, Any], key: str, what: str, size: int | None = None) -> bytes:
    return _codec.json_hex(obj[key], f"{what} {key}", size)


def _jstr(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise DecodeError(f"{what}: expected a string")
    return value


def _jlist(obj: dict[str, Any], key: str, what: str, limit: int) -> list[Any]:
    items = _codec.json_list(obj, key, what)
    if len(items) > limit:
        raise DecodeError(f"{what}: {key} has {len(items)} items, more than the limit {limit}")
    return items


def _jfloat(obj: dict[str, Any], key: str, what: str) -> float:
    v = obj[key]
    if not isinstance(v, float):
        raise DecodeError(f"{what}: {key} must be a JSON number with a fraction or exponent")
    return v


def _jdict(obj: dict[str, Any], key: str, what: str, limit: int) -> dict[str, Any]:
    v = obj[key]
    if not isinstance(v, dict):
        raise DecodeError(f"{what}: {key} must be an object")
    if len(v) > limit:
        raise DecodeError(f"{what}: {key} has {len(v)} entries, more than the limit {limit}")
    return v


# ---------------------------------------------------------------------------------------------
# The common base

class _Message:
    """Shared machinery: cached encoding, digest, strict decoding, JSON plumbing."""

    TYPE: ClassVar[int]
    KIND: ClassVar[str]
    NAME: ClassVar[str]

    def _encode(self) -> bytes:
        raise NotImplementedError

    @classmethod
    def _decode(cls, r: _Reader) -> Self:
        raise NotImplementedError

    def _obj(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def _from_obj(cls, obj: Any, what: str) -> Self:
        raise NotImplementedError

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

    DOMAIN: ClassVar[bytes]
    signature: bytes

    def _body(self) -> bytes:
        raise NotImplementedError

    def body(self) -> bytes:
        """The signed part of the encoding: every byte before the signature."""
        return self.to_bytes()[:-SIGNATURE_SIZE]

    def _encode(self) -> bytes:
        return self._body() + self.signature

    def _check_signature(self, public_key: bytes) -> None:
        try:
            verify_signature(public_key, self.DOMAIN, self.body(), self.signature)
        except VerificationError as exc:
            raise VerificationError(f"{self.NAME}: bad signature ({exc})") from None


def _sign(identity: Identity, domain: bytes, body: bytes) -> bytes:
    if not isinstance(identity, Identity):
        raise InvalidInputError(f"expected an Identity to sign with, not {type(identity).__name__}")
    return identity.sign(domain, body)


_NO_SIGNATURE = bytes(SIGNATURE_SIZE)


# ---------------------------------------------------------------------------------------------
# Job


def _check_param(key: Any, value: Any) -> tuple[str, ParamValue]:
    _name_bytes(key, "parameter name")
    if isinstance(value, bool):
        raise InvalidInputError(f"parameter {key!r}: bool is not a parameter type (use an int)")
    if isinstance(value, int):
        if len(_int_magnitude(abs(value))) > MAX_INT_BYTES:
            raise InvalidInputError(f"parameter {key!r}: |value| must be below 2^{8 * MAX_INT_BYTES}")
        return key, int(value)
    if isinstance(value, str):
        _text_bytes(value, f"parameter {key!r}", MAX_PARAM_VALUE)
        return key, value
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = as_bytes(value, f"parameter {key!r}")
        if len(raw) > MAX_PARAM_VALUE:
            raise InvalidInputError(f"parameter {key!r}: more than {MAX_PARAM_VALUE} bytes")
        return key, raw
    raise InvalidInputError(f"parameter {key!r} must be an int, str or bytes, not {type(value).__name__}")


def _encode_param(value: ParamValue) -> bytes:
    if isinstance(value, int):
        mag = _int_magnitude(abs(value))
        return _u8(1 if value >= 0 else 2) + _u8(len(mag)) + mag
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _u8(3) + _u32(len(raw)) + raw
    return _u8(4) + _u32(len(value)) + value


def _decode_param(r: _Reader, key: str) -> ParamValue:
    tag = r.u8()
    if tag in (1, 2):
        n = r.u8()
        if n > MAX_INT_BYTES:
            raise DecodeError(f"Job: parameter {key!r} has a {n}-byte integer (limit {MAX_INT_BYTES})")
        mag = r.take(n)
        if n and mag[0] == 0:
            raise DecodeError(f"Job: parameter {key!r} is a non-minimal integer (leading zero byte)")
        if tag == 2 and n == 0:
            raise DecodeError(f"Job: parameter {key!r} is a negative zero")
        v = int.from_bytes(mag, "big")
        return v if tag == 1 else -v
    if tag == 3:
        return r.text(r.blob(r.u32(), MAX_PARAM_VALUE, "parameter"), f"parameter {key!r}")
    if tag == 4:
        return r.blob(r.u32(), MAX_PARAM_VALUE, "parameter")
    raise DecodeError(f"Job: parameter {key!r} has unknown type tag {tag}")


def _param_json(value: ParamValue) -> dict[str, str]:
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, str):
        return {"str": value}
    return {"bytes": value.hex()}


def _param_from_json(value: Any, what: str) -> ParamValue:
    if not isinstance(value, dict) or len(value) != 1:
        raise DecodeError(f"{what}: a parameter must be one of {{'int'|'str'|'bytes': value}}")
    ((kind, v),) = value.items()
    if kind == "int":
        if not isinstance(v, str) or len(v) > 80 or not _DECIMAL.fullmatch(v):
            raise DecodeError(f"{what}: an int parameter is a canonical decimal string, got {v!r}")
        return int(v)
    if kind == "str":
        return _jstr(v, what)
    if kind == "bytes":
        return _codec.json_hex(v, what)
    raise DecodeError(f"{what}: unknown parameter kind {kind!r}")


def _sorted_names(mapping: Mapping[str, Any], what: str) -> list[str]:
    """The keys of ``mapping`` in encoding order (by UTF-8 bytes, which is code point order)."""
    for key in mapping:
        _name_bytes(key, what)
    return sorted(mapping)


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
    NAME: ClassVar[str] = "Job"

    def __post_init__(self) -> None:
        if not isinstance(self.workload, str) or not _WORKLOAD_NAME.fullmatch(self.workload):
            raise InvalidInputError(f"workload name {self.workload!r} is not a valid workload name")
        if not isinstance(self.params, Mapping):
            raise InvalidInputError("params must be a mapping of name -> int | str | bytes")
        if len(self.params) > MAX_PARAMS:
            raise InvalidInputError(f"a job has at most {MAX_PARAMS} parameters")
        params = dict(_check_param(k, self.params[k]) for k in _sorted_names(self.params, "parameter name"))
        if not isinstance(self.input_digests, Mapping):
            raise InvalidInputError("input_digests must be a mapping of name -> 32-byte digest")
        if len(self.input_digests) > MAX_INPUTS:
            raise InvalidInputError(f"a job has at most {MAX_INPUTS} inputs")
        digests = {
            k: as_hash(self.input_digests[k], f"input_digests[{k!r}]")
            for k in _sorted_names(self.input_digests, "input name")
        }
        object.__setattr__(self, "params", MappingProxyType(params))
        object.__setattr__(self, "input_digests", MappingProxyType(digests))
        object.__setattr__(self, "n_chunks", as_int(self.n_chunks, "n_chunks", minimum=1))

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

    def _encode(self) -> bytes:
        name = self.workload.encode("ascii")
        parts = [_header(self.TYPE), _u8(len(name)), name, _u16(len(self.params))]
        for key, value in self.params.items():
            raw = key.encode("utf-8")
            parts += [_u8(len(raw)), raw, _encode_param(value)]
        parts.append(_u16(len(self.input_digests)))
        for key, digest in self.input_digests.items():
            raw = key.encode("utf-8")
            parts += [_u8(len(raw)), raw, digest]
        parts.append(_u64(self.n_chunks))
        return b"".join(parts)

    @classmethod
    def _decode(cls, r: _Reader) -> Job:
        workload = r.text(r.take(r.u8()), "workload name")
        n_params = r.count(r.u16(), 3, MAX_PARAMS, "parameter")
        params: dict[str, ParamValue] = {}
        last = b""
        for _ in range(n_params):
            key = r.name("parameter name")
            raw = key.encode("utf-8")
            if params and raw <= last:
                raise DecodeError("Job: parameter names must be strictly increasing (sorted, no duplicates)")
            last = raw
            params[key] = _decode_param(r, key)
        n_inputs = r.count(r.u16(), 2 + HASH_SIZE, MAX_INPUTS, "input")
        digests: dict[str, bytes] = {}
        last = b""
        for _ in range(n_inputs):
            key = r.name("input name")
            raw = key.encode("utf-8")
            if digests and raw <= last:
                raise DecodeError("Job: input names must be strictly increasing (sorted, no duplicates)")
            last = raw
            digests[key] = r.take(HASH_SIZE)
        return cls(workload, params, digests, r.u64())

    def _obj(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "params": {k: _param_json(v) for k, v in self.params.items()},
            "input_digests": {k: v.hex() for k, v in self.input_digests.items()},
            "n_chunks": self.n_chunks,
        }

    @classmethod
    def _from_obj(cls, obj: Any, what: str) -> Job:
        obj = _json_fields(obj, what, cls.KIND, {"workload", "params", "input_digests", "n_chunks"})
        params = _jdict(obj, "params", what, MAX_PARAMS)
        inputs = _jdict(obj, "input_digests", what, MAX_INPUTS)
        return cls(
            _jstr(obj["workload"], what),
            {k: _param_from_json(v, f"{what} params[{k!r}]") for k, v in params.items()},
            {k: _codec.json_hex(v, f"{what} input_digests[{k!r}]", HASH_SIZE) for k, v in inputs.items()},
            _jint(obj, "n_chunks", what),
        )


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
    NAME: ClassVar[str] = "Commitment"
    DOMAIN: ClassVar[bytes] = DOMAINS["commitment"]

    def __post_init__(self) -> None:
        object.__setattr__(self, "job_id", as_hash(self.job_id, "job_id"))
        object.__setattr__(self, "provider_key", _fixed(self.provider_key, KEY_SIZE, "provider_key"))
        object.__setattr__(self, "n_chunks", as_int(self.n_chunks, "n_chunks", minimum=1))
        if self.tree_mode not in TREE_MODES:
            raise InvalidInputError(f"tree_mode must be one of {sorted(TREE_MODES)}, got {self.tree_mode!r}")
        object.__setattr__(self, "root", as_hash(self.root, "root"))
        object.__setattr__(self, "signature", _fixed(self.signature, SIGNATURE_SIZE, "signature"))

    @classmethod
    def create(cls, identity: Identity, job: Job, root: bytes, *, tree_mode: str = "rfc6962") -> Commitment:
        """The commitment of ``identity`` to ``root`` as the tree of ``job``'s outputs, signed."""
        if not isinstance(job, Job):
            raise InvalidInputError(f"job must be a Job, not {type(job).__name__}")
        unsigned = cls(job.job_id, _key_of(identity), job.n_chunks, tree_mode, root, _NO_SIGNATURE)
        return unsigned.signed(identity)

    def signed(self, identity: Identity) -> Commitment:
        """This commitment with its signature (re)made by ``identity``."""
        return _replace_signature(self, _sign(identity, self.DOMAIN, self._body()))

    def verify_signature(self) -> None:
        """Raise :class:`VerificationError` unless the provider named inside signed this."""
        self._check_signature(self.provider_key)

    def check_binding(self, job: Job) -> None:
        """Raise :class:`VerificationError` unless this commits to ``job`` (id and chunk count)."""
        if self.job_id != job.job_id:
            raise VerificationError("commitment is for another job (job_id differs)")
        if self.n_chunks != job.n_chunks:
            raise VerificationError(f"commitment has {self.n_chunks} chunks, the job {job.n_chunks}")

    def _body(self) -> bytes:
        return b"".join(
            [_header(self.TYPE), self.job_id, self.provider_key, _u64(self.n_chunks),
             _u8(TREE_MODES[self.tree_mode]), self.root]
        )

    @classmethod
    def _decode(cls, r: _Reader) -> Commitment:
        job_id, key, n = r.take(HASH_SIZE), r.take(KEY_SIZE), r.u64()
        mode = r.enum(TREE_MODES, "tree mode")
        return cls(job_id, key, n, mode, r.take(HASH_SIZE), r.take(SIGNATURE_SIZE))

    def _obj(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id.hex(), "provider_key": self.provider_key.hex(), "n_chunks": self.n_chunks,
            "tree_mode": self.tree_mode, "root": self.root.hex(), "signature": self.signature.hex(),
        }

    @classmethod
    def _from_obj(cls, obj: Any, what: str) -> Commitment:
        obj = _json_fields(obj, what, cls.KIND, {"job_id", "provider_key", "n_chunks", "tree_mode", "root", "signature"})
        return cls(
            _jhex(obj, "job_id", what, HASH_SIZE), _jhex(obj, "provider_key", what, KEY_SIZE),
            _jint(obj, "n_chunks", what), _jstr(obj["tree_mode"], what), _jhex(obj, "root", what, HASH_SIZE),
            _jhex(obj, "signature", what, SIGNATURE_SIZE),
        )


_S = TypeVar("_S", bound=_Signed)


def _replace_signature(msg: _S, signature: bytes) -> _S:
    return dataclasses.replace(msg, signature=signature)  # type: ignore[type-var]


def _key_of(identity: Identity) -> bytes:
    if not isinstance(identity, Identity):
        raise InvalidInputError(f"expected an Identity, not {type(identity).__name__}")
    return bytes(identity.public_key)


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
    NAME: ClassVar[str] = "Challenge"
    DOMAIN: ClassVar[bytes] = DOMAINS["challenge"]

    def __post_init__(self) -> None:
        object.__setattr__(self, "job_id", as_hash(self.job_id, "job_id"))
        object.__setattr__(self, "commitment_digest", as_hash(self.commitment_digest, "commitment_digest"))
        n = as_int(self.n_chunks, "n_chunks", minimum=1)
        object.__setattr__(self, "n_chunks", n)
        if self.method not in CHALLENGE_METHODS:
            raise InvalidInputError(f"method must be one of {sorted(CHALLENGE_METHODS)}, got {self.method!r}")
        beacon = as_bytes(self.beacon, "beacon")
        if self.method == "beacon" and not 1 <= len(beacon) <= MAX_BEACON:
            raise InvalidInputError(f"a beacon challenge needs a beacon of 1-{MAX_BEACON} bytes")
        if self.method == "interactive" and beacon:
            raise InvalidInputError("an interactive challenge has no beacon")
        object.__setattr__(self, "beacon", beacon)
        object.__setattr__(self, "seed", as_hash(self.seed, "seed"))
        object.__setattr__(self, "nonce", as_hash(self.nonce, "nonce"))
        object.__setattr__(self, "verifier_key", _fixed(self.verifier_key, KEY_SIZE, "verifier_key"))
        indices = _index_tuple(self.indices, "indices")
        if not 1 <= len(indices) <= MAX_OPENED:
            raise InvalidInputError(f"a challenge opens 1-{MAX_OPENED} chunks, got {len(indices)}")
        if any(b <= a for a, b in itertools.pairwise(indices)):
            raise InvalidInputError("challenge indices must be strictly increasing")
        if indices[-1] >= n:
            raise InvalidInputError(f"challenge index {indices[-1]} is out of range for {n} chunks")
        object.__setattr__(self, "indices", indices)
        seeds = _hash_tuple(self.check_seeds, "check_seeds")
        if len(seeds) != len(indices):
            raise InvalidInputError(f"{len(indices)} indices but {len(seeds)} check seeds")
        object.__setattr__(self, "check_seeds", seeds)
        object.__setattr__(self, "signature", _fixed(self.signature, SIGNATURE_SIZE, "signature"))

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

    def signed(self, identity: Identity) -> Challenge:
        """This challenge with its signature (re)made by ``identity``."""
        return _replace_signature(self, _sign(identity, self.DOMAIN, self._body()))

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

    def _body(self) -> bytes:
        return b"".join(
            [_header(self.TYPE), self.job_id, self.commitment_digest, _u64(self.n_chunks),
             _u8(CHALLENGE_METHODS[self.method]), _u16(len(self.beacon)), self.beacon, self.seed, self.nonce,
             self.verifier_key, _u32(len(self.indices)), *(_u64(i) for i in self.indices), *self.check_seeds]
        )

    @classmethod
    def _decode(cls, r: _Reader) -> Challenge:
        job_id, cdigest, n = r.take(HASH_SIZE), r.take(HASH_SIZE), r.u64()
        method = r.enum(CHALLENGE_METHODS, "challenge method")
        beacon = r.blob(r.u16(), MAX_BEACON, "beacon")
        seed, nonce, key = r.take(HASH_SIZE), r.take(HASH_SIZE), r.take(KEY_SIZE)
        k = r.count(r.u32(), 8 + HASH_SIZE, MAX_OPENED, "index")
        indices = tuple(struct.unpack(f">{k}Q", r.take(8 * k)))
        seeds = r.hashes(k)
        return cls(job_id, cdigest, n, method, beacon, seed, nonce, key, indices, seeds, r.take(SIGNATURE_SIZE))

    def _obj(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id.hex(), "commitment_digest": self.commitment_digest.hex(),
            "n_chunks": self.n_chunks, "method": self.method, "beacon": self.beacon.hex(),
            "seed": self.seed.hex(), "nonce": self.nonce.hex(), "verifier_key": self.verifier_key.hex(),
            "indices": list(self.indices), "check_seeds": [s.hex() for s in self.check_seeds],
            "signature": self.signature.hex(),
        }

    @classmethod
    def _from_obj(cls, obj: Any, what: str) -> Challenge:
        keys = {"job_id", "commitment_digest", "n_chunks", "method", "beacon", "seed", "nonce", "verifier_key",
                "indices", "check_seeds", "signature"}
        obj = _json_fields(obj, what, cls.KIND, keys)
        indices = _jlist(obj, "indices", what, MAX_OPENED)
        if any(isinstance(i, bool) or not isinstance(i, int) for i in indices):
            raise DecodeError(f"{what}: indices must be integers")
        seeds = _jlist(obj, "check_seeds", what, MAX_OPENED)
        return cls(
            _jhex(obj, "job_id", what, HASH_SIZE), _jhex(obj, "commitment_digest", what, HASH_SIZE),
            _jint(obj, "n_chunks", what), _jstr(obj["method"], what), _jhex(obj, "beacon", what),
            _jhex(obj, "seed", what, HASH_SIZE), _jhex(obj, "nonce", what, HASH_SIZE),
            _jhex(obj, "verifier_key", what, KEY_SIZE), tuple(indices),
            tuple(_codec.json_hex(s, f"{what} check_seeds", HASH_SIZE) for s in seeds),
            _jhex(obj, "signature", what, SIGNATURE_SIZE),
        )


def _index_tuple(values: Any, name: str) -> tuple[int, ...]:
    if isinstance(values, (bytes, bytearray, str)) or not isinstance(values, (tuple, list)):
        raise InvalidInputError(f"{name} must be a tuple of ints")
    return tuple(as_int(v, f"{name}[{k}]") for k, v in enumerate(values))


def _hash_tuple(values: Any, name: str) -> tuple[bytes, ...]:
    if isinstance(values, (bytes, bytearray, str)) or not isinstance(values, (tuple, list)):
        raise InvalidInputError(f"{name} must be a tuple of 32-byte values")
    return tuple(as_hash(v, f"{name}[{k}]") for k, v in enumerate(values))


# ---------------------------------------------------------------------------------------------
# SpotCheckProof


def _multiproof_limit(k: int) -> int:
    # magic, version, tree_size, k, k indices, count, at most 64 siblings per index
    return 4 + 1 + 8 + 4 + 8 * k + 4 + HASH_SIZE * 64 * max(1, k)


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
    NAME: ClassVar[str] = "SpotCheckProof"
    DOMAIN: ClassVar[bytes] = DOMAINS["spot_check_proof"]

    def __post_init__(self) -> None:
        object.__setattr__(self, "challenge_digest", as_hash(self.challenge_digest, "challenge_digest"))
        if isinstance(self.outputs, (bytes, bytearray, str)) or not isinstance(self.outputs, (tuple, list)):
            raise InvalidInputError("outputs must be a tuple of bytes")
        outputs = tuple(as_bytes(o, f"outputs[{k}]") for k, o in enumerate(self.outputs))
        if not 1 <= len(outputs) <= MAX_OPENED:
            raise InvalidInputError(f"a proof opens 1-{MAX_OPENED} chunks, got {len(outputs)}")
        for k, o in enumerate(outputs):
            if len(o) > MAX_CHUNK_OUTPUT:
                raise InvalidInputError(f"outputs[{k}] is {len(o)} bytes, more than {MAX_CHUNK_OUTPUT}")
        object.__setattr__(self, "outputs", outputs)
        if not isinstance(self.multiproof, MultiProof):
            raise InvalidInputError(f"multiproof must be a MultiProof, not {type(self.multiproof).__name__}")
        if len(self.multiproof.indices) != len(outputs):
            raise InvalidInputError(
                f"the multiproof opens {len(self.multiproof.indices)} leaves but {len(outputs)} outputs are given"
            )
        object.__setattr__(self, "signature", _fixed(self.signature, SIGNATURE_SIZE, "signature"))

    @classmethod
    def create(
        cls, identity: Identity, challenge: Challenge, outputs: Any, multiproof: MultiProof
    ) -> SpotCheckProof:
        """The signed answer of ``identity`` to ``challenge``."""
        if not isinstance(challenge, Challenge):
            raise InvalidInputError(f"challenge must be a Challenge, not {type(challenge).__name__}")
        return cls(challenge.digest(), tuple(outputs), multiproof, _NO_SIGNATURE).signed(identity)

    def signed(self, identity: Identity) -> SpotCheckProof:
        """This proof with its signature (re)made by ``identity``."""
        return _replace_signature(self, _sign(identity, self.DOMAIN, self._body()))

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

    def _body(self) -> bytes:
        mp = self.multiproof.to_bytes()
        parts = [_header(self.TYPE), self.challenge_digest, _u32(len(self.outputs))]
        for out in self.outputs:
            parts += [_u32(len(out)), out]
        parts += [_u32(len(mp)), mp]
        return b"".join(parts)

    @classmethod
    def _decode(cls, r: _Reader) -> SpotCheckProof:
        cdigest = r.take(HASH_SIZE)
        k = r.count(r.u32(), 4, MAX_OPENED, "output")
        outputs = tuple(r.blob(r.u32(), MAX_CHUNK_OUTPUT, "output") for _ in range(k))
        mp = MultiProof.from_bytes(r.blob(r.u32(), _multiproof_limit(k), "multiproof"))
        return cls(cdigest, outputs, mp, r.take(SIGNATURE_SIZE))

    def _obj(self) -> dict[str, Any]:
        return {
            "challenge_digest": self.challenge_digest.hex(), "outputs": [o.hex() for o in self.outputs],
            "multiproof": json.loads(self.multiproof.to_json()), "signature": self.signature.hex(),
        }

    @classmethod
    def _from_obj(cls, obj: Any, what: str) -> SpotCheckProof:
        obj = _json_fields(obj, what, cls.KIND, {"challenge_digest", "outputs", "multiproof", "signature"})
        outputs = _jlist(obj, "outputs", what, MAX_OPENED)
        if not isinstance(obj["multiproof"], dict):
            raise DecodeError(f"{what}: multiproof must be an object")
        return cls(
            _jhex(obj, "challenge_digest", what, HASH_SIZE),
            tuple(_codec.json_hex(o, f"{what} outputs", None) for o in outputs),
            MultiProof.from_json(_codec.json_dumps(obj["multiproof"])),
            _jhex(obj, "signature", what, SIGNATURE_SIZE),
        )


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
    NAME: ClassVar[str] = "Verdict"
    DOMAIN: ClassVar[bytes] = DOMAINS["verdict"]

    def __post_init__(self) -> None:
        if not isinstance(self.accepted, bool):
            raise InvalidInputError("accepted must be a bool")
        if isinstance(self.reasons, (bytes, str)) or not isinstance(self.reasons, (tuple, list)):
            raise InvalidInputError("reasons must be a tuple of str")
        reasons = tuple(self.reasons)
        if len(reasons) > MAX_REASONS:
            raise InvalidInputError(f"a verdict has at most {MAX_REASONS} reasons")
        for k, reason in enumerate(reasons):
            _text_bytes(reason, f"reasons[{k}]", MAX_TEXT)
        if self.accepted == bool(reasons):
            raise InvalidInputError("an accepted verdict has no reasons; a rejected one needs at least one")
        object.__setattr__(self, "reasons", reasons)
        object.__setattr__(self, "bad_fraction", _probability(self.bad_fraction, "bad_fraction"))
        object.__setattr__(
            self, "detection_probability", _probability(self.detection_probability, "detection_probability")
        )
        _text_bytes(self.soundness, "soundness", MAX_TEXT)
        for name in ("job_id", "commitment_digest", "challenge_digest", "proof_digest"):
            object.__setattr__(self, name, as_hash(getattr(self, name), name))
        object.__setattr__(self, "verifier_key", _fixed(self.verifier_key, KEY_SIZE, "verifier_key"))
        object.__setattr__(self, "signature", _fixed(self.signature, SIGNATURE_SIZE, "signature"))

    def signed(self, identity: Identity) -> Verdict:
        """This verdict with its signature (re)made by ``identity``."""
        return _replace_signature(self, _sign(identity, self.DOMAIN, self._body()))

    def verify_signature(self) -> None:
        """Raise :class:`VerificationError` unless the verifier named inside signed this."""
        self._check_signature(self.verifier_key)

    def _body(self) -> bytes:
        parts = [_header(self.TYPE), _u8(int(self.accepted)), self.job_id, self.commitment_digest,
                 self.challenge_digest, self.proof_digest, _f64(self.bad_fraction),
                 _f64(self.detection_probability)]
        words = self.soundness.encode("utf-8")
        parts += [_u16(len(words)), words, _u16(len(self.reasons))]
        for reason in self.reasons:
            raw = reason.encode("utf-8")
            parts += [_u16(len(raw)), raw]
        parts.append(self.verifier_key)
        return b"".join(parts)

    @classmethod
    def _decode(cls, r: _Reader) -> Verdict:
        accepted = r.boolean("accepted")
        job_id, c_digest, ch_digest, p_digest = (r.take(HASH_SIZE) for _ in range(4))
        fraction, probability = r.f64(), r.f64()
        for v in (fraction, probability):
            if not 0.0 <= v <= 1.0 or math.copysign(1.0, v) < 0:
                raise DecodeError(f"Verdict: probability {v!r} is not in [0, 1] (or is a negative zero)")
        words = r.text(r.blob(r.u16(), MAX_TEXT, "soundness"), "soundness")
        n = r.count(r.u16(), 2, MAX_REASONS, "reason")
        reasons = tuple(r.text(r.blob(r.u16(), MAX_TEXT, "reason"), "reason") for _ in range(n))
        key = r.take(KEY_SIZE)
        return cls(accepted, reasons, fraction, probability, words, job_id, c_digest, ch_digest, p_digest, key,
                   r.take(SIGNATURE_SIZE))

    def _obj(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted, "reasons": list(self.reasons), "bad_fraction": self.bad_fraction,
            "detection_probability": self.detection_probability, "soundness": self.soundness,
            "job_id": self.job_id.hex(), "commitment_digest": self.commitment_digest.hex(),
            "challenge_digest": self.challenge_digest.hex(), "proof_digest": self.proof_digest.hex(),
            "verifier_key": self.verifier_key.hex(), "signature": self.signature.hex(),
        }

    @classmethod
    def _from_obj(cls, obj: Any, what: str) -> Verdict:
        keys = {"accepted", "reasons", "bad_fraction", "detection_probability", "soundness", "job_id",
                "commitment_digest", "challenge_digest", "proof_digest", "verifier_key", "signature"}
        obj = _json_fields(obj, what, cls.KIND, keys)
        if not isinstance(obj["accepted"], bool):
            raise DecodeError(f"{what}: accepted must be true or false")
        reasons = _jlist(obj, "reasons", what, MAX_REASONS)
        return cls(
            obj["accepted"], tuple(_jstr(x, f"{what} reasons") for x in reasons),
            _jfloat(obj, "bad_fraction", what), _jfloat(obj, "detection_probability", what),
            _jstr(obj["soundness"], what), _jhex(obj, "job_id", what, HASH_SIZE),
            _jhex(obj, "commitment_digest", what, HASH_SIZE), _jhex(obj, "challenge_digest", what, HASH_SIZE),
            _jhex(obj, "proof_digest", what, HASH_SIZE),
            _jhex(obj, "verifier_key", what, KEY_SIZE), _jhex(obj, "signature", what, SIGNATURE_SIZE),
        )


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
    NAME: ClassVar[str] = "FraudProof"

    def __post_init__(self) -> None:
        for name, cls in (("job", Job), ("commitment", Commitment), ("challenge", Challenge),
                          ("proof", SpotCheckProof)):
            if not isinstance(getattr(self, name), cls):
                raise InvalidInputError(f"{name} must be a {cls.__name__}, not {type(getattr(self, name)).__name__}")
        object.__setattr__(self, "index", as_int(self.index, "index"))
        if not isinstance(self.inputs, Mapping) or len(self.inputs) > MAX_INPUTS:
            raise InvalidInputError(f"inputs must be a mapping of at most {MAX_INPUTS} EmbeddedInput")
        inputs = {}
        for name in _sorted_names(self.inputs, "input name"):
            if not isinstance(self.inputs[name], EmbeddedInput):
                raise InvalidInputError(f"inputs[{name!r}] must be an EmbeddedInput")
            inputs[name] = self.inputs[name]
        object.__setattr__(self, "inputs", MappingProxyType(inputs))

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

    def _encode(self) -> bytes:
        job, com, ch, pr = (m.to_bytes() for m in (self.job, self.commitment, self.challenge, self.proof))
        parts = [_header(self.TYPE), _u64(self.index), _u32(len(job)), job, _u32(len(com)), com,
                 _u32(len(ch)), ch, _u64(len(pr)), pr, _u16(len(self.inputs))]
        for name, item in self.inputs.items():
            raw = name.encode("utf-8")
            parts += [_u8(len(raw)), raw, _u8(_INPUT_KINDS[item.kind]), _u64(len(item.data)), item.data]
        return b"".join(parts)

    @classmethod
    def _decode(cls, r: _Reader) -> FraudProof:
        index = r.u64()
        job = Job.from_bytes(r.blob(r.u32(), MAX_NESTED, "job"))
        com = Commitment.from_bytes(r.blob(r.u32(), MAX_NESTED, "commitment"))
        ch = Challenge.from_bytes(r.blob(r.u32(), MAX_NESTED, "challenge"))
        pr = SpotCheckProof.from_bytes(r.blob(r.u64(), MAX_NESTED, "proof"))
        n = r.count(r.u16(), 11, MAX_INPUTS, "input")
        inputs: dict[str, EmbeddedInput] = {}
        last = b""
        for _ in range(n):
            name = r.name("input name")
            raw = name.encode("utf-8")
            if inputs and raw <= last:
                raise DecodeError("FraudProof: input names must be strictly increasing (sorted, no duplicates)")
            last = raw
            kind = r.enum(_INPUT_KINDS, "input kind")
            inputs[name] = EmbeddedInput(kind, r.blob(r.u64(), MAX_EMBEDDED_INPUT, "input"))
        return cls(job, com, ch, pr, index, inputs)

    def _obj(self) -> dict[str, Any]:
        return {
            "index": self.index, "job": self.job._full_obj(), "commitment": self.commitment._full_obj(),
            "challenge": self.challenge._full_obj(), "proof": self.proof._full_obj(),
            "inputs": {k: {"kind": v.kind, "data": v.data.hex()} for k, v in self.inputs.items()},
        }

    @classmethod
    def _from_obj(cls, obj: Any, what: str) -> FraudProof:
        obj = _json_fields(obj, what, cls.KIND, {"index", "job", "commitment", "challenge", "proof", "inputs"})
        inputs = {}
        for name, item in _jdict(obj, "inputs", what, MAX_INPUTS).items():
            item = _json_fields_plain(item, f"{what} inputs[{name!r}]", {"kind", "data"})
            inputs[name] = EmbeddedInput(_jstr(item["kind"], what), _jhex(item, "data", what))
        return cls(
            Job._parse_obj(obj["job"], f"{what} job"),
            Commitment._parse_obj(obj["commitment"], f"{what} commitment"),
            Challenge._parse_obj(obj["challenge"], f"{what} challenge"),
            SpotCheckProof._parse_obj(obj["proof"], f"{what} proof"),
            _jint(obj, "index", what),
            inputs,
        )


def _json_fields_plain(obj: Any, what: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(obj, dict) or set(obj) != keys:
        raise DecodeError(f"{what}: expected an object with keys {sorted(keys)}")
    return obj


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
    NAME: ClassVar[str] = "EquivocationProof"

    def __post_init__(self) -> None:
        if not isinstance(self.first, Commitment) or not isinstance(self.second, Commitment):
            raise InvalidInputError("an equivocation proof holds two Commitments")
        a, b = self.first, self.second
        if a.to_bytes() == b.to_bytes():
            raise InvalidInputError("an equivocation proof needs two different commitments")
        if b.to_bytes() < a.to_bytes():
            object.__setattr__(self, "first", b)
            object.__setattr__(self, "second", a)

    def _encode(self) -> bytes:
        a, b = self.first.to_bytes(), self.second.to_bytes()
        return b"".join([_header(self.TYPE), _u32(len(a)), a, _u32(len(b)), b])

    @classmethod
    def _decode(cls, r: _Reader) -> EquivocationProof:
        raw_a = r.blob(r.u32(), MAX_NESTED, "commitment")
        raw_b = r.blob(r.u32(), MAX_NESTED, "commitment")
        if not raw_a < raw_b:
            raise DecodeError("EquivocationProof: the two commitments must be in increasing byte order")
        return cls(Commitment.from_bytes(raw_a), Commitment.from_bytes(raw_b))

    def _obj(self) -> dict[str, Any]:
        return {"first": self.first._full_obj(), "second": self.second._full_obj()}

    @classmethod
    def _from_obj(cls, obj: Any, what: str) -> EquivocationProof:
        obj = _json_fields(obj, what, cls.KIND, {"first", "second"})
        a = Commitment._parse_obj(obj["first"], f"{what} first")
        b = Commitment._parse_obj(obj["second"], f"{what} second")
        if not a.to_bytes() < b.to_bytes():
            raise DecodeError(f"{what}: the two commitments must be in increasing byte order")
        return cls(a, b)


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
