"""Freivalds check benchmarks (issue 3, section 5).

Run:  .venv/bin/python -m pytest benchmarks/test_bench_freivalds.py --benchmark-only \
          --benchmark-json=benchmarks/results.json && .venv/bin/python benchmarks/report.py benchmarks/results.json
      (``make bench`` runs every benchmarks/test_bench_*.py and then benchmarks/report.py)

Groups (report.py pairs ours with the alternatives of the same group, see its docstring):

- ``freivalds_<dtype>_n<n>``, n = 1024, 2048, 4096, float32 and float64: ours
  ``freivalds_check(a, b, c, mode=dtype, rounds=R)`` with R = 1, 8 and 40 (the default of the
  float modes; fused: each matrix is read once for all rounds; the probes are drawn from
  ``secrets`` inside the timing) against the full product ``a @ b`` (numpy/OpenBLAS, every
  core) and against numpy's own Freivalds round
  ``a @ (b @ r) - c @ r`` (no thresholds, no second round). Target at n = 4096 float64, 1 round:
  >= 120x the matmul.
- ``freivalds_rounds_<dtype>_n<n>``: 8 fused rounds ("ours") against 1 round ("alt"): the target
  ratio 1/1.5 says 8 rounds cost at most 1.5x one round.
- ``freivalds_exact_n1024``: int64 (40 rounds, the default) and modp (2 rounds, the default)
  checks against numpy's int64 matmul (numpy has no BLAS for integers) and against numpy's
  int64 ``a @ (b @ r) - c @ r``.

Every input is seeded and every check is run once outside the timing to make sure it passes.
The machine has 2 cores and may be shared: read the ratios, not the absolute times.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from verifiable.freivalds import PRIME, freivalds_check

SEED = 20240603
SIZES = (1024, 2048, 4096)
ROUNDS = (1, 8, 40)  # 40: the default for the float modes (false-accept bound 2^-40)
_cache: dict[Any, Any] = {}


def tag(benchmark: Any, group: str, impl: str, label: str, **extra: Any) -> None:
    assert impl in ("ours", "alt")
    benchmark.group = group
    benchmark.extra_info.update({"group": group, "impl": impl, "label": label, **extra})


def float_inputs(n: int, dtype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    key = ("f", n, dtype)
    if key not in _cache:
        rng = np.random.default_rng(SEED + n)
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        _cache[key] = (a, b, a @ b)
    return _cache[key]


def run(benchmark: Any, fn: Any, n: int, slow: bool = False) -> Any:
    """Calibrated rounds for fast calls; a fixed few for the full products at large n."""
    if slow and n >= 2048:
        return benchmark.pedantic(fn, rounds=3 if n >= 4096 else 5, iterations=1, warmup_rounds=1)
    return benchmark.pedantic(fn, rounds=15 if n >= 4096 else 30, iterations=1, warmup_rounds=2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("rounds", ROUNDS, ids=lambda r: f"rounds={r}")
def test_freivalds_float_ours(benchmark: Any, n: int, dtype: str, rounds: int) -> None:
    a, b, c = float_inputs(n, dtype)
    rep = freivalds_check(a, b, c, mode=dtype, rounds=rounds)
    assert rep.rows_recomputed == 0
    targets = {"numpy matmul": 120.0} if (n, dtype, rounds) == (4096, "float64", 1) else {}
    tag(benchmark, f"freivalds_{dtype}_n{n}", "ours", f"freivalds rounds={rounds}", size=n,
        targets=targets, bytes=3 * a.nbytes,
        note="freivalds_check: probes from secrets, all rounds fused, tight thresholds")
    run(benchmark, lambda: freivalds_check(a, b, c, mode=dtype, rounds=rounds), n)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("rounds", (8, 1), ids=lambda r: f"rounds={r}")
def test_freivalds_float_rounds(benchmark: Any, n: int, dtype: str, rounds: int) -> None:
    """8 fused rounds ("ours") against 1 round ("alt"): target 8 rounds <= 1.5x one round."""
    a, b, c = float_inputs(n, dtype)
    if rounds == 8:
        tag(benchmark, f"freivalds_rounds_{dtype}_n{n}", "ours", "8 rounds fused", size=n,
            targets={"1 round": 1 / 1.5})
    else:
        tag(benchmark, f"freivalds_rounds_{dtype}_n{n}", "alt", "1 round", size=n)
    run(benchmark, lambda: freivalds_check(a, b, c, mode=dtype, rounds=rounds), n)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", SIZES)
def test_freivalds_float_matmul(benchmark: Any, n: int, dtype: str) -> None:
    a, b, c = float_inputs(n, dtype)
    tag(benchmark, f"freivalds_{dtype}_n{n}", "alt", "numpy matmul", size=n,
        note="a @ b, numpy/OpenBLAS on every core: the cost of recomputing the product")
    out = run(benchmark, lambda: a @ b, n, slow=True)
    assert out.shape == c.shape


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", SIZES)
def test_freivalds_float_numpy_round(benchmark: Any, n: int, dtype: str) -> None:
    a, b, c = float_inputs(n, dtype)
    r = np.random.default_rng(SEED).standard_normal(n).astype(dtype)
    tag(benchmark, f"freivalds_{dtype}_n{n}", "alt", "numpy a@(b@r)-c@r", size=n,
        note="one unthresholded Freivalds round in numpy (three gemv calls)")
    run(benchmark, lambda: a @ (b @ r) - c @ r, n)


# ---- exact modes at n = 1024 ----------------------------------------------------------------

N_EXACT = 1024


def _mulpow2_modp(x: np.ndarray, e: int) -> np.ndarray:
    """x * 2^e mod p for uint64 x < p and 0 <= e < 61 (2^61 = 1 mod p)."""
    p = np.uint64(PRIME)
    lo = (x << np.uint64(e)) & p
    hi = x >> np.uint64(61 - e) if e else np.zeros_like(x)
    r = lo + hi
    return np.where(r >= p, r - p, r)


def modp_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b mod p exactly, from float64 BLAS products of 21-bit limbs (each sum < 2^52)."""
    assert a.shape[1] <= 1024
    limbs_a = [((a >> np.uint64(21 * s)) & np.uint64(2**21 - 1)).astype(np.float64) for s in range(3)]
    limbs_b = [((b >> np.uint64(21 * t)) & np.uint64(2**21 - 1)).astype(np.float64) for t in range(3)]
    c = np.zeros((a.shape[0], b.shape[1]), dtype=np.uint64)
    p = np.uint64(PRIME)
    for s in range(3):
        for t in range(3):
            part = (limbs_a[s] @ limbs_b[t]).astype(np.uint64)  # exact: < 2^52
            c = c + _mulpow2_modp(part, (21 * (s + t)) % 61)
            c = np.where(c >= p, c - p, c)
    return c


def exact_inputs(mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    key = ("e", mode)
    if key not in _cache:
        rng = np.random.default_rng(SEED)
        if mode == "int64":
            a = rng.integers(-2**63, 2**63, (N_EXACT, N_EXACT), dtype=np.int64)
            b = rng.integers(-2**63, 2**63, (N_EXACT, N_EXACT), dtype=np.int64)
            c = a @ b  # wraps mod 2^64
        else:
            a = rng.integers(0, PRIME, (N_EXACT, N_EXACT), dtype=np.uint64)
            b = rng.integers(0, PRIME, (N_EXACT, N_EXACT), dtype=np.uint64)
            c = modp_matmul(a, b)
        _cache[key] = (a, b, c)
    return _cache[key]


@pytest.mark.parametrize("mode", ["int64", "modp"])
def test_freivalds_exact_ours(benchmark: Any, mode: str) -> None:
    a, b, c = exact_inputs(mode)
    rep = freivalds_check(a, b, c, mode=mode)
    tag(benchmark, "freivalds_exact_n1024", "ours", f"{mode} ({rep.rounds} rounds)", size=N_EXACT,
        bytes=3 * a.nbytes)
    run(benchmark, lambda: freivalds_check(a, b, c, mode=mode), N_EXACT)


def test_freivalds_exact_numpy_matmul(benchmark: Any) -> None:
    a, b, _ = exact_inputs("int64")
    tag(benchmark, "freivalds_exact_n1024", "alt", "numpy int64 matmul", size=N_EXACT,
        note="numpy int64 a @ b (no BLAS for integers)")
    benchmark.pedantic(lambda: a @ b, rounds=2, iterations=1)


def test_freivalds_exact_numpy_round(benchmark: Any) -> None:
    a, b, c = exact_inputs("int64")
    r = np.random.default_rng(SEED).integers(-2**63, 2**63, N_EXACT, dtype=np.int64)
    tag(benchmark, "freivalds_exact_n1024", "alt", "numpy int64 a@(b@r)-c@r (1 round)", size=N_EXACT)
    run(benchmark, lambda: a @ (b @ r) - c @ r, N_EXACT)
