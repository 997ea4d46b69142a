"""Spot-check soundness figures against exact rational arithmetic and simulation."""

from __future__ import annotations

import math
import subprocess
import sys
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from verifiable.exceptions import InvalidInputError
from verifiable.soundness import (
    bad_chunk_count,
    describe,
    describe_audit,
    detection_probability,
    log_miss_probability,
    log_miss_target,
    miss_probability,
    samples_for_miss,
    samples_needed,
)

REL = 1e-12


# ---- exact references, straight from the definitions ----


def exact_miss(n: int, b: int, s: int, eps: Fraction = Fraction(0)) -> Fraction:
    """sum_j P(J = j) eps^j with P(J = j) = C(b, j) C(n - b, s - j) / C(n, s)."""
    total = Fraction(0)
    for j in range(max(0, s + b - n), min(s, b) + 1):
        weight = Fraction(1) if j == 0 else eps**j
        if weight:
            total += Fraction(math.comb(b, j) * math.comb(n - b, s - j)) * weight
    return total / math.comb(n, s)


def exact_log_miss(n: int, b: int, s: int) -> float:
    """log P(J = 0) to ~50 digits, via Decimal (the integers can have 100,000 digits)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return float((Decimal(math.comb(n - b, s)) / Decimal(math.comb(n, s))).ln())


def close(a: float, b: float, rel: float = REL) -> bool:
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


# ---- against exact fractions ----


def test_every_small_case_matches_fractions() -> None:
    for n in range(1, 19):
        for b in range(n + 1):
            for s in range(n + 1):
                want = exact_miss(n, b, s)
                assert close(miss_probability(n, b, s), float(want)), (n, b, s)
                assert close(detection_probability(n, b, s), float(1 - want)), (n, b, s)


@pytest.mark.parametrize("eps", [Fraction(1, 2), Fraction(1, 3), Fraction(9, 10), Fraction(1, 10**6)])
def test_small_cases_with_false_accepts_match_fractions(eps: Fraction) -> None:
    for n in range(1, 13):
        for b in range(n + 1):
            for s in range(n + 1):
                want = exact_miss(n, b, s, eps)
                got = miss_probability(n, b, s, check_false_accept=float(eps))
                # eps itself is rounded to a float: allow for that in eps^j, j <= 12
                assert close(got, float(want), 1e-11), (n, b, s, eps)
                assert close(detection_probability(n, b, s, float(eps)), float(1 - want), 1e-11)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n=st.integers(1, 3000))
def test_product_form_matches_fractions(data: st.DataObject, n: int) -> None:
    b = data.draw(st.integers(0, n))
    s = data.draw(st.integers(0, n))
    want = Fraction(math.comb(n - b, s), math.comb(n, s)) if s <= n - b else Fraction(0)
    assert close(miss_probability(n, b, s), float(want)) or abs(
        miss_probability(n, b, s) - float(want)
    ) < 1e-300  # subnormal results carry fewer digits
    if want:  # the log stays exact where the probability itself underflows
        got, ref = log_miss_probability(n, b, s), exact_log_miss(n, b, s)
        assert abs(got - ref) <= 1e-13 * max(1.0, abs(ref)), (got, ref)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 400))
def test_false_accept_sum_matches_fractions(data: st.DataObject, n: int) -> None:
    b = data.draw(st.integers(0, n))
    s = data.draw(st.integers(0, n))
    eps = Fraction(data.draw(st.integers(0, 1024)), 1024)  # exact in binary floating point
    want = exact_miss(n, b, s, eps)
    got = miss_probability(n, b, s, check_false_accept=float(eps))
    assert close(got, float(want), 1e-11) or abs(got - float(want)) < 1e-300


@pytest.mark.parametrize(
    ("n", "b", "s"),
    [
        (10**6, 3000, 5000),  # both products longer than the term-by-term limit
        (10**6, 10_000, 989_000),  # close to the s = n - b singularity
        (10**6, 2500, 997_499),  # s = n - b - 1: the last factor is 1/(b + 1)
        (50_000, 25_000, 25_000),
        (2**40, 3000, 4000),  # n = 2^40
        (2**40, 10**5, 2049),
        (2**30, 2**12, 2**14),
    ],
)
def test_long_products_match_exact_integers(n: int, b: int, s: int) -> None:
    """The Euler-Maclaurin path (more than 2,048 factors each way) against exact integers."""
    got = log_miss_probability(n, b, s)
    want = exact_log_miss(n, b, s)
    assert abs(got - want) <= 1e-12 * max(1.0, abs(want)), (got, want)


def test_huge_instances_are_fast_and_sane() -> None:
    # b and s both in the billions; compare with the with-replacement figure
    n, b, s = 2**60, 2**40, 2**22
    got = log_miss_probability(n, b, s)
    with_replacement = s * math.log1p(-b / n)
    assert close(got, with_replacement, 1e-5)
    assert got < with_replacement  # without replacement misses less often
    assert detection_probability(2**64 - 1, 2**63, 2**62) == 1.0
    assert 0.0 < detection_probability(2**64 - 1, 1, 10**5) < 1e-13


def test_long_false_accept_sum() -> None:
    """Thousands of wrong chunks in the sample: the log-space sum stays exact."""
    n, b, s, eps = 1200, 600, 600, Fraction(1, 2)
    want = exact_miss(n, b, s, eps)
    assert close(log_miss_probability(n, b, s, float(eps)), math.log(want), 1e-12)
    # far beyond exact rationals: the miss must sit between the exact-checks figure
    # and the with-replacement (Hoeffding) upper bound
    n, b, s, e = 10**9, 10**7, 10**5, 0.5
    got = log_miss_probability(n, b, s, e)
    assert log_miss_probability(n, b, s) < got <= s * math.log1p(-(1 - e) * b / n)


def exact_log_pgf(n: int, b: int, s: int, eps: Fraction) -> float:
    """log sum_j P(J = j) eps^j in exact rationals, term by term from the consecutive ratio."""
    term = Fraction(math.comb(n - min(b, s), max(b, s)), math.comb(n, max(b, s)))
    total = term
    for j in range(min(b, s)):
        term *= Fraction((b - j) * (s - j), (j + 1) * (n - b - s + j + 1)) * eps
        total += term
    return math.log(total.numerator) - math.log(total.denominator)


def test_false_accept_sum_with_a_distant_mode_matches_fractions() -> None:
    """The largest term P(J = j) eps^j is hundreds of terms past the first (E[J] = 500)."""
    n, b, s = 6000, 1500, 2000
    for eps in (Fraction(1, 2), Fraction(7, 8), Fraction(1, 8)):
        assert close(log_miss_probability(n, b, s, float(eps)), exact_log_pgf(n, b, s, eps), 1e-12)


def test_false_accept_sum_is_linear_in_its_terms() -> None:
    """About 100,000 wrong chunks expected in the sample, 50,000 terms before the largest: this
    took 42 s when the scaled terms were rescaled at every new maximum (quadratic). A generous
    time-out in a subprocess, no timing assertion. The figure must lie between the exact-check
    miss and the with-replacement bound; the pinned value is this algorithm's own (the same in
    the JS verifier), its correctness is checked against fractions in the test above."""
    n, b, s = 1099512294097, 802422, 138992296528
    code = (
        "from verifiable.soundness import log_miss_probability as f; "
        f"print(repr(f({n}, {b}, {s}, 0.5)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    got = float(done.stdout)
    assert log_miss_probability(n, b, s) < got <= s * math.log1p(-0.5 * b / n)
    assert close(got, -52391.9348438921, 1e-9)


# ---- against simulation ----


@pytest.mark.parametrize(("n", "b", "s", "eps"), [(200, 4, 30, 0.0), (200, 10, 12, 0.0),
                                                  (120, 6, 20, 0.3), (60, 30, 5, 0.8)])
def test_monte_carlo(n: int, b: int, s: int, eps: float) -> None:
    """20,000 simulated audits: a random subset of s chunks (the first b are wrong) is checked;
    each wrong chunk checked escapes with probability eps. The observed catch rate must lie
    within 5 standard errors of the formula (a false failure about once in 1.7 million runs;
    the generator is seeded, so the test is deterministic)."""
    trials = 20_000
    rng = np.random.default_rng(20240611 + n + b + s)
    order = rng.random((trials, n)).argsort(axis=1)[:, :s]
    wrong_checked = (order < b).sum(axis=1)
    escaped_each = rng.random((trials, max(1, b))) < eps
    mask = np.arange(max(1, b))[None, :] < wrong_checked[:, None]
    caught = (mask & ~escaped_each).any(axis=1)
    p = detection_probability(n, b, s, eps)
    sigma = math.sqrt(p * (1 - p) / trials)
    assert abs(caught.mean() - p) <= 5 * sigma + 1e-12, (caught.mean(), p)


# ---- properties ----


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(2, 10**12))
def test_monotone_in_samples_and_bad_chunks(data: st.DataObject, n: int) -> None:
    b = data.draw(st.integers(1, min(n - 1, 10**6)))
    s = data.draw(st.integers(0, min(n - 1, 10**5)))
    assert detection_probability(n, b, s) <= detection_probability(n, b, s + 1)
    assert detection_probability(n, b, s) <= detection_probability(n, b + 1, s)
    eps = data.draw(st.floats(0, 1))
    assert detection_probability(n, b, s, eps) <= detection_probability(n, b, s)
    assert 0.0 <= detection_probability(n, b, s, eps) <= 1.0


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 2**40),
    fraction=st.sampled_from([0.5, 0.1, 0.05, 0.01, 0.003, 0.001]),
    confidence=st.sampled_from([0.5, 0.9, 0.99, 0.999, 0.999999]),
)
def test_samples_needed_is_the_smallest(n: int, fraction: float, confidence: float) -> None:
    s = samples_needed(n, fraction, confidence)
    b = bad_chunk_count(n, fraction)
    target = 1 - confidence
    assert 1 <= s <= n - b + 1
    assert miss_probability(n, b, s) <= target * (1 + 1e-12)
    assert s == 1 or miss_probability(n, b, s - 1) > target * (1 - 1e-12)
    # more confidence or a subtler cheat never needs fewer samples
    assert samples_needed(n, fraction, min(0.9999999, confidence * 1.0005)) >= s
    assert samples_needed(n, fraction / 2, confidence) >= s


def test_known_samples_needed() -> None:
    # n = 10^6, 1% bad, 99% confidence: 459, confirmed with exact integers
    n, b = 10**6, 10_000
    assert samples_needed(n, 0.01, 0.99) == 459
    assert math.comb(n - b, 459) * 100 <= math.comb(n, 459)  # miss(459) <= 1%
    assert math.comb(n - b, 458) * 100 > math.comb(n, 458)  # miss(458) > 1%
    # the sampling-with-replacement rule of thumb ln(1/delta) / -ln(1 - f) is never below it
    for n, f, c in [(10**6, 0.01, 0.99), (2**20, 0.001, 0.999999), (2**30, 0.1, 0.99)]:
        rule = math.ceil(math.log(1 - c) / math.log1p(-f))
        assert samples_needed(n, f, c) <= rule
    # every chunk wrong: one sample suffices; a single wrong chunk among n needs about c * n
    assert samples_needed(1000, 1.0, 0.999999) == 1
    assert samples_needed(1000, 0.001, 0.99) == 990
    assert samples_needed(1, 1.0, 0.5) == 1


def test_false_accepts_need_more_samples() -> None:
    base = samples_needed(10**6, 0.01, 0.99)
    half = samples_needed(10**6, 0.01, 0.99, check_false_accept=0.5)
    assert half > base
    tiny = samples_needed(10**6, 0.01, 0.99, check_false_accept=2.0**-64)
    assert tiny == base
    with pytest.raises(InvalidInputError, match="no number of samples"):
        samples_needed(10, 0.1, 0.99, check_false_accept=0.5)  # one wrong chunk, caught half the time


def test_bad_fraction_is_read_as_decimal() -> None:
    assert bad_chunk_count(10**6, 0.01) == 10_000  # not 10,001 from 0.01's binary value
    assert bad_chunk_count(10**6, Fraction(1, 100)) == 10_000
    assert bad_chunk_count(10**6, Decimal("0.01")) == 10_000
    assert bad_chunk_count(10, 0.001) == 1  # at least one wrong chunk
    assert bad_chunk_count(7, 0.5) == 4
    assert bad_chunk_count(5, 1) == 5


def test_log_miss_target() -> None:
    assert log_miss_target(0.99) == pytest.approx(math.log(0.01), rel=1e-15)
    assert log_miss_target(0.999999, 20) == pytest.approx(math.log(1e-6) - 20 * math.log(2), rel=1e-15)
    assert samples_for_miss(10**6, 10_000, log_miss_target(0.99)) == 459


# ---- edge cases ----


def test_edges() -> None:
    assert detection_probability(100, 0, 50) == 0.0
    assert detection_probability(100, 5, 0) == 0.0
    assert detection_probability(100, 5, 96) == 1.0  # s > n - b: a wrong chunk is always checked
    assert detection_probability(100, 5, 100) == 1.0
    assert detection_probability(100, 100, 1) == 1.0
    assert detection_probability(1, 1, 1) == 1.0
    assert detection_probability(100, 5, 96, check_false_accept=1.0) == 0.0
    assert detection_probability(100, 100, 100, check_false_accept=0.5) == pytest.approx(1 - 0.5**100)
    assert miss_probability(100, 5, 96) == 0.0
    assert log_miss_probability(100, 5, 96) == -math.inf
    assert detection_probability(100, 1, 1) == pytest.approx(0.01, rel=1e-15)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, 0, 0), "n_chunks"),
        ((-5, 0, 0), "n_chunks"),
        ((2**64, 1, 1), "n_chunks"),
        ((10, 11, 1), "bad_chunks"),
        ((10, -1, 1), "bad_chunks"),
        ((10, 1, 11), "samples"),
        ((10, 1, -1), "samples"),
        ((10.0, 1, 1), "n_chunks"),
        ((True, 1, 1), "n_chunks"),
        (("10", 1, 1), "n_chunks"),
        ((10, 1, 1, -0.1), "check_false_accept"),
        ((10, 1, 1, 1.5), "check_false_accept"),
        ((10, 1, 1, float("nan")), "check_false_accept"),
        ((10, 1, 1, "0.5"), "check_false_accept"),
        ((10, 1, 1, True), "check_false_accept"),
    ],
)
def test_bad_input(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        detection_probability(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, 0.1, 0.9), "n_chunks"),
        ((10, 0, 0.9), "bad_fraction"),
        ((10, -0.1, 0.9), "bad_fraction"),
        ((10, 1.01, 0.9), "bad_fraction"),
        ((10, float("nan"), 0.9), "bad_fraction"),
        ((10, float("inf"), 0.9), "bad_fraction"),
        ((10, "0.1", 0.9), "bad_fraction"),
        ((10, 0.1, 0), "confidence"),
        ((10, 0.1, 1), "confidence"),
        ((10, 0.1, 1.0), "confidence"),
        ((10, 0.1, -0.5), "confidence"),
        ((10, 0.1, float("nan")), "confidence"),
        ((10, 0.1, None), "confidence"),
    ],
)
def test_samples_needed_bad_input(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        samples_needed(*args)  # type: ignore[arg-type]


# ---- words ----


def test_describe() -> None:
    assert (
        describe(0.99991, n_chunks=1_048_576, bad_fraction=0.01)
        == "a cheat on 1% of 1,048,576 chunks is caught with probability 0.99991 "
        "(miss chance 1 in 11,000)"
    )
    assert describe(0.3) == "caught with probability 0.3 (miss chance 0.7)"
    assert describe(0.991) == "caught with probability 0.991 (miss chance 1 in 110)"
    assert describe(1.0) == "caught with probability 1 (miss chance below 1 in 10^16)"
    assert describe(1.0, miss=0.0) == "caught with probability 1 (no miss possible)"
    assert describe(1.0, miss=2.5e-30) == (
        "caught with probability above 0.999999999999999 (miss chance 1 in 4.0 x 10^29)"
    )
    assert describe(0.5, n_chunks=10, bad_fraction=0.001).startswith("a cheat on 0.1% of 10 chunks")
    for bad in (-0.1, 1.1, float("nan"), "0.5"):
        with pytest.raises(InvalidInputError):
            describe(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="both"):
        describe(0.5, n_chunks=10)


def test_describe_audit() -> None:
    assert describe_audit(2**20, 0.01, 900) == (
        "a cheat on 1% of 1,048,576 chunks is caught with probability 0.99988 "
        "(miss chance 1 in 8,500)"
    )
    assert describe_audit(100, 0.05, 96) == (
        "a cheat on 5% of 100 chunks is caught with probability 1 (no miss possible)"
    )
    # miss = (1/2)^2000 ~ 8.7e-603, far below the smallest float
    assert describe_audit(2000, 1.0, 2000, check_false_accept=0.5) == (
        "a cheat on 100% of 2,000 chunks is caught with probability above 0.999999999999999 "
        "(miss chance 1 in 1.1 x 10^602)"
    )
    assert describe_audit(10**6, 0.01, 1).endswith("(miss chance 0.99)")


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 2**40), f=st.floats(1e-6, 1.0), s=st.integers(1, 10**5))
def test_describe_never_fails(n: int, f: float, s: int) -> None:
    assume(s <= n)
    b = bad_chunk_count(n, f)
    text = describe(
        detection_probability(n, b, s), n_chunks=n, bad_fraction=f, miss=miss_probability(n, b, s)
    )
    assert text.startswith("a cheat on ") and "caught with probability" in text
    text = describe_audit(n, f, s)
    assert text.startswith("a cheat on ") and "caught with probability" in text


@settings(max_examples=25, deadline=None)
@given(n=st.integers(5000, 200_000), data=st.data())
def test_euler_maclaurin_path_matches_exact_integers(n: int, data: st.DataObject) -> None:
    """Random cases where the longer product has more than 2,048 factors."""
    k = data.draw(st.integers(2049, min(6000, n - 1)))
    j = data.draw(st.integers(1, min(k, n - k)))
    b, s = (j, k) if data.draw(st.booleans()) else (k, j)
    got = log_miss_probability(n, b, s)
    want = exact_log_miss(n, b, s)
    assert abs(got - want) <= 1e-12 * max(1.0, abs(want)), (n, b, s, got, want)


def test_false_accept_sum_falls_back_to_an_upper_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the term limit the sum gives way to the with-replacement figure, an upper bound."""
    from verifiable import soundness

    n, b, s, eps = 10_000, 3000, 3000, 0.9
    exact = log_miss_probability(n, b, s, eps)
    monkeypatch.setattr(soundness, "_PGF_MAX_TERMS", 10)
    bound = log_miss_probability(n, b, s, eps)
    assert bound == s * math.log1p(-(1 - eps) * b / n)
    assert exact < bound < exact * 0.9


def test_a_check_that_almost_never_catches_gives_no_negative_probability() -> None:
    # found by hypothesis: the false-accept sum rounded a hair above log 1 for eps next to 1
    from verifiable.soundness import detection_probability as dp

    assert 0.0 <= dp(7, 1, 1, 0.9999999999999999) < 1e-15  # exactly (1/7) * 2**-53
