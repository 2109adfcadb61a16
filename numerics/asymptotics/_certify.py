r"""30-digit certification of a fixed point of (E1)-(E3) (claim A1).

The float64 root comes from a 201-node Gauss-Hermite rule. Here the same dimensionless
residuals are recomputed at ``dps = 30`` with mpmath: the prox by Newton at 30 digits
(:func:`._loss.mp_prox`), the Gaussian expectations by tanh-sinh quadrature
(``mpmath.quad``) over :math:`|z| \le 13` (the neglected tail is below
:math:`\varphi(13)\,\mathrm{poly}(13) < 10^{-33}`), split at 0 and at the points where the
prox meets a kink. One cache of prox values serves the three integrals (same nodes).

For a smooth loss the expectations use the trapezoid rule on the same interval with
nested halving steps (exponentially convergent for integrands analytic in a strip;
the float64 prox of all nodes is computed at once and polished by 30-digit Newton), the
error estimate being the change under the last halving.

The certificate is the 30-digit residual vector :math:`r` at the float root
:math:`\hat y = (\mu, \log a, \log\gamma)`, the quadrature error estimate, and the Newton
bound :math:`\|\delta y\| \lesssim \|J^{-1}\|\,\|r\|` on the distance from :math:`\hat y` to
the exact root (:math:`J` a finite-difference Jacobian of the float residuals).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from numerics.asymptotics._fixed_point import residuals
from numerics.asymptotics._loss import CompiledLoss, mp_prox, prox

__all__ = ["certify", "mp_residuals"]

DPS = 30
Z_MAX = 13


def _trapezoid_expectations(loss, mu_, a_, g_, k_, alpha, tol):
    """E[l'], E[Z l'], E[l'^2] by the trapezoid rule on [-Z_MAX, Z_MAX], halving the step
    (nested nodes) until two successive values agree to ``tol``; exponentially convergent
    for integrands analytic in a strip (smooth l)."""
    sigma = mpmath.sqrt(mu_**2 + a_**2)
    values = {}

    def evaluate(zs):
        zf = np.array([float(z) for z in zs])
        xf = float(k_ * mu_) + float(sigma) * zf
        starts = prox(loss, xf, float(g_))
        for z, s in zip(zs, starts):
            x = k_ * mu_ + sigma * z
            p = mp_prox(loss, x, g_, float(s), alpha=alpha)
            values[z] = (x - p) / g_          # l'(p) = (x - p)/gamma, exactly

    def rule(n):
        h = mpmath.mpf(Z_MAX) / n
        zs = [h * j for j in range(-n, n + 1)]
        evaluate([z for z in zs if z not in values])
        sums = [mpmath.mpf(0)] * 3
        for z in zs:
            w = mpmath.exp(-z * z / 2)
            g = values[z]
            sums[0] += w * g
            sums[1] += w * z * g
            sums[2] += w * g * g
        c = h / mpmath.sqrt(2 * mpmath.pi)
        return [c * v for v in sums]

    n = 64
    prev = rule(n)
    while True:
        n *= 2
        cur = rule(n)
        err = max(abs(u - v) for u, v in zip(cur, prev))
        if err < tol or n >= 8192:
            return cur, err, len(values)
        prev = cur


def _quad_expectations(loss, mu_, a_, g_, k_, alpha):
    """Same integrals by tanh-sinh (mpmath.quad) split at the kink points (kinked l)."""
    sigma = mpmath.sqrt(mu_**2 + a_**2)
    cache = {}

    def dl_at(z):
        if z not in cache:
            x = k_ * mu_ + sigma * z
            start = float(prox(loss, np.array([float(x)]), float(g_))[0])
            cache[z] = (x - mp_prox(loss, x, g_, start, alpha=alpha)) / g_
        return cache[z]

    def phi(z):
        return mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)

    points = {mpmath.mpf(-Z_MAX), mpmath.mpf(0), mpmath.mpf(Z_MAX)}
    tiny = mpmath.mpf(10) ** (-2 * mpmath.mp.dps)
    for s in (loss.mp_dloss(-tiny, alpha), loss.mp_dloss(tiny, alpha)):
        zk = (g_ * s - k_ * mu_) / sigma
        if -Z_MAX < zk < Z_MAX:
            points.add(zk)
    points = sorted(points)
    e1, err1 = mpmath.quad(lambda z: dl_at(z) * phi(z), points, error=True)
    e2, err2 = mpmath.quad(lambda z: z * dl_at(z) * phi(z), points, error=True)
    e3, err3 = mpmath.quad(lambda z: dl_at(z) ** 2 * phi(z), points, error=True)
    return [e1, e2, e3], max(err1, err2, err3), len(cache)


def mp_residuals(loss: CompiledLoss, mu, a, gamma, lam, kappa, *, dps: int = DPS):
    """The three residuals, the quadrature error estimate and the number of prox nodes,
    at ``dps`` digits (trapezoid for smooth l, tanh-sinh split at kinks otherwise)."""
    with mpmath.workdps(dps):
        mu_, a_, g_ = (mpmath.mpf(repr(float(v))) for v in (mu, a, gamma))
        lam_, k_ = mpmath.mpf(repr(float(lam))), mpmath.mpf(repr(float(kappa)))
        alpha = mpmath.mpf(repr(loss.alpha))
        sigma = mpmath.sqrt(mu_**2 + a_**2)
        if loss.kink is None:
            (e1, e2, e3), err, nodes = _trapezoid_expectations(
                loss, mu_, a_, g_, k_, alpha, mpmath.mpf(10) ** (-dps + 8))
        else:
            (e1, e2, e3), err, nodes = _quad_expectations(loss, mu_, a_, g_, k_, alpha)
        r = [(g_ * k_ * e1 + lam_ * mu_) / sigma, g_ * e2 / sigma - lam_,
             g_ * mpmath.sqrt(e3) / a_ - mpmath.sqrt(lam_)]
        return [float(v) for v in r], float(err), nodes


def _jacobian(loss, mu, a, gamma, lam, kappa):
    y = np.array([mu, math.log(a), math.log(gamma)])

    def f(v):
        return residuals(loss, v[0], math.exp(v[1]), math.exp(v[2]), lam, kappa)

    J = np.empty((3, 3))
    for j in range(3):
        h = 1e-6 * max(1.0, abs(y[j]))
        e = np.zeros(3)
        e[j] = h
        J[:, j] = (f(y + e) - f(y - e)) / (2 * h)
    return J


def certify(loss: CompiledLoss, mu, a, gamma, lam, kappa, *, dps: int = DPS) -> dict:
    r"""30-digit residuals at the float root and the implied error bound (module docstring).

    ``certified`` is true when the 30-digit residual is below 1e-8 and the quadrature error
    estimate below 1e-15: then the float root solves the exact equations to that accuracy,
    independently of the Gauss-Hermite rule used to find it.
    """
    r, qerr, nodes = mp_residuals(loss, mu, a, gamma, lam, kappa, dps=dps)
    rmax = max(abs(v) for v in r)
    try:
        bound = float(np.linalg.norm(np.linalg.solve(_jacobian(loss, mu, a, gamma, lam, kappa),
                                                     np.array(r))))
    except np.linalg.LinAlgError:
        bound = float("inf")
    rule = "tanh-sinh split at the kinks" if loss.kink is not None else \
        "trapezoid with nested halving"
    return {"method": f"30-digit residuals: mpmath {rule} on |z|<={Z_MAX}, Newton prox at "
                      f"{dps} digits",
            "dps": dps, "residual_mp": rmax, "quadrature_error": qerr,
            "root_error_bound": bound, "nodes": nodes,
            "certified": bool(rmax < 1e-8 and qerr < 1e-15)}
