"""Workloads: how a job splits into chunks, how a chunk is computed, and how an opened chunk is checked.

A :class:`Workload` is deterministic: given the job's parameters and inputs, chunk ``i`` has
exactly one correct output, and its *canonical bytes* are the Merkle leaf the provider commits
to. A verifier checks an opened chunk either by recomputing it (the default) or by something
cheaper that the workload knows about (Freivalds' algorithm for a block of a matrix product,
one random segment of a hash chain). Every check reports the probability that a wrong chunk
would have passed it (``false_accept``), so the protocol can state its soundness as a number.

Workloads are registered by name. A user adds their own in pure Python::

    class Squares(Workload):
        name = "squares"

        def normalize_params(self, params):
            return {"count": int(params["count"])}

        def chunk_count(self, params, inputs):
            return params["count"]

        def compute_chunk(self, params, inputs, index):
            return (index * index).to_bytes(16, "big")

    register_workload(Squares())

and gets commitments, proofs and checks (by recomputation) for free.
"""

from __future__ import annotations

import abc
import re
import struct
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from . import _bindings
from ._buffers import as_int
from .exceptions import InvalidInputError, VerificationError
from .hashing import digest_chunks, sha256

__all__ = [
    "CheckReport",
    "Workload",
    "array_digest",
    "get_workload",
    "register_workload",
    "registered_workloads",
]

ParamValue = int | str | bytes
Params = Mapping[str, Any]
Inputs = Mapping[str, Any]


@dataclass(frozen=True)
class CheckReport:
    """The outcome of checking one opened chunk that passed.

    ``false_accept`` bounds the probability that this check passes a *wrong* output for the
    chunk (0.0 for an exact recomputation).
    """

    index: int
    method: str
    false_accept: float


def array_digest(value: Any) -> bytes:
    """SHA-256 of an input's canonical bytes.

    A numpy array is hashed with a header naming its dtype and shape (so a reshaped or
    reinterpreted array has another digest) followed by its little-endian, row-major bytes;
    a bytes-like object is hashed as it is.
    """
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        dtype = arr.dtype.str.encode()
        header = b"VFAR\x01" + struct.pack(">B", len(dtype)) + dtype + struct.pack(">B", arr.ndim)
        header += b"".join(struct.pack(">Q", d) for d in arr.shape)
        return sha256(header + arr.tobytes())
    if isinstance(value, (bytes, bytearray, memoryview)):
        return sha256(value)
    raise InvalidInputError(f"an input must be a numpy array or bytes-like, not {type(value).__name__}")


class Workload(abc.ABC):
    """A deterministic computation split into chunks. Subclass it and :func:`register_workload` it.

    Subclasses must set ``name`` and implement :meth:`normalize_params`, :meth:`chunk_count`
    and :meth:`compute_chunk`. Override :meth:`compute` to compute many chunks at once (in C,
    say) and :meth:`check` to check a chunk more cheaply than by recomputing it.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def normalize_params(self, params: Params) -> dict[str, ParamValue]:
        """Validate ``params`` and return their canonical form (ints, strs and bytes only)."""

    @abc.abstractmethod
    def chunk_count(self, params: Params, inputs: Inputs) -> int:
        """How many chunks the job has."""

    @abc.abstractmethod
    def compute_chunk(self, params: Params, inputs: Inputs, index: int) -> bytes:
        """The canonical output bytes of chunk ``index``."""

    def input_digests(self, params: Params, inputs: Inputs) -> dict[str, bytes]:
        """SHA-256 digests of each named input (see :func:`array_digest`)."""
        return {name: array_digest(inputs[name]) for name in sorted(inputs)}

    def compute(
        self, params: Params, inputs: Inputs, indices: Sequence[int] | None = None, *, threads: int | None = None
    ) -> list[bytes]:
        """Canonical outputs of the chunks ``indices`` (all by default), in that order.

        The default runs :meth:`compute_chunk` on a thread pool; the output is the same for any
        number of threads.
        """
        wanted = self._indices(params, inputs, indices)
        workers = _bindings.threads_arg(threads)
        if workers == 1 or len(wanted) < 2:
            return [self.compute_chunk(params, inputs, i) for i in wanted]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda i: self.compute_chunk(params, inputs, i), wanted))

    def check(self, params: Params, inputs: Inputs, index: int, output: bytes, *, seed: bytes) -> CheckReport:
        """Check one opened chunk; raise :class:`VerificationError` if it is wrong.

        ``seed`` is 32 bytes of randomness drawn by the verifier after the commitment (unused
        by recomputation). The default recomputes the chunk and compares bytes.
        """
        expected = self.compute_chunk(params, inputs, index)
        if bytes(output) != expected:
            raise VerificationError(f"{self.name}: chunk {index} differs from its recomputation")
        return CheckReport(index, "recompute", 0.0)

    def _indices(self, params: Params, inputs: Inputs, indices: Sequence[int] | None) -> list[int]:
        n = self.chunk_count(params, inputs)
        if indices is None:
            return list(range(n))
        out = [as_int(i, "chunk index") for i in indices]
        for i in out:
            if i >= n:
                raise InvalidInputError(f"chunk index {i} is out of range for {n} chunks")
        return out


_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_REGISTRY: dict[str, Workload] = {}


def register_workload(workload: Workload, *, replace: bool = False) -> Workload:
    """Make ``workload`` available by its ``name`` (refuses to shadow one unless ``replace``)."""
    if not isinstance(workload, Workload):
        raise InvalidInputError(f"expected a Workload instance, not {type(workload).__name__}")
    name = getattr(workload, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInputError(
            f"workload name {name!r} must be 1-64 characters of a-z, 0-9, '_', '.', '-' starting with a letter"
        )
    if name in _REGISTRY and not replace:
        raise InvalidInputError(f"a workload named {name!r} is already registered (pass replace=True)")
    _REGISTRY[name] = workload
    return workload


def get_workload(name: str) -> Workload:
    """The registered workload called ``name``."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise InvalidInputError(f"no workload named {name!r}; registered: {sorted(_REGISTRY)}") from None


def registered_workloads() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))


# ---------------------------------------------------------------------------------------------
# Built-in: SHA-256 digests of fixed-size chunks of a data input.


def _param_int(params: Params, key: str, *, minimum: int = 0, maximum: int = 2**64 - 1) -> int:
    if key not in params:
        raise InvalidInputError(f"missing parameter {key!r}")
    return as_int(params[key], f"parameter {key!r}", minimum=minimum, maximum=maximum)


def _only_keys(params: Params, allowed: set[str], workload: str) -> None:
    if not isinstance(params, Mapping):
        raise InvalidInputError(f"{workload} parameters must be a mapping")
    extra = set(params) - allowed
    if extra:
        raise InvalidInputError(f"{workload}: unknown parameters {sorted(extra)}; expected {sorted(allowed)}")


def _data_input(inputs: Inputs) -> Any:
    if "data" not in inputs:
        raise InvalidInputError("chunk_digest needs an input named 'data'")
    return inputs["data"]


class ChunkDigest(Workload):
    """SHA-256 of each ``chunk_size`` slice of input ``data``; a chunk's output is its digest."""

    name = "chunk_digest"

    def normalize_params(self, params: Params) -> dict[str, ParamValue]:
        _only_keys(params, {"chunk_size"}, self.name)
        return {"chunk_size": _param_int(params, "chunk_size", minimum=1, maximum=2**40)}

    def chunk_count(self, params: Params, inputs: Inputs) -> int:
        size = len(_bytes_of(_data_input(inputs)))
        chunk = int(params["chunk_size"])
        return (size + chunk - 1) // chunk

    def compute_chunk(self, params: Params, inputs: Inputs, index: int) -> bytes:
        data = _bytes_of(_data_input(inputs))
        chunk = int(params["chunk_size"])
        if index >= self.chunk_count(params, inputs):
            raise InvalidInputError(f"chunk index {index} is out of range")
        return sha256(data[index * chunk : (index + 1) * chunk])

    def compute(
        self, params: Params, inputs: Inputs, indices: Sequence[int] | None = None, *, threads: int | None = None
    ) -> list[bytes]:
        wanted = self._indices(params, inputs, indices)
        data = _bytes_of(_data_input(inputs))
        if indices is not None:
            return [self.compute_chunk(params, inputs, i) for i in wanted]
        if not wanted:
            return []
        digests = digest_chunks(data, int(params["chunk_size"]), threads=threads)
        return [row.tobytes() for row in digests]


def _bytes_of(data: Any) -> memoryview:
    if isinstance(data, np.ndarray):
        if not data.flags.c_contiguous:
            raise InvalidInputError("input 'data' must be C-contiguous")
        return memoryview(data.reshape(-1).view(np.uint8).data)
    if isinstance(data, (bytes, bytearray, memoryview)):
        return memoryview(data).cast("B")
    raise InvalidInputError(f"input 'data' must be bytes-like or a numpy array, not {type(data).__name__}")


register_workload(ChunkDigest())
