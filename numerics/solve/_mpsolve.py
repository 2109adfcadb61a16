r"""High-precision (mpmath) minimiser of the binary loss, to certify the float64 solver.

Same problem as :func:`numerics.solve.binary.minimize_binary`,
:math:`L(S) = \frac1N\sum_i\ell(S\cdot u_i)`, solved by undamped Newton in mpmath at
``dps`` digits (default 50) with the mpmath callables compiled from the same SymPy
expressions (``mp_dloss``, ``mp_d2loss``), started from the float64 solution. Intended
for small problems (:math:`d \le 10`, :math:`N \le 200`: a Newton step costs
:math:`O(Nd^2)` mpf operations).

* :math:`N > d` (``U`` of full column rank): Newton in :math:`S \in \mathbb R^d`.
  For a kinked ``f`` (MaxSup) the active set ``A`` of samples at :math:`t = 0` is taken
  from the float64 solution and Newton is applied to the KKT system of
  :math:`\min L` s.t. :math:`U_A S = 0`,

  .. math::
      \begin{pmatrix} H_F & U_A^\top \\ U_A & 0\end{pmatrix}
      \begin{pmatrix}\Delta S\\ \lambda\end{pmatrix} =
      -\begin{pmatrix} \tfrac1N U_F^\top \ell'(t_F) \\ U_A S\end{pmatrix},

  and the multipliers :math:`N\lambda_i` are checked to lie in
  :math:`[\ell'(0^-), \ell'(0^+)]` (else the active set was wrong: an error is raised).
  Redundant kink rows (more than ``d``, or dependent) are reduced to an independent
  subset; the multipliers are then not unique and their box condition is the float64
  bounded-least-squares certificate of the start solution (``details`` says so).
  With :math:`\alpha \ge \alpha_{max}` and :math:`N \le d` the answer is exactly 0.
* :math:`N \le d` (``U`` of full row rank): every logit can be set independently, so
  Newton runs in :math:`S = U^\top c` (the minimum-norm parametrisation) with the step
  :math:`\Delta c = (UU^\top)^{-1}\Delta t`, :math:`\Delta t_i = -\ell'(t_i)/\ell''(t_i)`
  (the Newton step in ``c``: :math:`UU^\top D\,UU^\top\Delta c = -UU^\top\ell'`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import numpy as np
from scipy import linalg

from theory import get_regularizer
from core.errors import ConvergenceError, InvalidParameterError
from core.validation import check_alpha, validate

from numerics.compile.compiled import compile_binary
from numerics.solve._inputs import DESIGN
from numerics.solve.binary import minimize_binary
from numerics.solve.solution import Solution

__all__ = ["MPSolution", "minimize_binary_mp", "certify_binary"]


@dataclass(frozen=True)
class MPSolution:
    """An mpmath minimiser: ``coef_mp`` (list of mpf), ``coef`` (float64 rounding),
    ``gradient_norm`` (mpf; KKT residual for a kinked loss), ``iterations``, ``dps``,
    ``details`` (notes on how the kink multipliers were certified)."""

    coef_mp: list
    coef: np.ndarray
    gradient_norm: object
    iterations: int
    dps: int
    details: dict = field(default_factory=dict, compare=False)


def _mpf(x):
    return mpmath.mpf(float(x))  # a float64 converts exactly


def _norm(v):
    return mpmath.sqrt(mpmath.fsum(x * x for x in v))


def minimize_binary_mp(U, regularizer="quadratic", alpha=0.2, *, start: Solution | None = None,
                       dps: int = 50, max_iter: int = 40) -> MPSolution:
    r"""Minimise :math:`L(S)` at ``dps`` digits (see module notes); ``start`` is the float64
    :class:`~numerics.solve.solution.Solution` (computed if omitted). Converged when the gradient
    norm is below :math:`10^{-(dps-10)}` times the size of its summands.

    Raises
    ------
    theory.InvalidParameterError
        ``U`` is rank deficient (neither full row nor full column rank).
    theory.ConvergenceError
        Newton stalls, or a kink multiplier leaves its interval.

    Examples
    --------
    >>> import numpy as np
    >>> U = np.array([[1.0, 0.2], [0.5, 1.0], [-0.3, 0.8], [1.2, -0.1]])
    >>> mp = minimize_binary_mp(U, "label_smoothing", 0.3)
    >>> mp.gradient_norm < 1e-40
    True
    """
    caller = "minimize_binary_mp"
    U = validate("U", U, DESIGN, caller)
    alpha = check_alpha(alpha, caller=caller)
    comp = compile_binary(get_regularizer(regularizer))
    if start is None:
        start = minimize_binary(U, comp.derivation.regularizer, float(alpha))
    n, d = U.shape
    rank = np.linalg.matrix_rank(U)
    if rank < min(n, d):
        raise InvalidParameterError(
            f"{caller} needs U of full row or column rank; got rank {rank} for shape "
            f"{U.shape}")
    with mpmath.workdps(dps):
        a = mpmath.mpf(alpha) if not isinstance(alpha, float) else mpmath.mpf(repr(alpha))
        Um = [[_mpf(v) for v in row] for row in U]
        details = {}
        if n <= d and not comp.derivation.smooth and float(alpha) >= comp.alpha_max:
            # Every logit can be chosen freely and the per-sample minimiser is the kink t* = 0.
            coef, gnorm, iters = [mpmath.mpf(0)] * d, mpmath.mpf(0), 0
        elif n <= d:
            coef, gnorm, iters = _row_space_newton(Um, comp, a, start, dps, max_iter)
        else:
            active = _independent(U, start.details.get("kink", np.zeros(0, dtype=int)))
            if active.size < len(start.details.get("kink", ())):
                details["multipliers"] = ("redundant kink constraints: multipliers certified in "
                                          "float64 by bounded least squares")
            coef, gnorm, iters = _full_newton(Um, comp, a, start, active, dps, max_iter,
                                              check=not details)
        return MPSolution(coef, np.array([float(c) for c in coef]), gnorm, iters, dps,
                          details)


def _independent(U, active):
    """A maximal linearly independent subset of the kink rows (pivoted QR, float64): the
    same constraints ``U_A S = 0`` without redundancy, so the KKT matrix is invertible."""
    active = np.asarray(active, dtype=int)
    if active.size == 0:
        return active
    _, R, piv = linalg.qr(U[active].T, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > max(U.shape) * np.finfo(float).eps * diag[0]))
    return np.sort(active[piv[:rank]])


def _logits(Um, S):
    return [mpmath.fsum(u * s for u, s in zip(row, S)) for row in Um]


def _grad(Um, d1, n, d, rows=None):
    rows = range(n) if rows is None else rows
    return [mpmath.fsum(d1[i] * Um[i][j] for i in rows) / n for j in range(d)]


def _full_newton(Um, comp, a, start, active, dps, max_iter, check=True):
    n, d = len(Um), len(Um[0])
    S = [_mpf(s) for s in start.coef]
    act = sorted(int(i) for i in active)
    act_set = set(act)
    free = [i for i in range(n) if i not in act_set]
    free_set = set(free)
    m = len(act)
    tiny = mpmath.mpf(10) ** (-dps + 10)
    for it in range(max_iter + 1):
        t = _logits(Um, S)
        for i in act:  # kink samples sit exactly at t = 0 (the constraint)
            t[i] = mpmath.mpf(0)
        d1 = [comp.mp_dloss(t[i], a) if i in free_set else None for i in range(n)]
        g = _grad(Um, d1, n, d, free)
        scale = mpmath.fsum(abs(d1[i]) * _norm(Um[i]) for i in free) / n
        H = mpmath.matrix(d + m, d + m)
        h = {i: comp.mp_d2loss(t[i], a) for i in free}
        for j in range(d):
            for k in range(j, d):
                H[j, k] = H[k, j] = mpmath.fsum(h[i] * Um[i][j] * Um[i][k] for i in free) / n
        rhs = mpmath.matrix(d + m, 1)
        for j in range(d):
            rhs[j] = -g[j]
        for r, i in enumerate(act):
            for j in range(d):
                H[d + r, j] = H[j, d + r] = Um[i][j]
            rhs[d + r] = -mpmath.fsum(Um[i][j] * S[j] for j in range(d))
        sol = mpmath.lu_solve(H, rhs)
        lam = [sol[d + r] for r in range(m)]
        # Stationarity residual with the multipliers: g + U_A^T lambda.
        res = [g[j] + mpmath.fsum(lam[r] * Um[i][j] for r, i in enumerate(act)) for j in range(d)]
        gnorm = _norm(res)
        if gnorm <= tiny * max(scale, mpmath.mpf(1)) and it > 0:
            if check:
                _certify_kink_multipliers(comp, a, lam, n)
            return S, gnorm, it
        S = [S[j] + sol[j] for j in range(d)]
    raise ConvergenceError(f"mpmath Newton did not reach {dps - 10} digits", iterations=max_iter,
                           gradient_norm=float(gnorm))


def _certify_kink_multipliers(comp, a, lam, n):
    """Every kink multiplier ``N lambda_i`` lies in ``[l'(0-), l'(0+)]``, else the float64
    active set was not optimal (ConvergenceError)."""
    lo = comp.mp_dloss(-mpmath.mpf(10) ** (-mpmath.mp.dps * 2), a)
    hi = comp.mp_dloss(mpmath.mpf(10) ** (-mpmath.mp.dps * 2), a)
    lo, hi = min(lo, hi), max(lo, hi)
    slack = mpmath.mpf(10) ** (-mpmath.mp.dps // 2)
    # Stationarity reads (1/N) sum_F l'(t_i) u_i + (1/N) sum_A g_i u_i = 0 with g_i = N lam_i.
    for lm in lam:
        g = n * lm
        if not (lo - slack <= g <= hi + slack):
            raise ConvergenceError(
                f"kink multiplier {mpmath.nstr(g, 8)} outside [{mpmath.nstr(lo, 8)}, "
                f"{mpmath.nstr(hi, 8)}]: the float64 active set is not optimal")


def _row_space_newton(Um, comp, a, start, dps, max_iter):
    n, d = len(Um), len(Um[0])
    K = mpmath.matrix(n, n)
    for i in range(n):
        for j in range(i, n):
            K[i, j] = K[j, i] = mpmath.fsum(x * y for x, y in zip(Um[i], Um[j]))
    # Start: c = K^{-1} t0 with t0 the float64 logits.
    t0 = mpmath.matrix([_mpf(v) for v in (np.asarray(start.coef) @ np.array(
        [[float(x) for x in row] for row in Um]).T)])
    c = mpmath.lu_solve(K, t0)
    tiny = mpmath.mpf(10) ** (-dps + 10)
    for it in range(max_iter + 1):
        t = K * c
        d1 = [comp.mp_dloss(t[i], a) for i in range(n)]
        S = [mpmath.fsum(c[i] * Um[i][j] for i in range(n)) for j in range(d)]
        gnorm = _norm(_grad(Um, d1, n, d))
        if gnorm <= tiny and it > 0:
            return S, gnorm, it
        dt = mpmath.matrix([-d1[i] / comp.mp_d2loss(t[i], a) for i in range(n)])
        c = c + mpmath.lu_solve(K, dt)
    raise ConvergenceError(f"mpmath Newton did not reach {dps - 10} digits", iterations=max_iter,
                           gradient_norm=float(gnorm))


def certify_binary(U, regularizer="quadratic", alpha=0.2, *, dps: int = 50) -> dict:
    r"""Solve in float64 and at ``dps`` digits; return both and the relative difference
    :math:`\|S_{64} - S_{mp}\|/\|S_{mp}\|` (expected ~ condition number × 1e-16).

    >>> import numpy as np
    >>> U = np.array([[1.0, 0.2], [0.5, 1.0], [-0.3, 0.8], [1.2, -0.1]])
    >>> certify_binary(U, "quadratic", 0.2)["relative_error"] < 1e-13
    True
    """
    sol = minimize_binary(U, regularizer, alpha)
    mp = minimize_binary_mp(U, regularizer, alpha, start=sol, dps=dps)
    with mpmath.workdps(dps):
        diff = _norm([_mpf(x) - y for x, y in zip(sol.coef, mp.coef_mp)])
        rel = float(diff / _norm(mp.coef_mp)) if any(mp.coef_mp) else float(diff)
    return {"float64": sol, "mpmath": mp, "relative_error": rel}
