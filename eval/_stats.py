"""Paired statistics for comparing two eval runs case by case.

Two runs of one suite score the same cases, so the question "did the candidate change metric
``m``?" is about the per-case differences ``candidate[i] - baseline[i]``. Pairing removes the
between-case variance that dominates eval suites: an easy case is easy for both configs. The same
code handles 0/1 pass indicators, whose mean is a pass rate. :func:`paired_difference` picks the
method by the number of pairs ``n``:

* ``n >= MIN_BOOTSTRAP_PAIRS`` (30): a paired bootstrap resamples the cases with replacement and
  reads a percentile interval off the resampled statistics; a change counts when the interval
  excludes zero.
* ``n < MIN_BOOTSTRAP_PAIRS``: the exact paired permutation test of ``_permutation`` decides (a
  change counts when ``p < 1 - confidence``) and the interval is that test inverted.
* Below :func:`min_testable_pairs` (6 at 95%), even a change in the same direction on every case
  has ``p >= 0.05`` (the smallest possible p is ``2 / 2**n``), so the verdict is
  ``too few cases``: neither ``regressed`` nor ``unchanged``, since nothing could be shown.

Why 30: the percentile bootstrap's interval is too narrow on few cases (it spreads like the
plug-in standard error, without the t distribution's small-sample widening, and skew makes it
worse: Efron & Tibshirani 1993, ch. 13; Hesterberg 2015). Simulated noise-only comparisons (both
runs drawn from the same distribution, 2,000 per cell, nominal rate 5%) that it called a change:

=====  =========  ===============  ================  ==============  ===============
pairs  0/1 flags  scores in [0,1]  log-normal costs  p95 log-normal  exact test, max
=====  =========  ===============  ================  ==============  ===============
2      6.5%       48%              51%               51%             0 (too few)
6      6.8%       13%              15%               24%             3.1% (2/64)
10     5.2%       9.4%             11%               15%             4.9% (50/1024)
20     6.6%       7.6%             9.9%              5.2%            5%
30     4.3%       6.1%             8.4%              4.2%            5%
=====  =========  ===============  ================  ==============  ===============

The exact test's column is a guarantee, not an estimate: without ties its p-value takes the
values 2/2**n, 4/2**n, ..., 1 with equal probability, so it flags at most the largest of them
below alpha. Simulated (1,000 per cell) it stayed within the simulation's error of that, and far
below it on 0/1 flags, whose ties make p coarse. From 30 pairs the bootstrap is within about 1.25
times its nominal rate on scores, flags and tail quantiles, and it is kept there because it is
cheap at any size; the mean of a skewed metric (cost, latency) is still flagged about 8% of the
time at 30 to 50 pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from llmops.eval._permutation import min_testable_pairs, paired_permutation_test

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Verdict = Literal["improved", "regressed", "unchanged", "too few cases", "n/a"]
Method = Literal["exact", "sampled", "bootstrap"]
TOO_FEW_CASES: Verdict = "too few cases"

MIN_PAIRS = 2
"""Fewest paired cases for which the bootstrap gives an interval."""

MIN_BOOTSTRAP_PAIRS = 30
"""Fewest paired cases decided by the bootstrap; fewer are decided by the exact test."""

DEFAULT_RESAMPLES = 2000
_CELLS_PER_CHUNK = 2_000_000  # resamples x cases held in memory at once (~16 MB of indices)


@dataclass(frozen=True)
class PairedDifference:
    """A paired comparison of one statistic over the cases both runs scored.

    Attributes:
        n: Number of pairs.
        baseline: The statistic over the baseline values (``None`` when ``n == 0``).
        candidate: The statistic over the candidate values.
        delta: ``candidate - baseline``.
        ci_low: Lower bound of the confidence interval for ``delta`` (``None`` when there is
            none: no pairs, or too few for the test to bound the change).
        ci_high: Upper bound of the interval.
        p_value: Two-sided p-value of "no change" from the exact test (``None`` when the
            bootstrap decided).
        method: ``exact`` (every swap pattern counted), ``sampled`` (a fixed-seed sample of
            them) or ``bootstrap`` (percentile interval); ``None`` when ``n == 0``.
        confidence: Coverage of the interval; the test's level is ``1 - confidence``.
    """

    n: int
    baseline: float | None
    candidate: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None = None
    method: Method | None = None
    confidence: float = 0.95


def _require_numpy() -> None:
    try:
        import numpy  # noqa: F401  # only checks that it is installed
    except ImportError:  # pragma: no cover - numpy comes with the eval extra
        from llmops._errors import ConfigError

        raise ConfigError("eval statistics need numpy: pip install 'llmops[eval]'") from None


def _check(
    baseline: Sequence[float],
    candidate: Sequence[float],
    confidence: float,
    resamples: int,
    quantile: float | None,
) -> None:
    if len(baseline) != len(candidate):
        raise ValueError(
            f"paired samples differ in length: {len(baseline)} baseline, "
            f"{len(candidate)} candidate values"
        )
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples}")
    if quantile is not None and not 0.0 <= quantile <= 1.0:
        raise ValueError(f"quantile must be in [0, 1], got {quantile}")


def _arrays(
    baseline: Sequence[float], candidate: Sequence[float]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    _require_numpy()
    import numpy as np

    return np.asarray(baseline, dtype=np.float64), np.asarray(candidate, dtype=np.float64)


def _statistic(
    values: NDArray[np.float64], quantile: float | None, axis: int | None = None
) -> NDArray[np.float64]:
    import numpy as np

    if quantile is None:
        return np.asarray(values.mean(axis=axis))
    return np.asarray(np.quantile(values, quantile, axis=axis))


def paired_bootstrap(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    quantile: float | None = None,
) -> PairedDifference:
    """Percentile bootstrap interval for the change in a statistic between paired samples.

    The statistic is the mean (default) or, with ``quantile``, that quantile (linear
    interpolation, numpy's default). Cases are resampled as pairs; the interval is the percentile
    interval of the resampled differences. The same seed gives the same interval. Its coverage is
    poor on few pairs (see the module docstring): :func:`paired_difference` uses it only from
    :data:`MIN_BOOTSTRAP_PAIRS` pairs.

    Args:
        baseline: Per-case values of the baseline run; ``baseline[i]`` pairs with
            ``candidate[i]``. Pass 0/1 for pass indicators.
        candidate: Per-case values of the candidate run, same length.
        confidence: Coverage of the interval, in (0, 1).
        resamples: Bootstrap resamples.
        seed: Seed of the resampling generator.
        quantile: Compare this quantile (in [0, 1]) instead of the mean.

    Returns:
        The statistic for each run, their difference and its interval.

    Raises:
        ValueError: The samples differ in length, or an argument is out of range.

    Example:
        >>> d = paired_bootstrap([0.2, 0.4, 0.3], [0.5, 0.7, 0.6])
        >>> d.ci_low > 0
        True
    """
    _check(baseline, candidate, confidence, resamples, quantile)
    n = len(baseline)
    if n == 0:
        return PairedDifference(0, None, None, None, None, None, confidence=confidence)
    base, cand = _arrays(baseline, candidate)
    import numpy as np

    base_stat = float(_statistic(base, quantile))
    cand_stat = float(_statistic(cand, quantile))
    delta = cand_stat - base_stat

    def result(low: float | None, high: float | None) -> PairedDifference:
        return PairedDifference(
            n, base_stat, cand_stat, delta, low, high, None, "bootstrap", confidence
        )

    if n < MIN_PAIRS:
        return result(None, None)
    if quantile is None and np.ptp(cand - base) == 0.0:
        # Every case moved by the same amount: every resample has that mean difference.
        return result(delta, delta)
    diffs = _resampled_differences(base, cand, resamples, seed, quantile)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(diffs, [tail, 1.0 - tail])
    return result(float(low), float(high))


def _resampled_differences(
    base: NDArray[np.float64],
    cand: NDArray[np.float64],
    resamples: int,
    seed: int,
    quantile: float | None,
) -> NDArray[np.float64]:
    import numpy as np

    n = len(base)
    rng = np.random.default_rng(seed)
    out = np.empty(resamples, dtype=np.float64)
    chunk = max(1, _CELLS_PER_CHUNK // n)
    paired_mean = quantile is None
    diff = cand - base
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        index = rng.integers(0, n, size=(size, n))
        if paired_mean:
            # The mean of differences is the difference of means: one array, not two.
            out[start : start + size] = diff[index].mean(axis=1)
        else:
            stat_c = _statistic(cand[index], quantile, axis=1)
            stat_b = _statistic(base[index], quantile, axis=1)
            out[start : start + size] = stat_c - stat_b
    return out


def paired_difference(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    quantile: float | None = None,
) -> PairedDifference:
    """The change in a statistic between paired samples, by the method that suits ``n``.

    From :data:`MIN_BOOTSTRAP_PAIRS` pairs, :func:`paired_bootstrap`; below, the exact paired
    permutation test (every swap pattern up to 16 pairs, a fixed-seed sample above) with its
    p-value and inverted interval. Arguments as for :func:`paired_bootstrap`.

    Returns:
        The statistic for each run, their difference, its interval and (below
        ``MIN_BOOTSTRAP_PAIRS``) the p-value.

    Raises:
        ValueError: The samples differ in length, or an argument is out of range.

    Example:
        >>> d = paired_difference([0.0] * 6, [1.0] * 6)  # six cases, all worse
        >>> d.p_value, d.method, verdict(d, higher_is_better=False)
        (0.03125, 'exact', 'regressed')
    """
    if len(baseline) >= MIN_BOOTSTRAP_PAIRS:
        return paired_bootstrap(
            baseline,
            candidate,
            confidence=confidence,
            resamples=resamples,
            seed=seed,
            quantile=quantile,
        )
    _check(baseline, candidate, confidence, resamples, quantile)
    n = len(baseline)
    if n == 0:
        return PairedDifference(0, None, None, None, None, None, confidence=confidence)
    base, cand = _arrays(baseline, candidate)
    base_stat = float(_statistic(base, quantile))
    cand_stat = float(_statistic(cand, quantile))
    test = paired_permutation_test(base, cand, confidence=confidence, quantile=quantile, seed=seed)
    return PairedDifference(
        n,
        base_stat,
        cand_stat,
        cand_stat - base_stat,
        test.ci_low,
        test.ci_high,
        test.p_value,
        "exact" if test.exact else "sampled",
        confidence,
    )


def verdict(difference: PairedDifference, higher_is_better: bool) -> Verdict:
    """Classify a paired difference; a change counts only when the data rule out "no change".

    With a p-value (the exact test), a change counts when ``p < 1 - confidence``; otherwise
    (the bootstrap) when the interval excludes zero. Fewer pairs than the exact test needs to
    ever reach that level (:func:`~llmops.eval._permutation.min_testable_pairs`), or an interval
    the test cannot bound, is ``too few cases`` whatever the data: never ``regressed`` on noise.

    Args:
        difference: The result of :func:`paired_difference` or :func:`paired_bootstrap`.
        higher_is_better: Direction of the metric (``False`` for cost, latency, error rates).

    Returns:
        ``"improved"`` or ``"regressed"`` when a change was shown, ``"unchanged"`` when the data
        are consistent with none, ``"too few cases"`` when no result could have shown one, and
        ``"n/a"`` when there were no pairs.
    """
    if difference.n == 0 or difference.delta is None:
        return "n/a"
    up: Verdict = "improved" if higher_is_better else "regressed"
    down: Verdict = "regressed" if higher_is_better else "improved"
    alpha = 1.0 - difference.confidence
    low, high = difference.ci_low, difference.ci_high
    if difference.p_value is not None:
        if difference.p_value < alpha:
            return up if difference.delta > 0.0 else down
        return TOO_FEW_CASES if low is None or high is None else "unchanged"
    if difference.n < min_testable_pairs(alpha) or low is None or high is None:
        return TOO_FEW_CASES
    if low > 0.0:
        return up
    if high < 0.0:
        return down
    return "unchanged"


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation, as numpy's default; no numpy.

    Returns:
        ``None`` for an empty sequence.
    """
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction
