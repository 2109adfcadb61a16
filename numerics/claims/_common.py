r"""Shared helpers of the numeric claim checks: seeds and statistics."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["binomial_interval", "seeds", "mean_and_sem"]


def binomial_interval(successes: int, trials: int, z: float = 3.0):
    r"""Wilson score interval for a binomial proportion at ``z`` standard errors.

    .. math:: \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}
    """
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def seeds(base: int, count: int) -> list:
    """``count`` independent child seeds of ``base`` (``numpy.random.SeedSequence``)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(base).spawn(count)]


def mean_and_sem(values):
    """Mean and standard error of the mean."""
    arr = np.asarray(values, dtype=float)
    if arr.size < 2:
        return float(arr.mean()), float("nan")
    return float(arr.mean()), float(arr.std(ddof=1) / math.sqrt(arr.size))
