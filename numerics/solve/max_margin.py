r"""The homogeneous hard-margin SVM: the direction gradient descent on cross-entropy converges
to on separable data (Soudry et al.; claims B7, B8; docs/theory.md §2), solved exactly and
certified by its KKT residual: a dense interior point or a liblinear-warm-started active
set, else clarabel.

.. math::
    \min_S \tfrac12\|S\|^2\ \text{s.t.}\ S\cdot u_i \ge 1 .

The multiclass SVM is this problem on Kesler's vectors
(:mod:`numerics.solve.multiclass_max_margin`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy import linalg

from core.errors import ConvergenceError, InvalidParameterError
from core.validation import POSITIVE, Array, Options, validate_params

__all__ = ["MaxMarginResult", "max_margin_direction"]

#: Above this many samples the dense N x N dual Gram matrix (8 N^2 bytes) is avoided.
_DUAL_MAX_N = 8000
METHOD = [Options(str, ("auto", "active_set", "ipm", "dual", "primal"))]
#: KKT residual a fast route must reach to be accepted without the clarabel QP (the exact
#: active-set solve reaches ~1e-14 on the paper's data; clarabel + polish ~1e-14 too).
CERTIFY_TOL = 1e-12


@dataclass(frozen=True, eq=False)
class MaxMarginResult:
    r"""Homogeneous hard-margin SVM :math:`\hat S = \arg\min\{\|S\| : S\cdot u_i \ge 1\}`.

    Attributes
    ----------
    weights : ndarray (d,)
        :math:`\hat S` itself (margins :math:`\hat S\cdot u_i \ge 1`).
    direction : ndarray (d,)
        :math:`\hat S / \|\hat S\|`.
    margin : float
        Geometric margin :math:`\min_i u_i\cdot\hat S/\|\hat S\|` (:math:`=1/\|\hat S\|`).
    dual : ndarray (N,)
        Multipliers :math:`a_i \ge 0` with :math:`\hat S = \sum_i a_i u_i`.
    support : ndarray of bool (N,)
        Support vectors (:math:`a_i/\max a > \hat S\cdot u_i - 1`).
    kkt : dict
        ``primal`` :math:`\max(0, 1-\min t_i)`, ``dual`` :math:`\max(0,-\min a)/\max a`,
        ``stationarity`` :math:`\|S - U^\top a\|/\|S\|`, ``complementarity``
        :math:`\sum|a_i(t_i-1)|/\sum a_i`; ``kkt_residual`` is their maximum.
    """

    weights: np.ndarray = field(repr=False)
    direction: np.ndarray = field(repr=False)
    margin: float
    dual: np.ndarray = field(repr=False)
    support: np.ndarray = field(repr=False)
    kkt: dict
    kkt_residual: float
    status: str
    iterations: int
    solve_time: float
    method: str
    polished: bool


def _kkt(U, S, a):
    t = U @ S
    s_norm = float(np.linalg.norm(S))
    a_max = float(np.max(a)) if a.size else 0.0
    a_sum = float(np.sum(np.abs(a)))
    res = {
        "primal": max(0.0, 1.0 - float(np.min(t))),
        "dual": max(0.0, -float(np.min(a))) / a_max if a_max > 0 else math.inf,
        "stationarity": float(np.linalg.norm(S - U.T @ a)) / s_norm if s_norm > 0 else math.inf,
        "complementarity": float(np.sum(np.abs(a * (t - 1.0)))) / a_sum if a_sum > 0 else math.inf,
    }
    return res, max(res.values())


def _clarabel_settings(tol):
    import clarabel

    s = clarabel.DefaultSettings()
    s.verbose = False
    s.tol_gap_abs = tol
    s.tol_gap_rel = tol
    s.tol_feas = tol
    s.tol_ktratio = max(tol, 1e-8)
    s.max_iter = 200
    try:
        # faer is a supernodal, multithreaded LDL: ~5x faster than QDLDL on the dense
        # 2000 x 2000 dual KKT system (6 s vs 32 s measured at d=1400, N=2000).
        s.direct_solve_method = "faer"
    except Exception:  # pragma: no cover - older clarabel builds without faer
        s.direct_solve_method = "qdldl"
    return s


def _solve_hard_margin(U, method, tol, caller):
    """Clarabel on the primal (sparse constraints) or dual (dense Gram) QP; returns S, a."""
    import clarabel

    n, d = U.shape
    cones = [clarabel.NonnegativeConeT(n)]
    if method == "dual":
        # min 1/2 a'Ga - 1'a, a >= 0: N variables, P dense PSD (upper triangle only).
        G = U @ U.T
        P = sp.csc_matrix(np.triu(G))
        solver = clarabel.DefaultSolver(P, -np.ones(n), -sp.identity(n, format="csc"),
                                        np.zeros(n), cones, _clarabel_settings(tol))
    else:
        # min 1/2 |S|^2, -U S <= -1: d variables, N dense rows.
        solver = clarabel.DefaultSolver(sp.identity(d, format="csc"), np.zeros(d),
                                        sp.csc_matrix(-U), -np.ones(n), cones,
                                        _clarabel_settings(tol))
    sol = solver.solve()
    status = str(sol.status)
    if status in ("PrimalInfeasible", "AlmostPrimalInfeasible") and method == "primal" or \
            status in ("DualInfeasible", "AlmostDualInfeasible") and method == "dual":
        raise InvalidParameterError(
            f"The data passed to {caller} (N={n} samples, dimension {d}) are not "
            "linearly separable: the hard-margin SVM has no solution (clarabel status "
            f"{status}). Use unregularized_mle for the alpha=0 limit instead.")
    if status not in ("Solved", "AlmostSolved"):
        raise ConvergenceError(f"clarabel stopped with status {status} in {caller}.",
                               iterations=int(sol.iterations))
    if method == "dual":
        a = np.asarray(sol.x, dtype=np.float64)
        S = U.T @ a
    else:
        S = np.asarray(sol.x, dtype=np.float64)
        a = np.asarray(sol.z, dtype=np.float64)
    return S, a, status, int(sol.iterations)


def _active_set(U, S, a):
    r"""Constraints judged active: normalised multiplier above the slack,
    :math:`a_i/\max a > S\cdot u_i - 1`.

    At an interior-point iterate :math:`a_i s_i \approx \mu`; comparing the two sides
    (rather than thresholding :math:`a_i` alone) separates strictly active from inactive
    constraints whenever :math:`\mu` is small against both gaps.
    """
    return a / np.max(a) > U @ S - 1.0


def _polish(U, S, a):
    r"""Re-solve on the guessed active set: :math:`U_A S = 1` with minimum norm, i.e.
    :math:`S = Q R^{-\top}1`, :math:`a_A = R^{-1}R^{-\top}1` for :math:`U_A^\top = QR`.

    Exact when the interior point identified the support correctly; the caller keeps it
    only if the KKT residual drops.
    """
    active = _active_set(U, S, a)
    m = int(active.sum())
    if m == 0 or m > U.shape[1]:
        return None
    Q, R = linalg.qr(U[active].T, mode="economic")
    diag = np.abs(np.diag(R))
    if diag.min() <= 1e-12 * diag.max():
        return None
    w = linalg.solve_triangular(R, np.ones(m), trans="T")
    S = Q @ w
    a_new = np.zeros_like(a)
    a_new[active] = linalg.solve_triangular(R, w)
    return S, a_new


def _pdas(U, guess, max_rounds=8, H=None, margins=None):
    r"""Exact primal-dual active-set rounds from the bool ``guess``
    (:mod:`numerics.solve.active_set`), on blocks of the Gram matrix ``H`` when given;
    with warm-start ``margins`` instead, the rounds and their robust fallback
    (:func:`numerics.solve.active_set.exact_from_warm_start`). ``(S, a, rounds)`` or
    ``None``."""
    from numerics.solve.active_set import exact_from_warm_start, primal_dual_active_set

    def slack(idx, a_act):
        return U @ (U[idx].T @ a_act) - 1.0

    def gram(idx):
        return U[idx] @ U[idx].T if H is None else H[np.ix_(idx, idx)]

    if margins is not None:
        out = exact_from_warm_start(gram, slack, margins)
    else:
        out = primal_dual_active_set(gram, slack, guess, max_rounds=max_rounds)
    if out is None:
        return None
    active, a_act, _, rounds = out
    a = np.zeros(U.shape[0])
    a[active] = a_act
    return U[active].T @ a_act, a, rounds


def _active_set_route(U, certify):
    r"""liblinear warm start, then exact active-set rounds; ``(S, a, rounds)`` or None."""
    from numerics.solve.active_set import liblinear_binary_margins

    return _pdas(U, None, margins=liblinear_binary_margins(U))


#: The interior point hands its active set to the exact active-set solve once the
#: residual and normalised gap are below this (measured at d=1400, N=2000: the guess is
#: then within a few constraints of the support, saving 3-5 dense factorisations).
_HANDOFF_GAP = 1e-3


def _ipm_route(U, certify, H=None):
    r"""Dense primal-dual interior point on the dual (:mod:`numerics.solve.dense_qp`);
    from gap ``_HANDOFF_GAP`` on, each iterate's active set is tried by the exact
    active-set rounds (kept if certified); otherwise the converged iterate is polished
    on its active set. ``(S, a, iterations)`` or ``None``."""
    from numerics.solve.dense_qp import active_set, nonneg_dual_ipm

    found = {}
    H = U @ U.T if H is None else H

    def accept(a, s):
        out = _pdas(U, active_set(a, s), max_rounds=3, H=H)
        if out is not None and _kkt(U, out[0], out[1])[1] <= certify:
            found["out"] = out
            return True
        return False

    res = nonneg_dual_ipm(H, tol=1e-10, try_below=_HANDOFF_GAP, accept=accept)
    if res.diverged:
        raise _Diverged
    if not res.converged:
        return None
    if "out" in found:
        S, a, _ = found["out"]
        return S, a, res.iterations
    a = res.a
    S = U.T @ a
    refined = _polish(U, S, a)
    if refined is not None and _kkt(U, *refined)[1] < _kkt(U, S, a)[1]:
        S, a = refined
    return S, a, res.iterations


def _fast_routes(U, method, certify, warm_start=None):
    """Certified fast solves in order; the first with KKT residual <= certify wins. A
    ``warm_start`` support (bool, N) is tried first by the exact active-set rounds."""
    n, d = U.shape
    cache = {}

    def gram():
        # One N x N Gram matrix shared by the warm rounds and the interior point, when
        # the dense dual is the natural form; otherwise blocks come from U.
        if "H" not in cache:
            cache["H"] = U @ U.T if _pick_method("auto", n, d) == "dual" else None
        return cache["H"]

    routes = {"active_set": ("ActiveSet", lambda: _active_set_route(U, certify)),
              "ipm": ("DenseIPM", lambda: _ipm_route(U, certify, gram())),
              "warm": ("WarmActiveSet", lambda: _pdas(U, warm_start, max_rounds=8, H=gram()))}
    if warm_start is not None and method in ("auto", "active_set", "ipm"):
        names = ["warm"] + _route_names(method, n, d)
    else:
        names = _route_names(method, n, d)
    for name in names:
        status, run = routes[name]
        try:
            out = run()
        except _Diverged:
            return None  # unbounded dual: let clarabel state that the data do not separate
        except (np.linalg.LinAlgError, ValueError):  # pragma: no cover - defensive
            out = None
        if out is None:
            continue
        S, a, iterations = out
        kkt, resid = _kkt(U, S, a)
        if resid <= certify:
            return S, a, status, iterations, name, kkt, resid
    return None


def _route_names(method, n, d):
    if method == "auto":
        # The dense dual costs N^3/3 per iteration; when N >> d liblinear's O(Nd) sweeps
        # and an active set of at most d constraints are far cheaper.
        return ["ipm", "active_set"] if _pick_method("auto", n, d) == "dual" else \
            ["active_set"]
    return [method] if method in ("ipm", "active_set") else []


class _Diverged(Exception):
    """The interior point's multipliers grew without bound (no separating direction)."""


def _pick_method(method, n, d):
    if method in ("dual", "primal"):
        return method
    # The primal KKT system factorises a d x d Schur block, the dual an N x N dense one;
    # measured at d=1400, N=2000 the dual is ~20x faster, so the primal is used only when
    # d is much smaller than N (or the dense Gram would not fit).
    return "primal" if (8 * d <= n or n > _DUAL_MAX_N) else "dual"


@validate_params({"U": [Array(2)], "method": METHOD, "tol": [POSITIVE]})
def max_margin_direction(U, *, method="auto", tol=1e-10, polish=True,
                         certify=CERTIFY_TOL, warm_start=None) -> MaxMarginResult:
    r"""Homogeneous hard-margin SVM, the direction GD on cross-entropy converges to (B7).

    .. math::
        \hat S = \arg\min_S \tfrac12\|S\|^2 \ \text{s.t.}\ S\cdot u_i \ge 1,
        \qquad \hat S = \sum_i a_i u_i,\ a_i \ge 0,\ a_i(\hat S\cdot u_i - 1) = 0 .

    Exact and certified (docs/theory.md §2 (B7)): a fast route is accepted only if the KKT
    residual of its :math:`(\hat S, a)` is at most ``certify``; otherwise clarabel, an
    interior-point conic solver, solves the QP (to ``tol`` in gap and feasibility) and
    the answer is polished on its active set (:func:`_polish`).

    * ``"ipm"`` -- dense primal-dual interior point on the dual
      (:mod:`numerics.solve.dense_qp`: one LAPACK Cholesky of the N x N Gram matrix per
      iteration), handing its active set to exact active-set rounds once the gap is
      :data:`_HANDOFF_GAP`; ~4-5x faster than clarabel at d=1400, N=2000 in the same run
      (``benchmarks/bench_max_margin.py``).
    * ``"active_set"`` -- liblinear warm start, then exact primal-dual active-set rounds
      (:mod:`numerics.solve.active_set`); the route for N >> d.
    * ``"auto"`` -- ``ipm`` then ``active_set`` where the dense dual is the natural
      form (N <= 8 d and N <= 8000), else ``active_set``; then clarabel.
    * ``"dual"`` / ``"primal"`` -- clarabel on the dual (N variables, dense Gram) or the
      primal (d variables, N dense rows), as before.

    Parameters
    ----------
    U : array (N, d)
        Label-absorbed samples.
    method : {"auto", "ipm", "active_set", "dual", "primal"}
    tol : float
        clarabel's gap and feasibility tolerances.
    polish : bool
        Refine clarabel's answer on its active set when that lowers the KKT residual.
    certify : float
        KKT residual a fast route must reach (default :data:`CERTIFY_TOL`).
    warm_start : MaxMarginResult or bool array (N,), optional
        A support guess (e.g. the previous point of a sweep path in :math:`\sigma_n`): the
        exact active-set rounds start from it before any other route.

    Raises
    ------
    InvalidParameterError
        If the data are not linearly separable (the message quotes N and d).

    Examples
    --------
    >>> res = max_margin_direction([[1.0, 1.0], [1.0, -1.0], [2.0, 0.5]])
    >>> (np.round(res.direction, 6) + 0.0).tolist(), round(res.margin, 6)
    ([1.0, 0.0], 1.0)
    """
    caller = "max_margin_direction"
    n, d = U.shape
    if np.any(np.all(U == 0.0, axis=1)):
        raise InvalidParameterError(
            f"The data passed to {caller} (N={n} samples, dimension {d}) are not linearly "
            "separable: some u_i = 0.")
    start = time.perf_counter()
    if warm_start is not None:
        warm_start = np.asarray(getattr(warm_start, "support", warm_start), dtype=bool)
        if warm_start.shape != (n,) or not warm_start.any():
            raise InvalidParameterError(
                f"The 'warm_start' parameter of {caller} must be a MaxMarginResult or a "
                f"boolean support of shape ({n},). Got shape {warm_start.shape} instead.")
    fast = _fast_routes(U, method, certify, warm_start)
    if fast is not None:
        S, a, status, iterations, name, kkt, resid = fast
        norm = float(np.linalg.norm(S))
        return MaxMarginResult(
            weights=S, direction=S / norm, margin=float(np.min(U @ (S / norm))), dual=a,
            support=_active_set(U, S, a), kkt=kkt, kkt_residual=resid, status=status,
            iterations=iterations, solve_time=time.perf_counter() - start, method=name,
            polished=True)
    method = _pick_method(method, n, d)
    S, a, status, iterations = _solve_hard_margin(U, method, tol, caller)
    kkt, resid = _kkt(U, S, a)
    polished = False
    if polish:
        refined = _polish(U, S, a)
        if refined is not None:
            kkt2, resid2 = _kkt(U, *refined)
            if resid2 < resid:
                (S, a), kkt, resid, polished = refined, kkt2, resid2, True
    elapsed = time.perf_counter() - start
    norm = float(np.linalg.norm(S))
    direction = S / norm
    return MaxMarginResult(
        weights=S, direction=direction, margin=float(np.min(U @ direction)), dual=a,
        support=_active_set(U, S, a), kkt=kkt, kkt_residual=resid, status=status,
        iterations=iterations, solve_time=elapsed, method=method, polished=polished)
