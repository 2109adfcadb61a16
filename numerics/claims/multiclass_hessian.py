r"""Smallest eigenvalue of M7's Hessian at the target from its class/Kronecker structure
(docs/theory.md §4 (M7)).

At :math:`W^*` every sample of class :math:`c` sits on its target logits, so

.. math::
    \mathcal H = \frac1N\sum_{c} H^*_c \otimes C_c,\qquad
    C_c = \sum_{y_i = c}\tilde x_i\tilde x_i^\top,\quad
    H^*_c = P_c H^*_0 P_c ,

restricted to :math:`\sum_k \tilde w_k = 0` (:func:`hessian_at_star`). Its product with
:math:`W` (K x p, row-major vec) is :math:`\frac1N\sum_c H^*_c\,W\,C_c` with
:math:`W C_c = (W\tilde X_c^\top)\tilde X_c`: :math:`O(KNp)` flops and no
:math:`(Kp)^2` matrix, against :math:`O((Kp)^3)` for the dense ``eigvalsh`` (about
20 minutes at K=10, p=1401).

**Exact inverse.** The loss is symmetric in the non-target logits, so
:math:`H^*_0 = \gamma I + \delta\mathbf 1\mathbf 1^\top + \epsilon(e_0\mathbf 1^\top +
\mathbf 1 e_0^\top) + \zeta e_0e_0^\top` (checked numerically, else the plain operator is
used). On :math:`\mathbf 1^\top W = 0` the :math:`\delta, \epsilon` terms leave the
subspace, and :math:`\mathcal H = PDP` with :math:`D = \operatorname{diag}_c(A_c)`,
:math:`A_c = (\gamma C + \zeta C_c)/N`, :math:`C = \sum_c C_c`, :math:`P` the sum-zero
projector. Then :math:`\mathcal H w = r` on the subspace is
:math:`w_c = A_c^{-1}(r_c + \mu)`, :math:`\mu = -(\sum_c A_c^{-1})^{-1}\sum_c A_c^{-1}r_c`:
K + 1 Cholesky factors of p x p matrices. Lanczos on this inverse (shift-invert at 0,
ARPACK ``which="LA"``) gives :math:`1/\lambda_{min}` in a few dozen products. Up to
:data:`DENSE_MAX` unknowns the dense route is kept (exact, and what the default sizes use).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.sparse import linalg as sla

from numerics.claims.multiclass_geometry import vertex_targets
from numerics.claims.multiclass_grokking_dynamics import (REGULARIZER, _hessian_function,
                                                          hessian_at_star)

__all__ = ["DENSE_MAX", "hessian_operator", "hessian_inverse_operator",
           "hessian_min_eigenvalue"]

#: Above this many unknowns (K-1)p the matrix-free route is used.
DENSE_MAX = 3000
#: ARPACK's relative tolerance on the Ritz value: far below the 10% M7 compares at.
_LANCZOS_TOL = 1e-12


def _target_hessian(k, alpha):
    f = _hessian_function(k)
    T = vertex_targets(REGULARIZER, k, alpha)
    return np.asarray(f(*T[:, 0], alpha), dtype=float)


def _symmetric_coefficients(H0):
    r""":math:`(\gamma, \zeta)` of the symmetric form of :math:`H^*_0`, or ``None`` if
    :math:`H^*_0` is not of that form to rounding (K < 3 cannot be told apart)."""
    k = H0.shape[0]
    if k < 3:
        return None
    delta = H0[1, 2]
    gamma = H0[1, 1] - delta
    eps = H0[0, 1] - delta
    zeta = H0[0, 0] - gamma - delta - 2 * eps
    one, e0 = np.ones(k), np.eye(k)[0]
    model = gamma * np.eye(k) + delta * np.outer(one, one) + \
        eps * (np.outer(e0, one) + np.outer(one, e0)) + zeta * np.outer(e0, e0)
    if np.max(np.abs(model - H0)) > 1e-12 * np.max(np.abs(H0)):
        return None
    return float(gamma), float(zeta)


def hessian_inverse_operator(X, y, k, alpha):
    r""":math:`\mathcal H^{-1}` on the sum-zero subspace (K p coordinates, row-major W;
    the component along :math:`\mathbf 1\otimes v` is mapped to 0), or ``None`` if
    :math:`H^*_0` lacks the symmetric form."""
    coef = _symmetric_coefficients(_target_hessian(k, alpha))
    if coef is None:
        return None
    gamma, zeta = coef
    Xa = np.column_stack([np.ones(X.shape[0]), X])
    n, p = Xa.shape
    Cs = [Xa[y == c].T @ Xa[y == c] for c in range(k)]
    C = sum(Cs)
    factors, S = [], np.zeros((p, p))
    for Cc in Cs:
        fac = linalg.cho_factor((gamma * C + zeta * Cc) / n, check_finite=False)
        factors.append(fac)
        S += linalg.cho_solve(fac, np.eye(p), check_finite=False)
    S_fac = linalg.cho_factor(S, check_finite=False)

    def matvec(v):
        R = np.asarray(v, dtype=float).reshape(k, p)
        R = R - R.mean(axis=0)  # project onto the subspace first
        Z = np.stack([linalg.cho_solve(f, r, check_finite=False) for f, r in zip(factors, R)])
        mu = -linalg.cho_solve(S_fac, Z.sum(axis=0), check_finite=False)
        W = np.stack([z + linalg.cho_solve(f, mu, check_finite=False)
                      for f, z in zip(factors, Z)])
        return W.ravel()

    return sla.LinearOperator((k * p, k * p), matvec=matvec, dtype=float)


def hessian_operator(X, y, k, alpha):
    r"""The centred Hessian as a ``LinearOperator`` on :math:`(K-1)p` coordinates (the
    orthonormal sum-zero basis of :func:`hessian_at_star`)."""
    H0 = _target_hessian(k, alpha)
    Xa = np.column_stack([np.ones(X.shape[0]), X])
    n, p = Xa.shape
    blocks = []
    for c in range(k):
        perm = np.arange(k)
        perm[[0, c]] = perm[[c, 0]]
        blocks.append((H0[np.ix_(perm, perm)], Xa[y == c]))
    Bk = np.linalg.qr(np.eye(k)[:, : k - 1] - 1.0 / k)[0]

    def matvec(v):
        W = Bk @ np.asarray(v, dtype=float).reshape(k - 1, p)
        out = np.zeros((k, p))
        for Hc, Xc in blocks:
            out += Hc @ ((W @ Xc.T) @ Xc)
        return (Bk.T @ out).ravel() / n

    m = (k - 1) * p
    return sla.LinearOperator((m, m), matvec=matvec, dtype=float)


def hessian_min_eigenvalue(X, y, k, alpha) -> float:
    r""":math:`\lambda_{min}` of the centred :math:`\mathcal H` at :math:`W^*`: dense
    ``eigvalsh`` up to :data:`DENSE_MAX` unknowns; beyond, Lanczos on
    :func:`hessian_inverse_operator` (largest eigenvalue :math:`1/\lambda_{min}`), or on
    :func:`hessian_operator` if the symmetric form does not hold."""
    p = X.shape[1] + 1
    if (k - 1) * p <= DENSE_MAX:
        return float(np.linalg.eigvalsh(hessian_at_star(X, y, k, alpha))[0])
    inv = hessian_inverse_operator(X, y, k, alpha)
    if inv is not None:
        # A fixed start vector keeps the result reproducible.
        v0 = np.random.default_rng(0).standard_normal(inv.shape[0])
        top = sla.eigsh(inv, k=1, which="LA", tol=_LANCZOS_TOL, v0=v0,
                        return_eigenvectors=False)
        return float(1.0 / top[0])
    op = hessian_operator(X, y, k, alpha)
    v0 = np.random.default_rng(0).standard_normal(op.shape[0])
    val = sla.eigsh(op, k=1, which="SA", tol=_LANCZOS_TOL, v0=v0,
                    return_eigenvectors=False, maxiter=20 * op.shape[0])
    return float(val[0])
