r"""Solve the proportional-limit fixed point (E1)-(E3) and predict the accuracy (claim A1).

Setting (after the exact reduction A0): :math:`v_i = \kappa e_1 + g_i`, :math:`d/N \to
\lambda`, :math:`\hat w = \arg\min_w \frac1N\sum_i\ell(w\cdot v_i)`. With
:math:`\sigma^2 = \mu^2 + a^2`, :math:`X = \kappa\mu + \sigma Z` and
:math:`p = \operatorname{prox}_{\gamma\ell}(X)`:

.. math::
    \text{(E1)}\ \kappa\,\mathbb E[\ell'(p)] = -\frac{\lambda\mu}{\gamma},\qquad
    \text{(E2)}\ \mathbb E[Z\ell'(p)] = \frac{\lambda\sigma}{\gamma},\qquad
    \text{(E3)}\ \mathbb E[\ell'(p)^2] = \frac{\lambda a^2}{\gamma^2},

:math:`\rho = \lim\cos(\hat w, e_1) = \mu/\sigma`, accuracy :math:`\Phi(\kappa\rho)`.
Derivation: Gordon's CGMT (Thrampoulidis, Oymak & Hassibi 2015; Thrampoulidis, Abbasi &
Hassibi 2018) as in :mod:`theory.asymptotics`; the Gaussian-mixture form is that of Taheri,
Pedarsani & Thrampoulidis (2020) and, for the logistic loss, Mai & Liao (2019) and Deng,
Kammoun & Thrampoulidis (2019) (equation numbers not confirmed here).

Conditions: :math:`\ell` convex. For :math:`\alpha > 0` (unique finite minimiser of
:math:`\ell`) a solution exists for :math:`\lambda < 1`; for :math:`\alpha = 0` (logistic)
only for :math:`\lambda < \lambda_{sep}(\kappa)` (Candès & Sur 2020 for the logistic
model's phase transition; :func:`separability_threshold` here), beyond which the data are
separable and the MLE does not exist.

Numerics: 201-node probabilists' Gauss-Hermite rule (weights normalised), the vectorised
prox of :mod:`._loss`, ``scipy.optimize.root`` (``hybr``) on :math:`(\mu, \log a,
\log\gamma)` from the square-loss closed form fitted to the target and curvature of
:math:`\ell`, with continuation in :math:`\alpha` when a direct solve fails or
:math:`\alpha` is small; then :func:`._certify.certify` recomputes the residuals at 30
digits.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy import optimize

from core.errors import ConvergenceError

from numerics.compile._generated import generated_cache, load
from numerics.asymptotics._loss import CompiledLoss, compiled_loss, is_square, loss_target, prox

__all__ = ["solve_fixed_point", "residuals", "square_closed_form", "gh_rule"]

#: Gauss-Hermite order; the integrands are smooth for smooth l, and the float root agrees
#: with the 30-digit residual to ~1e-12 (see certify); kinked losses converge more slowly.
GH_NODES = 201
#: Root-finding tolerance of hybr on the dimensionless residuals.
ROOT_XTOL = 1e-13


@functools.lru_cache(maxsize=4)
def gh_rule(n: int = GH_NODES):
    r"""Nodes and normalised weights of :math:`\mathbb E[g(Z)] \approx \sum_k w_k g(z_k)`."""
    z, w = hermegauss(n)
    return z, w / w.sum()


@generated_cache
def _square_artefacts():
    """Generated source (``math`` module) of the square-loss closed form (mu, a^2, gamma)."""
    from theory.asymptotics import KAPPA, LAM, TARGET, square_loss_solution

    from numerics.compile._generated import generate

    sol = square_loss_solution(TARGET)
    args = (LAM, KAPPA, TARGET)
    return tuple(generate(args, sol[k], "math", kind="math") for k in ("mu", "a2", "gamma"))


@functools.lru_cache(maxsize=1)
def _square_functions():
    return tuple(load(art) for art in _square_artefacts())


def square_closed_form(lam: float, kappa: float, target: float = 1.0) -> tuple:
    r"""(mu, a, gamma) of the square loss :math:`(t-\tau)^2` from
    :func:`theory.asymptotics.square_loss_solution` (solved symbolically from E1-E3)."""
    mu, a2, gamma = _square_functions()
    return (float(mu(lam, kappa, target)), math.sqrt(a2(lam, kappa, target)),
            float(gamma(lam, kappa, target)))


@functools.lru_cache(maxsize=4)
def _gl(n):
    return np.polynomial.legendre.leggauss(n)


def composite_rule(sigma_scale: float, breaks=(), *, z_max: float = 12.0, per_panel: int = 16):
    r"""Composite Gauss-Legendre rule for :math:`\mathbb E[g(Z)]` on :math:`|z|\le 12`
    (neglected mass :math:`< 10^{-32}`): panels of width :math:`\min(1/2, 1/\sigma)` (the
    integrand varies on the scale :math:`1/\sigma` in ``z``) and panel edges at ``breaks``
    (the ``z`` where the prox meets a kink), so every panel integrand is smooth."""
    # at most 4000 panels: hybr may probe absurd sigma on its way; the rule is then coarse
    # there, and fine again at the root (the certificate checks the root independently)
    width = max(min(0.5, 1.0 / max(sigma_scale, 1e-12)), 2 * z_max / 4000)
    npan = int(math.ceil(2 * z_max / width))
    edges = np.linspace(-z_max, z_max, npan + 1)
    inner = [b for b in breaks if -z_max < b < z_max]
    if inner:
        edges = np.unique(np.concatenate([edges, inner]))
    x, wq = _gl(per_panel)
    lo, hi = edges[:-1, None], edges[1:, None]
    z = (0.5 * (hi - lo) * x + 0.5 * (hi + lo)).ravel()
    w = (0.5 * (hi - lo) * wq).ravel() * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return z, w


def _expectations(loss: CompiledLoss, mu, a, gamma, kappa, z, w):
    sigma = math.hypot(mu, a)
    if z is None:
        breaks = [] if loss.kink is None else [(gamma * s - kappa * mu) / sigma
                                               for s in loss.kink]
        z, w = composite_rule(w, breaks)
    x = kappa * mu + sigma * z
    p = prox(loss, x, gamma)
    g = loss.dloss(p, loss.alpha)
    if loss.kink is not None:
        g = np.where(p == 0.0, x / gamma, g)   # the subgradient selected by the prox
    return float(w @ g), float(w @ (z * g)), float(w @ (g * g)), sigma


def residuals(loss: CompiledLoss, mu, a, gamma, lam, kappa, *, rule=None) -> np.ndarray:
    r"""Dimensionless residuals of (E1)-(E3):
    :math:`(\gamma\kappa\mathbb E\ell' + \lambda\mu)/\sigma`,
    :math:`\gamma\mathbb E[Z\ell']/\sigma - \lambda`,
    :math:`\gamma\sqrt{\mathbb E\ell'^2}/a - \sqrt\lambda`."""
    z, w = rule or gh_rule()
    if loss.kink is not None and rule is None:
        z, w = None, max(1.0, math.hypot(mu, a))
    e1, e2, e3, sigma = _expectations(loss, mu, a, gamma, kappa, z, w)
    return np.array([(gamma * kappa * e1 + lam * mu) / sigma,
                     gamma * e2 / sigma - lam,
                     gamma * math.sqrt(e3) / a - math.sqrt(lam)])


def _solve_at(loss, lam, kappa, start, rule=None):
    def fun(y):
        mu, a, g = y[0], math.exp(y[1]), math.exp(y[2])
        try:
            return residuals(loss, mu, a, g, lam, kappa, rule=rule)
        except (ConvergenceError, FloatingPointError, OverflowError, ValueError):
            return np.full(3, 1e6)

    y0 = np.array([start[0], math.log(start[1]), math.log(start[2])])
    with np.errstate(over="ignore", under="ignore"):
        res = optimize.root(fun, y0, method="hybr", options={"xtol": ROOT_XTOL})
    r = fun(res.x)
    ok = bool(np.all(np.isfinite(r)) and np.max(np.abs(r)) < 1e-10
              and res.x[0] > 0)
    sol = (float(res.x[0]), math.exp(res.x[1]), math.exp(res.x[2]))
    if ok and rule is None and loss.kink is None:
        # Gauss-Hermite resolves the scale 1/sigma in z only for moderate sigma: polish on
        # the composite rule matched to the solution's sigma (fixed nodes during the solve).
        fine = composite_rule(math.hypot(sol[0], sol[1]))
        if np.max(np.abs(residuals(loss, *sol, lam, kappa, rule=fine))) > 1e-12:
            return _solve_at(loss, lam, kappa, sol, rule=fine)
    return ok, sol, r


def _start(regularizer, alpha, lam, kappa):
    """Square-loss closed form with the target and curvature of l (alpha > 0)."""
    tstar, curv = loss_target(regularizer, alpha)
    mu, a, _ = square_closed_form(lam, kappa, max(tstar, 1e-3))
    return mu, a, lam / (curv * (1.0 - lam))


def solve_fixed_point(regularizer, alpha: float, lam: float, kappa: float):
    r"""Root :math:`(\mu, a, \gamma)` of (E1)-(E3) and the path of :math:`\alpha` values
    used (continuation). Inputs are trusted (validated by :func:`predict`).

    Returns ``(mu, a, gamma, residual_vector, alpha_path)``.
    """
    if is_square(regularizer):
        loss = compiled_loss(regularizer, 0.0)
        start = square_closed_form(lam, kappa)
        ok, sol, r = _solve_at(loss, lam, kappa, start)
        if not ok:
            raise ConvergenceError(f"square-loss fixed point failed at lam={lam}, kappa={kappa}")
        return (*sol, r, [0.0])
    if alpha >= 0.05:
        loss = compiled_loss(regularizer, alpha)
        ok, sol, r = _solve_at(loss, lam, kappa, _start(regularizer, alpha, lam, kappa))
        if ok:
            return (*sol, r, [alpha])
    # Continuation: from alpha0 where the square-loss start works, geometrically down.
    a_hi = 0.2 if alpha < 0.2 else min(0.5, 0.5 * (1 + alpha))
    comp = compiled_loss(regularizer, a_hi)
    ok, sol, r = _solve_at(comp, lam, kappa, _start(regularizer, a_hi, lam, kappa))
    if not ok:
        raise ConvergenceError(
            f"fixed point of {regularizer!r} failed at the continuation start alpha={a_hi}, "
            f"lam={lam}, kappa={kappa} (residual {np.max(np.abs(r)):.3g})")
    path = [a_hi]
    current, step = a_hi, 0.5
    floor = alpha if alpha > 0 else 1e-4
    while current != alpha:
        nxt = max(current * step, floor) if current > floor else alpha
        if alpha > current:
            nxt = alpha
        ok, cand, r = _solve_at(compiled_loss(regularizer, nxt), lam, kappa, sol)
        if ok:
            current, sol = nxt, cand
            path.append(nxt)
            step = max(step * 0.7, 0.05) if step < 0.5 else step
            continue
        step = math.sqrt(step) if step < 0.95 else step
        if step >= 0.95 or len(path) > 200:
            raise ConvergenceError(
                f"continuation in alpha for {regularizer!r} stalled at alpha={current:.3g} "
                f"(target {alpha}, lam={lam}, kappa={kappa}); lam may be too close to "
                "the separability threshold for alpha=0")
    return (*sol, r, path)
