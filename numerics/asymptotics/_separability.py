r"""Separability threshold and max-margin limit of the Gaussian mixture (claims A2, A4).

With :math:`P_2(m) = \mathbb E[(Z-m)_+^2] = (1+m^2)\Phi(-m) - m\varphi(m)` (integrated by
SymPy in :func:`theory.asymptotics.positive_part_moment`):

.. math::
    \lambda_{sep}(\kappa) = \min_{c\in(-1,1)} \frac{P_2(c\kappa)}{1-c^2}
    \qquad (\lambda_{sep}(0) = 1/2,\ \text{Cover 1965}),

the limit above which :math:`v_i = \kappa e_1 + g_i` are linearly separable (Gordon's
comparison for the feasibility problem; Candès & Sur 2020 derive the analogous transition
for the logistic model, Deng, Kammoun & Thrampoulidis 2019 for the mixture).

Max-margin limit (:func:`maxmargin_predict`): for a unit direction with cosine ``c`` the
largest margin :math:`m(c)` solves :math:`P_2(c\kappa - m) = \lambda(1-c^2)`
(:func:`theory.asymptotics.maxmargin_equation`). The hard-margin SVM in a norm
:math:`r^2 w_1^2 + \|w_\perp\|^2` picks :math:`c^* = \arg\max_c m(c)/\sqrt{r^2c^2 + 1-c^2}`
(``r = 1``: Euclidean; ``r = sigma_n/sigma_f``: the max-margin of the *original*
signal-plus-noise coordinates, i.e. where gradient descent on cross-entropy goes, A4).
This is derived here from the CGMT with the hinge-type constraint
:math:`w\cdot v_i \ge 1`, not as the :math:`\alpha \to 0` limit of the logit-regularised
solution: that limit is the max-margin in the data-dependent norm
:math:`w^\top\hat\Sigma w` (the regulariser :math:`\alpha\sum_i t_i^2` is a generalised
ridge, docs/theory.md §2 (B13)), which is a different direction (the jump of B6).
"""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
from scipy import optimize

from core.errors import ConvergenceError, InvalidParameterError

from numerics.asymptotics._params import check_kappa, real
from numerics.models.accuracy import isotropic_accuracy
from numerics.compile._generated import generated_cache, load

__all__ = ["separability_threshold", "positive_part", "mp_separability_threshold",
           "MaxMarginPrediction", "maxmargin_predict"]


@generated_cache
def _p2_artefacts():
    """Generated source of :math:`P_2` and :math:`P_2'` (SciPy, then mpmath)."""
    import sympy as sp

    from theory.asymptotics import M, positive_part_moment

    from numerics.compile._generated import generate

    expr = positive_part_moment()
    d1 = sp.diff(expr, M)
    return tuple(generate((M,), e, module, kind=module)
                 for module in ("scipy", "mpmath") for e in (expr, d1))


@functools.lru_cache(maxsize=1)
def _p2():
    return tuple(load(art) for art in _p2_artefacts())


def positive_part(m):
    r""":math:`P_2(m) = \mathbb E[(Z-m)_+^2]` (compiled from the SymPy integral)."""
    return _p2()[0](np.asarray(m, dtype=float))


def _ratio_and_slope(c, kappa):
    p2, dp2 = _p2()[:2]
    q = 1.0 - c * c
    val = p2(c * kappa)
    return val / q, (kappa * dp2(c * kappa) * q + 2 * c * val) / (q * q)


@functools.lru_cache(maxsize=256)
def _lam_sep(kappa: float) -> tuple:
    if kappa == 0.0:
        return 0.5, 0.0
    f = lambda c: _ratio_and_slope(c, kappa)[1]   # noqa: E731
    # R'(0) = kappa P2'(0) < 0 and R'(c) -> +inf as c -> 1: one sign change on (0, 1).
    hi = 1.0 - 1e-3
    while f(hi) <= 0:
        hi = 1.0 - (1.0 - hi) / 10
        if 1.0 - hi < 1e-15:
            raise ConvergenceError(f"lam_sep: no minimiser found for kappa={kappa}")
    c = optimize.brentq(f, 0.0, hi, xtol=1e-15, rtol=1e-15)
    return float(_ratio_and_slope(c, kappa)[0]), float(c)


def separability_threshold(kappa, *, return_cosine: bool = False):
    r""":math:`\lambda_{sep}(\kappa)` (claim A2): the root of :math:`R'(c) = 0` by Brent
    (``R`` the ratio of the module docstring, convex-like with one interior minimum).

    >>> separability_threshold(0.0)
    0.5
    >>> round(separability_threshold(1.0), 6)
    0.270268
    """

    k = real(kappa, "kappa", "separability_threshold")
    if k < 0:
        raise InvalidParameterError(
            f"The 'kappa' parameter of separability_threshold must be >= 0. Got {kappa!r} instead.")
    lam, c = _lam_sep(k)
    return (lam, c) if return_cosine else lam


def mp_separability_threshold(kappa, dps: int = 30):
    r""":math:`\lambda_{sep}` at ``dps`` digits: ``mpmath.findroot`` on :math:`R'(c) = 0`
    from the float root (certification of :func:`separability_threshold`)."""
    lam, c0 = separability_threshold(kappa, return_cosine=True)
    if kappa == 0:
        return mpmath.mpf(1) / 2
    p2, dp2 = _p2()[2:]
    with mpmath.workdps(dps):
        k = mpmath.mpf(repr(float(kappa)))
        slope = lambda c: k * dp2(c * k) * (1 - c * c) + 2 * c * p2(c * k)  # noqa: E731
        c = mpmath.findroot(slope, mpmath.mpf(c0))
        return p2(c * k) / (1 - c * c)


class MaxMarginPrediction(dict):
    """``accuracy``, ``cosine``, ``margin`` (normalised, unit direction), ``lam_sep``."""

    __getattr__ = dict.__getitem__


def _margin(c, kappa, lam):
    p2 = _p2()[0]
    target = lam * (1 - c * c)
    g = lambda m: p2(c * kappa - m) - target   # noqa: E731  increasing in m
    lo, hi = -1.0, 1.0
    while g(lo) > 0:
        lo *= 2
    while g(hi) < 0:
        hi *= 2
    return optimize.brentq(g, lo, hi, xtol=1e-15, rtol=1e-15)


def maxmargin_predict(lam, kappa, *, weight: float = 1.0) -> MaxMarginPrediction:
    r"""Asymptotic accuracy of the hard-margin SVM (GD on cross-entropy, :math:`\alpha=0`)
    for :math:`\lambda > \lambda_{sep}(\kappa)` (claims A2, A4).

    ``weight`` is ``r`` of the module docstring (``sigma_n/sigma_f`` for the max-margin of
    the original coordinates). Raises :class:`InvalidParameterError` below the threshold
    (the data are then not separable).
    """

    caller = "maxmargin_predict"
    kappa = check_kappa(kappa, caller)
    lam = real(lam, "lam", caller)
    r = real(weight, "weight", caller)
    if r <= 0:
        raise InvalidParameterError(f"The 'weight' parameter of {caller} must be > 0. "
                                    f"Got {weight!r} instead.")
    lam_sep = separability_threshold(kappa)
    if not lam > lam_sep:
        raise InvalidParameterError(
            f"lam={lam!r} <= lam_sep(kappa={kappa!r})={lam_sep:.6g}: the mixture is not "
            "separable and the max-margin classifier does not exist; use predict(..., alpha=0)")
    obj = lambda c: -_margin(c, kappa, lam) / math.sqrt(r * r * c * c + 1 - c * c)  # noqa: E731
    res = optimize.minimize_scalar(obj, bounds=(1e-12, 1 - 1e-12), method="bounded",
                                   options={"xatol": 1e-12})
    c = float(res.x)
    return MaxMarginPrediction(accuracy=isotropic_accuracy(c, kappa), cosine=c,
                               margin=float(_margin(c, kappa, lam)), lam_sep=lam_sep,
                               lam=lam, kappa=kappa, weight=r)
