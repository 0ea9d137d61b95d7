"""Paired statistics for comparing two eval runs case by case.

Two runs of one suite score the same cases, so the question "did the candidate change metric
``m``?" is about the per-case differences ``candidate[i] - baseline[i]``. A paired bootstrap
resamples those cases with replacement and reads a confidence interval for the mean difference
(or for the difference of a quantile, such as p95 latency) off the resampled statistics. Pairing
removes the between-case variance that dominates eval suites: an easy case is easy for both
configs. The same code handles 0/1 pass indicators, whose mean is a pass rate.

A change counts only when its interval excludes zero; with fewer than :data:`MIN_PAIRS` pairs
there is nothing to test and the verdict is ``n/a``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Verdict = Literal["improved", "regressed", "unchanged", "n/a"]

MIN_PAIRS = 2
"""Fewest paired cases for which a confidence interval (and so a verdict) is given."""

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
        ci_low: Lower bound of the confidence interval for ``delta`` (``None`` when
            ``n < MIN_PAIRS``).
        ci_high: Upper bound of the interval.
    """

    n: int
    baseline: float | None
    candidate: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None


def _require_numpy() -> None:
    try:
        import numpy  # noqa: F401  # only checks that it is installed
    except ImportError:  # pragma: no cover - numpy comes with the eval extra
        from llmops._errors import ConfigError

        raise ConfigError("eval statistics need numpy: pip install 'llmops[eval]'") from None


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
    """Confidence interval for the change in a statistic between paired samples.

    The statistic is the mean (default) or, with ``quantile``, that quantile (linear
    interpolation, numpy's default). Cases are resampled as pairs; the interval is the percentile
    interval of the resampled differences. The same seed gives the same interval.

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
    n = len(baseline)
    if n == 0:
        return PairedDifference(0, None, None, None, None, None)
    _require_numpy()
    import numpy as np

    base = np.asarray(baseline, dtype=np.float64)
    cand = np.asarray(candidate, dtype=np.float64)
    base_stat = float(_statistic(base, quantile))
    cand_stat = float(_statistic(cand, quantile))
    delta = cand_stat - base_stat
    if n < MIN_PAIRS:
        return PairedDifference(n, base_stat, cand_stat, delta, None, None)
    if quantile is None and np.ptp(cand - base) == 0.0:
        # Every case moved by the same amount: every resample has that mean difference.
        return PairedDifference(n, base_stat, cand_stat, delta, delta, delta)
    diffs = _resampled_differences(base, cand, resamples, seed, quantile)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(diffs, [alpha, 1.0 - alpha])
    return PairedDifference(n, base_stat, cand_stat, delta, float(low), float(high))


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


def verdict(difference: PairedDifference, higher_is_better: bool) -> Verdict:
    """Classify a paired difference: a change counts only when its interval excludes zero.

    Args:
        difference: The result of :func:`paired_bootstrap`.
        higher_is_better: Direction of the metric (``False`` for cost, latency, error rates).

    Returns:
        ``"improved"`` or ``"regressed"`` when the interval lies on one side of zero,
        ``"unchanged"`` when it contains zero, ``"n/a"`` when there were too few pairs.
    """
    low, high = difference.ci_low, difference.ci_high
    if low is None or high is None or difference.n < MIN_PAIRS:
        return "n/a"
    if low > 0.0:
        return "improved" if higher_is_better else "regressed"
    if high < 0.0:
        return "regressed" if higher_is_better else "improved"
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
