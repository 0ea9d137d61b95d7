"""Drift tests with a stated false-alarm rate, and the intervals of canary analysis.

``llmops monitor check`` compares a config version's latest window of traces with its baseline
(the version's earlier traces, or another version) one metric at a time:

* :func:`rate_drift` for rates of bad events (hallucinated, errored, failed traces): the
  one-sided Fisher exact test, i.e. the conditional binomial test given the total number of bad
  events in baseline and window.
* :func:`quantile_drift` for tail quantiles (p95 latency): the exceedance test, which counts the
  window's values above the baseline's ``r``-th largest value (about its ``q``-quantile). Under
  no change that count follows the negative hypergeometric law whatever the distribution of the
  values (Gumbel & von Schelling 1950; Mathisen's precedence tests).

The guarantee, per test, that is per config version, per metric and per check: when nothing
changed (the window's and the baseline's traces are independent draws from one distribution:
one Bernoulli rate for :func:`rate_drift`, any continuous law for :func:`quantile_drift`),
``P(drifted) <= alpha``, for every baseline rate and every sample size. Both tests are exact
conditional tests; discreteness only makes them conservative (Fisher's at ``alpha = 0.001``
fires on about 0.07% of clean checks of a 5% rate, window 100 against 1,000), and ties
(latencies rounded to the millisecond) only lower the exceedance count.

Checks in a row: a check run every ``k`` traces over overlapping windows makes its tests
dependent, but expectations add up regardless, so the expected number of false alarms per
10,000 clean traces is at most ``(10000 / k) * alpha * metrics``, and by the union bound so is
the probability of any. With :data:`DEFAULT_ALPHA` (0.001), a check every 50 traces and five
metrics that is at most 1 per 10,000 traces. The guarantee stands on its assumption: traffic
whose latency follows the time of day, or a baseline that spans another release, is a change
these tests are right to report.

Canary analysis reports differences with intervals instead of tests: :func:`rate_difference`
(Newcombe's hybrid score interval), :func:`quantile_difference` and :func:`mean_difference`
(percentile bootstrap of two independent samples; they need numpy, from the ``eval`` extra).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

from llmops._errors import ConfigError
from llmops.eval._stats import percentile

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

DEFAULT_ALPHA = 0.001
"""Per-test false-alarm probability ``monitor check`` uses unless told otherwise (benchmarks:
``bench_monitor.py``). With a check every 50 traces: at most 0.2 false alarms per metric per
10,000 clean traces; a 5% -> 20% hallucination shift found within 200 traces."""

INTERVAL_LEVEL = 0.95
"""Coverage of :attr:`DriftTest`'s interval of the current value."""

_CELLS_PER_CHUNK = 2_000_000  # bootstrap resamples x values held in memory at once
_NEGLIGIBLE = 1e-17  # a tail term this small relative to the sum ends the sum


@dataclass(frozen=True)
class DriftTest:
    """One metric of one window tested against its baseline.

    Attributes:
        metric: The metric tested (``hallucination_rate``, ``error_rate``, ``p95_ms``...).
        baseline_value: The baseline's rate, or its quantile (linear interpolation).
        baseline_n: Traces in the baseline.
        current_value: The window's rate or quantile.
        current_low: Lower end of the current value's 95% (:data:`INTERVAL_LEVEL`) interval:
            Wilson's for a rate, from order statistics (distribution-free) for a quantile.
        current_high: Upper end (``inf`` when the window is too small to bound a quantile).
        current_n: Traces in the window.
        p_value: One-sided p-value of "the window is no worse than the baseline".
        alpha: The per-test false-alarm probability.
        drifted: ``p_value <= alpha``: the window is worse than the baseline.
    """

    metric: str
    baseline_value: float
    baseline_n: int
    current_value: float
    current_low: float
    current_high: float
    current_n: int
    p_value: float
    alpha: float
    drifted: bool


def _check_probability(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {value}")


def _check_counts(side: str, hits: int, n: int) -> None:
    if n < 1:
        raise ValueError(f"{side}: no traces (n={n}); a rate needs at least one")
    if not 0 <= hits <= n:
        raise ValueError(f"{side}: {hits} hits is outside 0..{n}")


def _values(side: str, values: Sequence[float]) -> list[float]:
    out = [float(v) for v in values]
    if not out:
        raise ValueError(f"{side}: no values; a quantile needs at least one")
    if not all(math.isfinite(v) for v in out):
        raise ValueError(f"{side}: values must be finite numbers (found NaN or inf)")
    return out


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _upper_tail(log_pmf: Callable[[int], float], start: int, stop: int) -> float:
    """``sum(exp(log_pmf(j)) for j in start..stop)`` of a unimodal law, capped at 1."""
    total = 0.0
    previous = math.inf
    for j in range(start, stop + 1):
        term = math.exp(log_pmf(j))
        total += term
        if term < previous and term <= total * _NEGLIGIBLE:
            break  # past the mode, and what is left cannot change the sum
        previous = term
    return min(1.0, total)


def _fisher_greater(x1: int, n1: int, x0: int, n0: int) -> float:
    """One-sided Fisher p-value: P(window hits >= x1 | total hits), hypergeometric."""
    total, hits = n0 + n1, x0 + x1
    log_all = _log_comb(total, n1)

    def log_pmf(j: int) -> float:
        return _log_comb(hits, j) + _log_comb(total - hits, n1 - j) - log_all

    return _upper_tail(log_pmf, x1, min(n1, hits))


def _exceedance_greater(x: int, n1: int, rank: int, n0: int) -> float:
    """P(at least ``x`` of ``n1`` new values exceed the ``rank``-th largest of ``n0`` old ones)
    when all ``n0 + n1`` are exchangeable: the negative hypergeometric upper tail."""
    log_all = _log_comb(n0 + n1, n1)

    def log_pmf(j: int) -> float:
        return _log_comb(j + rank - 1, j) + _log_comb(n1 - j + n0 - rank, n1 - j) - log_all

    return _upper_tail(log_pmf, x, n1)


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def wilson_interval(hits: int, n: int, level: float = INTERVAL_LEVEL) -> tuple[float, float]:
    """Wilson's score interval of the rate ``hits / n`` at coverage ``level``."""
    z = _z(level)
    rate = hits / n
    center = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    return max(0.0, center - half), min(1.0, center + half)


def _binomial_cdf(n: int, p: float) -> list[float]:
    """``P(Binomial(n, p) <= k)`` for ``k`` in ``0..n``, computed in logs (no overflow)."""
    log_p, log_q = math.log(p), math.log1p(-p)
    running, out = 0.0, []
    for k in range(n + 1):
        running += math.exp(_log_comb(n, k) + k * log_p + (n - k) * log_q)
        out.append(min(1.0, running))
    return out


def quantile_interval(
    values: Sequence[float], q: float, level: float = INTERVAL_LEVEL
) -> tuple[float, float]:
    """Distribution-free interval of the ``q``-quantile from order statistics.

    The ``l``-th and ``u``-th smallest values cover the quantile with probability
    ``P(l <= B < u)``, ``B ~ Binomial(n, q)``; each end leaves at most ``(1 - level) / 2``
    outside. An end no order statistic can give at that level is ``-inf`` or ``inf``.
    """
    ordered = sorted(values)
    n = len(ordered)
    tail = (1.0 - level) / 2.0
    cdf = _binomial_cdf(n, q)
    # Low end: the largest l with P(B <= l - 1) <= tail; high end: the smallest u with
    # P(B >= u) = 1 - P(B <= u - 1) <= tail.
    lows = [i for i in range(1, n + 1) if cdf[i - 1] <= tail]
    highs = [i for i in range(1, n + 1) if 1.0 - cdf[i - 1] <= tail]
    low = ordered[lows[-1] - 1] if lows else -math.inf
    high = ordered[highs[0] - 1] if highs else math.inf
    return low, high


def rate_drift(
    metric: str,
    current_hits: int,
    current_n: int,
    baseline_hits: int,
    baseline_n: int,
    *,
    alpha: float = DEFAULT_ALPHA,
) -> DriftTest:
    """Whether the window's rate of bad events is higher than the baseline's.

    The one-sided Fisher exact test: given the bad events of baseline and window together, the
    window's share of them is hypergeometric when both have one rate. When the rates are equal
    (or the window's is lower) it reports drift with probability at most ``alpha``, whatever the
    rate and the sizes, the baseline's own sampling error included; see the module docstring
    for what that means per 10,000 traces.

    Args:
        metric: Name of the rate (``hallucination_rate``, ``error_rate``...).
        current_hits: Bad events (hallucinated, errored, failed traces) in the window.
        current_n: Traces in the window that could be scored.
        baseline_hits: Bad events in the baseline.
        baseline_n: Traces in the baseline that could be scored.
        alpha: Per-test false-alarm probability, in (0, 1).

    Returns:
        The test, with the window's rate and its Wilson 95% interval.

    Raises:
        ValueError: A side has no traces, hits outside ``0..n``, or ``alpha`` out of range.

    Example:
        >>> rate_drift("hallucination_rate", 20, 100, 8, 150, alpha=0.001).drifted
        True
    """
    _check_probability("alpha", alpha)
    _check_counts("current window", current_hits, current_n)
    _check_counts("baseline", baseline_hits, baseline_n)
    p_value = _fisher_greater(current_hits, current_n, baseline_hits, baseline_n)
    low, high = wilson_interval(current_hits, current_n)
    return DriftTest(
        metric=metric,
        baseline_value=baseline_hits / baseline_n,
        baseline_n=baseline_n,
        current_value=current_hits / current_n,
        current_low=low,
        current_high=high,
        current_n=current_n,
        p_value=p_value,
        alpha=alpha,
        drifted=p_value <= alpha,
    )


def exceedance_rank(baseline_n: int, q: float) -> int:
    """Which largest baseline value (1 = the maximum) stands for the baseline's ``q``-quantile:
    ``round(baseline_n * (1 - q))``, at least 1."""
    return max(1, int(baseline_n * (1.0 - q) + 0.5))


def quantile_drift(
    metric: str,
    current: Sequence[float],
    baseline: Sequence[float],
    *,
    q: float = 0.95,
    alpha: float = DEFAULT_ALPHA,
) -> DriftTest:
    """Whether the window's upper tail is higher than the baseline's (latency got worse).

    The threshold is the baseline's ``r``-th largest value, ``r`` from
    :func:`exceedance_rank` (its ``q``-quantile, 50th largest of 1,000 at ``q = 0.95``). When
    window and baseline are independent draws from one continuous distribution, whichever it
    is, the number of window values above that threshold is negative hypergeometric, and the
    test reports drift with probability at most ``alpha``; ties only make it more conservative.

    Args:
        metric: Name of the quantile (``p95_ms``...).
        current: The window's values.
        baseline: The baseline's values.
        q: The quantile, in (0, 1).
        alpha: Per-test false-alarm probability, in (0, 1).

    Returns:
        The test, with both quantiles (linear interpolation) and a distribution-free 95%
        interval of the window's quantile.

    Raises:
        ValueError: A side is empty or not finite, or ``q`` or ``alpha`` is out of range.

    Example:
        >>> base = [100.0 + i % 50 for i in range(500)]
        >>> quantile_drift("p95_ms", [v * 2 for v in base[:100]], base, alpha=0.001).drifted
        True
    """
    _check_probability("q", q)
    _check_probability("alpha", alpha)
    window = _values("current window", current)
    before = _values("baseline", baseline)
    rank = exceedance_rank(len(before), q)
    threshold = sorted(before)[-rank]
    above = sum(v > threshold for v in window)
    p_value = _exceedance_greater(above, len(window), rank, len(before))
    low, high = quantile_interval(window, q)
    return DriftTest(
        metric=metric,
        baseline_value=_quantile(before, q),
        baseline_n=len(before),
        current_value=_quantile(window, q),
        current_low=low,
        current_high=high,
        current_n=len(window),
        p_value=p_value,
        alpha=alpha,
        drifted=p_value <= alpha,
    )


def _quantile(values: list[float], q: float) -> float:
    found = percentile(values, q * 100.0)
    assert found is not None  # the values were checked to be non-empty
    return found


def rate_difference(
    a_hits: int, a_n: int, b_hits: int, b_n: int, *, level: float = 0.95
) -> tuple[float, float, float]:
    """The difference ``a - b`` of two rates with Newcombe's hybrid score interval.

    Newcombe (1998), method 10: each rate's Wilson interval, combined. Its coverage stays near
    ``level`` at small counts and rates near 0, where the Wald interval fails.

    Returns:
        ``(difference, low, high)``.

    Raises:
        ValueError: A side has no traces, hits outside ``0..n``, or ``level`` out of range.

    Example:
        >>> d, low, high = rate_difference(30, 200, 10, 200)
        >>> round(d, 2), low > 0
        (0.1, True)
    """
    _check_probability("level", level)
    _check_counts("a", a_hits, a_n)
    _check_counts("b", b_hits, b_n)
    p_a, p_b = a_hits / a_n, b_hits / b_n
    low_a, high_a = wilson_interval(a_hits, a_n, level)
    low_b, high_b = wilson_interval(b_hits, b_n, level)
    diff = p_a - p_b
    low = diff - math.hypot(p_a - low_a, high_b - p_b)
    high = diff + math.hypot(high_a - p_a, p_b - low_b)
    return diff, low, high


def _bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    q: float | None,
    level: float,
    resamples: int,
    seed: int,
) -> tuple[float, float, float]:
    """Percentile bootstrap interval of ``stat(a) - stat(b)``, the mean or (``q``) a quantile,
    each side resampled on its own (two independent samples)."""
    _check_probability("level", level)
    if q is not None:
        _check_probability("q", q)
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples}")
    _values("a", a)
    _values("b", b)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy comes with the eval extra
        raise ConfigError("canary intervals need numpy: pip install 'llmops[eval]'") from None

    def statistic(x: NDArray[np.float64]) -> NDArray[np.float64]:
        if q is None:
            return np.asarray(x.mean(axis=-1))
        return np.asarray(np.quantile(x, q, axis=-1))

    rng = np.random.default_rng(seed)
    arrays = [np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)]
    estimate = float(statistic(arrays[0]) - statistic(arrays[1]))
    diffs = np.empty(resamples, dtype=np.float64)
    chunk = max(1, _CELLS_PER_CHUNK // max(len(x) for x in arrays))
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        a_stat, b_stat = (
            statistic(x[rng.integers(0, len(x), size=(size, len(x)))]) for x in arrays
        )
        diffs[start : start + size] = a_stat - b_stat
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(diffs, [tail, 1.0 - tail])
    return estimate, float(low), float(high)


def quantile_difference(
    a: Sequence[float],
    b: Sequence[float],
    *,
    q: float = 0.95,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """``quantile(a) - quantile(b)`` (linear interpolation) with a percentile bootstrap interval.

    ``a`` and ``b`` are resampled independently (a canary's traces and production's); the same
    seed gives the same interval. The percentile bootstrap of a tail quantile needs a few
    hundred values per side to cover near ``level``.

    Returns:
        ``(difference, low, high)``.

    Raises:
        ValueError: A side is empty or not finite, or ``q``, ``level`` or ``resamples`` is out
            of range.
        ConfigError: numpy is not installed.
    """
    return _bootstrap(a, b, q, level, resamples, seed)


def mean_difference(
    a: Sequence[float],
    b: Sequence[float],
    *,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """``mean(a) - mean(b)`` (cost per trace) with a percentile bootstrap interval.

    As :func:`quantile_difference`; on skewed values (costs) a few dozen per side are needed
    before the interval covers near ``level``.

    Returns:
        ``(difference, low, high)``.

    Raises:
        ValueError: A side is empty or not finite, or ``level`` or ``resamples`` is out of range.
        ConfigError: numpy is not installed.
    """
    return _bootstrap(a, b, None, level, resamples, seed)
