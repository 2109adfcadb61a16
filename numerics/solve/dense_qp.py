r"""Dense primal-dual interior point for the hard-margin dual, the exact core of the
:math:`\alpha = 0` limits (claims B7, B8, B10, G1; docs/theory.md §2, §6):

.. math::
    \min_{a \ge 0}\ \tfrac12 a^\top H a - \mathbf 1^\top a ,
    \qquad s = H a - \mathbf 1 \ge 0,\quad a \circ s = 0 ,

with :math:`H = UU^\top` the Gram matrix of the (label-absorbed or Kesler) constraint
vectors; the slack :math:`s` is the margin minus one, so the KKT conditions of the dual
are those of the primal SVM :math:`\min\tfrac12\|S\|^2,\ US \ge 1`.

Mehrotra's predictor-corrector: each iteration factorises the dense
:math:`H + \operatorname{diag}(s/a)` once by LAPACK Cholesky and solves twice. A general
conic solver (clarabel) rebuilds a sparse LDL of the same dense block at several times
the cost; here the :math:`N^3/3` flops of ``potrf`` are the whole price. The iterate stops
at a moderate accuracy and the active set it identifies is solved exactly
(:func:`polish_gram`); the caller certifies the result by the KKT residual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

__all__ = ["DualIPMResult", "nonneg_dual_ipm", "active_set", "polish_gram"]

#: Fraction of the distance to the boundary a step may travel (standard 0.99-0.995).
_STEP_FRACTION = 0.995
#: max(a) * mean(diag H) beyond this means the dual is unbounded (no separating
#: direction; a margin of relative size 1e-7 already gives ~1e14).
_DIVERGED = 1e16


@dataclass(frozen=True)
class DualIPMResult:
    r"""Last iterate :math:`(a, s)` of :func:`nonneg_dual_ipm` and why it stopped."""

    a: np.ndarray
    s: np.ndarray
    iterations: int
    converged: bool
    #: The multipliers grew without bound: no separating direction (infeasible primal).
    diverged: bool = False


def _max_step(x, dx):
    neg = dx < 0
    if not np.any(neg):
        return 1.0
    return float(min(1.0, np.min(-x[neg] / dx[neg])))


def nonneg_dual_ipm(H, *, tol=1e-10, max_iter=60, try_below=None, accept=None) -> DualIPMResult:
    r"""Mehrotra predictor-corrector for :math:`\min_{a\ge0} \frac12 a^\top Ha - 1^\top a`.

    Infeasible start :math:`a = s = \mathbf 1/\bar h`-scaled; one common step length for
    :math:`(a, s)` keeps the residual :math:`r = Ha - 1 - s` shrinking by the factor
    :math:`1-\text{step}`. Newton system

    .. math::
        (H + \operatorname{diag}(s/a))\,\Delta a = -r + r_c/a, \qquad
        \Delta s = (r_c - s\,\Delta a)/a ,

    with :math:`r_c = \sigma\mu - a\circ s - \Delta a_{aff}\circ\Delta s_{aff}` in the
    corrector. Stops when :math:`\|r\|_\infty \le` ``tol`` and the normalised
    complementarity :math:`a\cdot s/\sum a \le` ``tol`` (the measures of the KKT report in
    :mod:`numerics.solve.max_margin`). Once both measures are below ``try_below``, each
    iterate is offered to ``accept(a, s)`` (an active-set polish and certificate); a true
    answer stops early, which saves the last few Cholesky factorisations. A failed Cholesky (singular support Gram) stops the
    iteration unconverged; the caller falls back.
    """
    H = np.asarray(H, dtype=np.float64)
    n = H.shape[0]
    diag = np.diag(H).copy()
    h_bar = float(np.mean(diag)) if n else 1.0
    # a ~ 1/h_bar makes the diagonal term of each margin O(1), the scale of the answer
    # when few constraints interact; s = 1 starts well inside the cone.
    a = np.full(n, 1.0 / h_bar)
    s = np.ones(n)
    idx = np.arange(n)
    M = np.empty_like(H)
    for it in range(1, max_iter + 1):
        Ha = H @ a
        r = Ha - 1.0 - s
        a_sum = float(a.sum())
        if float(np.max(np.abs(r))) <= tol and float(a @ s) / a_sum <= tol:
            return DualIPMResult(a, s, it - 1, True)
        if accept is not None and float(np.max(np.abs(r))) <= try_below and \
                float(a @ s) / a_sum <= try_below and accept(a, s):
            return DualIPMResult(a, s, it - 1, True)
        if float(np.max(a)) * h_bar > _DIVERGED:
            return DualIPMResult(a, s, it, False, diverged=True)
        mu = float(a @ s) / n
        np.copyto(M, H)
        M[idx, idx] += s / a
        try:
            factor = linalg.cho_factor(M, lower=False, overwrite_a=True, check_finite=False)
        except linalg.LinAlgError:
            return DualIPMResult(a, s, it, False)

        def direction(rc):
            da = linalg.cho_solve(factor, -r + rc / a, check_finite=False)
            return da, (rc - s * da) / a

        da_aff, ds_aff = direction(-a * s)
        step_aff = min(_max_step(a, da_aff), _max_step(s, ds_aff))
        mu_aff = float((a + step_aff * da_aff) @ (s + step_aff * ds_aff)) / n
        sigma = (mu_aff / mu) ** 3
        da, ds = direction(sigma * mu - a * s - da_aff * ds_aff)
        step = min(1.0, _STEP_FRACTION * min(_max_step(a, da), _max_step(s, ds)))
        a = a + step * da
        s = s + step * ds
        # Floating-point guard: a step of exactly the fraction can round a coordinate to 0.
        np.maximum(a, np.finfo(float).tiny, out=a)
        np.maximum(s, np.finfo(float).tiny, out=s)
    return DualIPMResult(a, s, max_iter, False)


def active_set(a, s):
    r"""Constraints judged active: :math:`a_i/\max a > s_i` (slack :math:`s = t - 1`).

    At an interior-point iterate :math:`a_i s_i \approx \mu`; comparing the two sides
    (rather than thresholding :math:`a_i` alone) separates strictly active from inactive
    constraints whenever :math:`\mu` is small against both gaps.
    """
    return a / np.max(a) > s


def polish_gram(H_active, *, refinements=3):
    r"""Solve :math:`H_{AA} a_A = \mathbf 1` (the active margins equal one) by Cholesky
    with ``refinements`` steps of iterative refinement; ``None`` if :math:`H_{AA}` is not
    numerically positive definite (the active vectors are dependent)."""
    m = H_active.shape[0]
    ones = np.ones(m)
    try:
        factor = linalg.cho_factor(H_active, lower=False, check_finite=False)
    except linalg.LinAlgError:
        return None
    x = linalg.cho_solve(factor, ones, check_finite=False)
    for _ in range(refinements):
        x = x + linalg.cho_solve(factor, ones - H_active @ x, check_finite=False)
    return x
