r"""Structured exact multiclass hard-margin SVM (docs/theory.md §6 (G1); used by M2, M5,
M7): the Kesler problem solved from :math:`G = XX^\top` and the labels alone.

For the constraint :math:`c = (i, j)`, :math:`j \ne y_i`, Kesler's vector is
:math:`v_c = (e_{y_i} - e_j)\otimes x_i`, so its Gram matrix is

.. math::
    (VV^\top)_{(i,j),(k,l)} = G_{ik}\,\big(\delta_{y_i y_k} - \delta_{y_i l}
    - \delta_{j y_k} + \delta_{jl}\big),

and the weights of multipliers :math:`a` are :math:`W = \beta^\top X` with
:math:`\beta_{i y_i} = \sum_j a_{ij}`, :math:`\beta_{ij} = -a_{ij}`. Nothing of size
:math:`N(K-1)\times Kd` is ever formed: the paper's K=10, d=1400, N=2000 problem
(18,000 constraints, 14,000 unknowns) needs an N x N matrix, the Gram block of the
support (~6,600 constraints) and one Cholesky of it per active-set round, after a
liblinear Crammer--Singer warm start (:mod:`numerics.solve.active_set`).
"""

from __future__ import annotations

import time

import numpy as np

from numerics.solve.active_set import (exact_from_warm_start,
                                       liblinear_crammer_singer_margins, pairwise_margins)

__all__ = ["KeslerStructure", "structured_max_margin"]


class KeslerStructure:
    r"""Gram blocks, weights and margins of the Kesler constraints from :math:`XX^\top`.

    Constraints are indexed by the flat position :math:`c = iK + j` of an (N, K) grid;
    the own-class cells :math:`j = y_i` are never constraints (their margin is +inf).
    """

    def __init__(self, X, y, k):
        self.X, self.y, self.k = X, np.asarray(y), int(k)
        self.G = X @ X.T

    def gram(self, idx):
        r""":math:`H_{AA}` for flat constraint indices ``idx`` (formula above)."""
        rows, cls = np.divmod(idx, self.k)
        own = self.y[rows]
        H = (own[:, None] == own[None, :]).astype(np.float64)
        H -= own[:, None] == cls[None, :]
        H -= cls[:, None] == own[None, :]
        H += cls[:, None] == cls[None, :]
        H *= self.G[np.ix_(rows, rows)]
        return H

    def beta(self, idx, a):
        r""":math:`\beta` (N, K) with :math:`W = \beta^\top X`."""
        rows, cls = np.divmod(idx, self.k)
        beta = np.zeros((self.X.shape[0], self.k))
        np.add.at(beta, (rows, self.y[rows]), a)
        np.add.at(beta, (rows, cls), -a)
        return beta

    def weights(self, idx, a):
        return self.beta(idx, a).T @ self.X

    def margins(self, W):
        r"""Pairwise margins :math:`(w_{y_i} - w_j)\cdot x_i` (N, K; own class +inf)."""
        return pairwise_margins(self.X @ W.T, self.y)

    def slack(self, idx, a):
        return (self.margins(self.weights(idx, a)) - 1.0).ravel()


def kkt_report(T, a_grid):
    r"""KKT measures of :mod:`numerics.solve.max_margin` for margins ``T`` and
    multipliers ``a_grid`` (both N x K; own-class cells ignored). Stationarity holds by
    construction (:math:`W = \beta^\top X`), so it is reported as 0."""
    own = ~np.isfinite(T)
    t = T[~own]
    a = a_grid[~own]
    a_max, a_sum = float(np.max(a)), float(np.sum(np.abs(a)))
    res = {"primal": max(0.0, 1.0 - float(np.min(t))),
           "dual": max(0.0, -float(np.min(a))) / a_max if a_max > 0 else np.inf,
           "stationarity": 0.0,
           "complementarity": float(np.sum(np.abs(a * (t - 1.0)))) / a_sum
           if a_sum > 0 else np.inf}
    return res, max(res.values())


def structured_max_margin(X, y, k):
    r"""Exact :math:`\hat W` of :math:`\min\|W\|_F^2` s.t.
    :math:`(w_{y_i} - w_j)\cdot x_i \ge 1` by liblinear Crammer--Singer + primal-dual
    active-set rounds on :class:`KeslerStructure`.

    Returns ``(W, a_grid, kkt, residual, rounds, seconds)`` or ``None`` if the warm start
    does not separate or the rounds do not reach a fixed point (the caller falls back).
    """
    start = time.perf_counter()
    ks = KeslerStructure(X, y, k)
    out = exact_from_warm_start(ks.gram, ks.slack, liblinear_crammer_singer_margins(X, y, k))
    if out is None:
        return None
    active, a_act, _, rounds = out
    idx = np.flatnonzero(active)
    W = ks.weights(idx, a_act)
    a_grid = np.zeros(X.shape[0] * k)
    a_grid[idx] = a_act
    a_grid = a_grid.reshape(X.shape[0], k)
    kkt, resid = kkt_report(ks.margins(W), a_grid)
    return W, a_grid, kkt, resid, rounds, time.perf_counter() - start
