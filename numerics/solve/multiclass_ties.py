r"""Exact minimiser of the multiclass loss for MaxSup, :math:`f = \max_k z_k -
\operatorname{mean}(z)`, whose samples may sit on ties of their top logits (claims M5, G2).

*Non-smooth multiclass f* (MaxSup, :math:`\max_k z_k - \operatorname{mean}(z)`): the same
scheme with ties of the top logits in place of the kink -- smoothing
:math:`\max \to \epsilon\operatorname{lse}(\cdot/\epsilon)`, tie sets, Newton on the
tie constraints :math:`z_{ia} = z_{ib}`, multipliers on the simplex (non-negative least
squares) and steepest-descent release. For :math:`K = 2` it reproduces the binary kink
solution (tested).
Each step mirrors the binary kink method of :mod:`numerics.solve.binary_kink`.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from scipy import linalg, optimize

from theory import ALPHA, LogSumExp, logit_symbols
from core.errors import ConvergenceError

from numerics.compile.compiled import compile_multiclass, lambdify_numpy
from numerics.solve._newton import damped_newton, null_space_basis
from numerics.solve._objectives import MulticlassObjective
from numerics.solve._smoothing import (EPS_SCHEDULE, EPS_SYM, KINK_ACTIVE, KINK_ROUNDS, SMOOTH_TOL,
                                       descent_along)

__all__ = ["solve_multiclass_ties"]


class _Bound:
    """A compiled-multiclass look-alike with the smoothing parameter bound."""

    def __init__(self, k, loss, grad, hess, eps):
        self.k = k
        self.loss = lambda *a: loss(*a, eps)
        self.grad = [lambda *a, g=g: g(*a, eps) for g in grad]
        self.hess = [[lambda *a, h=h: h(*a, eps) for h in row] for row in hess]


@functools.lru_cache(maxsize=16)
def _smoothed_multiclass(reg, k):
    r""":math:`\ell` with :math:`\max_k z_k \to \epsilon\,\operatorname{lse}(z/\epsilon)`,
    compiled with arguments ``(*z, alpha, epsilon)``: loss, gradient, Hessian."""
    d = compile_multiclass(reg, k).derivation
    smooth = d.loss.replace(sp.Max, lambda *a: EPS_SYM * LogSumExp(*[x / EPS_SYM for x in a]))
    z = logit_symbols(k)
    args = (*z, ALPHA, EPS_SYM)
    grads = [sp.diff(smooth, zi) for zi in z]
    return (lambdify_numpy(args, smooth), [lambdify_numpy(args, g) for g in grads],
            [[lambdify_numpy(args, sp.diff(g, zj)) for zj in z] for g in grads])


class _TieObjective:
    r"""The multiclass loss with the tie sets ``ties`` (N×K bool) held fixed:
    :math:`(1-\alpha)\,CE + \alpha f`, where a tied sample's :math:`\max_k z_k` is the
    mean of its tied logits (equal on the constraint set, and smooth) and an untied
    sample's is its current maximum. Cross-entropy comes from the compiled loss at
    :math:`\alpha = 0`; f is piecewise linear (no curvature)."""

    def __init__(self, V, y, comp, alpha, B, ties):
        self.ce = MulticlassObjective(V, y, comp, 0.0, B)
        self.V, self.alpha, self.B, self.k = V, alpha, B, comp.k
        self.tied = ties.any(axis=1)
        self.weights = np.where(self.tied[:, None], ties / np.maximum(ties.sum(1), 1)[:, None],
                                0.0)

    def _f_grad_logits(self, Z):
        W = self.weights.copy()
        free = ~self.tied
        W[free, np.argmax(Z[free], axis=1)] = 1.0
        return W - 1.0 / self.k

    def value(self, x):
        ce = self.ce.value(x)
        Z = self.ce.logits(x)
        top = np.where(self.tied, np.sum(self.weights * Z, axis=1), np.max(Z, axis=1))
        return (1 - self.alpha) * ce + self.alpha * float(np.mean(top - Z.mean(axis=1)))

    def grad(self, x):
        g, floor = self.ce.grad(x)
        Gf = self._f_grad_logits(self.ce.logits(x))
        gf = (self.B.T @ Gf.T @ self.V).ravel() / self.V.shape[0]
        return (1 - self.alpha) * g + self.alpha * gf, floor

    def hess(self, x):
        return (1 - self.alpha) * self.ce.hess(x)


def _tie_rows(V, B, ties):
    """Constraint rows ``z_ia - z_ia0 = 0`` (a in T_i, a0 its first index) in theta-space."""
    rows = []
    for i in np.flatnonzero(ties.any(axis=1)):
        idx = np.flatnonzero(ties[i])
        rows.extend(np.kron(B[a] - B[idx[0]], V[i]) for a in idx[1:])
    return np.array(rows) if rows else np.zeros((0, B.shape[1] * V.shape[1]))


def solve_multiclass_ties(V, y, comp, alpha, B, tol, max_iter):
    r"""Exact minimiser for :math:`f = \max_k z_k - \operatorname{mean}(z)` (MaxSup),
    the multiclass analogue of the binary kink treatment (module notes): smoothing
    continuation; tie sets :math:`T_i = \{a: \max_k z_{ik} - z_{ia} \le 10^{-4}\}`;
    Newton on :math:`\ker` of the tie constraints :math:`z_{ia} = z_{ia_0}`; certification
    by the multipliers :math:`\lambda_i` of :math:`\partial\max = \operatorname{conv}
    \{e_a: a \in T_i\}` (:func:`_tie_multipliers`) and the stationarity residual they
    leave (:math:`\le` ``tol``). Otherwise a steepest-descent
    step along the minimum-norm subgradient releases the ties that should open, and the
    polish is repeated (as in the binary case)."""
    k, n = comp.k, V.shape[0]
    loss, grads, hess = _smoothed_multiclass(comp.derivation.regularizer, k)
    shape = (B.shape[1], V.shape[1])
    x, iters = np.zeros(shape[0] * shape[1]), 0
    for eps in EPS_SCHEDULE:
        obj = MulticlassObjective(V, y, _Bound(k, loss, grads, hess, eps), alpha, B)
        try:
            res = damped_newton(obj.value, obj.grad, x, hess=obj.hess, tol=SMOOTH_TOL,
                                max_iter=max_iter, what=f"smoothed {comp.name!r}")
        except ConvergenceError as err:
            iters += err.iterations or 0
            break
        x, iters = res.x, iters + res.iterations
    Z = MulticlassObjective(V, y, comp, alpha, B).logits(x)
    ties = (Z.max(axis=1, keepdims=True) - Z) <= KINK_ACTIVE
    ties[ties.sum(axis=1) < 2] = False
    dist = np.inf
    for _ in range(KINK_ROUNDS):
        Zb = null_space_basis(_tie_rows(V, B, ties), x.size)
        obj = _TieObjective(V, y, comp, alpha, B, ties)

        def grad(g, obj=obj, Zb=Zb):
            full, floor = obj.grad(Zb @ g)
            return Zb.T @ full, floor

        ok = True
        try:
            res = damped_newton(lambda g: obj.value(Zb @ g), grad, Zb.T @ x,
                                hess=lambda g: Zb.T @ obj.hess(Zb @ g) @ Zb,
                                tol=0.1 * tol, max_iter=min(max_iter, 50), min_iter=1,
                                what=f"tie polish {comp.name!r}")
            x, iters = Zb @ res.x, iters + res.iterations
        except ConvergenceError as err:
            x, iters, ok = Zb @ err.point, iters + (err.iterations or 0), False
        Z = obj.ce.logits(x)
        gap = Z.max(axis=1, keepdims=True) - Z
        near = (gap <= KINK_ACTIVE) & ~ties
        near[(near | ties).sum(axis=1) < 2] = False
        if not ok and near.any():
            ties = ties | near  # an untied sample ran into a tie: add it, re-polish
            for i in np.flatnonzero(near.any(axis=1)):
                ties[i, np.argmax(Z[i])] = True
            continue
        dist, lam, r = _tie_multipliers(obj, x, ties, alpha, n)
        if ok and dist <= tol:
            return x.reshape(shape), iters, dist, {
                "ties": [np.flatnonzero(row) for row in ties], "tie_multipliers": lam}
        # Not optimal with these ties: a steepest-descent step along the negative
        # minimum-norm subgradient moves the logits that should leave a tie; then
        # re-polish with the ties that are still exact.
        x = descent_along(MulticlassObjective(V, y, comp, alpha, B).value, x, r)
        Z = obj.ce.logits(x)
        gap = Z.max(axis=1, keepdims=True) - Z
        ties = gap <= 1e-12 * (1.0 + np.abs(Z).max(axis=1, keepdims=True))
        ties[ties.sum(axis=1) < 2] = False
    raise ConvergenceError(
        f"tie active-set polish for {comp.name!r} did not certify optimality in "
        f"{KINK_ROUNDS} rounds (stationarity residual {dist:.3e})",
        iterations=iters, gradient_norm=float(dist))


def _tie_multipliers(obj, x, ties, alpha, n):
    r"""The minimum-norm element ``r`` of :math:`\partial L(x)` for the tie sets ``ties``:
    :math:`\min \|g_0 + M\lambda\|` over simplex multipliers :math:`\lambda_i` on each
    :math:`T_i` (:math:`g_0` the gradient without the tied samples' max term, ``M`` its
    columns :math:`\frac{\alpha}{N}B^\top e_a\otimes v_i`). Solved by non-negative least
    squares with the rows :math:`\sum_a\lambda_{ia} = 1` weighted 1e6, refined by exact
    equality-constrained least squares on the support, and projected onto the simplex:
    ``r`` is then an element of :math:`\partial L(x)` and :math:`\|r\|` an upper bound on
    the distance of 0 to it. Returns ``(|r|, {i: lambda_i}, r)``."""
    g, _ = obj.grad(x)  # here a tied sample's max term is the mean of its tied logits
    pairs = [(int(i), int(a)) for i in np.flatnonzero(ties.any(axis=1))
             for a in np.flatnonzero(ties[i])]
    if not pairs:
        return float(np.linalg.norm(g)), {}, g
    V, B = obj.V, obj.B
    M = np.array([np.kron(B[a], V[i]) for i, a in pairs]).T * (alpha / n)
    owner = np.array([i for i, _ in pairs])
    samples, col = np.unique(owner, return_inverse=True)
    E = np.zeros((samples.size, len(pairs)))
    E[col, np.arange(len(pairs))] = 1.0
    base = g - M @ (1.0 / ties[owner].sum(axis=1))
    w = 1e6 * max(1.0, float(np.abs(M).max()))
    lam, _ = optimize.nnls(np.vstack([M, w * E]), np.concatenate([-base, w * np.ones(
        samples.size)]), maxiter=50 * len(pairs))
    support = lam > 1e-12
    # Exact refinement on the support: min |base + M_S lam_S| s.t. E_S lam_S = 1 (KKT).
    Ms, Es = M[:, support], E[:, support]
    kkt = np.block([[Ms.T @ Ms, Es.T], [Es, np.zeros((Es.shape[0], Es.shape[0]))]])
    rhs = np.concatenate([-Ms.T @ base, np.ones(Es.shape[0])])
    refined = linalg.lstsq(kkt, rhs, check_finite=False)[0][:int(support.sum())]
    if np.all(refined >= 0):
        lam = np.zeros_like(lam)
        lam[support] = refined
    out = {}
    for j, i in enumerate(samples):
        out[int(i)] = _simplex_projection(lam[col == j])
        lam[col == j] = out[int(i)]
    r = base + M @ lam
    return float(np.linalg.norm(r)), out, r


def _simplex_projection(v):
    """Euclidean projection onto the probability simplex (sort-based, exact)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    rho = np.nonzero(u - css / np.arange(1, v.size + 1) > 0)[0][-1]
    return np.maximum(v - css[rho] / (rho + 1.0), 0.0)
