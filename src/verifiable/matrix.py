"""Exact and deterministic matrix products from the C kernel, and canonical row blocks.

A matrix workload hands out ``C = A @ B`` in row blocks: a provider computes
rows ``[row_start, row_stop)`` of ``C`` (:func:`matmul_rows`), serializes them
with :func:`row_block_bytes` (the chunk that gets committed to), and a verifier
reads a chunk back with :func:`parse_row_block`. Four modes:

``"int64"``
    int64 in and out, exact with wrapping: ``C = A @ B mod 2**64`` read as
    two's complement (what numpy's int64 ``@`` computes too).
``"modp"``
    int64 in and out, exact modulo the Mersenne prime ``MODP = 2**61 - 1``:
    every input is first reduced into ``[0, MODP)`` (its value mod p, so
    negative inputs are fine) and every output lies in ``[0, MODP)``.
``"float32"``, ``"float64"``
    a deterministic float product: ``C[i, j]`` is the left-to-right chain of
    fused multiply-adds ``s = +0; s = fma(A[i, l], B[l, j], s)`` for
    ``l = 0 .. k-1``, each rounded once to the dtype, under the IEEE defaults
    (round to nearest even, no flush-to-zero) whatever the calling thread set.
    Every kernel, blocking and thread count computes exactly that chain, so the
    bits of ``C`` depend on ``A`` and ``B`` alone. NaN or infinite inputs are
    refused; ``C`` then never holds a NaN (a chain that overflows to +-inf
    stays there, since every later product is exact and finite). The error is
    that of recursive summation:
    ``|C - A @ B| <= k u / (1 - k u) * (|A| @ |B|)`` elementwise, ``u`` the
    unit roundoff (2**-24 or 2**-53), barring overflow and underflow.

Arrays must be C-contiguous, aligned numpy arrays of exactly the mode's dtype
(int64 for the integer modes, in native byte order); anything else raises
:class:`InvalidInputError` rather than being copied or converted behind the
caller's back (``np.ascontiguousarray(x, dtype=...)`` is the explicit fix).

The kernel (portable C, AVX2 + FMA, or AVX-512) is chosen once from the CPU;
``VERIFIABLE_MATMUL=portable|avx2|avx512`` in the environment forces one at
import and :func:`set_matmul_kernel` switches at run time. Every kernel gives
the same bits. Products run on ``threads`` threads (default: every core the
process may use), each computing whole rows, with the GIL released.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _bindings
from ._buffers import as_int
from .exceptions import DecodeError, InvalidInputError

__all__ = [
    "MODES",
    "MODP",
    "RowBlock",
    "available_matmul_kernels",
    "matmul",
    "matmul_kernel",
    "matmul_rows",
    "parse_row_block",
    "row_block_bytes",
    "row_block_header",
    "set_matmul_kernel",
]

#: The modulus of ``mode="modp"``: the Mersenne prime 2**61 - 1 (read from the C kernel).
MODP: int = _bindings.MM_MODULUS

#: The product modes, in the order of their wire codes (0, 1, 2, 3).
MODES: tuple[str, ...] = ("int64", "modp", "float32", "float64")

_DTYPES: dict[str, np.dtype[Any]] = {
    "int64": np.dtype(np.int64),
    "modp": np.dtype(np.int64),
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
}

# Row-block wire format (see row_block_bytes).
_MAGIC = b"VFMB"
_VERSION = 1
_HEADER = struct.Struct("<4sBBBB5Q")
HEADER_SIZE = _HEADER.size  # 48
_MODE_CODE = {name: code for code, name in enumerate(MODES)}
_DTYPE_CODE = {"int64": 0, "float32": 1, "float64": 2}
_DTYPE_OF_CODE = {code: name for name, code in _DTYPE_CODE.items()}
_DIM_MAX = 2**63 - 1  # numpy sizes are signed 64-bit


def _mode(mode: Any) -> str:
    if not isinstance(mode, str) or mode not in _DTYPES:
        raise InvalidInputError(f"unknown matmul mode {mode!r}; expected one of {list(MODES)}")
    return mode


def _operand(x: Any, name: str, mode: str) -> NDArray[Any]:
    want = _DTYPES[mode]
    if not isinstance(x, np.ndarray):
        raise InvalidInputError(
            f"{name} must be a numpy array of dtype {want} for mode {mode!r}, "
            f"not {type(x).__name__}"
        )
    if x.dtype != want:
        raise InvalidInputError(
            f"{name} must have dtype {want} (native byte order) for mode {mode!r}, got {x.dtype}"
        )
    if x.ndim != 2:
        raise InvalidInputError(f"{name} must be 2-D, got shape {x.shape}")
    if not (x.flags.c_contiguous and x.flags.aligned):
        raise InvalidInputError(
            f"{name} must be C-contiguous and aligned (np.array({name}, order='C') is such a copy)"
        )
    return x


def _name_nonfinite(a: NDArray[Any], b: NDArray[Any], exc: InvalidInputError) -> None:
    """The kernel refused a float product: say which operand holds a NaN or an infinity."""
    for name, x in (("a", a), ("b", b)):
        if not np.isfinite(x).all():
            raise InvalidInputError(f"{name} holds a NaN or an infinity") from exc


def _product(a: NDArray[Any], b: NDArray[Any], mode: str, threads: int | None) -> NDArray[Any]:
    nthreads = _bindings.threads_arg(threads)
    out = np.empty((a.shape[0], b.shape[1]), dtype=_DTYPES[mode])
    try:
        _bindings.matmul(_bindings.MM_MODES[mode], a, b, out, nthreads)
    except InvalidInputError as exc:
        if mode in ("float32", "float64"):
            _name_nonfinite(a, b, exc)
        raise
    return out


def _operands(a: Any, b: Any, mode: Any) -> tuple[NDArray[Any], NDArray[Any], str]:
    mode = _mode(mode)
    a = _operand(a, "a", mode)
    b = _operand(b, "b", mode)
    if a.shape[1] != b.shape[0]:
        raise InvalidInputError(
            f"inner dimensions differ: a is {a.shape[0]}x{a.shape[1]}, "
            f"b is {b.shape[0]}x{b.shape[1]}"
        )
    return a, b, mode


def matmul(
    a: NDArray[Any], b: NDArray[Any], *, mode: str, threads: int | None = None
) -> NDArray[Any]:
    """``a @ b`` in ``mode`` (see the module docstring), as a new array of the mode's dtype.

    ``a`` is m x k and ``b`` is k x n; any of m, k, n may be 0 (k = 0 gives zeros).
    """
    a, b, mode = _operands(a, b, mode)
    return _product(a, b, mode, threads)


def matmul_rows(
    a: NDArray[Any],
    b: NDArray[Any],
    row_start: int,
    row_stop: int,
    *,
    mode: str,
    threads: int | None = None,
) -> NDArray[Any]:
    """Rows ``[row_start, row_stop)`` of ``a @ b``, without computing the other rows.

    The result equals ``matmul(a, b, mode=mode)[row_start:row_stop]`` bit for
    bit. ``0 <= row_start <= row_stop <= a.shape[0]``.
    """
    a, b, mode = _operands(a, b, mode)
    start = as_int(row_start, "row_start", maximum=a.shape[0])
    stop = as_int(row_stop, "row_stop", minimum=start, maximum=a.shape[0])
    return _product(a[start:stop], b, mode, threads)


# ---- canonical row blocks ----------------------------------------------------------------


def _block_values(values: Any, mode: str, rows: int, n: int, exc: type[InvalidInputError]) -> None:
    if not isinstance(values, np.ndarray):
        raise exc(f"a row block must be a numpy array, not {type(values).__name__}")
    if values.dtype != _DTYPES[mode]:
        raise exc(f"a {mode} row block must have dtype {_DTYPES[mode]}, got {values.dtype}")
    if values.shape != (rows, n):
        raise exc(f"the row block has shape {values.shape}, expected {(rows, n)}")
    if mode == "modp" and values.size and (values.min() < 0 or values.max() >= MODP):
        raise exc("a modp row block holds a value outside [0, 2**61 - 1)")
    if mode in ("float32", "float64") and np.isnan(values).any():
        raise exc("a float row block holds a NaN, which no product of finite matrices has")


def _shape(shape: Any) -> tuple[int, int, int]:
    if not isinstance(shape, (tuple, list)) or len(shape) != 3:
        raise InvalidInputError(f"shape must be a tuple (m, k, n), got {shape!r}")
    m, k, n = (as_int(v, name, maximum=_DIM_MAX) for v, name in zip(shape, ("m", "k", "n")))
    return (m, k, n)


@dataclass(frozen=True, eq=False)
class RowBlock:
    """Rows ``[row_start, row_stop)`` of the m x n product of an m x k and a k x n matrix.

    ``values`` has shape ``(row_stop - row_start, n)`` and the mode's dtype; the
    instance keeps a read-only copy. :meth:`to_bytes` gives its canonical bytes.
    """

    mode: str
    m: int
    k: int
    n: int
    row_start: int
    row_stop: int
    values: NDArray[Any]

    def __post_init__(self) -> None:
        mode = _mode(self.mode)
        for name in ("m", "k", "n", "row_start", "row_stop"):
            as_int(getattr(self, name), name, maximum=_DIM_MAX)
        if self.row_start > self.row_stop or self.row_stop > self.m:
            raise InvalidInputError(
                f"row range [{self.row_start}, {self.row_stop}) is not inside [0, {self.m})"
            )
        _block_values(self.values, mode, self.row_stop - self.row_start, self.n, InvalidInputError)
        frozen = np.array(self.values, dtype=_DTYPES[mode], order="C", copy=True)
        frozen.flags.writeable = False
        object.__setattr__(self, "values", frozen)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RowBlock):
            return NotImplemented
        return self.to_bytes() == other.to_bytes()

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(m, k, n)`` of the whole product."""
        return (self.m, self.k, self.n)

    def to_bytes(self) -> bytes:
        """The canonical bytes (see :func:`row_block_bytes`)."""
        header = row_block_header(self.mode, self.shape, self.row_start, self.row_stop)
        little = self.values.astype(self.values.dtype.newbyteorder("<"), copy=False)
        return header + little.tobytes()

    @classmethod
    def from_bytes(cls, data: Any) -> RowBlock:
        """Strict inverse of :meth:`to_bytes` (see :func:`parse_row_block`)."""
        return parse_row_block(data)


def row_block_header(mode: str, shape: tuple[int, int, int], row_start: int, row_stop: int) -> bytes:
    """The 48-byte header of :func:`row_block_bytes` alone (the block's values follow it)."""
    mode = _mode(mode)
    m, k, n = _shape(shape)
    start = as_int(row_start, "row_start", maximum=m)
    stop = as_int(row_stop, "row_stop", minimum=start, maximum=m)
    return _HEADER.pack(_MAGIC, _VERSION, _MODE_CODE[mode], _DTYPE_CODE[str(_DTYPES[mode])], 0, m, k, n, start, stop)


def row_block_bytes(
    block: NDArray[Any], *, mode: str, shape: tuple[int, int, int], row_start: int
) -> bytes:
    """Canonical bytes of rows ``[row_start, row_start + len(block))`` of an m x k @ k x n product.

    ``shape`` is ``(m, k, n)`` of the whole product. The bytes are a 48-byte
    header followed by the block, row-major, each element little-endian:

    ======  =====  ==================================================
    offset  size   field
    ======  =====  ==================================================
    0       4      magic ``b"VFMB"``
    4       1      format version, 1
    5       1      mode: 0 int64, 1 modp, 2 float32, 3 float64
    6       1      element type: 0 int64, 1 float32, 2 float64
                   (int64 for both integer modes)
    7       1      reserved, 0
    8       8      m, unsigned little-endian
    16      8      k
    24      8      n
    32      8      row_start
    40      8      row_stop (row_start <= row_stop <= m)
    48      ...    (row_stop - row_start) * n elements of 8 (4 for float32) bytes
    ======  =====  ==================================================

    The header binds the block to its place in its product, so a block cannot be
    passed off as another block, or as a block of a product of another shape or
    mode. Only values a product can have are accepted: modp values in
    ``[0, 2**61 - 1)``, floats other than NaN (infinities are fine: overflow).
    """
    mode = _mode(mode)
    m, k, n = _shape(shape)
    start = as_int(row_start, "row_start", maximum=_DIM_MAX)
    if not isinstance(block, np.ndarray) or block.ndim != 2:
        raise InvalidInputError("block must be a 2-D numpy array")
    return RowBlock(mode, m, k, n, start, start + block.shape[0], block).to_bytes()


def parse_row_block(
    data: Any,
    *,
    mode: str | None = None,
    shape: tuple[int, int, int] | None = None,
    row_start: int | None = None,
    row_stop: int | None = None,
) -> RowBlock:
    """Read the bytes of :func:`row_block_bytes` back, refusing anything not canonical.

    Raises :class:`DecodeError` for a wrong magic or version, an unknown mode or
    element type (or one that does not belong to the mode), a non-zero reserved
    byte, a row range not inside ``[0, m)``, a body that is not exactly
    ``(row_stop - row_start) * n`` elements (short or with trailing bytes), a
    modp value outside ``[0, 2**61 - 1)`` or a NaN.

    A verifier that knows which block it asked for passes what it expects
    (``mode``, ``shape=(m, k, n)``, ``row_start``, ``row_stop``, any subset):
    a block that differs in any of them raises :class:`DecodeError` too, so a
    well-formed block of another place, product or mode is refused.
    """
    block = _parse_row_block(data)
    checks: list[tuple[str, Any, Any]] = []
    if mode is not None:
        checks.append(("mode", _mode(mode), block.mode))
    if shape is not None:
        checks.append(("shape", _shape(shape), block.shape))
    if row_start is not None:
        checks.append(("row_start", as_int(row_start, "row_start"), block.row_start))
    if row_stop is not None:
        checks.append(("row_stop", as_int(row_stop, "row_stop"), block.row_stop))
    for name, want, got in checks:
        if want != got:
            raise DecodeError(f"row block: {name} is {got!r}, expected {want!r}")
    return block


def _parse_row_block(data: Any) -> RowBlock:
    if isinstance(data, str) or not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError(f"row block: expected bytes, not {type(data).__name__}")
    raw = bytes(data)
    if len(raw) < HEADER_SIZE:
        raise DecodeError(f"row block: truncated header ({len(raw)} of {HEADER_SIZE} bytes)")
    magic, version, mode_code, dtype_code, reserved, m, k, n, start, stop = _HEADER.unpack_from(raw)
    if magic != _MAGIC:
        raise DecodeError(f"row block: wrong magic {magic!r}, expected {_MAGIC!r}")
    if version != _VERSION:
        raise DecodeError(
            f"row block: unknown version {version}, this library reads version {_VERSION}"
        )
    if mode_code >= len(MODES):
        raise DecodeError(f"row block: unknown mode code {mode_code}")
    mode = MODES[mode_code]
    if _DTYPE_OF_CODE.get(dtype_code) != str(_DTYPES[mode]):
        raise DecodeError(f"row block: element type code {dtype_code} does not match mode {mode!r}")
    if reserved != 0:
        raise DecodeError("row block: the reserved header byte is not zero")
    if max(m, k, n) > _DIM_MAX:
        raise DecodeError(f"row block: a dimension exceeds 2**63 - 1 ({m}, {k}, {n})")
    if start > stop or stop > m:
        raise DecodeError(f"row block: row range [{start}, {stop}) is not inside [0, {m})")
    item = _DTYPES[mode].itemsize
    body = len(raw) - HEADER_SIZE
    if (stop - start) * n * item != body:  # Python ints: no overflow, nothing allocated yet
        raise DecodeError(
            f"row block: {(stop - start) * n * item} bytes of values expected, got {body}"
        )
    values = np.frombuffer(raw, dtype=_DTYPES[mode].newbyteorder("<"), offset=HEADER_SIZE)
    values = values.astype(_DTYPES[mode]).reshape(stop - start, n)
    _block_values(values, mode, stop - start, n, DecodeError)
    return RowBlock(mode, m, k, n, start, stop, values)


# ---- kernels -----------------------------------------------------------------------------


def matmul_kernel() -> str:
    """The kernel in use: ``"portable"``, ``"avx2"`` or ``"avx512"``."""
    return _bindings.matmul_kernel()


def available_matmul_kernels() -> tuple[str, ...]:
    """Every kernel this CPU can run (they all give the same bits)."""
    return _bindings.available_matmul_kernels()


def set_matmul_kernel(name: str) -> None:
    """Switch the kernel for the whole process (InvalidInputError if the CPU lacks it)."""
    _bindings.set_matmul_kernel(name)
