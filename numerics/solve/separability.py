r"""Separability of label-absorbed samples: the premise of the :math:`\alpha = 0` limits
(claims B7, B8, G1) and Cover's count.

Gradient descent on cross-entropy without regularisation converges in *direction* to the
hard-margin SVM (:mod:`numerics.solve.max_margin`) when the data are separable, and to the
finite logistic MLE (:mod:`numerics.solve.logistic_mle`) when they are not.

Homogeneous separability (no bias) of label-absorbed samples :math:`u_i = y_i x_i`:

.. math::
    \exists S:\ S\cdot u_i > 0\ \forall i,
    \qquad P_{\mathrm{sep}}(N, D) = 2^{1-N}\sum_{k<D}\binom{N-1}{k}
    \ \text{(Cover 1965, points in general position).}

Multiclass separability is binary separability of Kesler's vectors
:math:`(e_{y_i} - e_j)\otimes x_i` (:func:`kesler_vectors`).
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from core.errors import ConvergenceError
from core.validation import (CLASS_COUNT, COUNT, POSITIVE, Array, ClassLabels, Interval, validate,
                             validate_params)

from numerics.solve._logistic_newton import logistic_newton

__all__ = ["cover_probability", "separation_margin", "is_linearly_separable", "kesler_vectors",
           "is_multiclass_separable"]



@validate_params({"n": [COUNT], "d": [COUNT]})
def cover_probability(n, d) -> float:
    r"""Cover's probability that ``n`` points in general position in :math:`R^d` are
    homogeneously linearly separable (B7):

    .. math:: P(n, d) = 2^{1-n}\sum_{k=0}^{d-1}\binom{n-1}{k}.

    Exact rational arithmetic, rounded once.

    >>> cover_probability(6, 3)
    0.5
    """
    total = sum(math.comb(n - 1, k) for k in range(min(d, n)))
    return float(Fraction(total, 2 ** (n - 1)))


def _unit_rows(U):
    # Positive row scaling preserves separability and makes the LP margin scale-free.
    norms = np.linalg.norm(U, axis=1)
    zero = norms == 0.0
    safe = np.where(zero, 1.0, norms)
    return U / safe[:, None], bool(zero.any())


@validate_params({"U": [Array(2)]})
def separation_margin(U) -> float:
    r"""Largest :math:`s` with :math:`S\cdot\hat u_i \ge s`, :math:`\|S\|_\infty \le 1`,
    :math:`\hat u_i = u_i/\|u_i\|` (an LP solved by HiGHS).

    The returned value is recomputed from the LP's :math:`S` (a certificate, independent of
    the LP's own feasibility tolerance): positive iff that :math:`S` separates the data.
    Meant for small problems and as an independent check of :func:`is_linearly_separable`:
    with N dense rows it is slow at scale (780 s measured at d=1400, N=2000).
    """
    caller = "separation_margin"
    Uh, has_zero = _unit_rows(U)
    if has_zero:
        return 0.0  # S . 0 = 0 for every S: never strictly separable.
    n, d = Uh.shape
    c = np.zeros(d + 1)
    c[-1] = -1.0
    A = sp.hstack([sp.csr_matrix(-Uh), sp.csr_matrix(np.ones((n, 1)))], format="csr")
    bounds = [(-1.0, 1.0)] * d + [(None, 1.0)]
    res = linprog(c, A_ub=A, b_ub=np.zeros(n), bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": 1e-10,
                           "dual_feasibility_tolerance": 1e-10})
    if res.status != 0:
        raise ConvergenceError(f"The separability LP of {caller} failed: {res.message}",
                               iterations=getattr(res, "nit", None))
    return float(np.min(Uh @ res.x[:d]))


def _gordan_lp(Uh, tol, caller):
    """Phase-1 LP for a >= 0, sum(a) = 1, Uh^T a = 0; True iff infeasible (separable)."""
    n, d = Uh.shape
    A_eq = sp.vstack([sp.csr_matrix(Uh.T), sp.csr_matrix(np.ones((1, n)))], format="csr")
    b_eq = np.zeros(d + 1)
    b_eq[-1] = 1.0
    res = linprog(np.zeros(n), A_eq=A_eq, b_eq=b_eq, bounds=(0.0, None), method="highs",
                  options={"primal_feasibility_tolerance": max(tol, 1e-10)})
    if res.status == 2:
        return True
    if res.status != 0:
        raise ConvergenceError(f"The Gordan LP of {caller} failed: {res.message}",
                               iterations=getattr(res, "nit", None))
    return False


@validate_params({"U": [Array(2)], "tol": [POSITIVE],
                  "max_newton": [Interval(Integral, 0, None, closed="left")]})
def is_linearly_separable(U, *, tol=1e-9, max_newton=60) -> bool:
    r"""Whether some :math:`S` has :math:`S\cdot u_i > 0` for all rows (homogeneous; B7).

    By Gordan's theorem exactly one of two systems is solvable:

    .. math::
        \exists S:\ \hat U S > 0 \qquad\text{or}\qquad
        \exists a \ge 0,\ \textstyle\sum_i a_i = 1:\ \hat U^\top a = 0,

    with :math:`\hat u_i = u_i/\|u_i\|` (positive scaling preserves separability). The
    answer is *certified*: Newton's method on the logistic loss of :math:`\hat U` either
    reaches an :math:`S` with :math:`\hat U S > 0` (separable), or approaches the MLE,
    whose stationarity :math:`\hat U^\top\sigma(-t) = 0` gives
    :math:`a = \sigma(-t)/\sum\sigma(-t) > 0` with :math:`\|\hat U^\top a\| \le`
    ``tol``; since :math:`\min_i \hat u_i\cdot S \le a^\top\hat U S \le \|\hat U^\top
    a\|` for unit :math:`S`, no direction then has normalised margin above ``tol``. Only
    if neither certificate appears in ``max_newton`` steps is Gordan's alternative solved
    as a phase-1 LP by HiGHS. Measured at d=1400, N=2000: 0.9-2.6 s, against 780 s for
    the margin LP of :func:`separation_margin`.

    Parameters
    ----------
    U : array (N, d)
        Label-absorbed samples :math:`u_i = y_i x_i`.
    tol : float
        Data whose best normalised margin (unit rows, unit S) is below ``tol`` count as
        not separable.
    max_newton : int
        Newton steps before the LP fallback.

    >>> is_linearly_separable([[1.0, 0.0], [-1.0, 0.0]])
    False
    >>> is_linearly_separable([[1.0, 0.0], [1.0, 5.0]])
    True
    """
    Uh, has_zero = _unit_rows(U)
    if has_zero:
        return False  # S . 0 = 0 for every S
    verdict = logistic_newton(Uh, max_newton, certify_tol=tol).verdict
    if verdict is not None:
        return verdict
    return _gordan_lp(Uh, tol, "is_linearly_separable")


@validate_params({"X": [Array(2)], "k": [CLASS_COUNT]})
def kesler_vectors(X, y, k) -> np.ndarray:
    r"""Kesler's vectors :math:`(e_{y_i} - e_j)\otimes x_i`, :math:`j \ne y_i`, shape
    (N(K-1), K d), so that :math:`\operatorname{vec}(W)\cdot v_{ij} = (w_{y_i}-w_j)\cdot x_i`
    with ``vec`` the row-major flattening of W (K, d) (G1)."""
    y = validate("y", y, ClassLabels(X.shape[0], k), "kesler_vectors")
    n, d = X.shape
    others = np.array([[j for j in range(k) if j != c] for c in range(k)], dtype=np.int64)
    rows = np.arange(n)[:, None]
    cols = np.arange(k - 1)[None, :]
    V = np.zeros((n, k - 1, k, d))
    V[rows, cols, y[:, None], :] = X[:, None, :]
    V[rows, cols, others[y], :] = -X[:, None, :]
    return V.reshape(n * (k - 1), k * d)


def is_multiclass_separable(X, y, k, *, tol=1e-9) -> bool:
    r"""Whether some W has :math:`(w_{y_i} - w_j)\cdot x_i > 0` for all :math:`j \ne y_i`
    (linear, no bias; the premise of G1), via :func:`kesler_vectors`."""
    return is_linearly_separable(kesler_vectors(X, y, k), tol=tol)
