"""The exact paired permutation test: p-values computed by hand, and its inverted interval."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

import numpy as np
import pytest

from llmops.eval._permutation import (
    PermutationTest,
    min_testable_pairs,
    paired_permutation_test,
    smallest_p_value,
)


def _test(diffs: Sequence[float], *, confidence: float = 0.95, seed: int = 0) -> PermutationTest:
    baseline, candidate = np.zeros(len(diffs)), np.asarray(diffs, dtype=np.float64)
    return paired_permutation_test(baseline, candidate, confidence=confidence, seed=seed)


def _brute_p(diffs: Sequence[float], shift: float = 0.0) -> float:
    """Every sign pattern written out: the share as far from zero as the observed sum."""
    moved = [d - shift for d in diffs]
    observed = abs(sum(moved))
    extreme = sum(
        abs(sum(s * d for s, d in zip(signs, moved, strict=True))) >= observed - 1e-9
        for signs in itertools.product((1, -1), repeat=len(moved))
    )
    return extreme / 2 ** len(moved)


def test_smallest_p_value_and_the_fewest_testable_pairs() -> None:
    assert [smallest_p_value(n) for n in (1, 2, 5, 6)] == [1.0, 0.5, 1 / 16, 1 / 32]
    assert min_testable_pairs(0.05) == 6  # 2/32 = 0.0625 >= 0.05 > 2/64 = 0.031
    assert min_testable_pairs(0.01) == 8  # 2/128 = 0.0156 >= 0.01 > 2/256
    assert min_testable_pairs(0.5) == 3
    with pytest.raises(ValueError, match="alpha"):
        min_testable_pairs(0.0)


def test_six_equal_differences_have_p_two_in_sixty_four() -> None:
    test = paired_permutation_test(np.full(6, 0.2), np.full(6, 0.7))
    # Only "all up" (observed) and "all down" are as extreme among the 2**6 patterns.
    assert test.p_value == 2 / 64
    assert (test.exact, test.patterns) == (True, 64)
    # Any other common shift leaves six differences of one sign: rejected. The interval is 0.5.
    assert (test.ci_low, test.ci_high) == (pytest.approx(0.5), pytest.approx(0.5))


def test_p_values_by_hand() -> None:
    # |x| = 1, 2, 3, 4, 5, 1 (sum 16), observed sum 14: a pattern's sum is 16 - 2 * (the |x| it
    # negates), as extreme when that is <= 1 or >= 15: {}, {1}, {1'} and their complements.
    assert _test([1, 2, 3, 4, 5, -1]).p_value == 6 / 64
    # Four cases all worse: 2 of 16 patterns.
    assert _test([-1, -1, -1, -1]).p_value == 2 / 16
    # Six cases flipped from pass to fail and two unchanged: a zero's sign changes nothing, so
    # 2 * 2**2 of the 2**8 patterns are as extreme.
    assert _test([-1] * 6 + [0, 0]).p_value == 8 / 256
    # Nothing changed: every pattern ties.
    assert _test([0.0] * 7).p_value == 1.0


@pytest.mark.parametrize("seed", range(12))
def test_p_value_and_interval_match_the_test_written_out(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(6, 10)
    if seed % 3 == 0:
        diffs = [float(rng.choice((-1, 0, 0, 1, 1))) for _ in range(n)]  # pass/fail flips
    elif seed % 3 == 1:
        diffs = [round(rng.gauss(0.3, 0.5), 2) for _ in range(n)]
    else:
        diffs = [rng.lognormvariate(0.0, 1.0) - 1.2 for _ in range(n)]
    test = _test(diffs)
    assert test.p_value == pytest.approx(_brute_p(diffs))
    low, high = test.ci_low, test.ci_high
    assert low is not None
    assert high is not None
    # The bounds are the last shifts the test does not reject at 5%.
    assert _brute_p(diffs, low) >= 0.05
    assert _brute_p(diffs, high) >= 0.05
    assert _brute_p(diffs, low - 1e-6) < 0.05
    assert _brute_p(diffs, high + 1e-6) < 0.05
    # And the interval contains zero exactly when the test does not reject "no change".
    assert (low <= 0.0 <= high) == (test.p_value >= 0.05)


def test_below_six_pairs_no_interval_and_no_rejection() -> None:
    for n in range(1, 6):
        test = _test([5.0] * n)
        assert test.p_value == pytest.approx(smallest_p_value(n))
        assert test.p_value >= 0.05
        assert (test.ci_low, test.ci_high) == (None, None)
    # At 99% the bound moves to 8 pairs.
    assert _test([5.0] * 7, confidence=0.99).ci_low is None
    assert _test([5.0] * 8, confidence=0.99).ci_low == pytest.approx(5.0)


def test_above_the_exact_limit_patterns_are_sampled_with_a_fixed_seed() -> None:
    rng = np.random.default_rng(3)
    diffs = list(rng.normal(0.4, 0.3, 20))
    first = _test(diffs, seed=1)
    assert first.exact is False
    assert first.patterns == 2**16 + 1  # the sample and the observed
    assert first == _test(diffs, seed=1)
    assert first.p_value < 1e-3
    assert first.ci_low is not None
    assert first.ci_high is not None
    assert 0.0 < first.ci_low < np.mean(diffs) < first.ci_high
    noise = _test(list(rng.normal(0.0, 0.3, 20)), seed=1)
    assert noise.p_value > 0.05


def test_quantile_swap_test_matches_the_patterns_written_out() -> None:
    base = np.array([10.0, 12.0, 15.0, 11.0, 30.0, 14.0, 13.0])
    cand = base + np.array([3.0, -1.0, 4.0, 2.0, 5.0, 1.0, 2.5])
    test = paired_permutation_test(base, cand, quantile=0.5)
    observed = abs(np.median(cand) - np.median(base))
    extreme = 0
    for keep in itertools.product((True, False), repeat=len(base)):
        mask = np.array(keep)
        swapped_c, swapped_b = np.where(mask, cand, base), np.where(mask, base, cand)
        extreme += abs(np.median(swapped_c) - np.median(swapped_b)) >= observed - 1e-9
    assert test.p_value == pytest.approx(extreme / 2**7)
    assert test.exact
    assert test.ci_low is not None
    assert test.ci_high is not None
    assert test.ci_low <= float(np.median(cand) - np.median(base)) <= test.ci_high
