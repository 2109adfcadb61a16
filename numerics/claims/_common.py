r"""Shared helpers of the numeric claim checks: seeds and statistics."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["binomial_interval", "seeds", "mean_and_sem", "admissible_alpha"]


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


def admissible_alpha(regularizer, alpha: float) -> float:
    r"""The strength a check uses for a user's ``regularizer`` (a ``theory.Regularizer``;
    None: the built-in check, ``alpha`` unchanged).

    A kink of ``f`` at 0 bounds the strengths with a positive target: :math:`t^* > 0` iff
    :math:`\alpha < \alpha_{max} = \alpha(0^+)` (docs/theory.md §1; MaxSup: 1/2,
    :math:`t^2 + |t|`: 1/3); beyond it the minimiser is :math:`S = 0` and no claim about
    :math:`\alpha > 0` is meant. A check's ``alpha >= alpha_max`` is therefore mapped to
    ``alpha * alpha_max``, inside :math:`(0, \alpha_{max})` and in the same relative place.
    """
    if regularizer is None:
        return alpha
    from theory import derive_binary

    amax = derive_binary(regularizer).alpha_max
    amax = float(amax) if getattr(amax, "is_number", False) else 1.0
    return alpha if alpha < amax else alpha * amax
