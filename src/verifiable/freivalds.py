"""Freivalds checks of a claimed matrix product ``C = A @ B``.

A provider claims ``C = A @ B``. Instead of recomputing the product (``m k n``
multiply-adds) the verifier draws random probe vectors ``r`` and compares
``C r`` with ``A (B r)``: ``(m + n) k + m n`` multiply-adds per probe. Every
round's probe is fresh and secret until the check runs (``secrets`` by
default), and all rounds are fused: each matrix is read once for all of them.

Four arithmetic modes, the same as the matmul kernel:

``"int64"``
    exact, wrapping mod 2^64 (numpy's int64 ``@``); int64 or uint64 arrays.
    Probes are uniform over Z/2^64. Because 2 is a zero divisor, an error
    whose entries are all 2^63 survives a round with probability exactly
    1/2, so the bound is ``2**-rounds``.
``"modp"``
    exact mod the prime p = 2^61 - 1, entries in [0, p) (uint64 or int64).
    Probes are uniform over Z/p: a wrong row survives a round with
    probability at most 1/p.
``"float32"``, ``"float64"``
    ``C`` is the output of any BLAS and carries honest rounding errors. The
    probes are random signs; a row passes when its residual stays under a
    tight per-row threshold calibrated on real rounding errors (about 30 to
    100 times the measured honest residual). A row over it is settled
    exactly: every entry of that row of ``A @ B`` is recomputed in extended
    precision and compared with a rigorous bound on the error any honest
    (classical, any summation order, with or without FMA) product can
    have. So an honest product is never rejected, and a rejection always
    comes with a witness entry that no honest computation can produce.

The proofs of the bounds, the calibration and the measurements are in
docs/FREIVALDS.md.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from . import _bindings
from ._buffers import as_int
from .exceptions import InvalidInputError, VerificationError

__all__ = [
    "BOUNDS",
    "DEFAULT_ROUNDS",
    "MODES",
    "PRIME",
    "REALISTIC_FACTOR",
    "FreivaldsError",
    "FreivaldsReport",
    "available_kernels",
    "false_accept_bound",
    "freivalds_check",
    "freivalds_check_rows",
    "kernel",
    "set_kernel",
]

Mode = Literal["int64", "modp", "float32", "float64"]

#: The arithmetic modes, in the numbering of the C kernel.
MODES: tuple[str, ...] = tuple(_bindings.FREIVALDS_MODES)

#: The prime of the ``"modp"`` mode, 2^61 - 1.
PRIME: int = _bindings.FREIVALDS_PRIME

#: Rounds used when the caller does not say: each gives a false-accept bound <= 2^-40.
DEFAULT_ROUNDS: dict[str, int] = {"int64": 40, "modp": 2, "float32": 40, "float64": 40}

#: What a float product may be off by and still pass (see freivalds_check).
BOUNDS: tuple[str, ...] = ("any-order", "realistic")

#: bound="realistic": a recomputed row is refused when the norm of its exact error exceeds this
#: many tight thresholds (honest OpenBLAS products stay below 0.2 of one, docs/FREIVALDS.md).
REALISTIC_FACTOR = 5.0

#: How many failing rows an error message names.
_NAMED_ROWS = 5

_ALLOWED_DTYPES: dict[str, tuple[type[np.generic], ...]] = {
    "int64": (np.int64, np.uint64),
    "modp": (np.uint64, np.int64),
    "float32": (np.float32,),
    "float64": (np.float64,),
}

_kernel: int = _bindings.FREIVALDS_KERNELS[_bindings.freivalds_best_kernel()]


@dataclass(frozen=True)
class FreivaldsReport:
    """What a passed check established.

    ``shape`` is ``(rows checked, k, n)``; the rows are
    ``[row_offset, row_offset + shape[0])`` of the product. ``false_accept_bound``
    is the probability that a wrong product passes (for float modes: a product
    with an entry beyond both its row's detection band and the honest rounding
    bound, see docs/FREIVALDS.md).

    Float modes only (``None`` in exact modes):

    * ``max_ratio``: the largest |residual| / threshold over all rows and
      rounds. Honest products stay well below 1; a row above 1 was recomputed.
    * ``band_factor``: the largest (threshold + rigorous bound on the check's
      own rounding error) / threshold. Errors beyond this many thresholds are
      caught with the stated probability by a proof that does not rely on
      any model of rounding errors (about 1 for float32, 10 to 40 for float64).

    ``rows_recomputed`` counts the rows settled by exact recomputation (0 in
    exact modes); ``bound`` is the float acceptance rule applied (``None`` in
    exact modes).
    """

    mode: str
    rounds: int
    shape: tuple[int, int, int]
    row_offset: int
    false_accept_bound: float
    max_ratio: float | None
    band_factor: float | None
    rows_recomputed: int
    bound: str | None = None


class FreivaldsError(VerificationError):
    """The claimed product is refused; ``rows`` are the failing rows (global numbers).

    ``proven`` is True when the refusal comes with proof: a row that disagrees in
    exact arithmetic, or (float modes) an entry farther from the exact product
    than any honest rounding can take it. It is False only when more rows needed
    exact recomputation than the caller's ``max_recompute`` allowed.
    """

    def __init__(self, message: str, rows: tuple[int, ...], *, proven: bool = True) -> None:
        super().__init__(message)
        self.rows = rows
        self.proven = proven


def available_kernels() -> tuple[str, ...]:
    """The Freivalds kernels this CPU can run: ``"portable"``, ``"avx2"``, ``"avx512"``."""
    return _bindings.freivalds_available_kernels()


def kernel() -> str:
    """The kernel the checks use (the fastest available unless :func:`set_kernel` said otherwise)."""
    return next(name for name, code in _bindings.FREIVALDS_KERNELS.items() if code == _kernel)


def set_kernel(name: str) -> None:
    """Use kernel ``name`` for every later check in this process."""
    global _kernel
    if name not in _bindings.FREIVALDS_KERNELS:
        raise InvalidInputError(
            f"unknown Freivalds kernel {name!r}; expected one of {sorted(_bindings.FREIVALDS_KERNELS)}"
        )
    if name not in available_kernels():
        raise InvalidInputError(f"the {name!r} Freivalds kernel does not run on this CPU")
    _kernel = _bindings.FREIVALDS_KERNELS[name]


def false_accept_bound(mode: str, rounds: int) -> float:
    """Probability that a wrong product passes ``rounds`` fused rounds.

    ``"modp"``: p^-rounds. ``"int64"``, ``"float32"``, ``"float64"``: 2^-rounds
    (for floats, of a product with an entry beyond its row's detection band and
    the honest rounding bound). Proofs in docs/FREIVALDS.md.
    """
    mode = _mode(mode)
    rounds = as_int(rounds, "rounds", minimum=1, maximum=_bindings.FREIVALDS_MAX_ROUNDS)
    if mode == "modp":
        return float(PRIME) ** -rounds
    return math.ldexp(1.0, -rounds)


def freivalds_check(
    a: NDArray[Any],
    b: NDArray[Any],
    c: NDArray[Any],
    *,
    mode: str,
    rounds: int | None = None,
    rng: np.random.Generator | None = None,
    threads: int | None = None,
    max_recompute: int | None = None,
    bound: str = "any-order",
) -> FreivaldsReport:
    """Check ``c == a @ b`` in ``mode``; raise :class:`FreivaldsError` if it is wrong.

    ``a`` is (m, k), ``b`` (k, n), ``c`` (m, n): C-contiguous numpy arrays of
    the mode's dtype (float32, float64; int64 or uint64 for the exact modes).
    ``rounds`` defaults to :data:`DEFAULT_ROUNDS` (bound <= 2^-40). ``rng``:
    ``None`` draws the probes from the operating system's CSPRNG (``secrets``);
    a seeded ``numpy.random.Generator`` makes a check reproducible, and
    predictable to whoever knows the seed. ``threads=None`` uses every core.

    Float modes: rows over their tight threshold are recomputed exactly, at
    O(k n) each. A provider can force that on every row with errors inside the
    honest rounding bound; ``max_recompute`` caps the rows recomputed per check
    (beyond it the claim is refused with ``FreivaldsError.proven`` False).

    ``bound`` says what a recomputed row may be off by. ``"any-order"`` (the
    default): the rigorous bound of any classical summation order, so no honest
    product is ever refused; but for long inner dimensions it also admits
    reduced-precision work (float32 products of TF32- or bfloat16-rounded inputs
    pass at k = 4096). ``"realistic"`` also refuses a row whose exact error norm
    exceeds :data:`REALISTIC_FACTOR` tight thresholds (``proven`` False): it
    catches those shortcuts, and honest BLAS products pass, but inputs built to
    make rounding errors correlate (1 plus thousands of terms below half an ulp)
    can be refused.

    Raises :class:`~verifiable.exceptions.InvalidInputError` for a bad
    argument: wrong type, dtype, shape or layout, a NaN or an infinity in any
    float input (C included: a non-finite claim is refused, never accepted),
    an exact-mode entry out of range.
    """
    return _check(a, b, c, row_offset=0, full=True, mode=mode, rounds=rounds, rng=rng,
                  threads=threads, max_recompute=max_recompute, bound=bound)


def freivalds_check_rows(
    a_rows: NDArray[Any],
    b: NDArray[Any],
    c_rows: NDArray[Any],
    *,
    row_offset: int,
    mode: str,
    rounds: int | None = None,
    rng: np.random.Generator | None = None,
    threads: int | None = None,
    max_recompute: int | None = None,
    bound: str = "any-order",
) -> FreivaldsReport:
    """Check one row block: ``c_rows == a_rows @ b``, the rows ``[row_offset, ...)`` of a product.

    Costs O(block_rows * k + k * n) instead of a whole check. Errors name rows
    in the coordinates of the whole product (``row_offset`` + block row).
    Arguments and errors as in :func:`freivalds_check`.
    """
    offset = as_int(row_offset, "row_offset")
    return _check(a_rows, b, c_rows, row_offset=offset, full=False, mode=mode, rounds=rounds,
                  rng=rng, threads=threads, max_recompute=max_recompute, bound=bound)


# ---- internals ---------------------------------------------------------------------------------


def _mode(mode: Any) -> str:
    if not isinstance(mode, str) or mode not in MODES:
        raise InvalidInputError(f"unknown mode {mode!r}; expected one of {list(MODES)}")
    return mode


def _matrix(x: Any, name: str, mode: str) -> NDArray[Any]:
    if not isinstance(x, np.ndarray):
        raise InvalidInputError(f"{name} must be a numpy array, not {type(x).__name__}")
    if x.ndim != 2:
        raise InvalidInputError(f"{name} must be 2-D, got shape {x.shape}")
    allowed = _ALLOWED_DTYPES[mode]
    if x.dtype.type not in allowed:
        names = " or ".join(np.dtype(t).name for t in allowed)
        raise InvalidInputError(f"{name} must be {names} in mode {mode!r}, got {x.dtype}")
    if not x.flags.c_contiguous:
        raise InvalidInputError(f"{name} must be C-contiguous (use numpy.ascontiguousarray)")
    if not x.flags.aligned:
        raise InvalidInputError(f"{name} must be aligned to its element size")
    return x


def _random_bytes(count: int, rng: np.random.Generator | None) -> bytes:
    if rng is None:
        return secrets.token_bytes(count)
    return rng.bytes(count)


def _draw_probes(mode: str, rounds: int, n: int, rng: np.random.Generator | None) -> NDArray[Any]:
    """The rounds x n probe matrix of one check (row t is round t's vector r)."""
    count = rounds * n
    if mode in ("float32", "float64"):
        bits = np.unpackbits(np.frombuffer(_random_bytes((count + 7) // 8, rng), dtype=np.uint8))
        signs = 1.0 - 2.0 * bits[:count].astype(np.float64)
        return signs.reshape(rounds, n)
    words = np.frombuffer(_random_bytes(8 * count, rng), dtype=np.uint64).copy()
    if mode == "modp":
        # uniform over [0, 2^61) by masking, then redraw the single value outside [0, p)
        words &= np.uint64(PRIME)
        while True:
            over = np.flatnonzero(words == np.uint64(PRIME))
            if not len(over):
                break
            fresh = np.frombuffer(_random_bytes(8 * len(over), rng), dtype=np.uint64)
            words[over] = fresh & np.uint64(PRIME)
    return words.reshape(rounds, n)


def _check(
    a: Any, b: Any, c: Any, *, row_offset: int, full: bool, mode: str, rounds: int | None,
    rng: np.random.Generator | None, threads: int | None, max_recompute: int | None,
    bound: str,
) -> FreivaldsReport:
    mode = _mode(mode)
    names = ("a", "b", "c") if full else ("a_rows", "b", "c_rows")
    a = _matrix(a, names[0], mode)
    b = _matrix(b, names[1], mode)
    c = _matrix(c, names[2], mode)
    m, k = a.shape
    if b.shape[0] != k:
        raise InvalidInputError(f"{names[0]} is {a.shape} but {names[1]} is {b.shape}: inner sizes differ")
    n = b.shape[1]
    if c.shape != (m, n):
        raise InvalidInputError(f"{names[2]} must be {(m, n)} to hold {names[0]} @ {names[1]}, got {c.shape}")
    rounds = DEFAULT_ROUNDS[mode] if rounds is None else as_int(
        rounds, "rounds", minimum=1, maximum=_bindings.FREIVALDS_MAX_ROUNDS
    )
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise InvalidInputError(f"rng must be None or a numpy.random.Generator, not {type(rng).__name__}")
    nthreads = _bindings.threads_arg(threads)
    cap = None if max_recompute is None else as_int(max_recompute, "max_recompute")
    if not isinstance(bound, str) or bound not in BOUNDS:
        raise InvalidInputError(f"unknown bound {bound!r}; expected one of {list(BOUNDS)}")
    probes = _draw_probes(mode, rounds, n, rng)
    false_accept = false_accept_bound(mode, rounds)

    if mode in ("int64", "modp"):
        bad = _bindings.freivalds_exact(mode, _kernel, a, b, c, probes, nthreads)
        failing = np.flatnonzero(bad)
        if len(failing):
            rows = tuple(int(i) + row_offset for i in failing)
            raise FreivaldsError(
                f"{names[2]} is not {names[0]} @ {names[1]} ({mode}): {_rows_text(rows)} "
                f"disagree with the product",
                rows,
            )
        return FreivaldsReport(mode, rounds, (m, k, n), row_offset, false_accept, None, None, 0)

    resid, thr, kerr = _bindings.freivalds_float(mode, _kernel, a, b, c, probes, nthreads)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(thr > 0, resid / thr, np.where(resid > 0, np.inf, 0.0))
        band = np.where(thr > 0, (thr + kerr) / thr, 1.0)
    flagged = np.flatnonzero(resid > thr)
    if cap is not None and len(flagged) > cap:
        rows = tuple(int(i) + row_offset for i in flagged)
        raise FreivaldsError(
            f"{names[2]} refused ({mode}): {_rows_text(rows)} exceed their tight threshold, more "
            f"than max_recompute={cap} can be settled by exact recomputation",
            rows,
            proven=False,
        )
    if len(flagged):
        found = _bindings.freivalds_recheck(
            mode, _kernel, a, b, c, flagged.astype(np.uint64), nthreads
        )
        proven = found[:, 0] > 0
        loose = np.zeros(len(flagged), dtype=bool)
        if bound == "realistic":
            loose = ~proven & (np.sqrt(found[:, 4]) > REALISTIC_FACTOR * thr[flagged])
        wrong = np.flatnonzero(proven | loose)
        if len(wrong):
            rows = tuple(int(flagged[w]) + row_offset for w in wrong)
            if proven.any():
                first = found[np.flatnonzero(proven)[0]]
                i, j = int(flagged[np.flatnonzero(proven)[0]]), int(first[1])
                detail = (f"hold entries no honest product can have; e.g. row {i + row_offset}, "
                          f"column {j}: claimed {c[i, j].item()!r}, exact {float(first[3])!r}, "
                          f"{first[2]:.3g} times the largest honest rounding error "
                          f"({int(first[0])} such entries in that row)")
            else:
                w0 = int(np.flatnonzero(loose)[0])
                detail = (f"carry rounding errors no BLAS of this precision produces (bound="
                          f"'realistic'); e.g. row {int(flagged[w0]) + row_offset}: error norm "
                          f"{np.sqrt(found[w0, 4]) / thr[flagged[w0]]:.3g} tight thresholds, within "
                          f"the worst case of some summation order")
            raise FreivaldsError(
                f"{names[2]} is not {names[0]} @ {names[1]} ({mode}): {_rows_text(rows)} {detail}",
                rows,
                proven=bool(proven[wrong].all()),
            )
    return FreivaldsReport(
        mode, rounds, (m, k, n), row_offset, false_accept,
        float(ratio.max()) if m else 0.0,
        float(band.max()) if m else 1.0,
        len(flagged),
        bound,
    )


def _rows_text(rows: tuple[int, ...]) -> str:
    shown = ", ".join(map(str, rows[:_NAMED_ROWS]))
    more = f" and {len(rows) - _NAMED_ROWS} more" if len(rows) > _NAMED_ROWS else ""
    return f"{len(rows)} row{'s' if len(rows) != 1 else ''} ({shown}{more})"
