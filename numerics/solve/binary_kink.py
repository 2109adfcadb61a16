r"""Exact minimiser of the binary loss for a non-smooth ``f`` with a kink at :math:`t = 0`
(MaxSup; claims B6, B7 and G2 for MaxSup).

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
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from scipy import optimize

from theory import ALPHA, T
from core.errors import ConvergenceError, InvalidParameterError

from numerics.compile.compiled import compile_binary, lambdify_numpy
from numerics.solve._newton import damped_newton, null_space_basis
from numerics.solve._objectives import BinaryObjective, newton
from numerics.solve._smoothing import (EPS_SCHEDULE, EPS_SYM, KINK_ACTIVE, KINK_ROUNDS, SMOOTH_TOL,
                                       descent_along)

__all__ = ["solve_kinked"]


@functools.lru_cache(maxsize=16)
def _smoothed(name_or_reg):
    r"""``(loss, dloss, d2loss)`` of :math:`\ell` with :math:`|t| \to \sqrt{t^2+\epsilon^2}`,
    compiled with arguments ``(t, alpha, epsilon)``."""
    comp = compile_binary(name_or_reg)
    loss = comp.derivation.loss
    smooth = loss.replace(sp.Abs, lambda arg: sp.sqrt(arg**2 + EPS_SYM**2))
    if smooth.has(sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside, sp.Piecewise):
        raise InvalidParameterError(
            f"regulariser {comp.name!r} is non-smooth in a way the exact solver does not "
            f"handle; only kinks written as Abs(...) are supported. Got f = "
            f"{comp.derivation.f} instead.")
    args = (T, ALPHA, EPS_SYM)
    d1 = sp.diff(smooth, T)
    return (lambdify_numpy(args, smooth), lambdify_numpy(args, d1),
            lambdify_numpy(args, sp.diff(d1, T)))


def solve_kinked(V, comp, alpha, tol, max_iter, weights=None):
    """Smoothing continuation + active-set polish (module notes) in row-space coordinates
    ``V``; ``weights``: per-row weights summing to 1 (``None``: the mean). Returns
    ``(beta, iterations, subgradient distance, details)``."""
    sl, sdl, sd2l = _smoothed(comp.derivation.regularizer)
    x = np.zeros(V.shape[1])
    iters = 0
    for eps in EPS_SCHEDULE:
        obj = BinaryObjective(V, lambda t, a, e=eps: sl(t, a, e),
                               lambda t, a, e=eps: sdl(t, a, e),
                               lambda t, a, e=eps: sd2l(t, a, e), alpha, weight=weights)
        try:
            res = newton(obj, x, SMOOTH_TOL, max_iter, f"smoothed {comp.name!r}, eps={eps:g}")
        except ConvergenceError as err:
            iters += err.iterations or 0
            break  # too stiff to go further: the active-set polish takes over
        x, iters = res.x, iters + res.iterations
    # One-sided derivatives at the kink (the compiled l' is exact on each side).
    lo, hi = sorted((float(comp.dloss(-1e-300, alpha)), float(comp.dloss(1e-300, alpha))))
    norms = np.linalg.norm(V, axis=1)
    active = np.abs(V @ x) <= KINK_ACTIVE
    dist = np.inf
    for _ in range(KINK_ROUNDS):
        x, it, ok = _polish(V, comp, alpha, x, active, tol, max_iter, weights)
        iters += it
        t = V @ x
        # Samples in the span of the pinned ones (or u_i = 0) sit on the kink too.
        active = active | (np.abs(t) <= 1e-12 * (1.0 + norms * np.linalg.norm(x)))
        near = np.abs(t) <= KINK_ACTIVE
        if not ok and np.any(near & ~active):
            active = active | near  # a free sample ran into the kink: pin it, re-polish
            continue
        dist, g_active, r = _subgradient_distance(V, comp, alpha, x, active, lo, hi, weights)
        if ok and dist <= tol:
            return x, iters, dist, {"kink": np.flatnonzero(active),
                                    "kink_multipliers": g_active, "kink_interval": (lo, hi)}
        # Not optimal on this active set: a steepest-descent step along the negative
        # minimum-norm subgradient -r (a descent direction of the convex loss) moves the
        # samples that should leave the kink; then re-polish on the samples still there.
        mean = (np.mean if weights is None else
                lambda v: np.sum(weights * v))   # noqa: E731 - the weighted mean
        x = descent_along(lambda z: float(mean(comp.loss(V @ z, alpha))), x, r)
        t = V @ x
        active = np.abs(t) <= 1e-12 * (1.0 + norms * np.linalg.norm(x))
    raise ConvergenceError(
        f"kink active-set polish for {comp.name!r} did not certify optimality in "
        f"{KINK_ROUNDS} rounds (distance to the subdifferential {dist:.3e})",
        iterations=iters, gradient_norm=float(dist))


def _polish(V, comp, alpha, x, active, tol, max_iter, weights=None):
    """Newton on the smooth problem with ``t_A = 0``, in coordinates of ker V_A.
    Returns ``(x, iterations, converged)``; on failure ``x`` is the last iterate."""
    Z = null_space_basis(V[active], V.shape[1])
    if Z.shape[1] == 0:
        return np.zeros(V.shape[1]), 0, True  # the pinned samples force S = 0
    VZ = V @ Z
    VZ[active] = 0.0  # the constraint, exactly: kink samples sit at t = 0
    obj = BinaryObjective(VZ, comp.loss, comp.dloss, comp.d2loss, alpha, weight=weights)
    # Kink samples contribute the constant l(0) and no curvature (dropped Dirac part).
    try:
        res = damped_newton(obj.value, obj.grad, Z.T @ x, hess=obj.hess, tol=0.1 * tol,
                            max_iter=min(max_iter, 50), min_iter=1,
                            what=f"kink polish {comp.name!r}")
    except ConvergenceError as err:
        return Z @ err.point, err.iterations or 0, False
    return Z @ res.x, res.iterations, True


def _subgradient_distance(V, comp, alpha, x, active, lo, hi, weights=None):
    r""":math:`\operatorname{dist}(0, \partial L(x))` with the kink samples at t = 0, by
    bounded least squares over their multipliers :math:`g_A \in [lo, hi]`; returns it, the
    multipliers and the minimum-norm subgradient ``r``."""
    n = V.shape[0]
    t = V @ x
    free = ~active
    if weights is not None:
        # weighted: scale each row by n w_i, then the unweighted formula below applies
        V = V * (n * weights)[:, None]
    grad_free = V[free].T @ comp.dloss(t[free], alpha)
    A = V[active].T
    if A.shape[1] == 0:
        return float(np.linalg.norm(grad_free)) / n, np.zeros(0), grad_free / n
    bounded = optimize.lsq_linear(A, -grad_free, bounds=(lo, hi), method="bvls", tol=1e-15)
    r = (A @ bounded.x + grad_free) / n
    return float(np.linalg.norm(r)), bounded.x, r
