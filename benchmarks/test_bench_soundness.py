"""Challenge derivation and soundness arithmetic: what a verifier pays per audit, in Python.

Run:  .venv/bin/python -m pytest benchmarks/test_bench_soundness.py --benchmark-only

- ``derive_indices(seed, 2^40, s)`` for s = 1,000 and 100,000 (the specified SHA-256 counter
  stream with rejection sampling) against
  * ``random.Random(seed).sample(range(n), s)`` then ``sorted`` (stdlib Mersenne Twister: not
    a cryptographic derivation, for scale only);
  * ``numpy.random.default_rng(seed).choice(n, s, replace=False)`` then ``np.sort`` (PCG64,
    likewise).
- ``miss_probability(10^6, 10^4, s)`` (log-space product) for s = 459 and 100,000, against the
  exact rational ``C(n - b, s) / C(n, s)`` with ``math.comb``.
- ``samples_needed(10^6, 0.01, 0.99)`` (binary search) against a linear scan that multiplies
  the factors ``(n - b - i) / (n - i)`` one at a time until the miss is below 1%.
- ``samples_needed(2^40, 0.001, 0.999999)``, ours only (the with-replacement alternatives do not
  give the exact figure).
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from verifiable.challenge import derive_indices
from verifiable.soundness import miss_probability, samples_needed

SEED = bytes(range(32))
N = 2**40


def tag(benchmark: Any, group: str, impl: str, label: str, **extra: Any) -> None:
    assert impl in ("ours", "alt")
    benchmark.group = group
    benchmark.extra_info.update({"group": group, "impl": impl, "label": label, **extra})


@pytest.mark.parametrize("s", [1_000, 100_000])
def test_derive_indices_ours(benchmark: Any, s: int) -> None:
    tag(benchmark, f"derive_indices_2^40_s={s}", "ours", "sha256-counter",
        note="SHA-256 counter mode, rejection sampling, sorted")
    out = benchmark(derive_indices, SEED, N, s)
    assert len(out) == s


@pytest.mark.parametrize("s", [1_000, 100_000])
def test_derive_indices_random_sample(benchmark: Any, s: int) -> None:
    tag(benchmark, f"derive_indices_2^40_s={s}", "alt", "random.sample",
        note="stdlib Mersenne Twister, not cryptographic")

    def run() -> list[int]:
        return sorted(random.Random(SEED).sample(range(N), s))

    assert len(benchmark(run)) == s


@pytest.mark.parametrize("s", [1_000, 100_000])
def test_derive_indices_numpy_choice(benchmark: Any, s: int) -> None:
    tag(benchmark, f"derive_indices_2^40_s={s}", "alt", "numpy choice",
        note="PCG64 Generator.choice(replace=False), not cryptographic")
    seed_int = int.from_bytes(SEED, "big")

    def run() -> Any:
        return np.sort(np.random.default_rng(seed_int).choice(N, s, replace=False))

    assert len(benchmark(run)) == s


@pytest.mark.parametrize("s", [459, 100_000])
def test_miss_ours(benchmark: Any, s: int) -> None:
    tag(benchmark, f"miss_probability_1e6_s={s}", "ours", "log-space")
    got = benchmark(miss_probability, 10**6, 10**4, s)
    if s == 459:
        exact = Fraction(math.comb(10**6 - 10**4, s), math.comb(10**6, s))
        assert abs(got - float(exact)) <= 1e-12 * float(exact)


@pytest.mark.parametrize("s", [459, 100_000])
def test_miss_exact_fraction(benchmark: Any, s: int) -> None:
    tag(benchmark, f"miss_probability_1e6_s={s}", "alt", "math.comb Fraction")
    rounds = 3 if s > 1000 else 20

    def run() -> float:
        return float(Fraction(math.comb(10**6 - 10**4, s), math.comb(10**6, s)))

    benchmark.pedantic(run, rounds=rounds, iterations=1)


def test_samples_needed_ours(benchmark: Any) -> None:
    tag(benchmark, "samples_needed_1e6_1%_0.99", "ours", "binary search")
    assert benchmark(samples_needed, 10**6, 0.01, 0.99) == 459


def test_samples_needed_linear_scan(benchmark: Any) -> None:
    tag(benchmark, "samples_needed_1e6_1%_0.99", "alt", "linear scan")

    def run() -> int:
        n, b, miss, s = 10**6, 10**4, 1.0, 0
        while miss > 0.01:
            miss *= (n - b - s) / (n - s)
            s += 1
        return s

    assert benchmark(run) == 459


def test_samples_needed_huge(benchmark: Any) -> None:
    tag(benchmark, "samples_needed_2^40_0.1%_1e-6", "ours", "binary search")
    assert benchmark(samples_needed, N, 0.001, 0.999999) > 13_000
