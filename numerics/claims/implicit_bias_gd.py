r"""Gradient descent on the PERM losses, for claim G1 (implicit bias; docs/theory.md §6 (G1)).

PERM losses (:mod:`theory.perm_losses`) depend on the logits :math:`v = Wx` only through
the relative margins :math:`m_{ij} = (w_{y_i} - w_j)\cdot x_i = \operatorname{vec}(W)\cdot
v_{ij}` with the Kesler vectors :math:`v_{ij} = (e_{y_i} - e_j)\otimes x_i`:

.. math::
    L(W) = \frac1N\sum_i \psi(m_{i\cdot}),\qquad
    W_{t+1} = W_t - \frac{\eta}{N}\sum_{ij}\partial_j\psi(m_{i\cdot})\,v_{ij},\qquad
    m_{t+1} = m_t - \eta\,\mathcal K\,\psi'(m_t),\quad \mathcal K = VV^\top/N .

**Implementation.** GD runs in margin space (one :math:`N(K-1)` mat-vec per step, all
losses of a run batched), with the template gradients compiled from SymPy in the
variables :math:`x_j = e^{-m_j}` (:math:`\partial_j\psi` is rational in ``x`` for all
three templates and for label smoothing, so no overflow for :math:`m > -700`; GD from
:math:`W = 0` decreases the loss, which bounds :math:`m \ge -\log(e^{N\psi(0)})` far above
that). :math:`W_t = -\frac{\eta}{N}V^\top\sum_{s<t}\psi'(m_s)`. The weight-space engine
:func:`numerics.solve.multiclass_gradient_descent.multiclass_gradient_descent` is the independent cross-check of
the trajectory and of :math:`\sum_k w_k` conservation (:mod:`numerics.claims.implicit_bias`).

Also here: the direction gap to the SVM and its predicted O(1) offset
(:func:`asymptotic_offset`), the quantities G1 measures along these runs.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

import theory
from theory import perm_losses as pl
from core.errors import InvalidParameterError
from core.validation import check_alpha

from numerics.compile.compiled import lambdify_numpy
from core.validation import check_int as _check_int, check_real as _check_real
from numerics.solve.separability import kesler_vectors

__all__ = ["perm_gradient_x", "perm_logit_functions", "perm_gd", "direction_gap",
           "asymptotic_offset"]


# ------------------------------------------------------------------ compiled templates
def _x_symbols(k):
    return sp.symbols(f"x1:{k}", positive=True)


@functools.lru_cache(maxsize=32)
def _gradient_x_exprs(name: str, k: int, alpha: float | None):
    m = pl.margin_symbols(k)
    xs = _x_symbols(k)
    psi = pl.template(name, k)
    if name == "label_smoothing":
        psi = psi.subs(theory.ALPHA, sp.Float(alpha))
    sub = {mj: -sp.log(xj) for mj, xj in zip(m, xs)}
    return tuple(sp.simplify(theory.to_elementary(sp.diff(psi, mj)).subs(sub)) for mj in m)


def perm_gradient_x(name: str, k: int, alpha=None) -> tuple:
    r"""SymPy :math:`\partial_j\psi` (j = 1..K-1) in the variables :math:`x_j = e^{-m_j}`.

    ``alpha`` is required for ``"label_smoothing"`` (in (0, 1)) and ignored otherwise.

    >>> perm_gradient_x("cross_entropy", 3)
    (-x1/(x1 + x2 + 1), -x2/(x1 + x2 + 1))
    """
    k = _check_int(k, "k", "perm_gradient_x", minimum=2)
    if not isinstance(name, str) or name not in pl.TEMPLATES:
        raise InvalidParameterError(
            f"The 'name' parameter of perm_gradient_x must be one of {pl.TEMPLATES}. Got "
            f"{name!r} instead.")
    if name == "label_smoothing":
        if alpha is None:
            raise InvalidParameterError(
                "The 'alpha' parameter of perm_gradient_x is required for label_smoothing. "
                "Got None.")
        alpha = float(check_alpha(alpha, caller="perm_gradient_x", allow_zero=False))
    else:
        alpha = None
    return _gradient_x_exprs(name, k, alpha)


def _fused_neg_gradient(names, k, alphas):
    r"""One lambdified function of all losses' x-variables -> all components of
    :math:`-\partial_j\psi` (positive for the ET templates: fewer operations per step)."""
    args, comps = [], []
    for l, (name, a) in enumerate(zip(names, alphas)):
        xl = sp.symbols(f"x{l}_1:{k}", positive=True)
        sub = dict(zip(_x_symbols(k), xl))
        comps += [sp.simplify(-e).subs(sub) for e in perm_gradient_x(name, k, a)]
        args += list(xl)
    return sp.lambdify(args, comps, modules="numpy", cse=True)


def perm_logit_functions(name: str, k: int, alpha=None):
    r"""``(loss(Z, y), grad(Z, y))`` of :math:`\ell(v, y) = \psi((v_y - v_j)_{j\ne y})` for
    :func:`numerics.solve.multiclass_gradient_descent.multiclass_gradient_descent`, lambdified from the template
    (loss in the stable primitives, gradient :math:`\partial\ell/\partial v_y =
    \sum_j\partial_j\psi`, :math:`\partial\ell/\partial v_j = -\partial_j\psi`)."""
    m = pl.margin_symbols(k)
    psi = pl.template(name, k)
    if name == "label_smoothing":
        psi = psi.subs(theory.ALPHA, float(check_alpha(alpha, caller="perm_logit_functions",
                                                       allow_zero=False)))
    f_loss = lambdify_numpy(m, psi)
    f_grad = sp.lambdify(_x_symbols(k), perm_gradient_x(name, k, alpha), modules="numpy",
                         cse=True)
    others_of = np.array([[j for j in range(k) if j != c] for c in range(k)], dtype=np.int64)

    def margins(Z, y):
        rows = np.arange(Z.shape[0])
        return Z[rows, y][:, None] - Z[rows[:, None], others_of[y]]

    def loss(Z, y):
        return f_loss(*margins(Z, y).T)

    def grad(Z, y):
        M = margins(Z, y)
        Gm = np.column_stack(f_grad(*np.exp(-M).T))
        rows = np.arange(Z.shape[0])
        G = np.empty_like(Z)
        G[rows[:, None], others_of[y]] = -Gm
        G[rows, y] = Gm.sum(axis=1)
        return G
    return loss, grad


# ------------------------------------------------------------------------------ GD
def perm_gd(X, y, k, names, *, lr, record_at, alphas=None) -> dict:
    r"""GD from :math:`W = 0` (no bias) on each PERM loss in ``names``, batched in margin
    space. Returns ``{name: array (len(record_at), K, d)}`` of :math:`W_t` at the steps
    ``record_at`` (strictly increasing positive ints)."""
    caller = "perm_gd"
    if isinstance(names, str) or not names:
        raise InvalidParameterError(
            f"The 'names' parameter of {caller} must be a non-empty sequence of template "
            f"names. Got {names!r} instead.")
    alphas = list(alphas) if alphas is not None else [None] * len(names)
    if len(alphas) != len(names):
        raise InvalidParameterError(
            f"The 'alphas' parameter of {caller} must have one entry per name. Got "
            f"{alphas!r} for {len(names)} names.")
    lr = _check_real(lr, "lr", caller, lower=0.0, lower_open=True)
    steps = np.asarray(record_at)
    if steps.ndim != 1 or steps.size == 0 or not np.issubdtype(steps.dtype, np.integer) \
            or steps.min() < 1 or np.any(np.diff(steps) <= 0):
        raise InvalidParameterError(
            f"The 'record_at' parameter of {caller} must be strictly increasing positive "
            f"integers. Got {record_at!r} instead.")
    V = kesler_vectors(X, y, k)  # validates X, y, k; rows (i, j) i-major
    n = X.shape[0]
    V = V.reshape(n, k - 1, -1).transpose(1, 0, 2).reshape((k - 1) * n, -1)  # j-major
    fg = _fused_neg_gradient(tuple(names), k, tuple(alphas))
    L = len(names)
    Kg = (V @ V.T) * (lr / n)
    # Q = -m (all losses stacked, rows (loss, j), columns samples): E = exp(Q) = x in one
    # operation, and GD reads Q <- Q - lr K (-psi'(m)).
    Q = np.zeros((L * (k - 1), n))
    E = np.empty_like(Q)
    margins = np.empty((L, steps.size, (k - 1) * n))
    r = 0
    for t in range(1, int(steps[-1]) + 1):
        np.exp(Q, out=E)
        G = np.array(fg(*E)).reshape(L, -1)
        Q -= (G @ Kg).reshape(Q.shape)
        if t == steps[r]:
            if not np.all(np.isfinite(Q)):
                raise InvalidParameterError(
                    f"{caller} diverged by step {t}: lower lr={lr!r}.")
            margins[:, r] = -Q.reshape(L, -1)
            r += 1
    # W_t = -(lr/N) V^T sum_s psi'(m_s) lies in the row space of V, where V vec(W) = m
    # determines it: the minimum-norm least-squares solution is W_t itself.
    pinv = np.linalg.pinv(V)
    return {name: (margins[l] @ pinv.T).reshape(steps.size, k, -1)
            for l, name in enumerate(names)}


def direction_gap(W, W_ref) -> np.ndarray:
    r""":math:`\|W/\|W\|_F - \hat W/\|\hat W\|_F\|_F` for one (K, d) or a stack (T, K, d)."""
    W = np.asarray(W, dtype=float)
    ref = np.asarray(W_ref, dtype=float)
    ref = ref / np.linalg.norm(ref)
    flat = W.reshape(-1, ref.size)
    unit = flat / np.linalg.norm(flat, axis=1, keepdims=True)
    gap = np.linalg.norm(unit - ref.ravel(), axis=1)
    return gap if W.ndim == 3 else float(gap[0])


def asymptotic_offset(X, y, k, W_hat, *, lr, sv_tol=1e-7, tol=1e-12, max_iter=100):
    r"""The O(1) term :math:`\tilde W` of :math:`W_t = \hat W\log t + \tilde W + o(1)`.

    Substituting the ansatz into GD with an exponential tail (:math:`-\partial\psi(m)
    \simeq e^{-m}`, step :math:`\eta`, mean over N samples) and keeping the support
    constraints (:math:`v\cdot\hat W = 1`) gives
    :math:`\frac{\eta}{N}\sum_{SV} e^{-v\cdot\tilde W}\,v = \hat W`: the stationarity
    condition of the convex problem

    .. math::
        \tilde W = \arg\min_W\ \frac{\eta}{N}\sum_{SV} e^{-v\cdot W} + \langle\hat W, W\rangle,

    solved by Newton in the span of the support vectors (its minimiser is unique there
    when :math:`\hat W` is a strictly positive combination of them). The predicted limit
    of :math:`\delta_t\,\|W_t\|_F/\|\hat W\|_F` is :math:`\|P_{\hat W^\perp}\tilde W\|_F /
    \|\hat W\|_F`: a prediction of the gap constant independent of the GD runs.
    Returns ``(W_tilde (K, d), predicted_constant, n_support)``.
    """
    V = kesler_vectors(X, y, k)
    n = X.shape[0]
    w_hat = np.asarray(W_hat, dtype=float).ravel()
    sv = V[np.abs(V @ w_hat - 1.0) <= sv_tol]
    _, s, vt = np.linalg.svd(sv, full_matrices=False)
    B = vt[s > 1e-10 * s[0]].T  # orthonormal basis of the support span
    A = sv @ B
    c = B.T @ w_hat
    beta = np.zeros(B.shape[1])
    scale = lr / n
    for _ in range(max_iter):
        e = scale * np.exp(-A @ beta)
        g = c - A.T @ e
        if np.linalg.norm(g) <= tol * max(1.0, np.linalg.norm(c)):
            break
        H = (A.T * e) @ A
        step = -np.linalg.solve(H, g)
        t = 1.0
        f0 = e.sum() + c @ beta
        while t > 1e-12:  # Armijo on the convex objective (overflowing trials rejected)
            nb = beta + t * step
            expo = -A @ nb
            if expo.max() < 700.0 and \
                    scale * np.exp(expo).sum() + c @ nb <= f0 + 1e-4 * t * (g @ step):
                break
            t /= 2
        beta = beta + t * step
    else:
        raise theory.ConvergenceError("asymptotic_offset: Newton did not converge",
                                      iterations=max_iter, gradient_norm=float(np.linalg.norm(g)))
    W_t = B @ beta
    u = w_hat / np.linalg.norm(w_hat)
    perp = W_t - (W_t @ u) * u
    return W_t.reshape(k, -1), float(np.linalg.norm(perp) / np.linalg.norm(w_hat)), sv.shape[0]
