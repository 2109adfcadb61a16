r"""The :math:`\alpha = 0` limits: separability, hard-margin SVMs, the unregularised MLE.

Gradient descent on cross-entropy without regularisation converges in *direction* to the
hard-margin SVM when the data are separable (Soudry et al.; multiclass: RELATED.md G1),
and to the finite logistic MLE when they are not. Claim B7 compares that limit with the
regularised minimiser; claim B8 (grokking) starts from it.

Homogeneous separability (no bias) of label-absorbed samples :math:`u_i = y_i x_i`:

.. math::
    \exists S:\ S\cdot u_i > 0\ \forall i,
    \qquad P_{\mathrm{sep}}(N, D) = 2^{1-N}\sum_{k<D}\binom{N-1}{k}
    \ \text{(Cover 1965, points in general position).}

Hard-margin SVM, binary and multiclass (Kesler construction: the multiclass problem is the
binary one on the vectors :math:`(e_{y_i} - e_j)\otimes x_i`):

.. math::
    \min_S \tfrac12\|S\|^2\ \text{s.t.}\ S\cdot u_i \ge 1,
    \qquad
    \min_W \|W\|_F^2\ \text{s.t.}\ (w_{y_i} - w_j)\cdot x_i \ge 1\ \forall j \ne y_i .
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from scipy.optimize import linprog

from core.errors import ConvergenceError, InvalidParameterError

from numerics.compile.compiled import cross_entropy_functions
from numerics.models.data import _check_array, _check_int, _check_real

__all__ = [
    "MaxMarginResult",
    "MulticlassMaxMarginResult",
    "MLEResult",
    "cover_probability",
    "kesler_vectors",
    "separation_margin",
    "is_linearly_separable",
    "is_multiclass_separable",
    "max_margin_direction",
    "multiclass_max_margin",
    "unregularized_mle",
]

#: Above this many samples the dense N x N dual Gram matrix (8 N^2 bytes) is avoided.
_DUAL_MAX_N = 8000


# --------------------------------------------------------------------------------------
# Separability.
# --------------------------------------------------------------------------------------

def cover_probability(n, d) -> float:
    r"""Cover's probability that ``n`` points in general position in :math:`R^d` are
    homogeneously linearly separable (B7):

    .. math:: P(n, d) = 2^{1-n}\sum_{k=0}^{d-1}\binom{n-1}{k}.

    Exact rational arithmetic, rounded once.

    >>> cover_probability(6, 3)
    0.5
    """
    n = _check_int(n, "n", "cover_probability", minimum=1)
    d = _check_int(d, "d", "cover_probability", minimum=1)
    total = sum(math.comb(n - 1, k) for k in range(min(d, n)))
    return float(Fraction(total, 2 ** (n - 1)))


def _unit_rows(U):
    # Positive row scaling preserves separability and makes the LP margin scale-free.
    norms = np.linalg.norm(U, axis=1)
    zero = norms == 0.0
    safe = np.where(zero, 1.0, norms)
    return U / safe[:, None], bool(zero.any())


def separation_margin(U) -> float:
    r"""Largest :math:`s` with :math:`S\cdot\hat u_i \ge s`, :math:`\|S\|_\infty \le 1`,
    :math:`\hat u_i = u_i/\|u_i\|` (an LP solved by HiGHS).

    The returned value is recomputed from the LP's :math:`S` (a certificate, independent of
    the LP's own feasibility tolerance): positive iff that :math:`S` separates the data.
    Meant for small problems and as an independent check of :func:`is_linearly_separable`:
    with N dense rows it is slow at scale (780 s measured at d=1400, N=2000).
    """
    caller = "separation_margin"
    U = _check_array(U, "U", caller, ndim=2)
    Uh, has_zero = _unit_rows(U)
    if has_zero:
        return 0.0  # S . 0 = 0 for every S: never strictly separable.
    n, d = Uh.shape
    c = np.zeros(d + 1)
    c[-1] = -1.0
    A = sp.hstack([sp.csr_matrix(-Uh), sp.csr_matrix(np.ones((n, 1)))], format="csr")
    bounds = [(-1.0, 1.0)] * d + [(None, 1.0)]
    res = linprog(c, A_ub=A, b_ub=np.zeros(n), bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": 1e-10,
                           "dual_feasibility_tolerance": 1e-10})
    if res.status != 0:
        raise ConvergenceError(f"The separability LP of {caller} failed: {res.message}",
                               iterations=getattr(res, "nit", None))
    return float(np.min(Uh @ res.x[:d]))


def _gordan_lp(Uh, tol, caller):
    """Phase-1 LP for a >= 0, sum(a) = 1, Uh^T a = 0; True iff infeasible (separable)."""
    n, d = Uh.shape
    A_eq = sp.vstack([sp.csr_matrix(Uh.T), sp.csr_matrix(np.ones((1, n)))], format="csr")
    b_eq = np.zeros(d + 1)
    b_eq[-1] = 1.0
    res = linprog(np.zeros(n), A_eq=A_eq, b_eq=b_eq, bounds=(0.0, None), method="highs",
                  options={"primal_feasibility_tolerance": max(tol, 1e-10)})
    if res.status == 2:
        return True
    if res.status != 0:
        raise ConvergenceError(f"The Gordan LP of {caller} failed: {res.message}",
                               iterations=getattr(res, "nit", None))
    return False


def is_linearly_separable(U, *, tol=1e-9, max_newton=60) -> bool:
    r"""Whether some :math:`S` has :math:`S\cdot u_i > 0` for all rows (homogeneous; B7).

    By Gordan's theorem exactly one of two systems is solvable:

    .. math::
        \exists S:\ \hat U S > 0 \qquad\text{or}\qquad
        \exists a \ge 0,\ \textstyle\sum_i a_i = 1:\ \hat U^\top a = 0,

    with :math:`\hat u_i = u_i/\|u_i\|` (positive scaling preserves separability). The
    answer is *certified*: Newton's method on the logistic loss of :math:`\hat U` either
    reaches an :math:`S` with :math:`\hat U S > 0` (separable), or approaches the MLE,
    whose stationarity :math:`\hat U^\top\sigma(-t) = 0` gives
    :math:`a = \sigma(-t)/\sum\sigma(-t) > 0` with :math:`\|\hat U^\top a\| \le`
    ``tol``; since :math:`\min_i \hat u_i\cdot S \le a^\top\hat U S \le \|\hat U^\top
    a\|` for unit :math:`S`, no direction then has normalised margin above ``tol``. Only
    if neither certificate appears in ``max_newton`` steps is Gordan's alternative solved
    as a phase-1 LP by HiGHS. Measured at d=1400, N=2000: 0.9-2.6 s, against 780 s for
    the margin LP of :func:`separation_margin`.

    Parameters
    ----------
    U : array (N, d)
        Label-absorbed samples :math:`u_i = y_i x_i`.
    tol : float
        Data whose best normalised margin (unit rows, unit S) is below ``tol`` count as
        not separable.
    max_newton : int
        Newton steps before the LP fallback.

    >>> is_linearly_separable([[1.0, 0.0], [-1.0, 0.0]])
    False
    >>> is_linearly_separable([[1.0, 0.0], [1.0, 5.0]])
    True
    """
    caller = "is_linearly_separable"
    U = _check_array(U, "U", caller, ndim=2)
    tol = _check_real(tol, "tol", caller, lower=0.0, lower_open=True)
    max_newton = _check_int(max_newton, "max_newton", caller, minimum=0)
    Uh, has_zero = _unit_rows(U)
    if has_zero:
        return False  # S . 0 = 0 for every S
    verdict = _newton(Uh, max_newton, certify_tol=tol).verdict
    if verdict is not None:
        return verdict
    return _gordan_lp(Uh, tol, caller)


def kesler_vectors(X, y, k) -> np.ndarray:
    r"""Kesler's vectors :math:`(e_{y_i} - e_j)\otimes x_i`, :math:`j \ne y_i`, shape
    (N(K-1), K d), so that :math:`\operatorname{vec}(W)\cdot v_{ij} = (w_{y_i}-w_j)\cdot x_i`
    with ``vec`` the row-major flattening of W (K, d) (G1)."""
    X, y, k = _check_multiclass(X, y, k, "kesler_vectors")
    n, d = X.shape
    others = np.array([[j for j in range(k) if j != c] for c in range(k)], dtype=np.int64)
    rows = np.arange(n)[:, None]
    cols = np.arange(k - 1)[None, :]
    V = np.zeros((n, k - 1, k, d))
    V[rows, cols, y[:, None], :] = X[:, None, :]
    V[rows, cols, others[y], :] = -X[:, None, :]
    return V.reshape(n * (k - 1), k * d)


def _check_multiclass(X, y, k, caller):
    k = _check_int(k, "k", caller, minimum=2)
    X = _check_array(X, "X", caller, ndim=2)
    y_arr = np.asarray(y)
    if y_arr.shape != (X.shape[0],):
        raise InvalidParameterError(
            f"The 'y' parameter of {caller} must have shape ({X.shape[0]},). Got shape "
            f"{y_arr.shape} instead.")
    if not np.issubdtype(y_arr.dtype, np.integer):
        if not (np.issubdtype(y_arr.dtype, np.floating) and np.all(y_arr == np.round(y_arr))):
            raise InvalidParameterError(
                f"The 'y' parameter of {caller} must hold integer class labels. Got dtype "
                f"{y_arr.dtype} instead.")
    y_arr = y_arr.astype(np.int64)
    if y_arr.min() < 0 or y_arr.max() >= k:
        bad = y_arr[(y_arr < 0) | (y_arr >= k)][0]
        raise InvalidParameterError(
            f"The 'y' parameter of {caller} must hold labels in 0..{k - 1}. Got {bad!r}.")
    return X, y_arr, k


def is_multiclass_separable(X, y, k, *, tol=1e-9) -> bool:
    r"""Whether some W has :math:`(w_{y_i} - w_j)\cdot x_i > 0` for all :math:`j \ne y_i`
    (linear, no bias; the premise of G1), via :func:`kesler_vectors`."""
    return is_linearly_separable(kesler_vectors(X, y, k), tol=tol)


# --------------------------------------------------------------------------------------
# Hard-margin SVM.
# --------------------------------------------------------------------------------------

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


def _pick_method(method, n, d, caller):
    if method not in ("auto", "dual", "primal"):
        raise InvalidParameterError(
            f"The 'method' parameter of {caller} must be one of ('auto', 'dual', 'primal'). "
            f"Got {method!r} instead.")
    if method != "auto":
        return method
    # The primal KKT system factorises a d x d Schur block, the dual an N x N dense one;
    # measured at d=1400, N=2000 the dual is ~20x faster, so the primal is used only when
    # d is much smaller than N (or the dense Gram would not fit).
    return "primal" if (8 * d <= n or n > _DUAL_MAX_N) else "dual"


def max_margin_direction(U, *, method="auto", tol=1e-10, polish=True) -> MaxMarginResult:
    r"""Homogeneous hard-margin SVM, the direction GD on cross-entropy converges to (B7).

    .. math::
        \hat S = \arg\min_S \tfrac12\|S\|^2 \ \text{s.t.}\ S\cdot u_i \ge 1,
        \qquad \hat S = \sum_i a_i u_i,\ a_i \ge 0,\ a_i(\hat S\cdot u_i - 1) = 0 .

    Solved by clarabel, an interior-point conic solver: the QP is solved exactly (to
    ``tol`` in gap and feasibility, ~15 iterations), with no regularisation constant C to
    tune as in libsvm's soft-margin SVC, and its LDL factorisation handles the dense
    d=1400, N=2000 problem (the paper's B8 setting) in seconds. The dual (N variables,
    dense PSD Gram matrix) is used by default: measured 6 s against 120-200 s for the
    primal with its dense-row constraint matrix. The solution is then polished on its
    active set (:func:`_polish`) and the KKT residual is reported.

    Parameters
    ----------
    U : array (N, d)
        Label-absorbed samples.
    method : {"auto", "dual", "primal"}
    tol : float
        clarabel's gap and feasibility tolerances.
    polish : bool
        Refine on the active set when that lowers the KKT residual.

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
    U = _check_array(U, "U", caller, ndim=2)
    tol = _check_real(tol, "tol", caller, lower=0.0, lower_open=True)
    n, d = U.shape
    method = _pick_method(method, n, d, caller)
    if np.any(np.all(U == 0.0, axis=1)):
        raise InvalidParameterError(
            f"The data passed to {caller} (N={n} samples, dimension {d}) are not linearly "
            "separable: some u_i = 0.")
    start = time.perf_counter()
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


@dataclass(frozen=True, eq=False)
class MulticlassMaxMarginResult:
    r"""Multiclass hard-margin SVM :math:`\hat W` (RELATED.md G1).

    ``W`` is (K, d) with :math:`(\hat w_{y_i} - \hat w_j)\cdot x_i \ge 1`; ``direction`` is
    :math:`\hat W/\|\hat W\|_F`; ``margin`` is the smallest normalised relative margin;
    ``dual`` (N, K-1) are the multipliers of the constraints against the classes
    :math:`j \ne y_i` in increasing order; ``binary`` is the underlying Kesler solve.
    """

    W: np.ndarray = field(repr=False)
    direction: np.ndarray = field(repr=False)
    margin: float
    dual: np.ndarray = field(repr=False)
    kkt_residual: float
    binary: MaxMarginResult = field(repr=False)


def multiclass_max_margin(X, y, k, *, method="auto", tol=1e-10,
                          polish=True) -> MulticlassMaxMarginResult:
    r"""Multiclass hard-margin SVM, the limit direction of GD on cross-entropy (G1).

    .. math::
        \hat W = \arg\min_W \|W\|_F^2 \ \text{s.t.}\
        (w_{y_i} - w_j)\cdot x_i \ge 1\quad \forall i,\ \forall j \ne y_i .

    It is exactly the binary problem of :func:`max_margin_direction` on the
    :func:`kesler_vectors` (:math:`\|\operatorname{vec} W\| = \|W\|_F`), so it shares its
    solver, polishing and KKT report. The dual has N(K-1) variables: fine up to a few
    thousand constraints; the paper-scale K=10, N=2000, d=1400 problem (18,000 dense
    constraints in 14,000 variables) is beyond a direct factorisation.
    """
    caller = "multiclass_max_margin"
    X, y, k = _check_multiclass(X, y, k, caller)
    V = kesler_vectors(X, y, k)
    try:
        res = max_margin_direction(V, method=method, tol=tol, polish=polish)
    except InvalidParameterError:
        raise InvalidParameterError(
            f"The data passed to {caller} (N={X.shape[0]} samples, dimension {X.shape[1]}, "
            f"K={k} classes) are not linearly separable: the multiclass hard-margin SVM has "
            "no solution.") from None
    W = res.weights.reshape(k, X.shape[1])
    return MulticlassMaxMarginResult(
        W=W, direction=W / np.linalg.norm(W), margin=res.margin,
        dual=res.dual.reshape(X.shape[0], k - 1), kkt_residual=res.kkt_residual, binary=res)


# --------------------------------------------------------------------------------------
# Non-separable: the logistic MLE.
# --------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class MLEResult:
    r"""Logistic MLE without bias: ``weights``, mean ``loss``, ``gradient_norm``,
    Newton ``iterations``."""

    weights: np.ndarray = field(repr=False)
    loss: float
    gradient_norm: float
    iterations: int


def _logistic(U, S):
    t = U @ S
    return float(np.mean(cross_entropy_functions()[0](t))), t


@dataclass
class _NewtonState:
    S: np.ndarray
    loss: float
    gradient_norm: float
    iterations: int
    converged: bool = False
    verdict: bool | None = None  # separability certificate found (True/False) or None
    failed: bool = False


def _newton(U, max_iter, *, grad_tol=0.0, certify_tol=None):
    r"""Damped Newton on the mean logistic loss from S = 0.

    Stops at :math:`\|\nabla L\| \le` ``grad_tol``; with ``certify_tol`` it also stops
    at a separability certificate (all :math:`t_i > 0`: verdict True; a positive Gordan
    vector with :math:`\|U^\top a\| \le` ``certify_tol``: verdict False).
    """
    n, d = U.shape
    S = np.zeros(d)
    loss, t = _logistic(U, S)
    for it in range(max_iter + 1):
        _, d1, d2 = cross_entropy_functions()
        q = -d1(t)  # sigma(-t), from the derived l_CE'
        uq = U.T @ q
        gnorm = float(np.linalg.norm(uq)) / n
        state = _NewtonState(S=S, loss=loss, gradient_norm=gnorm, iterations=it)
        if certify_tol is not None:
            if it > 0 and np.min(t) > 0.0:
                state.verdict = True
                return state
            qsum = float(np.sum(q))
            if qsum > 0.0 and float(np.linalg.norm(uq)) <= certify_tol * qsum:
                state.verdict = False
                return state
        if gnorm <= grad_tol:
            state.converged = True
            return state
        if it == max_iter:
            return state
        w = d2(t)  # l_CE'' = sigma(t) sigma(-t), derived in theory
        H = (U.T * w) @ U / n
        grad = -uq / n
        # Cholesky, not linalg.solve: on separable data H -> 0 and solve() would warn
        # about conditioning, while a long Newton step is exactly what is wanted there.
        try:
            step = -linalg.cho_solve(linalg.cho_factor(H), grad)
        except linalg.LinAlgError:
            step = -np.linalg.lstsq(H, grad, rcond=None)[0]
        slope = float(grad @ step)
        size = 1.0
        while True:
            new_loss, new_t = _logistic(U, S + size * step)
            # Near the optimum the Newton decrement -slope ~ |grad|^2 falls below the
            # rounding of the loss itself; then the full step is taken on trust.
            if new_loss <= loss + 1e-4 * size * slope or -slope <= 1e-15 * max(loss, 1.0):
                break
            size *= 0.5
            if size < 1e-12:
                state.failed = True
                return state
        S = S + size * step
        loss, t = new_loss, new_t
    return state  # pragma: no cover - the loop always returns


def unregularized_mle(U, *, tol=1e-10, max_iter=100, check_separable=True) -> MLEResult:
    r"""Minimiser of :math:`L(S) = \frac1N\sum_i \log(1 + e^{-S\cdot u_i})` (the
    :math:`\alpha = 0` limit on non-separable data; B7, B10).

    Newton's method with Armijo backtracking from :math:`S = 0`:

    .. math::
        \nabla L = -\tfrac1N U^\top\sigma(-t),\qquad
        \nabla^2 L = \tfrac1N U^\top \operatorname{diag}(\sigma(t)\sigma(-t))\,U,

    with :math:`\ell_{CE}` and its derivatives compiled from ``theory`` (stable). Stops at
    :math:`\|\nabla L\| \le` ``tol``.

    Raises
    ------
    InvalidParameterError
        If the data are linearly separable (then :math:`L` has no minimiser: its infimum
        0 is approached as :math:`\|S\|\to\infty` along a separating direction).
    ConvergenceError
        After ``max_iter`` Newton steps (carries ``iterations`` and ``gradient_norm``).
    """
    caller = "unregularized_mle"
    U = _check_array(U, "U", caller, ndim=2)
    tol = _check_real(tol, "tol", caller, lower=0.0, lower_open=True)
    max_iter = _check_int(max_iter, "max_iter", caller, minimum=1)
    n, d = U.shape
    if check_separable and is_linearly_separable(U):
        raise InvalidParameterError(
            f"The logistic MLE of {caller} does not exist: the data (N={n} samples, "
            f"dimension {d}) are linearly separable, so the loss tends to 0 only as "
            "|S| -> infinity. Use max_margin_direction for its limit direction.")
    state = _newton(U, max_iter, grad_tol=tol)
    if state.converged:
        return MLEResult(weights=state.S, loss=state.loss, gradient_norm=state.gradient_norm,
                         iterations=state.iterations)
    why = "the line search failed" if state.failed else f"{max_iter} Newton steps were spent"
    raise ConvergenceError(
        f"{caller} did not reach |grad| <= {tol}: {why} "
        f"(|grad| = {state.gradient_norm!r}).", iterations=state.iterations,
        gradient_norm=state.gradient_norm)
