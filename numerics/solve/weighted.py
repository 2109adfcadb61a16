r"""Exact minimisers of the *weighted* empirical losses (the estimator's ``sample_weight``).

With weights :math:`w_i \ge 0`, :math:`\bar w_i = w_i / \sum_j w_j`:

.. math::
    L_w(S) = \sum_i \bar w_i\,\ell(S\cdot u_i),\qquad
    \nabla L_w = U^\top(\bar w \odot \ell'(US)),\qquad
    \nabla^2 L_w = U^\top\operatorname{diag}(\bar w \odot \ell''(US))\,U,

the weighted mean of the per-sample loss (docs/theory.md §1; multiclass §4 likewise). Integer
weights are repetitions: :math:`w_i = 2` is sample :math:`i` twice, :math:`w_i = 0` drops it
(rows of zero weight are removed before the row-space reduction, so the minimum-norm
minimiser is that of the remaining samples). Solved by the same damped Newton as the
unweighted solvers (:mod:`numerics.solve.binary`, :mod:`numerics.solve.multiclass`);
the squared loss by weighted least squares on :math:`\sqrt{\bar w_i}`-scaled rows.
Binary non-smooth ``f`` (MaxSup) runs the kink active-set method with the weights; the
multiclass tie active-set method is unweighted, so a multiclass MaxSup is solved on the
repeated samples when the weights are integers and refused otherwise.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import linalg

from core.errors import InvalidParameterError
from numerics.compile.compiled import T_MAX, compile_binary
from numerics.solve._inputs import augment, lift, reduce_to_row_space
from numerics.solve._newton import EPS, damped_newton
from numerics.solve._objectives import BinaryObjective, MulticlassObjective, newton
from numerics.solve.binary_kink import solve_kinked
from numerics.solve.multiclass import _class_basis, _multiclass_setup, minimize_multiclass
from numerics.solve.solution import Solution
from theory import get_regularizer

__all__ = ["minimize_binary_weighted", "minimize_multiclass_weighted",
           "minimize_squared_weighted"]


class _WeightedMulticlass(MulticlassObjective):
    """:class:`MulticlassObjective` with per-sample weights ``w`` (summing to 1)."""

    def __init__(self, V, y, comp, alpha, B, w):
        super().__init__(V, y, comp, alpha, B)
        self.w = w

    def value(self, x):
        Zp = self._permuted(x)
        if not np.all(np.abs(Zp) <= T_MAX):
            return np.inf
        return float(np.sum(self.w * self.comp.loss(*Zp.T, self.alpha)))

    def grad(self, x):
        G = self.w[:, None] * self._grad_logits(x)
        g = self.B.T @ G.T @ self.V
        return g.ravel(), 64 * EPS * np.sum(np.linalg.norm(G, axis=1) * self.row_norms)

    def hess(self, x):
        Hb = self.w[:, None, None] * self._blocks(x)
        kp, r = self.shape
        H = np.empty((kp, r, kp, r))
        for a in range(kp):
            for b in range(a, kp):
                blk = (self.V.T * Hb[:, a, b]) @ self.V
                H[a, :, b, :] = blk
                H[b, :, a, :] = blk.T
        return H.reshape(kp * r, kp * r)

    def hessp(self, x, v):
        Hb = self._blocks(x)
        dZ = self.V @ v.reshape(self.shape).T
        out = self.w[:, None] * np.einsum("nab,nb->na", Hb, dZ)
        return (out.T @ self.V).ravel()


def _normalised(weights):
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _refuse_kink(name):
    raise InvalidParameterError(
        f"non-integer sample_weight with K >= 3 classes is not supported for the non-smooth "
        f"regulariser {name!r} (its tie active-set solver is unweighted; integer weights "
        "are solved as repetitions); use a smooth regulariser or integer weights")


def minimize_binary_weighted(U, regularizer, alpha, weights, *, tol=1e-10, max_iter=100):
    r"""Minimum-norm minimiser of :math:`\sum_i \bar w_i \ell(S\cdot u_i)` (positive weights;
    the caller drops zero-weight rows): :class:`BinaryObjective` with per-row weights, or
    the kink active-set method of :mod:`numerics.solve.binary_kink` with weights."""
    comp = compile_binary(get_regularizer(regularizer))
    V, Q, rank = reduce_to_row_space(U)
    w = _normalised(weights)
    if not comp.derivation.smooth:
        beta, iters, gnorm, details = solve_kinked(V, comp, alpha, tol, max_iter, weights=w)
        S = lift(Q, beta)
        obj = BinaryObjective(U, comp.loss, comp.dloss, comp.d2loss, alpha, weight=w)
        return Solution(S, 0.0, obj.value(S), gnorm, iters, "newton+kink-active-set", rank,
                        details)
    obj = BinaryObjective(V, comp.loss, comp.dloss, comp.d2loss, alpha, weight=w)
    res = newton(obj, np.zeros(V.shape[1]), tol, max_iter,
                 f"minimize_binary_weighted({comp.name!r})")
    return Solution(lift(Q, res.x), 0.0, res.value, res.gradient_norm, res.iterations,
                    "newton", rank)


def minimize_multiclass_weighted(X, y, regularizer, alpha, weights, *, n_classes,
                                 fit_intercept=True, tol=1e-10, max_iter=100):
    r"""Minimum-norm minimiser of the weighted multiclass loss over :math:`(W, b)` jointly
    (dense Newton; the same coordinates as :func:`numerics.solve.multiclass.minimize_multiclass`)."""
    caller = "minimize_multiclass_weighted"
    y, k, comp, Xa = _multiclass_setup(X, y, regularizer, n_classes, fit_intercept, caller)
    if comp.derivation.regularizer.multiclass(k).has(sp.Max, sp.Min, sp.Abs):
        w = np.asarray(weights, dtype=float)
        if not np.all(w == np.round(w)):
            _refuse_kink(comp.name)
        # integer weights are repetitions, by definition of the weighted mean: exact
        reps = w.astype(int)
        return minimize_multiclass(np.repeat(X, reps, axis=0), np.repeat(y, reps),
                                   regularizer, alpha, n_classes=n_classes,
                                   fit_intercept=fit_intercept, tol=tol, max_iter=max_iter)
    V, Q, rank = reduce_to_row_space(Xa)
    B = _class_basis(k, comp.derivation.shift_invariant)
    obj = _WeightedMulticlass(V, y, comp, alpha, B, _normalised(weights))
    res = damped_newton(obj.value, obj.grad, np.zeros(B.shape[1] * V.shape[1]), tol=tol,
                        max_iter=max_iter, what=f"{caller}({comp.name!r}, K={k})",
                        hess=obj.hess)
    theta = res.x.reshape(B.shape[1], V.shape[1])
    Wa = B @ theta if Q is None else B @ theta @ Q.T
    W = Wa[:, :X.shape[1]].copy()
    b = Wa[:, X.shape[1]].copy() if fit_intercept else np.zeros(k)
    return Solution(W, b, res.value, res.gradient_norm, res.iterations, "newton", rank)


def minimize_squared_weighted(X, targets, weights, *, fit_intercept=False):
    r"""Minimum-norm minimiser of :math:`\sum_i \bar w_i \|x_i^\top C - r_i\|^2` (``targets``
    rows :math:`r_i`, a vector or a matrix): least squares on the rows scaled by
    :math:`\sqrt{\bar w_i}`, whose null space is that of the unscaled rows."""
    Xa = augment(X, fit_intercept)
    s = np.sqrt(_normalised(weights))
    R = np.asarray(targets, dtype=float)
    scale = s if R.ndim == 1 else s[:, None]
    coef, _, rank, _ = linalg.lstsq(Xa * s[:, None], R * scale, lapack_driver="gelsd",
                                    check_finite=False)
    resid = (Xa @ coef - R) * scale
    grad = 2 * (Xa * s[:, None]).T @ resid
    return Solution(coef, 0.0, float(np.sum(resid * resid)), float(np.linalg.norm(grad)), 0,
                    "least-squares", int(rank))
