"""Matrix-product benchmarks (issue 3, section 2): the C kernel against numpy.

Run:  .venv/bin/python -m pytest benchmarks/test_bench_matmul.py --benchmark-only
      (``make bench`` runs every benchmarks/test_bench_*.py and then benchmarks/report.py)

Each benchmark tags itself (group / impl / label, see report.py) so that report.py pairs ours
with the alternatives measured in the same run. Inputs are seeded n x n matrices.

- Integer products, n = 256, 512, 1024, 2048: ours ``matmul(a, b, mode="int64")`` (exact,
  wrapping mod 2**64) and ``mode="modp"`` (exact mod 2**61 - 1), each on 1 and 2 threads, against
  numpy's int64 ``a @ b``. numpy has no BLAS for integers: its int64 matmul is a plain loop on one
  thread, and it is the only exact integer product numpy offers (it computes the int64 product;
  a mod p product in numpy would need more work on top of it, so for modp it is a lower bound on
  numpy's time). numpy is checked once against ours (int64 results are identical), outside the
  timing. numpy at n = 2048 takes about a minute per call, so it runs once.
- Deterministic floats, n = 1024 and 2048: ours ``mode="float32"`` / ``"float64"`` (fixed FMA
  chain, same bits for every thread count and kernel) against numpy's ``a @ b`` (OpenBLAS, free to
  use both cores and any summation order).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from verifiable.matrix import matmul, matmul_kernel

SEED = 20240611
INT_SIZES = (256, 512, 1024, 2048)
FLOAT_SIZES = (1024, 2048)
# rounds for the slow ones (numpy int64 is ~0.2-0.5 G multiply-adds per second here)
NUMPY_INT_ROUNDS = {256: None, 512: 3, 1024: 2, 2048: 1}
# fixed rounds for ours at the large sizes: a minimum over more rounds is steadier when shared
OURS_ROUNDS = {1024: 20, 2048: 6}
INT_TARGET = {1024: {"numpy int64 @": 10.0}}

_cache: dict[Any, Any] = {}


def tag(benchmark: Any, group: str, impl: str, label: str, **extra: Any) -> None:
    """Fill in the report.py extra_info convention and use the group in pytest-benchmark's table."""
    assert impl in ("ours", "alt")
    benchmark.group = group
    benchmark.extra_info.update({"group": group, "impl": impl, "label": label, **extra})


def operands(n: int, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    key = (n, dtype)
    if key not in _cache:
        rng = np.random.default_rng(SEED + n)
        if dtype == "int64":
            a = rng.integers(-(2**63), 2**63, size=(n, n), dtype=np.int64)
            b = rng.integers(-(2**63), 2**63, size=(n, n), dtype=np.int64)
        else:
            a = rng.standard_normal((n, n)).astype(dtype)
            b = rng.standard_normal((n, n)).astype(dtype)
        _cache[key] = (a, b)
    return _cache[key]


def run(benchmark: Any, fn: Any, rounds: int | None) -> Any:
    if rounds is None:
        return benchmark(fn)
    return benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=0)


@pytest.mark.parametrize("threads", [1, 2], ids=lambda t: f"threads={t}")
@pytest.mark.parametrize("mode", ["int64", "modp"])
@pytest.mark.parametrize("n", INT_SIZES, ids=lambda n: f"n={n}")
def test_int_ours(benchmark: Any, n: int, mode: str, threads: int) -> None:
    a, b = operands(n, "int64")
    tag(benchmark, f"matmul_int_n{n}", "ours", f"{mode} threads={threads}", n=n,
        kernel=matmul_kernel(), macs=n**3, targets=INT_TARGET.get(n, {}) if threads == 2 else {},
        note=f"verifiable.matmul(mode={mode!r}) on the {matmul_kernel()} kernel")
    c = run(benchmark, lambda: matmul(a, b, mode=mode, threads=threads), OURS_ROUNDS.get(n))
    assert c.shape == (n, n)


@pytest.mark.parametrize("n", INT_SIZES, ids=lambda n: f"n={n}")
def test_int_numpy(benchmark: Any, n: int) -> None:
    a, b = operands(n, "int64")
    tag(benchmark, f"matmul_int_n{n}", "alt", "numpy int64 @", n=n, macs=n**3,
        note="numpy int64 matmul (no BLAS, one thread); wraps mod 2**64 like mode='int64'")
    c = run(benchmark, lambda: a @ b, NUMPY_INT_ROUNDS[n])
    assert np.array_equal(c, matmul(a, b, mode="int64"))  # same product, checked outside the timing


@pytest.mark.parametrize("threads", [1, 2], ids=lambda t: f"threads={t}")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", FLOAT_SIZES, ids=lambda n: f"n={n}")
def test_float_ours(benchmark: Any, n: int, dtype: str, threads: int) -> None:
    a, b = operands(n, dtype)
    tag(benchmark, f"matmul_{dtype}_n{n}", "ours", f"deterministic threads={threads}", n=n,
        kernel=matmul_kernel(), macs=n**3,
        note=f"verifiable.matmul(mode={dtype!r}): one fixed FMA chain per entry, same bits for "
             f"every thread count and kernel ({matmul_kernel()} here)")
    c = run(benchmark, lambda: matmul(a, b, mode=dtype, threads=threads), 20 if n == 2048 else None)
    assert c.dtype == dtype


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", FLOAT_SIZES, ids=lambda n: f"n={n}")
def test_float_numpy(benchmark: Any, n: int, dtype: str) -> None:
    a, b = operands(n, dtype)
    tag(benchmark, f"matmul_{dtype}_n{n}", "alt", "numpy @ (BLAS)", n=n, macs=n**3,
        note=f"numpy {np.__version__} a @ b through its BLAS (all cores, summation order its own)")
    c = run(benchmark, lambda: a @ b, 20 if n == 2048 else None)
    ours = matmul(a, b, mode=dtype)
    assert np.allclose(c, ours, rtol=1e-3, atol=1e-2 * np.sqrt(n))  # same product, up to rounding
