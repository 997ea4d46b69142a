"""How likely spot checks are to catch a cheat, and how many it takes.

A provider commits to ``n`` chunks of work, ``b`` of which are wrong. The
verifier then checks ``s`` distinct chunks drawn uniformly without replacement
(:func:`verifiable.challenge.derive_indices`). The number ``J`` of wrong chunks
among those checked is hypergeometric::

    P(J = j) = C(b, j) C(n - b, s - j) / C(n, s)

If checking a wrong chunk always exposes it, the cheat escapes only when
``J = 0``::

    miss = P(J = 0) = C(n - b, s) / C(n, s) = prod_{i=0}^{s-1} (n - b - i) / (n - i)

If a check of a wrong chunk can itself be fooled with probability at most
``eps`` (``check_false_accept``; a Freivalds probe, for instance), independently
for each chunk, the cheat escapes with probability at most::

    miss = E[eps^J] = sum_j P(J = j) eps^j

and the detection probability is ``1 - miss``.

Numerics. ``P(J = 0)`` is the product above, which is also
``prod_{i=0}^{b-1} (n - s - i) / (n - i)``: with ``j = min(b, s)`` and
``k = max(b, s)`` it is ``prod_{m=n-k+1}^{n} (1 - j/m)``, summed in log space
(``log1p``, ``math.fsum``). Up to 2,048 factors the sum is taken term by term;
beyond, by the Euler-Maclaurin formula with a closed-form, cancellation-free
integral (the factors nearest the pole at ``m = j`` are summed one by one).
Taking the smaller count as ``j`` keeps every part of the formula of the size
of the result; tests find agreement with exact integers to about 1e-15
relative, and ``n`` up to 2^64 - 1 with ``s`` or ``b`` in the billions costs
microseconds. ``E[eps^J]`` walks the terms ``P(J = j) eps^j`` in log space from
the ratio of consecutive terms until the rest is negligible, then adds
``exp(term - largest)`` with ``math.fsum`` (linear in the number of terms); see
:func:`miss_probability` for the limit on its length, and docs/SOUNDNESS.md
section 3.3 for the exact algorithm.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ._buffers import as_int
from .exceptions import InvalidInputError

__all__ = [
    "MAX_CHUNKS",
    "bad_chunk_count",
    "describe",
    "describe_audit",
    "detection_probability",
    "log_miss_probability",
    "log_miss_target",
    "miss_probability",
    "samples_for_miss",
    "samples_needed",
]

#: The largest number of chunks these functions accept (challenge indices are u64).
MAX_CHUNKS = 2**64 - 1

_DIRECT_TERMS = 2048  # products with at most this many factors are summed term by term
_EM_GAP = 1024  # Euler-Maclaurin is used only where m - j >= _EM_GAP (tiny remainder)
_PGF_MAX_TERMS = 1_000_000


# ---------------------------------------------------------------------------
# log of prod_{i=0}^{k-1} (1 - j / (n - i)), for j + k <= n
# ---------------------------------------------------------------------------


def _phi(u: float) -> float:
    """(1 - u) log1p(-u) + u = sum_{k>=2} u^k / (k (k - 1)), accurate for 0 <= u < 1."""
    if u < 0.125:
        total = 0.0
        power = u * u
        k = 2
        while True:
            term = power / (k * (k - 1))
            total += term
            if term <= 1e-18 * total:
                return total
            power *= u
            k += 1
    return (1.0 - u) * math.log1p(-u) + u


def _log_factor_sum_em(n: int, j: int, low: int, high: int) -> float:
    """sum_{m=low}^{high} log(1 - j/m) by Euler-Maclaurin; needs low - j >= _EM_GAP."""
    a = float(low)
    b = float(high)
    jf = float(j)
    # Integral of log(1 - j/m) dm from a to b, with H(m) = (m - j) log(m - j) - m log m
    # rewritten as -j log m - j + m * phi(j / m); the -j terms cancel in the difference.
    integral = -jf * math.log1p((high - low) / a) + b * _phi(jf / b) - a * _phi(jf / a)

    def g(m: float) -> float:
        return math.log1p(-jf / m)

    def d1(m: float) -> float:  # g'(m) = 1/(m - j) - 1/m
        return jf / (m * (m - jf))

    def d3(m: float) -> float:  # g'''(m)
        return 2.0 / (m - jf) ** 3 - 2.0 / m**3

    def d5(m: float) -> float:  # g^(5)(m)
        return 24.0 / (m - jf) ** 5 - 24.0 / m**5

    return math.fsum(
        [
            integral,
            0.5 * (g(a) + g(b)),
            (d1(b) - d1(a)) / 12.0,
            -(d3(b) - d3(a)) / 720.0,
            (d5(b) - d5(a)) / 30240.0,
        ]
    )


def _log_product(n: int, j: int, k: int) -> float:
    """log prod_{i=0}^{k-1} (1 - j/(n - i)) = log [C(n-j, k) / C(n, k)], for j + k <= n."""
    if j > k:
        # C(n-j,k)/C(n,k) = C(n-k,j)/C(n,j). The smaller count goes in the numerator: the
        # Euler-Maclaurin parts are then all of the size of the result (no cancellation).
        j, k = k, j
    if j == 0 or k == 0:
        return 0.0
    low = n - k + 1  # the factors are 1 - j/m for m = low .. n
    if k <= _DIRECT_TERMS:
        return math.fsum(math.log1p(-j / m) for m in range(low, n + 1))
    split = min(n + 1, max(low, j + _EM_GAP))
    head = math.fsum(math.log1p(-j / m) for m in range(low, split))
    if split > n:
        return head
    return head + _log_factor_sum_em(n, j, split, n)


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def _check_counts(n_chunks: Any, bad_chunks: Any, samples: Any) -> tuple[int, int, int]:
    n = as_int(n_chunks, "n_chunks", minimum=1, maximum=MAX_CHUNKS)
    b = as_int(bad_chunks, "bad_chunks", minimum=0, maximum=n)
    s = as_int(samples, "samples", minimum=0, maximum=n)
    return n, b, s


def _check_eps(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, Decimal)):
        raise InvalidInputError(
            f"check_false_accept must be a number, not {type(value).__name__}"
        )
    eps = float(value)
    if not (0.0 <= eps <= 1.0):  # also refuses NaN
        raise InvalidInputError(f"check_false_accept must be in [0, 1], got {value!r}")
    return eps


def _log_miss(n: int, b: int, s: int, eps: float) -> float:
    """log of the miss probability; -inf when the cheat is always caught."""
    if b == 0 or s == 0 or eps == 1.0:
        return 0.0
    j0 = max(0, s + b - n)  # the fewest wrong chunks a sample of s can hold
    if j0 > 0 and eps == 0.0:
        return -math.inf
    if j0 == 0:
        log_p0 = _log_product(n, b, s)  # log P(J = 0)
    else:
        # P(J = j0) = C(b, n - s) / C(n, n - s) = prod_{i<n-s} (1 - (n-b)/(n-i))
        log_p0 = _log_product(n, n - b, n - s)
    if eps == 0.0:
        return log_p0
    return _log_pgf(n, b, s, eps, j0, log_p0)


def _log_pgf(n: int, b: int, s: int, eps: float, j0: int, log_p0: float) -> float:
    """log E[eps^J] by adding P(J=j) eps^j in log space from j = j0.

    Two passes: the first walks the log terms (the ratio of consecutive terms is exact
    integer arithmetic rounded once) and keeps the largest, ``top``; the second adds
    ``exp(term - top)`` with :func:`math.fsum`. Linear in the number of terms (rescaling a
    list of scaled terms at each new maximum was quadratic).
    """
    log_eps = math.log(eps)
    j_max = min(s, b)
    log_term = log_p0 + j0 * log_eps
    top = log_term
    log_terms = [log_term]
    j = j0
    ratio = (b - j) * (s - j) / ((j + 1) * (n - b - s + j + 1)) if j < j_max else 0.0
    while j < j_max:
        if j - j0 >= _PGF_MAX_TERMS:
            # Hoeffding: E[f(J)] for convex f is at most its value under sampling with
            # replacement, so this binomial figure bounds the miss probability from above.
            return s * math.log1p(-(1.0 - eps) * b / n)
        log_term += math.log(ratio) + log_eps
        j += 1
        top = max(top, log_term)
        log_terms.append(log_term)
        # Once the terms shrink, the rest is bounded by a geometric series.
        ratio = (b - j) * (s - j) / ((j + 1) * (n - b - s + j + 1))
        next_ratio = ratio * eps
        if next_ratio < 1.0 and log_term < top - 45.0:
            tail = math.exp(log_term - top) * next_ratio / (1.0 - next_ratio)
            if tail < 1e-18:
                break
    return top + math.log(math.fsum(math.exp(x - top) for x in log_terms))


def log_miss_probability(
    n_chunks: int, bad_chunks: int, samples: int, check_false_accept: float = 0.0
) -> float:
    """Natural log of :func:`miss_probability` (``-inf`` when a cheat is always caught).

    Useful where the miss probability is below the smallest float.
    """
    n, b, s = _check_counts(n_chunks, bad_chunks, samples)
    # a log probability is <= 0; the sum can round a hair above it (eps next to 1)
    return min(_log_miss(n, b, s, _check_eps(check_false_accept)), 0.0)


def miss_probability(
    n_chunks: int, bad_chunks: int, samples: int, check_false_accept: float = 0.0
) -> float:
    """Probability that a cheat with ``bad_chunks`` wrong chunks out of ``n_chunks`` escapes
    ``samples`` distinct uniform spot checks, each of which a wrong chunk fools with
    probability at most ``check_false_accept``: ``sum_j P(J = j) * eps^j``.

    Accurate to about 1e-12 relative. With ``check_false_accept > 0`` the sum is exact
    up to 10^6 terms past the fewest possible wrong chunks in the sample; a longer sum
    (billions of wrong chunks in the sample) is replaced by the upper bound
    ``(1 - (1 - eps) b / n) ** s`` of sampling with replacement.
    """
    return math.exp(log_miss_probability(n_chunks, bad_chunks, samples, check_false_accept))


def detection_probability(
    n_chunks: int, bad_chunks: int, samples: int, check_false_accept: float = 0.0
) -> float:
    """Probability that ``samples`` distinct uniform spot checks out of ``n_chunks`` catch a
    cheat on ``bad_chunks`` of them: ``1 - miss_probability(...)``.

    ``bad_chunks = 0`` gives 0; ``samples > n_chunks - bad_chunks`` gives 1 when the checks
    are exact (``check_false_accept = 0``).
    """
    log_miss = log_miss_probability(n_chunks, bad_chunks, samples, check_false_accept)
    return 0.0 - math.expm1(log_miss)  # never -0.0


def _as_fraction(value: Any, name: str) -> Fraction:
    """A number as an exact fraction; a float is read as its shortest decimal (0.01 -> 1/100)."""
    if isinstance(value, bool):
        raise InvalidInputError(f"{name} must be a number, not bool")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputError(f"{name} must be finite, got {value!r}")
        return Fraction(repr(value))
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidInputError(f"{name} must be finite, got {value!r}")
        return Fraction(value)
    raise InvalidInputError(f"{name} must be a number, not {type(value).__name__}")


def bad_chunk_count(n_chunks: int, bad_fraction: float) -> int:
    """``max(1, ceil(bad_fraction * n_chunks))``: the wrong chunks of a cheat on that fraction.

    A float fraction is taken as the decimal it prints as (``0.01`` is exactly 1/100),
    so ``bad_chunk_count(10**6, 0.01) == 10_000``.
    """
    n = as_int(n_chunks, "n_chunks", minimum=1, maximum=MAX_CHUNKS)
    f = _as_fraction(bad_fraction, "bad_fraction")
    if not (0 < f <= 1):
        raise InvalidInputError(f"bad_fraction must be in (0, 1], got {bad_fraction!r}")
    return max(1, math.ceil(f * n))


def log_miss_target(confidence: float, margin_bits: int = 0) -> float:
    """``log((1 - confidence) / 2^margin_bits)``: the log miss probability to reach.

    ``1 - confidence`` is computed exactly from the decimal ``confidence`` prints as
    (``0.999999`` gives exactly 1e-6). ``0 < confidence < 1``; ``margin_bits >= 0``.
    """
    c = _as_fraction(confidence, "confidence")
    if not (0 < c < 1):
        raise InvalidInputError(f"confidence must be in (0, 1), got {confidence!r}")
    bits = as_int(margin_bits, "margin_bits", maximum=1024)
    return math.log(1 - c) - bits * math.log(2.0)


def samples_for_miss(
    n_chunks: int, bad_chunks: int, log_miss_target: float, check_false_accept: float = 0.0
) -> int:
    """Smallest ``s`` with ``log_miss_probability(n_chunks, bad_chunks, s, eps) <= log_miss_target``.

    ``log_miss_target`` is the natural log of the miss probability to reach (negative).
    Raises ``InvalidInputError`` when even checking every chunk cannot reach it (possible
    only with ``check_false_accept > 0``).
    """
    n = as_int(n_chunks, "n_chunks", minimum=1, maximum=MAX_CHUNKS)
    b = as_int(bad_chunks, "bad_chunks", minimum=1, maximum=n)
    eps = _check_eps(check_false_accept)
    if isinstance(log_miss_target, bool) or not isinstance(log_miss_target, (int, float)):
        raise InvalidInputError("log_miss_target must be a float")
    target = float(log_miss_target)
    if not (target < 0.0) or math.isinf(target):  # refuses NaN, 0 and +-inf
        raise InvalidInputError(f"log_miss_target must be negative and finite, got {target!r}")
    if _log_miss(n, b, n, eps) > target:
        raise InvalidInputError(
            f"no number of samples reaches a miss probability of exp({target:.6g}): checking "
            f"all {n} chunks still misses with probability exp({_log_miss(n, b, n, eps):.6g})"
        )
    # Sampling with replacement misses more often (Hoeffding), so its sample count is an
    # upper bound: (1 - (1 - eps) b / n)^s <= exp(target).
    per_sample = -math.log1p(-(1.0 - eps) * b / n) if (1.0 - eps) * b < n else math.inf
    hi = n if per_sample == 0.0 else min(n, max(1, math.ceil(-target / per_sample) + 1))
    if _log_miss(n, b, hi, eps) > target:
        hi = n
    lo = 0  # invariant: miss(lo) > target (s = 0 never detects), miss(hi) <= target
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _log_miss(n, b, mid, eps) <= target:
            hi = mid
        else:
            lo = mid
    return hi


def samples_needed(
    n_chunks: int, bad_fraction: float, confidence: float, *, check_false_accept: float = 0.0
) -> int:
    """Smallest number of distinct uniform spot checks that catches a cheat on
    ``bad_fraction`` of ``n_chunks`` with probability at least ``confidence``.

    The cheat has ``bad_chunk_count(n_chunks, bad_fraction)`` wrong chunks (at least one);
    the count is exact (hypergeometric, binary search). ``0 < bad_fraction <= 1``,
    ``0 < confidence < 1``, ``n_chunks >= 1``; ``InvalidInputError`` otherwise. For
    example ``samples_needed(1_000_000, 0.01, 0.99) == 459``.
    """
    b = bad_chunk_count(n_chunks, bad_fraction)
    target = log_miss_target(confidence)
    return samples_for_miss(n_chunks, b, target, check_false_accept)


# ---------------------------------------------------------------------------
# words
# ---------------------------------------------------------------------------


def _one_in(log10_odds: float) -> str:
    """'1 in X' with two significant figures, X = 10^log10_odds (works far past float range)."""
    exponent = math.floor(log10_odds)
    mantissa = 10.0 ** (log10_odds - exponent)
    if exponent >= 9:
        if round(mantissa, 1) >= 10.0:
            mantissa /= 10.0
            exponent += 1
        return f"1 in {mantissa:.1f} x 10^{exponent}"
    odds = 10.0**log10_odds
    rounded = round(odds, -max(0, exponent - 1))  # two significant figures
    return f"1 in {int(rounded):,}"


def _caught_phrase(p: float, miss: float, log10_miss: float) -> str:
    """'caught with probability P (miss chance M)', M > 0 given as a float and as its log10."""
    if miss >= 0.01:
        figure = f"{p:.3g}" if miss >= 0.5 else f"{p:.{math.floor(-log10_miss) + 2}f}".rstrip("0")
        return f"caught with probability {figure} (miss chance {miss:.3g})"
    decimals = math.floor(-log10_miss) + 2  # two significant digits of the miss chance
    figure = "above 0.999999999999999" if decimals > 15 else f"{p:.{decimals}f}".rstrip("0")
    return f"caught with probability {figure} (miss chance {_one_in(-log10_miss)})"


def _cheat_prefix(n_chunks: Any, bad_fraction: Any) -> str:
    n = as_int(n_chunks, "n_chunks", minimum=1, maximum=MAX_CHUNKS)
    f = _as_fraction(bad_fraction, "bad_fraction")
    if not (0 < f <= 1):
        raise InvalidInputError(f"bad_fraction must be in (0, 1], got {bad_fraction!r}")
    return f"a cheat on {float(f) * 100:.4g}% of {n:,} chunks is "


def describe(
    probability: float,
    *,
    n_chunks: int | None = None,
    bad_fraction: float | None = None,
    miss: float | None = None,
) -> str:
    """A detection probability in words.

    ``describe(0.99991)`` gives ``"caught with probability 0.99991 (miss chance 1 in
    11,000)"``; with ``n_chunks`` and ``bad_fraction`` the sentence names the cheat:
    ``"a cheat on 1% of 1,048,576 chunks is caught with probability ..."``. Pass ``miss``
    (from :func:`miss_probability`) when it is below about 1e-16, where ``1 - probability``
    is no longer exact in floating point; ``miss=0.0`` reads "no miss possible".
    :func:`describe_audit` computes the figures itself and stays exact below 1e-308.
    """
    if isinstance(probability, bool) or not isinstance(probability, (int, float)):
        raise InvalidInputError(f"probability must be a float, not {type(probability).__name__}")
    p = float(probability)
    if not (0.0 <= p <= 1.0):
        raise InvalidInputError(f"probability must be in [0, 1], got {probability!r}")
    if miss is None:
        m = 1.0 - p
    else:
        if isinstance(miss, bool) or not isinstance(miss, (int, float)):
            raise InvalidInputError(f"miss must be a float, not {type(miss).__name__}")
        m = float(miss)
        if not (0.0 <= m <= 1.0):
            raise InvalidInputError(f"miss must be in [0, 1], got {miss!r}")
    if m == 0.0 and miss is not None:
        tail = "caught with probability 1 (no miss possible)"
    elif m == 0.0:
        tail = "caught with probability 1 (miss chance below 1 in 10^16)"
    else:
        tail = _caught_phrase(p, m, math.log10(m))
    if n_chunks is None and bad_fraction is None:
        return tail
    if n_chunks is None or bad_fraction is None:
        raise InvalidInputError("give both n_chunks and bad_fraction, or neither")
    return _cheat_prefix(n_chunks, bad_fraction) + tail


def describe_audit(
    n_chunks: int, bad_fraction: float, samples: int, check_false_accept: float = 0.0
) -> str:
    """The catch rate of ``samples`` spot checks against a cheat on ``bad_fraction`` of
    ``n_chunks``, in words, e.g. ``describe_audit(2**20, 0.01, 900)`` ->
    ``"a cheat on 1% of 1,048,576 chunks is caught with probability 0.99988 (miss chance
    1 in 8,500)"``. Exact even where the miss chance is below the smallest float.
    """
    prefix = _cheat_prefix(n_chunks, bad_fraction)
    b = bad_chunk_count(n_chunks, bad_fraction)
    log_miss = log_miss_probability(n_chunks, b, samples, check_false_accept)
    if log_miss == -math.inf:
        return prefix + "caught with probability 1 (no miss possible)"
    miss = math.exp(log_miss)
    return prefix + _caught_phrase(-math.expm1(log_miss), miss, log_miss / math.log(10.0))
