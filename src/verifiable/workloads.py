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
    if not isinstance(name, str) or not _NAME.fullmatch(name):
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


# ---------------------------------------------------------------------------------------------
# Built-in: matrix products C = A @ B, chunked into row blocks, checked with Freivalds.

_MATMUL_DTYPES = {"int64": "int64", "modp": "int64", "float32": "float32", "float64": "float64"}


def _probe_rng(seed: bytes, domain: bytes) -> np.random.Generator:
    """A numpy Generator keyed by a verifier's 32-byte check seed (reproducible by a third party)."""
    return np.random.Generator(np.random.PCG64(int.from_bytes(sha256(domain + bytes(seed)), "big")))


def _check_product(result: Any, mode: str, shape: tuple[int, int, int]) -> None:
    """A delivered product must be the m x n array of the mode's dtype (VerificationError if not)."""
    if not isinstance(result, np.ndarray) or result.ndim != 2 or result.dtype != np.dtype(_MATMUL_DTYPES[mode]):
        raise VerificationError(f"the delivered result is not a 2-D {_MATMUL_DTYPES[mode]} array")
    if result.shape != (shape[0], shape[2]):
        raise VerificationError(f"the delivered result has shape {result.shape}, expected {(shape[0], shape[2])}")


class MatrixProduct(Workload):
    """C = A @ B (inputs ``a`` and ``b``) in blocks of ``rows_per_chunk`` rows.

    Parameters: ``mode`` (``int64`` exact wrapping, ``modp`` exact modulo 2^61 - 1, ``float32``
    or ``float64``) and ``rows_per_chunk``. A chunk's canonical bytes are
    :func:`verifiable.matrix.row_block_bytes`: a header naming mode, shape and rows, then the
    block little-endian and row-major, so a block cannot be passed off as another. The provider
    computes with the C kernel (:func:`verifiable.matrix.matmul`; any BLAS gives an acceptable
    float result too). A verifier checks an opened block with Freivalds' algorithm, with probes
    drawn from its check seed, in O(rows * k + k * n) instead of O(rows * k * n).
    """

    name = "matmul"
    #: Freivalds rounds per check (fused into one pass): a wrong block passes with probability
    #: <= 2^-40 for int64 (1/2 per round: Z/2^64 has zero divisors), p^-2 for modp, and 2^-8 for
    #: floats (an error beyond the rounding threshold). A block of int64 or modp rows thin enough
    #: that recomputing it is cheaper than the rounds is recomputed exactly instead.
    ROUNDS: ClassVar[dict[str, int]] = {"int64": 40, "modp": 2, "float32": 8, "float64": 8}

    def normalize_params(self, params: Params) -> dict[str, ParamValue]:
        _only_keys(params, {"mode", "rows_per_chunk"}, self.name)
        mode = params.get("mode")
        if mode not in _MATMUL_DTYPES:
            raise InvalidInputError(f"matmul mode must be one of {sorted(_MATMUL_DTYPES)}, got {mode!r}")
        return {"mode": str(mode), "rows_per_chunk": _param_int(params, "rows_per_chunk", minimum=1, maximum=2**32)}

    def _operands(self, params: Params, inputs: Inputs) -> tuple[np.ndarray, np.ndarray, str]:
        mode = str(params["mode"])
        if "a" not in inputs or "b" not in inputs:
            raise InvalidInputError("matmul needs inputs named 'a' and 'b'")
        a, b = inputs["a"], inputs["b"]
        for name, x in (("a", a), ("b", b)):
            if not isinstance(x, np.ndarray) or x.ndim != 2:
                raise InvalidInputError(f"matmul input {name!r} must be a 2-D numpy array")
            if x.dtype != np.dtype(_MATMUL_DTYPES[mode]):
                raise InvalidInputError(f"matmul input {name!r} must be {_MATMUL_DTYPES[mode]} in mode {mode}, got {x.dtype}")
        if a.shape[1] != b.shape[0]:
            raise InvalidInputError(f"matmul shapes do not chain: a is {a.shape}, b is {b.shape}")
        return a, b, mode

    def _rows(self, params: Params, m: int, index: int) -> tuple[int, int]:
        rows = int(params["rows_per_chunk"])
        return index * rows, min((index + 1) * rows, m)

    def chunk_count(self, params: Params, inputs: Inputs) -> int:
        a, _, _ = self._operands(params, inputs)
        rows = int(params["rows_per_chunk"])
        return int((a.shape[0] + rows - 1) // rows)

    def compute_chunk(self, params: Params, inputs: Inputs, index: int) -> bytes:
        return self.compute(params, inputs, [index], threads=1)[0]

    def compute(
        self, params: Params, inputs: Inputs, indices: Sequence[int] | None = None, *, threads: int | None = None
    ) -> list[bytes]:
        from .matrix import matmul, matmul_rows

        a, b, mode = self._operands(params, inputs)
        wanted = self._indices(params, inputs, indices)
        if indices is None:
            shape = (a.shape[0], a.shape[1], b.shape[1])
            return self._blocks(params, mode, shape, matmul(a, b, mode=mode, threads=threads))
        out = []
        for i in wanted:
            r0, r1 = self._rows(params, a.shape[0], i)
            block = matmul_rows(a, b, r0, r1, mode=mode, threads=threads)
            out.append(self._encode(mode, (a.shape[0], a.shape[1], b.shape[1]), r0, block))
        return out

    @staticmethod
    def _encode(mode: str, shape: tuple[int, int, int], row_start: int, block: np.ndarray) -> bytes:
        from .matrix import row_block_bytes

        return row_block_bytes(block, mode=mode, shape=shape, row_start=row_start)

    def chunks_from_result(self, params: Params, inputs: Inputs, result: Any) -> list[bytes]:
        """The canonical chunk outputs of a whole delivered product (what the provider committed to).

        A result of the wrong dtype or shape raises VerificationError: it is not the product
        that was asked for.
        """
        a, b, mode = self._operands(params, inputs)
        return self._blocks(params, mode, (a.shape[0], a.shape[1], b.shape[1]), result)

    def leaf_hashes(
        self, params: Params, inputs: Inputs, result: Any, *, threads: int | None = None
    ) -> np.ndarray:
        """RFC 6962 leaf hashes of every chunk of a whole product, without building the chunks.

        Each leaf is SHA-256(0x00 || header || block), streamed from ``result`` in place: this is
        how a provider that computed ``result`` with its own BLAS commits to it at the cost of
        one pass over it (``MerkleTree.from_leaf_hashes(...)`` gives the same root as
        ``MerkleTree(chunks_from_result(...))``).
        """
        from .hashing import sha256_parts, sha256_prefixed
        from .matrix import row_block_header

        a, b, mode = self._operands(params, inputs)
        shape = (a.shape[0], a.shape[1], b.shape[1])
        _check_product(result, mode, shape)
        little = np.ascontiguousarray(result, dtype=result.dtype.newbyteorder("<"))
        rows = int(params["rows_per_chunk"])
        full, rest = divmod(shape[0], rows)
        row_bytes = little.itemsize * shape[2]
        prefixes = [b"\x00" + row_block_header(mode, shape, i * rows, (i + 1) * rows) for i in range(full)]
        hashes = sha256_prefixed(prefixes, little, rows * row_bytes, threads=threads)
        if rest:
            last = sha256_parts([b"\x00", row_block_header(mode, shape, full * rows, shape[0]), little[full * rows :]])
            hashes = np.vstack([hashes, np.frombuffer(last, dtype=np.uint8)[None, :]])
        return hashes

    def _blocks(self, params: Params, mode: str, shape: tuple[int, int, int], result: Any) -> list[bytes]:
        _check_product(result, mode, shape)
        rows = int(params["rows_per_chunk"])
        return [self._encode(mode, shape, r0, result[r0 : r0 + rows]) for r0 in range(0, shape[0], rows)]

    def check(self, params: Params, inputs: Inputs, index: int, output: bytes, *, seed: bytes) -> CheckReport:
        from .exceptions import DecodeError
        from .freivalds import freivalds_check_rows
        from .matrix import parse_row_block

        a, b, mode = self._operands(params, inputs)
        r0, r1 = self._rows(params, a.shape[0], index)
        shape = (a.shape[0], a.shape[1], b.shape[1])
        try:
            block = parse_row_block(bytes(output), mode=mode, shape=shape, row_start=r0, row_stop=r1)
        except DecodeError as exc:
            raise VerificationError(f"matmul: chunk {index} is not the block of rows {r0}..{r1}: {exc}") from None
        rounds = self.ROUNDS[mode]
        if mode in ("int64", "modp") and (r1 - r0) * a.shape[1] * b.shape[1] <= rounds * (
            a.shape[1] * b.shape[1] + (r1 - r0) * (a.shape[1] + b.shape[1])
        ):
            # a thin block: recomputing it exactly costs less than the Freivalds rounds
            from .matrix import matmul_rows

            if not np.array_equal(matmul_rows(a, b, r0, r1, mode=mode, threads=1), block.values):
                raise VerificationError(f"matmul: chunk {index} (rows {r0}..{r1}) differs from its recomputation")
            return CheckReport(index, "recompute", 0.0)
        report = freivalds_check_rows(
            a[r0:r1], b, block.values, row_offset=r0, mode=mode, rounds=rounds,
            rng=_probe_rng(seed, b"verifiable/matmul/probe/v1"), threads=1,  # one block: no thread start-up
        )
        return CheckReport(index, "freivalds", float(report.false_accept_bound))

    def check_result(self, params: Params, inputs: Inputs, result: Any, rng: Any) -> CheckReport:
        """Freivalds' check of a whole delivered product (O(m k + k n) per round)."""
        from .freivalds import freivalds_check

        a, b, mode = self._operands(params, inputs)
        report = freivalds_check(a, b, result, mode=mode, rounds=self.ROUNDS[mode], rng=rng)
        return CheckReport(-1, "freivalds", float(report.false_accept_bound))


register_workload(MatrixProduct())


# ---------------------------------------------------------------------------------------------
# Built-in: iterated SHA-256 chains with checkpoints, checked one random segment at a time.


class HashChain(Workload):
    """Chunk i iterates SHA-256 ``steps`` times from a seed derived from (``job_seed``, i).

    Parameters: ``job_seed`` (32 bytes), ``chunks``, ``steps``, ``checkpoint_every`` (divides
    ``steps``) and optionally ``segments_checked`` (default 1). A chunk's output is its
    checkpoints concatenated (see :mod:`verifiable.hashwork`). A verifier recomputes
    ``segments_checked`` distinct segments drawn from its check seed, ``checkpoint_every``
    hashes each instead of ``steps``: a chunk with at least one wrong segment out of S passes
    with probability at most ``1 - segments_checked / S``.
    """

    name = "hash_chain"

    def normalize_params(self, params: Params) -> dict[str, ParamValue]:
        _only_keys(params, {"job_seed", "chunks", "steps", "checkpoint_every", "segments_checked"}, self.name)
        seed = params.get("job_seed")
        if not isinstance(seed, (bytes, bytearray)) or len(seed) != 32:
            raise InvalidInputError("hash_chain parameter 'job_seed' must be 32 bytes")
        steps = _param_int(params, "steps", minimum=1, maximum=2**40)
        every = _param_int(params, "checkpoint_every", minimum=1, maximum=steps)
        if steps % every:
            raise InvalidInputError(f"steps ({steps}) must be a multiple of checkpoint_every ({every})")
        out: dict[str, ParamValue] = {
            "job_seed": bytes(seed), "chunks": _param_int(params, "chunks", minimum=1, maximum=2**32),
            "steps": steps, "checkpoint_every": every,
        }
        if "segments_checked" in params:
            out["segments_checked"] = _param_int(params, "segments_checked", minimum=1, maximum=steps // every)
        return out

    def chunk_count(self, params: Params, inputs: Inputs) -> int:
        return int(params["chunks"])

    def compute_chunk(self, params: Params, inputs: Inputs, index: int) -> bytes:
        return self.compute(params, inputs, [index], threads=1)[0]

    def compute(
        self, params: Params, inputs: Inputs, indices: Sequence[int] | None = None, *, threads: int | None = None
    ) -> list[bytes]:
        from .hashwork import hash_chain

        wanted = self._indices(params, inputs, indices)
        if not wanted:
            return []
        chains = hash_chain(
            bytes(params["job_seed"]), wanted, int(params["steps"]), int(params["checkpoint_every"]), threads=threads
        )
        return [chains[i].tobytes() for i in range(len(wanted))]

    def segments_for(self, params: Params, seed: bytes) -> list[int]:
        """The segments a check with ``seed`` recomputes (distinct, uniform; derive_indices)."""
        from .challenge import derive_indices

        total = int(params["steps"]) // int(params["checkpoint_every"])
        return derive_indices(sha256(b"verifiable/hash_chain/segments/v1" + bytes(seed)), total,
                              int(params.get("segments_checked", 1)))

    def check(self, params: Params, inputs: Inputs, index: int, output: bytes, *, seed: bytes) -> CheckReport:
        from .hashwork import verify_chain_segment

        steps, every = int(params["steps"]), int(params["checkpoint_every"])
        total = steps // every
        raw = bytes(output)
        if len(raw) != 32 * total:
            raise VerificationError(f"hash_chain: chunk {index} has {len(raw)} bytes, expected {total} checkpoints")
        segments = self.segments_for(params, seed)
        for segment in segments:
            verify_chain_segment(bytes(params["job_seed"]), index, raw, segment, steps, every)
        return CheckReport(index, "segments", 1.0 - len(segments) / total)


register_workload(HashChain())
