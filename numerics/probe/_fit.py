r"""Fast exact fits of the probe: the logit-regularised path in :math:`\alpha`, the
:math:`\alpha = 0` limit of gradient descent, and their reuse along :math:`\gamma`
(docs/theory.md §4, §5, §6 (G1)).

**One factorisation.** The loss sees :math:`(W, b)` only through the training logits
:math:`Z = \tilde X[W, b]^\top`, :math:`\tilde X = [X, \mathbf 1]`. With the thin SVD
:math:`\tilde X = U s V^\top` (rank r) and the whitened design :math:`\sqrt N U`, every
logit-regularised problem is solved in coordinates :math:`\Theta` (K×r) with
:math:`Z = \sqrt N U\Theta^\top` and mapped back by :math:`[W, b] = \Theta T^\top`,
:math:`T = V_r\operatorname{diag}(\sqrt N/s)`: the minimum-norm minimiser over
:math:`(W, b)`, the same point :func:`numerics.solve.multiclass.minimize_multiclass`
returns. The SVD is computed once and reused for every :math:`\alpha`.

**Preconditioned Newton, warm started.** In whitened coordinates the Hessian is
:math:`\frac1N\sum_i H_i\otimes v_iv_i^\top` with :math:`\frac1N\sum_i v_iv_i^\top = I`,
so it is close to :math:`\bar H\otimes I`, :math:`\bar H` the mean per-sample logit
Hessian. The class coordinates are rescaled by :math:`\bar H^{-1/2}` (taken at the warm
start), which makes the Hessian nearly the identity: conjugate gradients (Newton-CG)
converge in a few steps even at K(d+1) = 5130 unknowns. The :math:`\alpha` grid is walked
from large to small :math:`\alpha`, each solve starting at the previous minimiser, with
:func:`numerics.solve._newton.damped_newton` (stop: gradient norm <= ``tol``).

**The** :math:`\alpha = 0` **limit** (docs/theory.md §5 and §6, G1). On separable data
it is the multiclass hard-margin SVM on :math:`(x, 1)`, solved exactly by constraint
generation: the QP of :func:`numerics.solve.max_margin.max_margin_direction` on a working
set of Kesler constraints :math:`(w_{y_i} - w_j)\cdot\tilde x_i \ge 1`, started from the
smallest margins of a reference classifier; each round keeps the active constraints,
adds the most violated ones (margin below 1 - 1e-9) and re-solves, until none is
violated. The last QP is a relaxation of the full problem whose solution is feasible for
it, hence optimal. A working set with no separating solution certifies non-separability. On
non-separable data the limit is the finite maximum-likelihood estimate (Newton as above,
:math:`\alpha = 0`, classes in the sum-zero basis). Which case holds is decided by a
certificate: a regularised fit with every training margin positive (separable), or a
converged MLE (a finite minimiser of the cross-entropy exists only without separation).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg

from core.errors import ConvergenceError, InvalidParameterError
from numerics.solve._newton import damped_newton, null_space_basis
from numerics.probe._objective import SymmetricObjective as MulticlassObjective, class0_gradients
from numerics.solve.max_margin import max_margin_direction

__all__ = ["WhitenedDesign", "PathFit", "regularised_path", "mle_fit", "max_margin_fit",
           "raw_gradient_norm", "logit_gradients", "unregularised_limit"]

#: Dense Hessians (Cholesky) up to this many unknowns, preconditioned CG above.
_DENSE_MAX = 1500
#: Constraints of the max-margin working set: at the start and most-violated added per
#: round, at least these and at least 1/20 and 1/40 of all N(K-1) constraints (measured:
#: 150/150 needs 18 rounds on N=5000, K=10, d=512 separable data).
_WS_START, _WS_ADD = 150, 150
#: A constraint counts as violated below margin 1 - _WS_TOL (the QP is solved to 1e-10).
_WS_TOL = 1e-9


class WhitenedDesign:
    r"""The thin SVD of :math:`[X, \mathbf 1]` and its whitened design (module notes)."""

    def __init__(self, X):
        n = X.shape[0]
        Xa = np.column_stack([X, np.ones(n)])
        U, s, Vt = linalg.svd(Xa, full_matrices=False, check_finite=False)
        r = int(np.sum(s > s[0] * max(Xa.shape) * np.finfo(float).eps))
        self.n, self.rank, self.d = n, r, X.shape[1]
        self.V = math.sqrt(n) * U[:, :r]
        self.T = Vt[:r].T * (math.sqrt(n) / s[:r])

    def to_raw(self, theta_w):
        r""":math:`(W, b)` of whitened coefficients ``theta_w`` (K, r)."""
        Wa = theta_w @ self.T.T
        return Wa[:, :-1].copy(), Wa[:, -1].copy()


class PathFit:
    """One solve: raw ``W`` (K, d), ``b`` (K,), whitened ``theta`` (K, r), the final
    gradient norm in whitened coordinates and the Newton iterations."""

    def __init__(self, W, b, theta, gradient_norm, iterations):
        self.W, self.b, self.theta = W, b, theta
        self.gradient_norm, self.iterations = gradient_norm, iterations


def _class_basis(k, shift_invariant):
    return null_space_basis(np.ones((1, k)), k) if shift_invariant else np.eye(k)


def _preconditioned(V, y, comp, alpha, B0, theta_w):
    r"""Objective with class coordinates :math:`B = B_0E\Lambda^{-1/2}` from the
    eigen-decomposition of the mean logit Hessian at ``theta_w`` (clipped below at 1e-8
    of its largest eigenvalue, so a non-convex f still gets a valid basis), and the
    start point in those coordinates."""
    x0 = np.linalg.lstsq(B0, theta_w, rcond=None)[0]
    probe = MulticlassObjective(V, y, comp, alpha, B0)
    Hbar = probe._blocks(x0.ravel()).mean(axis=0)
    ev, E = np.linalg.eigh(0.5 * (Hbar + Hbar.T))
    ev = np.maximum(ev, 1e-8 * max(float(ev.max()), 1e-300))
    B = B0 @ E / np.sqrt(ev)
    start = (np.sqrt(ev)[:, None] * (E.T @ x0))
    return MulticlassObjective(V, y, comp, alpha, B), B, start


def _newton(design, y, comp, alpha, B0, theta_w, tol, max_iter, what):
    obj, B, start = _preconditioned(design.V, y, comp, alpha, B0, theta_w)
    size = start.size
    kw = {"hess": obj.hess} if size <= _DENSE_MAX else {"hessp": obj.hessp}
    res = damped_newton(obj.value, obj.grad, start.ravel(), tol=tol, max_iter=max_iter,
                        what=what, **kw)
    theta = B @ res.x.reshape(start.shape)
    W, b = design.to_raw(theta)
    return PathFit(W, b, theta, res.gradient_norm, res.iterations)


def regularised_path(design, y, comp, alphas, *, tol=1e-10, max_iter=100, progress=None):
    r"""Minimisers at every ``alpha`` (> 0), solved from the largest to the smallest,
    each warm-started at the previous one; returned in the order of ``alphas``."""
    k = comp.k
    B0 = _class_basis(k, comp.derivation.shift_invariant)
    order = np.argsort(alphas)[::-1]
    theta = np.zeros((k, design.rank))
    fits = [None] * len(alphas)
    for j in order:
        fit = _newton(design, y, comp, float(alphas[j]), B0, theta, tol, max_iter,
                      f"probe(alpha={float(alphas[j]):g}, K={k})")
        theta = fit.theta
        fits[j] = fit
        if progress is not None:
            progress.update(1)
    return fits


def mle_fit(design, y, comp, theta_w, *, tol=1e-10, max_iter=200) -> PathFit:
    r"""Finite maximum-likelihood estimate (cross-entropy alone, :math:`\alpha = 0`) in
    the sum-zero class basis, warm-started at ``theta_w``; raises
    :class:`core.errors.ConvergenceError` when there is none (separable data)."""
    B0 = _class_basis(comp.k, True)
    centred = theta_w - theta_w.mean(axis=0)
    return _newton(design, y, comp, 0.0, B0, centred, tol, max_iter, "probe(MLE)")


def logit_gradients(comp, alpha, Z, y):
    r"""Per-sample gradients :math:`\partial\ell/\partial z_i` (N, K) of the compiled loss at
    logits ``Z`` (columns 0 and :math:`y_i` swapped, as in the solvers)."""
    n, k = Z.shape
    perm = np.tile(np.arange(k), (n, 1))
    rows = np.arange(n)
    perm[rows, 0] = y
    perm[rows, y] = 0
    Zp = np.take_along_axis(Z, perm, axis=1)
    return np.take_along_axis(class0_gradients(comp, Zp, alpha), perm, axis=1)


def raw_gradient_norm(comp, alpha, X, y, W, b) -> float:
    r""":math:`\|\nabla_{[W, b]} L\|_F` of the mean loss on ``(X, y)`` at ``(W, b)``:
    the certificate that ``(W, b)`` is a minimiser of the problem posed on ``X``."""
    Z = X @ W.T + b
    G = logit_gradients(comp, alpha, Z, y)
    n = X.shape[0]
    return float(math.hypot(np.linalg.norm(G.T @ X / n), np.linalg.norm(G.sum(axis=0) / n)))


def _margins(Xa, y, Wa):
    Z = Xa @ Wa.T
    M = Z[np.arange(y.size), y][:, None] - Z
    M[np.arange(y.size), y] = np.inf
    return M


def _kesler(Xa, y, pairs, k):
    i, j = pairs[:, 0], pairs[:, 1]
    p = Xa.shape[1]
    V = np.zeros((i.size, k, p))
    V[np.arange(i.size), y[i]] = Xa[i]
    V[np.arange(i.size), j] = -Xa[i]
    return V.reshape(i.size, k * p)


def max_margin_fit(X, y, k, W_ref, b_ref, *, start=None, max_rounds=50) -> dict:
    r"""Multiclass hard-margin SVM on :math:`(x, 1)` by constraint generation (module
    notes), started from the smallest margins of ``(W_ref, b_ref)`` and the constraint
    pairs ``start`` (e.g. the previous support). Returns ``W``, ``b``, ``support``
    (pairs (i, j) of the active constraints), ``kkt_residual`` (of the working set's QP,
    or the largest violation of the others if larger), ``rounds``, ``working_set``.
    Raises :class:`core.errors.InvalidParameterError` if the data are not separable."""
    n = X.shape[0]
    Xa = np.column_stack([X, np.ones(n)])
    M = _margins(Xa, y, np.column_stack([W_ref, b_ref]))
    total = n * (k - 1)
    add = max(_WS_ADD, total // 40)
    flat = np.argsort(M, axis=None)[:min(max(_WS_START, total // 20), total)]
    ws = {(int(a), int(c)) for a, c in zip(*np.unravel_index(flat, M.shape))}
    if start is not None:
        ws |= {(int(a), int(c)) for a, c in start}
    for rounds in range(1, max_rounds + 1):
        pairs = np.array(sorted(ws), dtype=np.int64)
        res = max_margin_direction(_kesler(Xa, y, pairs, k))  # raises if not separable
        Wa = res.weights.reshape(k, Xa.shape[1])
        M = _margins(Xa, y, Wa)
        viol = np.argwhere(M < 1.0 - _WS_TOL)
        if viol.size == 0:
            worst = float(max(0.0, 1.0 - M.min()))
            return {"W": Wa[:, :-1].copy(), "b": Wa[:, -1].copy(),
                    "support": pairs[res.support], "kkt_residual": max(res.kkt_residual, worst),
                    "rounds": rounds, "working_set": int(pairs.shape[0])}
        order = np.argsort(M[viol[:, 0], viol[:, 1]])[:add]
        # keep the active constraints, drop the inactive ones, add the most violated:
        # the QPs stay small (their cost grows like the working set cubed)
        ws = {(int(a), int(c)) for a, c in pairs[res.support]}
        ws |= {(int(a), int(c)) for a, c in viol[order]}
    raise ConvergenceError(f"max_margin_fit: working set still violated after {max_rounds} "
                           "rounds", iterations=max_rounds)


def unregularised_limit(X, y, comp, design, reference, *, start=None) -> dict:
    r""":math:`\alpha = 0` limit of gradient descent (module notes): ``kind``
    (``"max-margin"`` or ``"mle"``), ``W``, ``b``, ``residual`` (KKT residual or gradient
    norm), ``certificate`` (how separability was decided) and, for max-margin, ``support``.
    ``reference`` is a regularised :class:`PathFit` (warm start and working set)."""
    k = comp.k
    Xa_margins = _margins(np.column_stack([X, np.ones(X.shape[0])]), y,
                          np.column_stack([reference.W, reference.b]))
    if Xa_margins.min() > 0:
        cert = "a regularised fit has every training margin > 0 (separable)"
    else:
        try:
            fit = mle_fit(design, y, comp, reference.theta)
            return {"kind": "mle", "W": fit.W, "b": fit.b, "residual": fit.gradient_norm,
                    "certificate": "finite MLE converged (not separable)", "theta": fit.theta}
        except ConvergenceError:
            cert = "no finite MLE (Newton diverges): separable"
    try:
        mm = max_margin_fit(X, y, k, reference.W, reference.b, start=start)
    except InvalidParameterError:
        raise InvalidParameterError(
            "The training data are neither separable (a working set of margin constraints "
            "is infeasible) nor do they have a finite cross-entropy minimiser: the alpha=0 "
            "limit is undefined (quasi-complete separation).") from None
    return {"kind": "max-margin", "W": mm["W"], "b": mm["b"], "residual": mm["kkt_residual"],
            "certificate": cert, "support": mm["support"], "rounds": mm["rounds"],
            "working_set": mm["working_set"]}
