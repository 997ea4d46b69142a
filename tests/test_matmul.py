"""Matrix products of the C kernel (verifiable.matrix) against small references kept here.

References:
- int64: numpy's int64 ``@`` (which wraps mod 2**64 too) and, for small shapes, Python ints.
- modp: Python ints (small shapes); for larger shapes an exact numpy reference that splits every
  value into three 21-bit limbs, so each limb product sum stays below 2**63.
- floats: the defining chain s = fma(a, b, s), emulated exactly with fractions and
  round-half-even to 24 / 53 bits (so the comparison is bit for bit), and the classic error bound
  of recursive summation against a wider reference.
Every kernel the CPU offers is forced in turn; threads 1, 2 and 3 must give identical bytes.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from verifiable._native import ffi, lib

from verifiable import _bindings
from verifiable.exceptions import DecodeError, InvalidInputError
from verifiable.matrix import (
    MODES,
    MODP,
    RowBlock,
    available_matmul_kernels,
    matmul,
    matmul_kernel,
    matmul_rows,
    parse_row_block,
    row_block_bytes,
    set_matmul_kernel,
)

KERNELS = available_matmul_kernels()
FLOAT_MODES = ("float32", "float64")
DTYPE = {"int64": np.int64, "modp": np.int64, "float32": np.float32, "float64": np.float64}
HYP = settings(
    max_examples=25,
    deadline=None,
    # the kernel fixture only selects a kernel: nothing in it needs resetting between examples
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(params=KERNELS)
def kernel(request: pytest.FixtureRequest) -> Iterator[str]:
    """Force one matmul kernel for the duration of a test, then restore the previous one."""
    previous = matmul_kernel()
    set_matmul_kernel(request.param)
    try:
        yield request.param
    finally:
        set_matmul_kernel(previous)


# ---- references ----------------------------------------------------------------------------


def ref_int64_py(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    m, k = a.shape
    n = b.shape[1]
    al, bl = a.tolist(), b.tolist()
    out = [[sum(al[i][l] * bl[l][j] for l in range(k)) % 2**64 for j in range(n)] for i in range(m)]
    return np.array(out, dtype=np.uint64).reshape(m, n).view(np.int64)


def ref_modp_py(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    m, k = a.shape
    n = b.shape[1]
    al = [[x % MODP for x in row] for row in a.tolist()]
    bl = [[x % MODP for x in row] for row in b.tolist()]
    out = [[sum(al[i][l] * bl[l][j] for l in range(k)) % MODP for j in range(n)] for i in range(m)]
    return np.array(out, dtype=np.int64).reshape(m, n)


def ref_modp_limbs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact A @ B mod p through 21-bit limbs: each limb matmul sums k < 2**21 terms < 2**42."""
    assert a.shape[1] < 2**21
    ar = np.array([[x % MODP for x in row] for row in a.tolist()], dtype=np.int64).reshape(a.shape)
    br = np.array([[x % MODP for x in row] for row in b.tolist()], dtype=np.int64).reshape(b.shape)
    mask = (1 << 21) - 1
    al = [(ar >> (21 * s)) & mask for s in range(3)]
    bl = [(br >> (21 * t)) & mask for t in range(3)]
    total = np.zeros((a.shape[0], b.shape[1]), dtype=object)
    for s in range(3):
        for t in range(3):
            total = total + (al[s] @ bl[t]).astype(object) * (1 << (21 * (s + t)))
    return np.array((total % MODP).tolist(), dtype=np.int64).reshape(total.shape)


def round_to(x: Fraction, precision: int, emin: int, emax: int) -> float:
    """x rounded to the nearest number with ``precision`` significant bits, ties to even."""
    if x == 0:
        return 0.0
    sign, x = (-1 if x < 0 else 1), abs(x)
    e = x.numerator.bit_length() - x.denominator.bit_length()
    if Fraction(2) ** e > x:
        e -= 1
    e = max(e, emin)  # subnormals share the smallest exponent
    quantum = Fraction(2) ** (e - precision + 1)
    q, r = divmod(x / quantum, 1)
    q = int(q)
    if r > Fraction(1, 2) or (r == Fraction(1, 2) and q % 2 == 1):
        q += 1
    y = q * quantum
    if y >= Fraction(2) ** (emax + 1):
        return sign * math.inf
    return sign * float(y)


FORMAT = {"float32": (24, -126, 127), "float64": (53, -1022, 1023)}


def ref_fma_chain(a: np.ndarray, b: np.ndarray, mode: str) -> np.ndarray:
    """The defining chain s = +0; s = fma(a[i, l], b[l, j], s), each step rounded once."""
    p, emin, emax = FORMAT[mode]
    m, k = a.shape
    n = b.shape[1]
    out = np.empty((m, n), dtype=DTYPE[mode])
    for i in range(m):
        for j in range(n):
            s = 0.0
            for l in range(k):
                if math.isinf(s):
                    break  # exact finite products never move an infinity
                s = round_to(
                    Fraction(float(a[i, l])) * Fraction(float(b[l, j])) + Fraction(s), p, emin, emax
                )
            out[i, j] = s
    return out


def bits(x: np.ndarray) -> bytes:
    return np.ascontiguousarray(x).tobytes()


# ---- inputs --------------------------------------------------------------------------------


def rand_int(rng: np.random.Generator, shape: tuple[int, int], kind: str) -> np.ndarray:
    if kind == "full":
        return rng.integers(-(2**63), 2**63, size=shape, dtype=np.int64)
    if kind == "small":
        return rng.integers(-5, 6, size=shape, dtype=np.int64)
    special = np.array(
        [
            0,
            1,
            -1,
            2**63 - 1,
            -(2**63),
            MODP,
            MODP - 1,
            MODP + 1,
            -MODP,
            2**61,
            2**32,
            2**32 - 1,
            2**52,
            2**52 - 1,
        ],
        dtype=np.int64,
    )
    return rng.choice(special, size=shape)


def rand_float(
    rng: np.random.Generator, shape: tuple[int, int], mode: str, kind: str
) -> np.ndarray:
    if kind == "normal":
        x = rng.standard_normal(shape)
    elif kind == "wide":  # magnitudes from 2**-40 to 2**40, both signs: lots of cancellation
        x = rng.standard_normal(shape) * np.exp2(rng.integers(-40, 41, size=shape))
    else:  # a few exact small integers and zeros of both signs
        x = rng.choice(np.array([0.0, -0.0, 1.0, -1.0, 0.5, 3.0]), size=shape)
    return x.astype(DTYPE[mode])


shapes = st.tuples(st.integers(0, 9), st.integers(0, 12), st.integers(0, 9))


# ---- integer modes -------------------------------------------------------------------------


def test_constants() -> None:
    assert MODP == 2**61 - 1 == int(lib.VF_MM_MODULUS)
    assert MODES == ("int64", "modp", "float32", "float64")
    assert set(KERNELS) >= {"portable"}
    assert matmul_kernel() in KERNELS


@HYP
@given(shape=shapes, kind=st.sampled_from(["full", "small", "special"]), seed=st.integers(0, 2**32))
def test_int64_matches_python(
    kernel: str, shape: tuple[int, int, int], kind: str, seed: int
) -> None:
    m, k, n = shape
    rng = np.random.default_rng(seed)
    a, b = rand_int(rng, (m, k), kind), rand_int(rng, (k, n), kind)
    got = matmul(a, b, mode="int64")
    assert got.dtype == np.int64 and got.shape == (m, n)
    assert bits(got) == bits(ref_int64_py(a, b))
    assert bits(got) == bits(a @ b)  # numpy's int64 matmul wraps the same way


@HYP
@given(shape=shapes, kind=st.sampled_from(["full", "small", "special"]), seed=st.integers(0, 2**32))
def test_modp_matches_python(
    kernel: str, shape: tuple[int, int, int], kind: str, seed: int
) -> None:
    m, k, n = shape
    rng = np.random.default_rng(seed)
    a, b = rand_int(rng, (m, k), kind), rand_int(rng, (k, n), kind)
    got = matmul(a, b, mode="modp")
    assert got.dtype == np.int64 and got.shape == (m, n)
    assert bits(got) == bits(ref_modp_py(a, b))
    assert got.size == 0 or (0 <= got.min() and got.max() < MODP)


def test_modp_input_reduction(kernel: str) -> None:
    values = [
        0,
        1,
        -1,
        MODP - 1,
        MODP,
        MODP + 1,
        -MODP,
        -MODP - 1,
        2**61,
        2**62,
        2**63 - 1,
        -(2**63),
        -(2**63) + 1,
        -8,
        7,
    ]
    a = np.array(values, dtype=np.int64).reshape(-1, 1)
    one = np.ones((1, 1), dtype=np.int64)
    assert matmul(a, one, mode="modp").ravel().tolist() == [v % MODP for v in values]
    assert matmul(one, a.T.copy(), mode="modp").ravel().tolist() == [v % MODP for v in values]


def test_modp_worst_case_sums(kernel: str) -> None:
    """Every product is (p - 1)**2, the largest: lazy reduction must not overflow at any k."""
    for k in (1, 31, 32, 33, 64, 255, 256, 257, 600, 1100):
        a = np.full((3, k), MODP - 1, dtype=np.int64)
        b = np.full((k, 5), -2, dtype=np.int64)  # -2 = p - 2 (mod p)
        want = k * (MODP - 1) * (MODP - 2) % MODP
        assert (matmul(a, b, mode="modp") == want).all(), k
        assert (matmul(a, b.astype(np.int64) * 0 + MODP - 1, mode="modp") == k % MODP).all(), k


# Shapes across the cache blocks (KC = 256, MC = 128 / 144, micro-tiles up to 12 x 32,
# NC = 2048 / 4096 columns) with ragged edges, plus 1 x k, k x 1 and empty ones.
BLOCK_SHAPES = [
    (1, 700, 1),
    (1, 1, 67),
    (67, 1, 1),
    (145, 513, 37),
    (13, 257, 33),
    (3, 5, 2100),
    (0, 5, 3),
    (4, 0, 3),
    (4, 5, 0),
    (0, 0, 0),
    (2, 3, 4100),
]


@pytest.mark.parametrize("shape", BLOCK_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_integer_block_boundaries(kernel: str, shape: tuple[int, int, int]) -> None:
    m, k, n = shape
    rng = np.random.default_rng(m * 1000003 + k * 1009 + n)
    a, b = rand_int(rng, (m, k), "full"), rand_int(rng, (k, n), "full")
    assert bits(matmul(a, b, mode="int64")) == bits(a @ b)
    if m * k * n <= 3_000_000:
        assert bits(matmul(a, b, mode="modp")) == bits(ref_modp_limbs(a, b))


def test_limb_reference_is_exact() -> None:
    rng = np.random.default_rng(5)
    a, b = rand_int(rng, (4, 9), "full"), rand_int(rng, (9, 3), "special")
    assert bits(ref_modp_limbs(a, b)) == bits(ref_modp_py(a, b))


# ---- floats --------------------------------------------------------------------------------


@HYP
@given(
    shape=shapes,
    mode=st.sampled_from(FLOAT_MODES),
    kind=st.sampled_from(["normal", "wide", "exact"]),
    seed=st.integers(0, 2**32),
)
def test_float_is_the_fma_chain(
    kernel: str, shape: tuple[int, int, int], mode: str, kind: str, seed: int
) -> None:
    m, k, n = shape
    rng = np.random.default_rng(seed)
    a, b = rand_float(rng, (m, k), mode, kind), rand_float(rng, (k, n), mode, kind)
    got = matmul(a, b, mode=mode)
    assert got.dtype == DTYPE[mode] and got.shape == (m, n)
    assert bits(got) == bits(ref_fma_chain(a, b, mode))


@pytest.mark.parametrize("mode", FLOAT_MODES)
def test_float_chain_across_k_blocks(kernel: str, mode: str) -> None:
    """k = 600 spans three KC = 256 slices: the chain must carry through C between them."""
    rng = np.random.default_rng(11)
    a, b = rand_float(rng, (3, 600), mode, "wide"), rand_float(rng, (600, 2), mode, "wide")
    assert bits(matmul(a, b, mode=mode)) == bits(ref_fma_chain(a, b, mode))


def test_float_overflow_gives_infinities(kernel: str) -> None:
    big = np.finfo(np.float64).max
    a = np.array([[big, big, -big], [1.0, 2.0, 3.0]])
    b = np.array([[4.0, -4.0], [-1.0, 1.0], [1.0, 0.5]])
    got = matmul(a, b, mode="float64")
    assert bits(got) == bits(ref_fma_chain(a, b, "float64"))
    assert got[0, 0] == math.inf and got[0, 1] == -math.inf and not np.isnan(got).any()
    a32 = np.full((2, 40), 3e37, dtype=np.float32)
    got32 = matmul(a32, np.full((40, 3), 5.0, dtype=np.float32), mode="float32")
    assert (got32 == np.float32(math.inf)).all()


def test_subnormals_survive_flush_to_zero_callers(kernel: str) -> None:
    """Products in the subnormal range are kept (no flush to zero), whatever the caller's MXCSR."""
    tiny = np.array([[2.0**-1070, 2.0**-1060]])
    col = np.array([[0.5], [2.0**-3]])
    got = matmul(tiny, col, mode="float64")
    assert bits(got) == bits(ref_fma_chain(tiny, col, "float64"))
    assert got[0, 0] != 0.0


@pytest.mark.parametrize("mode", FLOAT_MODES)
@pytest.mark.parametrize(
    "shape",
    [(145, 513, 37), (13, 257, 70), (1, 900, 1), (40, 20, 300), (3, 300, 4200)],
    ids=lambda s: "x".join(map(str, s)),
)
def test_float_same_bits_every_kernel_and_thread_count(
    mode: str, shape: tuple[int, int, int]
) -> None:
    m, k, n = shape
    rng = np.random.default_rng(m + k + n)
    a, b = rand_float(rng, (m, k), mode, "wide"), rand_float(rng, (k, n), mode, "wide")
    previous = matmul_kernel()
    results = set()
    try:
        for name in KERNELS:
            set_matmul_kernel(name)
            for threads in (1, 2, 3):
                results.add(bits(matmul(a, b, mode=mode, threads=threads)))
    finally:
        set_matmul_kernel(previous)
    assert len(results) == 1
    # and the same bits as the reference chain, on a few sampled entries
    got = np.frombuffer(results.pop(), dtype=DTYPE[mode]).reshape(m, n)
    rows = sorted({0, m // 2, m - 1})
    assert bits(got[rows][:, :3]) == bits(ref_fma_chain(a[rows], b[:, :3], mode))


def gamma(k: int, u: float) -> float:
    return k * u / (1 - k * u)


@pytest.mark.parametrize("mode", FLOAT_MODES)
def test_float_error_bound(mode: str) -> None:
    """|C - A @ B| <= gamma_k |A| @ |B| (recursive summation, Higham, Accuracy and Stability of
    Numerical Algorithms, 2nd ed., eq. 3.5), checked against a wider reference whose own error
    bound is added: float64 for float32, long double for float64 (when it is wider)."""
    rng = np.random.default_rng(3)
    m, k, n = 64, 1500, 48
    a, b = rand_float(rng, (m, k), mode, "normal"), rand_float(rng, (k, n), mode, "normal")
    got = matmul(a, b, mode=mode)
    if mode == "float32":
        wide, u_ref = np.float64, 2.0**-53
        u = 2.0**-24
    else:
        if np.finfo(np.longdouble).nmant < 63:
            pytest.skip("long double is not wider than float64 here")
        wide, u_ref = np.longdouble, float(np.finfo(np.longdouble).eps) / 2
        u = 2.0**-53
    ref = a.astype(wide) @ b.astype(wide)
    scale = np.abs(a).astype(wide) @ np.abs(b).astype(wide)
    # the wide reference is off by at most gamma_k(u_ref) * scale, and scale itself by a factor
    # (1 + gamma_k(u_ref)); 1e-3 of slack covers both (gamma_k(u_ref) < 1e-12 here)
    bound = (gamma(k, u) + 2 * gamma(k, u_ref)) * scale * (1 + 1e-3)
    err = np.abs(got.astype(wide) - ref)
    assert (err <= bound).all()
    assert err.max() > 0  # the test is not vacuous: rounding did happen


# ---- threads, kernels, rows ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_threads_give_identical_bytes(kernel: str, mode: str) -> None:
    m, k, n = 131, 300, 40  # above the kernel's one-thread threshold (2**20 multiply-adds)
    rng = np.random.default_rng(7)
    if mode in FLOAT_MODES:
        a, b = rand_float(rng, (m, k), mode, "wide"), rand_float(rng, (k, n), mode, "wide")
    else:
        a, b = rand_int(rng, (m, k), "full"), rand_int(rng, (k, n), "full")
    outs = {bits(matmul(a, b, mode=mode, threads=t)) for t in (1, 2, 3, 8, 100)}
    assert len(outs) == 1
    if mode == "int64":
        assert outs.pop() == bits(a @ b)


@pytest.mark.parametrize("mode", MODES)
def test_integer_modes_same_on_every_kernel(mode: str) -> None:
    if mode in FLOAT_MODES:
        return  # covered by test_float_same_bits_every_kernel_and_thread_count
    rng = np.random.default_rng(8)
    a, b = (
        rand_int(
            rng,
            (
                37,
                270,
            ),
            "full",
        ),
        rand_int(rng, (270, 29), "full"),
    )
    previous = matmul_kernel()
    try:
        outs = set()
        for name in KERNELS:
            set_matmul_kernel(name)
            outs.add(bits(matmul(a, b, mode=mode)))
    finally:
        set_matmul_kernel(previous)
    assert len(outs) == 1


@HYP
@given(m=st.integers(0, 40), data=st.data(), mode=st.sampled_from(MODES))
def test_matmul_rows_is_the_slice(m: int, data: st.DataObject, mode: str) -> None:
    start = data.draw(st.integers(0, m))
    stop = data.draw(st.integers(start, m))
    rng = np.random.default_rng(m * 31 + start)
    k, n = 17, 6
    if mode in FLOAT_MODES:
        a, b = rand_float(rng, (m, k), mode, "wide"), rand_float(rng, (k, n), mode, "wide")
    else:
        a, b = rand_int(rng, (m, k), "full"), rand_int(rng, (k, n), "full")
    full = matmul(a, b, mode=mode)
    part = matmul_rows(a, b, start, stop, mode=mode, threads=2)
    assert part.shape == (stop - start, n)
    assert bits(part) == bits(full[start:stop])


def test_kernel_selection() -> None:
    previous = matmul_kernel()
    try:
        for name in KERNELS:
            set_matmul_kernel(name)
            assert matmul_kernel() == name
    finally:
        set_matmul_kernel(previous)
    with pytest.raises(InvalidInputError, match="unknown matmul kernel"):
        set_matmul_kernel("sse9")
    for name in {"portable", "avx2", "avx512"} - set(KERNELS):
        with pytest.raises(InvalidInputError):
            set_matmul_kernel(name)
    assert lib.vf_matmul_set_kernel(99) == lib.VF_E_ARG
    assert lib.vf_matmul_set_kernel(-1) == lib.VF_E_ARG
    assert lib.vf_matmul_kernel_available(99) == 0


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


def test_environment_forces_a_kernel() -> None:
    code = "from verifiable.matrix import matmul_kernel; print(matmul_kernel())"
    for name in KERNELS:
        assert _python(code, VERIFIABLE_MATMUL=name).stdout.strip() == name
    bad = _python(code, VERIFIABLE_MATMUL="turbo")
    assert bad.returncode != 0 and "VERIFIABLE_MATMUL" in bad.stderr


# ---- row blocks ----------------------------------------------------------------------------


def block_of(mode: str, m: int, k: int, n: int, start: int, stop: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if mode in FLOAT_MODES:
        a, b = rand_float(rng, (m, k), mode, "wide"), rand_float(rng, (k, n), mode, "wide")
    else:
        a, b = rand_int(rng, (m, k), "full"), rand_int(rng, (k, n), "full")
    return matmul_rows(a, b, start, stop, mode=mode)


@HYP
@given(
    mode=st.sampled_from(MODES),
    m=st.integers(0, 12),
    k=st.integers(0, 5),
    n=st.integers(0, 7),
    data=st.data(),
)
def test_row_block_round_trip(mode: str, m: int, k: int, n: int, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, m))
    stop = data.draw(st.integers(start, m))
    blk = block_of(mode, m, k, n, start, stop, seed=m + k + n)
    raw = row_block_bytes(blk, mode=mode, shape=(m, k, n), row_start=start)
    assert len(raw) == 48 + blk.nbytes
    rb = parse_row_block(raw, mode=mode, shape=(m, k, n), row_start=start, row_stop=stop)
    assert (rb.mode, rb.m, rb.k, rb.n, rb.row_start, rb.row_stop) == (mode, m, k, n, start, stop)
    assert rb.shape == (m, k, n)
    assert bits(rb.values) == bits(blk) and rb.values.dtype == DTYPE[mode]
    assert (
        rb.to_bytes() == raw
        and RowBlock.from_bytes(raw) == rb
        and hash(rb) == hash(RowBlock.from_bytes(raw))
    )


def test_row_block_known_bytes() -> None:
    blk = np.array([[1, -2]], dtype=np.int64)
    raw = row_block_bytes(blk, mode="int64", shape=(3, 4, 2), row_start=2)
    assert raw == (
        b"VFMB\x01\x00\x00\x00"
        + (3).to_bytes(8, "little")
        + (4).to_bytes(8, "little")
        + (2).to_bytes(8, "little")
        + (2).to_bytes(8, "little")
        + (3).to_bytes(8, "little")
        + (1).to_bytes(8, "little")
        + (2**64 - 2).to_bytes(8, "little")
    )
    f32 = row_block_bytes(
        np.array([[1.5]], dtype=np.float32), mode="float32", shape=(1, 1, 1), row_start=0
    )
    assert f32[4:8] == b"\x01\x02\x01\x00" and f32[48:] == bytes.fromhex("0000c03f")
    f64 = row_block_bytes(np.array([[1.5]]), mode="float64", shape=(1, 1, 1), row_start=0)
    assert f64[4:8] == b"\x01\x03\x02\x00" and f64[48:] == bytes.fromhex("000000000000f83f")
    modp = row_block_bytes(
        np.array([[5]], dtype=np.int64), mode="modp", shape=(1, 1, 1), row_start=0
    )
    assert modp[4:8] == b"\x01\x01\x00\x00"


def test_row_block_values_are_frozen() -> None:
    blk = np.array([[1, 2]], dtype=np.int64)
    rb = RowBlock("int64", 1, 1, 2, 0, 1, blk)
    blk[0, 0] = 99  # the instance kept its own copy
    assert rb.values[0, 0] == 1
    with pytest.raises(ValueError):
        rb.values[0, 0] = 5
    with pytest.raises(AttributeError):
        rb.m = 2  # type: ignore[misc]


FIELDS = {  # header field: (offset, size)
    "magic": (0, 4),
    "version": (4, 1),
    "mode": (5, 1),
    "dtype": (6, 1),
    "reserved": (7, 1),
    "m": (8, 8),
    "k": (16, 8),
    "n": (24, 8),
    "row_start": (32, 8),
    "row_stop": (40, 8),
}


@pytest.mark.parametrize("mode", MODES)
def test_row_block_tampering_is_refused(mode: str) -> None:
    m, k, n, start, stop = 9, 4, 3, 2, 5
    blk = block_of(mode, m, k, n, start, stop, seed=1)
    raw = row_block_bytes(blk, mode=mode, shape=(m, k, n), row_start=start)
    expect = {"mode": mode, "shape": (m, k, n), "row_start": start, "row_stop": stop}
    parse_row_block(raw, **expect)
    # every bit of every header field, flipped one at a time
    for off, size in FIELDS.values():
        for bit in range(8 * size):
            bad = bytearray(raw)
            bad[off + bit // 8] ^= 1 << (bit % 8)
            with pytest.raises(DecodeError):
                parse_row_block(bytes(bad), **expect)
    # short, long, empty, wrong types
    for bad in (raw[:-1], raw + b"\x00", raw[:47], b"", raw[:48]):
        with pytest.raises(DecodeError):
            parse_row_block(bad)
    for wrong in ("text", 123, None, [raw]):
        with pytest.raises(DecodeError):
            parse_row_block(wrong)
    # well-formed blocks of another place or product are refused by the expectation
    for other in (
        {"mode": "int64" if mode != "int64" else "modp"},
        {"shape": (m + 1, k, n)},
        {"shape": (m, k + 1, n)},
        {"row_start": start + 1},
        {"row_stop": stop - 1},
    ):
        with pytest.raises(DecodeError):
            parse_row_block(raw, **{**expect, **other})


def _header(
    mode: int,
    dtype: int,
    m: int,
    k: int,
    n: int,
    start: int,
    stop: int,
    *,
    magic: bytes = b"VFMB",
    version: int = 1,
    reserved: int = 0,
) -> bytes:
    return (
        magic
        + bytes([version, mode, dtype, reserved])
        + b"".join(v.to_bytes(8, "little") for v in (m, k, n, start, stop))
    )


def test_row_block_malformed_headers() -> None:
    body = (7).to_bytes(8, "little")
    ok = _header(0, 0, 1, 1, 1, 0, 1) + body
    assert parse_row_block(ok).values.tolist() == [[7]]
    bad = [
        _header(0, 0, 1, 1, 1, 0, 1, magic=b"VFMC") + body,
        _header(0, 0, 1, 1, 1, 0, 1, version=2) + body,
        _header(0, 0, 1, 1, 1, 0, 1, reserved=1) + body,
        _header(4, 0, 1, 1, 1, 0, 1) + body,  # unknown mode
        _header(0, 3, 1, 1, 1, 0, 1) + body,  # unknown element type
        _header(0, 2, 1, 1, 1, 0, 1) + body,  # float64 elements in int64 mode
        _header(2, 2, 1, 1, 1, 0, 1) + body,  # float32 mode with float64 elements
        _header(0, 0, 1, 1, 1, 1, 0),  # row_start > row_stop
        _header(0, 0, 1, 1, 1, 0, 2) + body * 2,  # row_stop > m
        _header(0, 0, 2**64 - 1, 1, 1, 0, 2**64 - 1),  # huge: the length cannot match
        _header(0, 0, 2**63, 1, 0, 0, 2**63),  # a dimension beyond numpy's sizes
        _header(1, 0, 1, 1, 1, 0, 1) + MODP.to_bytes(8, "little"),  # modp value = p
        _header(1, 0, 1, 1, 1, 0, 1) + (2**64 - 1).to_bytes(8, "little"),  # modp value = -1
        _header(3, 2, 1, 1, 1, 0, 1) + bytes.fromhex("000000000000f87f"),  # NaN
    ]
    for raw in bad:
        with pytest.raises(DecodeError):
            parse_row_block(raw)
    # an infinity is a possible product (overflow), so it is accepted
    inf = parse_row_block(_header(3, 2, 1, 1, 1, 0, 1) + bytes.fromhex("000000000000f07f"))
    assert inf.values[0, 0] == math.inf
    # an empty block (no rows, or no columns) is well-formed
    assert parse_row_block(_header(0, 0, 5, 2, 3, 4, 4)).values.shape == (0, 3)
    assert parse_row_block(_header(0, 0, 5, 2, 0, 1, 4)).values.shape == (3, 0)


def test_row_block_bytes_refuses_bad_blocks() -> None:
    good = np.zeros((2, 3), dtype=np.int64)
    cases: list[dict[str, Any]] = [
        {"block": good, "mode": "int64", "shape": (1, 1, 3), "row_start": 0},  # rows beyond m
        {"block": good, "mode": "int64", "shape": (4, 1, 2), "row_start": 0},  # n differs
        {"block": good, "mode": "int64", "shape": (4, 1, 3), "row_start": 3},  # stop beyond m
        {"block": good, "mode": "int64", "shape": (4, 1, 3), "row_start": -1},
        {"block": good, "mode": "float64", "shape": (4, 1, 3), "row_start": 0},  # dtype
        {"block": good - 1, "mode": "modp", "shape": (4, 1, 3), "row_start": 0},  # below 0
        {"block": good + MODP, "mode": "modp", "shape": (4, 1, 3), "row_start": 0},  # p
        {
            "block": good.astype(float) * np.nan,
            "mode": "float64",
            "shape": (4, 1, 3),
            "row_start": 0,
        },
        {"block": good.ravel(), "mode": "int64", "shape": (4, 1, 3), "row_start": 0},  # 1-D
        {"block": good.tolist(), "mode": "int64", "shape": (4, 1, 3), "row_start": 0},
        {"block": good, "mode": "int32", "shape": (4, 1, 3), "row_start": 0},
        {"block": good, "mode": "int64", "shape": (4, 3), "row_start": 0},
        {"block": good, "mode": "int64", "shape": (4, 1, True), "row_start": 0},
    ]
    for case in cases:
        with pytest.raises(InvalidInputError):
            row_block_bytes(case.pop("block"), **case)
    with pytest.raises(InvalidInputError):
        RowBlock("int64", 4, 1, 3, 2, 1, np.zeros((0, 3), dtype=np.int64))
    with pytest.raises(InvalidInputError):
        parse_row_block(b"", mode="nope")


# ---- bad input -----------------------------------------------------------------------------


def test_bad_operands() -> None:
    i64 = np.ones((3, 4), dtype=np.int64)
    f64 = np.ones((3, 4))
    col_i, col_f = np.ones((4, 2), dtype=np.int64), np.ones((4, 2))
    cases: list[tuple[Any, Any, str, str]] = [
        (i64, col_i, "int32", "unknown matmul mode"),
        (i64, col_i, None, "unknown matmul mode"),
        (f64, col_f, "int64", "dtype"),
        (i64, col_i, "float64", "dtype"),
        (f64.astype(np.float32), col_f, "float32", "dtype"),
        (i64.astype(np.int32), col_i, "int64", "dtype"),
        (i64.astype(np.uint64), col_i, "modp", "dtype"),
        (i64.astype(">i8"), col_i, "int64", "dtype"),
        (i64.astype(bool), col_i, "int64", "dtype"),
        (i64.tolist(), col_i, "int64", "numpy array"),
        (i64.ravel(), col_i, "int64", "2-D"),
        (i64.reshape(1, 3, 4), col_i, "int64", "2-D"),
        (i64, np.ones((5, 2), dtype=np.int64), "int64", "inner dimensions"),
        (np.ones((4, 3), dtype=np.int64).T, col_i, "int64", "C-contiguous"),
        (i64, np.ones((4, 4), dtype=np.int64)[:, ::2], "int64", "C-contiguous"),
        (f64 * np.nan, col_f, "float64", "a holds a NaN"),
        (f64, col_f * np.inf, "float64", "b holds a NaN"),
        (f64.astype(np.float32), (col_f * -np.inf).astype(np.float32), "float32", "b holds"),
    ]
    for a, b, mode, message in cases:
        with pytest.raises(InvalidInputError, match=message):
            matmul(a, b, mode=mode)
    unaligned = np.frombuffer(bytearray(8 * 12 + 1), dtype=np.int64, offset=1, count=12).reshape(
        3, 4
    )
    assert not unaligned.flags.aligned
    with pytest.raises(InvalidInputError, match="aligned"):
        matmul(unaligned, col_i, mode="int64")
    for threads in (0, -1, True, 1.0, "2"):
        with pytest.raises(InvalidInputError, match="threads"):
            matmul(i64, col_i, mode="int64", threads=threads)
    for start, stop in ((-1, 2), (2, 1), (0, 4), (4, 4), (True, 2), (0.0, 1), (None, 1)):
        with pytest.raises(InvalidInputError):
            matmul_rows(i64, col_i, start, stop, mode="int64")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    mode=st.sampled_from(FLOAT_MODES),
    shape=st.tuples(st.integers(0, 30), st.integers(0, 300), st.integers(0, 40)),
    where=st.sampled_from(["a", "b"]),
    value=st.sampled_from([math.nan, math.inf, -math.inf]),
    data=st.data(),
)
def test_nonfinite_found_anywhere(
    kernel: str,
    mode: str,
    shape: tuple[int, int, int],
    where: str,
    value: float,
    data: st.DataObject,
) -> None:
    """The kernel checks floats while packing them: a NaN or an infinity at any position of
    either operand, any tile or block edge, is refused (also when the product is empty)."""
    m, k, n = shape
    a = np.ones((m, k), dtype=DTYPE[mode])
    b = np.ones((k, n), dtype=DTYPE[mode])
    target = a if where == "a" else b
    if target.size == 0:
        return
    i = data.draw(st.integers(0, target.shape[0] - 1))
    j = data.draw(st.integers(0, target.shape[1] - 1))
    target[i, j] = value
    with pytest.raises(InvalidInputError, match=f"{where} holds a NaN or an infinity"):
        matmul(a, b, mode=mode)


def _kernel_call(
    mode: int,
    a: Any,
    a_len: int,
    b: Any,
    b_len: int,
    m: int,
    k: int,
    n: int,
    c: Any,
    c_len: int,
    work: Any,
    work_len: int,
    threads: int = 1,
) -> int:
    return int(lib.vf_matmul(mode, a, a_len, b, b_len, m, k, n, c, c_len, work, work_len, threads))


def test_kernel_rechecks_its_arguments() -> None:
    """The C kernel refuses what Python already refuses (lengths, NULL, alignment, sizes, NaN)."""
    mode = lib.VF_MM_INT64
    a = np.ones((3, 4), dtype=np.int64)
    b = np.ones((4, 2), dtype=np.int64)
    c = np.empty((3, 2), dtype=np.int64)
    size = ffi.new("size_t *")
    assert lib.vf_matmul_workspace_size(mode, 3, 4, 2, 1, size) == lib.VF_OK
    work = np.empty(size[0], dtype=np.uint8)
    pa, pb, pc, pw = (ffi.from_buffer("uint8_t[]", x) for x in (a, b, c, work))
    args = [mode, pa, a.nbytes, pb, b.nbytes, 3, 4, 2, pc, c.nbytes, pw, work.nbytes]
    assert _kernel_call(*args) == lib.VF_OK and (c == 4).all()

    def call(**change: Any) -> int:
        names = [
            "mode",
            "a",
            "a_len",
            "b",
            "b_len",
            "m",
            "k",
            "n",
            "c",
            "c_len",
            "work",
            "work_len",
        ]
        values = dict(zip(names, args))
        values.update(change)
        return _kernel_call(*(values[n] for n in names))

    assert call(mode=7) == lib.VF_E_ARG
    assert call(mode=-1) == lib.VF_E_ARG
    assert _kernel_call(*args, threads=0) == lib.VF_E_ARG
    assert call(a_len=a.nbytes - 1) == lib.VF_E_LENGTH
    assert call(b_len=b.nbytes + 8) == lib.VF_E_LENGTH
    assert call(c_len=0) == lib.VF_E_LENGTH
    assert call(m=4) == lib.VF_E_LENGTH
    assert call(a=ffi.NULL) == lib.VF_E_NULL
    assert call(c=ffi.NULL) == lib.VF_E_NULL
    assert call(work=ffi.NULL) == lib.VF_E_NULL
    assert call(work_len=0) == lib.VF_E_LENGTH
    assert call(a=pa + 1) == lib.VF_E_ARG  # misaligned
    assert call(m=2**62, a_len=0) == lib.VF_E_OVERFLOW
    assert call(m=2**40, k=2**40, n=1) == lib.VF_E_OVERFLOW
    assert lib.vf_matmul_workspace_size(mode, 3, 4, 2, 1, ffi.NULL) == lib.VF_E_NULL
    assert lib.vf_matmul_workspace_size(9, 3, 4, 2, 1, size) == lib.VF_E_ARG
    assert lib.vf_matmul_workspace_size(mode, 3, 4, 2, 0, size) == lib.VF_E_ARG
    assert lib.vf_matmul_workspace_size(mode, 2**63, 1, 1, 1, size) == lib.VF_E_OVERFLOW
    # NaN refused by the kernel itself
    fa, fb, fc = np.ones((3, 4)), np.ones((4, 2)), np.empty((3, 2))
    fa[2, 3] = np.nan
    assert lib.vf_matmul_workspace_size(lib.VF_MM_FLOAT64, 3, 4, 2, 1, size) == lib.VF_OK
    fw = np.empty(size[0], dtype=np.uint8)
    rc = _kernel_call(
        lib.VF_MM_FLOAT64,
        *[ffi.from_buffer("uint8_t[]", x) for x in (fa,)],
        fa.nbytes,
        ffi.from_buffer("uint8_t[]", fb),
        fb.nbytes,
        3,
        4,
        2,
        ffi.from_buffer("uint8_t[]", fc),
        fc.nbytes,
        ffi.from_buffer("uint8_t[]", fw),
        fw.nbytes,
    )
    assert rc == lib.VF_E_NONFINITE
    # and the binding turns a status into the exception
    with pytest.raises(InvalidInputError, match="matmul"):
        _bindings.check(lib.VF_E_LENGTH, "matmul")
