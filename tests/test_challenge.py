"""Challenge derivation: known answers from an independent re-implementation of the spec,
distinctness, uniformity, absence of modulo bias, and the beacon margin."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifiable.challenge import (
    BEACON_MARGIN_BITS,
    beacon_samples,
    beacon_seed,
    derive_indices,
    interactive_seed,
    probe_seed,
)
from verifiable.exceptions import InvalidInputError
from verifiable.soundness import bad_chunk_count, log_miss_target, samples_for_miss, samples_needed

# ---- a plain re-implementation of docs/SOUNDNESS.md, kept deliberately naive ----


def reference_indices(seed: bytes, n: int, s: int) -> list[int]:
    if s == n:
        return list(range(n))
    limit = (2**64 // n) * n
    picked: list[int] = []
    seen: set[int] = set()
    j = 0
    while len(picked) < s:
        message = (
            b"verifiable/challenge/v1" + seed
            + n.to_bytes(8, "big") + s.to_bytes(8, "big") + j.to_bytes(8, "big")
        )
        block = hashlib.sha256(message).digest()
        for k in range(4):
            word = int.from_bytes(block[8 * k : 8 * k + 8], "big")
            if word >= limit:
                continue
            index = word % n
            if index not in seen and len(picked) < s:
                seen.add(index)
                picked.append(index)
        j += 1
    return sorted(picked)


def reference_beacon_seed(beacon: bytes, digest: bytes) -> bytes:
    data = b"verifiable/beacon/v1" + len(beacon).to_bytes(4, "big") + beacon + digest
    return hashlib.sha256(data).digest()


def reference_probe_seed(seed: bytes, index: int) -> bytes:
    return hashlib.sha256(b"verifiable/probe/v1" + seed + index.to_bytes(8, "big")).digest()


KAT_SEED = hashlib.sha256(b"kat").digest()

# Computed with reference_indices above; fixed here so that a change to both is caught.
KNOWN_INDICES = [
    (bytes(32), 100, 10, [8, 9, 13, 16, 24, 50, 60, 76, 78, 95]),
    (bytes(range(32)), 2**64 - 1, 3,
     [3372261427337155098, 3774959143210186163, 15154669102182386047]),
    (KAT_SEED, 2**63 + 1, 4,
     [5522259109451046723, 7692982539701526053, 9048841974382575586, 9175618528056000303]),
    (KAT_SEED, 1000, 8, [157, 569, 594, 725, 840, 899, 900, 964]),
]


@pytest.mark.parametrize(("seed", "n", "s", "want"), KNOWN_INDICES)
def test_known_indices(seed: bytes, n: int, s: int, want: list[int]) -> None:
    assert reference_indices(seed, n, s) == want
    assert derive_indices(seed, n, s) == want


def test_known_seeds() -> None:
    assert beacon_seed(b"drand", bytes(32)).hex() == (
        "6cdf31b1f7ad081fea480fd992f6998dd64ce05098a1527d2537a67bad34f384"
    )
    assert probe_seed(bytes(range(32)), 7).hex() == (
        "1ff3331e5b70595a28e46e4ab7783ce15618cbc86207ba4e7b6ad2f5a8e634f3"
    )


@pytest.mark.parametrize(
    ("n", "s"),
    [(1, 1), (2, 1), (3, 2), (7, 6), (64, 63), (1000, 1), (1000, 999), (3, 3), (2**32, 50),
     (2**63, 20), (2**63 + 1, 20), (2**64 - 1, 20), (3 * 2**62, 20), (10**12 + 39, 100)],
)
def test_matches_reference(n: int, s: int) -> None:
    for i in range(5):
        seed = hashlib.sha256(b"seed" + bytes([i])).digest()
        assert derive_indices(seed, n, s) == reference_indices(seed, n, s)


@settings(max_examples=200, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), n=st.integers(1, 2**64 - 1), data=st.data())
def test_properties(seed: bytes, n: int, data: st.DataObject) -> None:
    s = data.draw(st.integers(1, min(n, 200)))
    got = derive_indices(seed, n, s)
    assert len(got) == s == len(set(got))
    assert got == sorted(got)
    assert all(isinstance(i, int) and 0 <= i < n for i in got)
    assert got == reference_indices(seed, n, s)
    assert derive_indices(bytearray(seed), n, s) == got


@pytest.mark.parametrize(
    ("n", "s"),
    [(2**40, 3000), (300, 257), (1000, 999), (2**20, 5000), (3 * 2**62, 2000), (2**63 + 1, 2000),
     (2**64 - 1, 1000), (2**63, 1000), (5000, 4000), (10**6 + 3, 300_000)],
)
def test_batched_path_matches_reference(n: int, s: int) -> None:
    """Above 256 samples the stream is hashed in batches by the C kernel and deduplicated with
    numpy; the result must be the same as the one-block-at-a-time reading of the spec."""
    seed = hashlib.sha256(b"batched" + n.to_bytes(8, "big")).digest()
    assert derive_indices(seed, n, s) == reference_indices(seed, n, s)


def test_batched_path_over_many_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    from verifiable import challenge

    monkeypatch.setattr(challenge, "_MAX_BATCH_BLOCKS", 16)  # 64 words per batch
    for n, s in [(2**40, 1000), (600, 590), (3 * 2**62, 700)]:
        seed = hashlib.sha256(b"many" + n.to_bytes(8, "big")).digest()
        assert derive_indices(seed, n, s) == reference_indices(seed, n, s)


def test_samples_equal_to_n_gives_everything() -> None:
    assert derive_indices(bytes(32), 1, 1) == [0]
    assert derive_indices(bytes(32), 5, 5) == [0, 1, 2, 3, 4]
    assert derive_indices(KAT_SEED, 1000, 1000) == list(range(1000))


def test_seed_n_and_samples_all_matter() -> None:
    base = derive_indices(KAT_SEED, 10**9, 30)
    assert derive_indices(bytes(32), 10**9, 30) != base
    assert derive_indices(KAT_SEED, 10**9 + 1, 30) != base
    assert derive_indices(KAT_SEED, 10**9, 31)[:30] != base  # samples is hashed in


def test_large_sample_count() -> None:
    got = derive_indices(KAT_SEED, 2**40, 100_000)
    assert len(got) == len(set(got)) == 100_000 and got == sorted(got) and got[-1] < 2**40
    assert derive_indices(KAT_SEED, 2**40, 3000) == reference_indices(KAT_SEED, 2**40, 3000)
    dense = derive_indices(KAT_SEED, 20_000, 19_999)  # coupon collector: many duplicates skipped
    assert len(set(dense)) == 19_999


def _chi_square(counts: list[int], expected: float) -> float:
    return sum((c - expected) ** 2 / expected for c in counts)


def test_uniform_over_indices_and_subsets() -> None:
    """Across 12,000 seeds, each index and each 2-subset of a 7-chunk job turns up equally
    often. Chi-square thresholds are generous (p < 1e-6 under uniformity); seeds are fixed."""
    n, s, rounds = 7, 2, 12_000
    index_counts: Counter[int] = Counter()
    subset_counts: Counter[tuple[int, ...]] = Counter()
    for r in range(rounds):
        seed = hashlib.sha256(r.to_bytes(4, "big")).digest()
        got = derive_indices(seed, n, s)
        index_counts.update(got)
        subset_counts[tuple(got)] += 1
    # 6 degrees of freedom: P(chi2 > 40) ~ 5e-7
    assert _chi_square([index_counts[i] for i in range(n)], rounds * s / n) < 40
    subsets = list(combinations(range(n), s))
    # 20 degrees of freedom: P(chi2 > 65) ~ 1e-6
    assert _chi_square([subset_counts[c] for c in subsets], rounds / len(subsets)) < 65


def test_no_modulo_bias() -> None:
    """n = 3 * 2^62: plain w mod n would put half the draws below 2^62 (the words in
    [n, 2^64) wrap onto [0, 2^62)) where uniform draws put a third. Over 8,000 draws
    (sd ~ 42) the count must be near a third; seeds are fixed."""
    n = 3 * 2**62
    got: list[int] = []
    for r in range(8):
        got += derive_indices(hashlib.sha256(b"bias" + bytes([r])).digest(), n, 1000)
    low = sum(1 for i in got if i < 2**62)
    sd = math.sqrt(len(got) * (1 / 3) * (2 / 3))
    assert abs(low - len(got) / 3) < 6 * sd
    assert abs(low - len(got) / 2) > 20 * sd  # and far from the biased half


def test_half_the_words_rejected_just_above_2_63() -> None:
    """n = 2^63 + 1: limit = n, so about half of all words are rejected, and the indices
    still match the reference and stay in range."""
    n = 2**63 + 1
    seed = hashlib.sha256(b"half").digest()
    got = derive_indices(seed, n, 400)
    assert got == reference_indices(seed, n, 400)
    assert all(0 <= i < n for i in got)
    words = []
    for j in range(100):
        block = hashlib.sha256(
            b"verifiable/challenge/v1" + seed + n.to_bytes(8, "big") + (400).to_bytes(8, "big")
            + j.to_bytes(8, "big")
        ).digest()
        words += [int.from_bytes(block[k : k + 8], "big") for k in range(0, 32, 8)]
    rejected = sum(1 for w in words if w >= n)
    assert 120 < rejected < 280  # ~200 of 400 (sd 10)


def test_rejected_words_are_skipped() -> None:
    """Find a seed whose first word is rejected for n = 2^63 + 1 and check it is not used."""
    n = 2**63 + 1
    for r in range(100):
        seed = hashlib.sha256(b"reject" + bytes([r])).digest()
        first = hashlib.sha256(
            b"verifiable/challenge/v1" + seed + n.to_bytes(8, "big") + (1).to_bytes(8, "big")
            + bytes(8)
        ).digest()
        word = int.from_bytes(first[:8], "big")
        if word >= n:
            second = int.from_bytes(first[8:16], "big")
            expected = [second % n] if second < n else None
            got = derive_indices(seed, n, 1)
            assert got[0] != word % n
            if expected is not None:
                assert got == expected
            return
    pytest.fail("no rejected first word in 100 seeds (probability ~ 2^-100)")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((bytes(31), 10, 1), "seed must be 32 bytes"),
        ((bytes(33), 10, 1), "seed must be 32 bytes"),
        (("00" * 32, 10, 1), "seed must be bytes"),
        ((None, 10, 1), "seed must be bytes"),
        ((bytes(32), 0, 1), "n_chunks"),
        ((bytes(32), 2**64, 1), "n_chunks"),
        ((bytes(32), -1, 1), "n_chunks"),
        ((bytes(32), 10.0, 1), "n_chunks"),
        ((bytes(32), True, 1), "n_chunks"),
        ((bytes(32), 10, 0), "samples"),
        ((bytes(32), 10, 11), "samples"),
        ((bytes(32), 10, -1), "samples"),
        ((bytes(32), 10, "3"), "samples"),
    ],
)
def test_derive_bad_input(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        derive_indices(*args)  # type: ignore[arg-type]


# ---- seeds ----


@settings(max_examples=50, deadline=None)
@given(beacon=st.binary(min_size=1, max_size=1024), digest=st.binary(min_size=32, max_size=32))
def test_beacon_seed_matches_reference(beacon: bytes, digest: bytes) -> None:
    assert beacon_seed(beacon, digest) == reference_beacon_seed(beacon, digest)
    assert beacon_seed(bytearray(beacon), memoryview(digest)) == reference_beacon_seed(beacon, digest)


def test_beacon_seed_length_prefix_separates() -> None:
    # without the length prefix these two would hash the same bytes
    a = beacon_seed(b"ab", bytes(range(32)))
    b = beacon_seed(b"a", b"b" + bytes(range(31)))
    assert a != b


@settings(max_examples=50, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), index=st.integers(0, 2**64 - 1))
def test_probe_seed_matches_reference(seed: bytes, index: int) -> None:
    assert probe_seed(seed, index) == reference_probe_seed(seed, index)


def test_seed_bad_input() -> None:
    for beacon in (b"", bytes(1025), "drand", None):
        with pytest.raises(InvalidInputError, match="beacon"):
            beacon_seed(beacon, bytes(32))
    for digest in (bytes(31), bytes(33), "00" * 32):
        with pytest.raises(InvalidInputError, match="commitment_digest"):
            beacon_seed(b"x", digest)
    for index in (-1, 2**64, 1.0, True, "1"):
        with pytest.raises(InvalidInputError, match="index"):
            probe_seed(bytes(32), index)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="seed"):
        probe_seed(bytes(16), 0)


def test_interactive_seed() -> None:
    seeds = {interactive_seed() for _ in range(50)}
    assert len(seeds) == 50 and all(isinstance(x, bytes) and len(x) == 32 for x in seeds)


# ---- beacon margin ----


def test_beacon_samples() -> None:
    assert BEACON_MARGIN_BITS == 20
    n, f, c = 10**6, 0.01, 0.99
    assert beacon_samples(n, f, c, 0) == samples_needed(n, f, c) == 459
    default = beacon_samples(n, f, c)
    assert default == beacon_samples(n, f, c, BEACON_MARGIN_BITS)
    b = bad_chunk_count(n, f)
    # the definition: a per-attempt miss of (1 - c) / 2^20
    assert default == samples_for_miss(n, b, math.log(0.01) - 20 * math.log(2))
    assert default == samples_for_miss(n, b, log_miss_target(c, 20))
    # about ln(2^20 / 0.01) / ln(1/0.99) with replacement
    assert default <= math.ceil((20 * math.log(2) - math.log(0.01)) / -math.log1p(-f))
    counts = [beacon_samples(n, f, c, g) for g in range(0, 64, 8)]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)
    assert beacon_samples(n, f, c, 20, check_false_accept=0.5) > default


def test_beacon_samples_bad_input() -> None:
    for g in (-1, 1.5, "20", 2000):
        with pytest.raises(InvalidInputError, match="grinding_attempts_log2"):
            beacon_samples(1000, 0.01, 0.99, g)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="confidence"):
        beacon_samples(1000, 0.01, 1.0)
    with pytest.raises(InvalidInputError, match="bad_fraction"):
        beacon_samples(1000, 0.0, 0.9)
