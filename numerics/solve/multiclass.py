r"""Exact minimiser of the empirical multiclass logit-regularised loss (claims M2, M5, M6,
G1), and the paper's gradient-descent recipe on it.

Multiclass (docs/theory.md §4): :math:`z_i = Wx_i + b`, the compiled per-sample loss for
class 0 applied to each sample's logits with columns ``0`` and ``y_i`` swapped (``f`` is
permutation-symmetric), the per-sample K×K Hessian blocks assembled into the dense
Hessian. For shift-invariant ``f`` (label smoothing, MaxSup, confidence penalty) the
loss is invariant under :math:`w_k \to w_k + v`, :math:`b_k \to b_k + c`; we parametrise
by an orthonormal basis of :math:`\{\sum_k w_k = 0\}` and return the centred
(minimum-norm) minimiser.

Dense Hessians up to ``(K-1)(d+1) = 3000`` unknowns, Newton-CG (Hessian-vector products)
above. Non-smooth ``f`` (MaxSup, :math:`\max_k z_k - \operatorname{mean}(z)`) is handed to
the tie active-set method of :mod:`numerics.solve.multiclass_ties`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory import get_regularizer
from core.validation import COUNT, POSITIVE, Boolean, validate_params

from numerics.compile.compiled import compile_multiclass
from numerics.solve._inputs import (ALPHA, DESIGN, N_CLASSES, augment, class_labels,
                                    reduce_to_row_space)
from numerics.solve._newton import damped_newton, null_space_basis
from numerics.solve._objectives import MulticlassObjective
from numerics.solve.multiclass_ties import solve_multiclass_ties
from numerics.solve.solution import Solution

__all__ = ["minimize_multiclass", "gradient_descent_multiclass"]

#: Dense multiclass Hessians up to this size; Newton-CG (Hessian-vector products) above.
_DENSE_MAX = 3000


def _class_basis(k, shift_invariant):
    if not shift_invariant:
        return np.eye(k)
    return null_space_basis(np.ones((1, k)), k)  # orthonormal basis of sum_k w_k = 0


def _multiclass_setup(X, y, regularizer, n_classes, fit_intercept, caller):
    """Check the labels and compile the loss: ``(y, k, comp, Xa)``."""
    y, k = class_labels(y, X.shape[0], n_classes, caller)
    comp = compile_multiclass(get_regularizer(regularizer), k)
    return y, k, comp, augment(X, fit_intercept)


@validate_params({"X": DESIGN, "alpha": ALPHA, "n_classes": N_CLASSES, "fit_intercept": [Boolean()],
                  "tol": [POSITIVE], "max_iter": [COUNT]})
def minimize_multiclass(X, y, regularizer="quadratic", alpha=0.2, *, n_classes=None,
                        fit_intercept: bool = True, tol: float = 1e-10,
                        max_iter: int = 100) -> Solution:
    r"""Exact minimiser of the multiclass loss (claims M2, M5, M6):

    .. math::
        L(W, b) = \frac1N\sum_i (1-\alpha)\bigl(\operatorname{lse}(z_i) - z_{i,y_i}\bigr)
        + \alpha f(z_i),\qquad z_i = Wx_i + b .

    Globalised Newton (:func:`numerics.solve._newton.damped_newton`) on the dense Hessian
    (Newton-CG with an Armijo line search beyond ``(K-1)(d+1) > 3000`` unknowns). The
    minimum-norm minimiser over :math:`(W, b)` jointly is returned: coordinates in the
    row space of :math:`[X, \mathbf 1]`, and :math:`\sum_k w_k = 0, \sum_k b_k = 0` for
    shift-invariant ``f``. ``y`` holds class indices ``0..K-1``. For MaxSup
    (:math:`f = \max_k z_k - \operatorname{mean}(z)`) samples may sit on a tie of their
    top logits at the minimiser; it is then solved exactly by the tie active-set method
    of :func:`numerics.solve.multiclass_ties.solve_multiclass_ties` and ``gradient_norm`` is
    the certified bound on the distance of 0 to the subdifferential (``details`` has the
    ties and multipliers).
    """
    caller = "minimize_multiclass"
    y, k, comp, Xa = _multiclass_setup(X, y, regularizer, n_classes, fit_intercept, caller)
    V, Q, rank = reduce_to_row_space(Xa)
    B = _class_basis(k, comp.derivation.shift_invariant)
    f_expr = comp.derivation.regularizer.multiclass(k)
    if f_expr.has(sp.Max):
        theta, iters, gnorm, details = solve_multiclass_ties(V, y, comp, alpha, B, tol,
                                                             max_iter)
        res_x, method = theta.ravel(), "newton+tie-active-set"
        value = MulticlassObjective(V, y, comp, alpha, B).value(res_x)
    else:
        obj = MulticlassObjective(V, y, comp, alpha, B)
        size = B.shape[1] * V.shape[1]
        kw = {"hess": obj.hess} if size <= _DENSE_MAX else {"hessp": obj.hessp}
        res = damped_newton(obj.value, obj.grad, np.zeros(size), tol=tol, max_iter=max_iter,
                            what=f"{caller}({comp.name!r}, K={k})", **kw)
        res_x, iters, gnorm, value, details = (res.x, res.iterations, res.gradient_norm,
                                               res.value, {})
        method = "newton" if "hess" in kw else "newton-cg"
    theta = res_x.reshape(B.shape[1], V.shape[1])
    Wa = B @ theta if Q is None else B @ theta @ Q.T  # (K, d [+1])
    W = Wa[:, :X.shape[1]].copy()
    b = Wa[:, X.shape[1]].copy() if fit_intercept else np.zeros(k)
    return Solution(W, b, value, gnorm, iters, method, rank, details)


@validate_params({"X": DESIGN, "alpha": ALPHA, "n_classes": N_CLASSES, "fit_intercept": [Boolean()],
                  "lr": [POSITIVE], "epochs": [COUNT]})
def gradient_descent_multiclass(X, y, regularizer="quadratic", alpha=0.2, *, n_classes=None,
                                fit_intercept: bool = True, lr: float = 0.1,
                                epochs: int = 20000) -> Solution:
    r"""Full-batch gradient descent on the multiclass loss from :math:`W = 0, b = 0`, a fixed
    number of epochs (the paper's recipe for M2, M7). Like
    :func:`numerics.solve.binary.gradient_descent` it
    never raises for lack of convergence; the final gradient norm is reported."""
    y, k, comp, Xa = _multiclass_setup(X, y, regularizer, n_classes, fit_intercept,
                                       "gradient_descent_multiclass")
    obj = MulticlassObjective(Xa, y, comp, alpha, np.eye(k))
    x = np.zeros(k * Xa.shape[1])
    for _ in range(epochs):
        x -= lr * obj.grad(x)[0]
    Wa = x.reshape(k, Xa.shape[1])
    b = Wa[:, -1].copy() if fit_intercept else np.zeros(k)
    return Solution(Wa[:, :X.shape[1]].copy(), b, obj.value(x),
                    float(np.linalg.norm(obj.grad(x)[0])), epochs, "gd", -1)
