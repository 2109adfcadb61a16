r"""Exact minimisers of the empirical logit-regularised losses (claims B1, B4-B7, B13, M3-M5).

Binary, no bias (THEORY.md §1), with :math:`u_i = y_i x_i` the rows of ``U``:

.. math::
    L(S) = \frac1N\sum_{i=1}^N \ell(S\cdot u_i),\qquad
    \nabla L = \tfrac1N U^\top \ell'(US),\qquad
    \nabla^2 L = \tfrac1N U^\top \operatorname{diag}(\ell''(US))\,U .

:func:`minimize_binary` runs Newton's method globalised by Levenberg--Marquardt damping
with an Armijo-type acceptance test (:func:`numerics.solve._newton.damped_newton`) on the
compiled :math:`\ell', \ell''` until :math:`\|\nabla L\|_2 \le 10^{-10}` (and the
estimated remaining Newton step is below :math:`10^{-11}(1+\|S\|)`). :math:`L` only
sees :math:`S` through :math:`US`, so its minimisers form an affine set
:math:`S_0 + \ker U` whenever ``U`` lacks full column rank (always when :math:`N < d`).
We solve in the row space, :math:`S = Q\beta` with :math:`Q` an orthonormal basis of
:math:`\operatorname{row}(U)`, and return the **minimum-norm** minimiser -- the limit
of gradient descent started from zero, whose iterates
:math:`S_{k+1} = S_k - \eta U^\top\ell'(US_k)/N` stay in the row space.

*Non-smooth f* (MaxSup, :math:`f = |t|/2`). :math:`\ell` has a kink at :math:`t=0` and at
the minimiser samples may sit exactly on it. We (1) follow the smoothed problems with
:math:`|t| \to \sqrt{t^2+\epsilon^2}` (derived from the registry expression, not
retyped) for :math:`\epsilon = 10^{-1}, \dots, 10^{-7}` (loosely, to gradient 1e-8: they only
locate the kink), (2) take the samples with :math:`|t_i| \le 10^{-4}` as the active set
:math:`A`, (3) solve the smooth problem with
:math:`t_A = 0` as equality constraints by Newton in :math:`\ker U_A`, and (4) certify
optimality: the distance of 0 to the subdifferential,
:math:`\min_{g_A \in [\ell'(0^-), \ell'(0^+)]^{|A|}} \|\tfrac1N(U_F^\top\ell'(t_F) +
U_A^\top g_A)\|`, computed by bounded least squares, must be :math:`\le` ``tol``.
Otherwise the residual ``r`` of that problem is the minimum-norm subgradient, ``-r`` a
descent direction: one Armijo step along it moves the samples that should leave the
kink, and (3)-(4) are repeated on the samples still on it (samples that run into the
kink during (3) are pinned).

*Non-smooth multiclass f* (MaxSup, :math:`\max_k z_k - \operatorname{mean}(z)`): the same
scheme with ties of the top logits in place of the kink -- smoothing
:math:`\max \to \epsilon\operatorname{lse}(\cdot/\epsilon)`, tie sets, Newton on the
tie constraints :math:`z_{ia} = z_{ib}`, multipliers on the simplex (non-negative least
squares) and steepest-descent release. For :math:`K = 2` it reproduces the binary kink
solution (tested).

Multiclass (THEORY.md §4): :math:`z_i = Wx_i + b`, the compiled per-sample loss for
class 0 applied to each sample's logits with columns ``0`` and ``y_i`` swapped (``f`` is
permutation-symmetric), the per-sample K×K Hessian blocks assembled into the dense
Hessian. For shift-invariant ``f`` (label smoothing, MaxSup, confidence penalty) the
loss is invariant under :math:`w_k \to w_k + v`, :math:`b_k \to b_k + c`; we parametrise
by an orthonormal basis of :math:`\{\sum_k w_k = 0\}` and return the centred
(minimum-norm) minimiser.

Squared per-sample loss (claims B4, B5, M3, M4): linear least squares, minimum-norm
(LAPACK ``gelsd``). Weight decay (claim B13):
:math:`\sum_i \log(1+e^{-t_i}) + \tfrac\gamma2\|S\|^2` by Newton.
"""

from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from scipy import linalg, optimize

from theory import ALPHA, LogSumExp, T, get_regularizer, logit_symbols
from core.errors import ConvergenceError, InvalidParameterError, InvalidTypeError, check_alpha, check_classes

from numerics.solve._newton import EPS, damped_newton, null_space_basis, row_space_basis
from numerics.compile.compiled import T_MAX, compile_binary, compile_multiclass, cross_entropy_functions, lambdify_numpy
from numerics.solve.dynamics import gradient_descent as _run_gd

__all__ = ["Solution", "minimize_binary", "minimize_multiclass", "minimize_weight_decay",
           "minimize_squared", "minimize_squared_multiclass", "gradient_descent",
           "gradient_descent_multiclass",
           "check_design"]

#: Smoothing schedule for a kink at t = 0 (non-smooth f such as MaxSup). The smoothed
#: problems only locate the active set, so they are solved loosely (_SMOOTH_TOL): at
#: epsilon = 1e-7 the curvature alpha/(2 epsilon) of a kink sample turns a rounding error
#: of 1e-17 in t_i into ~1e-11 in the gradient.
_EPS_SCHEDULE = tuple(10.0 ** -k for k in range(1, 8))
_SMOOTH_TOL = 1e-8
#: |t_i| below which a sample of the last smoothed problem is taken to sit on the kink;
#: the smoothed logits of kink samples are O(epsilon) = O(1e-7).
_KINK_ACTIVE = 1e-4
#: Rounds of (polish, certify, steepest-descent release) before giving up.
_KINK_ROUNDS = 200
#: Dense multiclass Hessians up to this size; Newton-CG (Hessian-vector products) above.
_DENSE_MAX = 3000


@dataclass(frozen=True)
class Solution:
    r"""A certified minimiser.

    Attributes
    ----------
    coef : ndarray
        :math:`S` (shape ``(d,)``) or :math:`W` (shape ``(K, d)``).
    intercept : ndarray or float
        :math:`b` (``(K,)``) or 0.0 when there is no bias.
    loss : float
        Objective value at ``coef``.
    gradient_norm : float
        :math:`\|\nabla L\|_2` at ``coef``; for a kinked loss, the distance of 0 to the
        subdifferential :math:`\partial L`.
    iterations : int
        Newton steps (summed over the smoothing stages and polish rounds), GD epochs, or 0
        for closed forms.
    method : str
    rank : int
        Rank of the (augmented) design; ``< d`` means the minimum-norm minimiser
        (-1: not computed, gradient descent).
    details : dict
        Extra information (e.g. the active set ``"kink"`` of a non-smooth loss).
    """

    coef: np.ndarray
    intercept: np.ndarray | float
    loss: float
    gradient_norm: float
    iterations: int
    method: str
    rank: int
    details: dict = field(default_factory=dict, compare=False)


# --------------------------------------------------------------------------- validation
def check_design(U, *, name: str = "U", caller: str) -> np.ndarray:
    """A finite 2-D float64 array with at least one row and column (else our errors)."""
    if isinstance(U, (str, bytes)) or U is None:
        raise InvalidTypeError(
            f"The {name!r} parameter of {caller} must be a 2-D array of numbers. "
            f"Got {U!r} instead.")
    try:
        arr = np.asarray(U, dtype=float)
    except (TypeError, ValueError):
        raise InvalidTypeError(
            f"The {name!r} parameter of {caller} must be a 2-D array of numbers. "
            f"Got {type(U).__name__} instead.") from None
    if arr.ndim != 2:
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be 2-D (samples x features). Got "
            f"shape {arr.shape} instead; reshape with .reshape(-1, 1) for one feature.")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} needs >= 1 sample and feature. Got shape "
            f"{arr.shape} instead.")
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)][0]
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be finite (no NaN or inf). Got "
            f"{bad!r} instead.")
    return arr


def _check_positive(value, name, caller, *, integer=False):
    kind = numbers.Integral if integer else numbers.Real
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidTypeError(f"The {name!r} parameter of {caller} must be "
                               f"{'an integer' if integer else 'a real number'}. "
                               f"Got {value!r} instead.")
    if not value > 0 or not np.isfinite(value):
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be > 0 and finite. Got {value!r} "
            f"instead.")
    return value


def _check_labels(y, n_samples, n_classes, caller):
    yy = np.asarray(y)
    if yy.shape != (n_samples,) or not np.issubdtype(yy.dtype, np.integer):
        raise InvalidParameterError(
            f"The 'y' parameter of {caller} must be {n_samples} integer class indices. Got "
            f"dtype {yy.dtype} and shape {yy.shape} instead.")
    k = int(yy.max()) + 1 if n_classes is None else check_classes(n_classes, caller=caller)
    if yy.min() < 0 or yy.max() >= k:
        raise InvalidParameterError(
            f"The 'y' parameter of {caller} must hold indices in [0, {k}). Got "
            f"{sorted(set(yy.tolist()))[:10]!r} instead.")
    check_classes(k, caller=caller)
    return yy.astype(np.intp), k


# --------------------------------------------------------------------------- binary
class _BinaryObjective:
    r""":math:`w\sum_i \ell(v_i\cdot x) + \frac\gamma2\|x\|^2` on a design ``V``."""

    def __init__(self, V, loss, dloss, d2loss, alpha, *, weight=None, gamma=0.0):
        self.V, self.alpha, self.gamma = V, alpha, gamma
        self.loss, self.dloss, self.d2loss = loss, dloss, d2loss
        self.w = 1.0 / V.shape[0] if weight is None else weight
        self.row_norms = np.linalg.norm(V, axis=1)

    def logits(self, x):
        return self.V @ x

    def value(self, x):
        t = self.V @ x
        if not np.all(np.abs(t) <= T_MAX):  # outside the compiled functions' safe range
            return np.inf
        return float(self.w * np.sum(self.loss(t, self.alpha)) + 0.5 * self.gamma * (x @ x))

    def grad(self, x):
        d = self.dloss(self.V @ x, self.alpha)
        g = self.w * (self.V.T @ d) + self.gamma * x
        floor = 64 * EPS * (self.w * np.sum(np.abs(d) * self.row_norms)
                            + self.gamma * np.linalg.norm(x))
        return g, floor

    def hess(self, x):
        h = self.d2loss(self.V @ x, self.alpha)
        if np.all(h >= 0):
            W = self.V * np.sqrt(self.w * h)[:, None]
            H = W.T @ W  # symmetric rank-k update (syrk): half the flops
        else:
            H = (self.V.T * (self.w * h)) @ self.V
        if self.gamma:
            H[np.diag_indices_from(H)] += self.gamma
        return H


def _newton(obj, x0, tol, max_iter, what):
    return damped_newton(obj.value, obj.grad, x0, hess=obj.hess, tol=tol,
                         max_iter=max_iter, what=what)


def _reduce(U):
    """``(V, Q, rank)``: the design in row-space coordinates (``Q is None``: full rank)."""
    Q, rank = row_space_basis(U)
    return (U if Q is None else U @ Q), Q, rank


def _lift(Q, beta):
    return beta.copy() if Q is None else Q @ beta


def _binary_setup(U, regularizer, alpha, caller):
    """Validate the binary inputs and compile the loss: ``(U, alpha, comp)``."""
    U = check_design(U, caller=caller)
    alpha = float(check_alpha(alpha, caller=caller))
    return U, alpha, compile_binary(get_regularizer(regularizer))


def minimize_binary(U, regularizer="quadratic", alpha=0.2, *, tol: float = 1e-10,
                    max_iter: int = 100) -> Solution:
    r"""Exact minimiser of :math:`L(S) = \frac1N\sum_i \ell(S\cdot u_i)` (claims B1, B6, B7).

    Parameters
    ----------
    U : array_like, shape (N, d)
        Rows :math:`u_i = y_i x_i` (labels absorbed).
    regularizer : str or theory.Regularizer
    alpha : float in [0, 1)
        :math:`\alpha = 0` is plain cross-entropy: on separable data there is no
        minimiser and :class:`theory.ConvergenceError` is raised.
    tol : float
        Gradient-norm tolerance (distance to the subdifferential for a kinked ``f``).
    max_iter : int
        Newton steps per stage.

    Returns
    -------
    Solution
        ``coef`` is the minimum-norm minimiser (in the row space of ``U``).

    Raises
    ------
    theory.ConvergenceError
        When no point meeting ``tol`` is found (never returns an unconverged point).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> U = rng.normal(size=(3, 5)) + 1.0           # N < d: every logit reaches t*
    >>> sol = minimize_binary(U, "quadratic", 0.2)
    >>> np.allclose(U @ sol.coef, 0.674832, atol=1e-6), sol.gradient_norm <= 1e-10
    (True, True)
    """
    caller = "minimize_binary"
    U, alpha, comp = _binary_setup(U, regularizer, alpha, caller)
    tol = _check_positive(tol, "tol", caller)
    max_iter = _check_positive(max_iter, "max_iter", caller, integer=True)
    V, Q, rank = _reduce(U)
    if not comp.derivation.smooth:
        beta, iters, gnorm, details = _solve_kinked(V, comp, alpha, tol, max_iter)
        S = _lift(Q, beta)
        obj = _BinaryObjective(U, comp.loss, comp.dloss, comp.d2loss, alpha)
        return Solution(S, 0.0, obj.value(S), gnorm, iters, "newton+kink-active-set",
                        rank, details)
    obj = _BinaryObjective(V, comp.loss, comp.dloss, comp.d2loss, alpha)
    res = _newton(obj, np.zeros(V.shape[1]), tol, max_iter, f"{caller}({comp.name!r})")
    return Solution(_lift(Q, res.x), 0.0, res.value, res.gradient_norm, res.iterations,
                    "newton", rank)


# ---- non-smooth f: smoothing continuation, then an exact active-set polish ------------
_EPS_SYM = sp.Symbol("epsilon", positive=True)


@functools.lru_cache(maxsize=16)
def _smoothed(name_or_reg):
    r"""``(loss, dloss, d2loss)`` of :math:`\ell` with :math:`|t| \to \sqrt{t^2+\epsilon^2}`,
    compiled with arguments ``(t, alpha, epsilon)``."""
    comp = compile_binary(name_or_reg)
    loss = comp.derivation.loss
    smooth = loss.replace(sp.Abs, lambda arg: sp.sqrt(arg**2 + _EPS_SYM**2))
    if smooth.has(sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside, sp.Piecewise):
        raise InvalidParameterError(
            f"regulariser {comp.name!r} is non-smooth in a way the exact solver does not "
            f"handle; only kinks written as Abs(...) are supported. Got f = "
            f"{comp.derivation.f} instead.")
    args = (T, ALPHA, _EPS_SYM)
    d1 = sp.diff(smooth, T)
    return (lambdify_numpy(args, smooth), lambdify_numpy(args, d1),
            lambdify_numpy(args, sp.diff(d1, T)))


def _solve_kinked(V, comp, alpha, tol, max_iter):
    """Smoothing continuation + active-set polish (module notes). Returns
    ``(beta, iterations, subgradient distance, details)``."""
    sl, sdl, sd2l = _smoothed(comp.derivation.regularizer)
    x = np.zeros(V.shape[1])
    iters = 0
    for eps in _EPS_SCHEDULE:
        obj = _BinaryObjective(V, lambda t, a, e=eps: sl(t, a, e),
                               lambda t, a, e=eps: sdl(t, a, e),
                               lambda t, a, e=eps: sd2l(t, a, e), alpha)
        try:
            res = _newton(obj, x, _SMOOTH_TOL, max_iter, f"smoothed {comp.name!r}, eps={eps:g}")
        except ConvergenceError as err:
            iters += err.iterations or 0
            break  # too stiff to go further: the active-set polish takes over
        x, iters = res.x, iters + res.iterations
    # One-sided derivatives at the kink (the compiled l' is exact on each side).
    lo, hi = sorted((float(comp.dloss(-1e-300, alpha)), float(comp.dloss(1e-300, alpha))))
    norms = np.linalg.norm(V, axis=1)
    active = np.abs(V @ x) <= _KINK_ACTIVE
    dist = np.inf
    for _ in range(_KINK_ROUNDS):
        x, it, ok = _polish(V, comp, alpha, x, active, tol, max_iter)
        iters += it
        t = V @ x
        # Samples in the span of the pinned ones (or u_i = 0) sit on the kink too.
        active = active | (np.abs(t) <= 1e-12 * (1.0 + norms * np.linalg.norm(x)))
        near = np.abs(t) <= _KINK_ACTIVE
        if not ok and np.any(near & ~active):
            active = active | near  # a free sample ran into the kink: pin it, re-polish
            continue
        dist, g_active, r = _subgradient_distance(V, comp, alpha, x, active, lo, hi)
        if ok and dist <= tol:
            return x, iters, dist, {"kink": np.flatnonzero(active),
                                    "kink_multipliers": g_active, "kink_interval": (lo, hi)}
        # Not optimal on this active set: a steepest-descent step along the negative
        # minimum-norm subgradient -r (a descent direction of the convex loss) moves the
        # samples that should leave the kink; then re-polish on the samples still there.
        x = _descent_along(lambda z: float(np.mean(comp.loss(V @ z, alpha))), x, r)
        t = V @ x
        active = np.abs(t) <= 1e-12 * (1.0 + norms * np.linalg.norm(x))
    raise ConvergenceError(
        f"kink active-set polish for {comp.name!r} did not certify optimality in "
        f"{_KINK_ROUNDS} rounds (distance to the subdifferential {dist:.3e})",
        iterations=iters, gradient_norm=float(dist))


def _polish(V, comp, alpha, x, active, tol, max_iter):
    """Newton on the smooth problem with ``t_A = 0``, in coordinates of ker V_A.
    Returns ``(x, iterations, converged)``; on failure ``x`` is the last iterate."""
    Z = null_space_basis(V[active], V.shape[1])
    if Z.shape[1] == 0:
        return np.zeros(V.shape[1]), 0, True  # the pinned samples force S = 0
    VZ = V @ Z
    VZ[active] = 0.0  # the constraint, exactly: kink samples sit at t = 0
    obj = _BinaryObjective(VZ, comp.loss, comp.dloss, comp.d2loss, alpha)
    # Kink samples contribute the constant l(0) and no curvature (dropped Dirac part).
    try:
        res = damped_newton(obj.value, obj.grad, Z.T @ x, hess=obj.hess, tol=0.1 * tol,
                            max_iter=min(max_iter, 50), min_iter=1,
                            what=f"kink polish {comp.name!r}")
    except ConvergenceError as err:
        return Z @ err.point, err.iterations or 0, False
    return Z @ res.x, res.iterations, True


def _subgradient_distance(V, comp, alpha, x, active, lo, hi):
    r""":math:`\operatorname{dist}(0, \partial L(x))` with the kink samples at t = 0, by
    bounded least squares over their multipliers :math:`g_A \in [lo, hi]`; returns it, the
    multipliers and the minimum-norm subgradient ``r``."""
    n = V.shape[0]
    t = V @ x
    free = ~active
    grad_free = V[free].T @ comp.dloss(t[free], alpha)
    A = V[active].T
    if A.shape[1] == 0:
        return float(np.linalg.norm(grad_free)) / n, np.zeros(0), grad_free / n
    bounded = optimize.lsq_linear(A, -grad_free, bounds=(lo, hi), method="bvls", tol=1e-15)
    r = (A @ bounded.x + grad_free) / n
    return float(np.linalg.norm(r)), bounded.x, r


# --------------------------------------------------------------------------- weight decay
def minimize_weight_decay(U, gamma: float = 0.2, *, tol: float = 1e-10,
                          max_iter: int = 100) -> Solution:
    r"""Weight-decay baseline (claims B7, B13): minimise

    .. math::
        \sum_{i=1}^N \log\bigl(1 + e^{-S\cdot u_i}\bigr) + \frac\gamma2\|S\|^2 .

    Strictly convex for :math:`\gamma > 0`, hence a unique minimiser (it lies in the row
    space of ``U``; for :math:`N < d` Newton runs there). This is scikit-learn's
    ``LogisticRegression(C=1/gamma, fit_intercept=False)`` objective
    :math:`\frac12\|w\|^2 + C\sum_i \log(1+e^{-y_i w\cdot x_i})` divided by ``C``.

    >>> import numpy as np
    >>> U = np.array([[1.0, 0.5], [0.3, -1.0], [-0.2, 0.4]])
    >>> sol = minimize_weight_decay(U, 0.2)
    >>> sol.gradient_norm <= 1e-10
    True
    """
    caller = "minimize_weight_decay"
    U = check_design(U, caller=caller)
    gamma = _check_positive(gamma, "gamma", caller)
    tol = _check_positive(tol, "tol", caller)
    max_iter = _check_positive(max_iter, "max_iter", caller, integer=True)
    Q, rank = (None, U.shape[1]) if U.shape[0] >= U.shape[1] else row_space_basis(U)
    V = U if Q is None else U @ Q
    ce, d1, d2 = cross_entropy_functions()
    obj = _BinaryObjective(V, lambda t, a: ce(t), lambda t, a: d1(t), lambda t, a: d2(t), 0.0,
                           weight=1.0, gamma=float(gamma))
    res = _newton(obj, np.zeros(V.shape[1]), tol, max_iter, caller)
    return Solution(_lift(Q, res.x), 0.0, res.value, res.gradient_norm, res.iterations,
                    "newton", rank)


# --------------------------------------------------------------------------- squared loss
def minimize_squared(U, target: float = 1.0) -> Solution:
    r"""Minimum-norm minimiser of :math:`\frac1N\sum_i (S\cdot u_i - t^*)^2` (claims B4, B5).

    Closed form :math:`S = t^* U^+ \mathbf 1`. With :math:`N > d` and full rank the normal
    equations read :math:`(\hat\Sigma + \hat\mu\hat\mu^\top) S = t^*\hat\mu`, so by
    Sherman--Morrison :math:`S = \frac{t^*}{1 + \hat\mu^\top\hat\Sigma^{-1}\hat\mu}\,
    \hat\Sigma^{-1}\hat\mu` (empirical mean, centred covariance): the direction is
    independent of :math:`t^*`. A prefactor :math:`a` in :math:`a(t-t^*)^2` does not
    change the minimiser.

    >>> import numpy as np
    >>> U = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    >>> sol = minimize_squared(U, 2.0)
    >>> np.allclose(U.T @ (U @ sol.coef - 2.0), 0)
    True
    """
    caller = "minimize_squared"
    U = check_design(U, caller=caller)
    target = _check_real(target, "target", caller)
    n = U.shape[0]
    S, _, rank, _ = linalg.lstsq(U, np.full(n, target), lapack_driver="gelsd",
                                 check_finite=False)
    r = U @ S - target
    return Solution(S, 0.0, float(r @ r / n), float(np.linalg.norm(2 * U.T @ r / n)), 0,
                    "least-squares", int(rank))


def _check_real(value, name, caller):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise InvalidTypeError(
            f"The {name!r} parameter of {caller} must be a real number. Got {value!r} instead.")
    if not np.isfinite(value):
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be finite. Got {value!r} instead.")
    return float(value)


def _augment(X, fit_intercept):
    return np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X


def minimize_squared_multiclass(X, y, q: float = 1.0, *, n_classes=None,
                                fit_intercept: bool = True) -> Solution:
    r"""Minimum-norm minimiser of :math:`\frac1N\sum_i \|Wx_i + b - q\,e_{y_i}\|^2`
    (claims M3, M4).

    Linear least squares :math:`[X, \mathbf 1][W, b]^\top = q\,Y` (one-hot ``Y``), so
    :math:`W(q) = q\,W(1)` exactly (M3). With the bias, the rows of the class-centred
    :math:`W` span :math:`\Sigma_T^{-1}\operatorname{span}\{\mu_c - \mu\} =
    S_W^{-1}\operatorname{span}\{\mu_c-\mu\}`, the Fisher discriminant subspace (M4).
    """
    caller = "minimize_squared_multiclass"
    X = check_design(X, name="X", caller=caller)
    y, k = _check_labels(y, X.shape[0], n_classes, caller)
    q = _check_real(q, "q", caller)
    Xa = _augment(X, fit_intercept)
    target = q * np.eye(k)[y]
    coef, _, rank, _ = linalg.lstsq(Xa, target, lapack_driver="gelsd", check_finite=False)
    R = Xa @ coef - target
    n = X.shape[0]
    W = coef[:X.shape[1]].T.copy()
    b = coef[X.shape[1]].copy() if fit_intercept else np.zeros(k)
    return Solution(W, b, float(np.sum(R * R) / n), float(np.linalg.norm(2 * Xa.T @ R / n)),
                    0, "least-squares", int(rank))


# --------------------------------------------------------------------------- GD recipe
def gradient_descent(U, regularizer="quadratic", alpha=0.2, *, lr: float = 0.1,
                     epochs: int = 20000, start=None) -> Solution:
    r"""The paper's recipe: full-batch gradient descent
    :math:`S_{k+1} = S_k - \eta\,\nabla L(S_k)` from :math:`S_0 = 0`, a fixed number of
    epochs. A baseline, not a solver: it returns after ``epochs`` steps whatever the
    gradient norm (reported in the result) and never raises for lack of convergence (only,
    via :func:`numerics.solve.dynamics.gradient_descent`, if the logits become non-finite).
    """
    caller = "gradient_descent"
    U, alpha, comp = _binary_setup(U, regularizer, alpha, caller)
    lr = _check_positive(lr, "lr", caller)
    epochs = _check_positive(epochs, "epochs", caller, integer=True)
    # One GD engine for the project: the recorded dynamics, asked only for the last epoch.
    # Weight-space iteration, as in the paper: the logit-space ("gram") variant is faster
    # but its rounding drifts ~1e-11 from the weight-space iterates over 20,000 epochs.
    traj = _run_gd(U, loss=lambda t: comp.loss(t, alpha), dloss=lambda t: comp.dloss(t, alpha),
                   epochs=epochs, lr=lr, record_at=np.array([epochs]), init=start,
                   method="primal")
    S = np.array(traj.final_weights, dtype=float)
    obj = _BinaryObjective(U, comp.loss, comp.dloss, comp.d2loss, alpha)
    g, _ = obj.grad(S)
    return Solution(S, 0.0, obj.value(S), float(np.linalg.norm(g)), epochs, "gd", -1)


# --------------------------------------------------------------------------- multiclass
class _MulticlassObjective:
    r"""Mean multiclass loss in coordinates :math:`W = B\Theta Q^\top` (see module notes)."""

    def __init__(self, V, y, comp, alpha, B):
        self.V, self.comp, self.alpha, self.B = V, comp, alpha, B
        n, k = V.shape[0], comp.k
        perm = np.tile(np.arange(k), (n, 1))
        rows = np.arange(n)
        perm[rows, 0] = y
        perm[rows, y] = 0
        self.perm = perm  # an involution: swaps columns 0 and y_i
        self.shape = (B.shape[1], V.shape[1])
        self.row_norms = np.linalg.norm(V, axis=1)
        self._cache_key = None

    def logits(self, x):
        return self.V @ (self.B @ x.reshape(self.shape)).T

    def _permuted(self, x):
        Z = self.logits(x)
        return np.take_along_axis(Z, self.perm, axis=1)

    def value(self, x):
        Zp = self._permuted(x)
        if not np.all(np.abs(Zp) <= T_MAX):
            return np.inf
        return float(np.mean(self.comp.loss(*Zp.T, self.alpha)))

    def _grad_logits(self, x):
        Zp = self._permuted(x)
        Gp = np.column_stack([gk(*Zp.T, self.alpha) for gk in self.comp.grad])
        return np.take_along_axis(Gp, self.perm, axis=1)

    def grad(self, x):
        G = self._grad_logits(x)
        n = self.V.shape[0]
        g = (self.B.T @ G.T @ self.V) / n
        floor = 64 * EPS * np.sum(np.linalg.norm(G, axis=1) * self.row_norms) / n
        return g.ravel(), floor

    def _blocks(self, x):
        """Per-sample Hessians in class coordinates, :math:`B^\top H_i B` (N, K', K')."""
        key = x.tobytes()
        if self._cache_key != key:
            Zp = self._permuted(x)
            k = self.comp.k
            cols = Zp.T
            Hp = np.empty((Zp.shape[0], k, k))
            for a in range(k):
                for b in range(a, k):
                    Hp[:, a, b] = Hp[:, b, a] = self.comp.hess[a][b](*cols, self.alpha)
            rows = np.arange(Zp.shape[0])[:, None, None]
            H = Hp[rows, self.perm[:, :, None], self.perm[:, None, :]]
            self._cache = np.einsum("ka,nkl,lb->nab", self.B, H, self.B, optimize=True)
            self._cache_key = key
        return self._cache

    def hess(self, x):
        Hb = self._blocks(x)
        kp, r = self.shape
        n = self.V.shape[0]
        H = np.empty((kp, r, kp, r))
        for a in range(kp):
            for b in range(a, kp):
                blk = (self.V.T * (Hb[:, a, b] / n)) @ self.V
                H[a, :, b, :] = blk
                H[b, :, a, :] = blk.T
        return H.reshape(kp * r, kp * r)

    def hessp(self, x, v):
        Hb = self._blocks(x)
        dZ = self.V @ v.reshape(self.shape).T  # (N, K')
        out = np.einsum("nab,nb->na", Hb, dZ)
        return (out.T @ self.V).ravel() / self.V.shape[0]


def _class_basis(k, shift_invariant):
    if not shift_invariant:
        return np.eye(k)
    return null_space_basis(np.ones((1, k)), k)  # orthonormal basis of sum_k w_k = 0


def _multiclass_setup(X, y, regularizer, alpha, n_classes, fit_intercept, caller):
    """Validate the multiclass inputs and compile the loss: ``(X, y, k, alpha, comp, Xa)``."""
    X = check_design(X, name="X", caller=caller)
    y, k = _check_labels(y, X.shape[0], n_classes, caller)
    alpha = float(check_alpha(alpha, caller=caller))
    comp = compile_multiclass(get_regularizer(regularizer), k)
    return X, y, k, alpha, comp, _augment(X, fit_intercept)


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
    of :func:`_solve_multiclass_ties` and ``gradient_norm`` is the certified bound on the
    distance of 0 to the subdifferential (``details`` has the ties and multipliers).
    """
    caller = "minimize_multiclass"
    X, y, k, alpha, comp, Xa = _multiclass_setup(X, y, regularizer, alpha, n_classes,
                                                 fit_intercept, caller)
    tol = _check_positive(tol, "tol", caller)
    max_iter = _check_positive(max_iter, "max_iter", caller, integer=True)
    V, Q, rank = _reduce(Xa)
    B = _class_basis(k, comp.derivation.shift_invariant)
    f_expr = comp.derivation.regularizer.multiclass(k)
    if f_expr.has(sp.Max):
        theta, iters, gnorm, details = _solve_multiclass_ties(V, y, comp, alpha, B, tol,
                                                              max_iter)
        res_x, method = theta.ravel(), "newton+tie-active-set"
        value = _MulticlassObjective(V, y, comp, alpha, B).value(res_x)
    else:
        obj = _MulticlassObjective(V, y, comp, alpha, B)
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


# ---- non-smooth multiclass f (MaxSup, max_k z_k): ties of the top logits ---------------
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
    smooth = d.loss.replace(sp.Max, lambda *a: _EPS_SYM * LogSumExp(*[x / _EPS_SYM for x in a]))
    z = logit_symbols(k)
    args = (*z, ALPHA, _EPS_SYM)
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
        self.ce = _MulticlassObjective(V, y, comp, 0.0, B)
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


def _solve_multiclass_ties(V, y, comp, alpha, B, tol, max_iter):
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
    for eps in _EPS_SCHEDULE:
        obj = _MulticlassObjective(V, y, _Bound(k, loss, grads, hess, eps), alpha, B)
        try:
            res = damped_newton(obj.value, obj.grad, x, hess=obj.hess, tol=_SMOOTH_TOL,
                                max_iter=max_iter, what=f"smoothed {comp.name!r}")
        except ConvergenceError as err:
            iters += err.iterations or 0
            break
        x, iters = res.x, iters + res.iterations
    Z = _MulticlassObjective(V, y, comp, alpha, B).logits(x)
    ties = (Z.max(axis=1, keepdims=True) - Z) <= _KINK_ACTIVE
    ties[ties.sum(axis=1) < 2] = False
    dist = np.inf
    for _ in range(_KINK_ROUNDS):
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
        near = (gap <= _KINK_ACTIVE) & ~ties
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
        x = _descent_along(_MulticlassObjective(V, y, comp, alpha, B).value, x, r)
        Z = obj.ce.logits(x)
        gap = Z.max(axis=1, keepdims=True) - Z
        ties = gap <= 1e-12 * (1.0 + np.abs(Z).max(axis=1, keepdims=True))
        ties[ties.sum(axis=1) < 2] = False
    raise ConvergenceError(
        f"tie active-set polish for {comp.name!r} did not certify optimality in "
        f"{_KINK_ROUNDS} rounds (stationarity residual {dist:.3e})",
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


def _descent_along(value, x, r):
    """Armijo backtracking along ``-r`` (``r`` a subgradient of the convex ``value``)."""
    f0, slope, step = value(x), -float(r @ r), 1.0
    while step > 1e-20:
        if value(x - step * r) <= f0 + 1e-4 * step * slope:
            return x - step * r
        step *= 0.5
    return x


def _simplex_projection(v):
    """Euclidean projection onto the probability simplex (sort-based, exact)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    rho = np.nonzero(u - css / np.arange(1, v.size + 1) > 0)[0][-1]
    return np.maximum(v - css[rho] / (rho + 1.0), 0.0)


def gradient_descent_multiclass(X, y, regularizer="quadratic", alpha=0.2, *, n_classes=None,
                                fit_intercept: bool = True, lr: float = 0.1,
                                epochs: int = 20000) -> Solution:
    r"""Full-batch gradient descent on the multiclass loss from :math:`W = 0, b = 0`, a fixed
    number of epochs (the paper's recipe for M2, M7). Like :func:`gradient_descent` it
    never raises for lack of convergence; the final gradient norm is reported."""
    caller = "gradient_descent_multiclass"
    X, y, k, alpha, comp, Xa = _multiclass_setup(X, y, regularizer, alpha, n_classes,
                                                 fit_intercept, caller)
    lr = _check_positive(lr, "lr", caller)
    epochs = _check_positive(epochs, "epochs", caller, integer=True)
    obj = _MulticlassObjective(Xa, y, comp, alpha, np.eye(k))
    x = np.zeros(k * Xa.shape[1])
    for _ in range(epochs):
        x -= lr * obj.grad(x)[0]
    Wa = x.reshape(k, Xa.shape[1])
    b = Wa[:, -1].copy() if fit_intercept else np.zeros(k)
    return Solution(Wa[:, :X.shape[1]].copy(), b, obj.value(x),
                    float(np.linalg.norm(obj.grad(x)[0])), epochs, "gd", -1)
