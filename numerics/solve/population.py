r"""Population objective for Gaussian data and its minimiser (claims B3, B4).

For :math:`x \sim \mathcal N(\mu, \Sigma)` (labels absorbed) the logit
:math:`S\cdot x` is :math:`\mathcal N(m, s^2)` with :math:`m = S\cdot\mu`,
:math:`s^2 = S^\top\Sigma S`, so

.. math::
    J(S) = \mathbb E[\ell(S\cdot x)] = \mathbb E[\ell(m + sY)],\qquad Y\sim\mathcal N(0,1).

Two evaluations: Gauss--Hermite quadrature with the probabilists' weight
(``numpy.polynomial.hermite_e.hermegauss``, 200 nodes by default, float64), and
``mpmath.quad`` at 50 digits (split at the kink/crossover :math:`m + sy = 0`).

Minimiser. With the quadrature objective :math:`J_n(S) = \sum_j w_j\ell(m + s y_j)`
(nodes symmetric, weights normalised to 1) and :math:`v = \Sigma S/s`,

.. math::
    \nabla J_n = a\,\mu + \frac{b}{s}\,\Sigma S,\quad a = \sum_j w_j\ell'(t_j),\
    b = \sum_j w_j\ell'(t_j)\,y_j,\\
    \nabla^2 J_n = \sum_j w_j\ell''(t_j)(\mu + y_jv)(\mu+y_jv)^\top
    + \frac{b}{s}\bigl(\Sigma - vv^\top\bigr),

the exact derivatives of :math:`J_n` (Newton converges to the minimiser of :math:`J_n`
itself, not of a linearisation). At any stationary point
:math:`S = -(a s/b)\,\Sigma^{-1}\mu`: **the direction is** :math:`\Sigma^{-1}\mu`
(claim B4), for the exact expectation and equally for the quadrature rule, whose
symmetric nodes keep :math:`J_n` convex in :math:`S` for convex :math:`\ell`.
"""

from __future__ import annotations

import functools
from typing import Callable

import mpmath
import numpy as np
from numpy.polynomial import hermite_e

import sympy as sp
from scipy import special

from theory import T, derive_binary, get_regularizer
from core.errors import CollapsedMinimizerError, InvalidParameterError
from core.validation import COUNT, Array, check_alpha, parameter_error, validate

from numerics.solve._newton import EPS, damped_newton
from numerics.compile.compiled import compile_binary
from numerics.solve.solution import Solution

__all__ = ["gauss_hermite", "logit_moments", "population_loss", "population_loss_mp",
           "population_minimizer", "collapse_certificate", "one_sided_slopes"]


@functools.lru_cache(maxsize=8)
def gauss_hermite(nodes: int = 200):
    r"""Nodes :math:`y_j` and weights :math:`w_j` with
    :math:`\sum_j w_j g(y_j) \approx \mathbb E[g(Y)]`, :math:`Y\sim\mathcal N(0,1)`.

    >>> y, w = gauss_hermite(20)
    >>> round(float(w @ y**4), 12)   # E[Y^4] = 3, exact for degree <= 39
    3.0
    """
    y, w = hermite_e.hermegauss(nodes)
    return y, w / np.sqrt(2 * np.pi)


def _gaussian_inputs(mu, Sigma, caller):
    """``(mu, Sigma)`` as float arrays (no copy): ``mu`` (d,), ``Sigma`` (d, d) finite,
    symmetric to 1e-12 entrywise and positive definite."""
    mu = validate("mu", mu, Array(1, contiguous=False), caller)
    Sigma = validate("Sigma", Sigma, Array(2, (mu.size, mu.size), contiguous=False), caller)
    if not np.allclose(Sigma, Sigma.T, rtol=1e-12, atol=0):
        raise parameter_error("Sigma", Sigma, "symmetric", caller)
    smallest = float(np.linalg.eigvalsh(Sigma)[0])
    if smallest <= 0:
        raise InvalidParameterError(
            f"The 'Sigma' parameter of {caller} must be positive definite. Got smallest "
            f"eigenvalue {smallest!r} instead.")
    return mu, Sigma


def logit_moments(S, mu, Sigma):
    r"""Mean and standard deviation of the logit: :math:`(S\cdot\mu, \sqrt{S^\top\Sigma S})`."""
    S = np.asarray(S, dtype=float)
    return float(S @ mu), float(np.sqrt(max(S @ Sigma @ S, 0.0)))


def population_loss(S, mu, Sigma, regularizer="quadratic", alpha=0.2, *,
                    nodes: int = 200) -> float:
    r""":math:`\mathbb E[\ell(S\cdot x)]` by ``nodes``-point Gauss--Hermite quadrature.

    >>> import numpy as np
    >>> S, mu = np.array([1.0, 0.0]), np.array([1.0, 0.0])
    >>> exact = float(population_loss_mp(S, mu, np.eye(2)))
    >>> abs(population_loss(S, mu, np.eye(2)) - exact) < 1e-14
    True
    """
    caller = "population_loss"
    mu, Sigma = _gaussian_inputs(mu, Sigma, caller)
    comp = compile_binary(get_regularizer(regularizer))
    alpha = float(check_alpha(alpha, caller=caller))
    y, w = gauss_hermite(validate("nodes", nodes, COUNT, caller))
    m, s = logit_moments(S, mu, Sigma)
    return float(w @ comp.loss(m + s * y, alpha))


def population_loss_mp(S, mu, Sigma, regularizer="quadratic", alpha=0.2, *, dps: int = 50):
    r""":math:`\mathbb E[\ell(m + sY)]` by ``mpmath.quad`` (tanh-sinh) at ``dps`` digits,
    the integral split at :math:`y_0 = -m/s` where the logit crosses 0 (the kink of a
    non-smooth ``f``). Returns an ``mpf``; the moments are formed in mpmath from the
    exact binary values of ``S``, ``mu``, ``Sigma``."""
    caller = "population_loss_mp"
    mu, Sigma = _gaussian_inputs(mu, Sigma, caller)
    comp = compile_binary(get_regularizer(regularizer))
    alpha = check_alpha(alpha, caller=caller)
    S = np.asarray(S, dtype=float)
    with mpmath.workdps(dps):
        a = mpmath.mpf(repr(alpha)) if isinstance(alpha, float) else mpmath.mpf(alpha)
        Sm = [mpmath.mpf(float(v)) for v in S]
        m = mpmath.fsum(x * float(u) for x, u in zip(Sm, mu))
        s2 = mpmath.fsum(Sm[i] * float(Sigma[i, j]) * Sm[j]
                         for i in range(S.size) for j in range(S.size))
        s = mpmath.sqrt(s2)
        norm = 1 / mpmath.sqrt(2 * mpmath.pi)
        if s == 0:
            return comp.mp_loss(m, a)
        pts = [-mpmath.inf, -m / s, mpmath.inf]
        return mpmath.quad(lambda y: comp.mp_loss(m + s * y, a) * mpmath.exp(-y * y / 2) * norm,
                           pts)


class _PopulationObjective:
    def __init__(self, mu, Sigma, comp, alpha, nodes):
        self.mu, self.Sigma, self.comp, self.alpha = mu, Sigma, comp, alpha
        self.y, self.w = gauss_hermite(nodes)

    def _moments(self, S):
        m, s = logit_moments(S, self.mu, self.Sigma)
        return m, s, m + s * self.y

    def value(self, S):
        _, _, t = self._moments(S)
        return float(self.w @ self.comp.loss(t, self.alpha))

    def grad(self, S):
        _, s, t = self._moments(S)
        d1 = self.comp.dloss(t, self.alpha)
        a, b = self.w @ d1, self.w @ (d1 * self.y)
        SS = self.Sigma @ S
        g = a * self.mu + (b / s) * SS
        floor = 64 * EPS * (self.w @ np.abs(d1)) * (np.linalg.norm(self.mu) + np.linalg.norm(SS) / s
                                                   * np.max(np.abs(self.y)))
        return g, floor

    def hess(self, S):
        _, s, t = self._moments(S)
        d1 = self.comp.dloss(t, self.alpha)
        d2 = self.comp.d2loss(t, self.alpha)
        b = self.w @ (d1 * self.y)
        v = self.Sigma @ S / s
        c0, c1, c2 = (self.w @ (d2 * self.y**k) for k in range(3))
        mu = self.mu
        H = (c0 * np.outer(mu, mu) + c1 * (np.outer(mu, v) + np.outer(v, mu))
             + c2 * np.outer(v, v) + (b / s) * (self.Sigma - np.outer(v, v)))
        return 0.5 * (H + H.T)


@functools.lru_cache(maxsize=32)
def one_sided_slopes(regularizer) -> Callable:
    r""":math:`\alpha \mapsto (\ell'(0^+), \ell'(0^-))` of the binary per-sample loss, from
    one-sided SymPy limits of the derived :math:`\ell'` (equal for a smooth ``f``; for
    MaxSup, :math:`f = |t|/2`: :math:`(\alpha - 1/2, -1/2)`)."""
    reg = get_regularizer(regularizer)
    d1 = derive_binary(reg).dloss
    alpha = next(s for s in d1.free_symbols if s.name == "alpha")
    hi, lo = (sp.lambdify(alpha, sp.limit(d1, T, 0, side), "math") for side in ("+", "-"))
    return lambda a: (float(hi(a)), float(lo(a)))


def collapse_certificate(mu, Sigma, regularizer="maxsup", alpha=0.2) -> float:
    r"""Smallest one-sided directional derivative of :math:`J(S)=\mathbb E\,\ell(S\cdot x)`
    at :math:`S = 0` over directions with :math:`u^\top\Sigma u = 1`; :math:`\ge 0` iff
    :math:`S = 0` is the (convex) population minimiser (B4's degenerate case).

    With :math:`m = u\cdot\mu \in [-M, M]`, :math:`M = \sqrt{\mu^\top\Sigma^{-1}\mu}`
    (Cauchy--Schwarz in the :math:`\Sigma` metric, attained along :math:`\Sigma^{-1}\mu`),

    .. math::
        J'(0; u) = g(m) = \ell'(0^+)\,[m\Phi(m) + \varphi(m)]
                  - \ell'(0^-)\,[\varphi(m) - m\Phi(-m)],

    convex in :math:`m` (:math:`g'' = (\ell'(0^+) - \ell'(0^-))\varphi \ge 0`) with
    stationary point :math:`\Phi(m^*) = -\ell'(0^-)/(\ell'(0^+) - \ell'(0^-))`; the
    minimum over :math:`[-M, M]` is at :math:`m^*` clipped. For smooth :math:`\ell`,
    :math:`g(m) = \ell'(0)\,m` and the certificate is :math:`-|\ell'(0)|M < 0`.
    """
    caller = "collapse_certificate"
    mu, Sigma = _gaussian_inputs(mu, Sigma, caller)
    alpha = float(check_alpha(alpha, caller=caller))
    hi, lo = one_sided_slopes(regularizer)(alpha)
    M = float(np.sqrt(mu @ np.linalg.solve(Sigma, mu)))
    if hi > lo:
        m_star = float(special.ndtri(min(max(-lo / (hi - lo), 0.0), 1.0)))
        m_star = min(max(m_star, -M), M)
    else:
        m_star = M if hi < 0 else -M

    def g(m):
        phi = np.exp(-m * m / 2) / np.sqrt(2 * np.pi)
        return hi * (m * special.ndtr(m) + phi) - lo * (phi - m * special.ndtr(-m))

    # the endpoints too: they guard the clipped stationary point against ndtri rounding
    return float(min(g(m_star), g(-M), g(M)))


def population_minimizer(mu, Sigma, regularizer="quadratic", alpha=0.2, *, nodes: int = 200,
                         tol: float = 1e-10, max_iter: int = 100, start=None) -> Solution:
    r"""Minimiser of the Gauss--Hermite population objective :math:`J_n(S)` (claims B3, B4).

    Globalised Newton (:func:`numerics.solve._newton.damped_newton`) on the exact gradient and
    Hessian of :math:`J_n` (module notes), started from :math:`S_0 = t^*\mu/\|\mu\|^2`
    (mean logit at the target; not along :math:`\Sigma^{-1}\mu`). ``details`` holds the
    logit moments ``m``, ``s`` and the CV ratio ``r = s/m`` at the minimiser (claim B3).

    Raises :class:`theory.CollapsedMinimizerError` when :func:`collapse_certificate` proves
    the minimiser is :math:`S = 0` (possible only for a non-smooth ``f`` such as MaxSup with
    weak signal, e.g. :math:`\alpha = 0.375`, :math:`\mu^\top\Sigma^{-1}\mu = 0.21`).

    >>> import numpy as np
    >>> mu, Sigma = np.array([1.0, 0.5]), np.array([[1.0, 0.3], [0.3, 2.0]])
    >>> sol = population_minimizer(mu, Sigma, "quadratic", 0.2)
    >>> d = np.linalg.solve(Sigma, mu)
    >>> round(float(sol.coef @ d / np.linalg.norm(sol.coef) / np.linalg.norm(d)), 12)
    1.0
    """
    caller = "population_minimizer"
    mu, Sigma = _gaussian_inputs(mu, Sigma, caller)
    if not np.any(mu):
        raise InvalidParameterError(f"{caller} needs mu != 0 (claim B3). Got {mu!r} instead.")
    reg = get_regularizer(regularizer)
    comp = compile_binary(reg)
    alpha = float(check_alpha(alpha, caller=caller, allow_zero=False))
    nodes = validate("nodes", nodes, COUNT, caller)
    cert = collapse_certificate(mu, Sigma, reg, alpha)
    if cert >= 0:
        raise CollapsedMinimizerError(
            f"{caller}({comp.name!r}, alpha={alpha!r}): the population minimiser is S = 0 "
            f"(every one-sided directional derivative there is >= {cert:.3g}): the kink of "
            f"f at t=0 outweighs the signal, Mahalanobis norm "
            f"{float(np.sqrt(mu @ np.linalg.solve(Sigma, mu))):.4g}; no direction exists",
            certificate=cert)
    obj = _PopulationObjective(mu, Sigma, comp, alpha, nodes)
    S0 = (comp.target(alpha) or 1.0) * mu / (mu @ mu) if start is None else np.asarray(
        start, dtype=float)
    res = damped_newton(obj.value, obj.grad, S0, hess=obj.hess, tol=tol, max_iter=max_iter,
                        what=f"{caller}({comp.name!r})")
    m, s = logit_moments(res.x, mu, Sigma)
    return Solution(res.x, 0.0, res.value, res.gradient_norm, res.iterations, "newton",
                    mu.size, {"m": m, "s": s, "r": s / m if m else np.inf, "nodes": nodes})
