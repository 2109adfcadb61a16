r"""Globalised Newton's method and the linear algebra the exact solvers share.

Three pieces, used by the exact solvers (:mod:`numerics.solve.binary`, ``multiclass``,
``weight_decay``, the non-smooth polishes) and :mod:`numerics.solve.population`:

* :func:`damped_newton` -- Newton's method globalised by Levenberg--Marquardt damping
  (a trust region in its :math:`(H + \lambda I)p = -g` form, N&W Sec. 4.3 and 10.3):
  the pure Newton step (:math:`\lambda = 0`) whenever it gives an Armijo-type
  sufficient decrease (>= 1e-4 of the quadratic model's), else :math:`\lambda` grows
  tenfold until it does. This also handles an indefinite Hessian (the non-convex
  confidence penalty: the Cholesky factorisation fails until :math:`\lambda` makes it
  positive definite) and nearly flat directions, where an undamped Newton step is huge
  (label smoothing far from its minimiser grows only linearly). Dense Cholesky for a
  given Hessian; for a Hessian-vector product, truncated conjugate gradients with an
  Armijo backtracking line search (Newton-CG, N&W Alg. 7.1 and 3.1).
* :func:`row_space_basis` -- an orthonormal basis of the row space of the design matrix
  from a pivoted Cholesky factorisation of its Gram matrix. Every loss of the form
  :math:`L(S) = \frac1N\sum_i \ell(S\cdot u_i)` is constant along
  :math:`\ker U`, so its minimisers form :math:`S_0 + \ker U`; the one in the row space is
  the minimum-norm one and is the limit of gradient descent started at zero (whose
  iterates never leave the row space).
* :func:`null_space_basis` -- for the equality constraints of the non-smooth polish.

Stopping rule: :math:`\|\nabla L\|_2 \le \max(\text{tol}, \text{floor})` where the
*rounding floor* is :math:`64\,\varepsilon_{mach}` times the size of the summands of the
gradient (:math:`\frac1N\sum_i |\ell'(t_i)|\,\|u_i\|`); below it the computed gradient is
rounding noise. For O(1) data the floor is ~1e-14, far below the default ``tol=1e-10``.
A solver that cannot meet the rule raises :class:`theory.ConvergenceError` carrying
``iterations`` and ``gradient_norm``; it never returns an unconverged point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import linalg
from scipy.linalg import lapack
from scipy.sparse.linalg import LinearOperator, cg

from core.errors import ConvergenceError

__all__ = ["NewtonResult", "damped_newton", "row_space_basis", "null_space_basis", "EPS"]

EPS = float(np.finfo(float).eps)
#: Armijo sufficient-decrease constant (N&W recommend 1e-4).
_ARMIJO_C = 1e-4
#: Smallest accepted step length before the line search is declared failed.
_MIN_STEP = 2.0 ** -60


@dataclass(frozen=True)
class NewtonResult:
    """Point, objective value, final gradient norm, number of Newton steps (Hessian
    evaluations) and of chord steps (reusing the previous factorisation)."""

    x: np.ndarray
    value: float
    gradient_norm: float
    iterations: int
    chord_steps: int = 0


def _acceptable(fun, grad, f, gnorm, xn, predicted):
    """``(fn, gn, floor)`` if the trial point gives a sufficient decrease (Armijo-type:
    at least 1e-4 of the ``predicted`` decrease), or -- in the rounding regime, where the
    decrease is below the resolution of ``f`` -- keeps ``f`` and shrinks the gradient."""
    fn = fun(xn)
    if not np.isfinite(fn):
        return None
    if predicted > 0 and f - fn >= _ARMIJO_C * predicted:
        return (fn, *grad(xn))
    if fn <= f + 64 * EPS * max(abs(f), 1.0):
        gn, floor = grad(xn)
        if np.linalg.norm(gn) < gnorm:
            return fn, gn, floor
    return None


def _damped_step(fun, grad, x, f, g, gnorm, hess, lam):
    r"""One accepted step :math:`p = -(H + \lambda I)^{-1} g` (Levenberg--Marquardt, i.e.
    a trust region in its damping form). :math:`\lambda` grows tenfold after a rejected
    trial or a failed Cholesky (indefinite :math:`H`), shrinks tenfold after a very
    successful one (ratio of actual to model decrease > 3/4) and is 0 -- the pure Newton
    step -- whenever that works. Returns ``(x, f, g, floor, lambda, factor)`` (``factor``
    of :math:`H` itself, for chord steps, only when :math:`\lambda = 0`) or None."""
    scale = float(np.max(np.abs(np.diag(hess)))) if hess.size else 1.0
    scale = scale if np.isfinite(scale) and scale > 0 else 1.0
    lam_min = 1e-10 * scale
    eye = np.eye(hess.shape[0])
    while lam <= 1e20 * scale:
        try:
            factor = linalg.cho_factor(hess + lam * eye if lam else hess, lower=False,
                                       check_finite=False)
        except linalg.LinAlgError:
            lam = max(10.0 * lam, lam_min)
            continue
        p = -linalg.cho_solve(factor, g, check_finite=False)
        predicted = -float(g @ p + 0.5 * p @ (hess @ p))
        ok = _acceptable(fun, grad, f, gnorm, x + p, predicted) if np.all(np.isfinite(p)) \
            else None
        if ok is None:
            lam = max(10.0 * lam, lam_min)
            continue
        fn, gn, floor = ok
        if predicted > 0 and (f - fn) > 0.75 * predicted:
            lam = lam / 10.0 if lam / 10.0 >= lam_min else 0.0
        return x + p, fn, gn, floor, lam, (factor if lam == 0.0 else None)
    return None


def _line_search_step(fun, grad, x, f, g, gnorm, p):
    """Armijo backtracking along ``p`` (Newton-CG); ``(x, f, g, floor, 0, None)`` or None."""
    slope = float(g @ p)
    if slope >= 0:  # not a descent direction: steepest descent
        p, slope = -g, -gnorm**2
    step = 1.0
    while step >= _MIN_STEP:
        ok = _acceptable(fun, grad, f, gnorm, x + step * p, -step * slope)
        if ok is not None:
            return x + step * p, *ok, 0.0, None
        step *= 0.5
    return None


def _cg_direction(hessp: Callable, x: np.ndarray, g: np.ndarray, gnorm: float) -> np.ndarray:
    """Truncated CG on ``H p = -g`` to the forcing tolerance min(0.5, sqrt(|g|))|g|."""
    n = g.size
    op = LinearOperator((n, n), matvec=lambda v: hessp(x, v), dtype=float)
    rtol = min(0.5, np.sqrt(gnorm))
    p, _ = cg(op, -g, rtol=rtol, maxiter=max(50, 4 * n))
    if not np.all(np.isfinite(p)) or g @ p >= 0:
        return -g  # negative curvature met: fall back to steepest descent
    return p


def damped_newton(fun: Callable, grad: Callable, x0: np.ndarray, *,
                  hess: Callable | None = None, hessp: Callable | None = None,
                  tol: float = 1e-10, xtol: float = 1e-11, max_iter: int = 100,
                  min_iter: int = 0, what: str = "Newton") -> NewtonResult:
    r"""Minimise a smooth function by globalised Newton (module notes).

    Parameters
    ----------
    fun : callable
        ``fun(x) -> float``; ``+inf`` outside the domain (the line search backs off).
    grad : callable
        ``grad(x) -> (g, floor)``: the gradient and its rounding floor (see module notes).
    x0 : ndarray
        Starting point.
    hess, hessp : callable
        ``hess(x) -> H`` (dense) or ``hessp(x, v) -> H v`` (Newton-CG); one is required.
    tol : float
        Stop when :math:`\|g\|_2 \le \max(\text{tol}, \text{floor})` **and** (dense
        Hessian) the Newton step from the last factorisation,
        :math:`\|H^{-1}g\|`, is below ``xtol`` :math:`(1 + \|x\|)`: a small gradient
        alone is not a small error when the curvature is tiny (the confidence penalty
        at small alpha has :math:`\ell''(t^*) \approx 3\cdot10^{-10}`).
    xtol : float
        Relative size of the estimated remaining Newton step (see ``tol``). If the
        rounding floor prevents it, the gradient test alone decides.
    max_iter : int
        Maximum number of Newton steps.
    min_iter : int
        Newton steps attempted even if ``x0`` already meets ``tol`` (a warm start from a
        nearby problem); a step that cannot improve is then simply not taken.

    Returns
    -------
    NewtonResult

    Raises
    ------
    theory.ConvergenceError
        After ``max_iter`` steps, or when no damping/step length decreases the objective
        (with the iteration count and the gradient norm reached; ``.point`` is the last
        iterate).

    Examples
    --------
    >>> import numpy as np
    >>> r = damped_newton(lambda x: float(np.cosh(x).sum()),
    ...                   lambda x: (np.sinh(x), 0.0), np.array([2.0, -1.0]),
    ...                   hess=lambda x: np.diag(np.cosh(x)))
    >>> r.gradient_norm <= 1e-10, r.iterations < 10
    (True, True)
    """
    if (hess is None) == (hessp is None):
        raise ValueError("give exactly one of hess= and hessp=")
    x = np.array(x0, dtype=float, copy=True)
    f = fun(x)
    if not np.isfinite(f):
        raise ConvergenceError(f"{what}: objective is not finite at the start point",
                               iterations=0, gradient_norm=float("nan"))
    g, floor = grad(x)
    gnorm = float(np.linalg.norm(g))
    factor, chords, lam = None, 0, 0.0
    for it in range(max_iter + 1):
        if factor is not None:  # Shamanskii: reuse the last factorisation while it works
            x, f, g, floor, gnorm, n_chord = _chord_steps(fun, grad, x, f, g, floor, gnorm,
                                                          factor, tol)
            chords += n_chord
        converged = gnorm <= max(tol, floor)
        if converged and it >= min_iter:
            if hess is None or gnorm <= floor:
                return NewtonResult(x, float(f), gnorm, it, chords)
            if factor is not None:
                remaining = float(np.linalg.norm(linalg.cho_solve(factor, g,
                                                                  check_finite=False)))
                if remaining <= xtol * (1.0 + float(np.linalg.norm(x))):
                    return NewtonResult(x, float(f), gnorm, it, chords)
            # else: the gradient is small but the Newton step is not (tiny curvature, e.g.
            # the confidence penalty at small alpha): keep stepping.
        if it == max_iter:
            if converged:
                raise _failure(
                    f"{what}: gradient norm {gnorm:.3e} <= tol but the Newton step is still "
                    f"large after max_iter={max_iter} steps: the objective keeps decreasing "
                    f"along a direction (no finite minimiser?)", it, gnorm, x)
            break
        if hess is not None:
            step = _damped_step(fun, grad, x, f, g, gnorm, hess(x), lam)
        else:
            step = _line_search_step(fun, grad, x, f, g, gnorm,
                                     _cg_direction(hessp, x, g, gnorm))
        if step is None:
            if converged:
                return NewtonResult(x, float(f), gnorm, it, chords)
            raise _failure(
                f"{what}: no decrease possible after {it} iterations at gradient norm "
                f"{gnorm:.3e} (tol {tol:g}); the objective may be unbounded below or have "
                f"no minimiser", it, gnorm, x)
        x, f, g, floor, lam, factor = step
        gnorm = float(np.linalg.norm(g))
    raise _failure(
        f"{what}: no convergence in max_iter={max_iter} iterations; gradient norm "
        f"{gnorm:.3e} > tol {tol:g}", max_iter, gnorm, x)


def _failure(message, iterations, gnorm, x) -> ConvergenceError:
    """A ConvergenceError that also carries the last iterate as ``.point``."""
    err = ConvergenceError(message, iterations=iterations, gradient_norm=gnorm)
    err.point = x
    return err


def _chord_steps(fun, grad, x, f, g, floor, gnorm, factor, tol, max_steps=3):
    """Chord steps ``x - H_prev^{-1} g`` with the last Cholesky factor (O(n^2) each, no new
    Hessian). One is kept if ``f`` does not rise beyond rounding and the gradient shrinks
    10-fold (or at all, once below ``tol``: polishing to the rounding level)."""
    taken = 0
    for _ in range(max_steps):
        if gnorm <= floor:
            break
        p = linalg.cho_solve(factor, g, check_finite=False)
        xn = x - p
        fn = fun(xn)
        if not (np.isfinite(fn) and fn <= f + 64 * EPS * max(abs(f), 1.0)):
            break
        gn, floor_n = grad(xn)
        gn_norm = float(np.linalg.norm(gn))
        if not gn_norm < (1.0 if gnorm <= tol else 0.1) * gnorm:
            break
        x, f, g, floor, gnorm = xn, fn, gn, floor_n, gn_norm
        taken += 1
    return x, f, g, floor, gnorm, taken


def row_space_basis(U: np.ndarray) -> tuple[np.ndarray | None, int]:
    r"""Orthonormal basis ``Q`` (d×r) of the row space of ``U`` (N×d) and its rank ``r``.

    Pivoted Cholesky (LAPACK ``dpstrf``) of the smaller Gram matrix, :math:`U^\top U`
    when :math:`N \ge d` and :math:`UU^\top` otherwise, with LAPACK's default rank
    tolerance (``n * eps * max diag``: singular values below
    :math:`\sqrt{n\,\varepsilon}\,s_{max}` count as zero). Returns ``(None, d)`` when
    ``U`` has full column rank (no reduction needed).

    >>> import numpy as np
    >>> U = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    >>> Q, r = row_space_basis(U)
    >>> r, np.allclose(abs(Q[:, 0]), np.array([1, 2, 3]) / np.sqrt(14))
    (1, True)
    """
    n_samples, n_features = U.shape
    if n_samples == 0 or not np.any(U):
        return np.zeros((n_features, 0)), 0
    if n_samples >= n_features:
        gram = U.T @ U
        chol, piv, rank, _ = lapack.dpstrf(gram, lower=0)
        if rank == n_features:
            return None, n_features
        basis = np.zeros((n_features, rank))
        basis[piv - 1, :] = np.triu(chol)[:rank, :].T
    else:
        gram = U @ U.T
        _, piv, rank, _ = lapack.dpstrf(gram, lower=0)
        basis = U[piv[:rank] - 1].T
    q, _ = linalg.qr(basis, mode="economic", check_finite=False)
    return q, int(rank)


def null_space_basis(A: np.ndarray, n: int) -> np.ndarray:
    r"""Orthonormal basis (n×m) of :math:`\ker A` for ``A`` (k×n), by SVD, with the
    rank tolerance ``max(k, n) * eps * s_max``."""
    if A.shape[0] == 0:
        return np.eye(n)
    return linalg.null_space(A, rcond=max(A.shape) * EPS)
