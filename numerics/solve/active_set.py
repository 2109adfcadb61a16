r"""Exact hard-margin SVMs by a primal-dual active-set method warm-started from liblinear,
for the :math:`\alpha = 0` limits at paper size (claims B7, B8, B10, G1, M5, M7;
docs/theory.md §2, §6).

The KKT conditions of :math:`\min\tfrac12\|S\|^2` s.t. :math:`v_c\cdot S \ge 1` are
:math:`S = \sum_c a_c v_c`, :math:`a \ge 0`, :math:`s = VS - 1 \ge 0`, :math:`a\circ s = 0`.
Given the support :math:`A` they are one linear system, :math:`H_{AA} a_A = \mathbf 1`
with :math:`H = VV^\top`. liblinear's dual coordinate descent (scikit-learn's
``LinearSVC`` with a large :math:`C`: soft margin, moderate tolerance) finds the support
almost exactly in seconds; the primal-dual active-set iteration

.. math::
    A \leftarrow \{c \in A : a_c > 0\} \cup \{c \notin A : s_c < 0\}

then solves the system exactly (one Cholesky per round, usually one or two rounds). The
result is certified by the KKT residual of the caller, never assumed.
"""

from __future__ import annotations

import warnings

import numpy as np

from numerics.solve.dense_qp import active_set, nonneg_dual_ipm, polish_gram

__all__ = ["primal_dual_active_set", "working_set_solve", "liblinear_binary_margins",
           "liblinear_crammer_singer_margins", "candidate_support", "exact_from_warm_start"]

#: liblinear's penalty for margin violations after scaling the rows to norm <= 1. At the
#: hard-margin optimum every multiplier is below C for C this large on the data used here
#: (margins >= 1e-2 of the largest row), so the soft and hard supports coincide; smaller
#: margins are still handled exactly by the active-set rounds, only more of them.
_LIBLINEAR_C = 1e4
#: liblinear's stopping tolerance: enough to rank the margins, not to solve the QP
#: (measured at d=1400, N=2000: the same support guess as 1e-5 in a third of the time).
_LIBLINEAR_TOL = 1e-3
_LIBLINEAR_MAX_ITER = 2_000  # a warm start; non-separable data stop here
#: Constraints whose normalised warm-start margin is below 1 + this are guessed active;
#: measured at K=10, d=1400, N=2000: 6,644 below 1+1e-4, 6,755 below 1+1e-2.
_SUPPORT_BAND = 1e-3
#: The robust fallback's working set: warm-start margins below 1 + this (relative).
_WORKING_BAND = 0.25


def _fit_quietly(model, X, y):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        # A warm start needs no convergence: the active-set rounds are exact.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def liblinear_binary_margins(U):
    r"""Margins :math:`U\hat S` of liblinear's soft-margin SVM on the label-absorbed rows
    (alternating labels :math:`\pm1` on :math:`\pm u_i`, the same problem, as liblinear
    needs two classes), rows scaled to norm at most one."""
    from sklearn.svm import LinearSVC

    scale = float(np.max(np.linalg.norm(U, axis=1)))
    signs = np.where(np.arange(U.shape[0]) % 2 == 0, 1.0, -1.0)
    model = LinearSVC(C=_LIBLINEAR_C, loss="hinge", dual=True, fit_intercept=False,
                      tol=_LIBLINEAR_TOL, max_iter=_LIBLINEAR_MAX_ITER)
    _fit_quietly(model, U * (signs / scale)[:, None], signs)
    w = model.coef_.ravel()
    # classes_ are sorted (-1, +1): coef_ scores the +1 class.
    return U @ w


def liblinear_crammer_singer_margins(X, y, k):
    r"""Pairwise margins :math:`(w_{y_i} - w_c)\cdot x_i` (N, K; the :math:`c = y_i` entries
    +inf) of liblinear's Crammer--Singer SVM without bias."""
    from sklearn.svm import LinearSVC

    scale = float(np.max(np.linalg.norm(X, axis=1)))
    model = LinearSVC(C=_LIBLINEAR_C, multi_class="crammer_singer", fit_intercept=False,
                      tol=_LIBLINEAR_TOL, max_iter=_LIBLINEAR_MAX_ITER)
    _fit_quietly(model, X / scale, y)
    W = np.zeros((k, X.shape[1]))
    W[model.classes_] = model.coef_
    return pairwise_margins(X @ W.T, y)


def pairwise_margins(F, y):
    r""":math:`T_{ic} = F_{i y_i} - F_{ic}` with the own-class entries set to +inf."""
    n = F.shape[0]
    T = F[np.arange(n), y][:, None] - F
    T[np.arange(n), y] = np.inf
    return T


def candidate_support(margins, band=_SUPPORT_BAND):
    r"""Guessed active set: margins within a relative ``band`` of the smallest positive
    one (a scale-free rule; ``None`` when the warm start does not separate the data)."""
    m = float(np.min(margins))
    if not np.isfinite(m) or m <= 0:
        return None
    return margins <= m * (1.0 + band)


def primal_dual_active_set(gram, slack, active, *, max_rounds=8, add_tol=1e-13):
    r"""Primal-dual active-set rounds from the guess ``active`` (bool over constraints).

    ``gram(idx)`` returns :math:`H_{AA}` for the constraint indices ``idx``;
    ``slack(idx, a)`` returns :math:`s = VS - 1` for every constraint where
    :math:`S = \sum_{c \in A} a_c v_c`. Each round solves :math:`H_{AA}a_A = 1`
    (:func:`numerics.solve.dense_qp.polish_gram`), drops :math:`a_c \le 0` and adds
    :math:`s_c < -`\ ``add_tol`` (relative). Returns ``(active, a_A, s, rounds)`` at a
    fixed point, ``None`` if a system is singular, the set repeats, or ``max_rounds``
    pass (the caller falls back).
    """
    seen = set()
    for rounds in range(1, max_rounds + 1):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            return None
        key = idx.tobytes()
        if key in seen:
            return None
        seen.add(key)
        a = polish_gram(gram(idx))
        if a is None:
            return None
        s = slack(idx, a)
        s[idx] = np.maximum(s[idx], 0.0)  # equalities up to rounding; never "violated"
        drop = a <= 0.0
        add = s < -add_tol
        if not drop.any() and not add.any():
            return active, a, s, rounds
        active = active.copy()
        active[idx[drop]] = False
        active |= add
    return None


def working_set_solve(gram, slack, working, *, max_rounds=10, add_tol=1e-13):
    r"""Robust exact route: the dense interior point
    (:func:`numerics.solve.dense_qp.nonneg_dual_ipm`) on the working set ``working``, its
    active set handed to :func:`primal_dual_active_set` on the full problem; constraints
    the working-set optimum violates are added and the round repeats (constraint
    generation: the restricted optimum only rises, so it ends). Same return as
    :func:`primal_dual_active_set`, or ``None``."""
    working = working.copy()
    for _ in range(max_rounds):
        idx = np.flatnonzero(working)
        res = nonneg_dual_ipm(gram(idx), tol=1e-10)
        if not res.converged:
            return None
        guess = np.zeros_like(working)
        guess[idx[active_set(res.a, res.s)]] = True
        out = primal_dual_active_set(gram, slack, guess, max_rounds=4, add_tol=add_tol)
        if out is not None:
            return out
        s = slack(idx, res.a)
        add = (s < -add_tol) & ~working
        if not add.any():
            return None
        working |= add
    return None


def exact_from_warm_start(gram, slack, margins):
    r"""Active-set rounds from the warm start's support guess, then, if they fail, the
    robust :func:`working_set_solve` on the constraints within :data:`_WORKING_BAND`."""
    guess = candidate_support(margins)
    if guess is None:
        return None
    out = primal_dual_active_set(gram, slack, guess.ravel())
    if out is None:
        out = working_set_solve(gram, slack, candidate_support(margins, _WORKING_BAND).ravel())
    return out
