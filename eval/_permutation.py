"""The exact paired test that decides comparisons on small suites: every swap within each pair.

If the candidate behaves like the baseline, which of a case's two values came from which run is a
coin flip, so swapping the two values of any subset of cases gives an equally likely outcome. The
two-sided p-value is the share of the ``2**n`` swap patterns whose statistic is at least as far
from zero as the observed one. For the mean this is Fisher's sign-flip test on the per-case
differences (Fisher 1935, Pitman 1937); for a quantile (p95 latency) the values themselves are
swapped and the quantile recomputed. It assumes nothing about the shape of the differences, only
that the two runs' values of a case are exchangeable when nothing changed, and is exact at every
``n``: no large-sample approximation, unlike the percentile bootstrap, whose intervals are too
narrow on few cases (see ``_stats``).

The smallest p-value it can give is ``2 / 2**n`` (every case moved the same way), so with 5 pairs
or fewer nothing reaches p < 0.05: :func:`min_testable_pairs` is that bound, and below it the
honest verdict is "too few cases", not "unchanged".

The interval is the test inverted: the shifts ``d`` for which "every candidate value is its
baseline value plus ``d``" is not rejected at the interval's level. It contains zero exactly when
p >= alpha, so the interval and the verdict never disagree, and it is unbounded (``None``) when no
shift, however large, could be rejected. For the mean its ends are exact (each pattern is at
least as extreme on a closed interval of shifts around the estimate); for a quantile they are
found by bisection. On 0/1 values (pass rates) no common shift fits every case, so read the
interval as the changes the test cannot rule out, not as a model of the data.

For the mean, up to :data:`MAX_EXACT_PAIRS` pairs every pattern is enumerated; above, a
fixed-seed sample of ``2**MAX_EXACT_PAIRS`` patterns plus the observed one is counted, which
keeps the false-positive rate at or below alpha (Phipson & Smyth 2010). A quantile, costlier to
recompute, enumerates up to 11 pairs and samples :data:`QUANTILE_PATTERNS` above.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

MAX_EXACT_PAIRS = 16
"""Pairs up to which all ``2**n`` patterns of the mean are enumerated; above, as many are drawn."""

QUANTILE_PATTERNS = 2**11
"""Patterns for a quantile (exact up to 11 pairs): each recomputes two quantiles per shift tried."""

_ROWS_PER_CHUNK = 1 << 13  # sampled sign patterns held in memory at once
_RELATIVE_TOLERANCE = 1e-9  # statistics this close count as ties (floating-point sums differ)
_SEARCH_DOUBLINGS = 12  # a quantile interval bound further than 4096 spans out is unbounded
_SEARCH_STEPS = 24  # bisection steps per bound: to 6e-8 of the bracket


@dataclass(frozen=True)
class PermutationTest:
    """The result of :func:`paired_permutation_test`.

    Attributes:
        p_value: Two-sided p-value of "no change".
        ci_low: Lower bound of the inverted interval of the change (``None``: unbounded).
        ci_high: Upper bound (``None``: unbounded).
        exact: Every swap pattern was enumerated (otherwise a fixed-seed sample).
        patterns: How many patterns the p-value counts, the observed one included.
    """

    p_value: float
    ci_low: float | None
    ci_high: float | None
    exact: bool
    patterns: int


def smallest_p_value(n: int) -> float:
    """The smallest two-sided p-value the exact test can give on ``n`` pairs: ``2 / 2**n``."""
    return 1.0 if n <= 1 else 2.0 ** (1 - n)


def min_testable_pairs(alpha: float) -> int:
    """The fewest pairs on which the exact test can reach ``p < alpha`` (6 for 0.05).

    Example:
        >>> min_testable_pairs(0.05), min_testable_pairs(0.01)
        (6, 8)
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    n = 1
    while smallest_p_value(n) >= alpha:
        n += 1
    return n


def _signed_sums(
    diff: NDArray[np.float64], seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], bool]:
    """``sum(s * diff)`` and ``sum(s)`` for each sign pattern ``s``, the observed (all +1) first.

    Up to :data:`MAX_EXACT_PAIRS` every pattern, built by doubling (each pattern of the first k
    values, with the next one added and subtracted); above, a fixed-seed sample.
    """
    import numpy as np

    n = len(diff)
    if n <= MAX_EXACT_PAIRS:
        sums, plus = np.zeros(1), np.zeros(1)
        for value in diff:
            sums = np.concatenate([sums + value, sums - value])
            plus = np.concatenate([plus + 1.0, plus - 1.0])
        return sums, plus, True
    rng = np.random.default_rng(seed)
    sum_parts, plus_parts = [np.array([diff.sum()])], [np.array([float(n)])]
    for _ in range(2**MAX_EXACT_PAIRS // _ROWS_PER_CHUNK):
        signs = rng.choice(np.array([-1.0, 1.0]), size=(_ROWS_PER_CHUNK, n))
        sum_parts.append(signs @ diff)
        plus_parts.append(signs.sum(axis=1))
    return np.concatenate(sum_parts), np.concatenate(plus_parts), False


def _swap_masks(n: int, seed: int) -> tuple[NDArray[np.bool_], bool]:
    """Rows of "keep this pair as observed" (``False``: swap it), the observed row first."""
    import numpy as np

    if 2**n <= QUANTILE_PATTERNS:
        codes = np.arange(2**n, dtype=np.int64)[:, None]
        return ((codes >> np.arange(n)) & 1) == 0, True
    rng = np.random.default_rng(seed)
    return np.vstack([np.ones((1, n), dtype=bool), rng.random((QUANTILE_PATTERNS, n)) < 0.5]), False


def _needed(alpha: float, total: int) -> int:
    """Patterns at least as extreme needed for ``p >= alpha`` (a shift not rejected)."""
    return math.ceil(alpha * total - 1e-9)


def _mean_test(diff: NDArray[np.float64], alpha: float, seed: int) -> PermutationTest:
    import numpy as np

    n = len(diff)
    flipped, plus, exact = _signed_sums(diff, seed)
    observed = float(flipped[0])
    tolerance = _RELATIVE_TOLERANCE * max(float(np.abs(diff).sum()), 1e-300)
    p_value = float(np.mean(np.abs(flipped) >= abs(observed) - tolerance))
    # A pattern is at least as extreme under shift d when |A - d*B| >= |S - n*d|: a closed
    # interval of d around the estimate S/n, with ends (S - A)/(n - B) and (S + A)/(n + B). The
    # all-same-sign patterns (|B| = n) are extreme at every d.
    always = np.abs(plus) >= n - 0.5
    k = _needed(alpha, len(flipped)) - int(always.sum())
    if k <= 0:
        return PermutationTest(p_value, None, None, exact, len(flipped))
    a, b = flipped[~always], plus[~always]
    ends = np.stack([(observed - a) / (n - b), (observed + a) / (n + b)])
    low = float(np.partition(ends.min(axis=0), k - 1)[k - 1])
    high = float(-np.partition(-ends.max(axis=0), k - 1)[k - 1])
    return _consistent(PermutationTest(p_value, low, high, exact, len(flipped)), alpha)


def _quantile_test(
    base: NDArray[np.float64], cand: NDArray[np.float64], quantile: float, alpha: float, seed: int
) -> PermutationTest:
    import numpy as np

    n = len(base)
    keep, exact = _swap_masks(n, seed)

    def statistic(shift: float) -> NDArray[np.float64]:
        moved = cand - shift
        swapped_cand = np.where(keep, moved, base)
        swapped_base = np.where(keep, base, moved)
        return np.asarray(
            np.quantile(swapped_cand, quantile, axis=1)
            - np.quantile(swapped_base, quantile, axis=1)
        )

    values = np.concatenate([base, cand])
    scale = float(np.ptp(values)) or max(float(np.abs(values).max()), 1.0)

    def p_at(shift: float) -> float:
        values = statistic(shift)
        tolerance = _RELATIVE_TOLERANCE * (scale + abs(shift))
        return float(np.mean(np.abs(values) >= abs(values[0]) - tolerance))

    estimate = float(np.quantile(cand, quantile) - np.quantile(base, quantile))
    low = _bound(p_at, estimate, -scale, alpha)
    high = _bound(p_at, estimate, scale, alpha)
    test = PermutationTest(p_at(0.0), low, high, exact, len(keep))
    if low is None or high is None:
        return PermutationTest(test.p_value, None, None, exact, len(keep))
    return _consistent(test, alpha)


def _bound(
    p_at: Callable[[float], float], estimate: float, step: float, alpha: float
) -> float | None:
    """The last shift from ``estimate`` towards ``step`` not rejected; ``None``: unbounded."""
    accepted, rejected = estimate, None
    for doubling in range(_SEARCH_DOUBLINGS):
        candidate = estimate + step * 2**doubling
        if p_at(candidate) < alpha:
            rejected = candidate
            break
        accepted = candidate
    if rejected is None:
        return None
    for _ in range(_SEARCH_STEPS):
        middle = (accepted + rejected) / 2.0
        if middle in (accepted, rejected):
            break
        if p_at(middle) < alpha:
            rejected = middle
        else:
            accepted = middle
    return accepted


def _consistent(test: PermutationTest, alpha: float) -> PermutationTest:
    """Widen the interval to zero when the p-value (ties counted) does not reject zero."""
    low, high = test.ci_low, test.ci_high
    if test.p_value >= alpha and low is not None and high is not None:
        low, high = min(low, 0.0), max(high, 0.0)
    return PermutationTest(test.p_value, low, high, test.exact, test.patterns)


def paired_permutation_test(
    baseline: NDArray[np.float64],
    candidate: NDArray[np.float64],
    *,
    confidence: float = 0.95,
    quantile: float | None = None,
    seed: int = 0,
) -> PermutationTest:
    """Exact two-sided paired test of "no change", and the interval of the change it inverts to.

    Args:
        baseline: Per-case values of the baseline run (at least one).
        candidate: Per-case values of the candidate run, pairing with ``baseline``.
        confidence: Coverage of the interval; the test's level is ``1 - confidence``.
        quantile: Test the change in this quantile instead of the mean.
        seed: Seed of the sampled patterns (used only above the exact limit).

    Returns:
        The p-value, the interval (bounds ``None`` when unbounded) and how it was computed.

    Example:
        >>> import numpy as np
        >>> test = paired_permutation_test(np.zeros(6), np.ones(6))
        >>> test.p_value == 2 / 64, test.exact
        (True, True)
    """
    alpha = 1.0 - confidence
    if quantile is None:
        return _mean_test(candidate - baseline, alpha, seed)
    return _quantile_test(baseline, candidate, quantile, alpha, seed)
